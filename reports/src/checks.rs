//! Checker verdicts as they appear in `report.json` (the checkers themselves live in the
//! scenarios crate, which has the history).

use serde::{Deserialize, Serialize};

/// One violation of an invariant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The key.
    pub key: u64,
    /// The operations involved, described.
    pub ops: Vec<String>,
    /// When it first shows, in seconds of simulated time.
    pub at_s: f64,
    /// What is wrong.
    pub detail: String,
}

impl Violation {
    /// The order examples are reported in: earliest first, then by key, operations and detail
    /// (a total order, so examples never depend on the order violations were found in).
    pub fn order(a: &Violation, b: &Violation) -> std::cmp::Ordering {
        a.at_s
            .total_cmp(&b.at_s)
            .then(a.key.cmp(&b.key))
            .then_with(|| a.ops.cmp(&b.ops))
            .then_with(|| a.detail.cmp(&b.detail))
    }
}

/// A checker's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    /// Checked and kept.
    Pass,
    /// Checked and broken.
    Fail {
        /// Number of violations.
        violations: u64,
        /// The earliest few violations.
        examples: Vec<Violation>,
    },
    /// The scenario's configuration does not promise this invariant.
    NotApplicable {
        /// Why.
        reason: String,
    },
}

/// One invariant's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The invariant's name.
    pub invariant: String,
    /// The verdict.
    #[serde(flatten)]
    pub status: Status,
}

impl Verdict {
    /// True when the invariant was broken.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Fail { .. })
    }

    /// A verdict from a list of violations: pass when empty, else the earliest five by
    /// [`Violation::order`].
    pub fn from_violations(invariant: &str, mut v: Vec<Violation>) -> Verdict {
        let invariant = invariant.to_string();
        if v.is_empty() {
            return Verdict { invariant, status: Status::Pass };
        }
        v.sort_by(Violation::order);
        let violations = v.len() as u64;
        v.truncate(5);
        Verdict { invariant, status: Status::Fail { violations, examples: v } }
    }

    /// A not-applicable verdict.
    pub fn not_applicable(invariant: &str, reason: impl Into<String>) -> Verdict {
        Verdict { invariant: invariant.to_string(), status: Status::NotApplicable { reason: reason.into() } }
    }
}
