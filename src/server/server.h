/* The server's top: start and stop (server.c) wire the layers together
 * in order (airspace, journal and follower, monitor, feeds, transport),
 * config.c reads the configuration (feeds_config.c its "feeds"), init.c
 * initialises a store. Nothing below includes this. */
#ifndef DC_SERVER_H
#define DC_SERVER_H

#include <jansson.h>

#include "airspace/airspace.h"

/* feeds_config.c: parses the "feeds" array into c (all or nothing). */
dc_status dc__feeds_config(dc_server_config *c, const json_t *v, dc_error *err);

#endif
