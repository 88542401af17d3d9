#!/bin/sh
# Install the Debian 12 packages lwm2m-bsd needs, by set.
#
# This is the one place that names the project's system packages: the
# Makefile, CI (.ci/run), the Dockerfile's two stages and
# tests/integration/test_install.sh (through --list) all ask this script.
# The wolfSSL profile library is not a Debian package; it is built by
# deploy/wolfssl/build.sh, which needs the --build set.
#
# Usage: scripts/install-deps.sh [--runtime] [--build] [--test] [--all] [--list]
#   --runtime  shared libraries the installed daemon loads (Docker runtime stage)
#   --build    compilers, meson/ninja, the -dev packages, the wolfSSL build tools
#   --test     --build plus PostgreSQL 15, clang + sanitizer runtimes, interop peers
#   --all      all of the above (the default when no set is named)
#   --list     print the selected package names, one a line, and change nothing
#
# Idempotent and fast: one dpkg-query call decides what is missing; when
# nothing is, apt is not touched at all. When something is, `apt-get update`
# runs once, then one `apt-get install --no-install-recommends`.
set -eu

# Every name below was checked against bookworm with `apt-cache policy`.
# libcurl4 (OpenSSL flavour) is what bsctl talks to the REST admin API with.
RUNTIME_PKGS="libmicrohttpd12 libyaml-0-2 libpq5 libjansson4 libcurl4 ca-certificates"
# dpkg-dev (dpkg-source), autoconf/automake/libtool (autoreconf) and
# debian-archive-keyring are for deploy/wolfssl/build.sh.
BUILD_PKGS="build-essential pkg-config meson ninja-build autoconf automake libtool
 dpkg-dev ca-certificates debian-archive-keyring
 libmicrohttpd-dev libyaml-dev libpq-dev libjansson-dev libcurl4-openssl-dev check"
# postgresql-15 brings postgresql-client-15 (psql) and postgresql-common;
# libclang-rt-14-dev holds the ASan/UBSan/libFuzzer runtimes for clang 14;
# python3 is Debian's (/usr/bin/python3), not whatever is first on PATH.
# curl drives the REST admin API in tests/integration/test_api.sh.
TEST_PKGS="postgresql-15 postgresql-client-15 clang libclang-rt-14-dev openssl
 gnutls-bin libcoap3-bin iproute2 procps xxd python3 curl"

usage() {
    sed -n 's/^# \{0,1\}//; /^Usage:/,/^$/p' "$0" | sed '/^$/d' >&2
    exit "${1:-2}"
}

want_runtime=0 want_build=0 want_test=0 list_only=0
for arg in "$@"; do
    case "$arg" in
    --runtime) want_runtime=1 ;;
    --build) want_build=1 ;;
    --test) want_build=1 want_test=1 ;;
    --all) want_runtime=1 want_build=1 want_test=1 ;;
    --list) list_only=1 ;;
    -h | --help) usage 0 ;;
    *) echo "install-deps: unknown argument: $arg" >&2; usage ;;
    esac
done
if [ $((want_runtime + want_build + want_test)) -eq 0 ]; then
    want_runtime=1 want_build=1 want_test=1
fi

pkgs=""
[ "$want_runtime" -eq 1 ] && pkgs="$pkgs $RUNTIME_PKGS"
[ "$want_build" -eq 1 ] && pkgs="$pkgs $BUILD_PKGS"
[ "$want_test" -eq 1 ] && pkgs="$pkgs $TEST_PKGS"
# One name a line, duplicates removed, order kept.
# shellcheck disable=SC2086 # split on purpose
pkgs=$(printf '%s\n' $pkgs | awk 'NF && !seen[$0]++')

if [ "$list_only" -eq 1 ]; then
    printf '%s\n' "$pkgs"
    exit 0
fi

# One dpkg-query for all of them. Names dpkg has never heard of print an
# error on stderr and nothing on stdout, so they count as missing.
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $pkgs 2>/dev/null |
    awk '$1 == "ii" {print $2}' || true)
missing=$(printf '%s\n' "$pkgs" | while read -r p; do
    printf '%s\n' "$installed" | grep -qx "$p" || printf '%s\n' "$p"
done)

if [ -z "$missing" ]; then
    echo "install-deps: all $(printf '%s\n' "$pkgs" | wc -l) packages present"
    exit 0
fi

# shellcheck disable=SC2086 # split on purpose
missing_words=$(printf '%s ' $missing)
echo "install-deps: missing: $missing_words"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: not root; run as root or: sudo apt-get install --no-install-recommends $missing_words" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for a concurrent apt/dpkg (unattended-upgrades) instead of failing.
APT="apt-get -q -y -o DPkg::Lock::Timeout=300"
$APT update
# shellcheck disable=SC2086
$APT install --no-install-recommends $missing
echo "install-deps: installed: $missing_words"
