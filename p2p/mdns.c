/*
 * mDNS responder and resolver for ICE host candidates
 * (draft-ietf-mmusic-mdns-ice-candidates, RFC 6762).
 *
 * One multicast socket per (interface, address family). Everything runs on
 * the rtc_mdns's queue; timers are one guarded task (arg: the rtc_mdns,
 * skipped once the safety flag dies) that handles whatever is due: query
 * timeouts, (re)transmissions, and results waiting to be delivered.
 * Results are always delivered from that task, never from within an API
 * call or a socket callback, so a callback may call anything, including
 * rtc_mdns_destroy().
 *
 * Rate limit (draft §"mDNS Message Flooding"): a token bucket on the
 * queue's clock, max_messages_per_second tokens per second and as deep.
 * Every message we send costs one token, whether it goes to one socket
 * (an answer) or to all of them (a query, an announcement, goodbyes):
 * queries wait for a token, responses without one are dropped. An
 * rtc_mdns_group shared by every rtc_mdns of a process adds the
 * draft's browser-wide limit: a message needs a token from both buckets.
 */
#include "p2p/mdns.h"

#include <stdio.h>
#include <string.h>

#include "p2p/mdns_message.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/mutex.h"
#include "rtc_base/random.h"
#include "rtc_base/refcount.h"
#include "rtc_base/safety_flag.h"

#define DEFAULT_RESOLVE_TIMEOUT_US (5 * RTC_US_PER_SEC)
#define DEFAULT_MAX_MESSAGES_PER_SECOND 20
#define DEFAULT_TTL_SECONDS 120
#define DEFAULT_PORT 5353
/* RFC 6762 §5.2: at least one second between the first two queries, then
 * doubling; the interval stops growing at an hour. */
#define FIRST_RETRANSMIT_US RTC_US_PER_SEC
#define MAX_RETRANSMIT_US (3600 * RTC_US_PER_SEC)
/* Far enough that now + timeout never overflows. */
#define MAX_TIMEOUT_US (INT64_MAX / 4)
#define MAX_INTERFACES 64
#define MAX_PREFIXES 8
#define MAX_CACHE_ENTRIES 64
/* Distinct names one query gets answers for: a query asking for more of
 * our names than that is answered for the first ones. */
#define MAX_MATCHES 8
/* Goodbyes packed in one message. */
#define GOODBYES_PER_MESSAGE 8
/* RFC 6762 §17: fit in one Ethernet frame. */
#define SEND_BUFFER_SIZE 1400
/* RFC 6762 §6.7: TTL of records in legacy unicast responses. */
#define LEGACY_UNICAST_MAX_TTL 10
#define TOKEN INT64_C(1000000)

/* A token bucket, in millionths of a message: `rate` tokens per second,
 * as deep. */
typedef struct mdns_bucket {
  int64_t tokens;
  int64_t at_us;
  int64_t rate;
} mdns_bucket;

struct mdns_entry;

struct rtc_mdns_group {
  rtc_refcount refs;
  rtc_mutex mu;
  mdns_bucket bucket RTC_GUARDED_BY(mu);
  bool started RTC_GUARDED_BY(mu); /* the bucket's clock is set */
  /* Every name its rtc_mdns registered (their entries, linked through
   * group_next/group_prev). */
  struct mdns_entry* names RTC_GUARDED_BY(mu);
};

typedef struct mdns_socket {
  rtc_mdns* mdns;
  rtc_packet_socket* socket; /* NULL: could not be opened */
  uint32_t if_index;
  rtc_address_family family;
  rtc_socket_address group; /* 224.0.0.251 or ff02::fb%if_index, port */
  /* The interface's addresses of this family, for the source check. */
  size_t prefix_count;
  rtc_socket_address prefixes[MAX_PREFIXES];
  uint8_t prefix_lengths[MAX_PREFIXES];
} mdns_socket;

/* A name we answer for. */
typedef struct mdns_entry {
  struct mdns_entry* next;
  char text[RTC_MDNS_NAME_SIZE];
  rtc_mdns_name name;
  rtc_socket_address address; /* port 0 */
  uint64_t registrations;
  /* In the group's list (its lock; name and address never change). */
  struct mdns_entry* group_next;
  struct mdns_entry* group_prev;
} mdns_entry;

/* A name we are asking the network about, for one or more queries. */
typedef struct mdns_lookup {
  struct mdns_lookup* next;
  rtc_mdns_name name;
  size_t waiting; /* queries attached */
  int64_t next_send_us;
  int64_t interval_us; /* 0 before the first transmission */
  /* Scratch while reading one response. */
  size_t found;
  rtc_socket_address found_address;
  uint32_t found_ttl;
} mdns_lookup;

struct rtc_mdns_query {
  rtc_mdns_query* next;
  mdns_lookup* lookup; /* NULL once ready */
  int64_t deadline_us;
  bool ready;
  rtc_error result;
  rtc_socket_address address;
  rtc_mdns_resolve_callback callback;
  void* user;
};

typedef struct mdns_cache_entry {
  struct mdns_cache_entry* next;
  rtc_mdns_name name;
  rtc_socket_address address;
  int64_t expires_us;
} mdns_cache_entry;

struct rtc_mdns {
  rtc_socket_factory* factory;
  rtc_task_queue* queue;
  rtc_mdns_options options;
  rtc_safety_flag* flag;
  mdns_socket* sockets;
  size_t socket_count;
  mdns_entry* entries;
  mdns_lookup* lookups;
  rtc_mdns_query* queries; /* in the order of rtc_mdns_resolve calls */
  mdns_cache_entry* cache;
  size_t cache_count;
  mdns_bucket bucket;
  /* The earliest deadline a timer task is posted for (INT64_MAX: none). */
  int64_t timer_us;
};

static void on_packets(void* user,
                       rtc_packet_socket* socket,
                       const rtc_received_packet* packets,
                       size_t count);

static const rtc_packet_socket_observer kObserver = {
    .on_packets = on_packets,
};

static int64_t now_us(const rtc_mdns* mdns) {
  return rtc_task_queue_now_us(mdns->queue);
}

void rtc_mdns_options_init(rtc_mdns_options* options) {
  memset(options, 0, sizeof(*options));
  rtc_interface_filter_init(&options->interfaces);
  /* An interface whose only IPv6 address is link-local (fe80::/10) is the
   * usual IPv6 mDNS link. */
  options->interfaces.include_link_local = true;
  options->resolve_timeout_us = DEFAULT_RESOLVE_TIMEOUT_US;
  options->max_messages_per_second = DEFAULT_MAX_MESSAGES_PER_SECOND;
  options->ttl_seconds = DEFAULT_TTL_SECONDS;
  options->port = DEFAULT_PORT;
}

/* A name as text, for logs. */
static const char* name_text(const rtc_mdns_name* name,
                             char* buf,
                             size_t size) {
  if (rtc_mdns_name_to_text(name, buf, size) == 0)
    snprintf(buf, size, "?");
  return buf;
}

/* --- Rate limit --- */

static void bucket_start(mdns_bucket* b, int64_t rate, int64_t now) {
  b->rate = rate;
  b->tokens = rate * TOKEN;
  b->at_us = now;
}

static void bucket_refill(mdns_bucket* b, int64_t now) {
  int64_t elapsed = now - b->at_us;
  if (elapsed > 0) {
    if (elapsed > 10 * RTC_US_PER_SEC)
      elapsed = 10 * RTC_US_PER_SEC;
    b->tokens += elapsed * b->rate;
    if (b->tokens > b->rate * TOKEN)
      b->tokens = b->rate * TOKEN;
    b->at_us = now;
  }
}

/* When the bucket has a token. */
static int64_t bucket_ready_us(mdns_bucket* b, int64_t now) {
  bucket_refill(b, now);
  if (b->tokens >= TOKEN)
    return now;
  return now + (TOKEN - b->tokens + b->rate - 1) / b->rate;
}

rtc_error rtc_mdns_group_create(uint32_t messages_per_second,
                                rtc_mdns_group** out) {
  *out = NULL;
  if (messages_per_second == 0)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_mdns_group* group = rtc_calloc(1, sizeof(*group));
  if (!group)
    return RTC_ERR_NO_MEMORY;
  rtc_refcount_init(&group->refs);
  rtc_mutex_init(&group->mu);
  rtc_mutex_lock(&group->mu);
  group->bucket.rate = messages_per_second;
  rtc_mutex_unlock(&group->mu);
  *out = group;
  return RTC_OK;
}

void rtc_mdns_group_ref(rtc_mdns_group* group) {
  rtc_refcount_inc(&group->refs);
}

void rtc_mdns_group_unref(rtc_mdns_group* group) {
  if (!group || !rtc_refcount_dec(&group->refs))
    return;
  rtc_mutex_destroy(&group->mu);
  rtc_free(group);
}

/* The shared bucket starts full at its first use, on its users' clock. */
static void group_refill(rtc_mdns_group* group, int64_t now)
    RTC_REQUIRES(group->mu) {
  if (!group->started) {
    bucket_start(&group->bucket, group->bucket.rate, now);
    group->started = true;
  }
  bucket_refill(&group->bucket, now);
}

/* The group's names. */
static void group_add(rtc_mdns* mdns, mdns_entry* e) {
  rtc_mdns_group* group = mdns->options.group;
  if (!group)
    return;
  rtc_mutex_lock(&group->mu);
  e->group_prev = NULL;
  e->group_next = group->names;
  if (group->names)
    group->names->group_prev = e;
  group->names = e;
  rtc_mutex_unlock(&group->mu);
}

static void group_remove(rtc_mdns* mdns, mdns_entry* e) {
  rtc_mdns_group* group = mdns->options.group;
  if (!group)
    return;
  rtc_mutex_lock(&group->mu);
  if (e->group_prev)
    e->group_prev->group_next = e->group_next;
  else
    group->names = e->group_next;
  if (e->group_next)
    e->group_next->group_prev = e->group_prev;
  rtc_mutex_unlock(&group->mu);
}

/* A name another rtc_mdns of the group registered: its address. */
static bool group_find(rtc_mdns* mdns,
                       const rtc_mdns_name* name,
                       rtc_socket_address* out) {
  rtc_mdns_group* group = mdns->options.group;
  if (!group)
    return false;
  bool found = false;
  rtc_mutex_lock(&group->mu);
  for (const mdns_entry* e = group->names; e && !found; e = e->group_next) {
    if (rtc_mdns_name_equal(&e->name, name)) {
      *out = e->address;
      found = true;
    }
  }
  rtc_mutex_unlock(&group->mu);
  return found;
}

static bool take_token(rtc_mdns* mdns) {
  int64_t now = now_us(mdns);
  bucket_refill(&mdns->bucket, now);
  if (mdns->bucket.tokens < TOKEN)
    return false;
  rtc_mdns_group* group = mdns->options.group;
  if (group) {
    rtc_mutex_lock(&group->mu);
    group_refill(group, now);
    bool ok = group->bucket.tokens >= TOKEN;
    if (ok)
      group->bucket.tokens -= TOKEN;
    rtc_mutex_unlock(&group->mu);
    if (!ok)
      return false;
  }
  mdns->bucket.tokens -= TOKEN;
  return true;
}

/* When the next token will be there (in both buckets). */
static int64_t token_time_us(rtc_mdns* mdns, int64_t now) {
  int64_t t = bucket_ready_us(&mdns->bucket, now);
  rtc_mdns_group* group = mdns->options.group;
  if (group) {
    rtc_mutex_lock(&group->mu);
    group_refill(group, now);
    int64_t shared = bucket_ready_us(&group->bucket, now);
    int64_t rate = group->bucket.rate;
    rtc_mutex_unlock(&group->mu);
    if (shared > t) {
      /* Every rtc_mdns waiting for the shared bucket would wake when its
       * next token comes, and the first to run would take it, again and
       * again. A random delay within one token's period makes each waiter
       * as likely as any other to be first: one peer connection flooding
       * cannot starve the others. */
      uint32_t period = (uint32_t)(RTC_US_PER_SEC / rate);
      t = shared + (period > 1 ? rtc_random_below(period) : 0);
    }
  }
  return t;
}

/* --- Sending --- */

static void send_on(mdns_socket* s,
                    const uint8_t* data,
                    size_t size,
                    const rtc_socket_address* destination) {
  rtc_error err = rtc_packet_socket_send_to(s->socket, data, size, destination);
  if (err != RTC_OK) {
    /* mDNS is best effort: a lost message is retransmitted (queries) or
     * asked for again (answers). */
    RTC_LOG(VERBOSE, "mdns: send on interface %u failed: %s", s->if_index,
            rtc_error_name(err));
  }
}

static void send_to_groups(rtc_mdns* mdns, const uint8_t* data, size_t size) {
  for (size_t i = 0; i < mdns->socket_count; i++) {
    mdns_socket* s = &mdns->sockets[i];
    if (s->socket)
      send_on(s, data, size, &s->group);
  }
}

/* Announcements (TTL > 0) and goodbyes (TTL 0) for `count` entries, on
 * every socket, as many messages as needed; each costs a token. */
static void send_unsolicited(rtc_mdns* mdns,
                             mdns_entry* const* entries,
                             size_t count,
                             uint32_t ttl) {
  for (size_t first = 0; first < count; first += GOODBYES_PER_MESSAGE) {
    rtc_mdns_answer answers[GOODBYES_PER_MESSAGE];
    size_t n = count - first;
    if (n > GOODBYES_PER_MESSAGE)
      n = GOODBYES_PER_MESSAGE;
    for (size_t i = 0; i < n; i++) {
      answers[i].name = &entries[first + i]->name;
      answers[i].address = entries[first + i]->address;
    }
    uint8_t buf[SEND_BUFFER_SIZE];
    size_t len;
    if (rtc_mdns_build_response(answers, n, ttl, buf, sizeof(buf), &len) !=
        RTC_OK) {
      RTC_LOG(ERROR, "mdns: cannot build a response");
      return;
    }
    if (!take_token(mdns)) {
      RTC_LOG(INFO, "mdns: rate limit: %s dropped",
              ttl ? "announcement" : "goodbye");
      return;
    }
    send_to_groups(mdns, buf, len);
  }
}

/* --- Timers and delivery --- */

static void on_timer(void* arg);

static rtc_error schedule(rtc_mdns* mdns, int64_t at_us) {
  if (at_us >= mdns->timer_us)
    return RTC_OK;
  rtc_task task = {on_timer, NULL, mdns};
  rtc_error err = rtc_task_queue_post_guarded(mdns->queue, mdns->flag,
                                              at_us - now_us(mdns), task);
  if (err != RTC_OK) {
    RTC_LOG(WARNING, "mdns: cannot post a timer: %s", rtc_error_name(err));
    return err;
  }
  mdns->timer_us = at_us;
  return RTC_OK;
}

static void schedule_next(rtc_mdns* mdns) {
  int64_t now = now_us(mdns);
  int64_t next = INT64_MAX;
  for (rtc_mdns_query* q = mdns->queries; q; q = q->next) {
    int64_t t = q->ready ? now : q->deadline_us;
    if (t < next)
      next = t;
  }
  bool due = false;
  for (mdns_lookup* l = mdns->lookups; l; l = l->next) {
    if (l->next_send_us <= now)
      due = true;
    else if (l->next_send_us < next)
      next = l->next_send_us;
  }
  if (due) {
    int64_t t = token_time_us(mdns, now);
    if (t < next)
      next = t;
  }
  if (next != INT64_MAX)
    schedule(mdns, next);
}

static void lookup_release(rtc_mdns* mdns, mdns_lookup* lookup) {
  RTC_DCHECK(lookup->waiting > 0);
  if (--lookup->waiting > 0)
    return;
  for (mdns_lookup** pp = &mdns->lookups; *pp; pp = &(*pp)->next) {
    if (*pp == lookup) {
      *pp = lookup->next;
      break;
    }
  }
  rtc_free(lookup);
}

static void query_set_ready(rtc_mdns_query* q,
                            rtc_error result,
                            const rtc_socket_address* address) {
  q->ready = true;
  q->result = result;
  if (address) {
    q->address = *address;
    q->address.port = 0;
  } else {
    rtc_socket_address_clear(&q->address);
  }
}

static void send_due_queries(rtc_mdns* mdns, int64_t now) {
  for (;;) {
    mdns_lookup* best = NULL;
    for (mdns_lookup* l = mdns->lookups; l; l = l->next) {
      if (l->next_send_us <= now &&
          (!best || l->next_send_us < best->next_send_us))
        best = l;
    }
    if (!best)
      return;
    /* Draft §"mDNS Message Flooding": queries over the rate wait. */
    if (!take_token(mdns))
      return;
    uint8_t buf[SEND_BUFFER_SIZE];
    size_t len;
    /* Every query asks for multicast answers (QM), the first one too.
     * RFC 6762 §15.1: "unlike multicast packets, incoming unicast UDP
     * packets are typically delivered only to the first socket to bind to
     * that port. This means that "QU" responses and other packets sent via
     * unicast will be received only by the first Multicast DNS responder
     * and/or querier on a system. This limitation can be partially
     * mitigated if Multicast DNS implementations detect when they are not
     * the first to bind to port 5353, and in that case they do not request
     * "QU" responses." Linux spreads unicast datagrams over an
     * SO_REUSEPORT group by a hash of the addresses, so even the first
     * socket cannot count on them once another one binds: another
     * rtc_mdns of this process (each ICE agent has one), a browser, avahi.
     * A unicast answer lost there costs the querier the §5.2
     * retransmission, a second later. §5.4 asks for QU only for "its
     * initial batch of questions immediately on wake from sleep or
     * interface activation", which is not what these are. */
    bool first = best->interval_us == 0;
    if (rtc_mdns_build_query(&best->name, false, buf, sizeof(buf), &len) ==
        RTC_OK) {
      char text[RTC_MDNS_MAX_NAME_LENGTH];
      RTC_LOG(VERBOSE, "mdns %p: query for %s%s", (void*)mdns,
              name_text(&best->name, text, sizeof(text)),
              first ? "" : " (retransmission)");
      send_to_groups(mdns, buf, len);
    }
    /* RFC 6762 §5.2: one second, then doubling. */
    best->interval_us = first ? FIRST_RETRANSMIT_US : best->interval_us * 2;
    if (best->interval_us > MAX_RETRANSMIT_US)
      best->interval_us = MAX_RETRANSMIT_US;
    best->next_send_us = now + best->interval_us;
  }
}

/* Calls the callbacks of ready queries. Returns false when a callback
 * destroyed the rtc_mdns. */
static bool deliver_ready(rtc_mdns* mdns) {
  rtc_safety_flag* flag = mdns->flag;
  rtc_safety_flag_ref(flag);
  bool alive = true;
  for (;;) {
    rtc_mdns_query** pp = &mdns->queries;
    while (*pp && !(*pp)->ready)
      pp = &(*pp)->next;
    rtc_mdns_query* q = *pp;
    if (!q)
      break;
    *pp = q->next;
    rtc_mdns_resolve_callback callback = q->callback;
    void* user = q->user;
    rtc_error result = q->result;
    rtc_socket_address address = q->address;
    rtc_free(q);
    callback(user, result, result == RTC_OK ? &address : NULL);
    if (!rtc_safety_flag_alive(flag)) {
      alive = false;
      break;
    }
  }
  rtc_safety_flag_unref(flag);
  return alive;
}

static void on_timer(void* arg) {
  rtc_mdns* mdns = arg;
  int64_t now = now_us(mdns);
  if (now < mdns->timer_us)
    return; /* an earlier timer, superseded */
  mdns->timer_us = INT64_MAX;
  for (rtc_mdns_query* q = mdns->queries; q; q = q->next) {
    if (!q->ready && q->deadline_us <= now) {
      lookup_release(mdns, q->lookup);
      q->lookup = NULL;
      query_set_ready(q, RTC_ERR_TIMEOUT, NULL);
    }
  }
  send_due_queries(mdns, now);
  if (!deliver_ready(mdns))
    return;
  schedule_next(mdns);
}

/* --- Registry, lookups, cache --- */

static mdns_entry* find_entry(rtc_mdns* mdns, const rtc_mdns_name* name) {
  for (mdns_entry* e = mdns->entries; e; e = e->next) {
    if (rtc_mdns_name_equal(&e->name, name))
      return e;
  }
  return NULL;
}

static mdns_lookup* find_lookup(rtc_mdns* mdns, const rtc_mdns_name* name) {
  for (mdns_lookup* l = mdns->lookups; l; l = l->next) {
    if (rtc_mdns_name_equal(&l->name, name))
      return l;
  }
  return NULL;
}

static mdns_cache_entry* cache_find(rtc_mdns* mdns,
                                    const rtc_mdns_name* name,
                                    int64_t now) {
  mdns_cache_entry** pp = &mdns->cache;
  while (*pp) {
    mdns_cache_entry* c = *pp;
    if (c->expires_us <= now) {
      *pp = c->next;
      rtc_free(c);
      mdns->cache_count--;
      continue;
    }
    if (rtc_mdns_name_equal(&c->name, name))
      return c;
    pp = &c->next;
  }
  return NULL;
}

static void cache_remove(rtc_mdns* mdns,
                         const rtc_mdns_name* name,
                         const rtc_socket_address* address) {
  for (mdns_cache_entry** pp = &mdns->cache; *pp; pp = &(*pp)->next) {
    mdns_cache_entry* c = *pp;
    if (rtc_mdns_name_equal(&c->name, name) &&
        rtc_ip_address_equal(&c->address, address)) {
      *pp = c->next;
      rtc_free(c);
      mdns->cache_count--;
      return;
    }
  }
}

/* RFC 6762 §10: remember an answer for its TTL. */
static void cache_put(rtc_mdns* mdns,
                      const rtc_mdns_name* name,
                      const rtc_socket_address* address,
                      uint32_t ttl) {
  int64_t now = now_us(mdns);
  mdns_cache_entry* c = cache_find(mdns, name, now);
  if (!c && mdns->cache_count >= MAX_CACHE_ENTRIES) {
    /* Full: reuse the entry that expires first. */
    c = mdns->cache;
    for (mdns_cache_entry* i = mdns->cache; i; i = i->next) {
      if (i->expires_us < c->expires_us)
        c = i;
    }
  }
  if (!c) {
    c = rtc_calloc(1, sizeof(*c));
    if (!c)
      return; /* a cache miss later, nothing worse */
    c->next = mdns->cache;
    mdns->cache = c;
    mdns->cache_count++;
  }
  c->name = *name;
  c->address = *address;
  c->expires_us = now + (int64_t)ttl * RTC_US_PER_SEC;
}

/* --- Receiving --- */

static bool prefix_match(const rtc_socket_address* a,
                         const rtc_socket_address* b,
                         unsigned bits) {
  unsigned max = a->family == RTC_AF_INET ? 32 : 128;
  if (bits > max)
    bits = max;
  unsigned bytes = bits / 8;
  if (memcmp(a->addr, b->addr, bytes) != 0)
    return false;
  unsigned rest = bits % 8;
  if (rest == 0)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (a->addr[bytes] & mask) == (b->addr[bytes] & mask);
}

/* RFC 6762 §11 "Source Address Check": only messages from the local link
 * count. Link-local multicast is never routed, so what arrived on the
 * group is on-link; a unicast packet must come from one of the interface's
 * subnets (or be IPv6 link-local or loopback). */
static bool from_local_link(const mdns_socket* s,
                            const rtc_received_packet* packet) {
  if (packet->destination.family != RTC_AF_UNSPEC &&
      rtc_socket_address_is_multicast(&packet->destination))
    return true;
  rtc_socket_address source = rtc_socket_address_unmapped(&packet->source);
  if (rtc_socket_address_is_loopback(&source) ||
      (source.family == RTC_AF_INET6 &&
       rtc_socket_address_is_link_local(&source)))
    return true;
  for (size_t i = 0; i < s->prefix_count; i++) {
    if (s->prefixes[i].family == source.family &&
        prefix_match(&s->prefixes[i], &source, s->prefix_lengths[i]))
      return true;
  }
  return false;
}

/* True when `source` is an address of this host: loopback, or an address
 * of an interface we have a socket on. */
static bool from_this_host(const rtc_mdns* mdns,
                           const rtc_socket_address* source) {
  rtc_socket_address ip = rtc_socket_address_unmapped(source);
  if (rtc_socket_address_is_loopback(&ip))
    return true;
  ip.port = 0;
  ip.scope_id = 0;
  for (size_t i = 0; i < mdns->socket_count; i++) {
    const mdns_socket* s = &mdns->sockets[i];
    for (size_t j = 0; j < s->prefix_count; j++) {
      rtc_socket_address own = s->prefixes[j];
      own.port = 0;
      own.scope_id = 0;
      if (rtc_ip_address_equal(&own, &ip))
        return true;
    }
  }
  return false;
}

typedef struct mdns_match {
  mdns_entry* entry;
  bool positive;   /* a question asked for the record the name has */
  bool suppressed; /* RFC 6762 §7.1: the querier already knows it */
} mdns_match;

static bool entry_has_type(const mdns_entry* e, uint16_t type) {
  if (type == RTC_MDNS_TYPE_ANY)
    return true;
  if (type == RTC_MDNS_TYPE_A)
    return e->address.family == RTC_AF_INET;
  if (type == RTC_MDNS_TYPE_AAAA)
    return e->address.family == RTC_AF_INET6;
  return false;
}

static void handle_query(rtc_mdns* mdns,
                         mdns_socket* s,
                         const rtc_received_packet* packet,
                         const rtc_mdns_header* header) {
  /* RFC 6762 §6.7: a query from a port other than 5353 comes from a
   * simple (legacy) resolver: answer it by unicast, with its ID and
   * question, short TTLs and no cache-flush bits. */
  bool legacy = packet->source.port != mdns->options.port;
  bool unicast = legacy;
  mdns_match matches[MAX_MATCHES];
  size_t match_count = 0;
  rtc_mdns_question questions[MAX_MATCHES];
  size_t question_count = 0;

  rtc_mdns_reader reader;
  rtc_mdns_reader_init(&reader, packet->data, packet->size);
  rtc_mdns_question q;
  while (rtc_mdns_reader_next_question(&reader, &q) == RTC_OK) {
    if (q.qclass != RTC_MDNS_CLASS_IN && q.qclass != RTC_MDNS_TYPE_ANY)
      continue;
    if (q.type != RTC_MDNS_TYPE_A && q.type != RTC_MDNS_TYPE_AAAA &&
        q.type != RTC_MDNS_TYPE_ANY)
      continue;
    mdns_entry* e = find_entry(mdns, &q.name);
    if (!e)
      continue;
    size_t i = 0;
    while (i < match_count && matches[i].entry != e)
      i++;
    if (i == match_count) {
      if (match_count == MAX_MATCHES)
        continue;
      matches[match_count++] = (mdns_match){e, false, false};
    }
    matches[i].positive |= entry_has_type(e, q.type);
    /* RFC 6762 §5.4: the QU bit asks for a unicast response ("willing to
     * accept unicast replies ... as well as the usual multicast
     * responses"). Not to a querier on this host: there, port 5353 is
     * shared (by our own socket at least), and §15.1 says a unicast packet
     * to it reaches only one of the sockets, maybe not the querier's. */
    unicast |= q.unicast_response && !from_this_host(mdns, &packet->source);
    if (legacy && question_count < MAX_MATCHES)
      questions[question_count++] = q;
  }
  if (match_count == 0)
    return;

  /* RFC 6762 §7.1 Known-Answer Suppression: no answer the querier lists
   * in its answer section with at least half our TTL. */
  rtc_mdns_record r;
  while (!legacy && rtc_mdns_reader_next_record(&reader, &r) == RTC_OK) {
    if (r.section != RTC_MDNS_SECTION_ANSWER ||
        r.address.family == RTC_AF_UNSPEC ||
        r.ttl < mdns->options.ttl_seconds / 2)
      continue;
    for (size_t i = 0; i < match_count; i++) {
      if (rtc_mdns_name_equal(&r.name, &matches[i].entry->name) &&
          rtc_ip_address_equal(&r.address, &matches[i].entry->address))
        matches[i].suppressed = true;
    }
  }

  uint32_t ttl = mdns->options.ttl_seconds;
  if (legacy && ttl > LEGACY_UNICAST_MAX_TTL)
    ttl = LEGACY_UNICAST_MAX_TTL;
  bool cache_flush = !legacy;
  uint8_t buf[SEND_BUFFER_SIZE];
  rtc_mdns_writer w;
  rtc_mdns_writer_init(&w, buf, sizeof(buf), legacy ? header->id : 0,
                       RTC_MDNS_FLAG_RESPONSE | RTC_MDNS_FLAG_AUTHORITATIVE);
  for (size_t i = 0; i < question_count; i++) {
    rtc_mdns_writer_add_question(&w, &questions[i].name, questions[i].type,
                                 false);
  }
  size_t records = 0;
  for (size_t i = 0; i < match_count; i++) {
    const mdns_entry* e = matches[i].entry;
    if (matches[i].positive && !matches[i].suppressed) {
      rtc_mdns_writer_add_address(&w, RTC_MDNS_SECTION_ANSWER, &e->name,
                                  &e->address, ttl, cache_flush);
      records++;
    }
  }
  /* RFC 6762 §6.1: a question for a type the name does not have gets an
   * NSEC record in the answer section; with a positive answer, the NSEC
   * goes to the additional section. */
  for (size_t i = 0; i < match_count; i++) {
    const mdns_entry* e = matches[i].entry;
    if (!matches[i].positive) {
      rtc_mdns_writer_add_nsec(&w, RTC_MDNS_SECTION_ANSWER, &e->name, ttl,
                               e->address.family == RTC_AF_INET,
                               e->address.family == RTC_AF_INET6, cache_flush);
      records++;
    }
  }
  for (size_t i = 0; i < match_count; i++) {
    const mdns_entry* e = matches[i].entry;
    if (matches[i].positive && !matches[i].suppressed) {
      rtc_mdns_writer_add_nsec(&w, RTC_MDNS_SECTION_ADDITIONAL, &e->name, ttl,
                               e->address.family == RTC_AF_INET,
                               e->address.family == RTC_AF_INET6, cache_flush);
    }
  }
  size_t len;
  if (records == 0 || rtc_mdns_writer_finish(&w, &len) != RTC_OK)
    return;
  /* Draft §"mDNS Message Flooding": responses over the rate are dropped. */
  if (!take_token(mdns)) {
    RTC_LOG(INFO, "mdns: rate limit: response dropped");
    return;
  }
  /* Answer on the socket the query came in on: its interface and family
   * reach the querier. */
  char text[RTC_MDNS_MAX_NAME_LENGTH];
  RTC_LOG(VERBOSE, "mdns %p: answer for %s by %s", (void*)mdns,
          name_text(&matches[0].entry->name, text, sizeof(text)),
          unicast ? "unicast" : "multicast");
  send_on(s, buf, len, unicast ? &packet->source : &s->group);
}

/* `<uuid>.local` in wire form (a 36-byte label of hex digits and dashes in
 * the UUID layout, then "local"): the names WebRTC endpoints register
 * (draft-ietf-mmusic-mdns-ice-candidates), the only ones ICE resolves. */
/* 36 characters of a UUID's shape (RFC 9562 §4: hex digits, dashes at 8,
 * 13, 18 and 23). */
static bool uuid_shaped(const uint8_t* p) {
  for (size_t i = 0; i < 36; i++) {
    uint8_t ch = p[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
               (ch >= 'A' && ch <= 'F');
    if (dash ? ch != '-' : !hex)
      return false;
  }
  return true;
}

static bool equal_ignoring_case(const uint8_t* p, const char* lower, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t ch = p[i];
    if (ch >= 'A' && ch <= 'Z')
      ch = (uint8_t)(ch - 'A' + 'a');
    if (ch != (uint8_t)lower[i])
      return false;
  }
  return true;
}

bool rtc_mdns_is_uuid_name(const char* name, size_t len) {
  const uint8_t* p = (const uint8_t*)name;
  return name && len == 36 + 6 && uuid_shaped(p) &&
         equal_ignoring_case(p + 36, ".local", 6);
}

/* The same on the wire: a 36-byte label, then "local", then the root. */
static bool is_uuid_local(const rtc_mdns_name* name) {
  return name->length == 1 + 36 + 1 + 5 + 1 && name->wire[0] == 36 &&
         uuid_shaped(name->wire + 1) && name->wire[37] == 5 &&
         equal_ignoring_case(name->wire + 38, "local", 5) &&
         name->wire[43] == 0;
}

/* Whether an A/AAAA record's address can be a host's: not the
 * unspecified address, nor a multicast or the limited broadcast one.
 * Chromium, once it has gathered on an IPv6 socket with no IPv6 address,
 * announces its names with AAAA "::" too; taken as an answer, that
 * replaced the name's cached address and ICE checked [::]. */
static bool host_address(const rtc_socket_address* address) {
  static const uint8_t kBroadcast[4] = {255, 255, 255, 255};
  return !rtc_socket_address_is_any(address) &&
         !rtc_socket_address_is_multicast(address) &&
         !(address->family == RTC_AF_INET &&
           memcmp(address->addr, kBroadcast, 4) == 0);
}

static void handle_response(rtc_mdns* mdns,
                            mdns_socket* s,
                            const rtc_received_packet* packet) {
  /* RFC 6762 §6: responses not from port 5353 are silently ignored. */
  if (packet->source.port != mdns->options.port)
    return;
  for (mdns_lookup* l = mdns->lookups; l; l = l->next)
    l->found = 0;

  rtc_mdns_reader reader;
  rtc_mdns_reader_init(&reader, packet->data, packet->size);
  rtc_mdns_record r;
  bool any = false;
  while (rtc_mdns_reader_next_record(&reader, &r) == RTC_OK) {
    if (r.section == RTC_MDNS_SECTION_AUTHORITY ||
        r.address.family == RTC_AF_UNSPEC || !host_address(&r.address))
      continue;
    rtc_socket_address address = r.address;
    /* A link-local IPv6 address is only usable with its interface. */
    if (address.family == RTC_AF_INET6 &&
        rtc_socket_address_is_link_local(&address))
      address.scope_id = s->if_index;
    if (r.ttl == 0) {
      /* RFC 6762 §10.1: a goodbye; forget the record. */
      cache_remove(mdns, &r.name, &address);
      continue;
    }
    /* A name we own: we answer for it, nobody else does (the draft: no
     * probing, UUIDs do not collide), so other claims are ignored. */
    if (find_entry(mdns, &r.name))
      continue;
    mdns_lookup* l = find_lookup(mdns, &r.name);
    if (!l) {
      /* An announcement (RFC 6762 §8.3) or an answer to someone else for a
       * name nobody here looks up yet: a WebRTC peer announces its name
       * when it registers it, before the candidate naming it reaches us,
       * and then may not multicast the record again for a second (§6).
       * Kept (the cache is bounded), so that the lookup that follows is
       * answered at once. Only names ICE would resolve, and not those of
       * our group: they resolve from it (group_find), and with many peer
       * connections in a process each would keep all the others' names
       * (IDLE-100 measured 20 KiB of cache per connection). */
      rtc_socket_address in_group;
      if (is_uuid_local(&r.name) && !group_find(mdns, &r.name, &in_group))
        cache_put(mdns, &r.name, &address, r.ttl);
      continue;
    }
    if (l->found == 0) {
      l->found_address = address;
      l->found_ttl = r.ttl;
      l->found = 1;
      any = true;
    } else if (!rtc_ip_address_equal(&l->found_address, &address)) {
      l->found++;
    }
  }
  if (!any)
    return;

  mdns_lookup** pp = &mdns->lookups;
  while (*pp) {
    mdns_lookup* l = *pp;
    if (l->found == 0) {
      pp = &l->next;
      continue;
    }
    /* draft-ietf-mmusic-mdns-ice-candidates, "Processing": a name that
     * resolves to more than one address is ignored. */
    rtc_error result = l->found == 1 ? RTC_OK : RTC_ERR_NOT_FOUND;
    char text[RTC_MDNS_MAX_NAME_LENGTH];
    RTC_LOG(VERBOSE, "mdns %p: %s %s", (void*)mdns,
            name_text(&l->name, text, sizeof(text)),
            result == RTC_OK ? "resolved" : "has several addresses");
    if (result == RTC_OK)
      cache_put(mdns, &l->name, &l->found_address, l->found_ttl);
    for (rtc_mdns_query* q = mdns->queries; q; q = q->next) {
      if (q->lookup == l) {
        q->lookup = NULL;
        query_set_ready(q, result, &l->found_address);
      }
    }
    *pp = l->next;
    rtc_free(l);
  }
  schedule(mdns, now_us(mdns));
}

static void handle_packet(rtc_mdns* mdns,
                          mdns_socket* s,
                          const rtc_received_packet* packet) {
  rtc_mdns_header header;
  if (rtc_mdns_message_validate(packet->data, packet->size, &header) !=
      RTC_OK) {
    RTC_LOG(VERBOSE, "mdns: malformed message (%zu bytes) ignored",
            packet->size);
    return;
  }
  /* RFC 6762 §18.3: a non-zero OPCODE is ignored; §18.11: so is a
   * non-zero RCODE. */
  if (RTC_MDNS_OPCODE(header.flags) != 0 || RTC_MDNS_RCODE(header.flags) != 0)
    return;
  if (!from_local_link(s, packet))
    return;
  if (header.flags & RTC_MDNS_FLAG_RESPONSE)
    handle_response(mdns, s, packet);
  else
    handle_query(mdns, s, packet, &header);
}

static void on_packets(void* user,
                       rtc_packet_socket* socket,
                       const rtc_received_packet* packets,
                       size_t count) {
  mdns_socket* s = user;
  (void)socket;
  RTC_DCHECK(rtc_task_queue_is_current(s->mdns->queue));
  for (size_t i = 0; i < count; i++)
    handle_packet(s->mdns, s, &packets[i]);
}

/* --- Create / destroy --- */

static void make_group(rtc_address_family family,
                       uint32_t if_index,
                       uint16_t port,
                       rtc_socket_address* out) {
  if (family == RTC_AF_INET) {
    /* RFC 6762 §3: 224.0.0.251. */
    rtc_socket_address_set_ipv4(out, 0xe00000fbu, port);
  } else {
    /* RFC 6762 §3: ff02::fb, on the interface's link. */
    static const uint8_t kGroup6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                        0,    0,    0, 0, 0, 0, 0, 0xfb};
    rtc_socket_address_set_ipv6(out, kGroup6, port, if_index);
  }
}

static void free_all(rtc_mdns* mdns) {
  for (size_t i = 0; i < mdns->socket_count; i++)
    rtc_packet_socket_destroy(mdns->sockets[i].socket);
  rtc_free(mdns->sockets);
  while (mdns->entries) {
    mdns_entry* e = mdns->entries;
    mdns->entries = e->next;
    group_remove(mdns, e);
    rtc_free(e);
  }
  while (mdns->lookups) {
    mdns_lookup* l = mdns->lookups;
    mdns->lookups = l->next;
    rtc_free(l);
  }
  while (mdns->queries) {
    rtc_mdns_query* q = mdns->queries;
    mdns->queries = q->next;
    rtc_free(q);
  }
  while (mdns->cache) {
    mdns_cache_entry* c = mdns->cache;
    mdns->cache = c->next;
    rtc_free(c);
  }
  if (mdns->flag) {
    rtc_safety_flag_set_not_alive(mdns->flag);
    rtc_safety_flag_unref(mdns->flag);
  }
  rtc_mdns_group_unref(mdns->options.group);
  rtc_free(mdns);
}

rtc_error rtc_mdns_create(rtc_socket_factory* factory,
                          rtc_task_queue* queue,
                          const rtc_mdns_options* options,
                          rtc_mdns** out) {
  *out = NULL;
  if (!factory || !queue)
    return RTC_ERR_INVALID_ARGUMENT;
  RTC_DCHECK(rtc_task_queue_is_current(queue));
  rtc_mdns* mdns = rtc_calloc(1, sizeof(*mdns));
  if (!mdns)
    return RTC_ERR_NO_MEMORY;
  mdns->factory = factory;
  mdns->queue = queue;
  if (options)
    mdns->options = *options;
  else
    rtc_mdns_options_init(&mdns->options);
  /* Zero means the default. */
  rtc_mdns_options* o = &mdns->options;
  if (o->resolve_timeout_us <= 0)
    o->resolve_timeout_us = DEFAULT_RESOLVE_TIMEOUT_US;
  if (o->resolve_timeout_us > MAX_TIMEOUT_US)
    o->resolve_timeout_us = MAX_TIMEOUT_US;
  if (o->max_messages_per_second == 0)
    o->max_messages_per_second = DEFAULT_MAX_MESSAGES_PER_SECOND;
  if (o->ttl_seconds == 0)
    o->ttl_seconds = DEFAULT_TTL_SECONDS;
  if (o->port == 0)
    o->port = DEFAULT_PORT;
  mdns->timer_us = INT64_MAX;
  bucket_start(&mdns->bucket, o->max_messages_per_second, now_us(mdns));
  if (o->group)
    rtc_mdns_group_ref(o->group);

  rtc_error err = rtc_safety_flag_create(&mdns->flag);
  if (err != RTC_OK)
    goto free_mdns;

  rtc_network_interface ifaces[MAX_INTERFACES];
  size_t count = 0;
  err = rtc_socket_factory_list_interfaces(factory, &o->interfaces, ifaces,
                                           MAX_INTERFACES, &count);
  if (err != RTC_OK)
    goto free_mdns;
  if (count > MAX_INTERFACES)
    count = MAX_INTERFACES;
  mdns->sockets = rtc_calloc(count ? count : 1, sizeof(mdns_socket));
  if (!mdns->sockets) {
    err = RTC_ERR_NO_MEMORY;
    goto free_mdns;
  }
  /* One socket per interface and family that has an address. */
  for (size_t i = 0; i < count; i++) {
    const rtc_network_interface* iface = &ifaces[i];
    if (!iface->multicast)
      continue;
    size_t j = 0;
    while (j < mdns->socket_count &&
           (mdns->sockets[j].if_index != iface->index ||
            mdns->sockets[j].family != iface->address.family))
      j++;
    mdns_socket* s = &mdns->sockets[j];
    if (j == mdns->socket_count) {
      mdns->socket_count++;
      s->mdns = mdns;
      s->if_index = iface->index;
      s->family = iface->address.family;
      make_group(s->family, s->if_index, o->port, &s->group);
    }
    if (s->prefix_count < MAX_PREFIXES) {
      s->prefixes[s->prefix_count] = iface->address;
      s->prefix_lengths[s->prefix_count] = iface->prefix_length;
      s->prefix_count++;
    }
  }
  size_t opened = 0;
  for (size_t i = 0; i < mdns->socket_count; i++) {
    mdns_socket* s = &mdns->sockets[i];
    err = rtc_socket_factory_create_multicast_udp(
        factory, queue, &s->group, s->if_index, &kObserver, s, &s->socket);
    if (err == RTC_ERR_NO_MEMORY)
      goto free_mdns;
    if (err != RTC_OK) {
      /* That interface is not usable; the others may be. */
      RTC_LOG(WARNING, "mdns: no IPv%d socket on interface %u: %s",
              (int)s->family, s->if_index, rtc_error_name(err));
      continue;
    }
    opened++;
  }
  if (opened == 0) {
    err = RTC_ERR_NOT_FOUND;
    goto free_mdns;
  }
  *out = mdns;
  return RTC_OK;

free_mdns:
  free_all(mdns);
  return err;
}

void rtc_mdns_destroy(rtc_mdns* mdns) {
  if (!mdns)
    return;
  RTC_DCHECK(rtc_task_queue_is_current(mdns->queue));
  /* RFC 6762 §10.1: goodbyes for the names still registered. */
  mdns_entry* batch[GOODBYES_PER_MESSAGE];
  size_t k = 0;
  for (mdns_entry* e = mdns->entries; e; e = e->next) {
    batch[k++] = e;
    if (k == GOODBYES_PER_MESSAGE || !e->next) {
      send_unsolicited(mdns, batch, k, 0);
      k = 0;
    }
  }
  free_all(mdns);
}

/* --- Responder --- */

rtc_error rtc_mdns_register(rtc_mdns* mdns,
                            const rtc_socket_address* address,
                            char name_out[RTC_MDNS_NAME_SIZE]) {
  RTC_DCHECK(rtc_task_queue_is_current(mdns->queue));
  name_out[0] = '\0';
  if (!address ||
      (address->family != RTC_AF_INET && address->family != RTC_AF_INET6) ||
      rtc_socket_address_is_any(address) ||
      rtc_socket_address_is_multicast(address))
    return RTC_ERR_INVALID_ARGUMENT;
  /* ::ffff:a.b.c.d is the IPv4 address a.b.c.d: an A record. */
  rtc_socket_address ip = rtc_socket_address_unmapped(address);
  ip.port = 0;
  for (mdns_entry* e = mdns->entries; e; e = e->next) {
    if (rtc_ip_address_equal(&e->address, &ip)) {
      e->registrations++;
      memcpy(name_out, e->text, RTC_MDNS_NAME_SIZE);
      return RTC_OK;
    }
  }
  mdns_entry* e = rtc_calloc(1, sizeof(*e));
  if (!e)
    return RTC_ERR_NO_MEMORY;
  e->address = ip;
  e->registrations = 1;
  /* The draft, "ICE Candidate Gathering": a name made of a version-4 UUID
   * (RFC 9562) and ".local". */
  do {
    char uuid[37];
    rtc_random_uuid_v4(uuid);
    memcpy(e->text, uuid, 36);
    memcpy(e->text + 36, ".local", 7);
    rtc_error err = rtc_mdns_name_from_text(e->text, 42, &e->name);
    RTC_CHECK(err == RTC_OK);
  } while (find_entry(mdns, &e->name));
  e->next = mdns->entries;
  mdns->entries = e;
  group_add(mdns, e);
  memcpy(name_out, e->text, RTC_MDNS_NAME_SIZE);
  /* RFC 6762 §8.3 announcement, without probing (the draft: UUIDs do not
   * collide), so the caller is not delayed. */
  send_unsolicited(mdns, &e, 1, mdns->options.ttl_seconds);
  return RTC_OK;
}

void rtc_mdns_unregister(rtc_mdns* mdns, const char* name) {
  RTC_DCHECK(rtc_task_queue_is_current(mdns->queue));
  rtc_mdns_name wire;
  if (!name || rtc_mdns_name_from_text(name, strlen(name), &wire) != RTC_OK)
    return;
  for (mdns_entry** pp = &mdns->entries; *pp; pp = &(*pp)->next) {
    mdns_entry* e = *pp;
    if (!rtc_mdns_name_equal(&e->name, &wire))
      continue;
    if (--e->registrations > 0)
      return;
    /* RFC 6762 §10.1: the last registration: say goodbye (TTL 0). */
    send_unsolicited(mdns, &e, 1, 0);
    *pp = e->next;
    group_remove(mdns, e);
    rtc_free(e);
    return;
  }
}

/* --- Resolver --- */

bool rtc_mdns_is_resolvable_name(const char* name, size_t len) {
  static const char kLocal[] = ".local";
  const size_t suffix = sizeof(kLocal) - 1;
  if (!name || len <= suffix || len - suffix > RTC_MDNS_MAX_LABEL_LENGTH)
    return false;
  size_t label = len - suffix;
  for (size_t i = 0; i < suffix; i++) {
    char c = name[label + i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != kLocal[i])
      return false;
  }
  /* The draft, "Processing": `<label>.local` with one dot; the label of
   * letters, digits and hyphens (RFC 952/1123 host name characters). */
  for (size_t i = 0; i < label; i++) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

rtc_error rtc_mdns_resolve(rtc_mdns* mdns,
                           const char* name,
                           size_t len,
                           int64_t timeout_us,
                           rtc_mdns_resolve_callback callback,
                           void* user,
                           rtc_mdns_query** query) {
  RTC_DCHECK(rtc_task_queue_is_current(mdns->queue));
  if (query)
    *query = NULL;
  if (!callback || timeout_us < 0 || !rtc_mdns_is_resolvable_name(name, len))
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_mdns_name wire;
  if (rtc_mdns_name_from_text(name, len, &wire) != RTC_OK)
    return RTC_ERR_INVALID_ARGUMENT;
  if (timeout_us == 0)
    timeout_us = mdns->options.resolve_timeout_us;
  if (timeout_us > MAX_TIMEOUT_US)
    timeout_us = MAX_TIMEOUT_US;
  int64_t now = now_us(mdns);

  rtc_mdns_query* q = rtc_calloc(1, sizeof(*q));
  if (!q)
    return RTC_ERR_NO_MEMORY;
  q->callback = callback;
  q->user = user;
  q->deadline_us = now + timeout_us;
  int64_t wake_us = now;
  mdns_entry* e = find_entry(mdns, &wire);
  mdns_cache_entry* c = e ? NULL : cache_find(mdns, &wire, now);
  rtc_socket_address in_group;
  if (e) {
    /* Our own name: no need to ask the network. */
    query_set_ready(q, RTC_OK, &e->address);
  } else if (group_find(mdns, &wire, &in_group)) {
    /* Another rtc_mdns of this process has it: its answer would say the
     * same, after a query and an answer on the link. */
    query_set_ready(q, RTC_OK, &in_group);
  } else if (c) {
    query_set_ready(q, RTC_OK, &c->address);
  } else {
    /* Queries for one name share one lookup. */
    mdns_lookup* l = find_lookup(mdns, &wire);
    if (!l) {
      l = rtc_calloc(1, sizeof(*l));
      if (!l) {
        rtc_free(q);
        return RTC_ERR_NO_MEMORY;
      }
      l->name = wire;
      l->next_send_us = now;
      /* At the end: among queries delayed by the rate limit, the oldest
       * goes first. */
      mdns_lookup** tail = &mdns->lookups;
      while (*tail)
        tail = &(*tail)->next;
      *tail = l;
    }
    l->waiting++;
    q->lookup = l;
    wake_us =
        l->next_send_us < q->deadline_us ? l->next_send_us : q->deadline_us;
    if (wake_us <= now)
      wake_us = token_time_us(mdns, now);
  }
  /* The callback runs from the timer, never from here. */
  rtc_error err = schedule(mdns, wake_us);
  if (err != RTC_OK) {
    if (q->lookup)
      lookup_release(mdns, q->lookup);
    rtc_free(q);
    return err;
  }
  rtc_mdns_query** pp = &mdns->queries;
  while (*pp)
    pp = &(*pp)->next;
  *pp = q;
  if (query)
    *query = q;
  return RTC_OK;
}

void rtc_mdns_cancel(rtc_mdns* mdns, rtc_mdns_query* query) {
  RTC_DCHECK(rtc_task_queue_is_current(mdns->queue));
  if (!query)
    return;
  for (rtc_mdns_query** pp = &mdns->queries; *pp; pp = &(*pp)->next) {
    if (*pp != query)
      continue;
    *pp = query->next;
    if (query->lookup)
      lookup_release(mdns, query->lookup);
    rtc_free(query);
    return;
  }
}
