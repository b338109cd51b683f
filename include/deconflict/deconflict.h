/* deconflict public API: everything the CLI, server and tests may include. */
#ifndef DECONFLICT_H
#define DECONFLICT_H
#include "deconflict/aip.h"
#include "deconflict/engine.h"
#include "deconflict/feed.h"
#include "deconflict/geo.h"
#include "deconflict/json.h"
#include "deconflict/status.h"
#endif
