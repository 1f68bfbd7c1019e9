/*
 * IP addresses with a port: a small value type (caller-allocated, copy by
 * assignment). IPv4 and IPv6, with IPv6 scope ids.
 *
 * Text forms accepted by rtc_socket_address_parse():
 *   192.0.2.1            192.0.2.1:3478
 *   2001:db8::1          [2001:db8::1]        [2001:db8::1]:3478
 *   fe80::1%eth0         fe80::1%2            [fe80::1%eth0]:3478
 * IPv4 is dotted decimal only (no octal, hex or short forms); a port is 1
 * to 5 decimal digits, at most 65535; a scope is an interface name or a
 * number. Anything else is RTC_ERR_SYNTAX: this parses hostile input.
 *
 * Threads: any (pure functions; name scopes use if_nametoindex()).
 */
#ifndef RTC_BASE_SOCKET_ADDRESS_H_
#define RTC_BASE_SOCKET_ADDRESS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rtc_address_family {
  RTC_AF_UNSPEC = 0,
  RTC_AF_INET = 4,
  RTC_AF_INET6 = 6,
} rtc_address_family;

typedef struct rtc_socket_address {
  rtc_address_family family;
  uint16_t port;     /* host byte order */
  uint32_t scope_id; /* IPv6 only; 0 = none */
  uint8_t addr[16];  /* network byte order; IPv4 uses addr[0..3] */
} rtc_socket_address;

/* Room for any formatted address, with scope, brackets and port. */
#define RTC_SOCKET_ADDRESS_STRLEN 72

/* An unspecified address (family RTC_AF_UNSPEC). */
void rtc_socket_address_clear(rtc_socket_address* addr);
/* From a host-order IPv4 address. */
void rtc_socket_address_set_ipv4(rtc_socket_address* addr,
                                 uint32_t ipv4,
                                 uint16_t port);
/* From 16 network-order bytes. */
void rtc_socket_address_set_ipv6(rtc_socket_address* addr,
                                 const uint8_t bytes[16],
                                 uint16_t port,
                                 uint32_t scope_id);
/* The host-order IPv4 address (0 if not IPv4). */
uint32_t rtc_socket_address_ipv4(const rtc_socket_address* addr);

/* Parses `len` bytes of `text` (no NUL needed), with an optional port.
 * Errors: RTC_ERR_SYNTAX (out is cleared). */
rtc_error rtc_socket_address_parse(const char* text,
                                   size_t len,
                                   rtc_socket_address* out);
/* Parses an address without a port (and without brackets); port = 0. */
rtc_error rtc_ip_address_parse(const char* text,
                               size_t len,
                               rtc_socket_address* out);

/* Formats "192.0.2.1:3478" or "[2001:db8::1%2]:3478" (scope as a number)
 * into buf, always NUL-terminated when size > 0. Returns the length the
 * full text has (as snprintf). */
size_t rtc_socket_address_format(const rtc_socket_address* addr,
                                 char* buf,
                                 size_t size);
/* Formats the address alone: "192.0.2.1", "fe80::1%2". */
size_t rtc_ip_address_format(const rtc_socket_address* addr,
                             char* buf,
                             size_t size);

/* Conversions to and from the sockets API.
 * from_sockaddr errors: RTC_ERR_INVALID_ARGUMENT (family other than
 * AF_INET/AF_INET6, or `len` too short). */
rtc_error rtc_socket_address_from_sockaddr(const struct sockaddr* sa,
                                           socklen_t len,
                                           rtc_socket_address* out);
/* Returns the length used, 0 for RTC_AF_UNSPEC. */
socklen_t rtc_socket_address_to_sockaddr(const rtc_socket_address* addr,
                                         struct sockaddr_storage* out);

/* Same family, address, scope and port. */
bool rtc_socket_address_equal(const rtc_socket_address* a,
                              const rtc_socket_address* b);
/* Same family, address and scope; ports ignored. */
bool rtc_ip_address_equal(const rtc_socket_address* a,
                          const rtc_socket_address* b);
/* A total order (family, address, scope, port): <0, 0, >0. */
int rtc_socket_address_compare(const rtc_socket_address* a,
                               const rtc_socket_address* b);
uint32_t rtc_socket_address_hash(const rtc_socket_address* addr);

bool rtc_socket_address_is_any(const rtc_socket_address* addr);
bool rtc_socket_address_is_loopback(const rtc_socket_address* addr);
bool rtc_socket_address_is_link_local(const rtc_socket_address* addr);
/* RFC 1918 and RFC 6598 (shared) IPv4, RFC 4193 unique-local IPv6. */
bool rtc_socket_address_is_private(const rtc_socket_address* addr);
bool rtc_socket_address_is_multicast(const rtc_socket_address* addr);
/* ::ffff:a.b.c.d */
bool rtc_socket_address_is_v4_mapped(const rtc_socket_address* addr);
/* Turns ::ffff:a.b.c.d into a.b.c.d (port kept); other addresses as they
 * are. */
rtc_socket_address rtc_socket_address_unmapped(const rtc_socket_address* addr);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_SOCKET_ADDRESS_H_
