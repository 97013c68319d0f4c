//! How many tokens each node gets: proportional to its capacity (§2 "heterogeneity", §4.2).

use super::NodeId;
use super::error::RingError;
use super::strategy::{MAX_TOKENS_PER_NODE, RingMember};

/// Strategies 1 and 2: `round(T · capacity)` random tokens, at least one.
pub(crate) fn random_token_count(tokens_per_node: u32, member: &RingMember) -> Result<u32, RingError> {
    let want = (tokens_per_node as f64 * member.capacity).round().max(1.0);
    if want > MAX_TOKENS_PER_NODE as f64 {
        return Err(RingError::TooManyTokens { node: member.node, tokens: want, max: MAX_TOKENS_PER_NODE });
    }
    Ok(want as u32)
}

/// One node's claim in a strategy-3 apportionment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Claim {
    /// The node (ties are broken by it, lowest first).
    pub node: NodeId,
    /// Its weight.
    pub capacity: f64,
    /// Tokens it holds now; ties prefer nodes holding more, so few tokens move.
    pub current: u32,
}

/// Strategy 3: splits exactly `q` tokens over the claims in proportion to capacity.
///
/// Largest-remainder method: everyone gets `floor(q · c / Σc)`; the leftover tokens go one each
/// by largest remainder, then most tokens held now, then lowest node id. A node left with zero
/// then takes one from the node holding the most. With equal capacities this yields `q/S` each,
/// `±1`, and the nodes that already hold the extra token keep it. Needs `q >= claims.len()`.
pub(crate) fn apportion(q: u32, claims: &[Claim]) -> Vec<u32> {
    assert!(!claims.is_empty() && claims.len() <= q as usize, "apportion needs 1 <= S <= Q");
    let total: f64 = claims.iter().map(|c| c.capacity).sum();
    let exact: Vec<f64> = claims.iter().map(|c| q as f64 * c.capacity / total).collect();
    let mut counts: Vec<u32> = exact.iter().map(|e| (e.floor() as u32).min(q)).collect();
    let order = priority_order(claims, &exact);
    settle_total(q, &order, &mut counts);
    give_everyone_one(&mut counts, &exact);
    debug_assert_eq!(counts.iter().map(|&c| c as u64).sum::<u64>(), q as u64);
    counts
}

/// Claim indices by largest remainder, then most tokens held, then lowest node.
fn priority_order(claims: &[Claim], exact: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(claims[b].current.cmp(&claims[a].current)).then(claims[a].node.cmp(&claims[b].node))
    });
    order
}

/// Adds (or, after float rounding, removes) single tokens in priority order until the sum is `q`.
fn settle_total(q: u32, order: &[usize], counts: &mut [u32]) {
    let mut sum: u64 = counts.iter().map(|&c| c as u64).sum();
    for &i in order.iter().cycle() {
        if sum == q as u64 {
            return;
        }
        if sum < q as u64 {
            counts[i] += 1;
            sum += 1;
        } else if counts[i] > 0 {
            counts[i] -= 1;
            sum -= 1;
        }
    }
}

/// Every node needs a token to be on the ring: a zero takes one from the best-served node.
fn give_everyone_one(counts: &mut [u32], exact: &[f64]) {
    for i in 0..counts.len() {
        if counts[i] > 0 {
            continue;
        }
        let donor = (0..counts.len())
            .filter(|&d| counts[d] > 1)
            .max_by(|&a, &b| (counts[a] as f64 - exact[a]).total_cmp(&(counts[b] as f64 - exact[b])).then(b.cmp(&a)))
            .expect("q >= S leaves a node with two tokens while another has none");
        counts[donor] -= 1;
        counts[i] = 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(caps: &[f64], current: &[u32]) -> Vec<Claim> {
        caps.iter()
            .zip(current)
            .enumerate()
            .map(|(i, (&capacity, &current))| Claim { node: NodeId(i as u32), capacity, current })
            .collect()
    }

    #[test]
    fn equal_capacities_give_q_over_s_each() {
        for (q, s) in [(12u32, 4usize), (10, 3), (1000, 7), (5, 5)] {
            let counts = apportion(q, &claims(&vec![1.0; s], &vec![0; s]));
            assert_eq!(counts.iter().sum::<u32>(), q);
            assert!(counts.iter().all(|&c| c == q / s as u32 || c == q.div_ceil(s as u32)), "{counts:?}");
        }
    }

    #[test]
    fn ties_keep_extra_tokens_where_they_are() {
        // Q=10 over 4 equal nodes: two get 3. Nodes 2 and 3 hold more now, so they keep them.
        let counts = apportion(10, &claims(&[1.0; 4], &[2, 2, 4, 2]));
        assert_eq!(counts, vec![3, 2, 3, 2]);
    }

    #[test]
    fn capacity_is_proportional_and_everyone_gets_one() {
        let counts = apportion(100, &claims(&[2.0, 1.0, 1.0], &[0, 0, 0]));
        assert_eq!(counts, vec![50, 25, 25]);
        let tiny = apportion(3, &claims(&[1000.0, 0.001, 0.001], &[0, 0, 0]));
        assert_eq!(tiny, vec![1, 1, 1]);
    }

    #[test]
    fn random_token_count_rounds_and_floors_at_one() {
        let mut m = RingMember::new(NodeId(0));
        m.capacity = 1.5;
        assert_eq!(random_token_count(3, &m), Ok(5)); // 4.5 rounds away from zero
        m.capacity = 0.01;
        assert_eq!(random_token_count(8, &m), Ok(1));
        m.capacity = 1e9;
        assert!(matches!(random_token_count(8, &m), Err(RingError::TooManyTokens { .. })));
    }
}
