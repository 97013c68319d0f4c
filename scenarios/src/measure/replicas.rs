//! [`KeyReplicas`]: which nodes hold what for one key, kept up to date from observations.
//!
//! For every node holding a data record or a buffered version of the key: the digest of what
//! its disk record holds (or that it is corrupt) and of its buffered version (24 bytes a node).
//! What a node *serves* is its buffer over its disk, as a read of it would find; a node holding
//! nothing serves the empty set. (Hint records are kept by `Measure`, per key, apart: few keys
//! have them.)
//!
//! The key's live top-N replicas agree when they all serve the same thing: the same digest, or
//! all a corrupt record (a corrupt record differs from an intact one, as inspection treats it).
//! Agreement is recomputed from these entries in O(N) whenever the key changes at one of its
//! replicas.

use dynamo_model::version::Versions;
use sim_core::ProcId;
use std::sync::OnceLock;

/// What one record serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// The versions with this digest (the empty set has its own digest).
    Digest(u64),
    /// A record that fails its checksum.
    Corrupt,
}

/// The digest of the empty set of versions: what a node without the key serves.
pub fn empty_digest() -> u64 {
    static EMPTY: OnceLock<u64> = OnceLock::new();
    *EMPTY.get_or_init(|| Versions::new().digest())
}

/// What one node holds for the key, packed into 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Holding {
    node: u32,
    flags: u8,
    /// The disk record's digest, when [`DISK`] is set and [`CORRUPT`] is not.
    disk: u64,
    /// The buffered version's digest, when [`BUFFER`] is set.
    buffer: u64,
}

/// [`Holding::flags`]: the node has a disk record of the key.
const DISK: u8 = 1;
/// ... which fails its checksum.
const CORRUPT: u8 = 2;
/// ... the node has a buffered version of the key.
const BUFFER: u8 = 4;

impl Holding {
    fn disk(&self) -> Option<Served> {
        match self.flags & (DISK | CORRUPT) {
            0 => None,
            DISK => Some(Served::Digest(self.disk)),
            _ => Some(Served::Corrupt),
        }
    }

    fn set_disk(&mut self, disk: Option<Served>) {
        self.flags &= BUFFER;
        match disk {
            None => {}
            Some(Served::Digest(d)) => {
                self.flags |= DISK;
                self.disk = d;
            }
            Some(Served::Corrupt) => self.flags |= DISK | CORRUPT,
        }
    }

    fn served(&self) -> Served {
        if self.flags & BUFFER != 0 {
            return Served::Digest(self.buffer);
        }
        self.disk().unwrap_or(Served::Digest(empty_digest()))
    }
}

/// One key's replica state.
#[derive(Clone, Debug, Default)]
pub struct KeyReplicas {
    /// The key's top-N replicas by the ring measurement uses.
    pub replicas: Box<[ProcId]>,
    /// Nodes holding a data record or a buffered version, by node.
    held: Vec<Holding>,
    /// Whether the live top-N replicas disagreed when last computed.
    pub divergent: bool,
}

impl KeyReplicas {
    fn holding(&mut self, node: u32) -> &mut Holding {
        let i = match self.held.binary_search_by_key(&node, |h| h.node) {
            Ok(i) => i,
            Err(i) => {
                if self.held.capacity() == 0 {
                    self.held.reserve_exact(self.replicas.len().max(1));
                }
                self.held.insert(i, Holding { node, flags: 0, disk: 0, buffer: 0 });
                i
            }
        };
        &mut self.held[i]
    }

    fn prune(&mut self, node: u32) {
        self.held.retain(|h| h.node != node || h.flags != 0);
    }

    /// Node `node`'s disk record now serves `disk` (`None`: no record).
    pub fn set_disk(&mut self, node: u32, disk: Option<Served>) {
        self.holding(node).set_disk(disk);
        self.prune(node);
    }

    /// Node `node`'s buffer now holds a version with digest `buffer` (`None`: nothing).
    pub fn set_buffer(&mut self, node: u32, buffer: Option<u64>) {
        let h = self.holding(node);
        h.flags &= !BUFFER;
        if let Some(d) = buffer {
            h.flags |= BUFFER;
            h.buffer = d;
        }
        self.prune(node);
    }

    /// What `node` serves.
    pub fn served(&self, node: u32) -> Served {
        match self.held.binary_search_by_key(&node, |h| h.node) {
            Ok(i) => self.held[i].served(),
            Err(_) => Served::Digest(empty_digest()),
        }
    }

    /// Whether the live top-N replicas serve the same versions. O(N).
    pub fn live_replicas_agree(&self, up: &[bool]) -> bool {
        let mut first: Option<Served> = None;
        for r in &self.replicas {
            if !up.get(r.index()).copied().unwrap_or(false) {
                continue;
            }
            let s = self.served(r.0);
            match first {
                None => first = Some(s),
                Some(f) if f != s => return false,
                Some(_) => {}
            }
        }
        true
    }

    /// Whether `node` has a data record of the key on its disk (intact or not).
    pub fn has_disk_record(&self, node: ProcId) -> bool {
        self.held.binary_search_by_key(&node.0, |h| h.node).is_ok_and(|i| self.held[i].flags & DISK != 0)
    }

    /// Nodes holding a data record or a buffered version.
    pub fn holders(&self) -> impl Iterator<Item = ProcId> + '_ {
        self.held.iter().map(|h| ProcId(h.node))
    }

    /// Drops every buffered version `node` held (it crashed).
    pub fn clear_buffer(&mut self, node: u32) {
        self.set_buffer(node, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_over_disk_and_agreement_of_live_replicas() {
        let mut k = KeyReplicas {
            replicas: vec![ProcId(0), ProcId(1), ProcId(2)].into_boxed_slice(),
            ..KeyReplicas::default()
        };
        let up = [true, true, true];
        assert!(k.live_replicas_agree(&up), "nobody holds it: all serve the empty set");
        k.set_disk(0, Some(Served::Digest(7)));
        assert!(!k.live_replicas_agree(&up));
        k.set_disk(1, Some(Served::Digest(7)));
        k.set_buffer(2, Some(7));
        assert!(k.live_replicas_agree(&up), "node 2's buffer serves 7");
        k.set_buffer(2, None);
        assert_eq!(k.served(2), Served::Digest(empty_digest()));
        assert!(k.live_replicas_agree(&[true, true, false]), "down replicas do not count");
        k.set_disk(1, Some(Served::Corrupt));
        assert!(!k.live_replicas_agree(&[true, true, false]), "corrupt differs from intact");
        k.set_disk(0, Some(Served::Corrupt));
        assert!(k.live_replicas_agree(&[true, true, false]), "two corrupt records agree, as inspection says");
        assert_eq!(k.holders().map(|p| p.0).collect::<Vec<_>>(), vec![0, 1]);
        k.set_buffer(0, Some(9));
        k.set_disk(0, None);
        assert_eq!(k.served(0), Served::Digest(9), "the buffer outlives the disk record");
        assert!(!k.has_disk_record(ProcId(0)) && k.has_disk_record(ProcId(1)));
    }
}
