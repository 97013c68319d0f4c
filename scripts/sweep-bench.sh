#!/bin/bash
# Measures `dynsim sweep`: wall time with 1 and 2 worker threads (alternating, ROUNDS times,
# fresh output directories so nothing resumes), and peak RSS (/usr/bin/time -v) of a small
# sweep and of one with 10x the runs. Prints the load average before each run: on a shared
# machine other jobs take cores and the speed-up with them.
#
#   cargo build --release -p scenarios && scripts/sweep-bench.sh
set -euo pipefail
DYNSIM=${DYNSIM:-target/release/dynsim}
ROUNDS=${ROUNDS:-2}
SPEED_GRID=${SPEED_GRID:-'R=1..3; W=1..3; duration_s=30; settle_s=5'}
SPEED_SEEDS=${SPEED_SEEDS:-1..8}
RSS_GRID=${RSS_GRID:-'R=1..3; W=1..3; duration_s=10; settle_s=5'}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hz=$(getconf CLK_TCK)
# Busy CPU jiffies of the whole machine (user, nice, system, irq, softirq, steal).
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }

echo "speed: churn over '$SPEED_GRID', seeds $SPEED_SEEDS"
for round in $(seq "$ROUNDS"); do
  for jobs in 1 2; do
    rm -rf "$work/s"
    b0=$(busy)
    /usr/bin/time -o "$work/t" -f "%e %U %S" \
      "$DYNSIM" sweep churn --grid "$SPEED_GRID" --seeds "$SPEED_SEEDS" --out "$work/s" --jobs "$jobs" >/dev/null
    b1=$(busy)
    read -r wall user sys <"$work/t"
    # Cores other processes kept busy meanwhile: machine-wide busy time minus this sweep's.
    others=$(awk -v b="$((b1 - b0))" -v hz="$hz" -v w="$wall" -v u="$user" -v s="$sys" \
      'BEGIN{printf "%.2f", (b/hz - u - s)/w}')
    echo "round $round jobs=$jobs wall=${wall} s cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}') s; other processes used $others cores meanwhile"
  done
done

echo "memory: churn over '$RSS_GRID', --jobs 2"
for seeds in 1..4 1..40; do
  rm -rf "$work/m"
  /usr/bin/time -v "$DYNSIM" sweep churn --grid "$RSS_GRID" --seeds "$seeds" --out "$work/m" --jobs 2 \
    >/dev/null 2>"$work/time.txt"
  runs=$(($(wc -l <"$work/m/runs.jsonl") - 1))
  rss=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
  echo "seeds $seeds: $runs runs, peak RSS $rss KB"
done
