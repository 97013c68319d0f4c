//! The process type a Dynamo world runs: a storage node, or a client process in which an
//! application (a workload, a test) drives the client library.
//!
//! The application sees the client library through a [`ClientApi`]: it issues gets and puts,
//! sets its own timers, and is told of each [`Completion`]. Completions that happen at once
//! (an unreachable cluster) are queued and delivered after the application's handler returns,
//! so the application never re-enters itself.
//!
//! The application may keep records of what it did (a workload's operations): it hands them
//! to [`ClientApi::record`], and they reach the world's observer as [`Note::App`] notes, next
//! to the model's own [`ModelNote`]s.

use crate::NodeId;
use crate::client::{Client, ClientConfig};
use crate::config::DynamoConfig;
use crate::coordinator::Completion;
use crate::counters::Counter;
use crate::membership::RingRecipe;
use crate::msg::{Host, Key, ModelNote, Msg, ReqId, StoreKey, StoreRecord, Timer};
use crate::node::Node;
use crate::ring::Ring;
use crate::version::{Context, Value};
use sim_core::{Boot, Ctx, ProcId, Process, SimDuration, SimRng, SimTime, TimerId};
use std::collections::VecDeque;
use std::sync::Arc;

/// An application running in a client process.
pub trait App {
    /// What the application tells the observer about its work (e.g. one record per operation).
    type Record: Clone + std::fmt::Debug;
    /// The client process started.
    fn start<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, Self::Record>);
    /// A get or put finished.
    fn on_completion<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, Self::Record>, done: Completion);
    /// One of the application's own timers fired.
    fn on_timer<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, Self::Record>, id: u64);
}

/// What a process of a Dynamo world tells the observer: the model's notes and the client
/// application's records.
#[derive(Clone, Debug, PartialEq)]
pub enum Note<R> {
    /// A node's or client library's note.
    Model(ModelNote),
    /// A client application's record.
    App(R),
}

impl<R> From<ModelNote> for Note<R> {
    fn from(n: ModelNote) -> Self {
        Note::Model(n)
    }
}

/// What an application can do with its client library.
pub struct ClientApi<'c, 'x, P: Host, R> {
    lib: &'c mut Client,
    ctx: &'c mut Ctx<'x, P>,
    ready: VecDeque<Completion>,
    records: &'c mut Vec<R>,
}

impl<P: Host, R> ClientApi<'_, '_, P, R> {
    /// Whether an observer reads the application's records (build them only then).
    pub fn observed(&self) -> bool {
        self.ctx.observed()
    }
    /// Hands a record to the observer (dropped when none is installed).
    pub fn record(&mut self, r: R) {
        if self.ctx.observed() {
            self.records.push(r);
        }
    }
    /// This client's process id.
    pub fn me(&self) -> ProcId {
        self.ctx.me()
    }
    /// The client's local clock.
    pub fn now(&self) -> SimTime {
        self.ctx.now()
    }
    /// True time, for the application's measurements only (its history); see
    /// [`Ctx::observe_time`].
    pub fn observe_time(&self) -> SimTime {
        self.ctx.observe_time()
    }
    /// The client's random stream.
    pub fn rng(&mut self) -> &mut SimRng {
        self.ctx.rng()
    }
    /// Starts a get.
    pub fn get(&mut self, key: Key) -> ReqId {
        let (req, done) = self.lib.get(self.ctx, key);
        self.ready.extend(done);
        req
    }
    /// Starts a put with a context and a preferred coordinator (from an earlier get).
    pub fn put(&mut self, key: Key, context: Context, value: Value, preferred: Option<NodeId>) -> ReqId {
        let (req, done) = self.lib.put(self.ctx, key, context, value, preferred);
        self.ready.extend(done);
        req
    }
    /// Sets an application timer.
    pub fn set_timer(&mut self, after: SimDuration, id: u64) -> TimerId {
        self.ctx.set_timer(after, Timer::App(id))
    }
    /// Cancels an application timer.
    pub fn cancel(&mut self, timer: TimerId) -> bool {
        self.ctx.cancel(timer)
    }
    /// The client library (for its counters).
    pub fn library(&self) -> &Client {
        self.lib
    }
}

/// A client process: the library and the application using it.
#[derive(Clone, Debug)]
pub struct ClientProc<A: App> {
    lib: Client,
    app: A,
    /// The application's records of the event being handled, on their way to the observer.
    records: Vec<A::Record>,
}

impl<A: App> ClientProc<A> {
    /// The application.
    pub fn app(&self) -> &A {
        &self.app
    }
    /// The client library.
    pub fn library(&self) -> &Client {
        &self.lib
    }

    fn run(
        &mut self,
        ctx: &mut Ctx<'_, Actor<A>>,
        first: impl FnOnce(&mut A, &mut ClientApi<'_, '_, Actor<A>, A::Record>),
    ) {
        let mut api = ClientApi { lib: &mut self.lib, ctx, ready: VecDeque::new(), records: &mut self.records };
        first(&mut self.app, &mut api);
        while let Some(done) = api.ready.pop_front() {
            self.app.on_completion(&mut api, done);
        }
        for r in self.records.drain(..) {
            ctx.note(Note::App(r));
        }
    }
}

/// A process of a Dynamo world.
#[derive(Clone, Debug)]
pub enum Actor<A: App> {
    /// A storage node.
    Node(Box<Node>),
    /// A client process.
    Client(Box<ClientProc<A>>),
}

impl<A: App> Actor<A> {
    /// The storage node, if this is one.
    pub fn as_node(&self) -> Option<&Node> {
        match self {
            Actor::Node(n) => Some(n),
            Actor::Client(_) => None,
        }
    }
    /// The client process, if this is one.
    pub fn as_client(&self) -> Option<&ClientProc<A>> {
        match self {
            Actor::Client(c) => Some(c),
            Actor::Node(_) => None,
        }
    }
}

impl<A: App> Process for Actor<A> {
    type Msg = Msg;
    type Timer = Timer;
    type DiskKey = StoreKey;
    type DiskValue = StoreRecord;
    type Counter = Counter;
    type Note = Note<A::Record>;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: ProcId, msg: Msg) {
        match self {
            Actor::Node(n) => n.on_message(ctx, from, msg),
            Actor::Client(c) => {
                let done = c.lib.on_message(ctx, from, msg);
                c.run(ctx, |app, api| {
                    if let Some(d) = done {
                        app.on_completion(api, d);
                    }
                });
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match self {
            Actor::Node(n) => n.on_timer(ctx, timer),
            Actor::Client(c) => match timer {
                Timer::App(id) => c.run(ctx, |app, api| app.on_timer(api, id)),
                other => {
                    let done = c.lib.on_timer(ctx, other);
                    c.run(ctx, |app, api| {
                        if let Some(d) = done {
                            app.on_completion(api, d);
                        }
                    });
                }
            },
        }
    }
}

/// Boots a cluster: processes `0..nodes` are storage nodes, the rest clients whose
/// applications `make_app` builds (called again when a client restarts).
pub struct ClusterBoot<F> {
    /// Dynamo settings.
    pub cfg: Arc<DynamoConfig>,
    /// Client library settings.
    pub client: ClientConfig,
    /// The initial ring: `recipe.build` of the initial members.
    pub ring: Arc<Ring>,
    /// How every node and client-driven client builds rings from membership views.
    pub recipe: RingRecipe,
    /// Number of storage processes: the initial ring members and any spares (nodes that start
    /// outside the ring and may join it later).
    pub nodes: usize,
    /// Builds a client's application.
    pub make_app: F,
}

impl<A: App, F: FnMut(ProcId) -> A> Boot<Actor<A>> for ClusterBoot<F> {
    fn boot(&mut self, id: ProcId, ctx: &mut Ctx<'_, Actor<A>>) -> Actor<A> {
        if id.index() < self.nodes {
            return Actor::Node(Box::new(Node::boot(ctx, self.cfg.clone(), self.ring.clone(), self.recipe)));
        }
        let lib = Client::new(ctx, self.cfg.clone(), self.client.clone(), self.ring.clone(), self.recipe);
        let mut proc = ClientProc { lib, app: (self.make_app)(id), records: Vec::new() };
        proc.run(ctx, |app, api| app.start(api));
        Actor::Client(Box::new(proc))
    }
}
