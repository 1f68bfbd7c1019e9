/*
 * A sans-I/O TLS client: BoringSSL's SSL object on one end of a BIO pair,
 * the owner's socket bytes on the other.
 */
#include "p2p/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/socket_address.h"

#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
/* Each direction of the BIO pair: more than a TLS record (16 KiB plus
 * overhead), so that one SSL_write always fits before it is drained. */
#define PAIR_BUFFER 40000
#define WRITE_CHUNK 16384

struct rtc_tls_stream {
  rtc_tls_stream_observer observer;
  void* user;
  SSL_CTX* ctx;
  SSL* ssl;
  BIO* network; /* our end of the pair */
  bool started;
  bool connected;
  bool failed;
  uint8_t* pending; /* plaintext written before the handshake finished */
  size_t pending_len;
};

static void fail(rtc_tls_stream* s, rtc_error error, const char* reason) {
  if (s->failed)
    return;
  s->failed = true;
  s->observer.on_failed(s->user, error, reason);
}

/* Moves the ciphertext BoringSSL produced to the socket. */
static rtc_error flush(rtc_tls_stream* s) {
  uint8_t buf[4096];
  for (;;) {
    int n = BIO_read(s->network, buf, sizeof(buf));
    if (n <= 0)
      return RTC_OK;
    rtc_error err = s->observer.send(s->user, buf, (size_t)n);
    if (err != RTC_OK) {
      fail(s, RTC_ERR_NETWORK, "the socket refused TLS bytes");
      return RTC_ERR_NETWORK;
    }
  }
}

/* The reason a handshake or read failed. */
static void fail_ssl(rtc_tls_stream* s, int ret) {
  int code = SSL_get_error(s->ssl, ret);
  if (code == SSL_ERROR_ZERO_RETURN) {
    fail(s, RTC_ERR_CLOSED, "the server closed the TLS connection");
    return;
  }
  long verify = SSL_get_verify_result(s->ssl);
  if (verify != X509_V_OK) {
    char reason[256];
    snprintf(reason, sizeof(reason), "certificate verification failed: %s",
             X509_verify_cert_error_string(verify));
    fail(s, RTC_ERR_SECURITY, reason);
    return;
  }
  char reason[256];
  ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
  fail(s, RTC_ERR_NETWORK, reason);
}

static rtc_error write_now(rtc_tls_stream* s,
                           const uint8_t* data,
                           size_t size) {
  while (size > 0) {
    size_t chunk = size < WRITE_CHUNK ? size : WRITE_CHUNK;
    int n = SSL_write(s->ssl, data, (int)chunk);
    if (n <= 0) {
      fail_ssl(s, n);
      return RTC_ERR_CLOSED;
    }
    data += n;
    size -= (size_t)n;
    rtc_error err = flush(s);
    if (err != RTC_OK)
      return err;
  }
  return RTC_OK;
}

/* Runs the handshake or reads what can be read. */
static rtc_error pump(rtc_tls_stream* s) {
  if (!s->connected) {
    int ret = SSL_do_handshake(s->ssl);
    rtc_error err = flush(s);
    if (err != RTC_OK)
      return err;
    if (ret != 1) {
      int code = SSL_get_error(s->ssl, ret);
      if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
        return RTC_OK;
      fail_ssl(s, ret);
      return RTC_ERR_SECURITY;
    }
    s->connected = true;
    if (s->observer.on_connected != NULL)
      s->observer.on_connected(s->user);
    if (s->failed)
      return RTC_ERR_CLOSED;
    if (s->pending_len > 0) {
      uint8_t* pending = s->pending;
      size_t len = s->pending_len;
      s->pending = NULL;
      s->pending_len = 0;
      err = write_now(s, pending, len);
      rtc_free(pending);
      if (err != RTC_OK)
        return err;
    }
  }
  uint8_t buf[16384];
  for (;;) {
    int n = SSL_read(s->ssl, buf, sizeof(buf));
    if (n > 0) {
      s->observer.on_data(s->user, buf, (size_t)n);
      if (s->failed)
        return RTC_ERR_CLOSED;
      continue;
    }
    rtc_error err = flush(s); /* post-handshake messages, alerts */
    if (err != RTC_OK)
      return err;
    int code = SSL_get_error(s->ssl, n);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
      return RTC_OK;
    fail_ssl(s, n);
    return RTC_ERR_CLOSED;
  }
}

rtc_error rtc_tls_stream_create(const rtc_tls_stream_config* config,
                                const rtc_tls_stream_observer* observer,
                                void* user,
                                rtc_tls_stream** out) {
  if (out == NULL)
    return RTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (config == NULL || config->server_name == NULL ||
      config->server_name[0] == '\0' || observer == NULL ||
      observer->send == NULL || observer->on_data == NULL ||
      observer->on_failed == NULL)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_tls_stream* s = rtc_calloc(1, sizeof(*s));
  if (s == NULL)
    return RTC_ERR_NO_MEMORY;
  s->observer = *observer;
  s->user = user;
  rtc_error err = RTC_ERR_NO_MEMORY;
  s->ctx = SSL_CTX_new(TLS_method());
  if (s->ctx == NULL)
    goto fail_stream;
  /* RFC 8656 §3.1: "TLS 1.2 or later". */
  if (!SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION))
    goto fail_ctx;
  const char* ca_file =
      config->ca_file != NULL ? config->ca_file : SYSTEM_CA_FILE;
  if (!SSL_CTX_load_verify_locations(s->ctx, ca_file, NULL)) {
    ERR_clear_error();
    err = RTC_ERR_NOT_FOUND;
    goto fail_ctx;
  }
  SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
  s->ssl = SSL_new(s->ctx);
  if (s->ssl == NULL)
    goto fail_ctx;
  SSL_set_connect_state(s->ssl);
  /* The name to verify: an IP literal against IP subjectAltNames, a DNS
   * name against DNS ones (and sent as SNI; RFC 6066 §3: "Literal IPv4
   * and IPv6 addresses are not permitted in HostName"). */
  const char* name = config->server_name;
  rtc_socket_address ip;
  X509_VERIFY_PARAM* param = SSL_get0_param(s->ssl);
  if (rtc_ip_address_parse(name, strlen(name), &ip) == RTC_OK) {
    if (!X509_VERIFY_PARAM_set1_ip_asc(param, name)) {
      err = RTC_ERR_INVALID_ARGUMENT;
      goto fail_ssl;
    }
  } else {
    if (!X509_VERIFY_PARAM_set1_host(param, name, strlen(name)) ||
        !SSL_set_tlsext_host_name(s->ssl, name))
      goto fail_ssl;
  }
  BIO* internal = NULL;
  if (!BIO_new_bio_pair(&internal, PAIR_BUFFER, &s->network, PAIR_BUFFER))
    goto fail_ssl;
  SSL_set_bio(s->ssl, internal, internal); /* the SSL owns `internal` */
  *out = s;
  return RTC_OK;

fail_ssl:
  SSL_free(s->ssl);
fail_ctx:
  SSL_CTX_free(s->ctx);
fail_stream:
  ERR_clear_error();
  rtc_free(s);
  return err;
}

void rtc_tls_stream_destroy(rtc_tls_stream* s) {
  if (s == NULL)
    return;
  SSL_free(s->ssl);
  BIO_free(s->network);
  SSL_CTX_free(s->ctx);
  rtc_free(s->pending);
  rtc_free(s);
}

rtc_error rtc_tls_stream_start(rtc_tls_stream* s) {
  if (s->started)
    return RTC_ERR_INVALID_STATE;
  s->started = true;
  return pump(s);
}

rtc_error rtc_tls_stream_receive(rtc_tls_stream* s,
                                 const uint8_t* data,
                                 size_t size) {
  if (!s->started)
    return RTC_ERR_INVALID_STATE;
  if (s->failed)
    return RTC_ERR_CLOSED;
  if (data == NULL && size > 0)
    return RTC_ERR_INVALID_ARGUMENT;
  while (size > 0) {
    size_t room = BIO_ctrl_get_write_guarantee(s->network);
    size_t n = size < room ? size : room;
    if (n > 0) {
      int written = BIO_write(s->network, data, (int)n);
      if (written <= 0) {
        fail(s, RTC_ERR_INTERNAL, "BIO_write failed");
        return RTC_ERR_INTERNAL;
      }
      data += written;
      size -= (size_t)written;
    }
    rtc_error err = pump(s);
    if (err != RTC_OK)
      return err;
    if (n == 0 && BIO_ctrl_get_write_guarantee(s->network) == 0) {
      /* BoringSSL took nothing: cannot happen with records smaller than
       * the pair's buffer. */
      fail(s, RTC_ERR_INTERNAL, "TLS input stalled");
      return RTC_ERR_INTERNAL;
    }
  }
  return RTC_OK;
}

rtc_error rtc_tls_stream_write(rtc_tls_stream* s,
                               const uint8_t* data,
                               size_t size) {
  if (s->failed)
    return RTC_ERR_CLOSED;
  if (data == NULL && size > 0)
    return RTC_ERR_INVALID_ARGUMENT;
  if (size == 0)
    return RTC_OK;
  if (s->connected)
    return write_now(s, data, size);
  uint8_t* grown = rtc_realloc(s->pending, s->pending_len + size);
  if (grown == NULL)
    return RTC_ERR_NO_MEMORY;
  memcpy(grown + s->pending_len, data, size);
  s->pending = grown;
  s->pending_len += size;
  return RTC_OK;
}

void rtc_tls_stream_close(rtc_tls_stream* s) {
  if (!s->started || s->failed)
    return;
  SSL_shutdown(s->ssl);
  (void)flush(s);
}

bool rtc_tls_stream_is_connected(const rtc_tls_stream* s) {
  return s->connected && !s->failed;
}
