#!/usr/bin/env bash
# What coco's egress proxy costs, measured in one run inside a network
# namespace of its own (no packet leaves the machine): throughput of a
# transfer through a CONNECT tunnel vs straight (goal >= 1 GB/s), the
# connect latency it adds without DNS (goal <= 0.3 ms median), and its
# resident memory holding idle tunnels (goal <= 17 MiB for 1,000).
#
#   bench/egress.sh                    # 1 GiB, 1000 connects, 1000 idle
#   BYTES=268435456 N=300 IDLE=500 bench/egress.sh
#
# Needs user namespaces (or root).  The proxy runs confined, as in a run.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
bytes=${BYTES:-1073741824}
n=${N:-1000}
idle=${IDLE:-1000}
for v in "$bytes" "$n" "$idle"; do
    [[ $v =~ ^[0-9]+$ ]] || { echo "bench/egress.sh: BYTES, N and IDLE are numbers" >&2; exit 1; }
done
make -s -C "$repo" build/bench/egress_bench
# Room for 2 descriptors per idle tunnel here and 6 in the proxy.
ulimit -n "$(ulimit -Hn)"
exec "$repo/build/bench/egress_bench" "$bytes" "$n" "$idle"
