# Shared by the benchmark scripts (sourced, POSIX sh).
# Builds the release tree once: build-bench.
RUNS=${RUNS:-3}
./scripts/install-deps.sh
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release -Dtests=false >/dev/null
ninja -C build-bench >/dev/null
mkdir -p bench-out

# measure BY NAME COMMAND...: runs COMMAND RUNS times and prints
# "NAME SECONDS MAXRSS_KB" of the fastest run, where BY is "wall" (elapsed
# seconds) or "cpu" (user + system seconds: steadier on a shared machine).
measure() {
	by=$1 name=$2
	shift 2
	best=
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -f "%e %U %S %M" -o bench-out/time.txt "$@" >/dev/null 2>&1
		line=$(awk -v by="$by" '{printf "%.2f %s", by == "cpu" ? $2 + $3 : $1, $4}' \
			bench-out/time.txt)
		if [ -z "$best" ] || [ "$(echo "$line $best" | awk '{print ($1 < $3)}')" = 1 ]; then
			best=$line
		fi
	done
	echo "$name $best"
}
