/*
 * A TURN server for the simulated network (sim_turn_server.h).
 */
#include "test/network/sim_turn_server.h"

#include <stdio.h>
#include <string.h>

#include "p2p/stun.h"
#include "p2p/turn_message.h"
#include "rtc_base/alloc.h"
#include "rtc_base/logging.h"
#include "rtc_base/safety_flag.h"
#include "rtc_base/timer.h"

#define MAX_PERMISSIONS 32
#define MAX_CHANNELS 32
#define PERMISSION_LIFETIME_US (300 * RTC_US_PER_SEC)
#define CHANNEL_LIFETIME_US (600 * RTC_US_PER_SEC)
#define DEFAULT_LIFETIME_S 600
#define BUFFER_SIZE (RTC_MAX_PACKET_SIZE + 64)

typedef struct tcp_conn tcp_conn;

typedef struct permission {
  rtc_socket_address ip;
  int64_t expires_us;
} permission;

typedef struct channel {
  uint16_t number;
  rtc_socket_address peer;
  int64_t expires_us;
} channel;

typedef struct allocation {
  struct allocation* next;
  rtc_sim_turn_server* server;
  rtc_socket_address client; /* the 5-tuple's remote end */
  tcp_conn* conn;            /* over TCP: its connection */
  rtc_packet_socket* relay;
  rtc_socket_address relayed;
  int64_t expires_us;
  permission permissions[MAX_PERMISSIONS];
  size_t permission_count;
  channel channels[MAX_CHANNELS];
  size_t channel_count;
} allocation;

struct tcp_conn {
  tcp_conn* next;
  rtc_sim_turn_server* server;
  rtc_stream_socket* socket;
  rtc_socket_address client;
  rtc_turn_stream_reader* reader;
  uint8_t* backlog;
  size_t backlog_size;
  bool dead;
};

struct rtc_sim_turn_server {
  rtc_socket_factory* factory;
  rtc_task_queue* queue;
  rtc_socket_address address;
  char* realm;
  char* username;
  uint8_t key[RTC_TURN_KEY_SIZE];
  uint32_t max_lifetime_s;
  rtc_packet_socket* udp;
  rtc_stream_listener* listener;
  allocation* allocations;
  tcp_conn* conns;
  rtc_timer expiry;
  rtc_safety_flag* flag; /* guards the tasks that close connections */
  char nonce[32];
  int64_t nonce_issued_us;
  int64_t nonce_lifetime_us;
  uint32_t nonce_counter;
  bool silent;
  rtc_sim_turn_stats stats;
};

static int64_t now_us(const rtc_sim_turn_server* s) {
  return rtc_task_queue_now_us(s->queue);
}

/* --- Sending to clients --- */

static void conn_write(tcp_conn* c, const uint8_t* data, size_t size) {
  if (c->dead)
    return;
  size_t accepted = 0;
  if (c->backlog_size == 0 &&
      rtc_stream_socket_send(c->socket, data, size, &accepted) != RTC_OK)
    return;
  if (accepted == size)
    return;
  uint8_t* grown = rtc_realloc(c->backlog, c->backlog_size + size - accepted);
  if (!grown)
    return; /* the stream now has a hole: the client will see garbage */
  c->backlog = grown;
  memcpy(c->backlog + c->backlog_size, data + accepted, size - accepted);
  c->backlog_size += size - accepted;
}

/* To the client of a 5-tuple: over its connection, or over UDP. */
static void to_client(rtc_sim_turn_server* s,
                      tcp_conn* conn,
                      const rtc_socket_address* client,
                      const uint8_t* data,
                      size_t size) {
  if (conn)
    conn_write(conn, data, size);
  else
    rtc_packet_socket_send_to(s->udp, data, size, client);
}

/* --- Allocations --- */

static allocation* find_allocation(rtc_sim_turn_server* s,
                                   tcp_conn* conn,
                                   const rtc_socket_address* client) {
  for (allocation* a = s->allocations; a; a = a->next) {
    if (conn ? a->conn == conn
             : (!a->conn && rtc_socket_address_equal(&a->client, client)))
      return a;
  }
  return NULL;
}

static void schedule_expiry(rtc_sim_turn_server* s) {
  int64_t next = INT64_MAX;
  for (allocation* a = s->allocations; a; a = a->next) {
    if (a->expires_us < next)
      next = a->expires_us;
  }
  if (next == INT64_MAX)
    rtc_timer_stop(&s->expiry);
  else
    rtc_timer_start_at(&s->expiry, next);
}

static void free_allocation(rtc_sim_turn_server* s, allocation* a) {
  for (allocation** link = &s->allocations; *link; link = &(*link)->next) {
    if (*link == a) {
      *link = a->next;
      break;
    }
  }
  rtc_packet_socket_destroy(a->relay);
  rtc_free(a);
  s->stats.allocations_alive--;
}

static void on_expiry(void* arg) {
  rtc_sim_turn_server* s = arg;
  int64_t now = now_us(s);
  allocation* a = s->allocations;
  while (a) {
    allocation* next = a->next;
    if (a->expires_us <= now) {
      s->stats.expired++;
      free_allocation(s, a);
    }
    a = next;
  }
  schedule_expiry(s);
}

static bool permitted(const allocation* a,
                      const rtc_socket_address* peer,
                      int64_t now) {
  for (size_t i = 0; i < a->permission_count; i++) {
    if (rtc_ip_address_equal(&a->permissions[i].ip, peer) &&
        a->permissions[i].expires_us > now)
      return true;
  }
  return false;
}

static bool add_permission(allocation* a,
                           const rtc_socket_address* peer,
                           int64_t now) {
  for (size_t i = 0; i < a->permission_count; i++) {
    if (rtc_ip_address_equal(&a->permissions[i].ip, peer)) {
      a->permissions[i].expires_us = now + PERMISSION_LIFETIME_US;
      return true;
    }
  }
  if (a->permission_count == MAX_PERMISSIONS)
    return false;
  a->permissions[a->permission_count].ip = *peer;
  a->permissions[a->permission_count].expires_us = now + PERMISSION_LIFETIME_US;
  a->permission_count++;
  return true;
}

static channel* channel_by_number(allocation* a, uint16_t number, int64_t now) {
  for (size_t i = 0; i < a->channel_count; i++) {
    if (a->channels[i].number == number && a->channels[i].expires_us > now)
      return &a->channels[i];
  }
  return NULL;
}

static channel* channel_by_peer(allocation* a,
                                const rtc_socket_address* peer,
                                int64_t now) {
  for (size_t i = 0; i < a->channel_count; i++) {
    if (rtc_socket_address_equal(&a->channels[i].peer, peer) &&
        a->channels[i].expires_us > now)
      return &a->channels[i];
  }
  return NULL;
}

/* A datagram from a peer at the relay: to the client (RFC 8656 §10.3,
 * §12.6), if the peer has a permission. */
static void on_relay_packets(void* user,
                             rtc_packet_socket* socket,
                             const rtc_received_packet* packets,
                             size_t count) {
  allocation* a = user;
  rtc_sim_turn_server* s = a->server;
  (void)socket;
  int64_t now = now_us(s);
  for (size_t i = 0; i < count; i++) {
    const rtc_received_packet* p = &packets[i];
    if (s->silent || !permitted(a, &p->source, now)) {
      s->stats.dropped++;
      continue;
    }
    uint8_t out[BUFFER_SIZE];
    size_t len = 0;
    channel* ch = channel_by_peer(a, &p->source, now);
    if (ch) {
      if (rtc_turn_channel_data_write(
              ch->number, p->data, p->size,
              a->conn ? RTC_TURN_FRAMING_STREAM : RTC_TURN_FRAMING_DATAGRAM,
              out, sizeof(out), &len) != RTC_OK) {
        s->stats.dropped++;
        continue;
      }
      s->stats.to_clients_channel++;
    } else {
      uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE];
      rtc_stun_new_transaction_id(id);
      rtc_stun_builder b;
      rtc_stun_builder_init(
          &b, out, sizeof(out),
          rtc_stun_type(RTC_STUN_METHOD_DATA, RTC_STUN_CLASS_INDICATION), id);
      rtc_stun_add_xor_address(&b, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &p->source);
      rtc_stun_add_attribute(&b, RTC_STUN_ATTR_DATA, p->data, p->size);
      if (rtc_stun_builder_finish(&b, &len) != RTC_OK) {
        s->stats.dropped++;
        continue;
      }
    }
    s->stats.to_clients++;
    to_client(s, a->conn, &a->client, out, len);
  }
}

static const rtc_packet_socket_observer kRelayObserver = {
    .on_packets = on_relay_packets,
};

/* --- Requests --- */

typedef struct request {
  rtc_sim_turn_server* server;
  tcp_conn* conn;
  rtc_socket_address client;
  const rtc_stun_message* msg;
} request;

static void respond(const request* r,
                    uint16_t klass,
                    int error_code,
                    bool sign,
                    void (*add)(rtc_stun_builder* b, void* arg),
                    void* arg) {
  rtc_sim_turn_server* s = r->server;
  uint8_t buf[1024];
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, buf, sizeof(buf),
                        rtc_stun_type(rtc_stun_method(r->msg->type), klass),
                        r->msg->transaction_id);
  if (error_code) {
    rtc_stun_add_error_code(&b, error_code, NULL);
    if (error_code == RTC_STUN_ERROR_UNAUTHORIZED || error_code == 438) {
      rtc_stun_add_attribute(&b, RTC_STUN_ATTR_REALM, s->realm,
                             strlen(s->realm));
      rtc_stun_add_attribute(&b, RTC_STUN_ATTR_NONCE, s->nonce,
                             strlen(s->nonce));
    }
  }
  if (add)
    add(&b, arg);
  if (sign)
    rtc_stun_add_message_integrity(&b, s->key, sizeof(s->key));
  rtc_stun_add_fingerprint(&b);
  size_t len;
  if (rtc_stun_builder_finish(&b, &len) == RTC_OK)
    to_client(s, r->conn, &r->client, buf, len);
}

static void new_nonce(rtc_sim_turn_server* s) {
  snprintf(s->nonce, sizeof(s->nonce), "sim-nonce-%u",
           (unsigned)++s->nonce_counter);
  s->nonce_issued_us = now_us(s);
}

/* RFC 8489 §9.2.4: the long-term credential checks. True when the request
 * may go on; otherwise the error was sent. */
static bool authenticate(const request* r) {
  rtc_sim_turn_server* s = r->server;
  const rtc_stun_message* m = r->msg;
  const char *user, *realm, *nonce;
  size_t user_len, realm_len, nonce_len;
  if (!rtc_stun_find(m, RTC_STUN_ATTR_MESSAGE_INTEGRITY)) {
    s->stats.unauthorized++;
    respond(r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_UNAUTHORIZED, false, NULL,
            NULL);
    return false;
  }
  if (rtc_stun_get_username(m, &user, &user_len) != RTC_OK ||
      rtc_stun_get_text(m, RTC_STUN_ATTR_REALM, 763, &realm, &realm_len) !=
          RTC_OK ||
      rtc_stun_get_text(m, RTC_STUN_ATTR_NONCE, 763, &nonce, &nonce_len) !=
          RTC_OK) {
    respond(r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_BAD_REQUEST, false, NULL,
            NULL);
    return false;
  }
  if (user_len != strlen(s->username) ||
      memcmp(user, s->username, user_len) != 0 ||
      rtc_stun_check_integrity(m, s->key, sizeof(s->key)) != RTC_OK) {
    s->stats.unauthorized++;
    respond(r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_UNAUTHORIZED, false, NULL,
            NULL);
    return false;
  }
  if (now_us(s) - s->nonce_issued_us >= s->nonce_lifetime_us)
    new_nonce(s);
  if (nonce_len != strlen(s->nonce) || memcmp(nonce, s->nonce, nonce_len)) {
    s->stats.stale_nonce++;
    respond(r, RTC_STUN_CLASS_ERROR, 438, false, NULL, NULL);
    return false;
  }
  return true;
}

typedef struct allocate_reply {
  const allocation* a;
  const rtc_socket_address* mapped;
  uint32_t lifetime_s;
} allocate_reply;

static void add_allocate_reply(rtc_stun_builder* b, void* arg) {
  allocate_reply* reply = arg;
  if (reply->a)
    rtc_stun_add_xor_address(b, RTC_STUN_ATTR_XOR_RELAYED_ADDRESS,
                             &reply->a->relayed);
  rtc_stun_add_u32(b, RTC_STUN_ATTR_LIFETIME, reply->lifetime_s);
  if (reply->mapped)
    rtc_stun_add_xor_mapped_address(b, reply->mapped);
}

static uint32_t granted_lifetime(const rtc_sim_turn_server* s,
                                 const rtc_stun_message* m) {
  uint32_t lifetime = DEFAULT_LIFETIME_S;
  uint32_t asked;
  if (rtc_stun_get_u32(m, RTC_STUN_ATTR_LIFETIME, &asked) == RTC_OK)
    lifetime = asked;
  if (lifetime > s->max_lifetime_s)
    lifetime = s->max_lifetime_s;
  return lifetime;
}

static void handle_allocate(const request* r) {
  rtc_sim_turn_server* s = r->server;
  /* RFC 8656 §7.2: one allocation per 5-tuple. */
  if (find_allocation(s, r->conn, &r->client)) {
    respond(r, RTC_STUN_CLASS_ERROR, 437, true, NULL, NULL);
    return;
  }
  const rtc_stun_attribute* t =
      rtc_stun_find(r->msg, RTC_STUN_ATTR_REQUESTED_TRANSPORT);
  if (!t || t->length != 4) {
    respond(r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_BAD_REQUEST, true, NULL,
            NULL);
    return;
  }
  if (rtc_stun_value(r->msg, t)[0] != 17) {
    respond(r, RTC_STUN_CLASS_ERROR, 442, true, NULL, NULL);
    return;
  }
  allocation* a = rtc_calloc(1, sizeof(*a));
  if (!a) {
    respond(r, RTC_STUN_CLASS_ERROR, 508, true, NULL, NULL);
    return;
  }
  a->server = s;
  a->client = r->client;
  a->conn = r->conn;
  rtc_socket_address bind = s->address;
  bind.port = 0;
  if (rtc_socket_factory_create_udp(s->factory, s->queue, &bind, NULL,
                                    &kRelayObserver, a, &a->relay) != RTC_OK ||
      rtc_packet_socket_local_address(a->relay, &a->relayed) != RTC_OK) {
    rtc_packet_socket_destroy(a->relay);
    rtc_free(a);
    respond(r, RTC_STUN_CLASS_ERROR, 508, true, NULL, NULL);
    return;
  }
  uint32_t lifetime = granted_lifetime(s, r->msg);
  a->expires_us = now_us(s) + (int64_t)lifetime * RTC_US_PER_SEC;
  a->next = s->allocations;
  s->allocations = a;
  s->stats.allocations++;
  s->stats.allocations_alive++;
  if (r->conn)
    s->stats.tcp_allocations++;
  schedule_expiry(s);
  allocate_reply reply = {a, &r->client, lifetime};
  respond(r, RTC_STUN_CLASS_SUCCESS, 0, true, add_allocate_reply, &reply);
}

static void handle_refresh(const request* r, allocation* a) {
  rtc_sim_turn_server* s = r->server;
  uint32_t lifetime = granted_lifetime(s, r->msg);
  allocate_reply reply = {NULL, NULL, lifetime};
  if (lifetime == 0) {
    /* RFC 8656 §7.4: a LIFETIME of 0 deletes the allocation. */
    s->stats.deallocated++;
    free_allocation(s, a);
    schedule_expiry(s);
  } else {
    s->stats.refreshes++;
    a->expires_us = now_us(s) + (int64_t)lifetime * RTC_US_PER_SEC;
    schedule_expiry(s);
  }
  respond(r, RTC_STUN_CLASS_SUCCESS, 0, true, add_allocate_reply, &reply);
}

static void handle_create_permission(const request* r, allocation* a) {
  rtc_sim_turn_server* s = r->server;
  int64_t now = now_us(s);
  bool any = false;
  /* RFC 8656 §9.2: every XOR-PEER-ADDRESS, all or nothing. */
  for (size_t i = 0; i < r->msg->attribute_count; i++) {
    if (r->msg->attributes[i].type != RTC_STUN_ATTR_XOR_PEER_ADDRESS)
      continue;
    rtc_stun_message one = *r->msg;
    one.attributes[0] = r->msg->attributes[i];
    one.attribute_count = 1;
    rtc_socket_address peer;
    if (rtc_stun_get_xor_address(&one, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &peer) !=
            RTC_OK ||
        peer.family != a->relayed.family || !add_permission(a, &peer, now)) {
      respond(r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_BAD_REQUEST, true, NULL,
              NULL);
      return;
    }
    any = true;
  }
  if (!any) {
    respond(r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_BAD_REQUEST, true, NULL,
            NULL);
    return;
  }
  s->stats.permissions++;
  respond(r, RTC_STUN_CLASS_SUCCESS, 0, true, NULL, NULL);
}

static void handle_channel_bind(const request* r, allocation* a) {
  rtc_sim_turn_server* s = r->server;
  int64_t now = now_us(s);
  uint16_t number;
  rtc_socket_address peer;
  if (rtc_stun_get_channel_number(r->msg, &number) != RTC_OK ||
      !rtc_turn_channel_is_valid(number) ||
      rtc_stun_get_xor_address(r->msg, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &peer) !=
          RTC_OK ||
      peer.family != a->relayed.family) {
    respond(r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_BAD_REQUEST, true, NULL,
            NULL);
    return;
  }
  /* RFC 8656 §11.2: a number bound to another peer, or a peer bound to
   * another number, is a 400. */
  channel* by_number = channel_by_number(a, number, now);
  channel* by_peer = channel_by_peer(a, &peer, now);
  if ((by_number && !rtc_socket_address_equal(&by_number->peer, &peer)) ||
      (by_peer && by_peer->number != number)) {
    respond(r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_BAD_REQUEST, true, NULL,
            NULL);
    return;
  }
  channel* ch = by_number;
  if (!ch) {
    /* Reuse an expired slot, or take a new one. */
    for (size_t i = 0; i < a->channel_count && !ch; i++) {
      if (a->channels[i].expires_us <= now)
        ch = &a->channels[i];
    }
    if (!ch && a->channel_count < MAX_CHANNELS)
      ch = &a->channels[a->channel_count++];
  }
  if (!ch || !add_permission(a, &peer, now)) {
    respond(r, RTC_STUN_CLASS_ERROR, 508, true, NULL, NULL);
    return;
  }
  ch->number = number;
  ch->peer = peer;
  ch->expires_us = now + CHANNEL_LIFETIME_US;
  s->stats.channel_binds++;
  respond(r, RTC_STUN_CLASS_SUCCESS, 0, true, NULL, NULL);
}

static void add_mapped(rtc_stun_builder* b, void* arg) {
  rtc_stun_add_xor_mapped_address(b, arg);
}

static void relay_to_peer(rtc_sim_turn_server* s,
                          allocation* a,
                          const rtc_socket_address* peer,
                          const uint8_t* data,
                          size_t size) {
  if (!a || !permitted(a, peer, now_us(s))) {
    s->stats.dropped++;
    return;
  }
  s->stats.to_peers++;
  rtc_packet_socket_send_to(a->relay, data, size, peer);
}

/* RFC 8489 §6.3.1: comprehension-required attributes the STUN parser
 * does not know, other than TURN's own (RFC 8656 §18). */
static bool has_unknown_required(const rtc_stun_message* m) {
  static const uint16_t kTurn[] = {
      RTC_STUN_ATTR_CHANNEL_NUMBER,      RTC_STUN_ATTR_LIFETIME,
      RTC_STUN_ATTR_XOR_PEER_ADDRESS,    RTC_STUN_ATTR_DATA,
      RTC_STUN_ATTR_XOR_RELAYED_ADDRESS, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY,
      RTC_STUN_ATTR_EVEN_PORT,           RTC_STUN_ATTR_REQUESTED_TRANSPORT,
      RTC_STUN_ATTR_DONT_FRAGMENT,       RTC_STUN_ATTR_RESERVATION_TOKEN,
  };
  for (size_t i = 0; i < m->unknown_required_count; i++) {
    bool known = false;
    for (size_t k = 0; k < sizeof(kTurn) / sizeof(kTurn[0]); k++)
      known |= m->unknown_required[i] == kTurn[k];
    if (!known)
      return true;
  }
  return false;
}

/* One datagram, or one frame of a stream, from a client. */
static void handle_message(rtc_sim_turn_server* s,
                           tcp_conn* conn,
                           const rtc_socket_address* client,
                           const uint8_t* data,
                           size_t size) {
  if (s->silent)
    return;
  allocation* a = find_allocation(s, conn, client);
  if (size >= RTC_TURN_CHANNEL_HEADER_SIZE && data[0] >= 0x40 &&
      data[0] <= 0x4F) {
    uint16_t number;
    const uint8_t* payload;
    size_t payload_len;
    channel* ch = NULL;
    if (a && rtc_turn_channel_data_parse(
                 data, size,
                 conn ? RTC_TURN_FRAMING_STREAM : RTC_TURN_FRAMING_DATAGRAM,
                 &number, &payload, &payload_len) == RTC_OK)
      ch = channel_by_number(a, number, now_us(s));
    if (!ch) {
      s->stats.dropped++;
      return;
    }
    relay_to_peer(s, a, &ch->peer, payload, payload_len);
    return;
  }
  rtc_stun_message msg;
  if (rtc_stun_parse(data, size, &msg) != RTC_OK) {
    s->stats.dropped++;
    return;
  }
  request r = {s, conn, *client, &msg};
  uint16_t method = rtc_stun_method(msg.type);
  uint16_t klass = rtc_stun_class(msg.type);
  if (klass == RTC_STUN_CLASS_INDICATION) {
    rtc_socket_address peer;
    const rtc_stun_attribute* d = rtc_stun_find(&msg, RTC_STUN_ATTR_DATA);
    if (method != RTC_STUN_METHOD_SEND || !d ||
        rtc_stun_get_xor_address(&msg, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &peer) !=
            RTC_OK) {
      s->stats.dropped++;
      return;
    }
    relay_to_peer(s, a, &peer, rtc_stun_value(&msg, d), d->length);
    return;
  }
  if (klass != RTC_STUN_CLASS_REQUEST)
    return;
  if (method == RTC_STUN_METHOD_BINDING) {
    respond(&r, RTC_STUN_CLASS_SUCCESS, 0, false, add_mapped, &r.client);
    return;
  }
  if (method != RTC_STUN_METHOD_ALLOCATE && method != RTC_STUN_METHOD_REFRESH &&
      method != RTC_STUN_METHOD_CREATE_PERMISSION &&
      method != RTC_STUN_METHOD_CHANNEL_BIND) {
    respond(&r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_BAD_REQUEST, false, NULL,
            NULL);
    return;
  }
  if (!authenticate(&r))
    return;
  if (has_unknown_required(&msg)) {
    respond(&r, RTC_STUN_CLASS_ERROR, RTC_STUN_ERROR_UNKNOWN_ATTRIBUTE, true,
            NULL, NULL);
    return;
  }
  if (method == RTC_STUN_METHOD_ALLOCATE) {
    handle_allocate(&r);
    return;
  }
  if (!a) {
    /* RFC 8656 §7.3: no allocation for this 5-tuple. */
    respond(&r, RTC_STUN_CLASS_ERROR, 437, true, NULL, NULL);
    return;
  }
  if (method == RTC_STUN_METHOD_REFRESH)
    handle_refresh(&r, a);
  else if (method == RTC_STUN_METHOD_CREATE_PERMISSION)
    handle_create_permission(&r, a);
  else
    handle_channel_bind(&r, a);
}

static void on_udp_packets(void* user,
                           rtc_packet_socket* socket,
                           const rtc_received_packet* packets,
                           size_t count) {
  rtc_sim_turn_server* s = user;
  (void)socket;
  for (size_t i = 0; i < count; i++)
    handle_message(s, NULL, &packets[i].source, packets[i].data,
                   packets[i].size);
}

static const rtc_packet_socket_observer kUdpObserver = {
    .on_packets = on_udp_packets,
};

/* --- TCP --- */

static void conn_free(rtc_sim_turn_server* s, tcp_conn* c) {
  for (tcp_conn** link = &s->conns; *link; link = &(*link)->next) {
    if (*link == c) {
      *link = c->next;
      break;
    }
  }
  allocation* a = find_allocation(s, c, &c->client);
  if (a) {
    /* RFC 8656 §3.1: the allocation lives as long as its connection. */
    s->stats.deallocated++;
    free_allocation(s, a);
    schedule_expiry(s);
  }
  rtc_stream_socket_destroy(c->socket);
  rtc_turn_stream_reader_destroy(c->reader);
  rtc_free(c->backlog);
  rtc_free(c);
}

static void on_frame(void* user, const uint8_t* frame, size_t size) {
  tcp_conn* c = user;
  handle_message(c->server, c, &c->client, frame, size);
}

static void close_later(void* arg) {
  tcp_conn* c = arg;
  conn_free(c->server, c);
}

static void conn_fail(tcp_conn* c) {
  if (c->dead)
    return;
  c->dead = true;
  /* Not from inside the socket's callback: a task. */
  rtc_task task = {close_later, NULL, c};
  if (rtc_task_queue_post_guarded(c->server->queue, c->server->flag, 0, task) !=
      RTC_OK)
    RTC_LOG(ERROR, "sim TURN: cannot close a connection");
}

static void conn_data(void* user,
                      rtc_stream_socket* socket,
                      const uint8_t* data,
                      size_t size) {
  tcp_conn* c = user;
  (void)socket;
  if (c->dead)
    return;
  if (rtc_turn_stream_reader_feed(c->reader, data, size, on_frame, c) != RTC_OK)
    conn_fail(c); /* garbage: the stream cannot be read any more */
}

static void conn_writable(void* user, rtc_stream_socket* socket) {
  tcp_conn* c = user;
  size_t accepted = 0;
  if (c->backlog_size == 0 ||
      rtc_stream_socket_send(socket, c->backlog, c->backlog_size, &accepted) !=
          RTC_OK)
    return;
  memmove(c->backlog, c->backlog + accepted, c->backlog_size - accepted);
  c->backlog_size -= accepted;
}

static void conn_closed(void* user, rtc_stream_socket* socket, rtc_error e) {
  (void)socket;
  (void)e;
  conn_fail(user);
}

static const rtc_stream_socket_observer kConnObserver = {
    .on_data = conn_data,
    .on_writable = conn_writable,
    .on_closed = conn_closed,
};

static void on_accept(void* user,
                      rtc_stream_listener* listener,
                      rtc_stream_socket* socket) {
  rtc_sim_turn_server* s = user;
  (void)listener;
  tcp_conn* c = rtc_calloc(1, sizeof(*c));
  if (!c || rtc_turn_stream_reader_create(&c->reader) != RTC_OK ||
      rtc_stream_socket_remote_address(socket, &c->client) != RTC_OK) {
    if (c)
      rtc_turn_stream_reader_destroy(c->reader);
    rtc_free(c);
    rtc_stream_socket_destroy(socket);
    return;
  }
  c->server = s;
  c->socket = socket;
  c->next = s->conns;
  s->conns = c;
  rtc_stream_socket_set_observer(socket, &kConnObserver, c);
}

static const rtc_stream_listener_observer kListenerObserver = {
    .on_accept = on_accept,
};

/* --- Lifecycle --- */

rtc_error rtc_sim_turn_server_create(rtc_socket_factory* factory,
                                     rtc_task_queue* queue,
                                     const rtc_sim_turn_server_config* config,
                                     rtc_sim_turn_server** out) {
  *out = NULL;
  if (!config->realm || !config->username || !config->password)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sim_turn_server* s = rtc_calloc(1, sizeof(*s));
  if (!s)
    return RTC_ERR_NO_MEMORY;
  s->factory = factory;
  s->queue = queue;
  s->address = config->address;
  s->max_lifetime_s = config->max_lifetime_s ? config->max_lifetime_s : 3600;
  s->nonce_lifetime_us = 3600 * RTC_US_PER_SEC;
  rtc_timer_init(&s->expiry, queue, on_expiry, s);
  rtc_error err = rtc_safety_flag_create(&s->flag);
  if (err != RTC_OK) {
    rtc_free(s);
    return err;
  }
  err = RTC_ERR_NO_MEMORY;
  s->realm = rtc_strdup(config->realm);
  s->username = rtc_strdup(config->username);
  if (!s->realm || !s->username)
    goto fail;
  err = rtc_turn_long_term_key(config->username, strlen(config->username),
                               config->realm, strlen(config->realm),
                               config->password, strlen(config->password),
                               s->key);
  if (err != RTC_OK)
    goto fail;
  new_nonce(s);
  err = rtc_socket_factory_create_udp(factory, queue, &config->address, NULL,
                                      &kUdpObserver, s, &s->udp);
  if (err != RTC_OK)
    goto fail;
  err = rtc_socket_factory_listen_tcp(factory, queue, &config->address,
                                      &kListenerObserver, s, &s->listener);
  if (err != RTC_OK)
    goto fail;
  *out = s;
  return RTC_OK;
fail:
  rtc_sim_turn_server_destroy(s);
  return err;
}

void rtc_sim_turn_server_destroy(rtc_sim_turn_server* s) {
  if (!s)
    return;
  rtc_timer_stop(&s->expiry);
  rtc_safety_flag_set_not_alive(s->flag);
  rtc_safety_flag_unref(s->flag);
  while (s->conns)
    conn_free(s, s->conns);
  while (s->allocations)
    free_allocation(s, s->allocations);
  rtc_stream_listener_destroy(s->listener);
  rtc_packet_socket_destroy(s->udp);
  rtc_free(s->realm);
  rtc_free(s->username);
  rtc_free(s);
}

void rtc_sim_turn_server_get_stats(const rtc_sim_turn_server* s,
                                   rtc_sim_turn_stats* out) {
  *out = s->stats;
}

void rtc_sim_turn_server_set_silent(rtc_sim_turn_server* s, bool silent) {
  s->silent = silent;
}

void rtc_sim_turn_server_set_nonce_lifetime(rtc_sim_turn_server* s,
                                            int64_t lifetime_us) {
  s->nonce_lifetime_us = lifetime_us;
}
