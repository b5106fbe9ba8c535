#!/bin/sh
# Redis journal benchmark (issue 7). Starts Debian's redis-server on
# 127.0.0.1 with a free port and a temporary directory (no persistence), then
#  - pushes 500,000 events (360-byte flow lines) through the writer and
#    prints the sustained rate, beside redis-benchmark's XADD rate (the
#    server's own ceiling on this machine);
#  - replays bench-out/bench.pcap with --flows, with and without --redis,
#    fastest of RUNS (3) by wall time including the writer's drain.
# Targets: at least 100,000 events per second; under 5% added replay time.
set -eu
cd "$(dirname "$0")/.."
. tools/bench_lib.sh
CAP=bench-out/bench.pcap
[ -f "$CAP" ] || ./build-bench/tools/mudguard-gen bench "$CAP" 2>/dev/null
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --save '' --appendonly no \
	--daemonize yes --logfile "$DIR/log" --pidfile "$DIR/pid"
trap 'redis-cli -p $PORT shutdown nosave >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
sleep 0.3
URL=redis://127.0.0.1:$PORT
printf '[redis]\nspool = %s/spool\nmaxlen = 10000000\n' "$DIR" >"$DIR/c.conf"

top=
for _ in $(seq "$RUNS"); do
	redis-cli -p "$PORT" flushall >/dev/null # the run's mark too: else all are duplicates
	line=$(./build-bench/tools/mudguard-bench-redis "$URL" 500000)
	rate=$(echo "$line" | awk '{print $4}')
	[ -z "$top" ] || [ "$rate" -gt "$top" ] && top=$rate
done
ceiling=$(redis-benchmark -p "$PORT" -n 300000 -P 256 -q XADD mudguard:bench MAXLEN '~' 10000000 \
	'*' id bench:1 event "$(head -c 360 /dev/zero | tr '\0' x)" | tr '\r' '\n' |
	grep -o '[0-9.]* requests per second' | tail -1 | cut -d. -f1)
{
	measure wall off ./build-bench/src/mudguard -c "$DIR/c.conf" -r "$CAP" --flows -o /dev/null
	measure wall on sh -c "redis-cli -p $PORT flushall >/dev/null; ./build-bench/src/mudguard -c $DIR/c.conf -r $CAP --flows -o /dev/null --redis $URL"
} >bench-out/redis-results.txt
events=$(redis-cli -p "$PORT" xlen mudguard:events)
python3 - "$top" "$ceiling" "$events" <<'PY'
import sys
best, ceiling, events = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = {l.split()[0]: float(l.split()[1]) for l in open('bench-out/redis-results.txt')}
print('%-60s %12s' % ('into Redis (events per second)', 'rate'))
print('%-60s %12d' % ('mudguard journal writer, 500,000 flow events', best))
print('%-60s %12d' % ('redis-benchmark XADD, pipelined 256 (the server ceiling)', ceiling))
added = (rows['on'] - rows['off']) / rows['off'] * 100
print('replay of bench.pcap with --flows (%d events): %.2f s without Redis, %.2f s with '
      '(%+.1f%%)' % (events, rows['off'], rows['on'], added))
ok = best >= 100000 and added < 5
print('targets (>= 100,000 events/s, < 5%% added) %s' % ('met' if ok else 'NOT met'))
raise SystemExit(0 if ok else 1)
PY
