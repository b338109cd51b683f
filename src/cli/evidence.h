/* Evidence files and log proofs for `verify` and `witness` (evidence.c). */
#ifndef DC_CLI_EVIDENCE_H
#define DC_CLI_EVIDENCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "deconflict/tlog.h"

/* The whole file as a NUL-terminated string (caller frees with free());
 * NULL if it cannot be read. */
char *dc__cli_read_text(const char *path);
/* Writes text to path through a temporary file renamed over it: whole or
 * not at all. 0 on success. */
int dc__cli_write_text(const char *path, const char *text);
/* The "proof" array of a proof answer j into p (at most 64 hashes); 0 on
 * success, -1 when it is missing or malformed. */
int dc__cli_proof_from(json_t *j, uint8_t p[DC_TLOG_MAX_PROOF][32], size_t *len);

#endif
