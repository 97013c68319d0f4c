//! dynamo-model: the Dynamo node and client as sans-IO state machines.
