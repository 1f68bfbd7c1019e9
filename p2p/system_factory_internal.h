/*
 * The kernel's socket factory, shared by its UDP (udp_socket.c) and TCP
 * (tcp_socket.c) halves.
 */
#ifndef P2P_SYSTEM_FACTORY_INTERNAL_H_
#define P2P_SYSTEM_FACTORY_INTERNAL_H_

#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#ifndef __cplusplus
#include <stdatomic.h>
#endif

#include "p2p/socket_factory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dns_resolver.c: the factory's name resolver (one per factory). */
typedef struct rtc_system_resolver rtc_system_resolver;

/* The C files' view (the tests use only the functions below). */
#ifndef __cplusplus
typedef struct rtc_system_factory {
  rtc_socket_factory base; /* first */
  atomic_int live_sockets; /* sockets and listeners not yet destroyed */
  rtc_system_resolver* resolver;
} rtc_system_factory;
#endif

/* At most this many getaddrinfo() calls run at once per factory, each on
 * its own worker thread (started on first need, joined by the factory's
 * destroy); further lookups wait in a queue. */
#define RTC_SYSTEM_RESOLVER_THREADS 4
/* At most this many lookups per factory, waiting or running (a cancelled
 * lookup whose getaddrinfo() is still running counts): beyond it,
 * resolve fails with RTC_ERR_WOULD_BLOCK. */
#define RTC_SYSTEM_RESOLVER_MAX_LOOKUPS 32

rtc_error rtc_system_resolver_create(rtc_system_resolver** out);
/* Joins the worker threads: waits for getaddrinfo() calls under way. Every
 * request must have been answered or cancelled. NULL is ignored. */
void rtc_system_resolver_destroy(rtc_system_resolver* resolver);
/* The factory's `resolve`. */
rtc_error rtc_system_resolve(rtc_socket_factory* factory,
                             rtc_task_queue* queue,
                             const char* host,
                             rtc_address_family family,
                             rtc_resolve_callback callback,
                             void* user,
                             rtc_resolve_request** out);

/* For tests (p2p/dns_unittest.cc): replaces getaddrinfo()/freeaddrinfo(),
 * before the factory's first lookup. Any thread. */
typedef int (*rtc_getaddrinfo_fn)(const char* node,
                                  const char* service,
                                  const struct addrinfo* hints,
                                  struct addrinfo** res);
typedef void (*rtc_freeaddrinfo_fn)(struct addrinfo* res);
void rtc_system_socket_factory_set_getaddrinfo(rtc_socket_factory* factory,
                                               rtc_getaddrinfo_fn lookup,
                                               rtc_freeaddrinfo_fn release);

typedef struct rtc_system_resolver_stats {
  size_t waiting;      /* lookups waiting for a worker */
  size_t running;      /* getaddrinfo() calls under way */
  size_t peak_running; /* the most at once so far */
  size_t threads;      /* worker threads started */
  size_t requests;     /* requests neither answered nor cancelled */
} rtc_system_resolver_stats;

/* Any thread; a snapshot. */
void rtc_system_socket_factory_resolver_stats(rtc_socket_factory* factory,
                                              rtc_system_resolver_stats* out);

/* network_interfaces.c: the factory's list_interfaces and
 * default_route_address (p2p/socket_factory.h). */
rtc_error rtc_system_list_interfaces(rtc_socket_factory* factory,
                                     rtc_network_interface* out,
                                     size_t capacity,
                                     size_t* count);
rtc_error rtc_system_default_route_address(rtc_socket_factory* factory,
                                           rtc_address_family family,
                                           rtc_socket_address* out);

/* udp_socket.c: the kernel's address family for one of ours (IPv4 or
 * IPv6), and the error a failed socket() call stands for. */
int rtc_system_kernel_family(rtc_address_family family);
rtc_error rtc_system_socket_errno_to_error(int e);

/* udp_socket.c: what one of the factory's UDP sockets did, for tests and
 * diagnostics. */
typedef struct rtc_system_udp_stats {
  bool gso; /* UDP_SEGMENT is used (the kernel has it and took it so far) */
  bool gro; /* UDP_GRO is on */
  /* Sending. */
  uint64_t send_calls;     /* sendmsg() and sendmmsg() calls made */
  uint64_t gso_sends;      /* messages sent with UDP_SEGMENT (2+ datagrams) */
  uint64_t gso_refused;    /* UDP_SEGMENT messages refused, resent without */
  uint64_t datagrams_sent; /* datagrams the kernel took */
  uint64_t send_dropped;   /* datagrams dropped by a send error */
  size_t queued;           /* datagrams waiting in the send queue */
  bool blocked;            /* the queue waits for the socket to be writable */
  /* Receiving. */
  uint64_t gro_buffers;        /* coalesced buffers received and split */
  uint64_t datagrams_received; /* handed to on_packets */
  uint64_t dropped_oversized;
  uint64_t dropped_other_interface;
} rtc_system_udp_stats;

/* On the socket's queue. `socket` must come from this factory's
 * create_udp or create_multicast_udp. (transfer none) */
void rtc_system_udp_socket_stats(rtc_packet_socket* socket,
                                 rtc_system_udp_stats* out);

/* Faults a test makes a UDP socket see, in place of the kernel's answer. */
typedef struct rtc_system_udp_faults {
  /* Non-zero: every send of a UDP_SEGMENT message fails with this errno, as
   * a kernel that refuses GSO would (EIO, EINVAL, ...). */
  int gso_errno;
  /* The next this many send calls fail with EAGAIN (a full send buffer);
   * the socket is writable again at once. */
  unsigned eagain_sends;
} rtc_system_udp_faults;

/* Replaces the socket's faults. On the socket's queue. (transfer none) */
void rtc_system_udp_socket_set_faults(rtc_packet_socket* socket,
                                      const rtc_system_udp_faults* faults);

/* tcp_socket.c: the factory's connect_tcp and listen_tcp. */
rtc_error rtc_system_connect_tcp(rtc_socket_factory* factory,
                                 rtc_task_queue* queue,
                                 const rtc_socket_address* local,
                                 const rtc_socket_address* remote,
                                 const rtc_stream_socket_observer* observer,
                                 void* user,
                                 rtc_stream_socket** out);
rtc_error rtc_system_listen_tcp(rtc_socket_factory* factory,
                                rtc_task_queue* queue,
                                const rtc_socket_address* local,
                                const rtc_stream_listener_observer* observer,
                                void* user,
                                rtc_stream_listener** out);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_SYSTEM_FACTORY_INTERNAL_H_
