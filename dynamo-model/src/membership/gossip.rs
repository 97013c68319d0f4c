//! Gossip payloads and their wire sizes: a [`Digest`] (per node, the version held), a [`Delta`]
//! (only the entries the other side lacks or holds older), a [`Request`] (the nodes whose entries
//! the responder wants back), and [`Traffic`] counters to measure a round's cost.
//!
//! One exchange between initiator A and responder B is three messages:
//! A → B `Digest`; B → A `Delta` (what A is missing) + `Request` (what B is missing);
//! A → B `Delta` (the requested entries). Between converged views both deltas and the request
//! are empty: only the digest travels.

use super::{MemberEntry, NodeId, Version};

/// Modelled wire size of one digest entry: node id (4) + version (counter 8, time 8, issuer 4).
pub const DIGEST_ENTRY_BYTES: u64 = 24;
/// Modelled wire size of one full entry: digest entry + status (1) + capacity (8) + dc (4) + rack (4).
pub const ENTRY_BYTES: u64 = DIGEST_ENTRY_BYTES + 1 + 8 + 4 + 4;
/// Modelled wire size of one requested node id.
pub const REQUEST_ENTRY_BYTES: u64 = 4;
/// Modelled fixed header of every gossip message (kind, sender, length).
pub const HEADER_BYTES: u64 = 16;

/// Per node, the version the sender holds; sorted by node, one item per node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    /// `(node, version)` pairs, strictly increasing by node.
    pub versions: Vec<(NodeId, Version)>,
}

/// Entries the receiver lacks or holds at an older version; sorted by node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Delta {
    /// The entries, strictly increasing by node.
    pub entries: Vec<MemberEntry>,
}

/// The nodes whose entries the sender of a [`Request`] wants; sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The nodes, strictly increasing.
    pub nodes: Vec<NodeId>,
}

impl Digest {
    /// Modelled size on the wire in bytes.
    pub fn size_bytes(&self) -> u64 {
        HEADER_BYTES + DIGEST_ENTRY_BYTES * self.versions.len() as u64
    }
}

impl Delta {
    /// Modelled size on the wire in bytes.
    pub fn size_bytes(&self) -> u64 {
        HEADER_BYTES + ENTRY_BYTES * self.entries.len() as u64
    }

    /// Whether it carries no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Request {
    /// Modelled size on the wire in bytes.
    pub fn size_bytes(&self) -> u64 {
        HEADER_BYTES + REQUEST_ENTRY_BYTES * self.nodes.len() as u64
    }

    /// Whether it asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// Counters of gossip traffic. Each message is counted once, by the handler that sees it:
/// `on_digest` counts the digest it received and the delta and request it answers with,
/// `on_request` counts the delta it answers with. Summing over all nodes gives the total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Messages (digests, deltas and requests; an empty request is not sent and not counted).
    pub messages: u64,
    /// Digest items carried.
    pub digest_entries: u64,
    /// Full entries carried by deltas.
    pub delta_entries: u64,
    /// Node ids carried by requests.
    pub request_entries: u64,
    /// Modelled bytes.
    pub bytes: u64,
}

impl Traffic {
    /// Counts a digest.
    pub fn digest(&mut self, d: &Digest) {
        self.messages += 1;
        self.digest_entries += d.versions.len() as u64;
        self.bytes += d.size_bytes();
    }

    /// Counts a delta (an empty delta still travels: it is the reply).
    pub fn delta(&mut self, d: &Delta) {
        self.messages += 1;
        self.delta_entries += d.entries.len() as u64;
        self.bytes += d.size_bytes();
    }

    /// Counts a request; an empty one is piggybacked on the delta reply and costs nothing.
    pub fn request(&mut self, r: &Request) {
        if !r.is_empty() {
            self.messages += 1;
            self.request_entries += r.nodes.len() as u64;
            self.bytes += r.size_bytes();
        }
    }

    /// The sum of two counters.
    pub fn plus(self, o: Traffic) -> Traffic {
        Traffic {
            messages: self.messages + o.messages,
            digest_entries: self.digest_entries + o.digest_entries,
            delta_entries: self.delta_entries + o.delta_entries,
            request_entries: self.request_entries + o.request_entries,
            bytes: self.bytes + o.bytes,
        }
    }

    /// What happened since `earlier` (a snapshot of the same counter).
    pub fn since(self, earlier: Traffic) -> Traffic {
        Traffic {
            messages: self.messages - earlier.messages,
            digest_entries: self.digest_entries - earlier.digest_entries,
            delta_entries: self.delta_entries - earlier.delta_entries,
            request_entries: self.request_entries - earlier.request_entries,
            bytes: self.bytes - earlier.bytes,
        }
    }
}
