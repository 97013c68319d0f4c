//! sim-core: the deterministic discrete-event engine dynsim runs on. It knows nothing of Dynamo.
pub mod dist;
pub mod id;
pub mod rng;
pub mod time;

pub use id::ProcId;
pub use rng::SimRng;
pub use time::{SimDuration, SimTime};
