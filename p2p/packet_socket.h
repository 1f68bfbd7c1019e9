/*
 * Packet sockets: the small vtable that every transport below ICE
 * implements (STYLE.md "Sockets are a small vtable with decorators"): real
 * UDP (p2p/udp_socket.h), the simulated network (test/network), and later
 * TCP framing, TURN and the broker's sockets. ICE, STUN and mDNS code sees
 * only this interface.
 *
 * Threads: a socket lives on one task queue (`queue`, normally the network
 * thread). Every function is called there and every observer callback is
 * delivered there.
 */
#ifndef P2P_PACKET_SOCKET_H_
#define P2P_PACKET_SOCKET_H_

#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest datagram rtcbox sends or accepts (IPv4 UDP maximum). */
#define RTC_MAX_PACKET_SIZE 65507

typedef struct rtc_packet_socket rtc_packet_socket;

typedef struct rtc_received_packet {
  const uint8_t* data; /* valid only during the callback */
  size_t size;
  rtc_socket_address source;
  /* The local address the packet arrived on when known (IP_PKTINFO), else
   * family RTC_AF_UNSPEC. */
  rtc_socket_address destination;
  int64_t arrival_us; /* on the socket queue's clock */
} rtc_received_packet;

typedef struct rtc_packet_socket_observer {
  /* Packets arrived, in order of arrival. Required. */
  void (*on_packets)(void* user,
                     rtc_packet_socket* socket,
                     const rtc_received_packet* packets,
                     size_t count);
  /* Sending may succeed again after a send gave RTC_ERR_WOULD_BLOCK.
   * Optional (NULL). */
  void (*on_writable)(void* user, rtc_packet_socket* socket);
  /* The socket failed for good (for example a TCP connection was reset);
   * nothing more is received and sends fail with RTC_ERR_CLOSED. The
   * owner still destroys it. Optional (NULL). */
  void (*on_closed)(void* user, rtc_packet_socket* socket, rtc_error error);
} rtc_packet_socket_observer;

typedef struct rtc_outgoing_packet {
  const uint8_t* data;
  size_t size;
  rtc_socket_address destination;
} rtc_outgoing_packet;

/* For implementers. */
typedef struct rtc_packet_socket_vtable {
  /* Sends packets in order until one cannot be sent; *sent says how many
   * were. Errors: RTC_ERR_WOULD_BLOCK (buffers full: on_writable follows),
   * RTC_ERR_INVALID_ARGUMENT (destination of the wrong family, packet
   * larger than RTC_MAX_PACKET_SIZE), RTC_ERR_NETWORK (unreachable and
   * similar per-packet errors: that packet is counted as sent, i.e.
   * dropped, and sending continues), RTC_ERR_CLOSED. An implementation
   * may queue packets and hand them to the network later on the same
   * thread (the kernel's UDP sockets do, until the end of the event loop
   * round): a queued packet counts as sent, and a per-packet error it
   * meets later is not reported (it is a lost packet). */
  rtc_error (*send)(rtc_packet_socket* socket,
                    const rtc_outgoing_packet* packets,
                    size_t count,
                    size_t* sent);
  rtc_error (*local_address)(rtc_packet_socket* socket,
                             rtc_socket_address* out);
  void (*destroy)(rtc_packet_socket* socket);
} rtc_packet_socket_vtable;

struct rtc_packet_socket {
  const rtc_packet_socket_vtable* vtable;
  rtc_task_queue* queue; /* (transfer none) where it lives */
  const rtc_packet_socket_observer* observer;
  void* observer_user;
};

/* See the vtable. `sent` may be NULL. */
rtc_error rtc_packet_socket_send(rtc_packet_socket* socket,
                                 const rtc_outgoing_packet* packets,
                                 size_t count,
                                 size_t* sent);
/* One packet. */
rtc_error rtc_packet_socket_send_to(rtc_packet_socket* socket,
                                    const uint8_t* data,
                                    size_t size,
                                    const rtc_socket_address* destination);
/* The bound address and port. */
rtc_error rtc_packet_socket_local_address(rtc_packet_socket* socket,
                                          rtc_socket_address* out);
/* Closes the socket; no callback is made after this returns. NULL is
 * ignored. */
void rtc_packet_socket_destroy(rtc_packet_socket* socket);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_PACKET_SOCKET_H_
