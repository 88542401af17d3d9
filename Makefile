# lwm2m-bsd — two commands on a fresh Debian 12 machine (as root):
#   make run    install what is missing, build, start the daemon in the
#               foreground with the example configuration
#   make test   install what is missing, build, run every test suite
#               (unit, integration, interop; again under ASan+UBSan; fuzzers;
#               the install-tree check)
# meson is the build system; this file only sequences the scripts.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
WOLFSSL_PREFIX := $(CURDIR)/.deps/wolfssl
export PKG_CONFIG_PATH := $(WOLFSSL_PREFIX)/lib/pkgconfig

.PHONY: all deps build run test test-build test-asan test-fuzz clean format

all: build

deps:
	@scripts/install-deps.sh --all
	@deploy/wolfssl/build.sh "$(WOLFSSL_PREFIX)"

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=true --prefix=/usr/local

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	@scripts/run-dev.sh "$(BUILD)"

test: build
	@scripts/test-all.sh "$(BUILD)" "$(ASAN_BUILD)" "$(FUZZ_BUILD)" "$(FUZZ_SECONDS)"

test-build: build
	meson test -C $(BUILD) --print-errorlogs

format:
	find bsd tests tools -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) .run
