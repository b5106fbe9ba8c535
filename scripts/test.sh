#!/bin/sh
# Installs dependencies, then builds and runs every test suite twice: a gcc
# build with -Werror, and a clang build with ASan + UBSan that also builds the
# libFuzzer harnesses and runs each for FUZZ_SECONDS (default 20).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
status=0

echo "== gcc, -Werror"
[ -f build-ci/build.ninja ] || CC=gcc meson setup build-ci -Dwerror=true >/dev/null
ninja -C build-ci
meson test -C build-ci --print-errorlogs || status=1

echo "== clang, ASan + UBSan"
[ -f build-asan/build.ninja ] || CC=clang meson setup build-asan -Dwerror=true \
	-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true >/dev/null
ninja -C build-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson test -C build-asan --print-errorlogs || status=1

echo "== fuzzing, ${FUZZ_SECONDS}s per harness"
fuzz_pass=0
fuzz_fail=0
for h in decode pcapng dhcp dns tls banner l2disc l2learn rules model mud mudrules baseline enforcelist redisurl command config packet; do
	work=$(mktemp -d)
	cp tests/fuzz/corpus/$h/* "$work/" 2>/dev/null || true
	if [ "$h" = rules ]; then # the shipped rules seed it too
		cp rules/identify/*.rules "$work/"
	fi
	if ./build-asan/tests/fuzz/fuzz-$h -max_total_time="$FUZZ_SECONDS" \
		-artifact_prefix=build-asan/fuzz-$h- "$work" >build-asan/fuzz-$h.log 2>&1; then
		fuzz_pass=$((fuzz_pass + 1))
		echo "fuzz-$h: $(grep -o 'Done [0-9]* runs' build-asan/fuzz-$h.log | tail -1)"
	else
		fuzz_fail=$((fuzz_fail + 1))
		status=1
		tail -40 build-asan/fuzz-$h.log
		echo "fuzz-$h: FAILED; the crashing input is build-asan/fuzz-$h-*:" \
			"add it to tests/fuzz/corpus/$h/ as a regression test"
	fi
	rm -rf "$work"
done

python3 - "$fuzz_pass" "$fuzz_fail" <<'PY'
import json, sys
passed, failed, skipped = int(sys.argv[1]), int(sys.argv[2]), 0
for d in ('build-ci', 'build-asan'):
    with open(d + '/meson-logs/testlog.json') as f:
        for line in f:
            r = json.loads(line)['result']
            if r in ('OK', 'EXPECTEDFAIL'):
                passed += 1
            elif r == 'SKIP':
                skipped += 1
            else:
                failed += 1
print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
PY
exit $status
