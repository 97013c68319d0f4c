//! Every counter of the Dynamo model, declared once: its name in reports, what it counts and
//! its kind. Handlers count through `Ctx::count`; the world keeps the totals per process across
//! restarts, and reports list them from [`Counter::DEFS`], so a new counter is one variant here
//! and one line in the table.

use sim_core::{CounterDef, CounterKind, CounterSet};

macro_rules! counters {
    ($( $variant:ident => $name:literal, $kind:ident, $doc:literal; )*) => {
        /// A counter of a Dynamo node or client process.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum Counter {
            $( #[doc = $doc] $variant, )*
        }

        impl CounterSet for Counter {
            const DEFS: &'static [CounterDef] = &[
                $( CounterDef { name: $name, doc: $doc, kind: CounterKind::$kind }, )*
            ];
            #[inline]
            fn index(self) -> usize {
                self as usize
            }
        }

        impl Counter {
            /// Every counter, in table order.
            pub const ALL: &'static [Counter] = &[$( Counter::$variant, )*];
        }
    };
}

counters! {
    Forwarded => "forwarded", Request,
        "Requests forwarded to a top-N node (§4.5).";
    Reforwarded => "reforwarded", Request,
        "Forwarded requests routed again because their coordinator never confirmed.";
    GetsOk => "gets_coordinated_ok", Request,
        "Gets this process coordinated that reached R.";
    GetsFailed => "gets_coordinated_failed", Request,
        "Gets this process coordinated that failed.";
    PutsOk => "puts_coordinated_ok", Request,
        "Puts this process coordinated that reached W.";
    PutsFailed => "puts_coordinated_failed", Request,
        "Puts this process coordinated that failed.";
    SubstituteReads => "substitute_reads", Request,
        "Replica reads sent to sloppy-quorum substitutes.";
    ReplicaReads => "replica_reads", Replica,
        "Replica reads served.";
    ReplicaWrites => "replica_writes", Replica,
        "Replica writes stored in the main store.";
    HintedWrites => "hinted_writes", Repair,
        "Writes sent to substitutes with a hint, or written locally by a substitute coordinator (§4.6).";
    HintsStored => "hints_stored", Repair,
        "Hinted replicas stored for other nodes.";
    HintsRefused => "hints_refused", Repair,
        "Hinted writes refused because the hint store was full.";
    HandoffsCompleted => "handoffs_completed", Repair,
        "Hints handed off, acknowledged and deleted.";
    HandoffsReceived => "handoffs_received", Repair,
        "Handoffs received and stored for this node.";
    ReadRepairs => "read_repairs", Repair,
        "Read-repair writes sent to replicas that answered stale (§5).";
    AeExchanges => "ae_exchanges", Repair,
        "Anti-entropy exchanges this node started and finished (§4.7).";
    AeAbandoned => "ae_abandoned", Repair,
        "Anti-entropy exchanges abandoned (a step unanswered after its resends, or refused).";
    AeKeysRepaired => "ae_keys_repaired", Repair,
        "Keys whose stored versions an anti-entropy merge changed here.";
    AeKeysSent => "ae_keys_sent", Repair,
        "Keys' versions this node sent in anti-entropy key exchanges.";
    GossipRounds => "gossip_rounds", Membership,
        "Gossip rounds started (§4.8).";
    GossipHashesMatched => "gossip_hashes_matched", Membership,
        "Round-opening hashes received that matched this node's view.";
    GossipHashesDiffered => "gossip_hashes_differed", Membership,
        "Round-opening hashes received that differed (a digest exchange followed).";
    RingChanges => "ring_changes", Membership,
        "Times the ring this node routes by changed.";
    MembershipCommands => "membership_commands", Membership,
        "Membership commands served (operator commands and the node's own activate or remove).";
    MembershipCommandsRefused => "membership_commands_refused", Membership,
        "Membership commands refused (an impossible transition, or membership off).";
    MembershipEntriesPersisted => "membership_entries_persisted", Membership,
        "Membership entries written to disk.";
    TransferOffersSent => "transfer_offers_sent", Membership,
        "Key-range transfer offers sent, resends included (§4.9).";
    TransferOffersReceived => "transfer_offers_received", Membership,
        "Transfer offers received as a receiver.";
    TransferOffersAccepted => "transfer_offers_accepted", Membership,
        "Transfer offers accepted as a receiver.";
    TransferOffersBusy => "transfer_offers_busy", Membership,
        "Transfer offers answered busy (another holder was confirmed for the range).";
    TransferBatchesSent => "transfer_batches_sent", Membership,
        "Transfer batches sent, resends included.";
    TransferBatchesDeferred => "transfer_batches_deferred", Membership,
        "Transfer batches whose sending admission control deferred.";
    TransferKeysSent => "transfer_keys_sent", Membership,
        "Keys sent in transfer batches.";
    TransferKeysReceived => "transfer_keys_received", Membership,
        "Keys received in transfer batches that changed this node's store.";
    TransferRangesSent => "transfer_ranges_sent", Membership,
        "Key ranges this node finished sending.";
    TransferRangesReceived => "transfer_ranges_received", Membership,
        "Key ranges this node finished receiving.";
    CorruptReads => "corrupt_reads", Storage,
        "Records found corrupt on read or at recovery (served as missing).";
    FailedWrites => "failed_writes", Storage,
        "Writes the disk refused (EIO or full).";
    Flushes => "flushes", Storage,
        "Object-buffer flushes (§6.1).";
    LostInFlush => "lost_in_flush", Storage,
        "Buffered objects lost because their flush write failed.";
    BackgroundAdmitted => "background_admitted", Admission,
        "Background tasks (hint scans, anti-entropy, transfer batches) admission control let run (§6.5).";
    BackgroundDeferred => "background_deferred", Admission,
        "Background tasks admission control deferred.";
    AdmissionSamples => "admission_samples", Admission,
        "Foreground disk latencies recorded by admission control.";
    MembershipRefreshes => "membership_refreshes", Client,
        "Membership snapshots a client-driven client received.";
    ClientTimeouts => "client_timeouts", Client,
        "Requests the client library gave up on (no answer within its timeout).";
}

impl Counter {
    /// The counter named `name` in reports.
    pub fn by_name(name: &str) -> Option<Counter> {
        Self::ALL.iter().copied().find(|c| c.def().name == name)
    }

    /// This counter's value in a process's counters (`World::counters`, `Ctx::counters`).
    pub fn get(self, counters: &[u64]) -> u64 {
        counters[self.index()]
    }

    /// This counter's declaration.
    pub fn def(self) -> &'static CounterDef {
        &Self::DEFS[self.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_is_declared_once_in_table_order() {
        for (i, c) in Counter::ALL.iter().enumerate() {
            assert_eq!(c.index(), i, "{c:?}");
        }
        let mut names: Vec<&str> = Counter::DEFS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Counter::DEFS.len(), "counter names are unique");
        assert!(Counter::DEFS.iter().all(|d| !d.doc.is_empty() && d.doc.ends_with('.')));
        assert_eq!(Counter::by_name("replica_reads"), Some(Counter::ReplicaReads));
        assert_eq!(Counter::by_name("no_such"), None);
    }
}
