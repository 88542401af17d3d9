#!/bin/sh
# Build wolfSSL 5.7.2 from Debian 13's source package with the LwM2M profile.
#
# Why: Debian 12's binary wolfSSL lacks WOLFSSL_STATIC_PSK (no
# TLS_PSK_WITH_AES_128_CCM_8, the LwM2M mandatory PSK suite), RFC 7250 raw
# public keys and the SP assembly P-256. Debian 13 ships 5.7.2 with its
# security patches; we take that source package, let dpkg-source apply
# Debian's patches, and build a static library into a project-local prefix.
#
# The apt configuration used to fetch the source is private (under the work
# directory); the system's apt sources are never touched. The archive URIs are
# taken from the machine's own Debian sources. Upstream 5.7.2 and the SHA-256
# of its orig tarball are pinned; whatever +deb13uN revision the archive
# currently serves is accepted (the archive keeps only the newest).
#
# Usage: deploy/wolfssl/build.sh [PREFIX]     (default: <repo>/.deps/wolfssl)
# Env:   WOLFSSL_WORK   work directory        (default: <repo>/.deps/wolfssl-work)
#        WOLFSSL_JOBS   parallel make jobs    (default: nproc)
# A stamp file in PREFIX makes re-runs instant while the profile is unchanged.
set -eu

UPSTREAM_VERSION=5.7.2
ORIG_SHA256=0f2ed82e345b833242705bbc4b08a2a2037a33f7bf9c610efae6464f6b10e305

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prefix=${1:-$repo/.deps/wolfssl}
work=${WOLFSSL_WORK:-$repo/.deps/wolfssl-work}
jobs=${WOLFSSL_JOBS:-$(nproc)}

# The LwM2M profile. Changing any of these lines changes the stamp.
CONFIGURE_FLAGS="--enable-static --disable-shared --with-pic
 --enable-dtls --enable-dtls-mtu --enable-psk --enable-rpk
 --enable-aesccm --enable-aesgcm --enable-hkdf --enable-ecc
 --enable-sp --enable-sp-asm --enable-aesni
 --enable-certgen --enable-certreq --enable-certext --enable-pkcs7
 --enable-keygen --enable-sni --enable-extended-master --enable-sessioncerts
 --disable-examples --disable-crypttests --disable-benchmark
 --disable-oldtls --disable-sslv3 --disable-md5 --disable-sha3
 --enable-harden"
# WOLFSSL_STATIC_PSK: plain PSK key exchange (TLS_PSK_WITH_AES_128_CCM_8).
# WOLFSSL_ALWAYS_VERIFY_CB: the verify callback also runs for raw public keys,
#   which wolfSSL would otherwise accept unchecked.
# WOLFSSL_PSK_IDENTITY_ALERT, WOLFSSL_EXTRA_ALERTS: send unknown_psk_identity and
#   the other alerts LwM2M clients act on (Transport 1.1.1 §5.2.9).
# HAVE_EX_DATA: per-connection user pointer for the credential callbacks.
# WOLFSSL_PUBLIC_ASN: DecodedCert access for subject/SAN extraction.
# MAX_CHAIN_DEPTH=4: SESSION_CERTS stores the peer chain inline in every
#   session (depth x 2 KiB); the default depth 9 made each DTLS session cost
#   31 KiB. A device presents its leaf and at most three CA certificates.
PROFILE_CFLAGS="-O2 -DWOLFSSL_PSK_IDENTITY_ALERT -DWOLFSSL_EXTRA_ALERTS -DWOLFSSL_STATIC_PSK -DWOLFSSL_ALWAYS_VERIFY_CB -DHAVE_EX_DATA -DWOLFSSL_PUBLIC_ASN -DMAX_CHAIN_DEPTH=4"

# Project patches (fixes needed by LwM2M clients), applied after Debian's.
patches=$(ls "$here"/patches/*.patch 2>/dev/null | sort || true)
patch_sum=$(cat $patches /dev/null | sha256sum | cut -c1-16)
profile_id=$(printf '%s\n%s\n%s\n%s\n' "$UPSTREAM_VERSION" "$CONFIGURE_FLAGS" "$PROFILE_CFLAGS" "$patch_sum" | sha256sum | cut -c1-16)
stamp=$prefix/.lwm2m-profile-$profile_id
if [ -f "$stamp" ] && [ -f "$prefix/lib/pkgconfig/wolfssl.pc" ]; then
    echo "wolfssl: profile $profile_id already built in $prefix"
    exit 0
fi

need() { command -v "$1" >/dev/null 2>&1; }
missing=""
for t in dpkg-source autoreconf libtoolize make cc patch; do need "$t" || missing="$missing $t"; done
if [ -n "$missing" ]; then
    echo "wolfssl: missing tools:$missing (run scripts/install-deps.sh)" >&2
    exit 1
fi

# Derive the archive URIs from this machine's Debian sources (deb822 or
# one-line format). The first non-security URI is the main archive, the
# first URI whose suite ends in -security is the security archive.
uris=$(
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            awk 'BEGIN{RS="";FS="\n"}
                 { u="";s="";
                   for(i=1;i<=NF;i++){
                     if($i ~ /^URIs:/){sub(/^URIs:[ \t]*/,"",$i); u=$i}
                     if($i ~ /^Suites:/){sub(/^Suites:[ \t]*/,"",$i); s=$i} }
                   if(u!="" && s!=""){ split(u,us," "); split(s,ss," ");
                     print us[1], ss[1] } }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            sed -n 's/^[ \t]*deb\(-src\)\?[ \t]\+\(\[[^]]*\][ \t]\+\)\?\([^ \t]\+\)[ \t]\+\([^ \t]\+\).*/\3 \4/p' "$f"
        done
    } | grep -i 'debian' || true)
main_uri=$(printf '%s\n' "$uris" | awk '$2 !~ /-security$/ {print $1; exit}')
sec_uri=$(printf '%s\n' "$uris" | awk '$2 ~ /-security$/ {print $1; exit}')
if [ -z "$main_uri" ]; then
    echo "wolfssl: cannot find a Debian archive URI in /etc/apt sources" >&2
    exit 1
fi

aptdir=$work/apt
mkdir -p "$aptdir/etc/sources.list.d" "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
{
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: %s\n' "$main_uri" "$keyring"
    if [ -n "$sec_uri" ]; then
        printf '\nTypes: deb-src\nURIs: %s\nSuites: trixie-security\nComponents: main\nSigned-By: %s\n' "$sec_uri" "$keyring"
    fi
} >"$aptdir/etc/sources.list.d/debian-trixie-src.sources"

APT_OPTS="-o Dir::Etc::SourceList=/dev/null
 -o Dir::Etc::SourceParts=$aptdir/etc/sources.list.d
 -o Dir::State::Lists=$aptdir/lists
 -o Dir::Cache=$aptdir/cache
 -o APT::Sandbox::User=root
 -o Debug::NoLocking=true"

echo "wolfssl: reading Debian 13 source index from $main_uri"
# shellcheck disable=SC2086
apt-get $APT_OPTS -q update >"$work/apt-update.log" 2>&1 || {
    cat "$work/apt-update.log" >&2
    exit 1
}
# shellcheck disable=SC2086
version=$(apt-cache $APT_OPTS showsrc wolfssl | awk '/^Version:/ {print $2}' |
    grep "^$UPSTREAM_VERSION-" | sort -V | tail -n1)
case "$version" in
*+deb13u*) ;;
"") echo "wolfssl: no $UPSTREAM_VERSION source package served" >&2; exit 1 ;;
*) echo "wolfssl: note: serving $version (no +deb13uN security revision)" ;;
esac
echo "wolfssl: source package $version"

dl=$work/dl
rm -rf "$dl" && mkdir -p "$dl"
# shellcheck disable=SC2086
(cd "$dl" && apt-get $APT_OPTS -q source --download-only "wolfssl=$version") >"$work/apt-source.log" 2>&1 || {
    cat "$work/apt-source.log" >&2
    exit 1
}
orig=$dl/wolfssl_$UPSTREAM_VERSION.orig.tar.gz
got=$(sha256sum "$orig" | cut -d' ' -f1)
if [ "$got" != "$ORIG_SHA256" ]; then
    echo "wolfssl: orig tarball SHA-256 mismatch: got $got, pinned $ORIG_SHA256" >&2
    exit 1
fi

src=$work/src
rm -rf "$src"
# dpkg-source checks the .dsc checksums and applies debian/patches (quilt).
dpkg-source --no-check -x "$dl"/wolfssl_*.dsc "$src" >"$work/dpkg-source.log" 2>&1 || {
    cat "$work/dpkg-source.log" >&2
    exit 1
}

cd "$src"
for p in $patches; do
    echo "wolfssl: applying $(basename "$p")"
    patch -p1 --forward --batch <"$p" >"$work/patch.log" 2>&1 || {
        cat "$work/patch.log" >&2
        echo "wolfssl: $(basename "$p") does not apply to $version" >&2
        exit 1
    }
done
echo "wolfssl: autoreconf"
autoreconf -fi >"$work/autoreconf.log" 2>&1 || { tail -30 "$work/autoreconf.log" >&2; exit 1; }
echo "wolfssl: configure (LwM2M profile)"
# shellcheck disable=SC2086
./configure --prefix="$prefix" $CONFIGURE_FLAGS CFLAGS="$PROFILE_CFLAGS" \
    >"$work/configure.log" 2>&1 || { tail -40 "$work/configure.log" >&2; exit 1; }
echo "wolfssl: make -j$jobs"
make -j"$jobs" >"$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
rm -rf "$prefix"
make install >"$work/install.log" 2>&1 || { tail -40 "$work/install.log" >&2; exit 1; }
# The generated options.h must carry what the daemon relies on.
for d in WOLFSSL_STATIC_PSK WOLFSSL_ALWAYS_VERIFY_CB HAVE_RPK WOLFSSL_SP_X86_64_ASM HAVE_AESCCM WOLFSSL_DTLS_MTU; do
    grep -q "#define $d" "$prefix/include/wolfssl/options.h" || {
        echo "wolfssl: built library lacks $d" >&2
        exit 1
    }
done
printf 'wolfssl %s\nprofile %s\n' "$version" "$profile_id" >"$stamp"
echo "wolfssl: installed $version into $prefix"
