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

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_SOCKET_FACTORY_H_
