#!/bin/sh
# Shows that two builds of mudguard give byte-for-byte the same events: every
# capture in tests/pcaps and ../shared/datasets, replayed with each of the
# configurations the tests use, by OLD and by NEW.
#
#   tools/same_outputs.sh OLD_BUILD NEW_BUILD   two meson build directories
#   tools/same_outputs.sh --rev REV [NEW_BUILD] builds REV (e.g. HEAD~1) first,
#                                               in a temporary worktree
#
# Both builds read the same rules, MUD repository and site rules (this
# tree's): a build's default paths point into its own source tree, and the
# events name them. Prints one line per configuration and every capture
# whose output differs (with the first differing line); exits 1 if any does.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-2}

if [ "${1:-}" = --rev ]; then
	REV=${2:?usage: $0 --rev REV [NEW_BUILD]}
	NEW=${3:-build-ci}
	WT=$(mktemp -d /tmp/mg-same-XXXXXX)
	trap 'git -C "$ROOT" worktree remove --force "$WT/src" >/dev/null 2>&1 || true; rm -rf "$WT"' EXIT
	git worktree add -q --detach "$WT/src" "$REV"
	echo "building $REV ($(git -C "$WT/src" log -1 --format=%h))" >&2
	CC=gcc meson setup "$WT/build" "$WT/src" -Dtests=false >/dev/null
	ninja -C "$WT/build" src/mudguard >/dev/null
	OLD=$WT/build
else
	OLD=${1:?usage: $0 OLD_BUILD NEW_BUILD | --rev REV [NEW_BUILD]}
	NEW=${2:?usage: $0 OLD_BUILD NEW_BUILD | --rev REV [NEW_BUILD]}
fi
for b in "$OLD" "$NEW"; do
	[ -x "$b/src/mudguard" ] || { echo "$b/src/mudguard: no such program" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/mg-same-out-XXXXXX)
trap 'rm -rf "$TMP"; [ -z "${WT:-}" ] || { git -C "$ROOT" worktree remove --force "$WT/src" >/dev/null 2>&1 || true; rm -rf "$WT"; }' EXIT

# The captures: every file, as the datasets test and the benches read them.
{
	ls tests/pcaps/*.pcap
	[ -d ../shared/datasets ] && find ../shared/datasets -type f \
		\( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort
} >"$TMP/captures"

# The configurations (the tests': plain, --flows, verdicts published, enforce
# mode with the dry-run backend and a state file, MUD with site rules and
# quarantine on), each with this tree's rules.
cat >"$TMP/base.conf" <<EOF
[identify]
rules = $ROOT/rules/identify
[mud]
repository = $ROOT/rules/mud/repository
rules = $ROOT/rules/mud
EOF
cp "$TMP/base.conf" "$TMP/plain.conf"
cp "$TMP/base.conf" "$TMP/flows.conf"
printf '[output]\nflows = yes\n' >>"$TMP/flows.conf"
cp "$TMP/base.conf" "$TMP/publish.conf"
printf '[enforce]\nbackend = off\n' >>"$TMP/publish.conf"
cp "$TMP/base.conf" "$TMP/enforce.conf"
printf '[enforce]\nmode = enforce\nbackend = dry-run\n[mud]\nquarantine = yes\n' >>"$TMP/enforce.conf"
CONFIGS="plain flows publish enforce"

# one replay: NAME CONF CAPTURE -> differs or not
cat >"$TMP/one.sh" <<'EOF'
#!/bin/sh
# $1 conf name, $2 capture; OLD NEW TMP in the environment
key=$(printf '%s' "$1:$2" | md5sum | cut -c1-16)
for who in OLD NEW; do
	eval bin=\$$who/src/mudguard
	# the enforce configuration keeps state: a fresh state file per replay
	st="$TMP/$key.$who.state"
	rm -f "$st"
	if [ "$1" = enforce ]; then
		cp "$TMP/enforce.conf" "$TMP/$key.$who.conf"
		printf '[enforce]\nstate_file = %s\n' "$st" >>"$TMP/$key.$who.conf"
		conf="$TMP/$key.$who.conf"
	else
		conf="$TMP/$1.conf"
	fi
	"$bin" -c "$conf" -r "$2" >"$TMP/$key.$who" 2>"$TMP/$key.$who.err" || true
done
if cmp -s "$TMP/$key.OLD" "$TMP/$key.NEW"; then
	echo "same $1 $2"
else
	line=$(cmp "$TMP/$key.OLD" "$TMP/$key.NEW" 2>&1 | head -1 | sed 's/.* differ: /first difference at /')
	echo "DIFFERS $1 $2: $line"
fi
rm -f "$TMP/$key.OLD" "$TMP/$key.NEW" "$TMP/$key.OLD.err" "$TMP/$key.NEW.err" \
	"$TMP/$key.OLD.conf" "$TMP/$key.NEW.conf"
EOF
chmod +x "$TMP/one.sh"
export OLD NEW TMP

status=0
for c in $CONFIGS; do
	while read -r f; do printf '%s\n%s\n' "$c" "$f"; done <"$TMP/captures" |
		xargs -d '\n' -n 2 -P "$JOBS" "$TMP/one.sh" >"$TMP/result.$c"
	same=$(grep -c '^same ' "$TMP/result.$c" || true)
	diff=$(grep -c '^DIFFERS ' "$TMP/result.$c" || true)
	echo "$c: $same identical, $diff differ (of $(wc -l <"$TMP/captures") captures)"
	if [ "$diff" -gt 0 ]; then
		grep '^DIFFERS ' "$TMP/result.$c" | head -20
		status=1
	fi
done
# a whole home in one run: several files, one sensor
homes=$(grep '/real-home/' "$TMP/captures" | head -60 | tr '\n' ' ')
if [ -n "$homes" ]; then
	# shellcheck disable=SC2086
	"$OLD/src/mudguard" -c "$TMP/plain.conf" -r $homes >"$TMP/home.OLD" 2>/dev/null || true
	# shellcheck disable=SC2086
	"$NEW/src/mudguard" -c "$TMP/plain.conf" -r $homes >"$TMP/home.NEW" 2>/dev/null || true
	if cmp -s "$TMP/home.OLD" "$TMP/home.NEW"; then
		echo "real-home in one run: identical ($(wc -l <"$TMP/home.NEW") events)"
	else
		echo "real-home in one run: DIFFERS: $(cmp "$TMP/home.OLD" "$TMP/home.NEW" 2>&1 |
			head -1 | sed 's/.* differ: /first difference at /')"
		status=1
	fi
fi
[ $status = 0 ] && echo "every output identical" || echo "outputs differ"
exit $status
