/* Hex encoding and randomness for ids, secrets and HMACs. */
#ifndef DC_UTIL_HEX_H
#define DC_UTIL_HEX_H

#include <stddef.h>
#include <stdint.h>

void dc__hex(const uint8_t *d, size_t n, char *out); /* out: 2n+1 bytes */
int dc__random_hex(char *out, size_t n_bytes);       /* 0 on success; out: 2n+1 */

#endif
