#!/usr/bin/env bash
# Runs every rvs test: installs what is missing, checks formatting and
# lints, then unit, packet, DPDK process (net_pcap) and end-to-end (network
# namespaces, net_af_packet) tests, the traffic generator's (rvs-gen into
# net_pcap judged by tshark, rvs-gen <-> testpmd over memif: benches/tests, about
# 30 s), the loom model checks of the connection
# table and 100 s of fuzzing from the committed corpus (docs/reliability.md).
# Needs root (DPDK, namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
step "clippy"
cargo clippy --workspace --all-targets -q -- -D warnings
# The fuzz crate is a workspace of its own (fuzz/Cargo.toml); sharing target/ reuses the
# workspace's checked dependencies.
CARGO_TARGET_DIR=target cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -q -- -D warnings
step "build"
cargo build --workspace --all-targets -q
step "tests (unit, packet vectors, DPDK processes, namespaces, rvs-gen)"
# Test binaries run one after another; the namespace tests serialise
# themselves on the host lock. Leftovers of an interrupted run are removed
# first, under the same lock, so another run's test keeps its namespaces.
flock /run/rvs-netns.lock scripts/netns.sh down
cargo test --workspace -q 2>&1 | grep -v '^$'
step "loom: the connection table's races, model-checked (about 1 min)"
# --cfg loom changes every crate's build: a target directory of its own.
RUSTFLAGS="--cfg loom" cargo test -q -p dataplane --lib --target-dir target/loom conn::test_loom 2>&1 |
    grep -v '^$'
step "fuzz: every target from the committed corpus (100 s, after a build of about 5 min)"
scripts/fuzz.sh
step "benchmarks compile"
cargo bench -p rvs-benches --no-run -q
echo
echo "all tests passed"
