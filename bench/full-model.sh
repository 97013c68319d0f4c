#!/usr/bin/env bash
# Full-model benchmarks: the whole Dynamo model with measurement and checkers on, through
# `dynsim run` (release build, message diagram off), against the quorum-core reference.
#
#   bench/full-model.sh                      # every part
#   bench/full-model.sh quorum-core probes   # some parts: quorum-core, scale, probes, checkers
#   bench/full-model.sh | tee bench/results/full-model.txt
#                                            # records the figures the README quotes (a test
#                                            # checks the README's lines against that file)
#
# Parts:
#   quorum-core  the shipped `quorum-core` scenario (the SPEC workload through the full model)
#                against the reference's `--pq quad` loop, alternating, medians; prints the
#                loop-time ratio (target <= 5).
#   scale        the scale ladder: bench/scenarios/scale.json.in at FM_SCALE (nodes:ops points,
#                10,000 ops/s, half gets and half read-modify-writes, FM_KEYS keys, gossip and
#                anti-entropy on; "ops" counts arrivals, and a read-modify-write is a read and
#                a put); wall time, loop time,
#                events/s and peak RSS (/usr/bin/time -v); cost per op at 10x the ops and at 10x
#                the nodes as ratios. Targets: 1,000 nodes x 10M ops in < 120 s and < 4 GiB; cost
#                per op at 10M within 1.3x of 1M; 1,000 nodes within 10x of 100 nodes.
#   probes       bench/scenarios/probes-200k.json (target < 2 s, < 200 MB).
#   checkers     bench/scenarios/dvv-seven-writers.json (target < 5 s).
#
# Knobs (environment):
#   FM_REPS=3        runs of each implementation for quorum-core (alternating; median)
#   FM_SCALE="100:1000000 1000:1000000 100:10000000 1000:10000000"
#   FM_KEYS=1000000
#
# "loop" is the wall time of the event loop as `dynsim run` prints it (measurement included,
# report building excluded); "wall" is the whole process. Load average is printed with every
# row: figures from a busy machine are slower.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TD="${CARGO_TARGET_DIR:-$ROOT/target}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
REPS="${FM_REPS:-3}"
SCALE="${FM_SCALE:-100:1000000 1000:1000000 100:10000000 1000:10000000}"
KEYS="${FM_KEYS:-1000000}"
PARTS="${*:-quorum-core scale probes checkers}"

echo "building dynsim (release) ..." >&2
cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" -p scenarios --bin dynsim --target-dir "$TD"
DYNSIM="$TD/release/dynsim"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

load() { cut -d' ' -f1 /proc/loadavg; }

# dynsim_run FILE: runs it; sets LOOP, EVENTS (from the summary), WALL and RSS_MB (time -v).
dynsim_run() {
    /usr/bin/time -v "$DYNSIM" run "$1" --no-diagram --out "$TMP/out" >"$TMP/summary" 2>"$TMP/time"
    local line
    line=$(grep -m1 '^simulated ' "$TMP/summary")
    EVENTS=$(sed -E 's/.*, ([0-9]+) events in .*/\1/' <<<"$line")
    LOOP=$(sed -E 's/.* events in ([0-9.]+) s wall.*/\1/' <<<"$line")
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$TMP/time")
    RSS_MB=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$TMP/time")
}

part_quorum_core() {
    build_ref
    echo
    echo "== quorum-core: the full model (dynsim run quorum-core) against the reference (--pq quad)"
    local ref="" ours="" k j
    for ((k = 0; k < REPS; k++)); do
        j=$("$REF_BIN" --pq quad --seed 1)
        ref+="$(field loop_s "$j") "
        dynsim_run "$ROOT/scenarios/examples/quorum-core.json"
        ours+="$LOOP "
    done
    local rm om
    rm=$(median <<<"$ref")
    om=$(median <<<"$ours")
    printf "%-28s %9s %10s %9s %7s\n" "" "loop s" "events" "wall s" "RSS MB"
    printf "%-28s %9.3f %10s %9s %7s\n" "reference --pq quad" "$rm" "$(field events "$j")" "" ""
    printf "%-28s %9.3f %10s %9.2f %7s\n" "dynsim run quorum-core" "$om" "$EVENTS" "$WALL" "$RSS_MB"
    awk -v r="$rm" -v o="$om" 'BEGIN { printf "loop-time ratio %.2f (target <= 5): %s\n", o / r, (o / r <= 5) ? "MET" : "NOT MET" }'
    echo "loop s per run: reference [$ref] dynsim [$ours]; load average $(load)"
}

part_scale() {
    echo
    echo "== scale ladder: $KEYS keys, 10,000 ops/s, gossip and anti-entropy on"
    printf "%6s %9s %9s %9s %11s %8s %12s %6s\n" nodes ops "wall s" "loop s" events "RSS MB" "loop us/op" load
    local point nodes ops
    declare -gA PER_OP
    for point in $SCALE; do
        nodes=${point%%:*}
        ops=${point##*:}
        sed -e "s/@NODES@/$nodes/g" -e "s/@OPS@/$ops/g" -e "s/@KEYS@/$KEYS/g" -e "s/@DURATION@/$((ops / 10000))/g" \
            "$ROOT/bench/scenarios/scale.json.in" >"$TMP/scale.json"
        dynsim_run "$TMP/scale.json"
        PER_OP[$nodes:$ops]=$(awk -v l="$LOOP" -v o="$ops" 'BEGIN { printf "%.3f", 1e6 * l / o }')
        printf "%6d %9d %9.1f %9.1f %11d %8d %12s %6s\n" "$nodes" "$ops" "$WALL" "$LOOP" "$EVENTS" "$RSS_MB" \
            "${PER_OP[$nodes:$ops]}" "$(load)"
    done
    for nodes in 100 1000; do
        if [[ -n ${PER_OP[$nodes:1000000]:-} && -n ${PER_OP[$nodes:10000000]:-} ]]; then
            awk -v a="${PER_OP[$nodes:1000000]}" -v b="${PER_OP[$nodes:10000000]}" -v n="$nodes" \
                'BEGIN { printf "%d nodes: cost per op at 10M / at 1M = %.2f (target <= 1.3)\n", n, b / a }'
        fi
    done
    for ops in 1000000 10000000; do
        if [[ -n ${PER_OP[100:$ops]:-} && -n ${PER_OP[1000:$ops]:-} ]]; then
            awk -v a="${PER_OP[100:$ops]}" -v b="${PER_OP[1000:$ops]}" -v o="$ops" \
                'BEGIN { printf "%d ops: cost per op at 1,000 nodes / at 100 = %.2f (target <= 10)\n", o, b / a }'
        fi
    done
}

part_probes() {
    echo
    echo "== 200,000 staleness probes (bench/scenarios/probes-200k.json; target < 2 s, < 200 MB)"
    dynsim_run "$ROOT/bench/scenarios/probes-200k.json"
    echo "wall $WALL s, loop $LOOP s, $EVENTS events, peak RSS $RSS_MB MB; load average $(load)"
}

part_checkers() {
    echo
    echo "== seven DVV writers on one key, checks on (bench/scenarios/dvv-seven-writers.json; target < 5 s)"
    dynsim_run "$ROOT/bench/scenarios/dvv-seven-writers.json"
    echo "wall $WALL s, loop $LOOP s, $EVENTS events, peak RSS $RSS_MB MB; load average $(load)"
}

echo "date: $(date -u +%F), dynsim $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "host: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
for part in $PARTS; do
    case $part in
        quorum-core) part_quorum_core ;;
        scale) part_scale ;;
        probes) part_probes ;;
        checkers) part_checkers ;;
        *)
            echo "full-model.sh: unknown part '$part' (quorum-core, scale, probes, checkers)" >&2
            exit 2
            ;;
    esac
done
