#!/bin/sh
# Runs every test suite: the normal build (unit, integration, interop,
# install), the whole suite again under ASan+UBSan, then each libFuzzer
# target for a bounded time. Prints one closing "N passed, N failed" line.
#
# Usage: scripts/test-all.sh BUILD ASAN_BUILD FUZZ_BUILD FUZZ_SECONDS
set -u
build=${1:-build}
asan=${2:-build-asan}
fuzz=${3:-build-fuzz}
fuzz_seconds=${4:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PKG_CONFIG_PATH="$here/.deps/wolfssl/lib/pkgconfig"

passed=0
failed=0
failures=""

count_meson() { # builddir label
    log="$1/meson-logs/testlog.json"
    [ -f "$log" ] || return 0
    p=$(grep -c '"result": "OK"' "$log" || true)
    s=$(grep -c '"result": "SKIP"' "$log" || true)
    f=$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\|UNEXPECTEDPASS\)"' "$log" || true)
    echo "== $2: $p passed, $f failed, $s skipped"
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -eq 0 ] || failures="$failures $2"
}

echo "== [1/3] tests (gcc, -Werror)"
meson test -C "$build" --print-errorlogs --num-processes 2 || true
count_meson "$build" "tests"

echo "== [2/3] tests under ASan+UBSan"
if [ ! -f "$asan/build.ninja" ]; then
    meson setup "$asan" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all >/dev/null || { failed=$((failed + 1)); failures="$failures asan-setup"; }
fi
if ninja -C "$asan" >"$asan/ninja-build.log" 2>&1; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        meson test -C "$asan" --print-errorlogs --num-processes 2 --timeout-multiplier 3 || true
    count_meson "$asan" "asan"
else
    tail -40 "$asan/ninja-build.log"
    failed=$((failed + 1))
    failures="$failures asan-build"
fi

echo "== [3/3] fuzzers, ${fuzz_seconds}s each"
if [ ! -f "$fuzz/build.ninja" ]; then
    CC=clang meson setup "$fuzz" -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
        -Db_lundef=false >/dev/null || { failed=$((failed + 1)); failures="$failures fuzz-setup"; }
fi
if ninja -C "$fuzz" >"$fuzz/ninja-build.log" 2>&1; then
    for exe in $(find "$fuzz" -maxdepth 4 -type f -name 'fuzz_*' -perm -u+x | sort); do
        name=$(basename "$exe")
        seeds="tests/fuzz/corpus/${name#fuzz_}"
        work=$(mktemp -d)
        [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
        if "$exe" -max_total_time="$fuzz_seconds" -print_final_stats=1 -close_fd_mask=3 "$work" \
            >"$fuzz/$name.log" 2>&1; then
            execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$fuzz/$name.log")
            echo "== fuzz $name: ok, $execs executions"
            passed=$((passed + 1))
        else
            tail -60 "$fuzz/$name.log"
            echo "== fuzz $name: FAILED (log: $fuzz/$name.log)"
            failed=$((failed + 1))
            failures="$failures $name"
        fi
        rm -rf "$work"
    done
else
    tail -40 "$fuzz/ninja-build.log"
    failed=$((failed + 1))
    failures="$failures fuzz-build"
fi

[ -z "$failures" ] || echo "failed:$failures"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
