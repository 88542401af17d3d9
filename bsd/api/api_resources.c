/*
 * api_resources.c — the list of resources the API serves: one route table
 * per resource file (api_handler.h says how to add one). Order matters only
 * when two patterns match the same path: the first table wins.
 */
#include "bsd/api/api_int.h"

extern const api_route_t api_system_routes[];      /* api_system.c */
extern const api_route_t api_sessions_routes[];    /* api_sessions.c */
extern const api_route_t api_tokens_routes[];      /* api_tokens.c */
extern const api_route_t api_devices_routes[];     /* api_devices.c */
extern const api_route_t api_deny_routes[];        /* api_deny.c */
extern const api_route_t api_policies_routes[];    /* api_policies.c */
extern const api_route_t api_plan_routes[];        /* api_plan.c */
extern const api_route_t api_credentials_routes[]; /* api_credentials.c */
extern const api_route_t api_certs_routes[];       /* api_certs.c */
extern const api_route_t api_unboot_routes[];      /* api_unboot.c */

const api_route_t *const api_route_tables[] = {
    api_system_routes,
    api_sessions_routes,
    api_tokens_routes,
    api_devices_routes,
    api_deny_routes,
    api_policies_routes,
    api_plan_routes,
    api_credentials_routes,
    api_certs_routes,
    api_unboot_routes,
    NULL,
};
