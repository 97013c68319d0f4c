//! sim-core: the deterministic discrete-event engine dynsim runs on. It knows nothing of Dynamo.
#![allow(missing_docs)]
pub mod rng;
pub mod time;
