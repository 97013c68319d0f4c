//! sim-core: the deterministic discrete-event engine dynsim runs on. It knows nothing of Dynamo.
//!
//! - [`time`]: virtual time ([`SimTime`], [`SimDuration`]), integer nanoseconds.
//! - [`queue`]: the `(time, seq)` event queue, allocation-free in steady state.
//! - [`rng`]: ChaCha8 streams derived from `(seed, label)`; [`dist`]: data-configured
//!   distributions.
//! - [`process`]: the sans-IO [`Process`] contract and the [`Ctx`] a handler acts through.
//! - [`topology`], [`net`], [`partition`]: the simulated network and its faults.
//! - [`disk`], [`clock`]: the simulated disk and local clock of every process.
//! - [`fault`], [`chaos`]: the fault timeline and seeded fault generators.
//! - [`counter`]: counters the world keeps per process, declared once by the model;
//!   [`observe`]: the observer the engine tells what changed.
//! - [`world`]: the event loop and process lifecycle; [`trace`]: the trace hash and JSONL trace.
//! - [`json_path`]: the JSON paths configuration errors name the value at fault with.
pub mod chaos;
pub mod clock;
pub mod counter;
pub mod disk;
pub mod dist;
pub mod fault;
pub mod fxhash;
pub mod id;
pub mod json_path;
pub mod net;
pub mod observe;
pub mod partition;
pub mod process;
pub mod queue;
pub mod rng;
pub mod testkit;
pub mod time;
pub mod topology;
pub mod trace;
pub mod world;

pub use counter::{CounterDef, CounterKind, CounterSet, NoCounters};
pub use id::ProcId;
pub use json_path::JsonPath;
pub use process::{Boot, Ctx, Message, Process, TimerId};
pub use rng::SimRng;
pub use time::{SimDuration, SimTime};
pub use topology::Placement;
pub use world::{World, WorldConfig, WorldError};
