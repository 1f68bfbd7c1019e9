/*
 * The DTLS transport (RFC 6347 DTLS 1.2 with RFC 5763/5764 DTLS-SRTP, as
 * RFC 8827 §6.5 and webrtc-pc §5.5 RTCDtlsTransport require), over a
 * packet transport such as ICE. BoringSSL does the protocol; this object
 * feeds it datagrams, drives its retransmission timer from the task
 * queue's clock (so it runs on simulated time), and enforces WebRTC's
 * rules:
 *   - DTLS 1.2 only; ECDHE with AES-GCM cipher suites only (ECDSA and RSA
 *     certificates); mutual authentication (the server asks for the
 *     client's certificate);
 *   - the peer's certificate must match one of the remote a=fingerprint
 *     values, or the transport fails with RTC_ERR_FINGERPRINT_FAILURE, sends
 *     a bad_certificate alert, and never delivers application data or SRTP
 *     keys (SEC-17); the hash is compared before anything else is trusted
 *     (SEC-28); if the fingerprints are not known yet when the peer's
 *     certificate arrives, the handshake waits for them;
 *   - SRTP profiles AEAD_AES_128_GCM, AEAD_AES_256_GCM,
 *     AES_CM_128_HMAC_SHA1_80, empty MKI only (SEC-05), keys exported per
 *     RFC 5764 §4.2;
 *   - no renegotiation (SEC-09), no False Start (SEC-10);
 *   - close_notify on close.
 *
 * Demultiplexing (RFC 7983): the owner passes every non-STUN packet to
 * rtc_dtls_transport_receive(): DTLS records (first byte 20..63) go to
 * BoringSSL; RTP/RTCP (128..191) go to the observer's on_rtp, and only
 * once the transport is connected (no media before keys, SEC-02).
 *
 * Threads: one task queue (the network thread): create, call and destroy
 * there; callbacks come from there, never from inside an API call except
 * where noted.
 */
#ifndef P2P_DTLS_TRANSPORT_H_
#define P2P_DTLS_TRANSPORT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/certificate.h"
#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_dtls_transport rtc_dtls_transport;

/* RTCDtlsTransportState */
typedef enum rtc_dtls_state {
  RTC_DTLS_NEW = 0,
  RTC_DTLS_CONNECTING,
  RTC_DTLS_CONNECTED,
  RTC_DTLS_CLOSED,
  RTC_DTLS_FAILED,
} rtc_dtls_state;

const char* rtc_dtls_state_name(rtc_dtls_state state);

typedef enum rtc_dtls_role {
  RTC_DTLS_ROLE_CLIENT = 0, /* a=setup:active */
  RTC_DTLS_ROLE_SERVER,     /* a=setup:passive */
} rtc_dtls_role;

/* DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2). */
typedef enum rtc_srtp_profile {
  RTC_SRTP_NONE = 0,
  RTC_SRTP_AES128_CM_SHA1_80 = 0x0001,
  RTC_SRTP_AEAD_AES_128_GCM = 0x0007,
  RTC_SRTP_AEAD_AES_256_GCM = 0x0008,
} rtc_srtp_profile;

/* "SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM", ... (BoringSSL's
 * names, which are also what webrtc-stats srtpCipher reports), or NULL. */
const char* rtc_srtp_profile_name(rtc_srtp_profile profile);
/* Key and salt lengths of a profile, in bytes. */
size_t rtc_srtp_profile_key_length(rtc_srtp_profile profile);
size_t rtc_srtp_profile_salt_length(rtc_srtp_profile profile);

typedef struct rtc_dtls_transport_observer {
  /* The state changed. For RTC_DTLS_FAILED, `error` says why
   * (RTC_ERR_FINGERPRINT_FAILURE, RTC_ERR_DTLS_FAILURE with the alert in
   * received_alert/sent_alert); NULL otherwise. */
  void (*on_state)(void* user,
                   rtc_dtls_state state,
                   const rtc_error_info* error);
  /* Decrypted application data (SCTP packets). */
  void (*on_data)(void* user, const uint8_t* data, size_t size);
  /* An RTP or RTCP packet (still SRTP-protected) arrived while connected. */
  void (*on_rtp)(void* user, const uint8_t* data, size_t size);
} rtc_dtls_transport_observer;

/* Sends one datagram on the lower transport (ICE). */
typedef rtc_error (*rtc_dtls_send_fn)(void* user,
                                      const uint8_t* data,
                                      size_t size);

typedef struct rtc_dtls_transport_config {
  rtc_certificate* certificate; /* (transfer none: the transport refs it) */
  rtc_dtls_send_fn send;
  void* send_user;
  /* Path MTU for handshake flights; default 1200. */
  unsigned mtu;
  /* Initial retransmission timeout; default 100 ms doubling to 60 s. */
  int64_t initial_timeout_us;
  /* SRTP profiles to offer, in preference order; an empty list (count 0)
   * offers all three, GCM first. */
  const rtc_srtp_profile* srtp_profiles;
  size_t srtp_profile_count;
} rtc_dtls_transport_config;

void rtc_dtls_transport_config_init(rtc_dtls_transport_config* config);

/* Errors: RTC_ERR_INVALID_ARGUMENT (no certificate, no send function),
 * RTC_ERR_NO_MEMORY, RTC_ERR_OPERATION (BoringSSL setup failed). */
rtc_error rtc_dtls_transport_create(rtc_task_queue* queue,
                                    const rtc_dtls_transport_config* config,
                                    const rtc_dtls_transport_observer* observer,
                                    void* user,
                                    rtc_dtls_transport** out);
/* No callback after it returns. NULL is ignored. */
void rtc_dtls_transport_destroy(rtc_dtls_transport* transport);

/* The fingerprints from the remote description (1..8); may be set before
 * or during the handshake, and again with the same values. Errors:
 * RTC_ERR_INVALID_ARGUMENT (none, too many), RTC_ERR_INVALID_STATE
 * (different ones after the handshake verified the peer: that needs a new
 * transport). */
rtc_error rtc_dtls_transport_set_remote_fingerprints(
    rtc_dtls_transport* transport,
    const rtc_fingerprint* fingerprints,
    size_t count);

/* Starts the handshake in `role` (the client sends its ClientHello now).
 * Packets that arrived before start are kept (a few) and processed now.
 * Errors: RTC_ERR_INVALID_STATE (already started or closed). */
rtc_error rtc_dtls_transport_start(rtc_dtls_transport* transport,
                                   rtc_dtls_role role);

/* A datagram from the lower transport (any non-STUN packet). May call
 * observer callbacks before returning. */
void rtc_dtls_transport_receive(rtc_dtls_transport* transport,
                                const uint8_t* data,
                                size_t size);

/* Sends application data (one SCTP packet per call) inside DTLS.
 * Errors: RTC_ERR_INVALID_STATE (not connected), RTC_ERR_INVALID_ARGUMENT
 * (larger than a record), RTC_ERR_WOULD_BLOCK (the lower transport). */
rtc_error rtc_dtls_transport_send(rtc_dtls_transport* transport,
                                  const uint8_t* data,
                                  size_t size);
/* Sends an SRTP/SRTCP packet beside DTLS. Errors: RTC_ERR_INVALID_STATE
 * (not connected: never plain or early media). */
rtc_error rtc_dtls_transport_send_rtp(rtc_dtls_transport* transport,
                                      const uint8_t* data,
                                      size_t size);

/* Sends close_notify and moves to RTC_DTLS_CLOSED (no callback for that
 * change: the caller knows). */
void rtc_dtls_transport_close(rtc_dtls_transport* transport);

rtc_dtls_state rtc_dtls_transport_state(const rtc_dtls_transport* transport);
rtc_dtls_role rtc_dtls_transport_role(const rtc_dtls_transport* transport);

/* After connecting: the negotiated SRTP profile (RTC_SRTP_NONE if the peer
 * offered none we accept) and the keying material (RFC 5764 §4.2):
 * client write key, server write key, client salt, server salt.
 * Errors: RTC_ERR_INVALID_STATE (not connected), RTC_ERR_NOT_FOUND (no
 * SRTP profile), RTC_ERR_BUFFER_TOO_SMALL. */
typedef struct rtc_srtp_keys {
  rtc_srtp_profile profile;
  uint8_t local_key[32];
  uint8_t local_salt[14];
  uint8_t remote_key[32];
  uint8_t remote_salt[14];
  size_t key_length;
  size_t salt_length;
} rtc_srtp_keys;
rtc_error rtc_dtls_transport_srtp_keys(const rtc_dtls_transport* transport,
                                       rtc_srtp_keys* out);

/* For stats (webrtc-stats RTCTransportStats): "DTLSv1.2", the IANA cipher
 * suite name ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), the SRTP profile;
 * empty strings before connecting. */
typedef struct rtc_dtls_info {
  char tls_version[16];
  char cipher[64];
  char srtp_cipher[32];
  char group[16]; /* "X25519", "P-256", ... */
} rtc_dtls_info;
void rtc_dtls_transport_info(const rtc_dtls_transport* transport,
                             rtc_dtls_info* out);

/* The peer's certificate chain as DER (getRemoteCertificates), at most
 * `capacity` entries; returns how many there are. (transfer none: valid
 * until the transport is destroyed) */
size_t rtc_dtls_transport_remote_certificates(
    const rtc_dtls_transport* transport,
    const uint8_t** der,
    size_t* der_len,
    size_t capacity);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_DTLS_TRANSPORT_H_
