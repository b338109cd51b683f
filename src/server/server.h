/* The server's top: start and stop (server.c) wire the layers together
 * in order (airspace, journal and follower, monitor, probing, transport),
 * config.c reads the configuration, init.c initialises a store. Nothing
 * below includes this. */
#ifndef DC_SERVER_H
#define DC_SERVER_H

#include <jansson.h>

#include "airspace/airspace.h"

#endif
