/*
 * rtcbox: the process-wide context an embedder creates once: the network
 * thread shared by every peer connection (ARCHITECTURE.md §2), the socket
 * factory it uses, and a worker thread for slow work (RSA key generation).
 *
 *   rtc_context* ctx;
 *   rtc_context_create(NULL, &ctx);            // real threads and sockets
 *   ... rtc_peer_connection_create(ctx, my_signaling_queue, ...) ...
 *   rtc_context_destroy(ctx);                  // after every peer connection
 *
 * Tests give their own (simulated) queues and socket factory.
 *
 * Threads: create and destroy from any thread that is not one of the
 * context's; the accessors from any thread.
 */
#ifndef API_RTC_CONTEXT_H_
#define API_RTC_CONTEXT_H_

#include "p2p/mdns.h"
#include "p2p/socket_factory.h"
#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_context rtc_context;

typedef struct rtc_context_config {
  /* The network thread; NULL: the context starts one (an event loop). */
  rtc_task_queue* network_queue;
  /* Where slow work runs; NULL: the context starts one. */
  rtc_task_queue* worker_queue;
  /* Sockets; NULL: the kernel's (p2p/udp_socket.h). */
  rtc_socket_factory* socket_factory;
  /* The limit on mDNS messages (queries, answers, announcements) that all
   * peer connections of the context send together, per second and at once
   * (security checklist IP-08, the draft's browser-wide rate limit); each
   * ICE agent also keeps its own limit of 20. 0: the default, 100. */
  uint32_t mdns_messages_per_second;
  /* The CA certificates (a PEM file) that TURN servers reached over TLS
   * (`turns:` URLs) must chain to: the browser's trust store. NULL: the
   * system's bundle. (copied) */
  const char* tls_ca_file;
} rtc_context_config;

void rtc_context_config_init(rtc_context_config* config);

/* (config may be NULL: all defaults; given queues and factory: transfer
 * none, must outlive the context) Errors: RTC_ERR_NO_MEMORY, RTC_ERR_IO. */
rtc_error rtc_context_create(const rtc_context_config* config,
                             rtc_context** out);
/* Every peer connection must have been destroyed. Stops the threads the
 * context started. NULL is ignored. */
void rtc_context_destroy(rtc_context* context);

/* (transfer none) */
rtc_task_queue* rtc_context_network_queue(rtc_context* context);
rtc_task_queue* rtc_context_worker_queue(rtc_context* context);
rtc_socket_factory* rtc_context_socket_factory(rtc_context* context);
rtc_mdns_group* rtc_context_mdns_group(rtc_context* context);
/* The configured CA file, or NULL. (transfer none: lives as long as the
 * context) */
const char* rtc_context_tls_ca_file(const rtc_context* context);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // API_RTC_CONTEXT_H_
