#!/bin/sh
# MUD benchmark: what checking every new flow against its device's profile adds
# to replay time. A capture of 10,000 devices, each announcing a MUD URL (one
# per device kind) in DHCP, and 200,000 flows (bench-out/mud.pcap, not
# committed); profiles learned with mudguard-mud learn from a small capture of
# the same kinds, each padded to 200 entries with 190 decoy entries put first
# (names and ports the devices never use, so every allowed flow walks past them:
# the worst case for a first-match list). Replays, fastest of RUNS (default 5,
# by CPU time: user + system, steadier than the wall clock on a shared machine),
#   [mud] enabled = no       the reference
#   [mud] enabled = yes      bindings, profile loading, per-flow checks
# and prints both side by side with the overhead (target: under 10%).
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
. tools/bench_lib.sh
B=build-bench
CAP=bench-out/mud.pcap
SMALL=bench-out/mud-small.pcap
REPO=bench-out/mud-repo
[ -f "$CAP" ] || $B/tools/mudguard-gen bench-mud "$CAP" 10000 200000
$B/tools/mudguard-gen bench-mud "$SMALL" 9 3000 >/dev/null 2>&1

# one learned profile per kind, padded to 200 entries
rm -rf "$REPO"
$B/src/mudguard -r "$SMALL" -o - | python3 -c '
import json, sys
seen = {}
for l in sys.stdin:
    e = json.loads(l)
    if e["event_type"] == "mud_binding":
        seen.setdefault(e["mud_url"], e["mac"])
for url, mac in sorted(seen.items()):
    print(mac, url)' >bench-out/mud-kinds.txt
while read -r mac url; do
	out="$REPO/${url#https://}"
	mkdir -p "$(dirname "$out")"
	$B/tools/mudguard-mud learn -r "$SMALL" --mac "$mac" -o "$out" >/dev/null
	python3 - "$out" <<'PY'
import json, sys
path = sys.argv[1]
m = json.load(open(path))
acls = m['ietf-access-control-list:acls']['acl']
total = sum(len(a['aces']['ace']) for a in acls)
fr = [a for a in acls if a['name'].endswith('v4fr')][0]['aces']['ace']
# flows to the cloud's plain-HTTP neighbour address differ per device: allow
# the benchmark range for port 80 at the end
fr.append({'name': 'http-range', 'matches': {'ipv4': {'protocol': 6,
           'destination-ipv4-network': '198.18.0.0/15'},
           'tcp': {'destination-port': {'operator': 'eq', 'port': 80}}},
           'actions': {'forwarding': 'accept'}})
total += 1
decoys = []
for i in range(200 - total):
    if i % 2:
        match = {'ipv4': {'protocol': 6, 'ietf-acldns:dst-dnsname': 'decoy-%d.bench.example' % i},
                 'tcp': {'destination-port': {'operator': 'eq', 'port': 443}}}
    else:
        match = {'ipv4': {'protocol': 17, 'destination-ipv4-network': '203.0.113.%d/32' % (i % 250)},
                 'udp': {'destination-port': {'operator': 'eq', 'port': 10000 + i}}}
    decoys.append({'name': 'decoy-%d' % i, 'matches': match, 'actions': {'forwarding': 'accept'}})
fr[:0] = decoys
assert sum(len(a['aces']['ace']) for a in acls) == 200
json.dump(m, open(path, 'w'), indent=1)
PY
done <bench-out/mud-kinds.txt
$B/tools/mudguard-mud lint "$REPO"/mud.example.com/bench/*.json >/dev/null

for on in no yes; do
	cat >bench-out/mud-$on.conf <<CONF
[devices]
max = 20000
[mud]
enabled = $on
repository = $REPO
CONF
done

{
	measure cpu mud-off $B/src/mudguard -c bench-out/mud-no.conf -r "$CAP" -o /dev/null
	measure cpu mud-on $B/src/mudguard -c bench-out/mud-yes.conf -r "$CAP" -o /dev/null
} >bench-out/mud-results.txt
$B/src/mudguard -c bench-out/mud-yes.conf -r "$CAP" --stats-interval 86400 -o - |
	python3 -c 'import json,sys
for l in sys.stdin:
    e = json.loads(l)
    if e["event_type"] == "stats" and e["final"]:
        m = e["mud"]
        print(e["packets"], e["devices"]["created"], m["bindings"], m["flows_checked"],
              m["violating_flows"])' >bench-out/mud-counts.txt

python3 - <<'PY'
pkts, devices, bound, checked, violating = map(int, open('bench-out/mud-counts.txt').read().split())
rows = {}
for line in open('bench-out/mud-results.txt'):
    name, secs, kb = line.split()
    rows[name] = (float(secs), int(kb))
print('capture: %d packets, %d devices, %d bound to 200-entry profiles, %d flows checked, '
      '%d violating (bench-out/mud.pcap)' % (pkts, devices, bound, checked, violating))
print('%-28s %10s %14s %12s' % ('replay', 'CPU s', 'packets/s', 'peak MiB'))
for name, label in (('mud-off', '[mud] enabled = no'), ('mud-on', '[mud] enabled = yes')):
    s, kb = rows[name]
    print('%-28s %10.2f %14.0f %12.1f' % (label, s, pkts / s, kb / 1024))
off, on = rows['mud-off'][0], rows['mud-on'][0]
over = (on - off) / off * 100
print('MUD checking adds %.1f%% to replay time (target < 10%%)' % over)
print('targets %s' % ('met' if over < 10 else 'NOT met'))
raise SystemExit(0 if over < 10 else 1)
PY
