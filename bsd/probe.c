/*
 * probe.c — stateless DTLS liveness probe (see probe.h).
 */
#include "bsd/probe.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Builds a minimal DTLS 1.2 ClientHello (RFC 6347 §4.2.1) offering
 * TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8) and the extended master secret
 * extension; returns its length. */
static size_t client_hello(uint8_t *b)
{
    static const uint8_t tail[] = {
        0x00,                               /* session_id: empty */
        0x00,                               /* cookie: empty */
        0x00, 0x02, 0xc0, 0xa8,             /* cipher_suites */
        0x01, 0x00,                         /* compression: null */
        0x00, 0x04, 0x00, 0x17, 0x00, 0x00, /* extended_master_secret */
    };
    size_t body = 2 + 32 + sizeof(tail);
    uint8_t *p = b;
    /* record header */
    *p++ = 22;
    *p++ = 0xfe;
    *p++ = 0xfd;
    memset(p, 0, 8); /* epoch 0, sequence 0 */
    p += 8;
    *p++ = (uint8_t)((12 + body) >> 8);
    *p++ = (uint8_t)(12 + body);
    /* handshake header */
    *p++ = 1;
    *p++ = 0;
    *p++ = (uint8_t)(body >> 8);
    *p++ = (uint8_t)body;
    *p++ = 0;
    *p++ = 0; /* message_seq */
    *p++ = 0;
    *p++ = 0;
    *p++ = 0; /* fragment_offset */
    *p++ = 0;
    *p++ = (uint8_t)(body >> 8);
    *p++ = (uint8_t)body; /* fragment_length */
    *p++ = 0xfe;
    *p++ = 0xfd;
    if (getrandom(p, 32, 0) != 32) memset(p, 0x5a, 32);
    p += 32;
    memcpy(p, tail, sizeof(tail));
    p += sizeof(tail);
    return (size_t)(p - b);
}

int probe_dtls(const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
    int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, sa, len) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    uint8_t hello[128], resp[512];
    size_t n = client_hello(hello);
    int rc = 1;
    for (int attempt = 0; attempt < 3 && rc == 1; attempt++) {
        if (send(fd, hello, n, 0) < 0) continue;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms / 3 > 0 ? timeout_ms / 3 : 1) <= 0) continue;
        ssize_t r = recv(fd, resp, sizeof(resp), 0);
        /* Handshake record whose first message is HelloVerifyRequest (3). */
        if (r > 13 && resp[0] == 22 && resp[1] == 0xfe && resp[13] == 3) rc = 0;
    }
    close(fd);
    return rc;
}
