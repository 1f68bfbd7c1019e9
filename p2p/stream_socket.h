/*
 * Stream sockets: TCP connections for what cannot run over UDP alone:
 * TURN over TCP and TLS (RFC 8656 §3.1) and ICE-TCP (RFC 6544). A stream
 * socket carries bytes; the framing that turns them into packets (RFC 4571,
 * or STUN and ChannelData back to back for TURN) is a layer above.
 *
 * Sockets come from a socket factory (p2p/socket_factory.h): the kernel's
 * (p2p/tcp_socket.c), the simulated network's, later the broker's.
 *
 * Sending never blocks: rtc_stream_socket_send() takes what fits in the
 * socket's own buffer (at least RTC_STREAM_SEND_BUFFER bytes beyond what
 * the kernel holds) and says how much; on_writable follows when more fits.
 *
 * Threads: a socket lives on the task queue it was made on; every function
 * is called there and every callback is delivered there.
 */
#ifndef P2P_STREAM_SOCKET_H_
#define P2P_STREAM_SOCKET_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a socket buffers beyond the kernel's send buffer. */
#define RTC_STREAM_SEND_BUFFER (256 * 1024)

typedef struct rtc_stream_socket rtc_stream_socket;

typedef struct rtc_stream_socket_observer {
  /* A connection made by rtc_socket_factory_connect_tcp() is up. Not for
   * accepted ones (they are up when handed over). */
  void (*on_connected)(void* user, rtc_stream_socket* socket);
  /* Bytes arrived, in order. Required. (data: valid during the call) */
  void (*on_data)(void* user,
                  rtc_stream_socket* socket,
                  const uint8_t* data,
                  size_t size);
  /* More can be sent after a send took less than it was given. */
  void (*on_writable)(void* user, rtc_stream_socket* socket);
  /* The connection is over: RTC_OK when the peer closed it in order (after
   * its last bytes), otherwise why (RTC_ERR_NETWORK: refused, reset,
   * unreachable, timed out). Nothing follows; the owner still destroys
   * the socket. Required. */
  void (*on_closed)(void* user, rtc_stream_socket* socket, rtc_error error);
} rtc_stream_socket_observer;

/* For implementers. */
typedef struct rtc_stream_socket_vtable {
  rtc_error (*send)(rtc_stream_socket* socket,
                    const uint8_t* data,
                    size_t size,
                    size_t* accepted);
  rtc_error (*local_address)(rtc_stream_socket* socket,
                             rtc_socket_address* out);
  rtc_error (*remote_address)(rtc_stream_socket* socket,
                              rtc_socket_address* out);
  void (*destroy)(rtc_stream_socket* socket);
} rtc_stream_socket_vtable;

struct rtc_stream_socket {
  const rtc_stream_socket_vtable* vtable;
  rtc_task_queue* queue; /* (transfer none) where it lives */
  const rtc_stream_socket_observer* observer;
  void* observer_user;
};

/* Takes up to `size` bytes; *accepted says how many (all of them unless
 * the buffers are full; then on_writable follows). Errors:
 * RTC_ERR_INVALID_STATE (not connected yet), RTC_ERR_CLOSED (the
 * connection is over). */
rtc_error rtc_stream_socket_send(rtc_stream_socket* socket,
                                 const uint8_t* data,
                                 size_t size,
                                 size_t* accepted);
rtc_error rtc_stream_socket_local_address(rtc_stream_socket* socket,
                                          rtc_socket_address* out);
rtc_error rtc_stream_socket_remote_address(rtc_stream_socket* socket,
                                           rtc_socket_address* out);
/* An accepted socket gets its observer here before anything is delivered
 * (until then what arrives waits). */
void rtc_stream_socket_set_observer(rtc_stream_socket* socket,
                                    const rtc_stream_socket_observer* observer,
                                    void* user);
/* Closes the connection (a reset if bytes are still buffered: they would
 * never be read). No callback after this returns. NULL is ignored. */
void rtc_stream_socket_destroy(rtc_stream_socket* socket);

/* A listening socket (ICE-TCP passive candidates, RFC 6544 §4.1). */
typedef struct rtc_stream_listener rtc_stream_listener;

typedef struct rtc_stream_listener_observer {
  /* A connection came in; the callee owns `socket` (transfer full) and
   * sets its observer (rtc_stream_socket_set_observer) before returning,
   * or destroys it. */
  void (*on_accept)(void* user,
                    rtc_stream_listener* listener,
                    rtc_stream_socket* socket);
} rtc_stream_listener_observer;

typedef struct rtc_stream_listener_vtable {
  rtc_error (*local_address)(rtc_stream_listener* listener,
                             rtc_socket_address* out);
  void (*destroy)(rtc_stream_listener* listener);
} rtc_stream_listener_vtable;

struct rtc_stream_listener {
  const rtc_stream_listener_vtable* vtable;
  rtc_task_queue* queue;
  const rtc_stream_listener_observer* observer;
  void* observer_user;
};

rtc_error rtc_stream_listener_local_address(rtc_stream_listener* listener,
                                            rtc_socket_address* out);
/* Stops listening; no callback after this returns. NULL is ignored. */
void rtc_stream_listener_destroy(rtc_stream_listener* listener);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_STREAM_SOCKET_H_
