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
#define MAX_SQUATTED 64
#define PERMISSION_LIFETIME_US (300 * RTC_US_PER_SEC)
#define CHANNEL_LIFETIME_US (600 * RTC_US_PER_SEC)
#define DEFAULT_LIFETIME_S 600
#define BUFFER_SIZE (RTC_MAX_PACKET_SIZE + 64)
/* A connection whose client does not read this much is closed. */
#define MAX_BACKLOG (1024 * 1024)
/* RFC 8656 §18.8: REQUESTED-ADDRESS-FAMILY 0x01 is IPv4. */
#define FAMILY_IPV4 0x01
/* RFC 8656 §18.7: REQUESTED-TRANSPORT 17 is UDP. */
#define PROTOCOL_UDP 17

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

typedef struct turn_user {
  char* name;
  uint8_t key[RTC_TURN_KEY_SIZE]; /* MD5(name:realm:password) */
} turn_user;

typedef struct allocation {
  struct allocation* next;
  rtc_sim_turn_server* server;
  rtc_socket_address client; /* the 5-tuple's remote end */
  tcp_conn* conn;            /* over TCP: its connection */
  size_t user;               /* who made it (RFC 8656 §5) */
  /* The Allocate that made it, to answer its retransmissions. */
  uint8_t transaction_id[RTC_STUN_TRANSACTION_ID_SIZE];
  uint32_t lifetime_s;
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
  turn_user* users;
  size_t user_count;
  uint32_t min_lifetime_s;
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
  /* Client transport addresses whose 5-tuples another allocation holds. */
  rtc_socket_address squatted[MAX_SQUATTED];
  size_t squatted_count;
  size_t squat_next; /* client addresses still to squat as they come */
  rtc_sim_turn_stats stats;
};

static int64_t now_us(const rtc_sim_turn_server* s) {
  return rtc_task_queue_now_us(s->queue);
}

static void conn_fail(tcp_conn* c);

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
  if (c->backlog_size + size - accepted > MAX_BACKLOG) {
    conn_fail(c);
    return;
  }
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
  /* Once authenticated: the user, whose key signs every answer. */
  const turn_user* user;
} request;

static void new_nonce(rtc_sim_turn_server* s) {
  snprintf(s->nonce, sizeof(s->nonce), "sim-nonce-%u",
           (unsigned)++s->nonce_counter);
  s->nonce_issued_us = now_us(s);
}

static bool nonce_is_fresh(const rtc_sim_turn_server* s) {
  return now_us(s) - s->nonce_issued_us < s->nonce_lifetime_us;
}

/* An answer to r: `error_code` 0 for a success. Signed with the user's key
 * when the request was authenticated (RFC 8489 §9.2.4: "the server MUST
 * include a MESSAGE-INTEGRITY ... in the response"), with FINGERPRINT.
 * `add` (may be NULL) adds the method's attributes. */
static void respond(const request* r,
                    int error_code,
                    void (*add)(rtc_stun_builder* b, void* arg),
                    void* arg) {
  rtc_sim_turn_server* s = r->server;
  uint16_t klass = error_code ? RTC_STUN_CLASS_ERROR : RTC_STUN_CLASS_SUCCESS;
  uint8_t buf[1024];
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, buf, sizeof(buf),
                        rtc_stun_type(rtc_stun_method(r->msg->type), klass),
                        r->msg->transaction_id);
  if (error_code) {
    rtc_stun_add_error_code(&b, error_code, NULL);
    if (error_code == RTC_STUN_ERROR_BAD_REQUEST)
      s->stats.bad_requests++;
    if (error_code == RTC_STUN_ERROR_UNAUTHORIZED ||
        error_code == RTC_STUN_ERROR_STALE_NONCE) {
      if (!nonce_is_fresh(s))
        new_nonce(s);
      rtc_stun_add_attribute(&b, RTC_STUN_ATTR_REALM, s->realm,
                             strlen(s->realm));
      rtc_stun_add_attribute(&b, RTC_STUN_ATTR_NONCE, s->nonce,
                             strlen(s->nonce));
    }
  }
  if (add)
    add(&b, arg);
  if (r->user)
    rtc_stun_add_message_integrity(&b, r->user->key, sizeof(r->user->key));
  rtc_stun_add_fingerprint(&b);
  size_t len;
  if (rtc_stun_builder_finish(&b, &len) == RTC_OK)
    to_client(s, r->conn, &r->client, buf, len);
}

static const turn_user* find_user(const rtc_sim_turn_server* s,
                                  const char* name,
                                  size_t len) {
  for (size_t i = 0; i < s->user_count; i++) {
    if (strlen(s->users[i].name) == len &&
        memcmp(s->users[i].name, name, len) == 0)
      return &s->users[i];
  }
  return NULL;
}

/* RFC 8489 §9.2.4: the long-term credential checks, in the RFC's order.
 * True when the request may go on (r->user is set); otherwise the error
 * was sent. */
static bool authenticate(request* r) {
  rtc_sim_turn_server* s = r->server;
  const rtc_stun_message* m = r->msg;
  const char *name, *realm, *nonce;
  size_t name_len, realm_len, nonce_len;
  /* "If the message does not contain a MESSAGE-INTEGRITY ... attribute,
   * the server MUST generate an error response with an error code of 401
   * (Unauthenticated). This response MUST include a REALM value ... [and]
   * a NONCE". */
  if (!rtc_stun_find(m, RTC_STUN_ATTR_MESSAGE_INTEGRITY)) {
    s->stats.unauthorized++;
    respond(r, RTC_STUN_ERROR_UNAUTHORIZED, NULL, NULL);
    return false;
  }
  /* "If the message contains a MESSAGE-INTEGRITY ... attribute, but is
   * missing either the USERNAME or USERHASH, REALM, or NONCE attribute,
   * the server MUST generate an error response with an error code of 400
   * (Bad Request). This response SHOULD NOT include a USERNAME, USERHASH,
   * NONCE, or REALM." */
  if (rtc_stun_get_username(m, &name, &name_len) != RTC_OK ||
      rtc_stun_get_text(m, RTC_STUN_ATTR_REALM, 763, &realm, &realm_len) !=
          RTC_OK ||
      rtc_stun_get_text(m, RTC_STUN_ATTR_NONCE, 763, &nonce, &nonce_len) !=
          RTC_OK) {
    respond(r, RTC_STUN_ERROR_BAD_REQUEST, NULL, NULL);
    return false;
  }
  /* "If the NONCE is no longer valid, the server MUST generate an error
   * response with an error code of 438 (Stale Nonce). This response MUST
   * include NONCE and REALM attributes". A nonce we never gave (or gave
   * before the current one) is no longer valid either. */
  if (!nonce_is_fresh(s) || nonce_len != strlen(s->nonce) ||
      memcmp(nonce, s->nonce, nonce_len) != 0) {
    s->stats.stale_nonce++;
    respond(r, RTC_STUN_ERROR_STALE_NONCE, NULL, NULL);
    return false;
  }
  /* "If the value of the USERNAME ... attribute is not valid, the server
   * MUST generate an error response with an error code of 401
   * (Unauthenticated)." Then "Using the password associated with the
   * username ... compute the value for the message integrity ... If the
   * resulting value does not match ..., the server MUST reject the
   * request with an error response. This response MUST use an error code
   * of 401 (Unauthenticated)." (The key covers the realm: a request for
   * another realm fails here too.) */
  const turn_user* u = find_user(s, name, name_len);
  if (!u || realm_len != strlen(s->realm) ||
      memcmp(realm, s->realm, realm_len) != 0 ||
      rtc_stun_check_integrity(m, u->key, sizeof(u->key)) != RTC_OK) {
    s->stats.unauthorized++;
    respond(r, RTC_STUN_ERROR_UNAUTHORIZED, NULL, NULL);
    return false;
  }
  r->user = u;
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

/* RFC 8656 §7.2 (and §7.5 for Refresh): "the server computes ... the
 * minimum of the client's requested lifetime and the server's maximum
 * allowed lifetime. If this computed value is greater than the default
 * lifetime, then the server uses the computed lifetime ... Otherwise, the
 * server uses the default lifetime." The floor is min_lifetime_s (the
 * default unless a test lowers it). Refresh's LIFETIME 0 is the caller's. */
static uint32_t granted_lifetime(const rtc_sim_turn_server* s,
                                 const rtc_stun_message* m) {
  uint32_t lifetime = DEFAULT_LIFETIME_S;
  uint32_t asked;
  if (rtc_stun_get_u32(m, RTC_STUN_ATTR_LIFETIME, &asked) == RTC_OK)
    lifetime = asked;
  if (lifetime > s->max_lifetime_s)
    lifetime = s->max_lifetime_s;
  if (lifetime < s->min_lifetime_s)
    lifetime = s->min_lifetime_s;
  return lifetime;
}

static void handle_allocate(const request* r) {
  rtc_sim_turn_server* s = r->server;
  /* RFC 8656 §7.2 step 2: "The server checks if the 5-tuple is currently
   * in use by an existing allocation. If yes, the server rejects the
   * request with a 437 (Allocation Mismatch) error." A retransmission of
   * the Allocate that made it (its success was lost) gets that success
   * again (§7.2: the server remembers the transaction). */
  allocation* existing = find_allocation(s, r->conn, &r->client);
  bool squatted = false;
  for (size_t i = 0; i < s->squatted_count && !squatted; i++)
    squatted = rtc_socket_address_equal(&s->squatted[i], &r->client);
  if (!squatted && !existing && s->squat_next > 0 &&
      s->squatted_count < MAX_SQUATTED) {
    s->squat_next--;
    s->squatted[s->squatted_count++] = r->client;
    squatted = true;
  }
  if (squatted) {
    s->stats.mismatches++;
    respond(r, RTC_STUN_ERROR_ALLOCATION_MISMATCH, NULL, NULL);
    return;
  }
  if (existing) {
    if (memcmp(existing->transaction_id, r->msg->transaction_id,
               sizeof(existing->transaction_id)) == 0 &&
        &s->users[existing->user] == r->user) {
      allocate_reply reply = {existing, &r->client, existing->lifetime_s};
      respond(r, 0, add_allocate_reply, &reply);
      return;
    }
    respond(r, RTC_STUN_ERROR_ALLOCATION_MISMATCH, NULL, NULL);
    return;
  }
  /* Step 3: "The server checks if the request contains a
   * REQUESTED-TRANSPORT attribute. If the REQUESTED-TRANSPORT attribute is
   * not included or is malformed, the server rejects the request with a
   * 400 (Bad Request) error. Otherwise, if the attribute indicates an
   * unsupported transport protocol, the server rejects the request with a
   * 442 (Unsupported Transport Protocol) error." */
  const rtc_stun_attribute* t =
      rtc_stun_find(r->msg, RTC_STUN_ATTR_REQUESTED_TRANSPORT);
  if (!t || t->length != 4) {
    respond(r, RTC_STUN_ERROR_BAD_REQUEST, NULL, NULL);
    return;
  }
  if (rtc_stun_value(r->msg, t)[0] != PROTOCOL_UDP) {
    respond(r, RTC_STUN_ERROR_UNSUPPORTED_TRANSPORT, NULL, NULL);
    return;
  }
  /* §7.2 step 8 / §18.8: only IPv4 relays here: "If the server does not
   * support the address family requested by the client in
   * REQUESTED-ADDRESS-FAMILY, it MUST generate an Allocate error response
   * ... with 440 (Address Family not Supported)". */
  const rtc_stun_attribute* fam =
      rtc_stun_find(r->msg, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
  if (fam) {
    if (fam->length != 4) {
      respond(r, RTC_STUN_ERROR_BAD_REQUEST, NULL, NULL);
      return;
    }
    if (rtc_stun_value(r->msg, fam)[0] != FAMILY_IPV4) {
      respond(r, RTC_STUN_ERROR_ADDRESS_FAMILY_NOT_SUPPORTED, NULL, NULL);
      return;
    }
  }
  allocation* a = rtc_calloc(1, sizeof(*a));
  if (!a) {
    respond(r, RTC_STUN_ERROR_INSUFFICIENT_CAPACITY, NULL, NULL);
    return;
  }
  a->server = s;
  a->client = r->client;
  a->conn = r->conn;
  a->user = (size_t)(r->user - s->users);
  memcpy(a->transaction_id, r->msg->transaction_id, sizeof(a->transaction_id));
  /* The relayed transport address: a new UDP socket of the host, on the
   * server's address and a port the host picks. */
  rtc_socket_address bind = s->address;
  bind.port = 0;
  if (rtc_socket_factory_create_udp(s->factory, s->queue, &bind, NULL,
                                    &kRelayObserver, a, &a->relay) != RTC_OK ||
      rtc_packet_socket_local_address(a->relay, &a->relayed) != RTC_OK) {
    rtc_packet_socket_destroy(a->relay);
    rtc_free(a);
    respond(r, RTC_STUN_ERROR_INSUFFICIENT_CAPACITY, NULL, NULL);
    return;
  }
  a->lifetime_s = granted_lifetime(s, r->msg);
  a->expires_us = now_us(s) + (int64_t)a->lifetime_s * RTC_US_PER_SEC;
  a->next = s->allocations;
  s->allocations = a;
  s->stats.allocations++;
  s->stats.allocations_alive++;
  if (r->conn)
    s->stats.tcp_allocations++;
  schedule_expiry(s);
  /* §7.2: the success carries XOR-RELAYED-ADDRESS, LIFETIME and
   * XOR-MAPPED-ADDRESS (the client's address as the server sees it: its
   * NAT's mapping). */
  allocate_reply reply = {a, &r->client, a->lifetime_s};
  respond(r, 0, add_allocate_reply, &reply);
}

static void handle_refresh(const request* r, allocation* a) {
  rtc_sim_turn_server* s = r->server;
  uint32_t asked = 1;
  if (rtc_stun_get_u32(r->msg, RTC_STUN_ATTR_LIFETIME, &asked) != RTC_OK)
    asked = 1; /* absent: the default, not a deletion */
  allocate_reply reply = {NULL, NULL, 0};
  if (asked == 0) {
    /* RFC 8656 §7.5: "If the requested lifetime is zero, then the server
     * MUST immediately delete the allocation." */
    s->stats.deallocated++;
    free_allocation(s, a);
    schedule_expiry(s);
  } else {
    s->stats.refreshes++;
    reply.lifetime_s = granted_lifetime(s, r->msg);
    a->expires_us = now_us(s) + (int64_t)reply.lifetime_s * RTC_US_PER_SEC;
    schedule_expiry(s);
  }
  respond(r, 0, add_allocate_reply, &reply);
}

/* The XOR-PEER-ADDRESS attributes of m, one by one. */
static rtc_error peer_address_at(const rtc_stun_message* m,
                                 size_t index,
                                 rtc_socket_address* out) {
  rtc_stun_message one = *m;
  one.attributes[0] = m->attributes[index];
  one.attribute_count = 1;
  return rtc_stun_get_xor_address(&one, RTC_STUN_ATTR_XOR_PEER_ADDRESS, out);
}

static void handle_create_permission(const request* r, allocation* a) {
  rtc_sim_turn_server* s = r->server;
  int64_t now = now_us(s);
  /* RFC 8656 §9.2: "When the server receives the CreatePermission
   * request, it processes as per Section 5 plus the specific rules
   * mentioned here. The message is checked for validity. The
   * CreatePermission request MUST contain at least one XOR-PEER-ADDRESS
   * attribute ... If an XOR-PEER-ADDRESS attribute contains an address of
   * an address family that is not the same as that of a relayed transport
   * address for the allocation, the server MUST generate an error response
   * with the 443 (Peer Address Family Mismatch) response code." All are
   * checked before any is installed: all or nothing. */
  size_t peers = 0;
  for (size_t i = 0; i < r->msg->attribute_count; i++) {
    if (r->msg->attributes[i].type != RTC_STUN_ATTR_XOR_PEER_ADDRESS)
      continue;
    rtc_socket_address peer;
    if (peer_address_at(r->msg, i, &peer) != RTC_OK) {
      respond(r, RTC_STUN_ERROR_BAD_REQUEST, NULL, NULL);
      return;
    }
    if (peer.family != a->relayed.family) {
      respond(r, RTC_STUN_ERROR_PEER_ADDRESS_FAMILY_MISMATCH, NULL, NULL);
      return;
    }
    peers++;
  }
  if (peers == 0) {
    respond(r, RTC_STUN_ERROR_BAD_REQUEST, NULL, NULL);
    return;
  }
  for (size_t i = 0; i < r->msg->attribute_count; i++) {
    rtc_socket_address peer;
    if (r->msg->attributes[i].type != RTC_STUN_ATTR_XOR_PEER_ADDRESS ||
        peer_address_at(r->msg, i, &peer) != RTC_OK)
      continue;
    if (!add_permission(a, &peer, now)) {
      /* "If the server is unable to fulfill the request, the server
       * replies with a 508 (Insufficient Capacity) error". */
      respond(r, RTC_STUN_ERROR_INSUFFICIENT_CAPACITY, NULL, NULL);
      return;
    }
  }
  s->stats.permissions++;
  respond(r, 0, NULL, NULL);
}

static void handle_channel_bind(const request* r, allocation* a) {
  rtc_sim_turn_server* s = r->server;
  int64_t now = now_us(s);
  uint16_t number;
  rtc_socket_address peer;
  /* RFC 8656 §11.2: "The request contains both a CHANNEL-NUMBER and an
   * XOR-PEER-ADDRESS attribute; The channel number is in the range 0x4000
   * through 0x4FFF (inclusive)" or 400. */
  if (rtc_stun_get_channel_number(r->msg, &number) != RTC_OK ||
      !rtc_turn_channel_is_valid(number) ||
      rtc_stun_get_xor_address(r->msg, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &peer) !=
          RTC_OK) {
    respond(r, RTC_STUN_ERROR_BAD_REQUEST, NULL, NULL);
    return;
  }
  /* "If the XOR-PEER-ADDRESS attribute contains an address of an address
   * family that is not the same as that of a relayed transport address for
   * the allocation, the server MUST generate an error response with the
   * 443 (Peer Address Family Mismatch) response code." */
  if (peer.family != a->relayed.family) {
    respond(r, RTC_STUN_ERROR_PEER_ADDRESS_FAMILY_MISMATCH, NULL, NULL);
    return;
  }
  /* "The channel number is not currently bound to a different transport
   * address (same transport address is OK); The transport address is not
   * currently bound to a different channel number." Otherwise 400. */
  channel* by_number = channel_by_number(a, number, now);
  channel* by_peer = channel_by_peer(a, &peer, now);
  if ((by_number && !rtc_socket_address_equal(&by_number->peer, &peer)) ||
      (by_peer && by_peer->number != number)) {
    respond(r, RTC_STUN_ERROR_BAD_REQUEST, NULL, NULL);
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
  /* "If the server is unable to fulfill the request, the server replies
   * with a 508 (Insufficient Capacity) error." Otherwise it "creates or
   * refreshes the channel binding ... [and] installs or refreshes a
   * permission for the IP address". */
  if (!ch || !add_permission(a, &peer, now)) {
    respond(r, RTC_STUN_ERROR_INSUFFICIENT_CAPACITY, NULL, NULL);
    return;
  }
  ch->number = number;
  ch->peer = peer;
  ch->expires_us = now + CHANNEL_LIFETIME_US;
  s->stats.channel_binds++;
  respond(r, 0, NULL, NULL);
}

static void add_mapped(rtc_stun_builder* b, void* arg) {
  rtc_stun_add_xor_mapped_address(b, arg);
}

static void relay_to_peer(rtc_sim_turn_server* s,
                          allocation* a,
                          const rtc_socket_address* peer,
                          const uint8_t* data,
                          size_t size) {
  if (!a || peer->family != a->relayed.family ||
      !permitted(a, peer, now_us(s))) {
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

static void count_request(rtc_sim_turn_stats* st, uint16_t method) {
  switch (method) {
    case RTC_STUN_METHOD_BINDING:
      st->binding_requests++;
      break;
    case RTC_STUN_METHOD_ALLOCATE:
      st->allocate_requests++;
      break;
    case RTC_STUN_METHOD_REFRESH:
      st->refresh_requests++;
      break;
    case RTC_STUN_METHOD_CREATE_PERMISSION:
      st->create_permission_requests++;
      break;
    case RTC_STUN_METHOD_CHANNEL_BIND:
      st->channel_bind_requests++;
      break;
    default:
      break;
  }
}

/* ChannelData from a client (RFC 8656 §12.5): to the channel's peer. */
static void handle_channel_data(rtc_sim_turn_server* s,
                                allocation* a,
                                bool stream,
                                const uint8_t* data,
                                size_t size) {
  uint16_t number;
  const uint8_t* payload;
  size_t payload_len;
  channel* ch = NULL;
  if (a && rtc_turn_channel_data_parse(
               data, size,
               stream ? RTC_TURN_FRAMING_STREAM : RTC_TURN_FRAMING_DATAGRAM,
               &number, &payload, &payload_len) == RTC_OK)
    ch = channel_by_number(a, number, now_us(s));
  /* "If the ChannelData message is received on a channel that is not
   * bound to any peer, then the message is silently discarded." */
  if (!ch) {
    s->stats.dropped++;
    return;
  }
  s->stats.to_peers_channel++;
  relay_to_peer(s, a, &ch->peer, payload, payload_len);
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
  /* RFC 8656 §12: ChannelData starts with 0b01 (channel numbers
   * 0x4000-0x4FFF), STUN with 0b00 (RFC 7983). */
  if (size >= RTC_TURN_CHANNEL_HEADER_SIZE && data[0] >= 0x40 &&
      data[0] <= 0x4F) {
    handle_channel_data(s, a, conn != NULL, data, size);
    return;
  }
  rtc_stun_message msg;
  if (rtc_stun_parse(data, size, &msg) != RTC_OK) {
    s->stats.dropped++;
    return;
  }
  request r = {s, conn, *client, &msg, NULL};
  uint16_t method = rtc_stun_method(msg.type);
  uint16_t klass = rtc_stun_class(msg.type);
  if (klass == RTC_STUN_CLASS_INDICATION) {
    /* RFC 8656 §10.2: a Send indication needs XOR-PEER-ADDRESS and DATA,
     * an allocation and a permission; "If any of these conditions is
     * not met, the Send indication is silently discarded" (the other
     * indications too). */
    rtc_socket_address peer;
    const rtc_stun_attribute* d = rtc_stun_find(&msg, RTC_STUN_ATTR_DATA);
    if (method == RTC_STUN_METHOD_SEND)
      s->stats.send_indications++;
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
    return; /* responses are for clients */
  count_request(&s->stats, method);
  if (method == RTC_STUN_METHOD_BINDING) {
    /* RFC 8489 §6.3.1: a Binding request is answered without
     * credentials, with XOR-MAPPED-ADDRESS. */
    respond(&r, 0, add_mapped, &r.client);
    return;
  }
  if (method != RTC_STUN_METHOD_ALLOCATE && method != RTC_STUN_METHOD_REFRESH &&
      method != RTC_STUN_METHOD_CREATE_PERMISSION &&
      method != RTC_STUN_METHOD_CHANNEL_BIND) {
    respond(&r, RTC_STUN_ERROR_BAD_REQUEST, NULL, NULL);
    return;
  }
  /* RFC 8656 §5: every TURN request is authenticated. */
  if (!authenticate(&r))
    return;
  /* RFC 8489 §6.3.1.1: "If the request contains one or more unknown
   * comprehension-required attributes, the server replies with an error
   * response with an error code of 420 (Unknown Attribute)". */
  if (has_unknown_required(&msg)) {
    respond(&r, RTC_STUN_ERROR_UNKNOWN_ATTRIBUTE, NULL, NULL);
    return;
  }
  if (method == RTC_STUN_METHOD_ALLOCATE) {
    handle_allocate(&r);
    return;
  }
  if (!a) {
    /* RFC 8656 §7.5 (and §9.2, §11.2): "If the server receives a Refresh
     * Request with a ... 5-tuple [that] does not match an allocation ...
     * 437 (Allocation Mismatch)". */
    respond(&r, RTC_STUN_ERROR_ALLOCATION_MISMATCH, NULL, NULL);
    return;
  }
  /* RFC 8656 §5: "the server MUST verify that the USERNAME ... is the same
   * as the one used in the Allocate request that created the allocation.
   * If they differ, the server MUST reject the request with a 441 (Wrong
   * Credentials) error." */
  if (r.user != &s->users[a->user]) {
    s->stats.wrong_credentials++;
    respond(&r, RTC_STUN_ERROR_WRONG_CREDENTIALS, NULL, NULL);
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
  s->stats.tcp_connections++;
  c->next = s->conns;
  s->conns = c;
  rtc_stream_socket_set_observer(socket, &kConnObserver, c);
}

static const rtc_stream_listener_observer kListenerObserver = {
    .on_accept = on_accept,
};

/* --- Lifecycle --- */

static rtc_error add_user(rtc_sim_turn_server* s,
                          const char* name,
                          const char* password) {
  if (!name || !password)
    return RTC_ERR_INVALID_ARGUMENT;
  turn_user* u = &s->users[s->user_count];
  u->name = rtc_strdup(name);
  if (!u->name)
    return RTC_ERR_NO_MEMORY;
  s->user_count++;
  /* RFC 8489 §9.2.2: key = MD5(username ":" realm ":" password). */
  return rtc_turn_long_term_key(name, strlen(name), s->realm, strlen(s->realm),
                                password, strlen(password), u->key);
}

rtc_error rtc_sim_turn_server_create(rtc_socket_factory* factory,
                                     rtc_task_queue* queue,
                                     const rtc_sim_turn_server_config* config,
                                     rtc_sim_turn_server** out) {
  *out = NULL;
  size_t users = config->user_count + (config->username ? 1 : 0);
  if (!config->realm || users == 0 || (config->user_count && !config->users))
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sim_turn_server* s = rtc_calloc(1, sizeof(*s));
  if (!s)
    return RTC_ERR_NO_MEMORY;
  s->factory = factory;
  s->queue = queue;
  s->address = config->address;
  s->max_lifetime_s = config->max_lifetime_s ? config->max_lifetime_s : 3600;
  s->min_lifetime_s =
      config->min_lifetime_s ? config->min_lifetime_s : DEFAULT_LIFETIME_S;
  if (s->min_lifetime_s > s->max_lifetime_s)
    s->min_lifetime_s = s->max_lifetime_s;
  s->nonce_lifetime_us = 3600 * RTC_US_PER_SEC;
  rtc_timer_init(&s->expiry, queue, on_expiry, s);
  rtc_error err = rtc_safety_flag_create(&s->flag);
  if (err != RTC_OK) {
    rtc_free(s);
    return err;
  }
  err = RTC_ERR_NO_MEMORY;
  s->realm = rtc_strdup(config->realm);
  s->users = rtc_calloc(users, sizeof(*s->users));
  if (!s->realm || !s->users)
    goto fail;
  if (config->username) {
    err = add_user(s, config->username, config->password);
    if (err != RTC_OK)
      goto fail;
  }
  for (size_t i = 0; i < config->user_count; i++) {
    err = add_user(s, config->users[i].username, config->users[i].password);
    if (err != RTC_OK)
      goto fail;
  }
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
  rtc_safety_flag_set_not_alive(s->flag);
  rtc_safety_flag_unref(s->flag);
  while (s->conns)
    conn_free(s, s->conns);
  while (s->allocations)
    free_allocation(s, s->allocations);
  /* Last: freeing a connection's allocation reschedules the timer. */
  rtc_timer_stop(&s->expiry);
  rtc_stream_listener_destroy(s->listener);
  rtc_packet_socket_destroy(s->udp);
  for (size_t i = 0; i < s->user_count; i++)
    rtc_free(s->users[i].name);
  rtc_free(s->users);
  rtc_free(s->realm);
  rtc_free(s);
}

void rtc_sim_turn_server_get_stats(const rtc_sim_turn_server* s,
                                   rtc_sim_turn_stats* out) {
  *out = s->stats;
  int64_t now = now_us(s);
  out->permissions_alive = 0;
  out->channels_alive = 0;
  for (const allocation* a = s->allocations; a; a = a->next) {
    for (size_t i = 0; i < a->permission_count; i++)
      out->permissions_alive += a->permissions[i].expires_us > now;
    for (size_t i = 0; i < a->channel_count; i++)
      out->channels_alive += a->channels[i].expires_us > now;
  }
}

size_t rtc_sim_turn_server_allocation_count(const rtc_sim_turn_server* s) {
  return (size_t)s->stats.allocations_alive;
}

void rtc_sim_turn_server_squat_next_clients(rtc_sim_turn_server* s,
                                            size_t count) {
  s->squat_next = count;
}

void rtc_sim_turn_server_set_silent(rtc_sim_turn_server* s, bool silent) {
  s->silent = silent;
}

void rtc_sim_turn_server_set_nonce_lifetime(rtc_sim_turn_server* s,
                                            int64_t lifetime_us) {
  s->nonce_lifetime_us = lifetime_us;
}

void rtc_sim_turn_server_expire_nonce(rtc_sim_turn_server* s) {
  /* The next request's nonce no longer matches: 438 with the new one. */
  new_nonce(s);
}
