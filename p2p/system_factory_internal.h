/*
 * The kernel's socket factory, shared by its UDP (udp_socket.c) and TCP
 * (tcp_socket.c) halves.
 */
#ifndef P2P_SYSTEM_FACTORY_INTERNAL_H_
#define P2P_SYSTEM_FACTORY_INTERNAL_H_

#include <stdatomic.h>

#include "p2p/socket_factory.h"

typedef struct rtc_system_factory {
  rtc_socket_factory base; /* first */
  atomic_int live_sockets; /* sockets and listeners not yet destroyed */
} rtc_system_factory;

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

#endif  // P2P_SYSTEM_FACTORY_INTERNAL_H_
