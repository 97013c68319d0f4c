//! The operation mix: which kind of operation each arrival performs.
//!
//! An [`OpMix`] (plain data from the scenario file) holds one non-negative weight per
//! [`OpKind`]; a [`MixSampler`] picks kinds with probability proportional to their weights, using
//! exactly one `u01` draw per pick whatever the weights (so changing the mix never shifts the
//! draws of what follows).

use crate::error::SpecError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::SimRng;

/// The kind of operation an arrival performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    /// Read a key.
    Get,
    /// Blind write of a key.
    Put,
    /// Delete a key (a tombstone write).
    Delete,
    /// Read a key, merge its siblings, modify it and write it back with the read's context.
    ReadModifyWrite,
}

impl OpKind {
    /// Every kind, in the order the sampler lays out their weights.
    pub const ALL: [OpKind; 4] = [OpKind::Get, OpKind::Put, OpKind::Delete, OpKind::ReadModifyWrite];

    /// The snake_case name, as the weight's field is called in [`OpMix`].
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Put => "put",
            OpKind::Delete => "delete",
            OpKind::ReadModifyWrite => "read_modify_write",
        }
    }
}

/// Relative weights of the operation kinds. Probabilities are the weights divided by their sum.
///
/// When the whole mix is omitted it is half `get`, half `put` ([`OpMix::default`]); when it is
/// given, an omitted weight is 0, so `{"get": 1}` means gets only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct OpMix {
    /// Relative weight of reads (dimensionless). Finite and >= 0. Default 0 when the mix is
    /// given (0.5 when the whole mix is omitted).
    #[serde(default)]
    pub get: f64,
    /// Relative weight of blind writes (dimensionless). Finite and >= 0. Default 0 when the mix
    /// is given (0.5 when the whole mix is omitted).
    #[serde(default)]
    pub put: f64,
    /// Relative weight of deletes (dimensionless). Finite and >= 0. Default 0.
    #[serde(default)]
    pub delete: f64,
    /// Relative weight of read-modify-writes (dimensionless). Finite and >= 0. Default 0.
    #[serde(default)]
    pub read_modify_write: f64,
}

impl Default for OpMix {
    /// Half gets, half puts.
    fn default() -> Self {
        OpMix { get: 0.5, put: 0.5, delete: 0.0, read_modify_write: 0.0 }
    }
}

impl OpMix {
    /// The weights in [`OpKind::ALL`] order.
    pub fn weights(&self) -> [f64; 4] {
        [self.get, self.put, self.delete, self.read_modify_write]
    }

    /// Checks that every weight is finite and >= 0, that at least one is positive, and that
    /// they sum to a finite number. Paths are relative to the mix (e.g. `put`).
    pub fn validate(&self) -> Result<(), SpecError> {
        for (kind, w) in OpKind::ALL.into_iter().zip(self.weights()) {
            if !(w.is_finite() && w >= 0.0) {
                return Err(SpecError::new(
                    kind.name(),
                    format!("the weight of {} must be a finite number >= 0, got {w}", kind.name()),
                    format!("set {} to 0 (never) or a positive relative weight such as 0.5", kind.name()),
                ));
            }
        }
        let total: f64 = self.weights().iter().sum();
        if total <= 0.0 {
            return Err(SpecError::new(
                "",
                "every operation weight is 0, so no operation could ever be chosen",
                "give at least one of get, put, delete, read_modify_write a positive weight, e.g. {\"get\": 0.5, \"put\": 0.5}",
            ));
        }
        if !total.is_finite() {
            return Err(SpecError::new(
                "",
                format!("the operation weights sum to {total}, which is not finite"),
                "scale the weights down, e.g. to fractions that sum to 1",
            ));
        }
        Ok(())
    }
}

/// Picks operation kinds from a validated [`OpMix`]. Allocation-free.
#[derive(Clone, Debug, PartialEq)]
pub struct MixSampler {
    /// `cum[i]`: probability of picking a kind at index `<= i` of [`OpKind::ALL`].
    cum: [f64; 4],
    /// The last kind with a positive weight: the pick when rounding leaves `u` above every bound.
    last: OpKind,
}

impl MixSampler {
    /// Validates `mix` and prepares the sampler.
    pub fn new(mix: &OpMix) -> Result<MixSampler, SpecError> {
        mix.validate()?;
        let w = mix.weights();
        let total: f64 = w.iter().sum();
        let mut cum = [0.0; 4];
        let mut acc = 0.0;
        let mut last = OpKind::Get;
        for (i, (&wi, kind)) in w.iter().zip(OpKind::ALL).enumerate() {
            acc += wi;
            cum[i] = acc / total;
            if wi > 0.0 {
                last = kind;
            }
        }
        Ok(MixSampler { cum, last })
    }

    /// The next operation kind. Takes exactly one `u01` draw; kinds with weight 0 are never
    /// picked.
    pub fn pick(&mut self, rng: &mut SimRng) -> OpKind {
        let u = rng.u01();
        // A kind with weight 0 has the same bound as the one before it, so `u < bound` never
        // selects it first.
        OpKind::ALL.into_iter().zip(self.cum).find(|&(_, bound)| u < bound).map_or(self.last, |(kind, _)| kind)
    }

    /// The probability of each kind, in [`OpKind::ALL`] order.
    pub fn probabilities(&self) -> [f64; 4] {
        let mut p = self.cum;
        for i in (1..4).rev() {
            p[i] -= p[i - 1];
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mix(get: f64, put: f64, delete: f64, read_modify_write: f64) -> OpMix {
        OpMix { get, put, delete, read_modify_write }
    }

    fn counts(m: &OpMix, n: usize, seed: u64) -> [usize; 4] {
        let mut s = MixSampler::new(m).unwrap();
        let mut rng = SimRng::stream(seed, "mix");
        let mut c = [0usize; 4];
        for _ in 0..n {
            let k = s.pick(&mut rng);
            c[OpKind::ALL.iter().position(|&x| x == k).unwrap()] += 1;
        }
        c
    }

    #[test]
    fn mix_frequencies_match_the_weights() {
        let m = mix(3.0, 1.0, 0.5, 0.5);
        let n = 200_000;
        let c = counts(&m, n, 1);
        let total = 5.0;
        for (i, w) in m.weights().into_iter().enumerate() {
            let p = w / total;
            // Binomial count: standard deviation sqrt(n p (1-p)); 5 sigma keeps the false-alarm
            // rate of this fixed-seed check below 1e-6 per kind.
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            let dev = (c[i] as f64 - n as f64 * p).abs();
            assert!(dev < 5.0 * sd, "{:?}: {} vs {}", OpKind::ALL[i], c[i], n as f64 * p);
        }
    }

    #[test]
    fn mix_zero_weights_are_never_picked() {
        let c = counts(&mix(0.0, 0.0, 2.0, 0.0), 10_000, 2);
        assert_eq!(c, [0, 0, 10_000, 0]);
        let c = counts(&mix(1.0, 0.0, 0.0, 1e-300), 10_000, 3);
        assert_eq!(c[1] + c[2], 0);
    }

    #[test]
    fn mix_default_is_half_gets_half_puts() {
        let s = MixSampler::new(&OpMix::default()).unwrap();
        assert_eq!(s.probabilities(), [0.5, 0.5, 0.0, 0.0]);
    }

    #[test]
    fn mix_pick_takes_exactly_one_draw() {
        let mut s = MixSampler::new(&mix(0.0, 1.0, 0.0, 0.0)).unwrap();
        let mut a = SimRng::stream(4, "x");
        let mut b = SimRng::stream(4, "x");
        s.pick(&mut a);
        b.u01();
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn mix_bad_weights_name_the_field_and_a_fix() {
        let e = MixSampler::new(&mix(1.0, -1.0, 0.0, 0.0)).unwrap_err();
        assert_eq!(e.path, "put");
        assert!(e.message.contains("-1") && !e.fix.is_empty());
        let e = MixSampler::new(&mix(0.0, 0.0, f64::NAN, 0.0)).unwrap_err();
        assert_eq!(e.path, "delete");
        let e = MixSampler::new(&mix(0.0, 0.0, 0.0, 0.0)).unwrap_err();
        assert_eq!(e.path, "");
        assert!(e.fix.contains("get"));
        let e = MixSampler::new(&mix(f64::MAX, f64::MAX, 0.0, 0.0)).unwrap_err();
        assert!(e.message.contains("not finite"));
        let e = MixSampler::new(&mix(0.0, 0.0, 0.0, f64::INFINITY)).unwrap_err();
        assert_eq!(e.path, "read_modify_write");
    }

    #[test]
    fn mix_serde_defaults_and_unknown_fields() {
        let m: OpMix = serde_json::from_str(r#"{"get": 1}"#).unwrap();
        assert_eq!(m, mix(1.0, 0.0, 0.0, 0.0));
        let m: OpMix = serde_json::from_str(r#"{"read_modify_write": 2, "delete": 1}"#).unwrap();
        assert_eq!(m, mix(0.0, 0.0, 1.0, 2.0));
        assert!(serde_json::from_str::<OpMix>(r#"{"gets": 1}"#).is_err());
        let back: OpMix = serde_json::from_str(&serde_json::to_string(&OpMix::default()).unwrap()).unwrap();
        assert_eq!(back, OpMix::default());
        let schema = serde_json::to_string(&schemars::schema_for!(OpMix)).unwrap();
        assert!(schema.contains("read-modify-writes") && schema.contains("additionalProperties"));
    }

    proptest! {
        #[test]
        fn mix_fuzz_never_panics(ws in prop::array::uniform4(prop_oneof![
            4 => 0.0..10.0f64, 1 => Just(0.0), 1 => Just(f64::NAN), 1 => Just(f64::INFINITY),
            1 => Just(-1.0), 1 => Just(f64::MAX), 1 => Just(1e-320), 1 => any::<f64>()]),
            seed in any::<u64>()) {
            let m = mix(ws[0], ws[1], ws[2], ws[3]);
            if let Ok(mut s) = MixSampler::new(&m) {
                let mut rng = SimRng::stream(seed, "mix");
                for _ in 0..50 {
                    let k = s.pick(&mut rng);
                    let i = OpKind::ALL.iter().position(|&x| x == k).unwrap();
                    prop_assert!(ws[i] > 0.0, "picked {k:?} with weight {}", ws[i]);
                }
            }
        }
    }
}
