#!/bin/bash
# Install test: what `meson install` produces must run on a machine that has
# only the runtime packages (the Docker runtime stage, a Debian 12 host).
#
# Usage: tests/integration/test_install.sh BUILD_DIR
#        tests/integration/test_install.sh --check-elf FILE
#   BUILD_DIR    a configured meson build directory (e.g. build)
#   --check-elf  only the shared-library checks below, on any ELF file (used
#                to prove the checks themselves; with RUNTIME_PKGS to widen
#                the allow-list)
#
# Checks, each counted:
#   - `meson install -C BUILD_DIR --destdir TMP` succeeds and installs bin/bsd
#   - every library in bsd's `ldd` closure resolves;
#   - each one belongs to an allowed Debian package: the runtime set
#     (`scripts/install-deps.sh --runtime --list`, plus libc6) and the
#     transitive Depends/Pre-Depends closure of that set among installed
#     packages (`apt-cache depends --recurse --installed`); the owner of a
#     library file is found with `dpkg -S`, trying the /lib <-> /usr/lib
#     spelling too (Debian 12 is merged-/usr, dpkg knows one of the two);
#   - none comes from the source tree, .deps/, the build dir or DESTDIR, and
#     the binary carries no RPATH/RUNPATH;
#   - wolfSSL is linked statically: no libwolfssl in DT_NEEDED nor in ldd;
#   - the installed binary, run from DESTDIR with an empty environment:
#     `bsd --version` succeeds and prints the meson project version, and
#     `bsd -n -c <installed example config>` prints "configuration OK".
#     The example is bsd.conf (else the first bsd*.conf) installed under a
#     share/ directory; BSD_EXAMPLE_CONF overrides the choice. When the
#     example's own key files are not in the install tree, it is checked
#     again with the DTLS key files of a fresh tests/pki/gen.sh PKI, through
#     BSD_DTLS_{CERT,KEY,CA}_FILE.
#
# A sanitizer build (b_sanitize != none, e.g. the ASan pass of `make test`)
# links libasan/libubsan and ships nowhere: the test is skipped (exit 77).
#
# Output: `ok`/`not ok` lines, then `install: N passed, M failed`; exit 1 on
# any failure, 2 on bad usage, 77 when skipped. Needs Debian's python3 (for
# meson's JSON), binutils (readelf), dpkg and apt.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd -P)

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() {
    failed=$((failed + 1))
    echo "not ok - $1"
    [ $# -lt 2 ] || printf '%s\n' "$2" | sed '/^$/d; s/^/    /'
}
finish() {
    echo "install: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

usage() { sed -n 's/^# \{0,1\}//; /^Usage:/,/^$/p' "$0" | sed '/^$/d' >&2; exit 2; }

# --- allow-list ----------------------------------------------------------

# Runtime package names, one a line.
runtime_pkgs() {
    if [ -n "${RUNTIME_PKGS:-}" ]; then
        # shellcheck disable=SC2086 # a space-separated list
        printf '%s\n' $RUNTIME_PKGS
    else
        sh "$repo/scripts/install-deps.sh" --runtime --list
    fi
    echo libc6
}

# The runtime set plus everything it depends on, among installed packages.
allowed_pkgs() {
    local pkgs
    pkgs=$(runtime_pkgs | sort -u)
    # shellcheck disable=SC2086
    { printf '%s\n' $pkgs
      apt-cache depends --recurse --installed --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances $pkgs 2>/dev/null |
        grep -v '^[ <]'
    } | sed 's/:.*//' | sort -u
}

# The Debian package that owns library file $1, or nothing.
lib_owner() {
    local p c cands=()
    p=$1
    cands+=("$p" "$(readlink -f "$p")")
    for c in "${cands[@]}"; do
        case "$c" in
        /usr/lib/*) cands+=("${c#/usr}") ;;
        /lib/*) cands+=("/usr$c") ;;
        /usr/lib64/*) cands+=("${c#/usr}") ;;
        /lib64/*) cands+=("/usr$c") ;;
        esac
    done
    for c in "${cands[@]}"; do
        # `pkg[:arch][, pkg2]: /path`; diversion lines start otherwise.
        LC_ALL=C dpkg -S "$c" 2>/dev/null | awk -F': ' -v f="$c" '$2 == f {print $1; exit}' |
            sed 's/,.*//; s/:.*//' | grep . && return 0
    done
    return 1
}

# --- ELF checks -------------------------------------------------------------

# check_elf FILE [FORBIDDEN_DIR...]: the shared-library checks, counted.
check_elf() {
    local elf=$1 out line name path real owner allowed bad_resolve="" bad_pkg="" \
        bad_dir="" wolf="" dirs d listed=0 needed rpath
    shift
    dirs=("$@")

    if [ "$(head -c 4 "$elf" | od -An -c | tr -d ' ')" != '177ELF' ]; then
        fail "$elf is an ELF file"
        return
    fi
    if ! out=$(LC_ALL=C ldd "$elf" 2>&1); then
        case "$out" in
        *"not a dynamic executable"* | *"statically linked"*)
            ok "$elf is statically linked: no shared libraries to check"
            return ;;
        esac
        fail "ldd runs on $elf" "$out"
        return
    fi
    allowed=$(allowed_pkgs)
    if [ -z "$allowed" ]; then
        fail "allow-list of runtime packages is computable" "apt-cache depends gave nothing"
        return
    fi

    while IFS= read -r line; do
        line=${line#"${line%%[![:space:]]*}"}
        [ -n "$line" ] || continue
        case "$line" in
        *"=> not found"*)
            bad_resolve+="${line%% *} "
            continue ;;
        *" => "*)
            name=${line%% =>*}
            path=${line#*=> }
            path=${path%% (*} ;;
        /*)
            name=${line%% (*}
            path=$name ;;
        *) # linux-vdso.so.1 and friends: provided by the kernel
            continue ;;
        esac
        [ -n "$path" ] || continue
        listed=$((listed + 1))
        case "$name$path" in *libwolfssl*) wolf+="$path " ;; esac
        real=$(readlink -f "$path")
        for d in "${dirs[@]}"; do
            case "$real/" in "$d"/*) bad_dir+="$path -> $real (under $d)"$'\n' ;; esac
        done
        if ! owner=$(lib_owner "$path"); then
            bad_pkg+="$path: owned by no Debian package"$'\n'
        elif ! grep -qx "$owner" <<<"$allowed"; then
            bad_pkg+="$path: package $owner is not in the runtime closure"$'\n'
        else
            echo "#   $path -> $owner"
        fi
    done <<<"$out"

    [ -z "$bad_resolve" ] && ok "every library of $(basename "$elf") resolves ($listed)" ||
        fail "every library of $(basename "$elf") resolves" "not found: $bad_resolve"
    [ -z "$bad_pkg" ] && ok "every library belongs to an allowed runtime package" ||
        fail "every library belongs to an allowed runtime package" "$bad_pkg"
    [ -z "$bad_dir" ] && ok "no library comes from the source tree, .deps, the build dir or DESTDIR" ||
        fail "no library comes from the source tree, .deps, the build dir or DESTDIR" "$bad_dir"

    needed=$(LC_ALL=C readelf -d "$elf" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    case "$needed $wolf" in
    *libwolfssl*) fail "wolfSSL is linked statically (no libwolfssl needed)" "NEEDED: $(tr '\n' ' ' <<<"$needed") ldd: $wolf" ;;
    *) ok "wolfSSL is linked statically (no libwolfssl needed)" ;;
    esac
    rpath=$(LC_ALL=C readelf -d "$elf" 2>/dev/null | grep -E '\((RPATH|RUNPATH)\)' || true)
    [ -z "$rpath" ] && ok "no RPATH/RUNPATH in the binary" || fail "no RPATH/RUNPATH in the binary" "$rpath"
}

# --- main -------------------------------------------------------------------

[ $# -ge 1 ] || usage
if [ "$1" = --check-elf ]; then
    [ $# -eq 2 ] || usage
    [ -f "$2" ] || { fail "$2 exists"; finish; }
    check_elf "$(readlink -f "$2")" "$repo"
    finish
fi
[ $# -eq 1 ] || usage
case "$1" in -*) usage ;; esac

if [ ! -f "$1/build.ninja" ]; then
    fail "BUILD_DIR $1 is a configured meson build directory" "no $1/build.ninja: run meson setup first"
    finish
fi
build=$(cd "$1" && pwd -P)

# meson's view of the build: sanitizer, prefix, bindir, project version.
opt() {
    meson introspect --buildoptions "$build" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
want = sys.argv[1]
for o in json.load(sys.stdin):
    if o["name"] == want:
        print(o["value"])' "$1"
}
sanitize=$(opt b_sanitize)
if [ -n "$sanitize" ] && [ "$sanitize" != none ]; then
    # A sanitizer build links libasan/libubsan, which no runtime machine
    # has; the install tree of the normal build is the one that ships.
    echo "ok - skipped: $build is a b_sanitize=$sanitize build"
    echo "install: 0 passed, 0 failed, 1 skipped"
    exit 77
fi
prefix=$(opt prefix)
bindir=$(opt bindir)
want_version=$(meson introspect --projectinfo "$build" 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
if [ -z "$prefix" ] || [ -z "$bindir" ] || [ -z "$want_version" ]; then
    fail "meson introspect reads prefix, bindir and version of $build" \
        "prefix=$prefix bindir=$bindir version=$want_version (is /usr/bin/python3 installed?)"
    finish
fi

destdir=$(mktemp -d /tmp/bsd-install.XXXXXX)
trap 'rm -rf "$destdir" "$destdir.pki"' EXIT
trap 'exit 130' INT TERM

if log=$(meson install -C "$build" --destdir "$destdir" 2>&1); then
    ok "meson install --destdir succeeds"
else
    fail "meson install --destdir succeeds" "$(tail -n 20 <<<"$log")"
    finish
fi

case "$bindir" in /*) bin=$destdir$bindir/bsd ;; *) bin=$destdir$prefix/$bindir/bsd ;; esac
if [ -f "$bin" ] && [ -x "$bin" ]; then
    ok "installed ${bin#"$destdir"}"
else
    fail "install puts an executable bsd into ${bin#"$destdir"}" \
        "installed: $(cd "$destdir" && find . -type f | head -n 20 | tr '\n' ' ') (does bsd/meson.build set install : true?)"
    finish
fi

check_elf "$bin" "$repo" "$build" "$destdir"

# Run it from DESTDIR with nothing inherited from this shell.
run() { env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 "$@"; }

if vout=$(run "$bin" --version 2>&1); then
    case "$vout" in
    *" $want_version"*) ok "bsd --version succeeds: $(head -n1 <<<"$vout")" ;;
    *) fail "bsd --version prints the project version $want_version" "$vout" ;;
    esac
else
    fail "bsd --version succeeds" "$vout"
fi

if [ -n "${BSD_EXAMPLE_CONF:-}" ]; then
    conf=$(readlink -f "$BSD_EXAMPLE_CONF")
else
    conf=$(find "$destdir" -path '*/share/*' -type f -name 'bsd.conf' | sort | head -n1)
    [ -n "$conf" ] || conf=$(find "$destdir" -path '*/share/*' -type f -name 'bsd*.conf' | sort | head -n1)
fi
if [ -z "$conf" ] || [ ! -f "$conf" ]; then
    fail "install ships an example configuration (bsd*.conf) under share/" \
        "none below $destdir/**/share/ (BSD_EXAMPLE_CONF names another)"
else
    shown=${conf#"$destdir"}
    # From the config's own directory, so relative paths in it resolve.
    if cout=$(cd "$(dirname "$conf")" && run "$bin" -n -c "$conf" 2>&1) &&
        grep -q "configuration OK" <<<"$cout"; then
        ok "bsd -n -c $shown: $(grep "configuration OK" <<<"$cout" | head -n1)"
    else
        # An installed example cannot ship private keys: it may point at a
        # development PKI that an install tree does not have. Retry with the
        # three DTLS key files from a fresh test PKI (BSD_* overrides); the
        # rest of the file (listeners, devices file, limits) is still the
        # example's own.
        pki=$destdir.pki
        if sh "$repo/tests/pki/gen.sh" "$pki" >/dev/null 2>&1 &&
            cout2=$(cd "$(dirname "$conf")" && run BSD_DTLS_CERT_FILE="$pki/server.crt" \
                BSD_DTLS_KEY_FILE="$pki/server.key" BSD_DTLS_CA_FILE="$pki/ca.crt" \
                "$bin" -n -c "$conf" 2>&1) && grep -q "configuration OK" <<<"$cout2"; then
            ok "bsd -n -c $shown: configuration OK with the test PKI's key files"
            echo "#   (as installed it says: $(head -n1 <<<"$cout"))"
        else
            fail "bsd -n -c $shown reports configuration OK" \
                "as installed: $cout"$'\n'"with test PKI key files: ${cout2:-gen.sh failed}"
        fi
    fi
fi

finish
