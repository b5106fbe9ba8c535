#!/bin/sh
# Benchmark: generates a capture of >= 1M packets, 100 devices and >= 100k flows
# (bench-out/bench.pcap, not committed), then measures side by side
#   mudguard -r FILE                    the sensor (release build)
#   ndpiReader -i FILE -q               Debian's libndpi-bin, the same nDPI 4.2
#   mudguard-readloop FILE              a bare libpcap read loop (the floor)
# Each runs RUNS times (default 3); the fastest run counts. Prints packets per
# second, peak memory (max RSS) and the ratios against ndpiReader.
set -eu
cd "$(dirname "$0")/.."
. tools/bench_lib.sh
CAP=bench-out/bench.pcap
[ -f "$CAP" ] || ./build-bench/tools/mudguard-gen bench "$CAP"
PKTS=$(./build-bench/tools/mudguard-readloop "$CAP" | awk '{print $1}')
FLOWS=$(./build-bench/src/mudguard -r "$CAP" --stats-interval 86400 |
	python3 -c 'import json,sys
for l in sys.stdin:
    e = json.loads(l)
    if e["event_type"] == "stats" and e["final"]:
        print(e["flows"]["created"], e["devices"]["created"])')

{
	measure wall mudguard ./build-bench/src/mudguard -r "$CAP" -o /dev/null
	measure wall ndpiReader ndpiReader -i "$CAP" -q
	measure wall readloop ./build-bench/tools/mudguard-readloop "$CAP"
} >bench-out/results.txt

python3 - "$PKTS" $FLOWS <<'PY'
import sys
pkts, flows, devices = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = {}
for line in open('bench-out/results.txt'):
    name, secs, kb = line.split()
    rows[name] = (float(secs), int(kb))
print('capture: %d packets, %d flows, %d devices (bench-out/bench.pcap)' % (pkts, flows, devices))
print('%-12s %10s %14s %12s' % ('program', 'seconds', 'packets/s', 'peak MiB'))
for name, (s, kb) in rows.items():
    print('%-12s %10.2f %14.0f %12.1f' % (name, s, pkts / s, kb / 1024))
m, n = rows['mudguard'], rows['ndpiReader']
speed, mem = n[0] / m[0], m[1] / n[1]
print('mudguard vs ndpiReader: %.2fx packets/s (target >= 2x), %.3f of peak memory '
      '(target <= 0.25)' % (speed, mem))
print('targets %s' % ('met' if speed >= 2 and mem <= 0.25 else 'NOT met'))
sys.exit(0 if speed >= 2 and mem <= 0.25 else 1)
PY
