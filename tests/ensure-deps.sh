#!/bin/sh
# Install the Debian packages the build and the tests need, only those
# missing. Called by `make run`, `make check` and `make bench`, so a fresh
# Debian 12 machine needs no manual step. Usage: ensure-deps.sh PKG...
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: run as root, or: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
