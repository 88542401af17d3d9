/*
 * probe.h — `bsd --check`: a liveness probe for container health checks.
 *
 * It sends a cookie-less DTLS 1.2 ClientHello to the daemon and waits for the
 * HelloVerifyRequest. That exercises a worker's whole receive/answer path
 * without credentials and, by design of the cookie exchange, without
 * creating any state in the daemon.
 */
#ifndef BSD_PROBE_H
#define BSD_PROBE_H

#include <sys/socket.h>

/* Returns 0 when |sa| answered with a HelloVerifyRequest within |timeout_ms|
 * (three tries), 1 when it did not, -errno on local socket errors. */
int probe_dtls(const struct sockaddr *sa, socklen_t len, int timeout_ms);

#endif
