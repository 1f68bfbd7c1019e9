/*
 * A TURN client (RFC 8656) for ONE allocation on one server, sans-I/O: it
 * takes the bytes that came from the server and the time, and gives back
 * bytes to send to the server (through a callback) and events. It owns no
 * socket and no timer, so the ICE agent can run one per (server, local
 * socket) on its task queue, over its own UDP socket (demultiplexing what
 * comes from the server's address to the client) or over a TCP/TLS
 * connection (handing the client the stream's bytes), and tell it the
 * time.
 *
 * What it does:
 *   - Allocate (RFC 8656 §7) with REQUESTED-TRANSPORT UDP, LIFETIME and
 *     the long-term credential mechanism (RFC 8489 §9.2): the first
 *     request goes without credentials; a 401 with REALM and NONCE makes
 *     it retry with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY; a 438
 *     (Stale Nonce) on any request retries it with the new NONCE; a 401 to
 *     an authenticated Allocate fails the allocation with 401.
 *   - Refresh (§8) a minute before the allocation expires, retried on
 *     errors and timeouts until it expires; Refresh with LIFETIME 0 on
 *     close (deallocation).
 *   - CreatePermission (§9) per peer IP, refreshed every 4 minutes (the
 *     server keeps a permission 300 s).
 *   - ChannelBind (§11) with channel numbers 0x4000-0x4FFF, refreshed
 *     every 9 minutes (a binding lasts 600 s); ChannelData (§12) once a
 *     channel is bound, Send and Data indications (§10) before.
 *   - Retransmissions (RFC 8489 §6.2.1): over UDP RTO 500 ms doubling, 7
 *     requests, then 16 RTO (39.5 s in all); over a stream one request and
 *     a 39.5 s timeout.
 *   - Every response is checked: a transaction of ours, the method, no
 *     unknown comprehension-required attribute, MESSAGE-INTEGRITY with the
 *     key (a response failing it is dropped as a forgery; only 401 and 438
 *     may come without it), and the attributes the method needs.
 *   - Stream framing (§12.5): STUN and padded ChannelData back to back,
 *     reassembled across any split; garbage fails the client (the owner
 *     closes the connection).
 *
 * Not here: TLS (the owner runs it and hands the client the plaintext),
 * DNS (the server is an address), MESSAGE-INTEGRITY-SHA256 and
 * PASSWORD-ALGORITHMS (RFC 8489 §9.2.1's SHA-256 variant), ALTERNATE-SERVER
 * (300), EVEN-PORT, RESERVATION-TOKEN, DONT-FRAGMENT, dual allocation
 * (ADDITIONAL-ADDRESS-FAMILY), OpaqueString processing of credentials.
 *
 * Threads: a client lives on one thread (the ICE agent's network queue);
 * every function is called there and every callback is made there,
 * synchronously from the function that caused it. Times are microseconds
 * on any monotonic clock the caller chooses (rtc_clock).
 * Callbacks must not destroy the client (post the destruction instead).
 */
#ifndef P2P_TURN_CLIENT_H_
#define P2P_TURN_CLIENT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/turn_message.h"
#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation lifetimes (RFC 8656 §3.2: "the default of 10 minutes"). */
#define RTC_TURN_DEFAULT_LIFETIME_S 600
/* Refresh this long before the allocation expires. */
#define RTC_TURN_REFRESH_MARGIN_S 60
/* RFC 8656 §9: "The Permission Lifetime MUST be 300 seconds"; refreshed
 * after 240. */
#define RTC_TURN_PERMISSION_LIFETIME_S 300
#define RTC_TURN_PERMISSION_REFRESH_S 240
/* RFC 8656 §12: "a channel binding lasts for 10 minutes"; refreshed after
 * 540. */
#define RTC_TURN_CHANNEL_LIFETIME_S 600
#define RTC_TURN_CHANNEL_REFRESH_S 540
/* RFC 8489 §6.2.1: "RTO SHOULD be ... 500 ms"; "Rc SHOULD be 7"; "Rm
 * SHOULD be 16"; over TCP "Ti SHOULD be 39.5 s". */
#define RTC_TURN_INITIAL_RTO_US 500000
#define RTC_TURN_MAX_REQUESTS 7
#define RTC_TURN_LAST_WAIT_RTO 16
#define RTC_TURN_STREAM_TIMEOUT_US 39500000
/* Peers (IPs with a permission) and channels one client keeps at most. */
#define RTC_TURN_MAX_PERMISSIONS 64
#define RTC_TURN_MAX_CHANNELS 64
/* A 438 retries a request this many times in a row at most. */
#define RTC_TURN_MAX_STALE_NONCE_RETRIES 3
/* The most application data one send carries (a STUN attribute holds at
 * most 65535 bytes and the whole message must fit a 16-bit length). */
#define RTC_TURN_MAX_PAYLOAD (0xFFFC - 64)

typedef struct rtc_turn_client rtc_turn_client;

typedef enum rtc_turn_state {
  RTC_TURN_STATE_NEW = 0,    /* created, not started */
  RTC_TURN_STATE_ALLOCATING, /* Allocate in flight */
  RTC_TURN_STATE_ALLOCATED,  /* relayed address known, refreshing */
  RTC_TURN_STATE_CLOSING,    /* Refresh(LIFETIME 0) in flight */
  RTC_TURN_STATE_CLOSED,     /* deallocated, or close() before allocating */
  RTC_TURN_STATE_FAILED,     /* allocation failed or was lost */
} rtc_turn_state;

/* "new", "allocating", ... */
const char* rtc_turn_state_name(rtc_turn_state state);

typedef enum rtc_turn_event_type {
  /* Allocate succeeded: relayed, mapped, lifetime_s. */
  RTC_TURN_EVENT_ALLOCATED = 0,
  /* Allocate failed (error, stun_error_code, reason), or the allocation
   * was lost (a refresh that failed until expiry, a 437, garbage on the
   * stream). The client is FAILED: nothing more is sent. */
  RTC_TURN_EVENT_FAILED,
  /* A CreatePermission succeeded for peer's IP (also on refresh). */
  RTC_TURN_EVENT_PERMISSION_CREATED,
  /* A CreatePermission failed for peer's IP (error, stun_error_code). */
  RTC_TURN_EVENT_PERMISSION_FAILED,
  /* A ChannelBind succeeded: channel is bound to peer (first time only). */
  RTC_TURN_EVENT_CHANNEL_BOUND,
  /* A ChannelBind failed (error, stun_error_code); sends to the peer go
   * in Send indications again. */
  RTC_TURN_EVENT_CHANNEL_FAILED,
  /* Application data from peer (a Data indication, or ChannelData). */
  RTC_TURN_EVENT_DATA,
  /* The deallocation was acknowledged, or it timed out (error). */
  RTC_TURN_EVENT_CLOSED,
} rtc_turn_event_type;

const char* rtc_turn_event_type_name(rtc_turn_event_type type);

typedef struct rtc_turn_event {
  rtc_turn_event_type type;
  /* RTC_OK, or why: RTC_ERR_TIMEOUT (no response), RTC_ERR_OPERATION (an
   * error response: see stun_error_code), RTC_ERR_MALFORMED (a success
   * response without what it needs, garbage on the stream),
   * RTC_ERR_NO_MEMORY. */
  rtc_error error;
  int stun_error_code;        /* 300..699 from ERROR-CODE, else 0 */
  char reason[128];           /* its reason phrase (truncated), or "" */
  rtc_socket_address relayed; /* ALLOCATED */
  rtc_socket_address mapped;  /* ALLOCATED (family UNSPEC when absent) */
  uint32_t lifetime_s;        /* ALLOCATED */
  rtc_socket_address peer;    /* PERMISSION_*, CHANNEL_*, DATA */
  uint16_t channel;           /* CHANNEL_*, and DATA that came on one */
  const uint8_t* data;        /* DATA: valid during the callback only */
  size_t size;
} rtc_turn_event;

typedef struct rtc_turn_client_observer {
  /* Bytes for the server: one datagram (UDP), or the next bytes of the
   * stream (TCP/TLS). Valid during the call only. An error (would block,
   * network) counts as a lost packet: retransmission covers requests.
   * Required. */
  rtc_error (*send)(void* user, const uint8_t* data, size_t size);
  /* Required. */
  void (*on_event)(void* user, const rtc_turn_event* event);
} rtc_turn_client_observer;

typedef struct rtc_turn_client_config {
  rtc_turn_framing framing; /* DATAGRAM (UDP) or STREAM (TCP, TLS) */
  /* The long-term credentials (RFC 8489 §9.2); copied. Username at most
   * 513 bytes (RFC 8489 §14.3), password at most 256. */
  const char* username;
  const char* password;
  /* The relayed address family to ask for (REQUESTED-ADDRESS-FAMILY, RFC
   * 8656 §18.8); RTC_AF_UNSPEC or RTC_AF_INET: IPv4 (the default, no
   * attribute). */
  rtc_address_family relay_family;
  /* LIFETIME to ask for; 0: RTC_TURN_DEFAULT_LIFETIME_S. */
  uint32_t lifetime_s;
  /* SOFTWARE to send (RFC 8489 §14.14), or NULL. Copied. */
  const char* software;
} rtc_turn_client_config;

void rtc_turn_client_config_init(rtc_turn_client_config* config);

/* Creates an idle client. `observer` is copied; `user` is passed to the
 * callbacks. Errors: RTC_ERR_INVALID_ARGUMENT (missing callbacks or
 * credentials, too long, bad family), RTC_ERR_NO_MEMORY.
 * (out: transfer full) */
rtc_error rtc_turn_client_create(const rtc_turn_client_config* config,
                                 const rtc_turn_client_observer* observer,
                                 void* user,
                                 rtc_turn_client** out);

/* Frees everything, sending nothing (call close() first to deallocate).
 * NULL is ignored. */
void rtc_turn_client_destroy(rtc_turn_client* client);

/* Sends the first Allocate. Errors: RTC_ERR_INVALID_STATE (not NEW),
 * RTC_ERR_NO_MEMORY. */
rtc_error rtc_turn_client_start(rtc_turn_client* client, int64_t now_us);

/* Deallocates (RFC 8656 §8: a Refresh with LIFETIME 0) when allocated:
 * CLOSING, then CLOSED with a CLOSED event when answered or timed out;
 * otherwise CLOSED at once, without an event. Pending transactions are
 * dropped. Calling it again does nothing. */
void rtc_turn_client_close(rtc_turn_client* client, int64_t now_us);

/* A datagram from the server's address (DATAGRAM framing): a STUN
 * message or ChannelData. Anything else, or what fails validation, is
 * dropped silently (returns RTC_OK: the network is hostile; nothing here
 * is the caller's error). Errors: RTC_ERR_INVALID_STATE (STREAM framing). */
rtc_error rtc_turn_client_handle_datagram(rtc_turn_client* client,
                                          const uint8_t* data,
                                          size_t size,
                                          int64_t now_us);

/* The next bytes of the stream from the server (STREAM framing), split
 * anywhere. Errors: RTC_ERR_INVALID_STATE (DATAGRAM framing),
 * RTC_ERR_MALFORMED (garbage: a FAILED event was delivered; close the
 * connection), RTC_ERR_NO_MEMORY (likewise). */
rtc_error rtc_turn_client_handle_stream(rtc_turn_client* client,
                                        const uint8_t* data,
                                        size_t size,
                                        int64_t now_us);

/* The stream to the server closed (STREAM framing): the allocation is
 * lost with it (RFC 8656 §3.1: a TCP allocation lives as long as its
 * connection); FAILED event with RTC_ERR_CLOSED unless CLOSING/CLOSED (then
 * CLOSED). Before start() (NEW) the client just becomes FAILED, without an
 * event: the owner knows the connection never came up. */
void rtc_turn_client_handle_stream_closed(rtc_turn_client* client,
                                          int64_t now_us);

/* When handle_timeout() wants to run next (INT64_MAX: nothing pending). */
int64_t rtc_turn_client_next_deadline_us(const rtc_turn_client* client);

/* Retransmits, refreshes and times out whatever is due at now_us. Calling
 * it early, late or more than once is harmless. */
void rtc_turn_client_handle_timeout(rtc_turn_client* client, int64_t now_us);

/* Installs a permission for peer's IP (port ignored) and keeps it
 * refreshed until close. Once allocated it is sent at once; before, when
 * the allocation succeeds. Calling it again for an IP that has one does
 * nothing (or retries one that failed). Errors: RTC_ERR_INVALID_STATE
 * (CLOSING, CLOSED, FAILED), RTC_ERR_INVALID_ARGUMENT (not the relayed
 * family), RTC_ERR_OUT_OF_RANGE (RTC_TURN_MAX_PERMISSIONS reached),
 * RTC_ERR_NO_MEMORY. */
rtc_error rtc_turn_client_create_permission(rtc_turn_client* client,
                                            const rtc_socket_address* peer,
                                            int64_t now_us);

/* Binds a channel to peer (IP and port), which also installs the
 * permission for its IP (RFC 8656 §11), and keeps it refreshed. *channel
 * (may be NULL) says which number. Data to the peer go in ChannelData
 * once the CHANNEL_BOUND event came. Calling it again for the same peer
 * gives the same number. Errors: as create_permission, and
 * RTC_ERR_OUT_OF_RANGE (RTC_TURN_MAX_CHANNELS reached). */
rtc_error rtc_turn_client_bind_channel(rtc_turn_client* client,
                                       const rtc_socket_address* peer,
                                       int64_t now_us,
                                       uint16_t* channel);

/* Sends application data to peer through the relay: ChannelData when a
 * channel is bound to peer, else a Send indication (RFC 8656 §10). A peer
 * without a permission gets one first (create_permission); one whose
 * permission failed gets it asked for again, at most every 5 s. Errors:
 * RTC_ERR_INVALID_STATE (not ALLOCATED), RTC_ERR_INVALID_ARGUMENT,
 * RTC_ERR_OUT_OF_RANGE (size > RTC_TURN_MAX_PAYLOAD, or no room for a
 * permission), RTC_ERR_NO_MEMORY, or what observer->send returned. */
rtc_error rtc_turn_client_send(rtc_turn_client* client,
                               const rtc_socket_address* peer,
                               const uint8_t* data,
                               size_t size,
                               int64_t now_us);

rtc_turn_state rtc_turn_client_state(const rtc_turn_client* client);
/* The relayed / mapped address (family UNSPEC before ALLOCATED). */
rtc_socket_address rtc_turn_client_relayed_address(
    const rtc_turn_client* client);
rtc_socket_address rtc_turn_client_mapped_address(
    const rtc_turn_client* client);
/* When the allocation expires (0 before ALLOCATED). */
int64_t rtc_turn_client_expires_us(const rtc_turn_client* client);
/* True once a channel to peer is bound (ChannelData is used). */
bool rtc_turn_client_has_channel(const rtc_turn_client* client,
                                 const rtc_socket_address* peer);
/* True while a permission for peer's IP is installed (acknowledged and
 * not expired). */
bool rtc_turn_client_has_permission(const rtc_turn_client* client,
                                    const rtc_socket_address* peer,
                                    int64_t now_us);

/* For demultiplexing a shared socket: true when a datagram of these bytes
 * is for a TURN client (a STUN message or ChannelData by its first byte,
 * RFC 7983); the owner also checks it came from the server's address. */
bool rtc_turn_is_turn_datagram(const uint8_t* data, size_t size);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_TURN_CLIENT_H_
