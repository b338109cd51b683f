/* deconflict public API: everything the CLI, server and tests may include. */
#ifndef DECONFLICT_H
#define DECONFLICT_H
#include "deconflict/status.h"
#include "deconflict/geo.h"
#include "deconflict/engine.h"
#include "deconflict/json.h"
#include "deconflict/aip.h"
#endif
