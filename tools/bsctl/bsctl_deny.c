/*
 * bsctl_deny.c — `bsctl deny ...`: the deny-list. A denied endpoint cannot
 * authenticate (the daemon leaves it out of its credential store and
 * closes its live sessions); datagrams from a denied source prefix are
 * dropped unread. The daemon follows every change through LISTEN/NOTIFY.
 */
#include "tools/bsctl/bsctl.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "bsd/db/db_deny.h"
#include "bsd/db/db_device_json.h"

enum { OPT_REASON = 1 };

static int on_opt(void *arg, int id, const char *val)
{
    if (id != OPT_REASON) return BSCTL_USAGE;
    *(const char **)arg = val;
    return 0;
}

static const bsctl_opt_t deny_opts[] = {{"reason", true, OPT_REASON}, {NULL, false, 0}};

static int print_entry(void *arg, const db_deny_entry_t *e)
{
    json_t *arr = arg;
    if (arr)
        json_array_append_new(arr, db_deny_entry_json(e));
    else
        printf("%-7s %-40s %-24s %-20s %s\n", e->is_source ? "source" : "device", e->what, e->actor,
               e->created, e->reason);
    return 0;
}

int bsctl_deny_main(bsctl_t *ctl, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        FILE *f = argc < 1 ? stderr : stdout;
        fputs("usage: bsctl deny device EP [--reason TEXT]     EP may no longer bootstrap\n"
              "       bsctl deny source PREFIX [--reason TEXT] drop datagrams from PREFIX (192.0.2.0/24, "
              "2001:db8::1)\n"
              "       bsctl deny remove device EP | source PREFIX\n"
              "       bsctl deny list\n",
              f);
        return argc < 1 ? BSCTL_USAGE : BSCTL_OK;
    }
    const char *reason = NULL;
    char *pos[3];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, deny_opts, on_opt, &reason, pos, 3, &npos);
    if (r != 0) return r;
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    if (strcmp(pos[0], "list") == 0 && npos == 1) {
        json_t *arr = ctl->json ? json_array() : NULL;
        if (!arr) printf("%-7s %-40s %-24s %-20s %s\n", "TYPE", "DENIED", "BY", "SINCE", "REASON");
        if (db_deny_list(ctl->db, print_entry, arr) != 0) {
            bsctl_err("deny list: %s", db_errmsg(ctl->db));
            json_decref(arr);
            return BSCTL_FAIL;
        }
        if (arr) bsctl_json_out(arr);
        return BSCTL_OK;
    }
    int removing = strcmp(pos[0], "remove") == 0;
    char **a = removing ? pos + 1 : pos;
    int na = removing ? npos - 1 : npos;
    if (na != 2 || (strcmp(a[0], "device") != 0 && strcmp(a[0], "source") != 0)) {
        bsctl_err("usage: bsctl deny [remove] device EP | source PREFIX (bsctl deny --help)");
        return BSCTL_USAGE;
    }
    int src = strcmp(a[0], "source") == 0;
    r = removing ? db_deny_remove(ctl->db, src, a[1], ctl->actor)
                 : db_deny_add(ctl->db, src, a[1], reason, ctl->actor);
    if (r != 0) {
        bsctl_err("%s", db_errmsg(ctl->db));
        return r == -EINVAL ? BSCTL_USAGE : BSCTL_FAIL;
    }
    printf("%s %s %s\n", src ? "source" : "device", a[1], removing ? "no longer denied" : "denied");
    return BSCTL_OK;
}
