//! The scenario library shipped with dynsim (`scenarios/examples/`), embedded in the binary so
//! `dynsim list` and `dynsim run NAME` work from any directory.

/// Every shipped scenario: (name, JSON text). The first is the default `dynsim run` runs.
pub const EXAMPLES: &[(&str, &str)] = &[("default", include_str!("../examples/default.json"))];

/// The shipped scenario called `name`.
pub fn find(name: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
