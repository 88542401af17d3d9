/*
 * udp.h — UDP socket set-up for the workers. Each worker owns one socket per
 * listen address, all bound with SO_REUSEPORT so the kernel spreads peers
 * over workers by 4-tuple; a peer therefore always lands on the same worker,
 * which owns its DTLS session (no locks on the hot path).
 */
#ifndef BSD_TRANSPORT_UDP_H
#define BSD_TRANSPORT_UDP_H

#include <sys/socket.h>

/*
 * Creates a non-blocking UDP socket bound to |sa| with SO_REUSEPORT, IPv6
 * sockets IPV6_V6ONLY, and a large receive buffer. Returns the fd or -errno.
 */
int udp_bind(const struct sockaddr *sa, socklen_t len);

/* Formats |sa| as "1.2.3.4:5" or "[::1]:5" into |out|; returns |out|. */
const char *udp_addr_str(const struct sockaddr *sa, char *out, size_t cap);

#endif
