/*
 * mDNS for ICE host candidates (draft-ietf-mmusic-mdns-ice-candidates,
 * RFC 6762): a responder that hides our host addresses behind random
 * `<uuid-v4>.local` names and answers queries for them, and a resolver for
 * the peer's `.local` candidates.
 *
 * Responder: rtc_mdns_register() gives an IP address a fresh random name
 * (the same name again while that address stays registered here), announces
 * it and answers A/AAAA queries for it on 224.0.0.251 / ff02::fb port 5353,
 * on every multicast interface. Names are never probed (the draft: UUIDs do
 * not collide).
 *
 * Resolver: rtc_mdns_resolve() accepts only names of the form
 * `<label>.local` with exactly one dot (the draft, "Processing"), sends
 * queries that ask for multicast answers (RFC 6762 §15.1: several stacks
 * share port 5353 on one host, and a unicast answer reaches only one of
 * them), and reports the address, or
 * RTC_ERR_TIMEOUT, or RTC_ERR_NOT_FOUND when the answer has more than one
 * address (which the draft says to ignore). Queries and responses are rate
 * limited (draft §Security: mDNS Message Flooding).
 *
 * Threads: an rtc_mdns lives on the task queue given at creation; every
 * function is called there and every callback is delivered there.
 */
#ifndef P2P_MDNS_H_
#define P2P_MDNS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/socket_factory.h"
#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "<36-char uuid>.local" plus NUL. */
#define RTC_MDNS_NAME_SIZE 43

typedef struct rtc_mdns rtc_mdns;
typedef struct rtc_mdns_query rtc_mdns_query;

/* What the rtc_mdns of one process (an rtc_context) share:
 * - the draft's "browser-wide rate limit on mDNS queries and responses"
 *   (§Security, "mDNS Message Flooding"). Each rtc_mdns has its own limit
 *   (its options); one in a group also takes a token from the group for
 *   every message it sends, so that all of them together send at most
 *   messages_per_second (and as many at once);
 * - the names they registered: a name one of them registered resolves at
 *   once in the others, as it does in its own, without a query on the
 *   link (the answer would come from this process anyway).
 * Its clock is the clock of the rtc_mdns queues in it, which must be one
 * clock (the process's monotonic clock, or one simulation). Reference
 * counted: an rtc_mdns in a group holds a reference until it is
 * destroyed. Threads: any (it locks). */
typedef struct rtc_mdns_group rtc_mdns_group;

/* (a reference to the caller) Errors: RTC_ERR_INVALID_ARGUMENT (0
 * messages per second), RTC_ERR_NO_MEMORY. */
rtc_error rtc_mdns_group_create(uint32_t messages_per_second,
                                rtc_mdns_group** out);
void rtc_mdns_group_ref(rtc_mdns_group* group);
/* NULL is ignored. */
void rtc_mdns_group_unref(rtc_mdns_group* group);

typedef struct rtc_mdns_options {
  /* Which interfaces get multicast sockets (loopback for tests). */
  rtc_interface_filter interfaces;
  /* Default resolve timeout when rtc_mdns_resolve gets 0. */
  int64_t resolve_timeout_us; /* default 5 s */
  /* Most multicast messages sent per second, queries and responses
   * together; excess queries wait, excess responses are dropped. */
  uint32_t max_messages_per_second; /* default 20 */
  /* The group to join, or NULL. (the rtc_mdns takes a reference) */
  rtc_mdns_group* group;
  /* TTL of our answers, seconds. */
  uint32_t ttl_seconds; /* default 120 */
  /* The mDNS port and groups; tests may change the port. */
  uint16_t port; /* default 5353 */
} rtc_mdns_options;

void rtc_mdns_options_init(rtc_mdns_options* options);

/* Opens the multicast sockets (at least one interface must work).
 * (factory: transfer none, must outlive the rtc_mdns)
 * Errors: RTC_ERR_NO_MEMORY, RTC_ERR_NOT_FOUND (no usable multicast
 * interface), RTC_ERR_IO. */
rtc_error rtc_mdns_create(rtc_socket_factory* factory,
                          rtc_task_queue* queue,
                          const rtc_mdns_options* options,
                          rtc_mdns** out);
/* Cancels pending queries (their callbacks are not called), sends goodbye
 * packets (TTL 0) for registered names, closes the sockets. */
void rtc_mdns_destroy(rtc_mdns* mdns);

/* Gives `address` a name (written to name_out) and starts answering for
 * it. Registering the same address again returns the same name and counts
 * one more registration. Errors: RTC_ERR_NO_MEMORY,
 * RTC_ERR_INVALID_ARGUMENT (not an IPv4/IPv6 address). */
rtc_error rtc_mdns_register(rtc_mdns* mdns,
                            const rtc_socket_address* address,
                            char name_out[RTC_MDNS_NAME_SIZE]);
/* Drops one registration of `name`; with the last one, the name is no
 * longer answered (and a goodbye is sent). */
void rtc_mdns_unregister(rtc_mdns* mdns, const char* name);

/* Called once with RTC_OK and the address (port 0), or an error. */
typedef void (*rtc_mdns_resolve_callback)(void* user,
                                          rtc_error result,
                                          const rtc_socket_address* address);

/* Resolves `name` (len bytes). timeout_us 0: the default. Names this
 * rtc_mdns registered resolve locally. The callback is never called from
 * within this function. `query` (may be NULL) receives a handle for
 * rtc_mdns_cancel; it is invalid once the callback ran.
 * Errors (callback not called): RTC_ERR_INVALID_ARGUMENT (not an acceptable
 * .local name), RTC_ERR_NO_MEMORY. */
rtc_error rtc_mdns_resolve(rtc_mdns* mdns,
                           const char* name,
                           size_t len,
                           int64_t timeout_us,
                           rtc_mdns_resolve_callback callback,
                           void* user,
                           rtc_mdns_query** query);
/* The callback will not be called. */
void rtc_mdns_cancel(rtc_mdns* mdns, rtc_mdns_query* query);

/* True for a name rtc_mdns_resolve accepts: `<label>.local`, one dot,
 * label of 1..63 letters, digits and hyphens. */
bool rtc_mdns_is_resolvable_name(const char* name, size_t len);

/* True for a name of the draft's form, `<uuid>.local` (36 characters of a
 * UUID's shape: hex digits, dashes at 8, 13, 18 and 23; either case). */
bool rtc_mdns_is_uuid_name(const char* name, size_t len);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_MDNS_H_
