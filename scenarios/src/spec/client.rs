//! The `client` section of a scenario: the client library's settings as the file spells them,
//! and their conversion to the model's [`dynamo_model::client::ClientConfig`].

use dynamo_model::client as model;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

/// How a server-driven client picks the node it sends a request to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// A generic load balancer: a uniformly random node.
    #[default]
    LoadBalancer,
    /// A partition-aware library: the first top-N node not believed down.
    PartitionAware,
}

/// Client library settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClientConfig {
    /// Request routing in server-driven modes. Default: load balancer.
    pub routing: Routing,
    /// Give up on a request after this many milliseconds. Default 1000.
    pub timeout_ms: f64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig { routing: Routing::LoadBalancer, timeout_ms: 1000.0 }
    }
}

impl ClientConfig {
    /// The model's client settings: the timeout as a [`SimDuration`] (truncated to whole
    /// nanoseconds). Validation checks the timeout first.
    pub fn to_model(&self) -> model::ClientConfig {
        let routing = match self.routing {
            Routing::LoadBalancer => model::Routing::LoadBalancer,
            Routing::PartitionAware => model::Routing::PartitionAware,
        };
        model::ClientConfig { routing, timeout: SimDuration::from_millis_f64(self.timeout_ms) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_convert_to_the_models_defaults() {
        assert_eq!(ClientConfig::default().to_model(), model::ClientConfig::default());
        let aware = ClientConfig { routing: Routing::PartitionAware, timeout_ms: 2.5 };
        let m = aware.to_model();
        assert_eq!((m.routing, m.timeout), (model::Routing::PartitionAware, SimDuration::from_micros(2500)));
    }
}
