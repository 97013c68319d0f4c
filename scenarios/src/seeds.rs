//! Seed sets as written on the command line (`check --seeds`, `sweep --seeds`) and in a
//! scenario's `sweep.seeds`: one parser, one meaning, one limit.
//!
//! Syntax: an inclusive range `A..B` (the seeds A, A+1, …, B; `A..=B` means the same), a comma
//! list `a,b,c`, or one number. A set holds at most [`MAX_SEEDS`] seeds. A range is kept as
//! its two ends and iterated lazily, so no argument can make dynsim allocate unboundedly.

use std::fmt;

/// The most seeds one command runs (`check --seeds`, `sweep --seeds`): 1,000,000. A guard
/// against typos such as `0..18446744073709551615`; split a larger campaign into several
/// commands.
pub const MAX_SEEDS: u64 = 1_000_000;

/// How to write seeds, for messages.
pub const SYNTAX: &str = "write an inclusive range A..B (e.g. 1..20, the same as 1..=20), a list 1,5,9, or one number";

/// Seeds to run, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeedSet {
    /// `first..=last`, with `first <= last`.
    Range {
        /// The first seed.
        first: u64,
        /// The last seed (included).
        last: u64,
    },
    /// Seeds listed one by one, each once.
    List(Vec<u64>),
}

/// Seeds that cannot be used: what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SeedError {
    /// What is wrong, quoting the text.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl SeedError {
    fn new(message: String, fix: &str) -> Self {
        SeedError { message, fix: fix.to_string() }
    }
}

impl SeedSet {
    /// Parses `A..B`, `A..=B` (both inclusive), `a,b,c` or one number.
    pub fn parse(text: &str) -> Result<SeedSet, SeedError> {
        let num = |s: &str| {
            let s = s.trim();
            s.parse::<u64>().map_err(|_| {
                let what = if s.is_empty() { "nothing".to_string() } else { format!("`{s}`") };
                SeedError::new(format!("{what} is not a seed (a whole number from 0 to {})", u64::MAX), SYNTAX)
            })
        };
        if let Some((a, b)) = text.split_once("..") {
            let (first, last) = (num(a)?, num(b.strip_prefix('=').unwrap_or(b))?);
            if first > last {
                return Err(SeedError::new(
                    format!("the range `{}` is empty (its first seed is after its last)", text.trim()),
                    "write A..B with A <= B; both ends are included",
                ));
            }
            let set = SeedSet::Range { first, last };
            return set.within_limit(text);
        }
        let list: Vec<u64> = text.split(',').map(num).collect::<Result<_, _>>()?;
        let mut sorted = list.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(SeedError::new(format!("seed {} is listed twice", w[0]), "list each seed once"));
        }
        SeedSet::List(list).within_limit(text)
    }

    fn within_limit(self, text: &str) -> Result<SeedSet, SeedError> {
        if self.len() > MAX_SEEDS {
            let n = match &self {
                SeedSet::Range { first, last } => (u128::from(*last) - u128::from(*first) + 1).to_string(),
                SeedSet::List(v) => v.len().to_string(),
            };
            return Err(SeedError::new(
                format!("`{}` is {n} seeds, more than the {MAX_SEEDS} one command runs", text.trim()),
                "run fewer seeds per command, e.g. 1..1000000 and then 1000001..2000000",
            ));
        }
        Ok(self)
    }

    /// The number of seeds (saturating at `u64::MAX` for the one range too long to count,
    /// `0..=u64::MAX`, which [`SeedSet::parse`] refuses anyway).
    pub fn len(&self) -> u64 {
        match self {
            SeedSet::Range { first, last } => (last - first).saturating_add(1),
            SeedSet::List(v) => v.len() as u64,
        }
    }

    /// Whether the set is empty (never, for a parsed set).
    pub fn is_empty(&self) -> bool {
        matches!(self, SeedSet::List(v) if v.is_empty())
    }

    /// The seeds in order, one at a time.
    pub fn iter(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            SeedSet::Range { first, last } => Box::new(*first..=*last),
            SeedSet::List(v) => Box::new(v.iter().copied()),
        }
    }
}

impl fmt::Display for SeedSet {
    /// The set as it would be written: `A..=B` for a range, `a,b,c` for a list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedSet::Range { first, last } => write!(f, "{first}..={last}"),
            SeedSet::List(v) => {
                let items: Vec<String> = v.iter().map(u64::to_string).collect();
                write!(f, "{}", items.join(","))
            }
        }
    }
}

/// The clap value parser of `--seeds`: the message names the problem and the fix (clap adds
/// the flag and the value).
pub fn parse_arg(text: &str) -> Result<SeedSet, String> {
    SeedSet::parse(text).map_err(|e| format!("{}\n  fix: {}", e.message, e.fix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds(text: &str) -> Vec<u64> {
        SeedSet::parse(text).unwrap_or_else(|e| panic!("{text}: {e}")).iter().collect()
    }

    #[test]
    fn ranges_include_both_ends_with_or_without_the_equals_sign() {
        assert_eq!(seeds("1..4"), [1, 2, 3, 4]);
        assert_eq!(seeds("1..=4"), [1, 2, 3, 4]);
        assert_eq!(seeds(" 7 .. 7 "), [7]);
        assert_eq!(seeds("5"), [5]);
        assert_eq!(seeds("7,2,9"), [7, 2, 9]);
        assert_eq!(SeedSet::parse("1..4").unwrap().len(), 4);
        assert_eq!(SeedSet::parse("1..4").unwrap().to_string(), "1..=4");
    }

    #[test]
    fn the_limit_is_exact_and_huge_ranges_are_refused_without_allocating() {
        let at_limit = format!("1..{MAX_SEEDS}");
        assert_eq!(SeedSet::parse(&at_limit).unwrap().len(), MAX_SEEDS);
        let over = format!("0..{MAX_SEEDS}");
        assert!(SeedSet::parse(&over).unwrap_err().message.contains("more than the 1000000"), "{over}");
        let e = SeedSet::parse("0..18446744073709551615").unwrap_err();
        assert!(e.message.contains("18446744073709551616 seeds"), "{e:?}");
        let top = SeedSet::parse("18446744073709551615..=18446744073709551615").unwrap();
        assert_eq!(top.iter().collect::<Vec<_>>(), [u64::MAX], "the last seed iterates without overflow");
    }

    #[test]
    fn bad_seed_text_is_refused_with_a_fix() {
        let cases = [
            ("5..3", "the range `5..3` is empty"),
            ("a", "`a` is not a seed"),
            ("1..", "nothing is not a seed"),
            ("-1", "`-1` is not a seed"),
            ("1,1", "seed 1 is listed twice"),
            ("1,,2", "nothing is not a seed"),
            ("18446744073709551616", "is not a seed"),
        ];
        for (text, says) in cases {
            let e = SeedSet::parse(text).expect_err(text);
            assert!(e.message.contains(says), "{text}: {}", e.message);
            assert!(!e.fix.is_empty(), "{text}");
        }
    }
}
