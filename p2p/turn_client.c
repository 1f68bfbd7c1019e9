/*
 * The TURN client state machine (RFC 8656) for one allocation.
 *
 * Every request lives in a transaction embedded in what it is for: the
 * allocation's (Allocate, Refresh, the deallocating Refresh), each
 * permission's, each channel's. Permissions and channels sit in fixed
 * arrays that only grow, so an index stays valid across callbacks (which
 * may add entries or close the client). A request is built from its
 * transaction's parameters each time it is sent: retransmissions are the
 * same bytes unless a 438 meanwhile brought a new NONCE, which they then
 * carry. So nothing is allocated after create(), except the stream
 * reader's buffer and the send buffer, which grow once.
 */
#include "p2p/turn_client.h"

#include <string.h>

#include "p2p/stun.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/clock.h"

#define MAX_PASSWORD 256
/* Room for the largest request: header, USERNAME, REALM, NONCE, SOFTWARE,
 * MESSAGE-INTEGRITY and the method's attributes (each with its header). */
#define REQUEST_CAPACITY                                      \
  (RTC_STUN_HEADER_SIZE + 4 + RTC_STUN_MAX_USERNAME + 3 + 4 + \
   RTC_STUN_MAX_REALM + 1 + 4 + RTC_STUN_MAX_NONCE + 1 + 4 +  \
   RTC_STUN_MAX_SOFTWARE + 1 + 24 + 4 * 24)
/* IANA protocol number of UDP (RFC 8656 §18.7). */
#define PROTOCOL_UDP 17
/* RFC 8656 §18.8: "0x01: IPv4, 0x02: IPv6". */
#define FAMILY_IPV6 0x02
/* After a refresh failed, the next attempt (while the allocation, the
 * permission or the channel lasts). */
#define RETRY_US (5 * RTC_US_PER_SEC)
/* Lifetimes from the server are clamped to this (a day). */
#define MAX_LIFETIME_S 86400u

typedef enum txn_kind {
  TXN_ALLOCATE = 0,
  TXN_REFRESH,
  TXN_DEALLOCATE,
  TXN_PERMISSION,
  TXN_CHANNEL,
} txn_kind;

typedef struct transaction {
  bool active;
  txn_kind kind;
  uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE];
  bool authenticated; /* sent with MESSAGE-INTEGRITY */
  int sends;          /* requests sent in this transaction */
  int64_t rto_us;
  int64_t next_send_us; /* INT64_MAX: no more retransmissions */
  int64_t timeout_us;
  int stale_retries; /* 438s in a row for this request */
} transaction;

typedef enum permission_state {
  PERMISSION_WAITING = 0, /* asked for before the allocation succeeded */
  PERMISSION_PENDING,     /* first CreatePermission in flight */
  PERMISSION_INSTALLED,   /* acknowledged at least once */
  PERMISSION_FAILED,
} permission_state;

typedef struct permission {
  rtc_socket_address ip; /* port 0 */
  permission_state state;
  int64_t failed_at_us; /* when it last became FAILED */
  int64_t expires_us;
  int64_t refresh_at_us; /* INT64_MAX: none scheduled */
  transaction txn;
} permission;

typedef enum channel_state {
  CHANNEL_WAITING = 0,
  CHANNEL_PENDING,
  CHANNEL_BOUND,
  CHANNEL_FAILED,
} channel_state;

typedef struct channel {
  rtc_socket_address peer;
  uint16_t number;
  channel_state state;
  int64_t expires_us;
  int64_t refresh_at_us;
  transaction txn;
} channel;

struct rtc_turn_client {
  rtc_turn_framing framing;
  char* username;
  size_t username_len;
  char* password;
  size_t password_len;
  char* software; /* or NULL */
  rtc_address_family relay_family;
  uint32_t lifetime_s;
  rtc_turn_client_observer observer;
  void* user;

  rtc_turn_state state;
  /* The long-term credentials the server asked for (after a 401). */
  bool have_key;
  uint8_t key[RTC_TURN_KEY_SIZE];
  char realm[RTC_STUN_MAX_REALM];
  size_t realm_len;
  char nonce[RTC_STUN_MAX_NONCE];
  size_t nonce_len;

  transaction alloc_txn; /* Allocate, Refresh or the deallocation */
  rtc_socket_address relayed;
  rtc_socket_address mapped;
  int64_t expires_us;
  int64_t refresh_at_us;

  permission permissions[RTC_TURN_MAX_PERMISSIONS];
  size_t permission_count;
  channel channels[RTC_TURN_MAX_CHANNELS];
  size_t channel_count;

  rtc_turn_stream_reader* reader; /* STREAM framing */
  int64_t stream_now_us;          /* the time of the bytes being fed */
  uint8_t* send_buf;              /* indications and ChannelData */
  size_t send_capacity;
};

/* --- Names --- */

const char* rtc_turn_state_name(rtc_turn_state state) {
  switch (state) {
    case RTC_TURN_STATE_NEW:
      return "new";
    case RTC_TURN_STATE_ALLOCATING:
      return "allocating";
    case RTC_TURN_STATE_ALLOCATED:
      return "allocated";
    case RTC_TURN_STATE_CLOSING:
      return "closing";
    case RTC_TURN_STATE_CLOSED:
      return "closed";
    case RTC_TURN_STATE_FAILED:
      return "failed";
  }
  return "unknown";
}

const char* rtc_turn_event_type_name(rtc_turn_event_type type) {
  switch (type) {
    case RTC_TURN_EVENT_ALLOCATED:
      return "allocated";
    case RTC_TURN_EVENT_FAILED:
      return "failed";
    case RTC_TURN_EVENT_PERMISSION_CREATED:
      return "permission-created";
    case RTC_TURN_EVENT_PERMISSION_FAILED:
      return "permission-failed";
    case RTC_TURN_EVENT_CHANNEL_BOUND:
      return "channel-bound";
    case RTC_TURN_EVENT_CHANNEL_FAILED:
      return "channel-failed";
    case RTC_TURN_EVENT_DATA:
      return "data";
    case RTC_TURN_EVENT_CLOSED:
      return "closed";
  }
  return "unknown";
}

/* --- Small helpers --- */

static int64_t add_us(int64_t now_us, int64_t delta_us) {
  return now_us > INT64_MAX - delta_us ? INT64_MAX : now_us + delta_us;
}

static void event_init(rtc_turn_event* ev, rtc_turn_event_type type) {
  memset(ev, 0, sizeof(*ev));
  ev->type = type;
}

/* Copies the error code and reason of an error response into ev. */
static void event_set_stun_error(rtc_turn_event* ev,
                                 const rtc_stun_message* msg) {
  int code = 0;
  const char* reason = NULL;
  size_t reason_len = 0;
  ev->error = RTC_ERR_OPERATION;
  if (rtc_stun_get_error_code(msg, &code, &reason, &reason_len) != RTC_OK) {
    /* RFC 8489 §6.3.4: an error response without a (valid) ERROR-CODE:
     * "the transaction is simply considered to have failed". */
    ev->error = RTC_ERR_MALFORMED;
    return;
  }
  ev->stun_error_code = code;
  if (reason_len >= sizeof(ev->reason))
    reason_len = sizeof(ev->reason) - 1;
  memcpy(ev->reason, reason, reason_len);
  ev->reason[reason_len] = '\0';
}

static void set_reason(rtc_turn_event* ev, const char* text) {
  size_t len = strlen(text);
  if (len >= sizeof(ev->reason))
    len = sizeof(ev->reason) - 1;
  memcpy(ev->reason, text, len);
  ev->reason[len] = '\0';
}

static void emit(rtc_turn_client* c, const rtc_turn_event* ev) {
  c->observer.on_event(c->user, ev);
}

static bool is_turn_attribute(uint16_t type) {
  switch (type) {
    case RTC_STUN_ATTR_CHANNEL_NUMBER:
    case RTC_STUN_ATTR_LIFETIME:
    case RTC_STUN_ATTR_XOR_PEER_ADDRESS:
    case RTC_STUN_ATTR_DATA:
    case RTC_STUN_ATTR_XOR_RELAYED_ADDRESS:
    case RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
    case RTC_STUN_ATTR_EVEN_PORT:
    case RTC_STUN_ATTR_REQUESTED_TRANSPORT:
    case RTC_STUN_ATTR_DONT_FRAGMENT:
    case RTC_STUN_ATTR_RESERVATION_TOKEN:
      return true;
    default:
      return false;
  }
}

/* Comprehension-required attributes that neither STUN nor TURN define. */
static bool has_unknown_required(const rtc_stun_message* msg) {
  for (size_t i = 0; i < msg->unknown_required_count; i++) {
    if (!is_turn_attribute(msg->unknown_required[i]))
      return true;
  }
  return false;
}

static rtc_socket_address ip_of(const rtc_socket_address* addr) {
  rtc_socket_address ip = rtc_socket_address_unmapped(addr);
  ip.port = 0;
  return ip;
}

static rtc_address_family relay_family(const rtc_turn_client* c) {
  return c->relay_family == RTC_AF_INET6 ? RTC_AF_INET6 : RTC_AF_INET;
}

static permission* find_permission(rtc_turn_client* c,
                                   const rtc_socket_address* peer) {
  rtc_socket_address ip = ip_of(peer);
  for (size_t i = 0; i < c->permission_count; i++) {
    if (rtc_ip_address_equal(&c->permissions[i].ip, &ip))
      return &c->permissions[i];
  }
  return NULL;
}

static channel* find_channel(rtc_turn_client* c,
                             const rtc_socket_address* peer) {
  rtc_socket_address addr = rtc_socket_address_unmapped(peer);
  for (size_t i = 0; i < c->channel_count; i++) {
    if (rtc_socket_address_equal(&c->channels[i].peer, &addr))
      return &c->channels[i];
  }
  return NULL;
}

static channel* find_channel_number(rtc_turn_client* c, uint16_t number) {
  for (size_t i = 0; i < c->channel_count; i++) {
    if (c->channels[i].number == number)
      return &c->channels[i];
  }
  return NULL;
}

/* --- Building and sending requests --- */

/* The peer address a permission or channel transaction is about. */
static const rtc_socket_address* txn_peer(const transaction* t) {
  if (t->kind == TXN_PERMISSION)
    return &((const permission*)((const char*)t - offsetof(permission, txn)))
                ->ip;
  if (t->kind == TXN_CHANNEL)
    return &((const channel*)((const char*)t - offsetof(channel, txn)))->peer;
  return NULL;
}

static uint16_t txn_method(const transaction* t) {
  switch (t->kind) {
    case TXN_ALLOCATE:
      return RTC_STUN_METHOD_ALLOCATE;
    case TXN_REFRESH:
    case TXN_DEALLOCATE:
      return RTC_STUN_METHOD_REFRESH;
    case TXN_PERMISSION:
      return RTC_STUN_METHOD_CREATE_PERMISSION;
    case TXN_CHANNEL:
      return RTC_STUN_METHOD_CHANNEL_BIND;
  }
  return 0;
}

/* Builds the request of transaction t into buf. */
static rtc_error build_request(rtc_turn_client* c,
                               transaction* t,
                               uint8_t* buf,
                               size_t capacity,
                               size_t* len) {
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, buf, capacity,
                        rtc_stun_type(txn_method(t), RTC_STUN_CLASS_REQUEST),
                        t->id);
  switch (t->kind) {
    case TXN_ALLOCATE:
      /* RFC 8656 §7.1: "The client MUST include a REQUESTED-TRANSPORT
       * attribute in the request"; "the client MAY include a LIFETIME". */
      rtc_stun_add_requested_transport(&b, PROTOCOL_UDP);
      rtc_stun_add_u32(&b, RTC_STUN_ATTR_LIFETIME, c->lifetime_s);
      if (relay_family(c) == RTC_AF_INET6) {
        /* §7.1: "If the client wishes to obtain a relayed transport
         * address of a specific address type, then it includes a
         * REQUESTED-ADDRESS-FAMILY attribute". */
        uint8_t family[4] = {FAMILY_IPV6, 0, 0, 0};
        rtc_stun_add_attribute(&b, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY,
                               family, sizeof(family));
      }
      break;
    case TXN_REFRESH:
      rtc_stun_add_u32(&b, RTC_STUN_ATTR_LIFETIME, c->lifetime_s);
      break;
    case TXN_DEALLOCATE:
      /* RFC 8656 §8: "If the client wishes to immediately delete an
       * existing allocation, it includes a LIFETIME attribute with a value
       * of 0". */
      rtc_stun_add_u32(&b, RTC_STUN_ATTR_LIFETIME, 0);
      break;
    case TXN_PERMISSION:
      /* §9.1: "The client ... MUST include at least one XOR-PEER-ADDRESS
       * attribute" (the port is ignored). */
      rtc_stun_add_xor_address(&b, RTC_STUN_ATTR_XOR_PEER_ADDRESS, txn_peer(t));
      break;
    case TXN_CHANNEL: {
      /* §11.1: "The client ... MUST include a CHANNEL-NUMBER attribute,
       * and an XOR-PEER-ADDRESS attribute". */
      const channel* ch =
          (const channel*)((const char*)t - offsetof(channel, txn));
      rtc_stun_add_channel_number(&b, ch->number);
      rtc_stun_add_xor_address(&b, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &ch->peer);
      break;
    }
  }
  if (c->software != NULL)
    rtc_stun_add_software(&b, c->software);
  t->authenticated = c->have_key;
  if (c->have_key) {
    /* RFC 8489 §9.2.3: "the client MUST include the USERNAME ... REALM
     * ... NONCE ... MESSAGE-INTEGRITY" with the key of §9.2.2. */
    rtc_stun_add_username(&b, c->username, c->username_len);
    rtc_stun_add_attribute(&b, RTC_STUN_ATTR_REALM, c->realm, c->realm_len);
    rtc_stun_add_attribute(&b, RTC_STUN_ATTR_NONCE, c->nonce, c->nonce_len);
    rtc_stun_add_message_integrity(&b, c->key, sizeof(c->key));
  }
  return rtc_stun_builder_finish(&b, len);
}

static void send_request(rtc_turn_client* c, transaction* t) {
  uint8_t buf[REQUEST_CAPACITY];
  size_t len = 0;
  if (build_request(c, t, buf, sizeof(buf), &len) != RTC_OK)
    return; /* cannot happen: the capacity covers every field's maximum */
  /* A failed send is a lost packet: the retransmission covers it. */
  (void)c->observer.send(c->user, buf, len);
}

/* Starts a new transaction (a new transaction id) and sends its first
 * request (RFC 8489 §6.2.1). */
static void txn_start(rtc_turn_client* c,
                      transaction* t,
                      txn_kind kind,
                      int64_t now_us) {
  /* 438s in a row are counted across the retries of one request. */
  int stale = t->kind == kind ? t->stale_retries : 0;
  memset(t, 0, sizeof(*t));
  t->active = true;
  t->kind = kind;
  t->stale_retries = stale;
  rtc_stun_new_transaction_id(t->id);
  t->sends = 1;
  if (c->framing == RTC_TURN_FRAMING_STREAM) {
    /* RFC 8489 §6.2.2: "For reliable transports, the client SHOULD NOT
     * retransmit"; "If the client has not received a response after 39.5
     * seconds, it considers the transaction to have timed out". */
    t->next_send_us = INT64_MAX;
    t->timeout_us = add_us(now_us, RTC_TURN_STREAM_TIMEOUT_US);
  } else {
    /* §6.2.1: "the client SHOULD retransmit a STUN request message
     * starting with an interval of RTO ("Retransmission TimeOut"),
     * doubling after each retransmission". */
    t->rto_us = RTC_TURN_INITIAL_RTO_US;
    t->next_send_us = add_us(now_us, t->rto_us);
    t->timeout_us = INT64_MAX;
  }
  send_request(c, t);
}

/* A retransmission that is due. */
static void txn_retransmit(rtc_turn_client* c, transaction* t, int64_t now_us) {
  t->sends++;
  t->rto_us *= 2;
  if (t->sends >= RTC_TURN_MAX_REQUESTS) {
    /* §6.2.1: "Retransmissions continue until a response is received, or
     * until a total of Rc requests have been sent. ... If, after the last
     * request, a duration equal to Rm times the RTO has passed without a
     * response ..., the client SHOULD consider the transaction to have
     * failed" (RTO: the initial one; 39.5 s in all). */
    t->next_send_us = INT64_MAX;
    t->timeout_us = add_us(
        now_us, RTC_TURN_LAST_WAIT_RTO * (int64_t)RTC_TURN_INITIAL_RTO_US);
  } else {
    t->next_send_us = add_us(now_us, t->rto_us);
  }
  send_request(c, t);
}

static int64_t txn_deadline(const transaction* t) {
  if (!t->active)
    return INT64_MAX;
  return t->next_send_us < t->timeout_us ? t->next_send_us : t->timeout_us;
}

static transaction* find_transaction(rtc_turn_client* c, const uint8_t* id) {
  if (c->alloc_txn.active &&
      memcmp(c->alloc_txn.id, id, RTC_STUN_TRANSACTION_ID_SIZE) == 0)
    return &c->alloc_txn;
  for (size_t i = 0; i < c->permission_count; i++) {
    transaction* t = &c->permissions[i].txn;
    if (t->active && memcmp(t->id, id, RTC_STUN_TRANSACTION_ID_SIZE) == 0)
      return t;
  }
  for (size_t i = 0; i < c->channel_count; i++) {
    transaction* t = &c->channels[i].txn;
    if (t->active && memcmp(t->id, id, RTC_STUN_TRANSACTION_ID_SIZE) == 0)
      return t;
  }
  return NULL;
}

/* --- Lifecycle --- */

void rtc_turn_client_config_init(rtc_turn_client_config* config) {
  memset(config, 0, sizeof(*config));
  config->framing = RTC_TURN_FRAMING_DATAGRAM;
  config->relay_family = RTC_AF_INET;
}

rtc_error rtc_turn_client_create(const rtc_turn_client_config* config,
                                 const rtc_turn_client_observer* observer,
                                 void* user,
                                 rtc_turn_client** out) {
  if (out == NULL)
    return RTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (config == NULL || observer == NULL || observer->send == NULL ||
      observer->on_event == NULL || config->username == NULL ||
      config->password == NULL)
    return RTC_ERR_INVALID_ARGUMENT;
  if (config->framing != RTC_TURN_FRAMING_DATAGRAM &&
      config->framing != RTC_TURN_FRAMING_STREAM)
    return RTC_ERR_INVALID_ARGUMENT;
  if (config->relay_family != RTC_AF_UNSPEC &&
      config->relay_family != RTC_AF_INET &&
      config->relay_family != RTC_AF_INET6)
    return RTC_ERR_INVALID_ARGUMENT;
  size_t username_len = strlen(config->username);
  size_t password_len = strlen(config->password);
  if (username_len > RTC_STUN_MAX_USERNAME || password_len > MAX_PASSWORD ||
      (config->software != NULL &&
       strlen(config->software) > RTC_STUN_MAX_SOFTWARE))
    return RTC_ERR_INVALID_ARGUMENT;

  rtc_turn_client* c = rtc_calloc(1, sizeof(*c));
  if (c == NULL)
    return RTC_ERR_NO_MEMORY;
  c->framing = config->framing;
  c->relay_family = config->relay_family;
  c->lifetime_s = config->lifetime_s != 0 ? config->lifetime_s
                                          : RTC_TURN_DEFAULT_LIFETIME_S;
  c->observer = *observer;
  c->user = user;
  c->username_len = username_len;
  c->password_len = password_len;
  c->username = rtc_strdup(config->username);
  if (c->username == NULL)
    goto fail_client;
  c->password = rtc_strdup(config->password);
  if (c->password == NULL)
    goto fail_username;
  if (config->software != NULL) {
    c->software = rtc_strdup(config->software);
    if (c->software == NULL)
      goto fail_password;
  }
  if (c->framing == RTC_TURN_FRAMING_STREAM &&
      rtc_turn_stream_reader_create(&c->reader) != RTC_OK)
    goto fail_software;
  c->refresh_at_us = INT64_MAX;
  *out = c;
  return RTC_OK;

fail_software:
  rtc_free(c->software);
fail_password:
  rtc_free(c->password);
fail_username:
  rtc_free(c->username);
fail_client:
  rtc_free(c);
  return RTC_ERR_NO_MEMORY;
}

void rtc_turn_client_destroy(rtc_turn_client* c) {
  if (c == NULL)
    return;
  rtc_turn_stream_reader_destroy(c->reader);
  rtc_free(c->send_buf);
  rtc_free(c->software);
  if (c->password != NULL) {
    memset(c->password, 0, c->password_len);
    rtc_free(c->password);
  }
  rtc_free(c->username);
  memset(c->key, 0, sizeof(c->key));
  rtc_free(c);
}

rtc_error rtc_turn_client_start(rtc_turn_client* c, int64_t now_us) {
  if (c->state != RTC_TURN_STATE_NEW)
    return RTC_ERR_INVALID_STATE;
  c->state = RTC_TURN_STATE_ALLOCATING;
  /* RFC 8489 §9.2.3: "the client ... SHOULD NOT include a USERNAME ...
   * MESSAGE-INTEGRITY" in its first request, learning REALM and NONCE from
   * the 401 that answers it. */
  txn_start(c, &c->alloc_txn, TXN_ALLOCATE, now_us);
  return RTC_OK;
}

static void stop_all_transactions(rtc_turn_client* c) {
  c->alloc_txn.active = false;
  for (size_t i = 0; i < c->permission_count; i++) {
    c->permissions[i].txn.active = false;
    c->permissions[i].refresh_at_us = INT64_MAX;
  }
  for (size_t i = 0; i < c->channel_count; i++) {
    c->channels[i].txn.active = false;
    c->channels[i].refresh_at_us = INT64_MAX;
  }
  c->refresh_at_us = INT64_MAX;
}

/* The allocation failed or was lost: FAILED, one event. */
static void fail(rtc_turn_client* c, rtc_turn_event* ev) {
  stop_all_transactions(c);
  c->state = RTC_TURN_STATE_FAILED;
  ev->type = RTC_TURN_EVENT_FAILED;
  emit(c, ev);
}

static void fail_with(rtc_turn_client* c, rtc_error error) {
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_FAILED);
  ev.error = error;
  fail(c, &ev);
}

void rtc_turn_client_close(rtc_turn_client* c, int64_t now_us) {
  if (c->state == RTC_TURN_STATE_CLOSING || c->state == RTC_TURN_STATE_CLOSED ||
      c->state == RTC_TURN_STATE_FAILED)
    return;
  bool allocated = c->state == RTC_TURN_STATE_ALLOCATED;
  stop_all_transactions(c);
  if (!allocated) {
    /* An Allocate in flight is abandoned: if the server allocated, the
     * allocation expires by itself (RFC 8656 §3.2). */
    c->state = RTC_TURN_STATE_CLOSED;
    return;
  }
  c->state = RTC_TURN_STATE_CLOSING;
  txn_start(c, &c->alloc_txn, TXN_DEALLOCATE, now_us);
}

/* --- Permissions and channels --- */

static void start_permission(rtc_turn_client* c,
                             permission* p,
                             int64_t now_us) {
  p->refresh_at_us = INT64_MAX;
  txn_start(c, &p->txn, TXN_PERMISSION, now_us);
}

static void start_channel(rtc_turn_client* c, channel* ch, int64_t now_us) {
  ch->refresh_at_us = INT64_MAX;
  txn_start(c, &ch->txn, TXN_CHANNEL, now_us);
}

static rtc_error check_peer(const rtc_turn_client* c,
                            const rtc_socket_address* peer) {
  if (c->state != RTC_TURN_STATE_NEW && c->state != RTC_TURN_STATE_ALLOCATING &&
      c->state != RTC_TURN_STATE_ALLOCATED)
    return RTC_ERR_INVALID_STATE;
  if (peer == NULL)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_socket_address addr = rtc_socket_address_unmapped(peer);
  /* RFC 8656 §9.1/§11.1: a peer of the other family gets a 443 (Peer
   * Address Family Mismatch); it is refused here instead. */
  if (addr.family != relay_family(c))
    return RTC_ERR_INVALID_ARGUMENT;
  return RTC_OK;
}

/* The permission for peer's IP, created (and sent when allocated) if
 * absent; a failed one is retried. */
static rtc_error ensure_permission(rtc_turn_client* c,
                                   const rtc_socket_address* peer,
                                   int64_t now_us,
                                   permission** out) {
  permission* p = find_permission(c, peer);
  if (p == NULL) {
    if (c->permission_count == RTC_TURN_MAX_PERMISSIONS)
      return RTC_ERR_OUT_OF_RANGE;
    p = &c->permissions[c->permission_count++];
    memset(p, 0, sizeof(*p));
    p->ip = ip_of(peer);
    p->state = PERMISSION_WAITING;
    p->refresh_at_us = INT64_MAX;
  } else if (p->state != PERMISSION_FAILED) {
    if (out != NULL)
      *out = p;
    return RTC_OK;
  }
  if (c->state == RTC_TURN_STATE_ALLOCATED) {
    p->state = PERMISSION_PENDING;
    start_permission(c, p, now_us);
  } else {
    p->state = PERMISSION_WAITING;
  }
  if (out != NULL)
    *out = p;
  return RTC_OK;
}

rtc_error rtc_turn_client_create_permission(rtc_turn_client* c,
                                            const rtc_socket_address* peer,
                                            int64_t now_us) {
  rtc_error err = check_peer(c, peer);
  if (err != RTC_OK)
    return err;
  return ensure_permission(c, peer, now_us, NULL);
}

rtc_error rtc_turn_client_bind_channel(rtc_turn_client* c,
                                       const rtc_socket_address* peer,
                                       int64_t now_us,
                                       uint16_t* number) {
  rtc_error err = check_peer(c, peer);
  if (err != RTC_OK)
    return err;
  channel* ch = find_channel(c, peer);
  if (ch == NULL) {
    if (c->channel_count == RTC_TURN_MAX_CHANNELS)
      return RTC_ERR_OUT_OF_RANGE;
    ch = &c->channels[c->channel_count];
    memset(ch, 0, sizeof(*ch));
    ch->peer = rtc_socket_address_unmapped(peer);
    /* RFC 8656 §12: numbers 0x4000 through 0x4FFF; one per peer, never
     * reused for another peer by this client (§11: "a channel number is
     * bound to one peer transport address" for the allocation's life). */
    ch->number = (uint16_t)(RTC_TURN_CHANNEL_MIN + c->channel_count);
    ch->state = CHANNEL_WAITING;
    ch->refresh_at_us = INT64_MAX;
    c->channel_count++;
  } else if (ch->state != CHANNEL_FAILED) {
    if (number != NULL)
      *number = ch->number;
    return RTC_OK;
  }
  if (c->state == RTC_TURN_STATE_ALLOCATED) {
    ch->state = CHANNEL_PENDING;
    start_channel(c, ch, now_us);
  } else {
    ch->state = CHANNEL_WAITING;
  }
  if (number != NULL)
    *number = ch->number;
  return RTC_OK;
}

/* What was asked for before the allocation succeeded goes out now. */
static void send_waiting(rtc_turn_client* c, int64_t now_us) {
  for (size_t i = 0; i < c->permission_count; i++) {
    permission* p = &c->permissions[i];
    if (p->state == PERMISSION_WAITING) {
      p->state = PERMISSION_PENDING;
      start_permission(c, p, now_us);
    }
  }
  for (size_t i = 0; i < c->channel_count; i++) {
    channel* ch = &c->channels[i];
    if (ch->state == CHANNEL_WAITING) {
      ch->state = CHANNEL_PENDING;
      start_channel(c, ch, now_us);
    }
  }
}

/* --- Responses --- */

static void schedule_refresh(rtc_turn_client* c,
                             uint32_t lifetime_s,
                             int64_t now_us) {
  int64_t lifetime_us = (int64_t)lifetime_s * RTC_US_PER_SEC;
  c->expires_us = add_us(now_us, lifetime_us);
  /* RFC 8656 §8: the client refreshes "before the allocation expires";
   * a minute early leaves room for retransmissions and retries, and a
   * short lifetime is refreshed half-way. */
  int64_t margin_us = RTC_TURN_REFRESH_MARGIN_S * RTC_US_PER_SEC;
  if (lifetime_us > 2 * margin_us)
    c->refresh_at_us = add_us(now_us, lifetime_us - margin_us);
  else
    c->refresh_at_us = add_us(now_us, lifetime_us / 2);
}

/* LIFETIME of a success response, clamped; false when absent or bad. */
static bool get_lifetime(const rtc_stun_message* msg, uint32_t* lifetime_s) {
  if (rtc_stun_get_u32(msg, RTC_STUN_ATTR_LIFETIME, lifetime_s) != RTC_OK)
    return false;
  if (*lifetime_s > MAX_LIFETIME_S)
    *lifetime_s = MAX_LIFETIME_S;
  return true;
}

/* A 401 or 438 that carries what a retry needs: stores REALM and NONCE
 * and derives the key. False when they are missing or too long. */
static bool take_realm_and_nonce(rtc_turn_client* c,
                                 const rtc_stun_message* msg,
                                 bool realm_required) {
  const char* nonce = NULL;
  size_t nonce_len = 0;
  const char* realm = NULL;
  size_t realm_len = 0;
  if (rtc_stun_get_text(msg, RTC_STUN_ATTR_NONCE, RTC_STUN_MAX_NONCE, &nonce,
                        &nonce_len) != RTC_OK ||
      nonce_len == 0)
    return false;
  rtc_error realm_err = rtc_stun_get_text(
      msg, RTC_STUN_ATTR_REALM, RTC_STUN_MAX_REALM, &realm, &realm_len);
  if (realm_err == RTC_ERR_MALFORMED ||
      (realm_err == RTC_ERR_NOT_FOUND && realm_required))
    return false;
  /* RFC 8489 §9.2.5: a 438 gives a new NONCE for the realm the 401 gave.
   * It carries no MESSAGE-INTEGRITY: letting it change the realm (and so
   * the key) would let anyone who saw a transaction id make every signed
   * answer of the real server fail to verify. Only a 401 sets the realm. */
  if (realm_err == RTC_OK && !realm_required && c->have_key)
    realm_err = RTC_ERR_NOT_FOUND;
  if (realm_err == RTC_OK && (!c->have_key || realm_len != c->realm_len ||
                              memcmp(realm, c->realm, realm_len) != 0)) {
    memcpy(c->realm, realm, realm_len);
    c->realm_len = realm_len;
    if (rtc_turn_long_term_key(c->username, c->username_len, c->realm,
                               c->realm_len, c->password, c->password_len,
                               c->key) != RTC_OK)
      return false;
    c->have_key = true;
  }
  memcpy(c->nonce, nonce, nonce_len);
  c->nonce_len = nonce_len;
  return c->have_key;
}

/* RFC 8656 §9.2.4 (RFC 8489 §9.2.5): a 438 (Stale Nonce) with a new nonce
 * is retried at once, a few times in a row at most. True when retried. */
static bool retry_stale_nonce(rtc_turn_client* c,
                              transaction* t,
                              txn_kind kind,
                              int code,
                              const rtc_stun_message* msg,
                              int64_t now_us) {
  if (code != RTC_STUN_ERROR_STALE_NONCE ||
      t->stale_retries >= RTC_TURN_MAX_STALE_NONCE_RETRIES ||
      !take_realm_and_nonce(c, msg, false))
    return false;
  t->stale_retries++;
  txn_start(c, t, kind, now_us);
  return true;
}

static void on_allocate_response(rtc_turn_client* c,
                                 transaction* t,
                                 const rtc_stun_message* msg,
                                 int64_t now_us) {
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_ALLOCATED);
  if (rtc_stun_class(msg->type) == RTC_STUN_CLASS_SUCCESS) {
    t->active = false;
    /* RFC 8656 §7.3: the success response holds XOR-RELAYED-ADDRESS,
     * LIFETIME and XOR-MAPPED-ADDRESS. */
    uint32_t lifetime_s = 0;
    if (rtc_stun_get_xor_address(msg, RTC_STUN_ATTR_XOR_RELAYED_ADDRESS,
                                 &ev.relayed) != RTC_OK ||
        ev.relayed.family != relay_family(c) ||
        !get_lifetime(msg, &lifetime_s) || lifetime_s == 0) {
      event_init(&ev, RTC_TURN_EVENT_FAILED);
      ev.error = RTC_ERR_MALFORMED;
      set_reason(&ev, "bad Allocate success response");
      fail(c, &ev);
      return;
    }
    if (rtc_stun_get_xor_mapped_address(msg, &ev.mapped) != RTC_OK)
      rtc_socket_address_clear(&ev.mapped);
    ev.lifetime_s = lifetime_s;
    c->relayed = ev.relayed;
    c->mapped = ev.mapped;
    c->state = RTC_TURN_STATE_ALLOCATED;
    schedule_refresh(c, lifetime_s, now_us);
    send_waiting(c, now_us);
    emit(c, &ev);
    return;
  }
  event_init(&ev, RTC_TURN_EVENT_FAILED);
  event_set_stun_error(&ev, msg);
  if (ev.stun_error_code == RTC_STUN_ERROR_UNAUTHORIZED && !t->authenticated) {
    /* RFC 8489 §9.2.5: "If the response is an error response with an error
     * code of 401 (Unauthenticated), the client SHOULD retry the request
     * with a new transaction" using the username and password and "the
     * REALM and NONCE attributes from the error response". */
    if (take_realm_and_nonce(c, msg, true)) {
      txn_start(c, t, TXN_ALLOCATE, now_us);
      return;
    }
  } else if (ev.stun_error_code == RTC_STUN_ERROR_STALE_NONCE &&
             t->authenticated &&
             t->stale_retries < RTC_TURN_MAX_STALE_NONCE_RETRIES) {
    /* RFC 8489 §9.2.5: "If the response is an error response with an error
     * code of 438 (Stale Nonce), the client MUST retry the request, using
     * the new NONCE attribute". */
    if (take_realm_and_nonce(c, msg, false)) {
      t->stale_retries++;
      txn_start(c, t, TXN_ALLOCATE, now_us);
      return;
    }
  }
  /* A 401 to an authenticated Allocate: wrong credentials; anything else:
   * the server's answer. */
  fail(c, &ev);
}

static void on_refresh_response(rtc_turn_client* c,
                                transaction* t,
                                const rtc_stun_message* msg,
                                int64_t now_us) {
  t->active = false;
  if (rtc_stun_class(msg->type) == RTC_STUN_CLASS_SUCCESS) {
    uint32_t lifetime_s = 0;
    /* RFC 8656 §8.3: "the client updates its copy of the allocation
     * lifetime" from LIFETIME. A success without it keeps the lifetime it
     * asked for. */
    if (!get_lifetime(msg, &lifetime_s))
      lifetime_s = c->lifetime_s;
    if (lifetime_s == 0) {
      /* The server says the allocation is gone. */
      fail_with(c, RTC_ERR_CLOSED);
      return;
    }
    t->stale_retries = 0;
    schedule_refresh(c, lifetime_s, now_us);
    return;
  }
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_FAILED);
  event_set_stun_error(&ev, msg);
  if (retry_stale_nonce(c, t, TXN_REFRESH, ev.stun_error_code, msg, now_us))
    return;
  if (ev.stun_error_code == RTC_STUN_ERROR_ALLOCATION_MISMATCH) {
    /* RFC 8656 §8.3: "If the client receives a 437 (Allocation Mismatch)
     * error response to a request to refresh the allocation, then it
     * should consider the allocation no longer exists." */
    fail(c, &ev);
    return;
  }
  /* Another error: try again while the allocation lasts. */
  t->stale_retries = 0;
  c->refresh_at_us = add_us(now_us, RETRY_US);
}

static void on_deallocate_response(rtc_turn_client* c,
                                   transaction* t,
                                   const rtc_stun_message* msg,
                                   int64_t now_us) {
  t->active = false;
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_CLOSED);
  if (rtc_stun_class(msg->type) == RTC_STUN_CLASS_ERROR) {
    event_set_stun_error(&ev, msg);
    if (retry_stale_nonce(c, t, TXN_DEALLOCATE, ev.stun_error_code, msg,
                          now_us))
      return;
    /* RFC 8656 §8.3: a 437 to a deallocation means it is already gone: a
     * success as far as the client is concerned. */
    if (ev.stun_error_code == RTC_STUN_ERROR_ALLOCATION_MISMATCH) {
      event_init(&ev, RTC_TURN_EVENT_CLOSED);
    }
  }
  c->state = RTC_TURN_STATE_CLOSED;
  emit(c, &ev);
}

static void on_permission_response(rtc_turn_client* c,
                                   permission* p,
                                   const rtc_stun_message* msg,
                                   int64_t now_us) {
  transaction* t = &p->txn;
  t->active = false;
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_PERMISSION_CREATED);
  ev.peer = p->ip;
  if (rtc_stun_class(msg->type) == RTC_STUN_CLASS_SUCCESS) {
    /* RFC 8656 §9.3: the permission lasts 300 s from the success; it is
     * refreshed before (§9: "the client ... refresh[es] ... before it
     * expires"). */
    t->stale_retries = 0;
    p->state = PERMISSION_INSTALLED;
    p->expires_us =
        add_us(now_us, RTC_TURN_PERMISSION_LIFETIME_S * RTC_US_PER_SEC);
    p->refresh_at_us =
        add_us(now_us, RTC_TURN_PERMISSION_REFRESH_S * RTC_US_PER_SEC);
    emit(c, &ev);
    return;
  }
  event_set_stun_error(&ev, msg);
  if (retry_stale_nonce(c, t, TXN_PERMISSION, ev.stun_error_code, msg, now_us))
    return;
  t->stale_retries = 0;
  if (p->state == PERMISSION_INSTALLED && now_us < p->expires_us) {
    /* A refresh failed: try again while it lasts. */
    p->refresh_at_us = add_us(now_us, RETRY_US);
    if (p->refresh_at_us < p->expires_us)
      return;
  }
  p->state = PERMISSION_FAILED;
  p->failed_at_us = now_us;
  p->refresh_at_us = INT64_MAX;
  ev.type = RTC_TURN_EVENT_PERMISSION_FAILED;
  emit(c, &ev);
}

static void on_channel_response(rtc_turn_client* c,
                                channel* ch,
                                const rtc_stun_message* msg,
                                int64_t now_us) {
  transaction* t = &ch->txn;
  t->active = false;
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_CHANNEL_BOUND);
  ev.peer = ch->peer;
  ev.channel = ch->number;
  if (rtc_stun_class(msg->type) == RTC_STUN_CLASS_SUCCESS) {
    t->stale_retries = 0;
    bool first = ch->state != CHANNEL_BOUND;
    ch->state = CHANNEL_BOUND;
    /* RFC 8656 §11.3: the binding lasts 10 minutes; and §11: "a ChannelBind
     * request also creates or refreshes a permission for the IP address of
     * the peer". */
    ch->expires_us =
        add_us(now_us, RTC_TURN_CHANNEL_LIFETIME_S * RTC_US_PER_SEC);
    ch->refresh_at_us =
        add_us(now_us, RTC_TURN_CHANNEL_REFRESH_S * RTC_US_PER_SEC);
    permission* p = find_permission(c, &ch->peer);
    if (p != NULL && p->state == PERMISSION_INSTALLED) {
      p->expires_us =
          add_us(now_us, RTC_TURN_PERMISSION_LIFETIME_S * RTC_US_PER_SEC);
    }
    if (first)
      emit(c, &ev);
    return;
  }
  event_set_stun_error(&ev, msg);
  if (retry_stale_nonce(c, t, TXN_CHANNEL, ev.stun_error_code, msg, now_us))
    return;
  t->stale_retries = 0;
  if (ch->state == CHANNEL_BOUND && now_us < ch->expires_us) {
    ch->refresh_at_us = add_us(now_us, RETRY_US);
    if (ch->refresh_at_us < ch->expires_us)
      return;
  }
  ch->state = CHANNEL_FAILED;
  ch->refresh_at_us = INT64_MAX;
  ev.type = RTC_TURN_EVENT_CHANNEL_FAILED;
  emit(c, &ev);
}

static void handle_response(rtc_turn_client* c,
                            const rtc_stun_message* msg,
                            int64_t now_us) {
  /* RFC 8489 §6.3: a response "that does not match an outstanding
   * transaction" is discarded (late duplicates, forgeries). */
  transaction* t = find_transaction(c, msg->transaction_id);
  if (t == NULL || rtc_stun_method(msg->type) != txn_method(t))
    return;
  bool error = rtc_stun_class(msg->type) == RTC_STUN_CLASS_ERROR;
  if (t->authenticated) {
    /* RFC 8489 §9.2.5: the client checks MESSAGE-INTEGRITY of the
     * response with the key; a response that fails, or lacks it, is
     * discarded (retransmissions continue). Only 401 and 438 are taken
     * without checking it: a server that cannot verify the request
     * (wrong password) cannot sign its answer with our key either, and
     * they only make the client retry or give up. */
    int code = 0;
    const char* reason = NULL;
    size_t reason_len = 0;
    bool retry_error =
        error &&
        rtc_stun_get_error_code(msg, &code, &reason, &reason_len) == RTC_OK &&
        (code == RTC_STUN_ERROR_UNAUTHORIZED ||
         code == RTC_STUN_ERROR_STALE_NONCE);
    if (!retry_error &&
        rtc_stun_check_integrity(msg, c->key, sizeof(c->key)) != RTC_OK)
      return;
  }
  /* RFC 8489 §6.3.3/§6.3.4: unknown comprehension-required attributes in
   * a response fail the transaction. */
  if (has_unknown_required(msg)) {
    t->active = false;
    rtc_turn_event ev;
    event_init(&ev, RTC_TURN_EVENT_FAILED);
    ev.error = RTC_ERR_MALFORMED;
    set_reason(&ev, "unknown comprehension-required attribute");
    switch (t->kind) {
      case TXN_ALLOCATE:
        fail(c, &ev);
        break;
      case TXN_REFRESH:
        c->refresh_at_us = add_us(now_us, RETRY_US);
        break;
      case TXN_DEALLOCATE:
        c->state = RTC_TURN_STATE_CLOSED;
        ev.type = RTC_TURN_EVENT_CLOSED;
        emit(c, &ev);
        break;
      case TXN_PERMISSION: {
        permission* p = (permission*)((char*)t - offsetof(permission, txn));
        p->state = PERMISSION_FAILED;
        p->failed_at_us = now_us;
        p->refresh_at_us = INT64_MAX;
        ev.type = RTC_TURN_EVENT_PERMISSION_FAILED;
        ev.peer = p->ip;
        emit(c, &ev);
        break;
      }
      case TXN_CHANNEL: {
        channel* ch = (channel*)((char*)t - offsetof(channel, txn));
        ch->state = CHANNEL_FAILED;
        ch->refresh_at_us = INT64_MAX;
        ev.type = RTC_TURN_EVENT_CHANNEL_FAILED;
        ev.peer = ch->peer;
        ev.channel = ch->number;
        emit(c, &ev);
        break;
      }
    }
    return;
  }
  switch (t->kind) {
    case TXN_ALLOCATE:
      on_allocate_response(c, t, msg, now_us);
      break;
    case TXN_REFRESH:
      on_refresh_response(c, t, msg, now_us);
      break;
    case TXN_DEALLOCATE:
      on_deallocate_response(c, t, msg, now_us);
      break;
    case TXN_PERMISSION:
      on_permission_response(
          c, (permission*)((char*)t - offsetof(permission, txn)), msg, now_us);
      break;
    case TXN_CHANNEL:
      on_channel_response(c, (channel*)((char*)t - offsetof(channel, txn)), msg,
                          now_us);
      break;
  }
}

/* --- Data from peers --- */

static bool may_receive(rtc_turn_client* c) {
  /* Data keeps coming while the deallocation is in flight; it is still
   * the peers' data. */
  return c->state == RTC_TURN_STATE_ALLOCATED ||
         c->state == RTC_TURN_STATE_CLOSING;
}

/* A permission for peer's IP is installed or asked for, directly or by a
 * ChannelBind (RFC 8656 §11: which installs one too). */
static bool expects_peer(rtc_turn_client* c, const rtc_socket_address* peer) {
  permission* p = find_permission(c, peer);
  if (p != NULL &&
      (p->state == PERMISSION_INSTALLED || p->state == PERMISSION_PENDING))
    return true;
  rtc_socket_address ip = ip_of(peer);
  for (size_t i = 0; i < c->channel_count; i++) {
    const channel* ch = &c->channels[i];
    if ((ch->state == CHANNEL_BOUND || ch->state == CHANNEL_PENDING) &&
        rtc_ip_address_equal(&ch->peer, &ip))
      return true;
  }
  return false;
}

static void handle_data_indication(rtc_turn_client* c,
                                   const rtc_stun_message* msg) {
  if (!may_receive(c))
    return;
  /* RFC 8656 §10.4: "the client ... checks that the Data indication
   * contains an XOR-PEER-ADDRESS attribute and discards the indication if
   * it does not"; "The client SHOULD also check that the XOR-PEER-ADDRESS
   * ... [has] a permission installed"; the DATA attribute holds the data.
   * Indications carry no integrity: they are only taken from the server's
   * 5-tuple, which the owner checks. */
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_DATA);
  if (rtc_stun_get_xor_address(msg, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &ev.peer) !=
      RTC_OK)
    return;
  const rtc_stun_attribute* data = rtc_stun_find(msg, RTC_STUN_ATTR_DATA);
  if (data == NULL)
    return;
  if (!expects_peer(c, &ev.peer))
    return;
  ev.data = rtc_stun_value(msg, data);
  ev.size = data->length;
  emit(c, &ev);
}

static void handle_channel_data(rtc_turn_client* c,
                                const uint8_t* data,
                                size_t size) {
  uint16_t number = 0;
  const uint8_t* payload = NULL;
  size_t len = 0;
  if (rtc_turn_channel_data_parse(data, size, c->framing, &number, &payload,
                                  &len) != RTC_OK)
    return;
  if (!may_receive(c))
    return;
  /* RFC 8656 §12.6: "If the ChannelData message is received on a channel
   * that is not bound to any peer, then the message MUST be silently
   * discarded." The server may use the channel as soon as it bound it,
   * before its success response reaches the client. */
  channel* ch = find_channel_number(c, number);
  if (ch == NULL ||
      (ch->state != CHANNEL_BOUND && ch->state != CHANNEL_PENDING))
    return;
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_DATA);
  ev.peer = ch->peer;
  ev.channel = number;
  ev.data = payload;
  ev.size = len;
  emit(c, &ev);
}

/* One message from the server: a datagram or a stream frame. */
static void handle_message(rtc_turn_client* c,
                           const uint8_t* data,
                           size_t size,
                           int64_t now_us) {
  if (size == 0)
    return;
  if ((data[0] >> 6) == 1) {
    handle_channel_data(c, data, size);
    return;
  }
  rtc_stun_message msg;
  if (rtc_stun_parse(data, size, &msg) != RTC_OK)
    return;
  uint16_t klass = rtc_stun_class(msg.type);
  if (klass == RTC_STUN_CLASS_SUCCESS || klass == RTC_STUN_CLASS_ERROR) {
    if (c->state == RTC_TURN_STATE_NEW || c->state == RTC_TURN_STATE_CLOSED ||
        c->state == RTC_TURN_STATE_FAILED)
      return;
    handle_response(c, &msg, now_us);
    return;
  }
  if (klass == RTC_STUN_CLASS_INDICATION &&
      rtc_stun_method(msg.type) == RTC_STUN_METHOD_DATA)
    handle_data_indication(c, &msg);
  /* Requests and other indications from the server: ignored. */
}

rtc_error rtc_turn_client_handle_datagram(rtc_turn_client* c,
                                          const uint8_t* data,
                                          size_t size,
                                          int64_t now_us) {
  if (c->framing != RTC_TURN_FRAMING_DATAGRAM)
    return RTC_ERR_INVALID_STATE;
  if (data == NULL)
    return RTC_OK;
  handle_message(c, data, size, now_us);
  return RTC_OK;
}

static void on_frame(void* user, const uint8_t* frame, size_t size) {
  rtc_turn_client* c = user;
  handle_message(c, frame, size, c->stream_now_us);
}

rtc_error rtc_turn_client_handle_stream(rtc_turn_client* c,
                                        const uint8_t* data,
                                        size_t size,
                                        int64_t now_us) {
  if (c->framing != RTC_TURN_FRAMING_STREAM)
    return RTC_ERR_INVALID_STATE;
  if (data == NULL && size > 0)
    return RTC_ERR_INVALID_ARGUMENT;
  c->stream_now_us = now_us;
  rtc_error err =
      rtc_turn_stream_reader_feed(c->reader, data, size, on_frame, c);
  if (err != RTC_OK) {
    /* RFC 8656 §12.5 framing lost: nothing after this can be trusted. */
    if (c->state == RTC_TURN_STATE_CLOSING) {
      rtc_turn_event ev;
      event_init(&ev, RTC_TURN_EVENT_CLOSED);
      ev.error = err;
      stop_all_transactions(c);
      c->state = RTC_TURN_STATE_CLOSED;
      emit(c, &ev);
    } else if (c->state != RTC_TURN_STATE_CLOSED &&
               c->state != RTC_TURN_STATE_FAILED) {
      fail_with(c, err);
    }
  }
  return err;
}

void rtc_turn_client_handle_stream_closed(rtc_turn_client* c, int64_t now_us) {
  (void)now_us;
  if (c->state == RTC_TURN_STATE_CLOSING) {
    /* RFC 8656 §3.1: closing the connection deletes the allocation. */
    rtc_turn_event ev;
    event_init(&ev, RTC_TURN_EVENT_CLOSED);
    stop_all_transactions(c);
    c->state = RTC_TURN_STATE_CLOSED;
    emit(c, &ev);
    return;
  }
  if (c->state == RTC_TURN_STATE_CLOSED || c->state == RTC_TURN_STATE_FAILED)
    return;
  if (c->state == RTC_TURN_STATE_NEW) {
    c->state = RTC_TURN_STATE_FAILED;
    return;
  }
  fail_with(c, RTC_ERR_CLOSED);
}

/* --- Time --- */

int64_t rtc_turn_client_next_deadline_us(const rtc_turn_client* c) {
  int64_t next = txn_deadline(&c->alloc_txn);
  if (c->state == RTC_TURN_STATE_ALLOCATED) {
    if (!c->alloc_txn.active && c->refresh_at_us < next)
      next = c->refresh_at_us;
    if (c->expires_us < next)
      next = c->expires_us;
  }
  for (size_t i = 0; i < c->permission_count; i++) {
    const permission* p = &c->permissions[i];
    int64_t d = txn_deadline(&p->txn);
    if (!p->txn.active && p->refresh_at_us < d)
      d = p->refresh_at_us;
    if (d < next)
      next = d;
  }
  for (size_t i = 0; i < c->channel_count; i++) {
    const channel* ch = &c->channels[i];
    int64_t d = txn_deadline(&ch->txn);
    if (!ch->txn.active && ch->refresh_at_us < d)
      d = ch->refresh_at_us;
    if (d < next)
      next = d;
  }
  return next;
}

/* A transaction that timed out (RFC 8489 §6.2.1). */
static void on_timeout(rtc_turn_client* c, transaction* t, int64_t now_us) {
  t->active = false;
  t->stale_retries = 0;
  rtc_turn_event ev;
  event_init(&ev, RTC_TURN_EVENT_FAILED);
  ev.error = RTC_ERR_TIMEOUT;
  switch (t->kind) {
    case TXN_ALLOCATE:
      fail(c, &ev);
      return;
    case TXN_REFRESH:
      c->refresh_at_us = add_us(now_us, RETRY_US);
      return;
    case TXN_DEALLOCATE:
      c->state = RTC_TURN_STATE_CLOSED;
      ev.type = RTC_TURN_EVENT_CLOSED;
      emit(c, &ev);
      return;
    case TXN_PERMISSION: {
      permission* p = (permission*)((char*)t - offsetof(permission, txn));
      if (p->state == PERMISSION_INSTALLED &&
          add_us(now_us, RETRY_US) < p->expires_us) {
        p->refresh_at_us = add_us(now_us, RETRY_US);
        return;
      }
      p->state = PERMISSION_FAILED;
      p->failed_at_us = now_us;
      p->refresh_at_us = INT64_MAX;
      ev.type = RTC_TURN_EVENT_PERMISSION_FAILED;
      ev.peer = p->ip;
      emit(c, &ev);
      return;
    }
    case TXN_CHANNEL: {
      channel* ch = (channel*)((char*)t - offsetof(channel, txn));
      if (ch->state == CHANNEL_BOUND &&
          add_us(now_us, RETRY_US) < ch->expires_us) {
        ch->refresh_at_us = add_us(now_us, RETRY_US);
        return;
      }
      ch->state = CHANNEL_FAILED;
      ch->refresh_at_us = INT64_MAX;
      ev.type = RTC_TURN_EVENT_CHANNEL_FAILED;
      ev.peer = ch->peer;
      ev.channel = ch->number;
      emit(c, &ev);
      return;
    }
  }
}

/* Retransmits or times out t if due. */
static void run_transaction(rtc_turn_client* c,
                            transaction* t,
                            int64_t now_us) {
  if (!t->active)
    return;
  if (t->timeout_us <= now_us) {
    on_timeout(c, t, now_us);
    return;
  }
  if (t->next_send_us <= now_us)
    txn_retransmit(c, t, now_us);
}

static bool running(const rtc_turn_client* c) {
  return c->state == RTC_TURN_STATE_ALLOCATING ||
         c->state == RTC_TURN_STATE_ALLOCATED ||
         c->state == RTC_TURN_STATE_CLOSING;
}

void rtc_turn_client_handle_timeout(rtc_turn_client* c, int64_t now_us) {
  if (!running(c))
    return;
  if (c->state == RTC_TURN_STATE_ALLOCATED && c->expires_us <= now_us) {
    /* RFC 8656 §8: refreshes failed until the allocation expired. */
    rtc_turn_event ev;
    event_init(&ev, RTC_TURN_EVENT_FAILED);
    ev.error = RTC_ERR_TIMEOUT;
    set_reason(&ev, "allocation expired");
    fail(c, &ev);
    return;
  }
  run_transaction(c, &c->alloc_txn, now_us);
  if (!running(c))
    return;
  if (c->state == RTC_TURN_STATE_ALLOCATED && !c->alloc_txn.active &&
      c->refresh_at_us <= now_us) {
    c->refresh_at_us = INT64_MAX;
    txn_start(c, &c->alloc_txn, TXN_REFRESH, now_us);
  }
  for (size_t i = 0; i < c->permission_count && running(c); i++) {
    permission* p = &c->permissions[i];
    run_transaction(c, &p->txn, now_us);
    if (running(c) && c->state == RTC_TURN_STATE_ALLOCATED && !p->txn.active &&
        p->refresh_at_us <= now_us)
      start_permission(c, p, now_us);
  }
  for (size_t i = 0; i < c->channel_count && running(c); i++) {
    channel* ch = &c->channels[i];
    run_transaction(c, &ch->txn, now_us);
    if (running(c) && c->state == RTC_TURN_STATE_ALLOCATED && !ch->txn.active &&
        ch->refresh_at_us <= now_us)
      start_channel(c, ch, now_us);
  }
}

/* --- Sending data --- */

static rtc_error reserve_send_buffer(rtc_turn_client* c, size_t size) {
  if (size <= c->send_capacity)
    return RTC_OK;
  uint8_t* buf = rtc_realloc(c->send_buf, size);
  if (buf == NULL)
    return RTC_ERR_NO_MEMORY;
  c->send_buf = buf;
  c->send_capacity = size;
  return RTC_OK;
}

rtc_error rtc_turn_client_send(rtc_turn_client* c,
                               const rtc_socket_address* peer,
                               const uint8_t* data,
                               size_t size,
                               int64_t now_us) {
  if (c->state != RTC_TURN_STATE_ALLOCATED)
    return RTC_ERR_INVALID_STATE;
  if (peer == NULL || (data == NULL && size > 0))
    return RTC_ERR_INVALID_ARGUMENT;
  if (size > RTC_TURN_MAX_PAYLOAD)
    return RTC_ERR_OUT_OF_RANGE;
  rtc_error err = check_peer(c, peer);
  if (err != RTC_OK)
    return err;
  permission* p = find_permission(c, peer);
  /* A send to a peer without a permission asks for one; one that failed
   * is asked for again at most every RETRY_US (ICE sends checks every
   * 50 ms: each must not cost a CreatePermission the server refuses). */
  if (p == NULL ||
      (p->state == PERMISSION_FAILED && now_us - p->failed_at_us >= RETRY_US)) {
    err = ensure_permission(c, peer, now_us, NULL);
    if (err != RTC_OK)
      return err;
  }
  channel* ch = find_channel(c, peer);
  size_t len = 0;
  if (ch != NULL && ch->state == CHANNEL_BOUND) {
    /* RFC 8656 §12.3: once the channel is bound, "the client SHOULD use
     * ChannelData" to send to the peer. */
    size_t need = rtc_turn_channel_data_size(size, c->framing);
    err = reserve_send_buffer(c, need);
    if (err != RTC_OK)
      return err;
    err = rtc_turn_channel_data_write(ch->number, data, size, c->framing,
                                      c->send_buf, c->send_capacity, &len);
    if (err != RTC_OK)
      return err;
  } else {
    /* RFC 8656 §10.1: a Send indication "MUST contain both an
     * XOR-PEER-ADDRESS attribute and a DATA attribute". */
    size_t need = RTC_STUN_HEADER_SIZE + 4 + 20 + 4 + size + 3;
    err = reserve_send_buffer(c, need);
    if (err != RTC_OK)
      return err;
    uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE];
    rtc_stun_new_transaction_id(id);
    rtc_stun_builder b;
    rtc_stun_builder_init(
        &b, c->send_buf, c->send_capacity,
        rtc_stun_type(RTC_STUN_METHOD_SEND, RTC_STUN_CLASS_INDICATION), id);
    rtc_socket_address addr = rtc_socket_address_unmapped(peer);
    rtc_stun_add_xor_address(&b, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &addr);
    rtc_stun_add_attribute(&b, RTC_STUN_ATTR_DATA, data, size);
    err = rtc_stun_builder_finish(&b, &len);
    if (err != RTC_OK)
      return err;
  }
  return c->observer.send(c->user, c->send_buf, len);
}

/* --- Getters --- */

rtc_turn_state rtc_turn_client_state(const rtc_turn_client* c) {
  return c->state;
}

rtc_socket_address rtc_turn_client_relayed_address(const rtc_turn_client* c) {
  return c->relayed;
}

rtc_socket_address rtc_turn_client_mapped_address(const rtc_turn_client* c) {
  return c->mapped;
}

int64_t rtc_turn_client_expires_us(const rtc_turn_client* c) {
  return c->state == RTC_TURN_STATE_ALLOCATED ? c->expires_us : 0;
}

bool rtc_turn_client_has_channel(const rtc_turn_client* c,
                                 const rtc_socket_address* peer) {
  channel* ch = find_channel((rtc_turn_client*)c, peer);
  return ch != NULL && ch->state == CHANNEL_BOUND;
}

bool rtc_turn_client_has_permission(const rtc_turn_client* c,
                                    const rtc_socket_address* peer,
                                    int64_t now_us) {
  permission* p = find_permission((rtc_turn_client*)c, peer);
  return p != NULL && p->state == PERMISSION_INSTALLED &&
         now_us < p->expires_us;
}

bool rtc_turn_is_turn_datagram(const uint8_t* data, size_t size) {
  rtc_packet_kind kind = rtc_demux_classify(data, size);
  return kind == RTC_PACKET_STUN || kind == RTC_PACKET_TURN_CHANNEL;
}
