/*
 * A TLS client over a byte stream, sans-I/O (BoringSSL with a memory BIO
 * pair): the owner hands it the bytes that came from the socket and gets
 * the bytes to write to it through a callback, and the plaintext through
 * another. For TURN over TLS (`turns:` URLs, RFC 8656 §3.1 and RFC 7350),
 * it sits between the TCP connection and an rtc_turn_client with STREAM
 * framing.
 *
 * The server's certificate chain is verified against a CA file (PEM) or
 * the system's CA bundle, and its name against the configured server
 * name: a DNS name (also sent as SNI, RFC 6066) or an IP address literal
 * (matched against the certificate's IP subjectAltNames, RFC 6125 §3.1.3.2
 * style; not sent as SNI). TLS 1.2 at least (RFC 8656 §3.1: "TLS 1.2 or
 * later").
 *
 * Threads: one thread (the owner's); callbacks are made synchronously from
 * the call that caused them and must not destroy the stream.
 * Memory: the object itself comes from rtc_malloc; BoringSSL allocates its
 * own state with its allocator.
 */
#ifndef P2P_TLS_STREAM_H_
#define P2P_TLS_STREAM_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_tls_stream rtc_tls_stream;

typedef struct rtc_tls_stream_observer {
  /* Ciphertext for the socket, in order. Required. An error fails the
   * stream (a TCP write that cannot be retried loses the stream). */
  rtc_error (*send)(void* user, const uint8_t* data, size_t size);
  /* The handshake finished and the server is verified. Optional. */
  void (*on_connected)(void* user);
  /* Plaintext from the server. Required. */
  void (*on_data)(void* user, const uint8_t* data, size_t size);
  /* The handshake or the connection failed for good (certificate not
   * trusted, wrong name, protocol error, close_notify: RTC_ERR_CLOSED).
   * `reason` is valid during the call. Required. */
  void (*on_failed)(void* user, rtc_error error, const char* reason);
} rtc_tls_stream_observer;

typedef struct rtc_tls_stream_config {
  /* The name the certificate must carry: a DNS name or an IP literal
   * ("192.0.2.1", "2001:db8::1"). Required. Copied. */
  const char* server_name;
  /* A PEM file of trusted CAs; NULL: the system bundle
   * (/etc/ssl/certs/ca-certificates.crt). */
  const char* ca_file;
} rtc_tls_stream_config;

/* Errors: RTC_ERR_INVALID_ARGUMENT, RTC_ERR_NOT_FOUND (the CA file cannot
 * be read or holds no certificate), RTC_ERR_NO_MEMORY.
 * (out: transfer full) */
rtc_error rtc_tls_stream_create(const rtc_tls_stream_config* config,
                                const rtc_tls_stream_observer* observer,
                                void* user,
                                rtc_tls_stream** out);
/* NULL is ignored. Sends nothing (no close_notify: call close first). */
void rtc_tls_stream_destroy(rtc_tls_stream* stream);

/* Sends the ClientHello. Errors: RTC_ERR_INVALID_STATE (started). */
rtc_error rtc_tls_stream_start(rtc_tls_stream* stream);

/* Bytes from the socket, split anywhere. Errors: RTC_ERR_INVALID_STATE
 * (not started), RTC_ERR_CLOSED (failed before: ignored); a failure during
 * the call is reported through on_failed and returned. */
rtc_error rtc_tls_stream_receive(rtc_tls_stream* stream,
                                 const uint8_t* data,
                                 size_t size);

/* Plaintext for the server; kept until the handshake is done. Errors:
 * RTC_ERR_CLOSED (failed), RTC_ERR_NO_MEMORY. */
rtc_error rtc_tls_stream_write(rtc_tls_stream* stream,
                               const uint8_t* data,
                               size_t size);

/* Sends close_notify. */
void rtc_tls_stream_close(rtc_tls_stream* stream);

bool rtc_tls_stream_is_connected(const rtc_tls_stream* stream);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_TLS_STREAM_H_
