/*
 * spool.c — per-worker segment files for session records (contract in
 * spool.h). Writers touch only their own descriptor and two atomics; the
 * reader lists the directory when it needs the next segment, which happens
 * once per segment, not per record.
 */
#include "bsd/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bsd/util/log.h"

typedef struct spool_writer {
    int fd;                      /* current segment, -1 before the first append */
    uint64_t size;               /* its size */
    uint64_t next_seq;           /* sequence of the next segment this writer opens */
    _Atomic uint64_t active_seq; /* sequence being written; 0 = none (all segments complete) */
} spool_writer_t;

struct spool {
    int dirfd;
    unsigned nwriters;
    unsigned nworkers; /* writers plus workers of earlier runs found on disk */
    uint64_t max_bytes, seg_bytes;
    _Atomic uint64_t appended;  /* bytes on disk at open + appended since */
    _Atomic uint64_t committed; /* bytes the reader committed */
    spool_writer_t w[SPOOL_MAX_WRITERS];
    spool_pos_t last[SPOOL_MAX_WRITERS]; /* reader: last committed position per worker */
};

static void seg_name(char *buf, size_t cap, unsigned w, uint64_t seq)
{
    snprintf(buf, cap, "w%03u-%016" PRIx64 ".jsonl", w, seq);
}

/* Parses a segment name; 1 when it is one. */
static int parse_name(const char *n, unsigned *w, uint64_t *seq)
{
    unsigned ww;
    uint64_t s;
    char tail[8];
    if (strlen(n) != 27 || sscanf(n, "w%3u-%16" SCNx64 "%7s", &ww, &s, tail) != 3) return 0;
    if (strcmp(tail, ".jsonl") != 0 || ww >= SPOOL_MAX_WRITERS || s == 0) return 0;
    *w = ww;
    *seq = s;
    return 1;
}

static uint64_t file_size(const spool_t *s, unsigned w, uint64_t seq, int *exists)
{
    char n[40];
    struct stat st;
    seg_name(n, sizeof(n), w, seq);
    if (fstatat(s->dirfd, n, &st, 0) != 0) {
        *exists = 0;
        return 0;
    }
    *exists = 1;
    return (uint64_t)st.st_size;
}

/* The smallest sequence of worker |w| greater than |after|, or 0. */
static uint64_t next_segment(const spool_t *s, unsigned w, uint64_t after)
{
    int fd = dup(s->dirfd);
    if (fd < 0) return 0;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    rewinddir(d);
    uint64_t best = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned ww;
        uint64_t seq;
        if (parse_name(e->d_name, &ww, &seq) && ww == w && seq > after && (best == 0 || seq < best))
            best = seq;
    }
    closedir(d);
    return best;
}

/* A segment is complete when its writer has moved past it (or writes nothing). */
static int complete(const spool_t *s, unsigned w, uint64_t seq)
{
    if (w >= s->nwriters) return 1;
    uint64_t a = atomic_load_explicit(&s->w[w].active_seq, memory_order_acquire);
    return a == 0 || seq < a;
}

spool_t *spool_open(const char *dir, unsigned nwriters, uint64_t max_bytes, uint64_t seg_bytes, char *err,
                    size_t errcap)
{
    if (nwriters == 0 || nwriters > SPOOL_MAX_WRITERS || seg_bytes == 0) {
        snprintf(err, errcap, "%s: bad spool parameters", dir);
        return NULL;
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "%s: cannot create the spool directory: %s", dir, strerror(errno));
        return NULL;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(err, errcap, "%s: cannot open the spool directory: %s", dir, strerror(errno));
        return NULL;
    }
    spool_t *s = calloc(1, sizeof(*s));
    if (!s) {
        close(dfd);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    s->dirfd = dfd;
    s->nwriters = s->nworkers = nwriters;
    s->max_bytes = max_bytes;
    s->seg_bytes = seg_bytes;
    for (unsigned i = 0; i < SPOOL_MAX_WRITERS; i++) {
        s->w[i].fd = -1;
        s->w[i].next_seq = 1;
    }
    /* What earlier runs left: counted as pending; new segments follow them. */
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        snprintf(err, errcap, "%s: cannot list the spool directory: %s", dir, strerror(errno));
        spool_close(s);
        return NULL;
    }
    uint64_t bytes = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned w;
        uint64_t seq;
        struct stat st;
        if (!parse_name(e->d_name, &w, &seq) || fstatat(dfd, e->d_name, &st, 0) != 0) continue;
        bytes += (uint64_t)st.st_size;
        if (seq >= s->w[w].next_seq) s->w[w].next_seq = seq + 1;
        if (w + 1 > s->nworkers) s->nworkers = w + 1;
    }
    closedir(d);
    atomic_store(&s->appended, bytes);
    return s;
}

void spool_close(spool_t *s)
{
    if (!s) return;
    for (unsigned i = 0; i < SPOOL_MAX_WRITERS; i++)
        if (s->w[i].fd >= 0) close(s->w[i].fd);
    if (s->dirfd >= 0) close(s->dirfd);
    free(s);
}

static int open_segment(spool_t *s, unsigned w)
{
    spool_writer_t *wr = &s->w[w];
    char n[40];
    seg_name(n, sizeof(n), w, wr->next_seq);
    int fd = openat(s->dirfd, n, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return SPOOL_ERR_IO;
    if (wr->fd >= 0) close(wr->fd);
    wr->fd = fd;
    wr->size = 0;
    atomic_store_explicit(&wr->active_seq, wr->next_seq, memory_order_release);
    wr->next_seq++;
    return 0;
}

int spool_append(spool_t *s, unsigned w, const char *line, size_t len)
{
    if (!s || w >= s->nwriters || len == 0 || len > SPOOL_LINE_MAX || memchr(line, '\n', len))
        return SPOOL_ERR_ARG;
    spool_writer_t *wr = &s->w[w];
    if ((wr->fd < 0 || wr->size >= s->seg_bytes) && open_segment(s, w) != 0) return SPOOL_ERR_IO;
    char buf[SPOOL_LINE_MAX + 1];
    memcpy(buf, line, len);
    buf[len] = '\n';
    /* One write per record: O_APPEND places it whole at the end. */
    ssize_t n = write(wr->fd, buf, len + 1);
    if (n != (ssize_t)(len + 1)) {
        if (n > 0) wr->size += (uint64_t)n; /* a short write (disk full): the reader skips the torn line */
        return SPOOL_ERR_IO;
    }
    wr->size += len + 1;
    atomic_fetch_add_explicit(&s->appended, len + 1, memory_order_relaxed);
    return 0;
}

uint64_t spool_pending_bytes(const spool_t *s)
{
    uint64_t a = atomic_load_explicit(&s->appended, memory_order_relaxed);
    uint64_t c = atomic_load_explicit(&s->committed, memory_order_relaxed);
    return a > c ? a - c : 0;
}

bool spool_full(const spool_t *s)
{
    return s && s->max_bytes && spool_pending_bytes(s) >= s->max_bytes;
}

unsigned spool_workers(const spool_t *s)
{
    return s ? s->nworkers : 0;
}

long spool_read(spool_t *s, unsigned w, const spool_pos_t *pos, char *buf, size_t cap, unsigned max_lines,
                spool_pos_t *end)
{
    if (!s || w >= SPOOL_MAX_WRITERS || cap < SPOOL_LINE_MAX + 1 || max_lines == 0) return SPOOL_ERR_ARG;
    spool_pos_t p = *pos;
    if (p.seq == 0) p = (spool_pos_t){next_segment(s, w, 0), 0};
    *end = *pos;
    size_t used = 0;
    unsigned lines = 0;
    while (p.seq != 0 && lines < max_lines) {
        char n[40];
        seg_name(n, sizeof(n), w, p.seq);
        int done = complete(s, w, p.seq); /* read before the data: a later line may follow */
        int fd = openat(s->dirfd, n, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT) return SPOOL_ERR_IO;
            p = (spool_pos_t){next_segment(s, w, p.seq), 0}; /* consumed and deleted */
            continue;
        }
        for (;;) {
            if (used == cap || lines == max_lines) break;
            ssize_t r = pread(fd, buf + used, cap - used, (off_t)p.off);
            if (r < 0) {
                close(fd);
                return SPOOL_ERR_IO;
            }
            size_t got = (size_t)r, take = 0;
            for (size_t i = 0; i < got && lines < max_lines; i++) {
                if (buf[used + i] == '\n') {
                    take = i + 1;
                    lines++;
                }
            }
            if (take == 0 && got == cap - used && used == 0) {
                /* A line longer than the buffer: only damage makes one. Skip it. */
                log_msg(BSD_LOG_WARN, "spool.line.skipped", "segment=%s offset=%" PRIu64, n, p.off);
                p.off += got;
                continue;
            }
            used += take;
            p.off += take;
            if (take < got || got == 0) break;
        }
        close(fd);
        *end = p;
        if (lines == max_lines || used == cap) break;
        if (!done) break; /* the writer may still add lines here */
        /* Complete: anything left after the last newline is a torn write. */
        int exists;
        uint64_t size = file_size(s, w, p.seq, &exists);
        if (exists && p.off < size) {
            log_msg(BSD_LOG_WARN, "spool.tail.skipped", "segment=%s bytes=%" PRIu64, n, size - p.off);
            p.off = size;
            *end = p;
        }
        uint64_t nx = next_segment(s, w, p.seq);
        if (nx == 0) break;
        p = (spool_pos_t){nx, 0};
        *end = p;
    }
    return (long)used;
}

int spool_commit(spool_t *s, unsigned w, const spool_pos_t *pos)
{
    if (!s || w >= SPOOL_MAX_WRITERS) return SPOOL_ERR_ARG;
    spool_pos_t *last = &s->last[w];
    uint64_t freed = 0;
    /* Whole segments before |pos|: consumed. */
    for (uint64_t seq = next_segment(s, w, 0); seq != 0 && seq < pos->seq; seq = next_segment(s, w, seq)) {
        int exists;
        uint64_t size = file_size(s, w, seq, &exists);
        if (!exists) continue;
        uint64_t before = seq == last->seq ? last->off : 0;
        freed += size > before ? size - before : 0;
        if (complete(s, w, seq)) {
            char n[40];
            seg_name(n, sizeof(n), w, seq);
            if (unlinkat(s->dirfd, n, 0) != 0 && errno != ENOENT) return SPOOL_ERR_IO;
        }
    }
    /* The segment |pos| is in: up to pos->off; deleted once read to its end and complete. */
    if (pos->seq != 0) {
        uint64_t before = pos->seq == last->seq ? last->off : 0;
        freed += pos->off > before ? pos->off - before : 0;
        int exists;
        uint64_t size = file_size(s, w, pos->seq, &exists);
        if (exists && pos->off >= size && complete(s, w, pos->seq)) {
            char n[40];
            seg_name(n, sizeof(n), w, pos->seq);
            if (unlinkat(s->dirfd, n, 0) != 0 && errno != ENOENT) return SPOOL_ERR_IO;
        }
    }
    *last = *pos;
    atomic_fetch_add_explicit(&s->committed, freed, memory_order_relaxed);
    return 0;
}
