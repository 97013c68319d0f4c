//! Staleness probes: t-visibility measured directly.
//!
//! A probe writes a fresh key blind; when the write is acknowledged it waits a delay drawn from
//! the probe's distribution and reads the key with no session (no context, no preferred
//! coordinator), exactly as a different client would. The read is consistent if it returns the
//! probe's write. Each probe uses its own key, above every workload key, so probes never
//! interfere with each other or with the workloads.

use crate::history::{OpKind, OpRecord, Outcome};
use crate::workload::client::read_result;
use dynamo_model::actor::ClientApi;
use dynamo_model::coordinator::Completion;
use dynamo_model::msg::{Host, Key, OpError, ReqId};
use dynamo_model::version::{Context, Value, WriteId};
use sim_core::dist::Dist;
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// Timer id of the next probe start; delayed reads use `READ_BASE + probe number`.
const START: u64 = 0;
const READ_BASE: u64 = 1;

#[derive(Clone, Debug)]
struct Probe {
    key: Key,
    write: WriteId,
    invoked: SimTime,
    kind: OpKind,
}

/// The probe client.
#[derive(Clone, Debug)]
pub struct ProbeClient {
    me: u32,
    group: u16,
    rate_per_s: f64,
    delay_ms: Dist,
    value_bytes: u32,
    key_base: Key,
    stop: SimTime,
    started: u64,
    inflight: BTreeMap<ReqId, Probe>,
    waiting: BTreeMap<u64, Probe>,
    history: Vec<OpRecord>,
}

impl ProbeClient {
    /// A probe client starting `rate_per_s` probes per second until `stop`, on keys from
    /// `key_base` up.
    pub fn new(
        me: u32,
        group: u16,
        rate_per_s: f64,
        delay_ms: Dist,
        value_bytes: u32,
        key_base: Key,
        stop: SimTime,
    ) -> Self {
        ProbeClient {
            me,
            group,
            rate_per_s,
            delay_ms,
            value_bytes,
            key_base,
            stop,
            started: 0,
            inflight: BTreeMap::new(),
            waiting: BTreeMap::new(),
            history: Vec::new(),
        }
    }

    /// The probe operations finished.
    pub fn history(&self) -> &[OpRecord] {
        &self.history
    }

    /// Schedules the first probe.
    pub fn start<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>) {
        let gap = api.rng().exp(1.0 / self.rate_per_s);
        api.set_timer(SimDuration::from_secs_f64(gap), START);
    }

    /// Starts a probe, or reads one whose delay has passed.
    pub fn on_timer<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, id: u64) {
        let now = api.observe_time();
        if id == START {
            if now > self.stop {
                return;
            }
            let gap = api.rng().exp(1.0 / self.rate_per_s);
            api.set_timer(SimDuration::from_secs_f64(gap), START);
            self.started += 1;
            let key = self.key_base + self.started;
            let write = WriteId(((self.me as u64) << 40) | self.started);
            let value = Value::plain(write, self.value_bytes, false);
            let req = api.put(key, Context::empty(), value, None);
            self.inflight.insert(req, Probe { key, write, invoked: now, kind: OpKind::ProbeWrite });
        } else if let Some(mut p) = self.waiting.remove(&id) {
            p.invoked = now;
            p.kind = OpKind::ProbeRead;
            let req = api.get(p.key);
            self.inflight.insert(req, p);
        }
    }

    /// A probe's write or read finished.
    pub fn on_completion<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, done: Completion) {
        let now = api.observe_time();
        let (req, result, read) = match done {
            Completion::Get { req, result } => {
                let read = result.as_ref().ok().map(|g| read_result(&g.versions));
                (req, result.map(|_| ()), read)
            }
            Completion::Put { req, result } => (req, result, None),
        };
        let Some(p) = self.inflight.remove(&req) else { return };
        self.record(&p, now, result, read);
        if p.kind == OpKind::ProbeWrite && result.is_ok() {
            let delay = self.delay_ms.sample_duration_ms(api.rng());
            let id = READ_BASE + p.key - self.key_base;
            api.set_timer(delay, id);
            self.waiting.insert(id, p);
        }
    }

    fn record(
        &mut self,
        p: &Probe,
        now: SimTime,
        result: Result<(), OpError>,
        read: Option<crate::history::ReadResult>,
    ) {
        let outcome = Outcome::of(result);
        let is_read = p.kind == OpKind::ProbeRead;
        self.history.push(OpRecord {
            client: self.me,
            group: self.group,
            kind: p.kind,
            key: p.key,
            invoked: p.invoked,
            completed: now,
            outcome,
            write: (!is_read).then_some(p.write),
            context: vec![],
            context_versions: vec![],
            read,
            own_write: None,
            probe_of: is_read.then_some(p.write),
            fastest: None,
        });
    }
}
