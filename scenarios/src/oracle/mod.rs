//! The oracle: measurement and checking as dynsim did them before they became streaming, from
//! the whole history of operations and by scanning replica state on every node. Compiled only
//! with the `oracle` feature, for tests: the streaming measurement (`measure`) must give the
//! same figures and verdicts, except where the report documents a definition change.
//!
//! - [`causal`]: the causal order of writes from the clients' contexts.
//! - [`inspect`]: what each replica holds, read off the world.
//! - [`sampler`]: divergence by scanning every known key's replicas at each sample.
//! - [`sections`]: every report section from the history and the final state.
//! - [`invariants`]: every checker from the history and the final state.
//! - [`compare`]: a run's streamed measurement against the oracle's.

pub mod causal;
pub mod compare;
pub mod inspect;
pub mod invariants;
pub mod sampler;
pub mod sections;
