/*
 * sim_discover.h — Bootstrap-Discover answers (CF 40, RFC 6690
 * link-format) in the dialects of the clients in the field
 * (docs LWM2M-BOOTSTRAP.md "Bootstrap-Discover answers seen in the field").
 */
#ifndef BSD_TOOLS_SIM_DISCOVER_H
#define BSD_TOOLS_SIM_DISCOVER_H

#include <stddef.h>

#include "tools/sim/sim_store.h"

typedef enum sim_dialect {
    SIM_DIALECT_WAKAAMA = 0, /* </>;lwm2m=1.1,</0/0>,</0/1>;ssid=101;uri="…",</1>;ver=1.1,</1/0>;ssid=101 */
    SIM_DIALECT_ANJAY,       /* every object listed, every Security instance with uri= */
    SIM_DIALECT_ZEPHYR,      /* lwm2m="1.0",</0/0>,… : no </> link */
    SIM_DIALECT_LESHAN,      /* </>;lwm2m=1.0,</0/0>;uri="…",</0/1>;ssid=2222;uri="…" */
} sim_dialect_t;

#define SIM_DISC_ERR_PATH     (-1) /* Discover of /obj/inst or deeper → 4.00 */
#define SIM_DISC_ERR_NOTFOUND (-2) /* object not supported → 4.04 */
#define SIM_DISC_ERR_NOSPACE  (-3) /* |cap| too small → 5.00 */

/* Parses "wakaama", "anjay", "zephyr" or "leshan"; -1 otherwise. */
int sim_dialect_parse(const char *s);

/* Lower-case name of |d|. */
const char *sim_dialect_name(sim_dialect_t d);

/*
 * Writes the Bootstrap-Discover answer for |p| (depth 0 or 1) of store |s|
 * into |out| (|cap| bytes, not NUL-terminated) in dialect |d|, claiming
 * LwM2M 1.|minor| (0 or 1). The objects listed are 0, 1, 2, 3 (and 21 in
 * 1.1) plus every object that has instances. Object 1 carries ver=1.1 and
 * object 21 ver=2.0 or 1.1 (SIM_ST_OSCORE_V1) in LwM2M 1.1.
 *
 * Per dialect: an object link </O> is written when the object has no
 * instances or a ver= (Wakaama, Leshan, Zephyr) or always (Anjay).
 * Security instances: Wakaama and Zephyr give the bootstrap account no
 * attributes and the others ssid= (and uri= except Zephyr); Anjay and
 * Leshan give every instance uri=, the BS one without ssid. Server
 * instances carry ssid=. The root link is </>;lwm2m=1.x (Anjay quotes
 * "1.0"); Zephyr writes a bare lwm2m="1.x" with no </>. Discover of an
 * object omits the root part.
 *
 * Returns the length, or SIM_DISC_ERR_PATH, SIM_DISC_ERR_NOTFOUND,
 * SIM_DISC_ERR_NOSPACE.
 */
int sim_discover(const sim_store_t *s, sim_dialect_t d, int minor, const lwm2m_path_t *p, char *out,
                 size_t cap);

#endif
