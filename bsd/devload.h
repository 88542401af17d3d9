/*
 * devload.h — builds the transport's credential store from the devices file.
 * (The PostgreSQL device store will be a second loader next to this one.)
 */
#ifndef BSD_DEVLOAD_H
#define BSD_DEVLOAD_H

#include <stddef.h>

#include "bsd/transport/creds.h"

/* Loads |path| and returns a new store, or NULL with a message naming the
 * file (and line, for file errors) in |err|. */
creds_t *devload_creds(const char *path, char *err, size_t errcap);

#endif
