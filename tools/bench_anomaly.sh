#!/bin/sh
# Anomaly benchmark (issue 5): detection quality and cost.
#
# Quality: tools/bench_anomaly.py over the generator's soak (bench-out/soak:
# DAYS days, default 3, of 11 devices with daily cycles, firmware updates, CDN
# rotation, a device joining on day 2, a phone and a laptop; day 1 trains the
# baselines) and sixteen attack captures (four of them storms and targets of
# floods: an alert, never a quarantine), plus the real captures in
# ../shared/datasets: each alone, all in one run (clocks going back between
# files), and each long-benign capture's second half against a baseline learned
# on its first.
#
# Cost: replays, fastest of RUNS (default 3) by CPU time, with
#   [anomaly] enabled = no    the reference
#   [anomaly] enabled = yes   baselines and every detector
# over the soak's test days (with the trained baselines) and over the MUD
# benchmark's capture of 10,000 devices (bench-out/mud.pcap, 1.6M packets, with a
# one-hour learning period so that both learning and detection run). Memory per
# device is the peak-RSS difference over those 10,000 devices. Targets: under 25%
# replay time and under 8 KiB per device.
set -eu
cd "$(dirname "$0")/.."
. tools/bench_lib.sh
B=build-bench
D=bench-out/soak
CAP=bench-out/mud.pcap
rm -rf "$D"
mkdir -p "$D"
$B/tools/mudguard-gen soak "$D" "${DAYS:-3}" 2>/dev/null
[ -f "$CAP" ] || $B/tools/mudguard-gen bench-mud "$CAP" 10000 200000 2>/dev/null

quality=0
python3 tools/bench_anomaly.py --mudguard $B/src/mudguard --dir "$D" \
	--datasets ../shared/datasets || quality=1

for on in no yes; do
	printf '[devices]\nmax = 20000\n[mud]\nenabled = no\n[anomaly]\nenabled = %s\nlearning_period = 3600\n' \
		"$on" >bench-out/anomaly-$on.conf
done
{
	measure cpu soak-off $B/src/mudguard -c bench-out/anomaly-no.conf -r "$D/test.pcap" \
		--baseline "$D/baseline" -o /dev/null
	measure cpu soak-on $B/src/mudguard -c bench-out/anomaly-yes.conf -r "$D/test.pcap" \
		--baseline "$D/baseline" -o /dev/null
	measure cpu big-off $B/src/mudguard -c bench-out/anomaly-no.conf -r "$CAP" -o /dev/null
	measure cpu big-on $B/src/mudguard -c bench-out/anomaly-yes.conf -r "$CAP" -o /dev/null
} >bench-out/anomaly-results.txt
for c in "$D/test.pcap" "$CAP"; do
	$B/src/mudguard -c bench-out/anomaly-yes.conf -r "$c" --stats-interval 86400 -o - |
		python3 -c 'import json,sys
for l in sys.stdin:
    e = json.loads(l)
    if e["event_type"] == "stats" and e["final"]:
        a = e["anomaly"]
        print(e["packets"], e["devices"]["created"], a["baselines"], a["baseline_bytes"],
              a["findings"], a["reported"])'
done >bench-out/anomaly-counts.txt

python3 - "$quality" <<'PY'
import sys
rows = {}
for line in open('bench-out/anomaly-results.txt'):
    name, secs, kb = line.split()
    rows[name] = (float(secs), int(kb))
counts = [list(map(int, l.split())) for l in open('bench-out/anomaly-counts.txt')]
ok = sys.argv[1] == '0'
print('%-44s %9s %9s %12s %10s' % ('replay', 'off CPU s', 'on CPU s', 'added', 'peak MiB'))
for key, label, (pkts, devs, bls, blbytes, findings, reported) in (
        ('soak', 'soak test days, trained baselines', counts[0]),
        ('big', '10,000 devices, 1-hour learning', counts[1])):
    off, on = rows[key + '-off'], rows[key + '-on']
    added = (on[0] - off[0]) / off[0] * 100
    ok &= added < 25
    print('%-44s %9.2f %9.2f %11.1f%% %5.1f/%-5.1f' % (
        '%s (%d pkts, %d devices)' % (label, pkts, devs), off[0], on[0], added,
        off[1] / 1024, on[1] / 1024))
    if key == 'big':
        per_dev = (on[1] - off[1]) * 1024 / devs
        ok &= per_dev < 8192
        print('memory: %.0f bytes per device by peak RSS (target < 8192); the baselines '
              'alone %.0f bytes each (%d baselines); %d findings, %d reported' % (
                  per_dev, blbytes / bls, bls, findings, reported))
print('targets %s' % ('met' if ok else 'NOT met'))
raise SystemExit(0 if ok else 1)
PY
