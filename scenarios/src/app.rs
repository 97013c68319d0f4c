//! The application a client process runs: a workload client or the probe client.

use crate::history::OpRecord;
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

impl ClientApp {
    /// The operations this client finished.
    pub fn history(&self) -> &[OpRecord] {
        match self {
            ClientApp::Workload(w) => w.history(),
            ClientApp::Probe(p) => p.history(),
        }
    }
}

impl App for ClientApp {
    type Record = OpRecord;

    fn start<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>) {
        match self {
            ClientApp::Workload(w) => w.start(api),
            ClientApp::Probe(p) => p.start(api),
        }
    }

    fn on_completion<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, done: Completion) {
        match self {
            ClientApp::Workload(w) => w.on_completion(api, done),
            ClientApp::Probe(p) => p.on_completion(api, done),
        }
    }

    fn on_timer<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, id: u64) {
        match self {
            ClientApp::Workload(w) => w.on_timer(api, id),
            ClientApp::Probe(p) => p.on_timer(api, id),
        }
    }
}
