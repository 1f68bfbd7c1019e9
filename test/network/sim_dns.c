/*
 * The simulated network's DNS (sim_dns_internal.h).
 *
 * Choices: names are compared without case and without a final dot; a
 * name's addresses are answered in the order they were added, filtered by
 * the family asked for, at most RTC_RESOLVE_MAX_ADDRESSES; the answer is
 * looked up when the request is made and delivered `delay_us` later on the
 * request's queue (a cancellable task, so a cancel frees the request at
 * once). A negative delay makes lookups hang until cancelled.
 */
#include "test/network/sim_dns_internal.h"

#include <string.h>

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

#define NAME_MAX_LEN 253

typedef struct sim_dns_entry {
  char name[NAME_MAX_LEN + 1]; /* lower case, no final dot */
  rtc_socket_address ip;       /* port 0 */
} sim_dns_entry;

struct rtc_sim_dns {
  sim_dns_entry* entries; /* in the order added */
  size_t count;
  size_t cap;
  int64_t delay_us;
  uint64_t queries;
  size_t live_requests; /* neither answered nor cancelled */
};

typedef struct sim_dns_request {
  rtc_resolve_request base; /* first */
  rtc_sim_dns* dns;
  rtc_task_queue* queue;
  rtc_task_handle handle; /* idle when the lookup hangs */
  rtc_resolve_callback callback;
  void* user;
  bool in_callback;
  rtc_resolve_result result;
} sim_dns_request;

/* Lower case, without the final dot; false if it does not fit. */
static bool normalize(const char* name, char out[NAME_MAX_LEN + 1]) {
  size_t len = strlen(name);
  if (len > 0 && name[len - 1] == '.')
    len--;
  if (len > NAME_MAX_LEN)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  out[len] = '\0';
  return true;
}

rtc_error rtc_sim_dns_create(rtc_sim_dns** out) {
  *out = rtc_calloc(1, sizeof(**out));
  if (!*out)
    return RTC_ERR_NO_MEMORY;
  (*out)->delay_us = RTC_SIM_DNS_DEFAULT_DELAY_US;
  return RTC_OK;
}

void rtc_sim_dns_destroy(rtc_sim_dns* dns) {
  if (!dns)
    return;
  RTC_CHECK_MSG(dns->live_requests == 0,
                "simulated name lookups outlive the network");
  rtc_free(dns->entries);
  rtc_free(dns);
}

rtc_error rtc_sim_dns_add(rtc_sim_dns* dns,
                          const char* name,
                          const rtc_socket_address* ip) {
  rtc_resolve_host_kind kind;
  rtc_socket_address literal;
  if (!ip || (ip->family != RTC_AF_INET && ip->family != RTC_AF_INET6) ||
      rtc_resolve_check_host(name, &kind, &literal) != RTC_OK ||
      kind != RTC_RESOLVE_HOST_NAME)
    return RTC_ERR_INVALID_ARGUMENT;
  if (dns->count == dns->cap) {
    size_t cap = dns->cap ? dns->cap * 2 : 8;
    sim_dns_entry* entries =
        rtc_realloc_array(dns->entries, cap, sizeof(*entries));
    if (!entries)
      return RTC_ERR_NO_MEMORY;
    dns->entries = entries;
    dns->cap = cap;
  }
  sim_dns_entry* e = &dns->entries[dns->count];
  RTC_CHECK(normalize(name, e->name));
  e->ip = *ip;
  e->ip.port = 0;
  dns->count++;
  return RTC_OK;
}

void rtc_sim_dns_set_delay(rtc_sim_dns* dns, int64_t delay_us) {
  dns->delay_us = delay_us;
}

uint64_t rtc_sim_dns_query_count(const rtc_sim_dns* dns) {
  return dns->queries;
}

static void lookup(const rtc_sim_dns* dns,
                   const char* host,
                   rtc_address_family family,
                   rtc_resolve_result* result) {
  char name[NAME_MAX_LEN + 1];
  result->error = RTC_ERR_NOT_FOUND;
  if (!normalize(host, name))
    return;
  for (size_t i = 0; i < dns->count; i++) {
    const sim_dns_entry* e = &dns->entries[i];
    if (strcmp(e->name, name) != 0 ||
        (family != RTC_AF_UNSPEC && e->ip.family != family))
      continue;
    bool seen = false;
    for (size_t j = 0; j < result->count && !seen; j++)
      seen = rtc_ip_address_equal(&result->addresses[j], &e->ip);
    if (!seen && result->count < RTC_RESOLVE_MAX_ADDRESSES)
      result->addresses[result->count++] = e->ip;
  }
  if (result->count > 0)
    result->error = RTC_OK;
}

static void request_run(void* arg) {
  sim_dns_request* r = arg;
  r->in_callback = true;
  r->dns->live_requests--;
  r->callback(r->user, &r->result);
}

static void request_destroy(void* arg) {
  sim_dns_request* r = arg;
  if (!r->in_callback)
    r->dns->live_requests--; /* dropped by its queue's destruction */
  rtc_free(r);
}

static void request_cancel(rtc_resolve_request* request) {
  sim_dns_request* r = (sim_dns_request*)request;
  if (r->in_callback)
    return;
  if (rtc_task_handle_pending(&r->handle)) {
    /* Runs request_destroy. */
    RTC_CHECK(rtc_task_queue_cancel(r->queue, &r->handle));
    return;
  }
  r->dns->live_requests--; /* a hanging lookup: no task */
  rtc_free(r);
}

rtc_error rtc_sim_dns_resolve(rtc_sim_dns* dns,
                              rtc_task_queue* queue,
                              const char* host,
                              rtc_address_family family,
                              rtc_resolve_callback callback,
                              void* user,
                              rtc_resolve_request** out) {
  *out = NULL;
  sim_dns_request* r = rtc_calloc(1, sizeof(*r));
  if (!r)
    return RTC_ERR_NO_MEMORY;
  r->base.cancel = request_cancel;
  r->dns = dns;
  r->queue = queue;
  r->callback = callback;
  r->user = user;
  lookup(dns, host, family, &r->result);
  dns->queries++;
  dns->live_requests++;
  if (dns->delay_us >= 0) {
    rtc_task task = {request_run, request_destroy, r};
    /* On failure the task was dropped: request_destroy freed r. */
    rtc_error err =
        rtc_task_queue_post_cancelable(queue, dns->delay_us, task, &r->handle);
    if (err != RTC_OK)
      return err;
  }
  *out = &r->base;
  return RTC_OK;
}
