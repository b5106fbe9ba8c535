#!/bin/sh
# Installs what mudguard needs to build, run and test on Debian 12 (as root).
# Every package comes from Debian's own archive.
set -eu

PKGS="build-essential meson ninja-build pkg-config python3
libpcap-dev libndpi-dev libndpi-bin libjansson-dev libinih-dev libcmocka-dev ieee-data libssl-dev libcurl4-openssl-dev openssl p0f
clang libclang-rt-14-dev
libnftnl-dev libmnl-dev nftables libhiredis-dev redis-server
iproute2 iputils-ping tcpreplay time valgrind"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "mudguard: installing:$missing" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
