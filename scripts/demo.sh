#!/bin/sh
# Installs dependencies, builds mudguard and replays the bundled demo capture:
# JSON-lines events on stdout, a readable device table on stderr.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
./build/src/mudguard -r tests/pcaps/demo.pcap --summary
