/*
 * rtc_context: the network and worker threads and the socket factory that
 * every peer connection of a process shares.
 */
#include "api/rtc_context.h"

#include "p2p/udp_socket.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/event_loop.h"

#define DEFAULT_MDNS_MESSAGES_PER_SECOND 100

struct rtc_context {
  rtc_task_queue* network;
  rtc_task_queue* worker;
  rtc_socket_factory* factory;
  rtc_mdns_group* mdns_group;
  char* tls_ca_file;
  bool owns_network;
  bool owns_worker;
  bool owns_factory;
};

void rtc_context_config_init(rtc_context_config* config) {
  config->network_queue = NULL;
  config->worker_queue = NULL;
  config->socket_factory = NULL;
  config->mdns_messages_per_second = 0;
  config->tls_ca_file = NULL;
}

rtc_error rtc_context_create(const rtc_context_config* config,
                             rtc_context** out) {
  *out = NULL;
  rtc_context_config defaults;
  if (!config) {
    rtc_context_config_init(&defaults);
    config = &defaults;
  }
  rtc_context* ctx = rtc_calloc(1, sizeof(*ctx));
  if (!ctx)
    return RTC_ERR_NO_MEMORY;
  rtc_error err = rtc_mdns_group_create(config->mdns_messages_per_second
                                            ? config->mdns_messages_per_second
                                            : DEFAULT_MDNS_MESSAGES_PER_SECOND,
                                        &ctx->mdns_group);
  if (err != RTC_OK)
    goto free_ctx;
  if (config->tls_ca_file) {
    ctx->tls_ca_file = rtc_strdup(config->tls_ca_file);
    if (!ctx->tls_ca_file) {
      err = RTC_ERR_NO_MEMORY;
      goto free_ctx;
    }
  }
  ctx->network = config->network_queue;
  if (!ctx->network) {
    err = rtc_event_loop_create("rtc-network", &ctx->network);
    if (err != RTC_OK)
      goto free_ctx;
    ctx->owns_network = true;
  }
  ctx->worker = config->worker_queue;
  if (!ctx->worker) {
    err = rtc_event_loop_create("rtc-worker", &ctx->worker);
    if (err != RTC_OK)
      goto stop_network;
    ctx->owns_worker = true;
  }
  ctx->factory = config->socket_factory;
  if (!ctx->factory) {
    err = rtc_system_socket_factory_create(&ctx->factory);
    if (err != RTC_OK)
      goto stop_worker;
    ctx->owns_factory = true;
  }
  *out = ctx;
  return RTC_OK;

stop_worker:
  if (ctx->owns_worker)
    rtc_task_queue_destroy(ctx->worker);
stop_network:
  if (ctx->owns_network)
    rtc_task_queue_destroy(ctx->network);
free_ctx:
  rtc_mdns_group_unref(ctx->mdns_group);
  rtc_free(ctx->tls_ca_file);
  rtc_free(ctx);
  return err;
}

void rtc_context_destroy(rtc_context* ctx) {
  if (!ctx)
    return;
  /* Threads first: their pending tasks are dropped there, and may still
   * use the factory. */
  if (ctx->owns_worker)
    rtc_task_queue_destroy(ctx->worker);
  if (ctx->owns_network)
    rtc_task_queue_destroy(ctx->network);
  if (ctx->owns_factory)
    rtc_system_socket_factory_destroy(ctx->factory);
  /* Each mDNS service still alive holds its own reference. */
  rtc_mdns_group_unref(ctx->mdns_group);
  rtc_free(ctx->tls_ca_file);
  rtc_free(ctx);
}

const char* rtc_context_tls_ca_file(const rtc_context* ctx) {
  return ctx->tls_ca_file;
}

rtc_mdns_group* rtc_context_mdns_group(rtc_context* ctx) {
  return ctx->mdns_group;
}

rtc_task_queue* rtc_context_network_queue(rtc_context* ctx) {
  return ctx->network;
}

rtc_task_queue* rtc_context_worker_queue(rtc_context* ctx) {
  return ctx->worker;
}

rtc_socket_factory* rtc_context_socket_factory(rtc_context* ctx) {
  return ctx->factory;
}
