//! dynamo-model: Amazon's Dynamo (SOSP 2007) as sans-IO state machines driven by sim-core.
pub mod merkle;
pub mod ring;
pub mod version;

/// A storage node's identity is its simulated process id.
pub use sim_core::ProcId as NodeId;
