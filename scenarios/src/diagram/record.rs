//! [`KeyOps`]: the observer of the diagram's re-run, which records one key's operations (and
//! which of them are still in flight) so the window can be chosen from them. O(operations on the
//! key) memory, for one key, in a run that stops once the window is settled.

use crate::app::ClientApp;
use crate::assemble::Assembly;
use crate::history::{OpEvent, OpRecord};
use dynamo_model::actor::{Actor, Note};
use sim_core::SimTime;
use sim_core::observe::{Observation, Observer};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One key's operations in a run.
#[derive(Debug, Default)]
pub struct KeyOps {
    key: u64,
    /// Completed operations, in completion order.
    done: Vec<OpRecord>,
    /// Operations in flight: (client, request) → invocation time.
    in_flight: BTreeMap<(u32, u64), SimTime>,
}

impl KeyOps {
    /// Installs a recorder of `key`'s operations in `asm`'s world; the handle reads it.
    pub fn install(asm: &mut Assembly, key: u64) -> Rc<RefCell<KeyOps>> {
        let shared = Rc::new(RefCell::new(KeyOps { key, ..KeyOps::default() }));
        asm.world.set_observer(Box::new(Handle(shared.clone())));
        shared
    }

    /// The completed operations, sorted by invocation, client and completion.
    pub fn sorted(&self) -> Vec<OpRecord> {
        let mut ops = self.done.clone();
        ops.sort_by_key(|r| (r.invoked, r.client, r.completed));
        ops
    }

    /// Whether an operation invoked at or before `t` is still in flight.
    pub fn in_flight_invoked_by(&self, t: SimTime) -> bool {
        self.in_flight.values().any(|at| *at <= t)
    }
}

struct Handle(Rc<RefCell<KeyOps>>);

impl Observer<Actor<ClientApp>> for Handle {
    fn observe(&mut self, ev: &Observation<'_, Actor<ClientApp>>) {
        let mut k = self.0.borrow_mut();
        for note in ev.notes {
            match note {
                Note::App(OpEvent::Invoked(i)) if i.key == k.key => {
                    k.in_flight.insert((i.client, i.req), i.at);
                }
                Note::App(OpEvent::Done(d)) if d.key == k.key => {
                    k.in_flight.remove(&(d.client, d.req));
                    k.done.push(d.to_record());
                }
                _ => {}
            }
        }
    }
}
