# syntax=docker/dockerfile:1
# lwm2m-bsd container image: a Debian 12 builder and a Debian 12 slim runtime.
#
# Both stages use the same scripts as `make test` and CI, so the image needs
# nothing they do not: scripts/install-deps.sh names the packages,
# deploy/wolfssl/build.sh builds the wolfSSL profile (static), meson builds
# and installs. See docs/DEPLOYMENT.md.
#
#   docker build -t lwm2m-bsd .
#   docker build --target install-check .     # the install-tree test, in the builder
#   docker run --rm -v /etc/bsd:/etc/bsd:ro -p 5684:5684/udp lwm2m-bsd

# ---- builder ------------------------------------------------------------
FROM debian:bookworm AS build
SHELL ["/bin/sh", "-eu", "-c"]
WORKDIR /src

# Layers in order of how rarely they change: packages, then wolfSSL, then
# the source. deploy/wolfssl/build.sh fetches Debian 13's wolfSSL source
# package; it reads the archive address from the image's own
# /etc/apt/sources.list.d/debian.sources.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN sh scripts/install-deps.sh --build
COPY deploy/wolfssl/build.sh deploy/wolfssl/build.sh
RUN sh deploy/wolfssl/build.sh /src/.deps/wolfssl && rm -rf /src/.deps/wolfssl-work

COPY . .
ENV PKG_CONFIG_PATH=/src/.deps/wolfssl/lib/pkgconfig
RUN meson setup /build --buildtype=release -Dtests=false --prefix=/usr/local \
 && ninja -C /build \
 && meson install -C /build --destdir /out

# ---- optional: the install-tree test (docker build --target install-check) -
# Not part of the default image: `make test` runs the same script.
FROM build AS install-check
RUN bash tests/integration/test_install.sh /build

# ---- runtime --------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
SHELL ["/bin/sh", "-eu", "-c"]

COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN sh /tmp/install-deps.sh --runtime \
 && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh

# A fixed numeric uid/gid so that Kubernetes' runAsNonRoot can verify it and
# mounted key files can be given to it (chown 10001).
RUN groupadd --gid 10001 bsd \
 && useradd --uid 10001 --gid bsd --home-dir /var/lib/bsd --no-create-home \
      --no-log-init --shell /usr/sbin/nologin bsd \
 && install -d -o bsd -g bsd -m 0750 /var/lib/bsd /run/bsd \
 && install -d -m 0755 /etc/bsd

COPY --from=build /out/ /

USER 10001:10001
WORKDIR /var/lib/bsd
# 5684/udp CoAP over DTLS, 5683/udp plain CoAP (NoSec, off unless
# listen_coap is set), 8443/tcp the admin REST API.
EXPOSE 5684/udp 5683/udp 8443/tcp
# --check sends one probe to the DTLS listener and exits 0 when the daemon
# answers; it opens no session.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["bsd", "--check", "127.0.0.1:5684"]
# SIGTERM closes every DTLS session (close_notify) and exits; SIGHUP reloads
# the devices file and keys (docker kill -s HUP).
STOPSIGNAL SIGTERM
ENTRYPOINT ["bsd", "-c", "/etc/bsd/bsd.conf"]
