/*
 * The DTLS transport: BoringSSL runs DTLS 1.2; this file feeds it one
 * datagram at a time through a custom BIO, drives its retransmission timer
 * from the task queue's clock, checks the peer's certificate against the
 * remote fingerprints, and exports the DTLS-SRTP keys.
 *
 * Re-entrancy: observer callbacks are only ever called between BoringSSL
 * calls, never from inside one, and every call is guarded: a callback may
 * destroy the transport (call_guard) and the caller then returns without
 * touching it. While a datagram is being processed (including its
 * callbacks), newly received DTLS datagrams are queued and processed in
 * order afterwards, so BoringSSL is never entered twice.
 *
 * Callbacks never come from inside start() or set_remote_fingerprints():
 * what those set in motion (announcing CONNECTING, the ClientHello,
 * datagrams that waited, resuming a handshake that waited for the
 * fingerprints) runs in a task posted on the queue (the "pump"), guarded by
 * a safety flag.
 *
 * Time: BoringSSL's clock callback has no context argument, so the queue
 * whose clock applies is kept in a thread-local variable while this file
 * calls into BoringSSL (clock_enter/clock_leave).
 */
#include "p2p/dtls_transport.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>

#include "p2p/certificate_internal.h"
#include "p2p/stun.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/safety_flag.h"
#include "rtc_base/timer.h"

#define DEFAULT_MTU 1200u
#define MAX_MTU 65535u
#define DEFAULT_INITIAL_TIMEOUT_US (100 * RTC_US_PER_MS)
#define MAX_INITIAL_TIMEOUT_US (60 * RTC_US_PER_SEC)
/* DTLS datagrams kept while they cannot be processed yet (before start,
 * while the handshake waits for the fingerprints); more are dropped and the
 * peer's retransmissions make up for them. */
#define MAX_PENDING 8
#define MAX_FINGERPRINTS 8
/* RFC 6347 §4.1 (RFC 5246 §6.2.1): a record carries at most 2^14 bytes. */
#define MAX_RECORD_PLAINTEXT 16384
/* RFC 5764 §4.2: the exporter label of DTLS-SRTP. */
#define SRTP_EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
/* The type our BIO reports; only used to identify it. */
#define DATAGRAM_BIO_TYPE ((BIO_TYPE_START + 0x52) | BIO_TYPE_SOURCE_SINK)

/* RFC 8827 §6.5: ECDHE (PFS) with AEAD only; ECDSA and RSA certificates.
 * TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 is the mandatory one (SEC-07). */
static const char kCipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
static const char kCurveList[] = "X25519:P-256:P-384";

typedef struct pending_packet {
  uint8_t* data;
  size_t size;
} pending_packet;

/* One per observer callback in progress: destroy() marks them all. */
typedef struct call_guard {
  bool destroyed;
  struct call_guard* prev;
} call_guard;

struct rtc_dtls_transport {
  rtc_task_queue* queue;
  rtc_certificate* certificate;
  rtc_dtls_send_fn send;
  void* send_user;
  rtc_dtls_transport_observer observer;
  void* user;
  rtc_safety_flag* flag; /* guards the pump task */
  rtc_timer timer;       /* the DTLS retransmission timer */

  SSL_CTX* ctx;
  SSL* ssl;
  BIO_METHOD* bio_method;

  rtc_dtls_state state;
  rtc_dtls_role role;
  bool started;
  bool announce_connecting; /* the pump reports CONNECTING */
  bool handshake_kicked;    /* the pump ran the handshake once */
  bool handshake_done;
  bool peer_verified;  /* the verify callback matched a fingerprint */
  bool verify_pending; /* waiting for the remote fingerprints */
  bool fingerprint_mismatch;
  bool peer_key_refused; /* the peer's key is neither P-256 nor RSA */
  bool pump_scheduled;

  /* The datagram being processed, handed to BoringSSL by the BIO once. */
  const uint8_t* in_data;
  size_t in_size;
  /* Nonzero while a datagram (or anything else that may reach BoringSSL
   * or the observer) is being processed. */
  int depth;
  bool writing_app_data;
  rtc_error app_send_error;

  pending_packet pending[MAX_PENDING];
  size_t pending_count;

  rtc_fingerprint remote[MAX_FINGERPRINTS];
  size_t remote_count;

  int32_t received_alert; /* -1: none */
  int32_t sent_alert;
  uint64_t dropped_packets;

  call_guard* guards;
};

/* --- Names --- */

const char* rtc_dtls_state_name(rtc_dtls_state state) {
  switch (state) {
    case RTC_DTLS_NEW:
      return "new";
    case RTC_DTLS_CONNECTING:
      return "connecting";
    case RTC_DTLS_CONNECTED:
      return "connected";
    case RTC_DTLS_CLOSED:
      return "closed";
    case RTC_DTLS_FAILED:
      return "failed";
  }
  return "unknown";
}

const char* rtc_srtp_profile_name(rtc_srtp_profile profile) {
  switch (profile) {
    case RTC_SRTP_AES128_CM_SHA1_80:
      return "SRTP_AES128_CM_SHA1_80";
    case RTC_SRTP_AEAD_AES_128_GCM:
      return "SRTP_AEAD_AES_128_GCM";
    case RTC_SRTP_AEAD_AES_256_GCM:
      return "SRTP_AEAD_AES_256_GCM";
    case RTC_SRTP_NONE:
      break;
  }
  return NULL;
}

/* RFC 5764 §4.1.2 (AES_CM: 128-bit key, 112-bit salt), RFC 7714 §12 (GCM:
 * 128 or 256-bit key, 96-bit salt). */
size_t rtc_srtp_profile_key_length(rtc_srtp_profile profile) {
  switch (profile) {
    case RTC_SRTP_AES128_CM_SHA1_80:
    case RTC_SRTP_AEAD_AES_128_GCM:
      return 16;
    case RTC_SRTP_AEAD_AES_256_GCM:
      return 32;
    case RTC_SRTP_NONE:
      break;
  }
  return 0;
}

size_t rtc_srtp_profile_salt_length(rtc_srtp_profile profile) {
  switch (profile) {
    case RTC_SRTP_AES128_CM_SHA1_80:
      return 14;
    case RTC_SRTP_AEAD_AES_128_GCM:
    case RTC_SRTP_AEAD_AES_256_GCM:
      return 12;
    case RTC_SRTP_NONE:
      break;
  }
  return 0;
}

/* --- Clock --- */

static _Thread_local const rtc_task_queue* tls_clock_queue;

static const rtc_task_queue* clock_enter(const rtc_dtls_transport* t) {
  const rtc_task_queue* previous = tls_clock_queue;
  tls_clock_queue = t->queue;
  return previous;
}

static void clock_leave(const rtc_task_queue* previous) {
  tls_clock_queue = previous;
}

/* BoringSSL's clock (DTLS timers): the queue's, so that retransmissions run
 * on simulated time in tests. */
static void current_time(const SSL* ssl, struct timeval* out) {
  (void)ssl;
  int64_t now_us = tls_clock_queue ? rtc_task_queue_now_us(tls_clock_queue)
                                   : rtc_time_monotonic_us();
  if (now_us < 0)
    now_us = 0;
  out->tv_sec = (time_t)(now_us / RTC_US_PER_SEC);
  out->tv_usec = (suseconds_t)(now_us % RTC_US_PER_SEC);
}

/* --- The datagram BIO --- */

static int bio_write(BIO* bio, const char* data, int len) {
  BIO_clear_retry_flags(bio);
  rtc_dtls_transport* t = BIO_get_data(bio);
  if (len < 0)
    return -1;
  rtc_error err = t->send(t->send_user, (const uint8_t*)data, (size_t)len);
  if (err == RTC_OK)
    return len;
  if (t->writing_app_data) {
    t->app_send_error = err;
    if (err == RTC_ERR_WOULD_BLOCK)
      BIO_set_retry_write(bio);
    return -1;
  }
  /* A handshake flight or an alert the lower transport could not take is a
   * lost datagram: the retransmission timer covers flights. */
  RTC_LOG(VERBOSE, "DTLS datagram of %d bytes not sent: %s", len,
          rtc_error_name(err));
  return len;
}

/* Returns the datagram being processed, once (one datagram per read, as a
 * UDP socket would; a longer one is truncated). */
static int bio_read(BIO* bio, char* out, int len) {
  BIO_clear_retry_flags(bio);
  rtc_dtls_transport* t = BIO_get_data(bio);
  if (!t->in_data || len < 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = t->in_size < (size_t)len ? t->in_size : (size_t)len;
  memcpy(out, t->in_data, n);
  t->in_data = NULL;
  t->in_size = 0;
  return (int)n;
}

static long bio_ctrl(BIO* bio, int cmd, long num, void* ptr) {
  (void)num;
  (void)ptr;
  rtc_dtls_transport* t = BIO_get_data(bio);
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return t && t->in_data ? (long)t->in_size : 0;
    case BIO_CTRL_WPENDING:
      return 0;
    default:
      return 0;
  }
}

/* --- Observer calls --- */

static void guard_push(rtc_dtls_transport* t, call_guard* g) {
  g->destroyed = false;
  g->prev = t->guards;
  t->guards = g;
}

/* False when the transport was destroyed meanwhile (then not touched). */
static bool guard_pop(rtc_dtls_transport* t, call_guard* g) {
  if (g->destroyed)
    return false;
  t->guards = g->prev;
  return true;
}

static void drop_pending(rtc_dtls_transport* t) {
  for (size_t i = 0; i < t->pending_count; i++)
    rtc_free(t->pending[i].data);
  t->pending_count = 0;
}

/* Moves to `state` and tells the observer. False if it destroyed us. */
static bool set_state(rtc_dtls_transport* t,
                      rtc_dtls_state state,
                      const rtc_error_info* error) {
  t->state = state;
  if (state == RTC_DTLS_CLOSED || state == RTC_DTLS_FAILED) {
    rtc_timer_stop(&t->timer);
    drop_pending(t);
  }
  if (!t->observer.on_state)
    return true;
  call_guard g;
  guard_push(t, &g);
  t->observer.on_state(t->user, state, error);
  return guard_pop(t, &g);
}

static bool deliver_data(rtc_dtls_transport* t,
                         const uint8_t* data,
                         size_t size) {
  if (!t->observer.on_data)
    return true;
  call_guard g;
  guard_push(t, &g);
  t->observer.on_data(t->user, data, size);
  return guard_pop(t, &g);
}

static bool fail(rtc_dtls_transport* t, rtc_error code, const char* message) {
  if (t->state == RTC_DTLS_FAILED || t->state == RTC_DTLS_CLOSED)
    return true;
  rtc_error_info info;
  rtc_error_info_init(&info);
  rtc_error_set(&info, code, "%s", message);
  info.received_alert = t->received_alert;
  info.sent_alert = t->sent_alert;
  RTC_LOG(WARNING, "DTLS failed: %s (received alert %d, sent alert %d)",
          info.message, (int)info.received_alert, (int)info.sent_alert);
  return set_state(t, RTC_DTLS_FAILED, &info);
}

/* Empties this thread's BoringSSL error queue, which must be empty before a
 * call whose result SSL_get_error reads. ERR_clear_error wipes all 16 slots
 * of the queue whether or not they hold anything: about 5% of the network
 * thread in bulk transfers, which call it around every record. */
static void clear_errors(void) {
  if (ERR_peek_error() != 0)
    ERR_clear_error();
}

/* Fails after a BoringSSL error; the reason comes from its error queue. */
static bool fail_from_ssl(rtc_dtls_transport* t, const char* what) {
  if (t->fingerprint_mismatch) {
    clear_errors();
    /* RFC 5763 §5: "the certificate presented ... MUST match the
     * fingerprint exchanged via the signaling path"; SEC-17. */
    return fail(t, RTC_ERR_FINGERPRINT_FAILURE,
                "the remote certificate matches no a=fingerprint");
  }
  if (t->peer_key_refused) {
    clear_errors();
    return fail(t, RTC_ERR_DTLS_FAILURE,
                "the remote certificate's key is neither ECDSA on the named "
                "curve P-256 nor RSA");
  }
  char reason[160] = "unknown error";
  uint32_t packed = ERR_get_error();
  if (packed != 0)
    ERR_error_string_n(packed, reason, sizeof(reason));
  clear_errors();
  char message[sizeof(((rtc_error_info*)0)->message)];
  snprintf(message, sizeof(message), "DTLS %s failed: %s", what, reason);
  return fail(t, RTC_ERR_DTLS_FAILURE, message);
}

/* --- BoringSSL callbacks --- */

static void info_callback(const SSL* ssl, int type, int value) {
  rtc_dtls_transport* t = SSL_get_app_data(ssl);
  if (!t)
    return;
  /* The value is level << 8 | description (RFC 5246 §7.2). */
  if (type == SSL_CB_READ_ALERT)
    t->received_alert = value & 0xff;
  else if (type == SSL_CB_WRITE_ALERT)
    t->sent_alert = value & 0xff;
}

static bool leaf_matches(const rtc_dtls_transport* t, const CRYPTO_BUFFER* c) {
  for (size_t i = 0; i < t->remote_count; i++) {
    if (rtc_fingerprint_matches(&t->remote[i], CRYPTO_BUFFER_data(c),
                                CRYPTO_BUFFER_len(c)))
      return true;
  }
  return false;
}

static const CRYPTO_BUFFER* peer_leaf(const SSL* ssl) {
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(ssl);
  if (!chain || sk_CRYPTO_BUFFER_num(chain) == 0)
    return NULL;
  return sk_CRYPTO_BUFFER_value(chain, 0);
}

/* Whether the key of the peer's certificate is one WebRTC uses: ECDSA on
 * the named curve P-256 (webrtc-pc §4.9 "Certificate Management": the set
 * "MUST include an ECDSA certificate ... P-256"), or RSA. Only the
 * AlgorithmIdentifier of the SubjectPublicKeyInfo is read (RFC 5280
 * §4.1.2.7, RFC 5480 §2.1.1: "specifiedCurve ... MUST NOT be used"): no
 * other curve and no explicit curve parameters (SEC-28). */
static bool peer_key_acceptable(const CRYPTO_BUFFER* leaf) {
  static const uint8_t kEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce,
                                         0x3d, 0x02, 0x01};
  static const uint8_t kPrime256v1[] = {0x2a, 0x86, 0x48, 0xce,
                                        0x3d, 0x03, 0x01, 0x07};
  static const uint8_t kRsaEncryption[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                           0x0d, 0x01, 0x01, 0x01};
  CBS cert, seq, tbs, skip, spki, alg, oid, params;
  CBS_init(&cert, CRYPTO_BUFFER_data(leaf), CRYPTO_BUFFER_len(leaf));
  /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
   * OPTIONAL, serialNumber, signature, issuer, validity, subject,
   * subjectPublicKeyInfo, ... }, ... } */
  if (!CBS_get_asn1(&cert, &seq, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&seq, &tbs, CBS_ASN1_SEQUENCE) ||
      !CBS_get_optional_asn1(
          &tbs, NULL, NULL,
          CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0))
    return false;
  for (int i = 0; i < 5; i++) {
    if (!CBS_get_any_asn1_element(&tbs, &skip, NULL, NULL))
      return false;
  }
  if (!CBS_get_asn1(&tbs, &spki, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&spki, &alg, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&alg, &oid, CBS_ASN1_OBJECT))
    return false;
  if (CBS_mem_equal(&oid, kRsaEncryption, sizeof(kRsaEncryption)))
    return true;
  return CBS_mem_equal(&oid, kEcPublicKey, sizeof(kEcPublicKey)) &&
         CBS_get_asn1(&alg, &params, CBS_ASN1_OBJECT) && CBS_len(&alg) == 0 &&
         CBS_mem_equal(&params, kPrime256v1, sizeof(kPrime256v1));
}

static enum ssl_verify_result_t verify_peer(SSL* ssl, uint8_t* out_alert) {
  rtc_dtls_transport* t = SSL_get_app_data(ssl);
  const CRYPTO_BUFFER* leaf = peer_leaf(ssl);
  /* RFC 5763 §5: both sides present a certificate (SEC-19). */
  if (!leaf) {
    t->fingerprint_mismatch = true;
    *out_alert = SSL_AD_BAD_CERTIFICATE;
    return ssl_verify_invalid;
  }
  /* The fingerprints are not known yet: the handshake waits for
   * rtc_dtls_transport_set_remote_fingerprints(). */
  if (t->remote_count == 0)
    return ssl_verify_retry;
  /* RFC 8122 §5 / RFC 5763 §5: the certificate must match one of the
   * a=fingerprint values. The digest of the DER is compared before the
   * certificate is used for anything (SEC-28); this build of BoringSSL
   * (the *_with_buffers method) never parses it as X.509. */
  if (leaf_matches(t, leaf)) {
    /* SEC-28: only then is the certificate read any further, and only for
     * its key's algorithm. (BoringSSL itself parsed the
     * SubjectPublicKeyInfo before this callback, and refuses explicit
     * curve parameters there with decode_error.) */
    if (!peer_key_acceptable(leaf)) {
      t->peer_key_refused = true;
      *out_alert = SSL_AD_BAD_CERTIFICATE;
      return ssl_verify_invalid;
    }
    t->peer_verified = true;
    return ssl_verify_ok;
  }
  t->fingerprint_mismatch = true;
  *out_alert = SSL_AD_BAD_CERTIFICATE;
  return ssl_verify_invalid;
}

/* --- Processing --- */

static void update_timer(rtc_dtls_transport* t) {
  if (t->state != RTC_DTLS_CONNECTING && t->state != RTC_DTLS_CONNECTED) {
    rtc_timer_stop(&t->timer);
    return;
  }
  struct timeval remaining;
  if (!DTLSv1_get_timeout(t->ssl, &remaining)) {
    rtc_timer_stop(&t->timer);
    return;
  }
  int64_t deadline_us = rtc_task_queue_now_us(t->queue) +
                        (int64_t)remaining.tv_sec * RTC_US_PER_SEC +
                        remaining.tv_usec;
  /* Most datagrams leave the deadline where it was: keep that start. */
  if (rtc_timer_is_running(&t->timer) && t->timer.deadline_us == deadline_us)
    return;
  if (rtc_timer_start_at(&t->timer, deadline_us) != RTC_OK)
    RTC_LOG(WARNING, "DTLS retransmission timer not armed");
}

/* Reads every record BoringSSL can give and delivers application data.
 * False if a callback destroyed the transport. */
static bool read_app_data(rtc_dtls_transport* t) {
  /* On the stack, not in the transport: an idle connection holds no read
   * buffer (16 KiB each). The plaintext is wiped once delivered. */
  uint8_t buf[MAX_RECORD_PLAINTEXT];
  for (;;) {
    if (t->state != RTC_DTLS_CONNECTED)
      return true;
    clear_errors();
    int n = SSL_read(t->ssl, buf, sizeof(buf));
    int ssl_error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, n);
    /* The BIO hands the datagram over once (bio_read). */
    bool datagram_read = t->in_data == NULL;
    t->in_data = NULL;
    if (n > 0) {
      bool alive = deliver_data(t, buf, (size_t)n);
      OPENSSL_cleanse(buf, (size_t)n);
      if (!alive)
        return false;
      /* Nothing of the datagram left in BoringSSL: another SSL_read would
       * only say SSL_ERROR_WANT_READ (one call per datagram, a few percent
       * of the network thread in bulk transfers). */
      if (datagram_read && !SSL_has_pending(t->ssl))
        return true;
      continue;
    }
    switch (ssl_error) {
      case SSL_ERROR_WANT_READ:
        clear_errors();
        return true;
      case SSL_ERROR_ZERO_RETURN:
        /* RFC 5246 §7.2.1: close_notify; nothing is read after it. */
        clear_errors();
        return set_state(t, RTC_DTLS_CLOSED, NULL);
      default:
        return fail_from_ssl(t, "read");
    }
  }
}

static bool handshake_completed(rtc_dtls_transport* t) {
  t->handshake_done = true;
  /* Checked again (the verify callback cannot have been skipped with
   * SSL_VERIFY_PEER, but no key or data may ever flow unverified). */
  const CRYPTO_BUFFER* leaf = peer_leaf(t->ssl);
  if (!t->peer_verified || !leaf || !leaf_matches(t, leaf)) {
    t->fingerprint_mismatch = true;
    SSL_send_fatal_alert(t->ssl, SSL_AD_BAD_CERTIFICATE);
    return fail_from_ssl(t, "verification");
  }
  if (SSL_version(t->ssl) != DTLS1_2_VERSION) {
    SSL_send_fatal_alert(t->ssl, SSL_AD_PROTOCOL_VERSION);
    return fail(t, RTC_ERR_DTLS_FAILURE, "not DTLS 1.2");
  }
  if (!set_state(t, RTC_DTLS_CONNECTED, NULL))
    return false;
  /* Records that came behind the Finished. */
  return read_app_data(t);
}

/* Runs the handshake as far as the input allows. */
static bool continue_handshake(rtc_dtls_transport* t) {
  clear_errors();
  int ret = SSL_do_handshake(t->ssl);
  int ssl_error = ret == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, ret);
  t->in_data = NULL;
  if (ret == 1)
    return handshake_completed(t);
  switch (ssl_error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      clear_errors();
      return true;
    case SSL_ERROR_WANT_CERTIFICATE_VERIFY:
      clear_errors();
      t->verify_pending = true;
      return true;
    default:
      return fail_from_ssl(t, "handshake");
  }
}

/* Hands one DTLS datagram to BoringSSL. Call with depth > 0. */
static bool process_datagram(rtc_dtls_transport* t,
                             const uint8_t* data,
                             size_t size) {
  if (t->state != RTC_DTLS_CONNECTING && t->state != RTC_DTLS_CONNECTED)
    return true;
  t->in_data = data;
  t->in_size = size;
  if (!t->handshake_done)
    return continue_handshake(t);
  return read_app_data(t);
}

static bool can_process(const rtc_dtls_transport* t) {
  return t->started && t->depth == 0 && !t->verify_pending &&
         !t->pump_scheduled &&
         (t->state == RTC_DTLS_CONNECTING || t->state == RTC_DTLS_CONNECTED);
}

static void enqueue(rtc_dtls_transport* t, const uint8_t* data, size_t size) {
  if (t->pending_count == MAX_PENDING) {
    t->dropped_packets++;
    return;
  }
  uint8_t* copy = rtc_memdup(data, size);
  if (!copy) {
    t->dropped_packets++;
    return;
  }
  t->pending[t->pending_count].data = copy;
  t->pending[t->pending_count].size = size;
  t->pending_count++;
}

/* Processes the datagrams that waited, in order. */
static bool drain_pending(rtc_dtls_transport* t) {
  while (t->pending_count > 0 && can_process(t)) {
    pending_packet p = t->pending[0];
    t->pending_count--;
    memmove(&t->pending[0], &t->pending[1],
            t->pending_count * sizeof(t->pending[0]));
    t->depth++;
    bool alive = process_datagram(t, p.data, p.size);
    rtc_free(p.data);
    if (!alive)
      return false;
    t->depth--;
  }
  return true;
}

/* The pump: what start() and set_remote_fingerprints() set in motion. */
static bool pump(rtc_dtls_transport* t) {
  if (t->announce_connecting) {
    t->announce_connecting = false;
    if (t->state == RTC_DTLS_CONNECTING) {
      t->depth++;
      if (!set_state(t, RTC_DTLS_CONNECTING, NULL))
        return false;
      t->depth--;
    }
  }
  if (t->state != RTC_DTLS_CONNECTING && t->state != RTC_DTLS_CONNECTED)
    return true;
  if (!t->handshake_kicked || (t->verify_pending && t->remote_count > 0)) {
    /* The client's first call sends its ClientHello; after the
     * fingerprints arrived, the verify callback runs again. */
    t->handshake_kicked = true;
    t->verify_pending = false;
    t->depth++;
    if (!continue_handshake(t))
      return false;
    t->depth--;
  }
  if (!drain_pending(t))
    return false;
  update_timer(t);
  return true;
}

static void pump_task(void* arg) {
  rtc_dtls_transport* t = arg;
  t->pump_scheduled = false;
  const rtc_task_queue* previous = clock_enter(t);
  pump(t);
  clock_leave(previous);
}

static rtc_error schedule_pump(rtc_dtls_transport* t) {
  if (t->pump_scheduled)
    return RTC_OK;
  rtc_task task = {pump_task, NULL, t};
  rtc_error err = rtc_task_queue_post_guarded(t->queue, t->flag, 0, task);
  if (err == RTC_OK)
    t->pump_scheduled = true;
  return err;
}

static void on_timer(void* arg) {
  rtc_dtls_transport* t = arg;
  if (t->state != RTC_DTLS_CONNECTING && t->state != RTC_DTLS_CONNECTED)
    return;
  const rtc_task_queue* previous = clock_enter(t);
  clear_errors();
  t->depth++;
  /* RFC 6347 §4.2.4: retransmit the last flight, doubling the timer. */
  int ret = DTLSv1_handle_timeout(t->ssl);
  t->depth--;
  bool alive = true;
  if (ret < 0) {
    t->depth++;
    alive = fail_from_ssl(t, "retransmission");
    if (alive)
      t->depth--;
  } else {
    clear_errors();
  }
  if (alive && drain_pending(t))
    update_timer(t);
  clock_leave(previous);
}

/* --- Setup --- */

void rtc_dtls_transport_config_init(rtc_dtls_transport_config* config) {
  memset(config, 0, sizeof(*config));
  config->mtu = DEFAULT_MTU;
  config->initial_timeout_us = DEFAULT_INITIAL_TIMEOUT_US;
}

/* "SRTP_AEAD_AES_128_GCM:..." for the configured profiles. */
static rtc_error srtp_profile_list(const rtc_dtls_transport_config* config,
                                   char* buf,
                                   size_t size) {
  static const rtc_srtp_profile kDefault[] = {
      RTC_SRTP_AEAD_AES_128_GCM,
      RTC_SRTP_AEAD_AES_256_GCM,
      RTC_SRTP_AES128_CM_SHA1_80,
  };
  const rtc_srtp_profile* profiles = kDefault;
  size_t count = sizeof(kDefault) / sizeof(kDefault[0]);
  if (config->srtp_profile_count > 0) {
    if (!config->srtp_profiles ||
        config->srtp_profile_count > sizeof(kDefault) / sizeof(kDefault[0]))
      return RTC_ERR_INVALID_ARGUMENT;
    profiles = config->srtp_profiles;
    count = config->srtp_profile_count;
  }
  buf[0] = '\0';
  size_t used = 0;
  for (size_t i = 0; i < count; i++) {
    /* Only the profiles of the header: never a NULL cipher (SEC-02). */
    const char* name = rtc_srtp_profile_name(profiles[i]);
    if (!name)
      return RTC_ERR_INVALID_ARGUMENT;
    for (size_t j = 0; j < i; j++) {
      if (profiles[j] == profiles[i])
        return RTC_ERR_INVALID_ARGUMENT;
    }
    int n = snprintf(buf + used, size - used, "%s%s", i ? ":" : "", name);
    if (n < 0 || (size_t)n >= size - used)
      return RTC_ERR_INTERNAL;
    used += (size_t)n;
  }
  return RTC_OK;
}

static rtc_error setup_ssl(rtc_dtls_transport* t,
                           const char* srtp_profiles,
                           unsigned mtu,
                           unsigned timeout_ms) {
  /* The *_with_buffers method keeps certificates as DER buffers: the
   * peer's is hashed, never parsed as X.509 (SEC-28). */
  t->ctx = SSL_CTX_new(DTLS_with_buffers_method());
  if (!t->ctx)
    return RTC_ERR_OPERATION;
  size_t der_len = 0;
  const uint8_t* der = rtc_certificate_der(t->certificate, &der_len);
  CRYPTO_BUFFER* leaf = CRYPTO_BUFFER_new(der, der_len, NULL);
  if (!leaf)
    return RTC_ERR_OPERATION;
  /* RFC 8827 §6.5: DTLS 1.2; the cipher suites, groups and SRTP profiles
   * above; mutual authentication (RFC 5763 §5: the server sends a
   * CertificateRequest, which SSL_VERIFY_PEER makes it do); no session
   * resumption. */
  bool ok = SSL_CTX_set_chain_and_key(
                t->ctx, &leaf, 1, rtc_certificate_private_key(t->certificate),
                NULL) &&
            SSL_CTX_set_min_proto_version(t->ctx, DTLS1_2_VERSION) &&
            SSL_CTX_set_max_proto_version(t->ctx, DTLS1_2_VERSION) &&
            SSL_CTX_set_strict_cipher_list(t->ctx, kCipherList) &&
            SSL_CTX_set1_curves_list(t->ctx, kCurveList) &&
            SSL_CTX_set_tlsext_use_srtp(t->ctx, srtp_profiles) == 0;
  CRYPTO_BUFFER_free(leaf);
  if (!ok)
    return RTC_ERR_OPERATION;
  SSL_CTX_set_custom_verify(
      t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_peer);
  SSL_CTX_set_current_time_cb(t->ctx, current_time);
  SSL_CTX_set_info_callback(t->ctx, info_callback);
  SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET);

  t->ssl = SSL_new(t->ctx);
  if (!t->ssl)
    return RTC_ERR_OPERATION;
  SSL_set_app_data(t->ssl, t);
  SSL_set_options(t->ssl, SSL_OP_NO_QUERY_MTU);
  if (!SSL_set_mtu(t->ssl, mtu))
    return RTC_ERR_INVALID_ARGUMENT; /* below DTLS's minimum */
  DTLSv1_set_initial_timeout_duration(t->ssl, timeout_ms);
  /* RFC 8827 §6.5: no renegotiation (SEC-09). BoringSSL servers always
   * refuse it; clients too with this mode. No False Start (SEC-10):
   * SSL_MODE_ENABLE_FALSE_START is never set. */
  SSL_set_renegotiate_mode(t->ssl, ssl_renegotiate_never);

  t->bio_method = BIO_meth_new(DATAGRAM_BIO_TYPE, "rtc_dtls_transport");
  if (!t->bio_method || !BIO_meth_set_write(t->bio_method, bio_write) ||
      !BIO_meth_set_read(t->bio_method, bio_read) ||
      !BIO_meth_set_ctrl(t->bio_method, bio_ctrl))
    return RTC_ERR_OPERATION;
  BIO* bio = BIO_new(t->bio_method);
  if (!bio)
    return RTC_ERR_OPERATION;
  BIO_set_data(bio, t);
  BIO_set_init(bio, 1);
  SSL_set_bio(t->ssl, bio, bio); /* takes the reference */
  return RTC_OK;
}

rtc_error rtc_dtls_transport_create(rtc_task_queue* queue,
                                    const rtc_dtls_transport_config* config,
                                    const rtc_dtls_transport_observer* observer,
                                    void* user,
                                    rtc_dtls_transport** out) {
  if (!out)
    return RTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!queue || !config || !config->certificate || !config->send)
    return RTC_ERR_INVALID_ARGUMENT;
  unsigned mtu = config->mtu ? config->mtu : DEFAULT_MTU;
  if (mtu > MAX_MTU)
    return RTC_ERR_INVALID_ARGUMENT;
  int64_t timeout_us = config->initial_timeout_us;
  if (timeout_us == 0)
    timeout_us = DEFAULT_INITIAL_TIMEOUT_US;
  if (timeout_us < 0 || timeout_us > MAX_INITIAL_TIMEOUT_US)
    return RTC_ERR_INVALID_ARGUMENT;
  unsigned timeout_ms =
      (unsigned)((timeout_us + RTC_US_PER_MS - 1) / RTC_US_PER_MS);
  char profiles[96];
  rtc_error err = srtp_profile_list(config, profiles, sizeof(profiles));
  if (err != RTC_OK)
    return err;

  rtc_dtls_transport* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return RTC_ERR_NO_MEMORY;
  t->queue = queue;
  t->send = config->send;
  t->send_user = config->send_user;
  if (observer)
    t->observer = *observer;
  t->user = user;
  t->state = RTC_DTLS_NEW;
  t->role = RTC_DTLS_ROLE_CLIENT;
  t->received_alert = -1;
  t->sent_alert = -1;
  rtc_certificate_ref(config->certificate);
  t->certificate = config->certificate;
  rtc_timer_init(&t->timer, queue, on_timer, t);
  err = rtc_safety_flag_create(&t->flag);
  if (err != RTC_OK)
    goto fail;
  err = setup_ssl(t, profiles, mtu, timeout_ms);
  if (err != RTC_OK)
    goto fail;
  *out = t;
  return RTC_OK;

fail:
  clear_errors();
  rtc_dtls_transport_destroy(t);
  return err;
}

void rtc_dtls_transport_destroy(rtc_dtls_transport* transport) {
  rtc_dtls_transport* t = transport;
  if (!t)
    return;
  for (call_guard* g = t->guards; g; g = g->prev)
    g->destroyed = true;
  rtc_timer_stop(&t->timer);
  if (t->flag) {
    rtc_safety_flag_set_not_alive(t->flag);
    rtc_safety_flag_unref(t->flag);
  }
  drop_pending(t);
  SSL_free(t->ssl); /* frees the BIO */
  SSL_CTX_free(t->ctx);
  BIO_meth_free(t->bio_method);
  clear_errors();
  rtc_certificate_unref(t->certificate);
  rtc_free(t);
}

/* --- API --- */

static size_t digest_length(rtc_hash_algorithm algorithm) {
  switch (algorithm) {
    case RTC_HASH_SHA1:
      return 20;
    case RTC_HASH_SHA224:
      return 28;
    case RTC_HASH_SHA256:
      return 32;
    case RTC_HASH_SHA384:
      return 48;
    case RTC_HASH_SHA512:
      return 64;
  }
  return 0;
}

static bool fingerprint_in(const rtc_fingerprint* fp,
                           const rtc_fingerprint* set,
                           size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (rtc_fingerprint_equal(fp, &set[i]))
      return true;
  }
  return false;
}

rtc_error rtc_dtls_transport_set_remote_fingerprints(
    rtc_dtls_transport* transport,
    const rtc_fingerprint* fingerprints,
    size_t count) {
  rtc_dtls_transport* t = transport;
  if (!t || !fingerprints || count == 0 || count > MAX_FINGERPRINTS)
    return RTC_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < count; i++) {
    /* Each must be a digest of its algorithm's length. */
    if (fingerprints[i].digest_len == 0 ||
        fingerprints[i].digest_len != digest_length(fingerprints[i].algorithm))
      return RTC_ERR_INVALID_ARGUMENT;
  }
  if (t->peer_verified || t->state == RTC_DTLS_FAILED ||
      t->state == RTC_DTLS_CLOSED) {
    /* The same set again is fine; another needs a new transport (JSEP
     * §5.11: a new fingerprint means a new DTLS association). */
    bool same = true;
    for (size_t i = 0; i < count && same; i++)
      same = fingerprint_in(&fingerprints[i], t->remote, t->remote_count);
    for (size_t i = 0; i < t->remote_count && same; i++)
      same = fingerprint_in(&t->remote[i], fingerprints, count);
    return same ? RTC_OK : RTC_ERR_INVALID_STATE;
  }
  if (t->verify_pending) {
    rtc_error err = schedule_pump(t);
    if (err != RTC_OK)
      return err;
  }
  memcpy(t->remote, fingerprints, count * sizeof(*fingerprints));
  t->remote_count = count;
  return RTC_OK;
}

rtc_error rtc_dtls_transport_start(rtc_dtls_transport* transport,
                                   rtc_dtls_role role) {
  rtc_dtls_transport* t = transport;
  if (!t || (role != RTC_DTLS_ROLE_CLIENT && role != RTC_DTLS_ROLE_SERVER))
    return RTC_ERR_INVALID_ARGUMENT;
  if (t->started || t->state != RTC_DTLS_NEW)
    return RTC_ERR_INVALID_STATE;
  rtc_error err = schedule_pump(t);
  if (err != RTC_OK)
    return err;
  t->started = true;
  t->role = role;
  t->state = RTC_DTLS_CONNECTING;
  t->announce_connecting = true;
  /* RFC 5763 §5: a=setup:active is the DTLS client. */
  if (role == RTC_DTLS_ROLE_CLIENT)
    SSL_set_connect_state(t->ssl);
  else
    SSL_set_accept_state(t->ssl);
  return RTC_OK;
}

void rtc_dtls_transport_receive(rtc_dtls_transport* transport,
                                const uint8_t* data,
                                size_t size) {
  rtc_dtls_transport* t = transport;
  if (!t || !data || size == 0)
    return;
  /* RFC 7983 §7 (RFC 5764 §5.1.2): demultiplex by the first byte. */
  switch (rtc_demux_classify(data, size)) {
    case RTC_PACKET_RTP:
      /* No media before the keys exist (SEC-02). */
      if (t->state != RTC_DTLS_CONNECTED || !t->observer.on_rtp) {
        t->dropped_packets++;
        return;
      }
      t->observer.on_rtp(t->user, data, size);
      return;
    case RTC_PACKET_DTLS:
      break;
    default:
      t->dropped_packets++;
      return;
  }
  if (t->state == RTC_DTLS_CLOSED || t->state == RTC_DTLS_FAILED) {
    t->dropped_packets++;
    return;
  }
  if (!can_process(t)) {
    enqueue(t, data, size);
    return;
  }
  const rtc_task_queue* previous = clock_enter(t);
  t->depth++;
  if (process_datagram(t, data, size)) {
    t->depth--;
    if (drain_pending(t))
      update_timer(t);
  }
  clock_leave(previous);
}

rtc_error rtc_dtls_transport_send(rtc_dtls_transport* transport,
                                  const uint8_t* data,
                                  size_t size) {
  rtc_dtls_transport* t = transport;
  if (!t || !data)
    return RTC_ERR_INVALID_ARGUMENT;
  if (t->state != RTC_DTLS_CONNECTED)
    return RTC_ERR_INVALID_STATE;
  if (size == 0 || size > MAX_RECORD_PLAINTEXT)
    return RTC_ERR_INVALID_ARGUMENT;
  const rtc_task_queue* previous = clock_enter(t);
  clear_errors();
  t->depth++;
  t->writing_app_data = true;
  t->app_send_error = RTC_OK;
  int n = SSL_write(t->ssl, data, (int)size);
  t->writing_app_data = false;
  t->depth--;
  clear_errors();
  rtc_error err = RTC_OK;
  if (n != (int)size)
    err = t->app_send_error != RTC_OK ? t->app_send_error : RTC_ERR_OPERATION;
  /* A datagram that arrived meanwhile (a lower transport that delivers
   * synchronously) waits for the pump. */
  if (t->pending_count > 0 && can_process(t))
    schedule_pump(t);
  clock_leave(previous);
  return err;
}

rtc_error rtc_dtls_transport_send_rtp(rtc_dtls_transport* transport,
                                      const uint8_t* data,
                                      size_t size) {
  rtc_dtls_transport* t = transport;
  if (!t || !data || size == 0)
    return RTC_ERR_INVALID_ARGUMENT;
  /* SEC-02: never plain or early media. */
  if (t->state != RTC_DTLS_CONNECTED)
    return RTC_ERR_INVALID_STATE;
  /* Only what the peer's demultiplexer takes for RTP/RTCP (RFC 7983). */
  if (rtc_demux_classify(data, size) != RTC_PACKET_RTP)
    return RTC_ERR_INVALID_ARGUMENT;
  return t->send(t->send_user, data, size);
}

void rtc_dtls_transport_close(rtc_dtls_transport* transport) {
  rtc_dtls_transport* t = transport;
  if (!t || t->state == RTC_DTLS_CLOSED)
    return;
  if (t->state == RTC_DTLS_CONNECTED) {
    /* RFC 5246 §7.2.1: close_notify. */
    const rtc_task_queue* previous = clock_enter(t);
    clear_errors();
    t->depth++;
    SSL_shutdown(t->ssl);
    t->depth--;
    clear_errors();
    clock_leave(previous);
  }
  t->state = RTC_DTLS_CLOSED;
  t->verify_pending = false;
  rtc_timer_stop(&t->timer);
  drop_pending(t);
}

rtc_dtls_state rtc_dtls_transport_state(const rtc_dtls_transport* transport) {
  return transport ? transport->state : RTC_DTLS_CLOSED;
}

rtc_dtls_role rtc_dtls_transport_role(const rtc_dtls_transport* transport) {
  return transport ? transport->role : RTC_DTLS_ROLE_CLIENT;
}

static rtc_srtp_profile profile_from_id(unsigned long id) {
  switch (id) {
    case SRTP_AES128_CM_SHA1_80:
      return RTC_SRTP_AES128_CM_SHA1_80;
    case SRTP_AEAD_AES_128_GCM:
      return RTC_SRTP_AEAD_AES_128_GCM;
    case SRTP_AEAD_AES_256_GCM:
      return RTC_SRTP_AEAD_AES_256_GCM;
    default:
      return RTC_SRTP_NONE;
  }
}

rtc_error rtc_dtls_transport_srtp_keys(const rtc_dtls_transport* transport,
                                       rtc_srtp_keys* out) {
  const rtc_dtls_transport* t = transport;
  if (!t || !out)
    return RTC_ERR_INVALID_ARGUMENT;
  memset(out, 0, sizeof(*out));
  /* SEC-17: no keys unless connected (and so verified). */
  if (t->state != RTC_DTLS_CONNECTED || !t->peer_verified)
    return RTC_ERR_INVALID_STATE;
  const SRTP_PROTECTION_PROFILE* selected =
      SSL_get_selected_srtp_profile(t->ssl);
  rtc_srtp_profile profile =
      selected ? profile_from_id(selected->id) : RTC_SRTP_NONE;
  if (profile == RTC_SRTP_NONE)
    return RTC_ERR_NOT_FOUND;
  size_t key_len = rtc_srtp_profile_key_length(profile);
  size_t salt_len = rtc_srtp_profile_salt_length(profile);
  if (key_len > sizeof(out->local_key) || salt_len > sizeof(out->local_salt))
    return RTC_ERR_BUFFER_TOO_SMALL;
  /* RFC 5764 §4.2: client_write_SRTP_master_key, server_..._key,
   * client_write_SRTP_master_salt, server_..._salt, from the exporter with
   * the label "EXTRACTOR-dtls_srtp" and no context. */
  uint8_t material[2 * (sizeof(out->local_key) + sizeof(out->local_salt))];
  size_t total = 2 * (key_len + salt_len);
  if (!SSL_export_keying_material(t->ssl, material, total, SRTP_EXPORTER_LABEL,
                                  strlen(SRTP_EXPORTER_LABEL), NULL, 0, 0)) {
    clear_errors();
    return RTC_ERR_OPERATION;
  }
  const uint8_t* client_key = material;
  const uint8_t* server_key = material + key_len;
  const uint8_t* client_salt = material + 2 * key_len;
  const uint8_t* server_salt = material + 2 * key_len + salt_len;
  bool client = t->role == RTC_DTLS_ROLE_CLIENT;
  out->profile = profile;
  out->key_length = key_len;
  out->salt_length = salt_len;
  memcpy(out->local_key, client ? client_key : server_key, key_len);
  memcpy(out->local_salt, client ? client_salt : server_salt, salt_len);
  memcpy(out->remote_key, client ? server_key : client_key, key_len);
  memcpy(out->remote_salt, client ? server_salt : client_salt, salt_len);
  OPENSSL_cleanse(material, sizeof(material));
  return RTC_OK;
}

void rtc_dtls_transport_info(const rtc_dtls_transport* transport,
                             rtc_dtls_info* out) {
  if (!out)
    return;
  memset(out, 0, sizeof(*out));
  const rtc_dtls_transport* t = transport;
  if (!t || !t->handshake_done || !t->peer_verified)
    return;
  snprintf(out->tls_version, sizeof(out->tls_version), "%s",
           SSL_version(t->ssl) == DTLS1_2_VERSION ? "DTLSv1.2" : "");
  const SSL_CIPHER* cipher = SSL_get_current_cipher(t->ssl);
  const char* cipher_name = cipher ? SSL_CIPHER_standard_name(cipher) : NULL;
  snprintf(out->cipher, sizeof(out->cipher), "%s",
           cipher_name ? cipher_name : "");
  const SRTP_PROTECTION_PROFILE* selected =
      SSL_get_selected_srtp_profile(t->ssl);
  const char* srtp =
      selected ? rtc_srtp_profile_name(profile_from_id(selected->id)) : NULL;
  snprintf(out->srtp_cipher, sizeof(out->srtp_cipher), "%s", srtp ? srtp : "");
  uint16_t group_id = SSL_get_curve_id(t->ssl);
  const char* group = group_id ? SSL_get_curve_name(group_id) : NULL;
  snprintf(out->group, sizeof(out->group), "%s", group ? group : "");
}

size_t rtc_dtls_transport_remote_certificates(
    const rtc_dtls_transport* transport,
    const uint8_t** der,
    size_t* der_len,
    size_t capacity) {
  const rtc_dtls_transport* t = transport;
  if (!t || !t->handshake_done || !t->peer_verified)
    return 0;
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(t->ssl);
  if (!chain)
    return 0;
  size_t count = sk_CRYPTO_BUFFER_num(chain);
  for (size_t i = 0; i < count && i < capacity && der && der_len; i++) {
    const CRYPTO_BUFFER* c = sk_CRYPTO_BUFFER_value(chain, i);
    der[i] = CRYPTO_BUFFER_data(c);
    der_len[i] = CRYPTO_BUFFER_len(c);
  }
  return count;
}
