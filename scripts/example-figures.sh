#!/usr/bin/env bash
# Regenerates the figures of scenarios/examples/README.md (the section between its
# "figures: begin" and "figures: end" marks) from fresh runs of the shipped scenarios with their
# own seeds. The generator is the test scenarios/tests/example_figures.rs: with
# UPDATE_EXAMPLE_FIGURES=1 it writes the section instead of failing, without it the same test
# fails whenever the README quotes a figure a fresh run does not give.
#
# The same (test) profile as `cargo test`, so it shares its build; arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."
UPDATE_EXAMPLE_FIGURES=1 cargo test -p scenarios --test example_figures "$@"
git --no-pager diff --stat -- scenarios/examples/README.md
