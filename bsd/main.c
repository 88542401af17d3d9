/*
 * main.c — the bsd daemon: options, configuration, start-up order, signals.
 *
 * Start-up order (OpenBSD-daemon style): read and validate everything, load
 * keys and credentials, bind every socket, write the PID file, then drop
 * root, then start the workers and the REST admin API (bsd/api; its TCP
 * sockets are bound and its TLS key read before root is dropped). Signals
 * are taken synchronously through a signalfd in the main thread, never in
 * signal context: SIGHUP reloads credentials and DTLS key material,
 * SIGTERM/SIGINT stop the API, close every session with close_notify and
 * exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "bsd/api/api.h"
#include "bsd/devload.h"
#include "bsd/metrics.h"
#ifdef BSD_HAVE_BOOTSTRAP
#include "bsd/dbload.h"
#include "bsd/dbnotify.h"
#include "bsd/est_srv.h"
#include "bsd/lwm2m/bs_planfile.h"
#include "bsd/planner.h"
#include "bsd/recwriter.h"
#include "bsd/spool.h"
#endif
#include "bsd/probe.h"
#include "bsd/server.h"
#include "bsd/transport/dtls.h"
#include "bsd/transport/udp.h"
#include "bsd/transport/worker.h"
#include "bsd/util/config.h"
#include "bsd/util/log.h"

#define BSD_VERSION "0.1.0"
#define EXIT_CONFIG 78 /* sysexits EX_CONFIG */
#define MAX_WORKERS 64

extern char **environ;

static void usage(FILE *f)
{
    fprintf(f, "usage: bsd [-c FILE] [-n] [-v] [--check [ADDR:PORT]] [--version]\n"
               "  -c FILE        configuration file (default /etc/bsd/bsd.conf)\n"
               "  -n             check the configuration, credentials and keys, then exit\n"
               "  -v             with -n: print the effective configuration\n"
               "  --check [A:P]  health probe: exit 0 if the daemon answers a DTLS\n"
               "                 ClientHello with a HelloVerifyRequest (default: first listener)\n"
               "  --version      print the version and exit\n");
}

static int load_config(bsd_config_t *cfg, const char *path)
{
    char err[CONFIG_ERR_MAX];
    config_init_defaults(cfg);
    if (config_load_file(cfg, path, err, sizeof(err)) != 0 ||
        config_apply_env(cfg, environ, err, sizeof(err)) != 0) {
        fprintf(stderr, "bsd: %s\n", err);
        config_free(cfg);
        return -1;
    }
    return 0;
}

/* Builds one configuration generation: credentials and DTLS contexts. */
static bsd_gen_t *build_gen(const bsd_config_t *cfg, uint64_t id, char *err, size_t errcap)
{
    bsd_gen_t *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    g->id = id;
    if (errcap) err[0] = 0;
#ifdef BSD_HAVE_BOOTSTRAP
    if (cfg->db_url) {
        bsd_planner_t *pl = NULL;
        if (dbload_gen(cfg, &g->creds, &pl, err, errcap) != 0) {
            free(g);
            return NULL;
        }
        g->app = pl;
    }
#endif
    if (!g->creds) g->creds = cfg->devices_file ? devload_creds(cfg->devices_file, err, errcap) : NULL;
    if (!g->creds) {
        if (!cfg->devices_file && !err[0])
            snprintf(err, errcap, "db_url: this build has no PostgreSQL store");
        free(g);
        return NULL;
    }
    dtls_settings_t ds = {
        .cert_file = cfg->dtls.cert_file,
        .key_file = cfg->dtls.key_file,
        .ca_file = cfg->dtls.ca_file,
        .ca_file2 = cfg->est.ca_cert,
        .allow_psk = cfg->dtls.psk,
        .allow_rpk = cfg->dtls.rpk,
        .allow_x509 = cfg->dtls.x509,
    };
    if (dtls_profile_load(&g->prof, &ds, err, errcap) != 0) {
        creds_free(g->creds);
#ifdef BSD_HAVE_BOOTSTRAP
        bsd_planner_free(g->app);
#endif
        free(g);
        return NULL;
    }
#ifdef BSD_HAVE_BOOTSTRAP
    if (cfg->plans_file) {
        bs_planfile_t *pf = bs_planfile_load(cfg->plans_file, err, errcap);
        g->app = pf ? bsd_planner_from_planfile(pf) : NULL;
        if (pf && !g->app) snprintf(err, errcap, "out of memory");
        if (!g->app) {
            dtls_profile_free(&g->prof);
            creds_free(g->creds);
            free(g);
            return NULL;
        }
    }
#endif
    return g;
}

/* The API's view of the daemon (api.h hooks), read on API threads. */
static int api_metrics_hook(void *ctx, FILE *f)
{
    return metrics_write(ctx, f);
}

static uint64_t api_generation_hook(void *ctx)
{
    (void)ctx;
    return metrics_generation();
}

static void free_gen(bsd_gen_t *g)
{
    if (!g) return;
    dtls_profile_free(&g->prof);
    creds_free(g->creds);
#ifdef BSD_HAVE_BOOTSTRAP
    bsd_planner_free(g->app);
#endif
    free(g);
}

static int drop_privileges(const char *user)
{
    if (geteuid() != 0 || !user || !user[0]) return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "bsd: user \"%s\" does not exist (set user = \"\" to stay root)\n", user);
        return -1;
    }
    if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "bsd: cannot drop privileges to %s: %s\n", user, strerror(errno));
        return -1;
    }
    if (setuid(0) == 0) {
        fprintf(stderr, "bsd: privileges were not dropped\n");
        return -1;
    }
    return 0;
}

/* The address --check probes: the first DTLS listener, with a wildcard
 * address replaced by loopback. */
static void probe_target(const bsd_config_t *cfg, struct sockaddr_storage *ss, socklen_t *len)
{
    *ss = cfg->listen.addr[0].ss;
    *len = cfg->listen.addr[0].len;
    if (ss->ss_family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        if (s4->sin_addr.s_addr == htonl(INADDR_ANY)) s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) s6->sin6_addr = in6addr_loopback;
    }
}

int main(int argc, char **argv)
{
    const char *conf_path = "/etc/bsd/bsd.conf";
    int check_only = 0, verbose = 0, probe = 0;
    const char *probe_arg = NULL;
    static const struct option longopts[] = {
        {"check", optional_argument, NULL, 'C'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:nvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': conf_path = optarg; break;
        case 'n': check_only = 1; break;
        case 'v': verbose = 1; break;
        case 'C':
            probe = 1;
            probe_arg = optarg;
            break;
        case 'V': printf("bsd %s (wolfSSL %s)\n", BSD_VERSION, wolfSSL_lib_version()); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc && probe && !probe_arg) probe_arg = argv[optind++];
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    if (probe && probe_arg) {
        struct sockaddr_storage ss;
        socklen_t len;
        if (config_parse_addr(probe_arg, &ss, &len) != 0) {
            fprintf(stderr, "bsd: --check: bad address \"%s\" (want ADDR:PORT or [V6]:PORT)\n", probe_arg);
            return 2;
        }
        int r = probe_dtls((struct sockaddr *)&ss, len, 3000);
        if (r != 0) fprintf(stderr, "bsd: --check: no HelloVerifyRequest from %s\n", probe_arg);
        return r == 0 ? 0 : 1;
    }

    bsd_config_t cfg;
    if (load_config(&cfg, conf_path) != 0) return EXIT_CONFIG;
    if (probe) {
        struct sockaddr_storage ss;
        socklen_t len;
        probe_target(&cfg, &ss, &len);
        int r = probe_dtls((struct sockaddr *)&ss, len, 3000);
        char a[64];
        if (r != 0)
            fprintf(stderr, "bsd: --check: no HelloVerifyRequest from %s\n",
                    udp_addr_str((struct sockaddr *)&ss, a, sizeof(a)));
        config_free(&cfg);
        return r == 0 ? 0 : 1;
    }
    log_set_level(cfg.log_level);

    /* Only effective when wolfSSL itself was built with --enable-debug. */
    if (getenv("BSD_WOLFSSL_DEBUG")) wolfSSL_Debugging_ON();
    if (dtls_global_init() != 0) {
        fprintf(stderr, "bsd: wolfSSL initialisation failed\n");
        return 1;
    }
    char err[1024];
#ifdef BSD_HAVE_BOOTSTRAP
    /* The EST CA first: its key is read now, before privileges are dropped
     * (like the API's TLS key), and the generation loader issues the
     * certificates policies give at bootstrap with it. */
    est_srv_t *est = est_srv_open(&cfg, err, sizeof(err));
    if (!est && err[0]) {
        fprintf(stderr, "bsd: %s\n", err);
        config_free(&cfg);
        return EXIT_CONFIG;
    }
    /* The loader issues the certificates policies give at bootstrap with
     * it; `bsd -n` only checks, and issues nothing. */
    if (!check_only) dbload_set_est_ca(est_srv_ca(est));
#endif
    bsd_gen_t *gen = build_gen(&cfg, 1, err, sizeof(err));
    if (!gen) {
        fprintf(stderr, "bsd: %s\n", err);
        config_free(&cfg);
        return EXIT_CONFIG;
    }
    if (check_only) {
        if (api_check(&cfg, err, sizeof(err)) != 0) {
            fprintf(stderr, "bsd: %s\n", err);
            free_gen(gen);
            config_free(&cfg);
            return EXIT_CONFIG;
        }
#ifdef BSD_HAVE_BOOTSTRAP
        est_srv_close(est);
#endif
        if (verbose) config_dump(&cfg, stdout);
        printf("configuration OK (%zu devices)\n", creds_count(gen->creds));
        free_gen(gen);
        config_free(&cfg);
        return 0;
    }

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nworkers = cfg.workers ? (int)cfg.workers : (int)(ncpu > 0 ? ncpu : 1);
    if (nworkers > MAX_WORKERS) nworkers = MAX_WORKERS;
    int ndtls = (int)cfg.listen.count, ncoap = (int)cfg.listen_coap.count;
    static int dfd[MAX_WORKERS][WORKER_MAX_SOCKETS], cfd[MAX_WORKERS][WORKER_MAX_SOCKETS];
    for (int w = 0; w < nworkers; w++) {
        for (int i = 0; i < ndtls + ncoap; i++) {
            const config_addr_t *a = i < ndtls ? &cfg.listen.addr[i] : &cfg.listen_coap.addr[i - ndtls];
            int fd = udp_bind((const struct sockaddr *)&a->ss, a->len);
            if (fd < 0) {
                char as[64];
                fprintf(stderr, "bsd: cannot bind %s: %s\n",
                        udp_addr_str((const struct sockaddr *)&a->ss, as, sizeof(as)), strerror(-fd));
                return 1;
            }
            if (i < ndtls)
                dfd[w][i] = fd;
            else
                cfd[w][i - ndtls] = fd;
        }
    }
    api_t *api = NULL;
    if (cfg.api.listen.count || cfg.api.http_listen.count) {
        api = api_open(&cfg, cfg.diag_resources, err, sizeof(err));
        if (!api) {
            fprintf(stderr, "bsd: %s\n", err);
            free_gen(gen);
            config_free(&cfg);
            return 1;
        }
    }
    if (cfg.pid_file) {
        FILE *pf = fopen(cfg.pid_file, "w");
        if (!pf || fprintf(pf, "%ld\n", (long)getpid()) < 0 || fclose(pf) != 0) {
            fprintf(stderr, "bsd: cannot write pid file %s: %s\n", cfg.pid_file, strerror(errno));
            return 1;
        }
    }
    int records_fd = -1;
    if (cfg.records_file) {
        records_fd = open(cfg.records_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (records_fd < 0) {
            fprintf(stderr, "bsd: cannot open records file %s: %s\n", cfg.records_file, strerror(errno));
            return 1;
        }
    }
    if (drop_privileges(cfg.user) != 0) return 1;

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* workers inherit the mask */
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sfd < 0) {
        fprintf(stderr, "bsd: signalfd: %s\n", strerror(errno));
        return 1;
    }

    static bsd_gen_t *_Atomic current;
    atomic_store(&current, gen);
    metrics_set_generation(gen->id, creds_count(gen->creds));
    server_t srv = {.diag_resources = cfg.diag_resources,
                    .records_fd = records_fd,
                    .max_per_device = cfg.bootstrap_max_per_device,
                    .device_window_s = cfg.bootstrap_device_window};
    dbnotify_t *notify = NULL;
#ifdef BSD_HAVE_BOOTSTRAP
    if (cfg.db_url) {
        /* Records wait in the spool and a thread stores them; changes in
         * the database reach the daemon through LISTEN. */
        srv.spool = spool_open(cfg.records_spool, (unsigned)nworkers + 1,
                               (uint64_t)cfg.records_spool_max_mib << 20, 16u << 20, err, sizeof(err));
        srv.rw = srv.spool ? recwriter_start(srv.spool, cfg.db_url, err, sizeof(err)) : NULL;
        notify = srv.rw ? dbnotify_new(cfg.db_url) : NULL;
        if (!srv.spool || !srv.rw || !notify) {
            fprintf(stderr, "bsd: %s\n", err[0] ? err : "out of memory");
            return 1;
        }
        dbnotify_poll(notify, 0); /* connect now; the first "change" is the start itself */
    }
#endif
#ifdef BSD_HAVE_BOOTSTRAP
    if (est && est_srv_start(est, err, sizeof(err)) != 0) {
        fprintf(stderr, "bsd: %s\n", err);
        return 1;
    }
    srv.est = est;
#endif
    worker_app_t app;
    server_app(&srv, &app);
    worker_limits_t lim = {
        .handshake_timeout_ms = cfg.dtls.handshake_timeout * 1000u,
        .idle_timeout_ms = cfg.dtls.idle_timeout * 1000u,
        .max_sessions = (cfg.dtls.max_sessions + (unsigned)nworkers - 1) / (unsigned)nworkers,
        /* Each worker owns its rate table (no shared state on the packet
         * path); a source's ports spread over workers, so each enforces its
         * share. The total for one source stays within rate + workers. */
        .handshake_rate = cfg.dtls.handshake_rate
                              ? (cfg.dtls.handshake_rate + (unsigned)nworkers - 1) / (unsigned)nworkers
                              : 0,
        .cookie_rotate_ms = cfg.dtls.cookie_rotate * 1000u,
        .max_datagram = (uint16_t)(cfg.max_datagram > WORKER_TX_BUF ? WORKER_TX_BUF : cfg.max_datagram),
    };
    if (cfg.max_datagram > WORKER_TX_BUF)
        log_msg(BSD_LOG_WARN, "config.max_datagram.capped", "configured=%u used=%u", cfg.max_datagram,
                (unsigned)WORKER_TX_BUF);
    worker_t *workers[MAX_WORKERS];
    for (int w = 0; w < nworkers; w++) {
        workers[w] = worker_new(w, dfd[w], ndtls, cfd[w], ncoap, &lim, &current, &app);
        if (!workers[w] || worker_start(workers[w]) != 0) {
            fprintf(stderr, "bsd: cannot start worker %d\n", w);
            return 1;
        }
    }
    metrics_src_t msrc = {.workers = workers, .nworkers = nworkers, .spool = srv.spool, .rw = srv.rw};
    api_hooks_t hooks = {.ctx = &msrc, .metrics = api_metrics_hook, .generation = api_generation_hook};
#ifdef BSD_HAVE_BOOTSTRAP
    hooks.est_ca = est_srv_ca(est);
#endif
    int exit_code = 0;
    if (api && api_start(api, &hooks, err, sizeof(err)) != 0) {
        fprintf(stderr, "bsd: %s\n", err);
        exit_code = 1; /* stop what started, below */
    }
    char la[64];
    if (!exit_code)
        log_msg(BSD_LOG_INFO, "daemon.ready",
                "version=%s workers=%d dtls=%s coap=%s devices=%zu max_datagram=%u", BSD_VERSION, nworkers,
                udp_addr_str((const struct sockaddr *)&cfg.listen.addr[0].ss, la, sizeof(la)),
                ncoap ? "on" : "off", creds_count(gen->creds), (unsigned)lim.max_datagram);

    uint64_t gen_id = 1;
    int want_reload = 0;
    bsd_gen_t *retired = NULL; /* replaced generation, freed once every worker acked */
    int running = !exit_code;
    uint64_t reload_at = 0; /* a change was notified: reload then (ms), 0 = none */
    while (running) {
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = dbnotify_fd(notify), .events = POLLIN}};
        int pr = poll(p, notify && p[1].fd >= 0 ? 2 : 1, retired || reload_at ? 10 : 1000);
        if (notify) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t t = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
            /* Changes come in bursts (an import): wait for 300 ms of quiet. */
            if (dbnotify_poll(notify, t)) reload_at = t + 300;
            if (reload_at && t >= reload_at && !retired) {
                reload_at = 0;
                want_reload = 1;
            }
        }
        if (retired) {
            int all = 1;
            uint64_t want = atomic_load(&current)->id;
            for (int w = 0; w < nworkers; w++)
                if (worker_acked_gen(workers[w]) < want) all = 0;
            if (all) {
                free_gen(retired);
                retired = NULL;
            }
        }
        struct signalfd_siginfo si;
        memset(&si, 0, sizeof(si));
        if (pr > 0 && (p[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) != sizeof(si)) continue;
        if (si.ssi_signo == SIGHUP) want_reload = 1;
        if (want_reload) {
            want_reload = 0;
            bsd_config_t ncfg;
            if (load_config(&ncfg, conf_path) != 0) {
                log_msg(BSD_LOG_ERROR, "daemon.reload.failed", "reason=config");
                continue;
            }
            bsd_gen_t *ng = build_gen(&ncfg, ++gen_id, err, sizeof(err));
            if (!ng) {
                char q[LOG_QUOTE_SIZE(256)];
                log_quote(q, sizeof(q), (const uint8_t *)err, strnlen(err, 256));
                log_msg(BSD_LOG_ERROR, "daemon.reload.failed", "reason=%s", q);
                config_free(&ncfg);
                continue;
            }
            log_set_level(ncfg.log_level);
            config_free(&ncfg);
            if (retired) {
                /* A previous generation is still not released: refuse to
                 * stack another one (workers must ack first). */
                log_msg(BSD_LOG_WARN, "daemon.reload.busy", "reason=previous_reload_pending");
                free_gen(ng);
                continue;
            }
            retired = atomic_exchange(&current, ng);
            metrics_set_generation(ng->id, creds_count(ng->creds));
            for (int w = 0; w < nworkers; w++)
                worker_wake(workers[w]);
            log_msg(BSD_LOG_INFO, "daemon.reload.ok", "generation=%llu devices=%zu",
                    (unsigned long long)ng->id, creds_count(ng->creds));
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            log_msg(BSD_LOG_INFO, "daemon.stopping", "signal=%s", si.ssi_signo == SIGTERM ? "TERM" : "INT");
            running = 0;
        }
    }
    api_close(api); /* before the workers and the spool it reads */
    for (int w = 0; w < nworkers; w++)
        worker_stop(workers[w]);
    unsigned long ok = 0, failed = 0;
    for (int w = 0; w < nworkers; w++) {
        worker_stats_t *st = worker_stats(workers[w]);
        ok += atomic_load(&st->handshakes_ok);
        failed += atomic_load(&st->handshakes_failed);
        worker_free(workers[w]);
    }
    free_gen(retired);
#ifdef BSD_HAVE_BOOTSTRAP
    est_srv_close(est); /* after the workers: no session holds a job any more */
#endif
    dbnotify_free(notify);
    recwriter_stop(srv.rw, 2000); /* records not stored by then stay in the spool */
    spool_close(srv.spool);
    if (cfg.pid_file) unlink(cfg.pid_file);
    log_msg(BSD_LOG_INFO, "daemon.stopped", "handshakes_ok=%lu handshakes_failed=%lu", ok, failed);
    free_gen(atomic_load(&current));
    config_free(&cfg);
    close(sfd);
    if (records_fd >= 0) close(records_fd);
    wolfSSL_Cleanup();
    return exit_code;
}
