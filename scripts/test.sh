#!/usr/bin/env bash
# Runs every rvs test: installs what is missing, checks formatting and
# lints, then unit, packet, DPDK process (net_pcap) and end-to-end (network
# namespaces, net_af_packet) tests. Needs root (DPDK, namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check
step "clippy"
cargo clippy --workspace --all-targets -q -- -D warnings
step "build"
cargo build --workspace --all-targets -q
step "tests (unit, packet vectors, DPDK processes, namespaces)"
# Test binaries run one after another; the namespace tests serialise
# themselves on the host lock. Leftovers of an interrupted run are removed
# first, under the same lock, so another run's test keeps its namespaces.
flock /run/rvs-netns.lock scripts/netns.sh down
cargo test --workspace -q 2>&1 | grep -v '^$'
step "benchmarks compile"
cargo bench -p rvs-benches --no-run -q
echo
echo "all tests passed"
