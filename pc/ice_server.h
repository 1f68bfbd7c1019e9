/*
 * STUN and TURN server URLs (RFC 7064, RFC 7065) as RTCIceServer.urls
 * holds them, validated as webrtc-pc §4.4.1.1 ("validate an ICE server")
 * requires:
 *   stun:host[:port]    stuns:host[:port]
 *   turn:host[:port][?transport=udp|tcp]    turns:...
 * host is an IPv4 address, a bracketed IPv6 address or a DNS name.
 *
 * Threads: any.
 */
#ifndef PC_ICE_SERVER_H_
#define PC_ICE_SERVER_H_

#include <stdbool.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rtc_ice_url_scheme {
  RTC_ICE_URL_STUN = 0,
  RTC_ICE_URL_STUNS,
  RTC_ICE_URL_TURN,
  RTC_ICE_URL_TURNS,
} rtc_ice_url_scheme;

typedef enum rtc_ice_url_transport {
  RTC_ICE_URL_TRANSPORT_DEFAULT = 0,
  RTC_ICE_URL_TRANSPORT_UDP,
  RTC_ICE_URL_TRANSPORT_TCP,
} rtc_ice_url_transport;

#define RTC_ICE_URL_MAX_HOST 253

typedef struct rtc_ice_url {
  rtc_ice_url_scheme scheme;
  char host[RTC_ICE_URL_MAX_HOST + 1]; /* without brackets */
  bool host_is_ip;
  rtc_socket_address address; /* when host_is_ip; port filled in */
  uint16_t port;              /* the given port or the scheme's default */
  rtc_ice_url_transport transport;
} rtc_ice_url;

/* Parses one URL. Errors: RTC_ERR_SYNTAX (another scheme, e.g. "http:", or
 * not a URL of these schemes' grammar: webrtc-pc "validate an ICE server
 * URL" throws SyntaxError for both). All four schemes are implemented, so
 * its NotSupportedError never applies. */
rtc_error rtc_ice_url_parse(const char* url, rtc_ice_url* out);

/* The scheme needs credentials (turn, turns). */
bool rtc_ice_url_is_turn(const rtc_ice_url* url);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_ICE_SERVER_H_
