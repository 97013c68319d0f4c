//! Staleness probes: t-visibility measured directly.
//!
//! A probe writes a fresh key blind; when the write is acknowledged it waits a delay drawn from
//! the probe's distribution and reads the key with no session (no context, no preferred
//! coordinator), exactly as a different client would. The read is consistent if it returns the
//! probe's write. Each probe uses its own key, above every workload key, so probes never
//! interfere with each other or with the workloads.

use super::provenance::Provenance;
use crate::history::{Invocation, OpDone, OpEvent, OpKind, Outcome};
use dynamo_model::actor::ClientApi;
use dynamo_model::coordinator::Completion;
use dynamo_model::msg::{Host, Key, ReqId};
use dynamo_model::version::{Context, Versions, WriteId};
use sim_core::dist::Dist;
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Timer id of the next probe start; delayed reads use `READ_BASE + probe number`.
const START: u64 = 0;
const READ_BASE: u64 = 1;

/// The API the probe client acts through.
type Api<'a, 'c, 'x, P> = &'a mut ClientApi<'c, 'x, P, OpEvent>;

#[derive(Clone, Debug)]
struct Probe {
    key: Key,
    write: Arc<Provenance>,
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
        }
    }

    /// Schedules the first probe.
    pub fn start<P: Host>(&mut self, api: Api<'_, '_, '_, P>) {
        let gap = api.rng().exp(1.0 / self.rate_per_s);
        api.set_timer(SimDuration::from_secs_f64(gap), START);
    }

    /// Starts a probe, or reads one whose delay has passed.
    pub fn on_timer<P: Host>(&mut self, api: Api<'_, '_, '_, P>, id: u64) {
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
            // Every probe key is written once: its write is the key's write 0, with no past.
            let prov = Arc::new(Provenance {
                write,
                key,
                seq: 0,
                client: self.me,
                kind: OpKind::ProbeWrite,
                invoked: now,
                ..Provenance::default()
            });
            let req = api.put(key, Context::empty(), prov.into_value(self.value_bytes, false), None);
            self.invoked(api, req, OpKind::ProbeWrite, key, Some(prov.clone()));
            self.inflight.insert(req, Probe { key, write: prov, invoked: now, kind: OpKind::ProbeWrite });
        } else if let Some(mut p) = self.waiting.remove(&id) {
            p.invoked = now;
            p.kind = OpKind::ProbeRead;
            let req = api.get(p.key);
            self.invoked(api, req, OpKind::ProbeRead, p.key, None);
            self.inflight.insert(req, p);
        }
    }

    /// Tells the observer an operation started.
    fn invoked<P: Host>(
        &self,
        api: Api<'_, '_, '_, P>,
        req: ReqId,
        kind: OpKind,
        key: Key,
        write: Option<Arc<Provenance>>,
    ) {
        if api.observed() {
            let at = api.observe_time();
            api.record(OpEvent::Invoked(Invocation { client: self.me, req, kind, key, at, write }));
        }
    }

    /// A probe's write or read finished.
    pub fn on_completion<P: Host>(&mut self, api: Api<'_, '_, '_, P>, done: Completion) {
        let now = api.observe_time();
        let (req, result, read) = match done {
            Completion::Get { req, result } => match result {
                Ok(g) => (req, Ok(()), Some(g.versions)),
                Err(e) => (req, Err(e), None),
            },
            Completion::Put { req, result } => (req, result, None),
        };
        let Some(p) = self.inflight.remove(&req) else { return };
        if p.kind == OpKind::ProbeWrite && result.is_ok() {
            let delay = self.delay_ms.sample_duration_ms(api.rng());
            let id = READ_BASE + p.key - self.key_base;
            api.set_timer(delay, id);
            self.waiting.insert(id, p.clone());
        }
        self.record(api, req, &p, now, Outcome::of(result), read);
    }

    fn record<P: Host>(
        &self,
        api: Api<'_, '_, '_, P>,
        req: ReqId,
        p: &Probe,
        now: SimTime,
        outcome: Outcome,
        read: Option<Versions>,
    ) {
        if !api.observed() {
            return;
        }
        let is_read = p.kind == OpKind::ProbeRead;
        api.record(OpEvent::Done(Box::new(OpDone {
            client: self.me,
            group: self.group,
            req,
            kind: p.kind,
            key: p.key,
            invoked: p.invoked,
            completed: now,
            outcome,
            write: (!is_read).then(|| p.write.clone()),
            read,
            own_write: None,
            probe_of: is_read.then_some(p.write.write),
            fastest: None,
        })));
    }
}
