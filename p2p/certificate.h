/*
 * DTLS certificates (webrtc-pc §4.9 RTCCertificate, RFC 8827 §6.5) and
 * fingerprints (RFC 8122).
 *
 * Generation: ECDSA P-256 with SHA-256 (the default, and the one every
 * browser accepts) or RSA (2048..8192 bits, public exponent 65537,
 * SHA-256), a random subject common name and a random positive 64-bit
 * serial (nothing that identifies the user or the UA: webrtc-pc
 * generateCertificate), valid from one day before now until `expires`
 * (default 30 days, at most 365 days).
 *
 * A certificate is immutable and reference-counted: several peer
 * connections, on any threads, may share it.
 *
 * Fingerprints: ours are SHA-256; the peer's may use sha-1, sha-224,
 * sha-256, sha-384 or sha-512. md2/md5 and unknown names are rejected
 * (SEC-20).
 */
#ifndef P2P_CERTIFICATE_H_
#define P2P_CERTIFICATE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_certificate rtc_certificate;

typedef enum rtc_key_type {
  RTC_KEY_ECDSA_P256 = 0,
  RTC_KEY_RSA,
} rtc_key_type;

#define RTC_CERTIFICATE_DEFAULT_EXPIRES_MS (30LL * 24 * 3600 * 1000)
#define RTC_CERTIFICATE_MAX_EXPIRES_MS (365LL * 24 * 3600 * 1000)

typedef struct rtc_certificate_params {
  rtc_key_type type;
  uint32_t rsa_modulus_bits;    /* RSA: 2048..8192 (default 2048) */
  uint32_t rsa_public_exponent; /* RSA: 65537 only (default) */
  /* Lifetime from now, ms (default RTC_CERTIFICATE_DEFAULT_EXPIRES_MS); 0
   * expires at once (webrtc-pc RTCCertificateExpiration.expires 0); more
   * than 365 days is capped to 365 days (webrtc-pc lets the UA cap it). */
  int64_t expires_ms;
} rtc_certificate_params;

void rtc_certificate_params_init(rtc_certificate_params* params);

/* Generates a key pair and a self-signed certificate. `now_utc_ms`: the
 * current time (ms since the Unix epoch) the validity is counted from.
 * Threads: any (CPU work: RSA takes a while; callers put it on a worker).
 * Errors: RTC_ERR_NOT_SUPPORTED (RSA size or exponent not allowed, unknown
 * type), RTC_ERR_NO_MEMORY, RTC_ERR_OPERATION (BoringSSL failed).
 * (out: transfer full, one reference) */
rtc_error rtc_certificate_generate(const rtc_certificate_params* params,
                                   int64_t now_utc_ms,
                                   rtc_certificate** out);

/* Imports a certificate and its private key (PEM). Used to restore an
 * RTCCertificate an embedder persisted. Rejects keys weaker than P-256 or
 * RSA-2048 and signatures other than SHA-256/384/512.
 * Errors: RTC_ERR_INVALID_ARGUMENT (unparsable, key does not match),
 * RTC_ERR_NOT_SUPPORTED (weak key or algorithm), RTC_ERR_NO_MEMORY. */
rtc_error rtc_certificate_from_pem(const char* certificate_pem,
                                   const char* private_key_pem,
                                   rtc_certificate** out);
/* Exports both as PEM strings. (outs: transfer full, rtc_free them)
 * Errors: RTC_ERR_NO_MEMORY. */
rtc_error rtc_certificate_to_pem(const rtc_certificate* certificate,
                                 char** certificate_pem,
                                 char** private_key_pem);

void rtc_certificate_ref(rtc_certificate* certificate);
void rtc_certificate_unref(rtc_certificate* certificate);

/* Expiry, ms since the Unix epoch (RTCCertificate.expires). */
int64_t rtc_certificate_expires_ms(const rtc_certificate* certificate);
rtc_key_type rtc_certificate_key_type(const rtc_certificate* certificate);
/* The DER encoding. (transfer none, lives as long as the certificate) */
const uint8_t* rtc_certificate_der(const rtc_certificate* certificate,
                                   size_t* len);

/* --- Fingerprints --- */

typedef enum rtc_hash_algorithm {
  RTC_HASH_SHA1 = 0,
  RTC_HASH_SHA224,
  RTC_HASH_SHA256,
  RTC_HASH_SHA384,
  RTC_HASH_SHA512,
} rtc_hash_algorithm;

/* "sha-1", "sha-224", "sha-256", "sha-384", "sha-512" (the SDP names,
 * RFC 8122 §5, and RTCDtlsFingerprint.algorithm). */
const char* rtc_hash_algorithm_name(rtc_hash_algorithm algorithm);
/* Case-insensitive. Errors: RTC_ERR_NOT_SUPPORTED (md2, md5, unknown). */
rtc_error rtc_hash_algorithm_from_name(const char* name,
                                       size_t len,
                                       rtc_hash_algorithm* out);

typedef struct rtc_fingerprint {
  rtc_hash_algorithm algorithm;
  uint8_t digest[64];
  size_t digest_len;
} rtc_fingerprint;

/* Longest text: "sha-512 " + 64 * 3 - 1 + NUL. */
#define RTC_FINGERPRINT_TEXT_SIZE 200

/* The certificate's fingerprint with `algorithm`. */
rtc_error rtc_certificate_fingerprint(const rtc_certificate* certificate,
                                      rtc_hash_algorithm algorithm,
                                      rtc_fingerprint* out);
/* The fingerprint of any DER certificate (the peer's). */
rtc_error rtc_fingerprint_of_der(const uint8_t* der,
                                 size_t len,
                                 rtc_hash_algorithm algorithm,
                                 rtc_fingerprint* out);

/* Parses the value of an SDP a=fingerprint attribute, "sha-256
 * AB:CD:...": the hash name, one space, uppercase or lowercase hex pairs
 * separated by colons, exactly as many as the hash has bytes.
 * Errors: RTC_ERR_NOT_SUPPORTED (hash not accepted), RTC_ERR_SYNTAX. */
rtc_error rtc_fingerprint_parse(const char* text,
                                size_t len,
                                rtc_fingerprint* out);
/* Writes "sha-256 AB:CD:..." (uppercase), NUL-terminated. Returns the
 * length. */
size_t rtc_fingerprint_format(const rtc_fingerprint* fingerprint,
                              char* buf,
                              size_t size);
/* The digest part alone ("AB:CD:..."), as RTCDtlsFingerprint.value wants
 * it (lowercase, webrtc-pc). */
size_t rtc_fingerprint_format_value(const rtc_fingerprint* fingerprint,
                                    char* buf,
                                    size_t size);
bool rtc_fingerprint_equal(const rtc_fingerprint* a, const rtc_fingerprint* b);
/* True when `der` hashes to `fingerprint` (constant-time compare). */
bool rtc_fingerprint_matches(const rtc_fingerprint* fingerprint,
                             const uint8_t* der,
                             size_t len);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_CERTIFICATE_H_
