//! The message diagram of one key over a time window (`diagram` in `report.json`): the
//! processes that exchanged messages about the key, and every such message as an arrow from
//! the time it left its sender to the time its receiver handled it, or to where it was lost.
//! The scenarios crate captures it from the simulator's trace; [`crate::charts::diagram`]
//! draws it as a Lamport-style space-time diagram.

use serde::{Deserialize, Serialize};

/// The messages about one key within `[from_s, until_s]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageDiagram {
    /// The key.
    pub key: u64,
    /// Start of the window, seconds of simulated time.
    pub from_s: f64,
    /// End of the window, seconds.
    pub until_s: f64,
    /// Why this key and window: given by the user, or which automatic rule chose them.
    pub chosen_by: String,
    /// One vertical lifeline per process that sent or received a message drawn here: clients
    /// first, then storage nodes, in process order.
    pub lifelines: Vec<Lifeline>,
    /// The messages drawn, ordered by send time (at most `max_arrows`).
    pub arrows: Vec<Arrow>,
    /// Messages about the key that left or were lost within the window (drawn or not).
    pub messages: u64,
    /// The cap on arrows; when `messages` exceeds it, only the earliest are drawn.
    pub max_arrows: u64,
    /// The operation the window was chosen around (the stale read, the violating operation),
    /// when it was chosen automatically; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<Focus>,
}

/// The operation a diagram is about, marked on its client's lifeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Focus {
    /// Index of its client's lifeline.
    pub client: usize,
    /// Its kind (`get`, `rmw_read`, `put`, ...).
    pub kind: String,
    /// When it was invoked, seconds.
    pub invoked_s: f64,
    /// When it completed, seconds.
    pub completed_s: f64,
    /// What it returned or wrote and why it matters, in words (e.g. "stale: returned w12;
    /// w15 was acknowledged at 15.081 s, before it began").
    pub note: String,
}

impl MessageDiagram {
    /// True when some messages were left out because of the cap.
    pub fn capped(&self) -> bool {
        self.messages > self.arrows.len() as u64
    }
}

/// One process's lifeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifeline {
    /// The simulator's process number.
    pub proc: u32,
    /// Its name: `client 3` (the clients' order in the scenario) or `n2` (node number).
    pub name: String,
    /// Its part for this key, as drawn: `client`, or for a node a comma-separated list of
    /// `coordinator` (sent replica reads or writes, or answered a client), `forwarder` (passed a
    /// request on), and `replica` (one of the key's top-N nodes by the ring at the end of the
    /// run) or `substitute` (another node that received a replica read, write or handoff);
    /// `node` when none applies.
    pub role: String,
}

/// One message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Arrow {
    /// Index of the sender's lifeline.
    pub from: usize,
    /// Index of the receiver's lifeline.
    pub to: usize,
    /// The message kind (`request`, `replica_write`, ...).
    pub kind: String,
    /// When it left the sender, seconds.
    pub sent_s: f64,
    /// When the receiver handled it, or when it was lost, seconds.
    pub at_s: f64,
    /// `null` when delivered; else why it was lost: `loss` or `partition` (dropped by the
    /// network as it left) or `crash` (its sender or receiver crashed first).
    pub lost: Option<String>,
    /// For a delivered reply that carries versions (`replica_read_reply`, `get_reply`): what it
    /// carried, e.g. `w5@c2, †w9@c0 · clock 3` (write 5 of client 2 and a delete, write 9 of
    /// client 0; the longest vector clock has 3 entries), or `nothing`; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried: Option<String>,
}
