/*
 * The kernel's sockets: the real rtc_socket_factory.
 *
 * UDP sockets are non-blocking, IPv4 or IPv6 (IPv6 sockets are
 * IPV6_V6ONLY), read with recvmmsg() in batches (with UDP GRO where the
 * kernel has it), report the local address each packet arrived on
 * (IP_PKTINFO / IPV6_RECVPKTINFO), and are watched for readiness through
 * the task queue they live on (rtc_task_queue_watch_fd: an event loop).
 *
 * Sends made on an event loop's thread are queued and go to the kernel
 * together at the end of the loop round (sendmmsg(), and UDP GSO for runs
 * of same-size packets to one destination), in order. A queued packet
 * counts as sent: an error the kernel gives for it later (unreachable,
 * refused by a firewall, ...) is logged and counted, not returned to the
 * caller, as if the network had lost it. RTC_ERR_WOULD_BLOCK still comes
 * when the kernel's buffer and the socket's queue are both full, and
 * on_writable follows. Sends from any other thread go at once, as before.
 *
 * Interfaces come from netlink (RTM_GETADDR), so IPv6 temporary and
 * deprecated addresses are told apart; the adapter type from sysfs. The
 * default-route address is found by connecting a UDP socket to a public
 * address, which sends nothing.
 *
 * Names are resolved with getaddrinfo() (AI_ADDRCONFIG) on up to four
 * worker threads per factory, at most 32 lookups at a time
 * (p2p/socket_factory.h, "Name resolution").
 *
 * Threads: the factory may be used from any thread; each socket lives on
 * its queue.
 */
#ifndef P2P_UDP_SOCKET_H_
#define P2P_UDP_SOCKET_H_

#include "p2p/socket_factory.h"
#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Errors: RTC_ERR_NO_MEMORY. (out: transfer full) */
rtc_error rtc_system_socket_factory_create(rtc_socket_factory** out);
/* Sockets it made must be destroyed first, and its name lookups answered
 * or cancelled; waits for the worker threads, so for getaddrinfo() calls
 * of cancelled lookups still under way. NULL is ignored. */
void rtc_system_socket_factory_destroy(rtc_socket_factory* factory);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_UDP_SOCKET_H_
