//! Workloads: arrival processes, key popularity, operation mixes, and the client applications
//! that combine them (workload clients and the staleness probe client).
pub mod arrival;
pub mod client;
pub mod keys;
pub mod mix;
pub mod probe;
pub mod provenance;
pub mod seqset;
