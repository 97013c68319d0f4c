//! PBS Table 3's fitted latency distributions as named presets for the four replica legs
//! (`wars.legs`), and the network a scenario runs with once its preset is applied.
//!
//! Source: Bailis et al., "Probabilistically Bounded Staleness for Practical Partial Quorums",
//! VLDB 2012, Table 3 ("Distribution fits for production latency distributions"), as written in
//! the authors' paper sources (github.com/pbailis/pbs-vldb-historical-paper-material,
//! `writeup/ernst.tex`, table `table:fits`); WAN as described in §5 of the same text. The
//! authors' simulator there (`nrw_solver/src/Simulator.java`) draws YMMR's W Pareto with
//! α = 3.5, not the table's 3.35; the preset follows the table.

use crate::spec::Scenario;
use crate::spec::wars::LegsPreset;
use sim_core::dist::{DistSpec, MixtureComponent};
use sim_core::net::{KindLatency, NetConfig};
use sim_core::topology::LinkClass;

/// The four replica legs' message kinds, in WARS order: W, A, R, S.
pub const LEG_KINDS: [&str; 4] = ["replica_write", "replica_write_ack", "replica_read", "replica_read_reply"];

/// PBS's WAN: every leg between datacenters takes this much longer, in ms.
pub const WAN_DELAY_MS: f64 = 75.0;

/// `weight` Pareto(xm, α) + (1 − weight) exponential(λ), in ms.
fn pareto_exponential(weight: f64, xm: f64, alpha: f64, lambda: f64) -> DistSpec {
    DistSpec::Mixture {
        components: vec![
            MixtureComponent { weight, dist: DistSpec::Pareto { scale: xm, shape: alpha } },
            MixtureComponent { weight: 1.0 - weight, dist: DistSpec::Exponential { mean: 1.0 / lambda } },
        ],
    }
}

/// LNKD-SSD's W = A = R = S.
pub fn lnkd_ssd() -> DistSpec {
    pareto_exponential(0.9122, 0.235, 10.0, 1.66)
}

/// LNKD-DISK's W.
pub fn lnkd_disk_w() -> DistSpec {
    pareto_exponential(0.38, 1.05, 1.51, 0.183)
}

/// YMMR's W (the table's α = 3.35).
pub fn ymmr_w() -> DistSpec {
    pareto_exponential(0.939, 3.0, 3.35, 0.0028)
}

/// YMMR's A = R = S.
pub fn ymmr_ars() -> DistSpec {
    pareto_exponential(0.982, 1.5, 3.8, 0.0217)
}

/// The preset's W, A, R and S on a link of `class`.
pub fn legs(preset: LegsPreset, class: LinkClass) -> [DistSpec; 4] {
    let [w, ars] = match preset {
        LegsPreset::LnkdSsd => [lnkd_ssd(), lnkd_ssd()],
        LegsPreset::LnkdDisk | LegsPreset::Wan => [lnkd_disk_w(), lnkd_ssd()],
        LegsPreset::Ymmr => [ymmr_w(), ymmr_ars()],
    };
    let legs = [w, ars.clone(), ars.clone(), ars];
    if preset == LegsPreset::Wan && class == LinkClass::CrossDatacenter {
        legs.map(|d| DistSpec::Shift { by: WAN_DELAY_MS, dist: Box::new(d) })
    } else {
        legs
    }
}

/// The network `s` runs with: `network`, with the preset's legs (if any) appended to
/// `by_kind`, one entry per leg and link class. Validation has refused a `by_kind` entry for a
/// leg the preset sets, so appending overrides nothing the file says.
pub fn network(s: &Scenario) -> NetConfig {
    let mut net = s.network.clone();
    if let Some(preset) = s.wars.as_ref().and_then(|w| w.legs) {
        for class in LinkClass::ALL {
            for (kind, dist) in LEG_KINDS.iter().zip(legs(preset, class)) {
                net.by_kind.push(KindLatency { kind: kind.to_string(), class: Some(class), latency_ms: dist });
            }
        }
    }
    net
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::dist::Dist;

    #[test]
    fn presets_have_table_3_means() {
        // Mixture mean = w·α·xm/(α−1) + (1−w)/λ.
        let mean = |d: DistSpec| Dist::new(&d).unwrap().mean().unwrap();
        let ssd = 0.9122 * 10.0 * 0.235 / 9.0 + 0.0878 / 1.66;
        assert!((mean(lnkd_ssd()) - ssd).abs() < 1e-12);
        let disk = 0.38 * 1.51 * 1.05 / 0.51 + 0.62 / 0.183;
        assert!((mean(lnkd_disk_w()) - disk).abs() < 1e-9);
        let ymmr = 0.939 * 3.35 * 3.0 / 2.35 + 0.061 / 0.0028;
        assert!((mean(ymmr_w()) - ymmr).abs() < 1e-9);
        let [w, a, r, s] = legs(LegsPreset::Wan, LinkClass::CrossDatacenter).map(mean);
        assert!((w - disk - WAN_DELAY_MS).abs() < 1e-9 && (a - ssd - WAN_DELAY_MS).abs() < 1e-9 && a == r && r == s);
        assert_eq!(legs(LegsPreset::Wan, LinkClass::SameRack), legs(LegsPreset::LnkdDisk, LinkClass::CrossDatacenter));
    }
}
