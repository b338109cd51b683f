/* What note.c (log signatures) and cosig.c (witness cosignatures) share:
 * C2SP signed-note key names, key hashes, verifier keys and Ed25519
 * through OpenSSL. A key hash is SHA-256(name || "\n" || alg || pubkey)[:4],
 * alg 0x01 for a note signature and 0x04 for an Ed25519 cosignature. */
#ifndef DC_TLOG_INT_H
#define DC_TLOG_INT_H

#include "deconflict/tlog.h"

#define SIG_PREFIX "\xe2\x80\x94 " /* "— " */

enum { DC__TLOG_ALG_NOTE = 0x01, DC__TLOG_ALG_COSIG = 0x04 };

/* A key name: no space, no '+', printable ASCII, 1..200 bytes. */
int dc__tlog_name_ok(const char *name);
void dc__tlog_key_hash(const char *name, uint8_t alg, const uint8_t pub[32], uint8_t out[4]);
dc_status dc__tlog_public_key(const uint8_t seed[32], uint8_t pub[32]);
/* The verifier key "name+hash8+base64(alg || pubkey)" of seed's key. */
dc_status dc__tlog_vkey(const char *name, uint8_t alg, const uint8_t seed[32], char *out,
                        size_t cap);
/* "name+hash8+base64(alg || pubkey)": name, public key and key hash; DC_EINVAL
 * for another algorithm, a bad hash or a malformed key. */
dc_status dc__tlog_parse_vkey(const char *vkey, uint8_t alg, char name[256], uint8_t pub[32],
                              uint8_t kh[4]);
/* DC_OK when sig is pub's Ed25519 signature of msg; DC_ECORRUPT if not. */
dc_status dc__tlog_check_sig(const uint8_t pub[32], const char *msg, size_t n,
                             const uint8_t sig[64]);

#endif
