#!/usr/bin/env bash
# quorum-core engine benchmark: sim-core (sim-core/examples/quorum_core.rs) against the
# hand-optimised reference in ../shared/bench/quorum-core/ref (`--pq quad`), side by side.
#
#   bench/quorum-core.sh
#
# Knobs (environment):
#   QC_REPS=5          runs of each implementation per workload (alternating, median reported)
#   QC_SCALE=1         0 skips the 10M-op scale run
#   QC_SCALE_REPS=     runs per implementation for the scale run (default: QC_REPS)
#   QC_AGREE=1         0 skips the statistical agreement check
#   QC_SEEDS="1 2 3 4 5"  seeds for the agreement check (100k ops each, R=W=2 and R=W=1)
#   QC_SHARED=../shared   where the shared/ tree is (default: beside the repository)
#   QC_STRICT=0        1 makes a time ratio above the 1.5x target exit non-zero
#
# The script exits non-zero if a build fails, if R=W=2 ever gives a stale read (a correctness
# invariant, SPEC §4), or if an agreement z-score reaches 3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TD="${CARGO_TARGET_DIR:-$ROOT/target}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
REPS="${QC_REPS:-5}"
SCALE="${QC_SCALE:-1}"
SCALE_REPS="${QC_SCALE_REPS:-$REPS}"
AGREE="${QC_AGREE:-1}"
SEEDS="${QC_SEEDS:-1 2 3 4 5}"
STRICT="${QC_STRICT:-0}"
TARGET_RATIO=1.5

# ---------------------------------------------------------------------------------- build
build_ref
echo "building sim-core example quorum_core ..." >&2
cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" -p sim-core --example quorum_core \
    --target-dir "$TD"
OUR_BIN="$TD/release/examples/quorum_core"

# ---------------------------------------------------------------------------------- helpers
run_ref() { "$REF_BIN" --pq quad "$@"; }
run_our() { "$OUR_BIN" "$@"; }

# timed WHO ARGS...: runs one implementation; sets JSON (its output line) and CPU (user+sys
# seconds of the whole process, which a busy machine inflates far less than wall time).
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
timed() {
    local who=$1
    shift
    local TIMEFORMAT='%U %S'
    { time "run_$who" "$@" >"$TMP/out"; } 2>"$TMP/time"
    JSON=$(cat "$TMP/out")
    CPU=$(tail -n 1 "$TMP/time" | awk '{print $1 + $2}')
}

# speed OPS REPS: alternate ref and ours REPS times (swapping who goes first), print one table row
# per implementation and the ratios.
speed() {
    local ops=$1 reps=$2 k who order ref_t="" our_t="" ref_c="" our_c="" ref_ev="" our_ev="" our_pop=""
    for ((k = 0; k < reps; k++)); do
        if ((k % 2 == 0)); then order="ref our"; else order="our ref"; fi
        for who in $order; do
            timed "$who" --seed 1 --ops "$ops"
            if [[ $who == ref ]]; then
                ref_t+="$(field loop_s "$JSON") "
                ref_c+="$CPU "
                ref_ev=$(field events "$JSON")
            else
                our_t+="$(field loop_s "$JSON") "
                our_c+="$CPU "
                our_ev=$(field events "$JSON")
                our_pop=$(field popped "$JSON")
                if [[ $(field stale "$JSON") != 0 ]]; then
                    echo "FATAL: sim-core run with R=W=2 reported stale reads: $JSON" >&2
                    exit 1
                fi
            fi
        done
    done
    local rm om rc oc
    rm=$(median <<<"$ref_t")
    om=$(median <<<"$our_t")
    rc=$(median <<<"$ref_c")
    oc=$(median <<<"$our_c")
    awk -v ops="$ops" -v rm="$rm" -v om="$om" -v rc="$rc" -v oc="$oc" -v re="$ref_ev" -v oe="$our_ev" \
        -v op="$our_pop" -v target="$TARGET_RATIO" -v rt="$ref_t" -v ot="$our_t" 'BEGIN {
        printf "%-9s %-22s %9.4f %10d %12.0f %9.3f\n", ops, "reference (--pq quad)", rm, re, re / rm, rc
        printf "%-9s %-22s %9.4f %10d %12.0f %9.3f   (popped %d)\n", ops, "sim-core", om, oe, oe / om, oc, op
        ratio = om / rm
        printf "%-9s %-22s %9.3f %10s %12.3f %9.3f   target <= %.1f (loop time): %s\n", ops, "ratio sim-core/ref",
            ratio, "", (re / rm) / (oe / om), oc / rc, target, (ratio <= target) ? "MET" : "NOT MET"
        printf "%-9s loop_s per run: ref [%s] sim-core [%s]\n", "", rt, ot
    }'
    RATIOS+="$(awk -v rm="$rm" -v om="$om" 'BEGIN {print om / rm}') "
}

# ---------------------------------------------------------------------------------- speed
RATIOS=""
echo
echo "host: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
echo "loop_s: wall time of the event loop only (Instant around it), median of alternating runs;"
echo "events/s: canonical events (SPEC §3) / loop_s; cpu_s: user+sys CPU of the whole process, median"
echo "(the ratio row: loop-time ratio, events/s ratio, CPU ratio; the target applies to loop time)"
echo
printf "%-9s %-22s %9s %10s %12s %9s\n" "ops" "implementation" "loop_s" "events" "events/s" "cpu_s"
speed 100000 "$REPS"
if [[ $SCALE != 0 ]]; then
    speed 10000000 "$SCALE_REPS"
fi

# ---------------------------------------------------------------------------------- agreement
status=0
if [[ $AGREE != 0 ]]; then
    echo
    echo "statistical agreement (SPEC §4), seeds: $SEEDS, 100000 ops each"
    declare -A S
    for who in ref our; do
        for v in r2w2 r1w1; do
            q=2
            [[ $v == r1w1 ]] && q=1
            f=0 n=0 st=0 g=0 p50=0 p99=0 p999=0 k=0
            for s in $SEEDS; do
                j=$("run_$who" --seed "$s" --ops 100000 --r $q --w $q)
                f=$((f + $(field failed "$j")))
                n=$((n + 100000))
                st=$((st + $(field stale "$j")))
                g=$((g + $(field gets_ok "$j")))
                p50=$(awk -v a="$p50" -v b="$(field p50_ms "$j")" 'BEGIN {print a + b}')
                p99=$(awk -v a="$p99" -v b="$(field p99_ms "$j")" 'BEGIN {print a + b}')
                p999=$(awk -v a="$p999" -v b="$(field p999_ms "$j")" 'BEGIN {print a + b}')
                k=$((k + 1))
            done
            S[$who.$v]="$f $n $st $g $p50 $p99 $p999 $k"
        done
    done
    printf "%-6s %-10s %9s %10s %9s %12s %9s %9s %9s\n" variant impl failed fail% stale stale% p50_ms p99_ms p999_ms
    for v in r2w2 r1w1; do
        for who in ref our; do
            read -r f n st g a b c k <<<"${S[$who.$v]}"
            awk -v v="$v" -v who="$([[ $who == ref ]] && echo reference || echo sim-core)" -v f="$f" -v n="$n" \
                -v st="$st" -v g="$g" -v a="$a" -v b="$b" -v c="$c" -v k="$k" 'BEGIN {
                printf "%-6s %-10s %9d %9.4f%% %9d %11.4f%% %9.4f %9.4f %9.4f\n", v, who, f, 100 * f / n, st,
                    100 * st / g, a / k, b / k, c / k }'
        done
    done
    # Two-proportion z-tests: failure rate (both variants' R=W=2 only; R=W=1 fails ~never) and
    # the r1w1 stale rate.
    read -r f1 n1 _ _ _ _ _ _ <<<"${S[ref.r2w2]}"
    read -r f2 n2 st2w2 _ _ _ _ _ <<<"${S[our.r2w2]}"
    read -r _ _ s1 g1 _ _ _ _ <<<"${S[ref.r1w1]}"
    read -r _ _ s2 g2 _ _ _ _ <<<"${S[our.r1w1]}"
    zline=$(awk -v f1="$f1" -v n1="$n1" -v f2="$f2" -v n2="$n2" -v s1="$s1" -v g1="$g1" -v s2="$s2" -v g2="$g2" '
        function z(x1, m1, x2, m2,   p) { p = (x1 + x2) / (m1 + m2); if (p <= 0 || p >= 1) return 0;
            return (x2 / m2 - x1 / m1) / sqrt(p * (1 - p) * (1 / m1 + 1 / m2)) }
        BEGIN { zf = z(f1, n1, f2, n2); zs = z(s1, g1, s2, g2);
            printf "%.3f %.3f", zf, zs }')
    read -r zf zs <<<"$zline"
    echo "failure rate R=W=2: z = $zf (expected rate 0.1172%); r1w1 stale rate: z = $zs; R=W=2 stale (sim-core): $st2w2"
    if [[ $st2w2 != 0 ]]; then
        echo "FAIL: R=W=2 stale reads must be 0" >&2
        status=1
    fi
    if awk -v a="$zf" -v b="$zs" 'BEGIN {exit !((a < 0 ? -a : a) >= 3 || (b < 0 ? -b : b) >= 3)}'; then
        echo "FAIL: |z| >= 3" >&2
        status=1
    else
        echo "agreement: OK (|z| < 3)"
    fi
fi

if [[ $STRICT != 0 ]]; then
    for r in $RATIOS; do
        if awk -v r="$r" -v t="$TARGET_RATIO" 'BEGIN {exit !(r > t)}'; then
            echo "FAIL: time ratio $r above target $TARGET_RATIO" >&2
            status=1
        fi
    done
fi
exit $status
