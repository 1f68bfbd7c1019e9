/*
 * ICE candidates: the `candidate` attribute grammar (RFC 8839 §5.1, with
 * RFC 6544 tcptype and the extensions browsers send), priorities and
 * foundations (RFC 8445 §5.1.2, §5.1.1.3).
 *
 *   candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx
 *       raddr 0.0.0.0 rport 0 generation 0 ufrag EEtu network-id 3
 *       network-cost 10
 *
 * The connection address is an IP address or a host name; rtcbox only
 * ever uses `<uuid>.local` mDNS names (RFC 8839 §5.1 and
 * draft-ietf-mmusic-mdns-ice-candidates), but the parser keeps any name so
 * that ICE can decide to ignore it. Unknown extension attributes are kept
 * verbatim and serialized back.
 *
 * Threads: any (value type, pure functions).
 */
#ifndef P2P_CANDIDATE_H_
#define P2P_CANDIDATE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_CANDIDATE_MAX_FOUNDATION 32 /* 1*32ice-char */
#define RTC_CANDIDATE_MAX_HOSTNAME 253
#define RTC_CANDIDATE_MAX_UFRAG 256
#define RTC_CANDIDATE_MAX_EXTENSIONS 512
/* Longest accepted attribute value; longer lines are rejected. */
#define RTC_CANDIDATE_MAX_LENGTH 2048

typedef enum rtc_candidate_type {
  RTC_CANDIDATE_HOST = 0,
  RTC_CANDIDATE_SRFLX,
  RTC_CANDIDATE_PRFLX,
  RTC_CANDIDATE_RELAY,
} rtc_candidate_type;

typedef enum rtc_ice_protocol {
  RTC_ICE_PROTOCOL_UDP = 0,
  RTC_ICE_PROTOCOL_TCP,
} rtc_ice_protocol;

typedef enum rtc_tcp_type {
  RTC_TCP_TYPE_NONE = 0,
  RTC_TCP_TYPE_ACTIVE,
  RTC_TCP_TYPE_PASSIVE,
  RTC_TCP_TYPE_SO,
} rtc_tcp_type;

typedef struct rtc_candidate {
  char foundation[RTC_CANDIDATE_MAX_FOUNDATION + 1];
  uint32_t component; /* 1..256 */
  rtc_ice_protocol protocol;
  uint32_t priority;
  /* The connection address: `address` (IP and port) when it is an IP;
   * otherwise `hostname` is set, and `address` has family RTC_AF_UNSPEC and
   * the port. */
  rtc_socket_address address;
  char hostname[RTC_CANDIDATE_MAX_HOSTNAME + 1];
  rtc_candidate_type type;
  /* raddr/rport: present when has_related. raddr may be a name too (an
   * mDNS name in a srflx candidate from an old peer); then
   * related_hostname is set. */
  bool has_related;
  rtc_socket_address related_address;
  char related_hostname[RTC_CANDIDATE_MAX_HOSTNAME + 1];
  rtc_tcp_type tcp_type;
  int32_t generation;                      /* -1 when absent */
  char ufrag[RTC_CANDIDATE_MAX_UFRAG + 1]; /* "" when absent */
  int32_t network_id;                      /* -1 when absent */
  int32_t network_cost;                    /* -1 when absent */
  /* Other extension attributes, " name value" pairs as received. */
  char extensions[RTC_CANDIDATE_MAX_EXTENSIONS + 1];
} rtc_candidate;

/* "host", "srflx", "prflx", "relay"; "udp", "tcp"; "active", "passive",
 * "so" ("" for none). */
const char* rtc_candidate_type_name(rtc_candidate_type type);
const char* rtc_ice_protocol_name(rtc_ice_protocol protocol);
const char* rtc_tcp_type_name(rtc_tcp_type type);

/* An empty candidate: component 1, UDP, host, absent optional fields. */
void rtc_candidate_init(rtc_candidate* c);

/* Parses `len` bytes: the attribute value, optionally preceded by "a=" and
 * by "candidate:" (browsers' RTCIceCandidate.candidate has the latter).
 * Errors: RTC_ERR_SYNTAX with `info` saying what is wrong (info may be
 * NULL); `out` is then reset by rtc_candidate_init. */
rtc_error rtc_candidate_parse(const char* text,
                              size_t len,
                              rtc_candidate* out,
                              rtc_error_info* info);

/* Writes "candidate:..." (no "a=", no line end) into buf, NUL-terminated
 * when size > 0; returns the full length (as snprintf). */
size_t rtc_candidate_format(const rtc_candidate* c, char* buf, size_t size);

/* True when the connection address is a name ending in ".local". */
bool rtc_candidate_is_mdns(const rtc_candidate* c);

/* RFC 8445 §5.1.2.1: 2^24 * type preference + 2^8 * local preference +
 * (256 - component). Type preferences (§5.1.2.2): host 126, prflx 110,
 * srflx 100, relay 0. local_preference is 0..65535. */
uint32_t rtc_candidate_priority(rtc_candidate_type type,
                                uint32_t local_preference,
                                uint32_t component);
uint32_t rtc_candidate_type_preference(rtc_candidate_type type);

/* RFC 8445 §5.1.1.3: candidates with the same type, base IP address,
 * protocol and STUN/TURN server (`server`, may be NULL) get the same
 * foundation; different ones get different foundations. Writes a decimal
 * string of at most 10 digits (as browsers do). */
void rtc_candidate_foundation(rtc_candidate_type type,
                              rtc_ice_protocol protocol,
                              const rtc_socket_address* base,
                              const rtc_socket_address* server,
                              char out[RTC_CANDIDATE_MAX_FOUNDATION + 1]);

/* Pair priority (RFC 8445 §6.1.2.3):
 * 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), G = controlling side's. */
uint64_t rtc_candidate_pair_priority(uint32_t controlling_priority,
                                     uint32_t controlled_priority);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_CANDIDATE_H_
