#!/bin/sh
# Live capture on a veth pair between two network namespaces this test creates
# (and removes): mudguard listens on one end with libpcap while tcpreplay
# replays the demo capture into the other end, then real pings cross it.
# The namespaces have no route out and forwarding off: nothing leaves them.
set -eu

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "needs iproute2"
command -v tcpreplay >/dev/null || skip "needs tcpreplay"

A="mg-live-a-$$"
B="mg-live-b-$$"
TMP=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null || true
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

ip netns add "$A"
ip netns add "$B"
ip link add mga0 netns "$A" type veth peer name mgb0 netns "$B"
ip -n "$A" addr add 10.199.0.1/24 dev mga0
ip -n "$B" addr add 10.199.0.2/24 dev mgb0
ip -n "$A" link set mga0 up
ip -n "$B" link set mgb0 up

ip netns exec "$B" "$MUDGUARD" -i mgb0 -o "$TMP/events.json" --stats-interval 1 \
	2>"$TMP/stderr" &
PID=$!
i=0
until grep -q "capturing on mgb0" "$TMP/stderr"; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat "$TMP/stderr"; echo "FAIL: mudguard did not start"; exit 1; }
	kill -0 "$PID" 2>/dev/null || { cat "$TMP/stderr"; echo "FAIL: mudguard exited"; exit 1; }
	sleep 0.1
done

ip netns exec "$A" tcpreplay -q -i mga0 --mbps 50 "$MG_PCAPS/demo.pcap" >/dev/null
ip netns exec "$A" ping -c 3 -i 0.2 -q 10.199.0.2 >/dev/null
sleep 1.5
kill -TERM "$PID"
wait "$PID" || { cat "$TMP/stderr"; echo "FAIL: mudguard exit status"; exit 1; }
PID=
A_MAC=$(ip -n "$A" -br link show mga0 | awk '{print $3}')

python3 - "$TMP/events.json" "$MG_PCAPS/demo.pcap" "$A_MAC" <<'PY'
import json, sys
sys.path.insert(0, __import__('os').environ['MG_PCAPS'] + '/../replay')
import pcaputil
evs = [json.loads(l) for l in open(sys.argv[1])]
_, frames = pcaputil.read_pcap(sys.argv[2])
a_mac = sys.argv[3]
final = [e for e in evs if e['event_type'] == 'stats' and e['final']]
assert len(final) == 1, 'one final stats event'
st = final[0]
assert st['packets'] >= len(frames), 'captured %d of %d replayed' % (st['packets'], len(frames))
assert st['capture']['kernel_received'] >= len(frames), st['capture']
assert st['capture']['kernel_dropped'] == 0, st['capture']
periodic = [e for e in evs if e['event_type'] == 'stats' and not e['final']]
assert periodic, 'periodic stats while live'
devs = {e['mac']: e for e in evs if e['event_type'] == 'device_summary'}
hue = [d for m, d in devs.items() if m.startswith('00:17:88')]
assert hue and 'Philips' in hue[0]['vendor'], 'replayed Hue bulb seen'
assert {'DHCP', 'MQTT', 'TLS'} <= {p.split('.')[0] for p in hue[0]['protocols']}, hue[0]
assert devs['50:c7:bf:00:00:01']['role'] == 'gateway'
assert a_mac in devs, 'the namespace host that pinged'
ips = [a['ip'] for a in devs[a_mac]['addresses']]
assert '10.199.0.1' in ips, ips
assert any(p.startswith('ICMP') for p in devs[a_mac]['protocols']), devs[a_mac]
print('live: %d packets, %d devices, kernel %s' % (st['packets'], len(devs), st['capture']))
PY
echo "1 passed, 0 failed"
