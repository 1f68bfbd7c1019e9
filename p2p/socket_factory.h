/*
 * Socket factories: where ICE and mDNS get their sockets and learn the
 * host's network interfaces. The real factory (p2p/udp_socket.h) uses the
 * kernel; the simulated network (test/network/sim_network.h) gives each
 * simulated host one; later the broker provides one to a sandboxed
 * renderer.
 *
 * Threads: sockets are created on, and live on, the queue passed in. The
 * factory's own functions may be called from any thread unless an
 * implementation says otherwise.
 *
 * Name resolution (rtc_socket_factory_resolve, below) lives here too: a
 * sandboxed renderer can no more resolve a name than open a socket, so the
 * factory that gives it sockets (later the broker) resolves for it.
 */
#ifndef P2P_SOCKET_FACTORY_H_
#define P2P_SOCKET_FACTORY_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/packet_socket.h"
#include "p2p/stream_socket.h"
#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rtc_adapter_type {
  RTC_ADAPTER_UNKNOWN = 0,
  RTC_ADAPTER_ETHERNET,
  RTC_ADAPTER_WIFI,
  RTC_ADAPTER_CELLULAR,
  RTC_ADAPTER_VPN,
  RTC_ADAPTER_LOOPBACK,
} rtc_adapter_type;

/* "ethernet", "wifi", "cellular", "vpn", "loopback", "unknown" (the
 * webrtc-stats RTCNetworkAdapterType strings where they exist). */
const char* rtc_adapter_type_name(rtc_adapter_type type);

/* One address of one interface: an interface with three addresses gives
 * three entries. */
typedef struct rtc_network_interface {
  char name[16];  /* "eth0" */
  uint32_t index; /* if_nametoindex() */
  rtc_adapter_type type;
  rtc_socket_address address; /* port 0; IPv6 link-local has scope_id */
  uint8_t prefix_length;
  bool ipv6_temporary;  /* RFC 4941 privacy address (IFA_F_TEMPORARY) */
  bool ipv6_deprecated; /* preferred lifetime over: do not use */
  bool multicast;       /* the interface can send and receive multicast */
} rtc_network_interface;

typedef struct rtc_interface_filter {
  bool include_loopback;   /* default false; tests set it */
  bool include_link_local; /* default false (169.254/16, fe80::/10) */
  bool include_ipv6;       /* default true in rtc_interface_filter_init */
  bool include_deprecated; /* default false */
} rtc_interface_filter;

void rtc_interface_filter_init(rtc_interface_filter* filter);

typedef struct rtc_udp_options {
  /* Port range to bind in (inclusive); 0/0 = any port the kernel picks. */
  uint16_t min_port;
  uint16_t max_port;
  /* SO_RCVBUF/SO_SNDBUF sizes; 0 = system default. */
  int receive_buffer_size;
  int send_buffer_size;
} rtc_udp_options;

/* --- Name resolution ---
 *
 * For the host names of STUN and TURN servers (RFC 7064/7065 URLs) only.
 * Never for ICE candidates: a remote candidate's address is an IP address
 * or an mDNS "<uuid>.local" name, and looking one up in DNS would tell the
 * DNS servers about the peer (SECURITY.md ICE-07). ".local" names are
 * refused (RTC_ERR_NOT_ALLOWED): they are mDNS's (p2p/mdns.h).
 *
 * Names are checked before any lookup (rtc_resolve_check_host): at most
 * 253 characters (plus an optional final dot), labels of 1 to 63 letters,
 * digits and hyphens, neither starting nor ending with a hyphen, and a
 * last label that is not a number ("1.2.3", "0x7f000001" and the like are
 * IPv4 in inet_aton's eyes, not names). An IP literal ("192.0.2.1",
 * "2001:db8::1", no brackets) resolves to itself without a lookup, and a
 * name under the reserved ".invalid" (RFC 6761 §6.4) to RTC_ERR_NOT_FOUND,
 * both answered through the queue as any lookup. */

/* At most this many addresses are reported per name. */
#define RTC_RESOLVE_MAX_ADDRESSES 8

typedef struct rtc_resolve_result {
  /* RTC_OK (count >= 1), RTC_ERR_NOT_FOUND (no such name, or no address of
   * the family asked for), RTC_ERR_NETWORK (no answer: no DNS server
   * reachable, or a server failure; retrying later may succeed),
   * RTC_ERR_NO_MEMORY, RTC_ERR_IO (other resolver failures). */
  rtc_error error;
  size_t count;
  /* IPv6 and IPv4 in the resolver's order of preference (the kernel
   * factory: getaddrinfo's RFC 6724 order), without duplicates, port 0.
   * The first RTC_RESOLVE_MAX_ADDRESSES when there are more. */
  rtc_socket_address addresses[RTC_RESOLVE_MAX_ADDRESSES];
} rtc_resolve_result;

/* The answer, called once on the request's queue unless the request was
 * cancelled first. The request ends when it returns: do not cancel it
 * afterwards (cancelling it from inside the callback is allowed and does
 * nothing). (result: transfer none, valid during the call) */
typedef void (*rtc_resolve_callback)(void* user,
                                     const rtc_resolve_result* result);

/* One lookup under way. Implementations embed it first in their own
 * request object. */
typedef struct rtc_resolve_request rtc_resolve_request;
struct rtc_resolve_request {
  /* See rtc_resolve_request_cancel(). */
  void (*cancel)(rtc_resolve_request* request);
};

/* What rtc_resolve_check_host() found. */
typedef enum rtc_resolve_host_kind {
  RTC_RESOLVE_HOST_NAME,       /* a name to look up */
  RTC_RESOLVE_HOST_IP_LITERAL, /* an IPv4 or IPv6 address */
  RTC_RESOLVE_HOST_INVALID_TLD /* under ".invalid": never exists */
} rtc_resolve_host_kind;

/* Checks `host` as described above, without looking anything up. On
 * RTC_OK sets *kind, and *literal (port 0) for an IP literal (cleared
 * otherwise). Errors: RTC_ERR_INVALID_ARGUMENT (NULL, empty, too long, not
 * a host name), RTC_ERR_NOT_ALLOWED (a ".local" name). Any thread.
 * (host: transfer none) */
rtc_error rtc_resolve_check_host(const char* host,
                                 rtc_resolve_host_kind* kind,
                                 rtc_socket_address* literal);

typedef struct rtc_socket_factory rtc_socket_factory;

/* For implementers. */
typedef struct rtc_socket_factory_vtable {
  /* Every address of every interface that is up, unfiltered. Fills at most
   * `capacity` entries and sets *count to how many exist (may be larger:
   * call again with more room). */
  rtc_error (*list_interfaces)(rtc_socket_factory* factory,
                               rtc_network_interface* out,
                               size_t capacity,
                               size_t* count);
  /* The local address this host would use to reach the public internet
   * (RFC 8828 "default route"), found without sending anything.
   * RTC_ERR_NOT_FOUND when there is no such route. */
  rtc_error (*default_route_address)(rtc_socket_factory* factory,
                                     rtc_address_family family,
                                     rtc_socket_address* out);
  /* A UDP socket bound to `local` (port 0: any port, or one in the range of
   * `options`, which may be NULL). Errors: RTC_ERR_INVALID_ARGUMENT
   * (address not on this host), RTC_ERR_NOT_FOUND (no free port in the
   * range), RTC_ERR_NO_MEMORY, RTC_ERR_IO. */
  rtc_error (*create_udp)(rtc_socket_factory* factory,
                          rtc_task_queue* queue,
                          const rtc_socket_address* local,
                          const rtc_udp_options* options,
                          const rtc_packet_socket_observer* observer,
                          void* user,
                          rtc_packet_socket** out);
  /* A UDP socket for multicast service discovery (mDNS): bound to
   * `group`'s family wildcard address and `group->port` with address
   * reuse, member of `group` on interface `if_index` only, sending to the
   * group through that interface, receiving only what that membership
   * brings (and the unicast replies to its port). Several such sockets
   * (other processes, other interfaces) share the port. */
  rtc_error (*create_multicast_udp)(rtc_socket_factory* factory,
                                    rtc_task_queue* queue,
                                    const rtc_socket_address* group,
                                    uint32_t if_index,
                                    const rtc_packet_socket_observer* observer,
                                    void* user,
                                    rtc_packet_socket** out);
  /* A TCP connection from `local` (port 0: any port) to `remote`:
   * on_connected or on_closed follows. NULL when the factory has no TCP.
   * Errors: RTC_ERR_INVALID_ARGUMENT (families differ, an address not on
   * this host, port 0 to connect to), RTC_ERR_NOT_FOUND (no free port),
   * RTC_ERR_NO_MEMORY, RTC_ERR_IO. */
  rtc_error (*connect_tcp)(rtc_socket_factory* factory,
                           rtc_task_queue* queue,
                           const rtc_socket_address* local,
                           const rtc_socket_address* remote,
                           const rtc_stream_socket_observer* observer,
                           void* user,
                           rtc_stream_socket** out);
  /* A TCP listener bound to `local` (port 0: any port). NULL when the
   * factory has no TCP. Errors as connect_tcp's. */
  rtc_error (*listen_tcp)(rtc_socket_factory* factory,
                          rtc_task_queue* queue,
                          const rtc_socket_address* local,
                          const rtc_stream_listener_observer* observer,
                          void* user,
                          rtc_stream_listener** out);
  /* Optional (NULL: the factory cannot resolve names). Looks up `host`, a
   * name rtc_resolve_check_host() classed as RTC_RESOLVE_HOST_NAME (the
   * wrapper answers literals and ".invalid" itself), for addresses of
   * `family` (RTC_AF_UNSPEC: both). The answer comes on `queue`, never
   * inside this call; a lookup that fails after this returned RTC_OK is
   * answered with an error result. Errors (then no callback): as
   * rtc_socket_factory_resolve's. */
  rtc_error (*resolve)(rtc_socket_factory* factory,
                       rtc_task_queue* queue,
                       const char* host,
                       rtc_address_family family,
                       rtc_resolve_callback callback,
                       void* user,
                       rtc_resolve_request** out)
#ifdef __cplusplus
      /* Entries added later default to NULL in C++ too, so that vtables
       * initialized by position (tests, decorators) need no change; C code
       * uses designated initializers. */
      = nullptr
#endif
      ;
} rtc_socket_factory_vtable;

struct rtc_socket_factory {
  const rtc_socket_factory_vtable* vtable;
};

/* Lists interface addresses that pass `filter` (NULL: defaults), at most
 * `capacity`; *count is how many passed (may exceed capacity). Order: as
 * the implementation lists them. */
rtc_error rtc_socket_factory_list_interfaces(rtc_socket_factory* factory,
                                             const rtc_interface_filter* filter,
                                             rtc_network_interface* out,
                                             size_t capacity,
                                             size_t* count);
rtc_error rtc_socket_factory_default_route_address(rtc_socket_factory* factory,
                                                   rtc_address_family family,
                                                   rtc_socket_address* out);
rtc_error rtc_socket_factory_create_udp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* local,
    const rtc_udp_options* options,
    const rtc_packet_socket_observer* observer,
    void* user,
    rtc_packet_socket** out);
rtc_error rtc_socket_factory_create_multicast_udp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* group,
    uint32_t if_index,
    const rtc_packet_socket_observer* observer,
    void* user,
    rtc_packet_socket** out);

/* See the vtable; RTC_ERR_NOT_SUPPORTED from a factory without TCP, and
 * RTC_ERR_INVALID_ARGUMENT without the required callbacks (on_data,
 * on_closed; on_accept). */
rtc_error rtc_socket_factory_connect_tcp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* local,
    const rtc_socket_address* remote,
    const rtc_stream_socket_observer* observer,
    void* user,
    rtc_stream_socket** out);
rtc_error rtc_socket_factory_listen_tcp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* local,
    const rtc_stream_listener_observer* observer,
    void* user,
    rtc_stream_listener** out);

/* Resolves the host name of a STUN or TURN server (see "Name resolution"
 * above) to addresses of `family` (RTC_AF_UNSPEC: IPv6 and IPv4). On
 * RTC_OK, `callback` is called once on `queue` (never inside this call)
 * with the result, unless *out is cancelled first.
 *
 * Threads: any; `queue` is where the answer comes, and the thread that
 * may cancel. `queue` must outlive the request: get the answer or cancel
 * before destroying it; likewise before destroying the factory.
 * The lookup takes as long as the resolver does (the kernel's: seconds
 * when DNS servers do not answer): a caller that wants a deadline cancels.
 *
 * Errors (then no callback and *out is NULL): RTC_ERR_NOT_SUPPORTED (the
 * factory cannot resolve names), RTC_ERR_INVALID_ARGUMENT (not a host
 * name, bad family, no queue or callback), RTC_ERR_NOT_ALLOWED (a ".local"
 * name), RTC_ERR_WOULD_BLOCK (too many lookups under way on this factory:
 * try again after some finish), RTC_ERR_NO_MEMORY, RTC_ERR_CLOSED (the
 * queue is shutting down).
 * (host: transfer none, copied; out: the request, owned by the
 * implementation, valid until the callback returns or it is cancelled) */
rtc_error rtc_socket_factory_resolve(rtc_socket_factory* factory,
                                     rtc_task_queue* queue,
                                     const char* host,
                                     rtc_address_family family,
                                     rtc_resolve_callback callback,
                                     void* user,
                                     rtc_resolve_request** out);

/* Cancels a request whose callback has not been called: the callback will
 * never be called, and the request is freed (at once, or by the
 * implementation once its work is done: a kernel lookup cannot be stopped,
 * its result is dropped). Cancelling from inside the request's callback
 * does nothing. On the request's queue only. NULL is ignored.
 * (request: transfer full) */
void rtc_resolve_request_cancel(rtc_resolve_request* request);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_SOCKET_FACTORY_H_
