//! The anti-entropy exchange between two replicas' trees of one key range, sans-IO.
//!
//! The initiator drives an [`Exchange`]; the peer only answers [`Request`]s with
//! [`MerkleTree::answer`]. Round trip 1 fetches the peer's root. Each later round trip fetches the
//! children of the nodes found to differ, one level deeper, so equal subtrees are never entered.
//! At the leaves the initiator fetches the peer's `(key, digest)` entries of the differing buckets
//! only, and compares them with its own to get exactly the keys that differ ([`KeyDelta`]).
//! Every message is counted in a [`DiffCost`]. [`diff`] runs the same steps in-process.
//!
//! Trees may change between round trips in a live run; the result then reflects the buckets as
//! they were when compared, and later changes are left to the next exchange.

use super::config::MerkleError;
use super::tree::MerkleTree;
use std::cmp::Ordering;
use std::iter::Peekable;

/// Bytes a node hash costs on the wire.
pub const HASH_BYTES: u64 = 8;
/// Bytes a node or leaf index costs on the wire.
pub const INDEX_BYTES: u64 = 4;
/// Bytes a `(key, digest)` bucket entry costs on the wire.
pub const ENTRY_BYTES: u64 = 16;

/// A message from the initiator to the peer. Each carries the initiator's depth, so trees of
/// different shapes are refused instead of compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// "Send me your hashes of these nodes", all on `level`, indices ascending.
    Hashes {
        /// The initiator's tree depth.
        depth: u8,
        /// Level of the nodes (0 is the root).
        level: u8,
        /// Indices of the nodes within the level.
        indices: Vec<u32>,
    },
    /// "Send me your entries of these leaf buckets", leaves ascending.
    Buckets {
        /// The initiator's tree depth.
        depth: u8,
        /// The leaf buckets wanted.
        leaves: Vec<u32>,
    },
}

/// The peer's answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Node hashes, in the order of the request's indices.
    Hashes(Vec<u64>),
    /// Bucket contents, in the order of the request's leaves.
    Buckets(Vec<Bucket>),
}

/// One leaf bucket's contents as sent over the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// The leaf's index.
    pub leaf: u32,
    /// `(key, digest)` pairs, sorted by key, without duplicates.
    pub entries: Vec<(u64, u64)>,
}

/// One key whose state differs between the two replicas. `local != remote` always.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyDelta {
    /// The key id.
    pub key: u64,
    /// Its digest on the initiator, or `None` if the initiator lacks it.
    pub local: Option<u64>,
    /// Its digest on the peer, or `None` if the peer lacks it.
    pub remote: Option<u64>,
}

/// What an exchange cost. Every hash sent is compared exactly once, by the initiator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffCost {
    /// Request/reply pairs: 1 when the roots agree, `depth + 2` to reach differing buckets.
    pub round_trips: u32,
    /// Deepest level whose hashes were compared (0: only the roots).
    pub levels_descended: u8,
    /// Node and leaf indices carried by requests.
    pub indices_sent: u64,
    /// Node hashes carried by replies (and compared).
    pub hashes_sent: u64,
    /// Leaf buckets whose entries were sent.
    pub buckets_sent: u64,
    /// `(key, digest)` entries carried by replies.
    pub bucket_entries_sent: u64,
}

impl DiffCost {
    /// Payload bytes moved, at [`INDEX_BYTES`], [`HASH_BYTES`] and [`ENTRY_BYTES`] apiece.
    pub fn bytes(&self) -> u64 {
        self.indices_sent * INDEX_BYTES + self.hashes_sent * HASH_BYTES + self.bucket_entries_sent * ENTRY_BYTES
    }

    /// Messages sent: a request and a reply per round trip.
    pub fn messages(&self) -> u32 {
        2 * self.round_trips
    }
}

/// The outcome of an exchange: the differing keys and what finding them cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffResult {
    /// Every key present on one side only or with different digests, sorted by key.
    pub keys: Vec<KeyDelta>,
    /// Messages, hashes and entries the exchange moved.
    pub cost: DiffCost,
}

/// What the initiator does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this request to the peer and feed its reply to [`Exchange::on_reply`].
    Send(Request),
    /// The exchange is over.
    Done(DiffResult),
}

/// The initiator's side of one exchange: the request in flight and the cost so far.
#[derive(Clone, Debug)]
pub struct Exchange {
    depth: u8,
    pending: Option<Request>,
    cost: DiffCost,
}

impl Exchange {
    /// Starts an exchange from `local`'s side; send the returned request (the root) to the peer.
    pub fn start(local: &MerkleTree) -> (Exchange, Request) {
        let depth = local.depth();
        let request = Request::Hashes { depth, level: 0, indices: vec![0] };
        let cost = DiffCost { indices_sent: 1, ..DiffCost::default() };
        (Exchange { depth, pending: Some(request.clone()), cost }, request)
    }

    /// The cost so far.
    pub fn cost(&self) -> DiffCost {
        self.cost
    }

    /// Whether the exchange has finished (or failed) and expects no more replies.
    pub fn is_done(&self) -> bool {
        self.pending.is_none()
    }

    /// Feeds the peer's reply to the request in flight. An error ends the exchange.
    pub fn on_reply(&mut self, local: &MerkleTree, reply: &Reply) -> Result<Step, MerkleError> {
        let pending = self.pending.take();
        if local.depth() != self.depth {
            return Err(MerkleError::DepthMismatch { local: local.depth(), remote: self.depth });
        }
        self.cost.round_trips += 1;
        match (pending, reply) {
            (Some(Request::Hashes { level, indices, .. }), Reply::Hashes(hashes)) => {
                self.on_hashes(local, level, &indices, hashes)
            }
            (Some(Request::Buckets { leaves, .. }), Reply::Buckets(buckets)) => {
                self.on_buckets(local, &leaves, buckets)
            }
            (None, _) => Err(MerkleError::UnexpectedReply { state: "done" }),
            (Some(Request::Hashes { .. }), _) => Err(MerkleError::UnexpectedReply { state: "awaiting hashes" }),
            (Some(Request::Buckets { .. }), _) => Err(MerkleError::UnexpectedReply { state: "awaiting buckets" }),
        }
    }

    /// Compares one level; descends under differing nodes, or asks for differing buckets.
    fn on_hashes(
        &mut self,
        local: &MerkleTree,
        level: u8,
        indices: &[u32],
        hashes: &[u64],
    ) -> Result<Step, MerkleError> {
        let differing = local.differing(level, indices, hashes)?;
        self.cost.hashes_sent += hashes.len() as u64;
        self.cost.levels_descended = level;
        if differing.is_empty() {
            return Ok(Step::Done(DiffResult { keys: Vec::new(), cost: self.cost }));
        }
        let request = if level == self.depth {
            Request::Buckets { depth: self.depth, leaves: differing }
        } else {
            let indices = children_of(&differing);
            Request::Hashes { depth: self.depth, level: level + 1, indices }
        };
        self.cost.indices_sent += request_len(&request) as u64;
        self.pending = Some(request.clone());
        Ok(Step::Send(request))
    }

    /// Compares the peer's buckets with ours: the exact differing keys.
    fn on_buckets(&mut self, local: &MerkleTree, leaves: &[u32], buckets: &[Bucket]) -> Result<Step, MerkleError> {
        check_len("buckets", leaves.len(), buckets.len())?;
        if let Some((&leaf, _)) = leaves.iter().zip(buckets).find(|(l, b)| **l != b.leaf) {
            return Err(MerkleError::MalformedBucket { leaf, problem: "leaf not requested here" });
        }
        let keys = local.key_diff(buckets)?;
        self.cost.buckets_sent += buckets.len() as u64;
        self.cost.bucket_entries_sent += buckets.iter().map(|b| b.entries.len() as u64).sum::<u64>();
        Ok(Step::Done(DiffResult { keys, cost: self.cost }))
    }
}

impl MerkleTree {
    /// The peer's side of an exchange: answers one request from this tree.
    pub fn answer(&self, request: &Request) -> Result<Reply, MerkleError> {
        match request {
            Request::Hashes { depth, level, indices } => {
                self.check_depth(*depth)?;
                Ok(Reply::Hashes(self.level_hashes(*level, indices)?))
            }
            Request::Buckets { depth, leaves } => {
                self.check_depth(*depth)?;
                let buckets = leaves.iter().map(|&leaf| Ok(Bucket { leaf, entries: self.bucket(leaf)? }));
                Ok(Reply::Buckets(buckets.collect::<Result<_, _>>()?))
            }
        }
    }

    /// Given the peer's hashes of nodes `indices` on `level`, the indices whose hashes differ
    /// from ours, in the order given.
    pub fn differing(&self, level: u8, indices: &[u32], peer_hashes: &[u64]) -> Result<Vec<u32>, MerkleError> {
        check_len("node hashes", indices.len(), peer_hashes.len())?;
        let mut out = Vec::new();
        for (&index, &theirs) in indices.iter().zip(peer_hashes) {
            if self.hash_at(level, index)? != theirs {
                out.push(index);
            }
        }
        Ok(out)
    }

    /// The exact keys that differ between the peer's `buckets` and ours for the same leaves,
    /// sorted by key. Rejects buckets that are unsorted, repeated, or hold keys of other leaves.
    pub fn key_diff(&self, buckets: &[Bucket]) -> Result<Vec<KeyDelta>, MerkleError> {
        let mut out = Vec::new();
        let mut previous_leaf = None;
        for bucket in buckets {
            self.check_bucket(bucket, previous_leaf)?;
            previous_leaf = Some(bucket.leaf);
            merge_bucket(self.bucket_iter(bucket.leaf), &bucket.entries, &mut out);
        }
        out.sort_unstable_by_key(|d| d.key);
        debug_assert!(out.iter().all(|d| d.local != d.remote));
        Ok(out)
    }

    fn check_depth(&self, remote: u8) -> Result<(), MerkleError> {
        if remote == self.depth() { Ok(()) } else { Err(MerkleError::DepthMismatch { local: self.depth(), remote }) }
    }

    /// A peer's bucket must be in range, after the previous one, sorted, and hold its own keys.
    fn check_bucket(&self, bucket: &Bucket, previous: Option<u32>) -> Result<(), MerkleError> {
        let leaf = bucket.leaf;
        let bad = |problem| Err(MerkleError::MalformedBucket { leaf, problem });
        self.hash_at(self.depth(), leaf)?;
        if previous.is_some_and(|p| p >= leaf) {
            return bad("leaves not strictly ascending");
        }
        if bucket.entries.windows(2).any(|w| w[0].0 >= w[1].0) {
            return bad("keys not strictly ascending");
        }
        if bucket.entries.iter().any(|&(key, _)| self.leaf_of(key) != leaf) {
            return bad("key belongs to another leaf");
        }
        Ok(())
    }
}

/// The children (one level down) of `indices`, in order.
pub fn children_of(indices: &[u32]) -> Vec<u32> {
    indices.iter().flat_map(|&i| [2 * i, 2 * i + 1]).collect()
}

/// Runs a whole exchange in-process with `a` as initiator and `b` as peer: the same messages a
/// pair of nodes would send, and their cost.
pub fn diff(a: &MerkleTree, b: &MerkleTree) -> Result<DiffResult, MerkleError> {
    let (mut exchange, mut request) = Exchange::start(a);
    // Each round trip descends one level, then one more fetches buckets: at most depth + 2.
    for _ in 0..usize::from(a.depth()) + 2 {
        match exchange.on_reply(a, &b.answer(&request)?)? {
            Step::Send(next) => request = next,
            Step::Done(result) => return Ok(result),
        }
    }
    Err(MerkleError::UnexpectedReply { state: "past the leaves" })
}

fn request_len(request: &Request) -> usize {
    match request {
        Request::Hashes { indices, .. } => indices.len(),
        Request::Buckets { leaves, .. } => leaves.len(),
    }
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), MerkleError> {
    if expected == got { Ok(()) } else { Err(MerkleError::LengthMismatch { what, expected, got }) }
}

/// Merge-walks two sorted `(key, digest)` lists, pushing every key they disagree on.
fn merge_bucket(local: impl Iterator<Item = (u64, u64)>, remote: &[(u64, u64)], out: &mut Vec<KeyDelta>) {
    let mut local: Peekable<_> = local.peekable();
    let mut remote = remote.iter().copied().peekable();
    loop {
        let delta = match (local.peek().copied(), remote.peek().copied()) {
            (None, None) => return,
            (Some((k, d)), None) => only_local(&mut local, k, d),
            (None, Some((k, d))) => only_remote(&mut remote, k, d),
            (Some((lk, ld)), Some((rk, rd))) => match lk.cmp(&rk) {
                Ordering::Less => only_local(&mut local, lk, ld),
                Ordering::Greater => only_remote(&mut remote, rk, rd),
                Ordering::Equal => {
                    local.next();
                    remote.next();
                    (ld != rd).then_some(KeyDelta { key: lk, local: Some(ld), remote: Some(rd) })
                }
            },
        };
        out.extend(delta);
    }
}

fn only_local(it: &mut impl Iterator, key: u64, digest: u64) -> Option<KeyDelta> {
    it.next();
    Some(KeyDelta { key, local: Some(digest), remote: None })
}

fn only_remote(it: &mut impl Iterator, key: u64, digest: u64) -> Option<KeyDelta> {
    it.next();
    Some(KeyDelta { key, local: None, remote: Some(digest) })
}
