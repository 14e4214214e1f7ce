#!/bin/bash
# install-deps.sh: installs every Debian 12 package nettape's build, tests, demo and benchmarks need (idempotent).
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config git
  clang llvm libclang-rt-14-dev            # BPF objects, libFuzzer, sanitizer runtimes
  libbpf-dev bpftool linux-libc-dev        # recorder: CO-RE loader and skeleton generator
  libzstd-dev zstd libsqlite3-dev sqlite3 libpcap-dev
  libcurl4-openssl-dev zlib1g-dev clickhouse-server clickhouse-client   # the fleet store (docs/CLICKHOUSE.md)
  iproute2 nftables iperf3 tshark ethtool procps psmisc python3   # e2e scenarios and oracles
  trace-cmd linux-perf time tcpdump        # benchmark comparisons (time: /usr/bin/time)
  chromium                                 # HTML report test (headless)
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all packages present"
