#!/usr/bin/env bash
# Installs what rvs needs to build, test and demo, from Debian's packages
# and rustup's toolchain. Idempotent; quiet when everything is there.
set -euo pipefail

# python3-matplotlib: scripts/bench.sh --plot (benches/tools/plot.py).
PKGS=(dpdk dpdk-dev libdpdk-dev clang libclang-dev pkg-config
      python3-scapy python3-prometheus-client python3-matplotlib tshark tcpdump socat curl
      nginx-light wrk iproute2 iputils-ping ethtool procps tmux hping3)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] || {
        echo "setup: cargo not found; install Rust with rustup first" >&2
        exit 1
    }
fi

# cargo-fuzz runs the fuzz targets (scripts/fuzz.sh): libFuzzer on the stable toolchain with
# --sanitizer none. Pinned; installing it builds for about 2 minutes on 2 cores, once.
CARGO_FUZZ=0.13.2
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ" ]; then
    echo "setup: installing cargo-fuzz $CARGO_FUZZ"
    cargo install -q --locked cargo-fuzz --version "$CARGO_FUZZ"
fi
