//! The application a client process runs: a workload client or the probe client.

use crate::history::OpEvent;
use crate::workload::client::WorkloadClient;
use crate::workload::probe::ProbeClient;
use dynamo_model::actor::{App, ClientApi};
use dynamo_model::coordinator::Completion;
use dynamo_model::msg::Host;

/// A client process's application.
#[derive(Clone, Debug)]
pub enum ClientApp {
    /// A member of a workload group.
    Workload(Box<WorkloadClient>),
    /// The staleness probe client.
    Probe(Box<ProbeClient>),
}

impl App for ClientApp {
    type Record = OpEvent;

    fn start<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpEvent>) {
        match self {
            ClientApp::Workload(w) => w.start(api),
            ClientApp::Probe(p) => p.start(api),
        }
    }

    fn on_completion<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpEvent>, done: Completion) {
        match self {
            ClientApp::Workload(w) => w.on_completion(api, done),
            ClientApp::Probe(p) => p.on_completion(api, done),
        }
    }

    fn on_timer<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpEvent>, id: u64) {
        match self {
            ClientApp::Workload(w) => w.on_timer(api, id),
            ClientApp::Probe(p) => p.on_timer(api, id),
        }
    }
}
