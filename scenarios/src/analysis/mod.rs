//! Analysis of a finished run: the causal order of writes as clients saw it, and inspection of
//! replica state. Metrics and checkers are built on these.
pub mod causal;
pub mod inspect;
