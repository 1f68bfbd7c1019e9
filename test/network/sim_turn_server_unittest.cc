// The simulated TURN server (sim_turn_server.h) driven by the real TURN
// client (p2p/turn_client.h) over the simulated network: UDP and TCP,
// clients behind NATs, minutes of simulated time. A few raw STUN requests
// check the server's error answers the client never provokes.

#include "test/network/sim_turn_server.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "p2p/packet_socket.h"
#include "p2p/stream_socket.h"
#include "p2p/stun.h"
#include "p2p/turn_client.h"
#include "p2p/turn_message.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/task_queue.h"
#include "rtc_base/timer.h"
#include "test/network/sim_network.h"

namespace {

// Every socket of a host: UDP, TCP connections and listeners.
size_t AllSockets(const rtc_sim_host* host) {
  return rtc_sim_host_socket_count(host) + rtc_sim_host_tcp_socket_count(host);
}

constexpr int64_t kMs = 1000;
constexpr int64_t kSec = RTC_US_PER_SEC;
constexpr int64_t kMin = 60 * kSec;
const char kRealm[] = "sim.test";
const char kUser[] = "alice";
const char kPass[] = "secret";
const char kServer[] = "198.51.100.9:3478";

rtc_socket_address Addr(const char* text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text, strlen(text), &a), RTC_OK) << text;
  return a;
}

std::string Str(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&a, buf, sizeof(buf));
  return buf;
}

std::string IpOf(const rtc_socket_address& a) {
  rtc_socket_address ip = a;
  ip.port = 0;
  std::string s = Str(ip);
  return s.substr(0, s.rfind(':'));
}

// The host's own address, port 0 (any).
rtc_socket_address LocalOf(rtc_sim_host* host) {
  rtc_socket_address a = {};
  EXPECT_EQ(rtc_socket_factory_default_route_address(
                rtc_sim_host_socket_factory(host), RTC_AF_INET, &a),
            RTC_OK);
  a.port = 0;
  return a;
}

// Calls made from the test body count as made on `queue`.
class ScopedOnQueue {
 public:
  explicit ScopedOnQueue(rtc_task_queue* queue)
      : previous_(rtc_task_queue_set_current(queue)) {}
  ~ScopedOnQueue() { rtc_task_queue_set_current(previous_); }

 private:
  rtc_task_queue* previous_;
};

// --- The real client on a simulated host, over UDP or TCP ---

class Client {
 public:
  Client(rtc_task_queue* queue,
         rtc_sim_host* host,
         rtc_turn_framing framing,
         const char* password = kPass,
         uint32_t ask_lifetime_s = 0,
         const char* user = kUser)
      : queue_(queue), host_(host), framing_(framing) {
    ScopedOnQueue on(queue_);
    server_ = Addr(kServer);
    rtc_timer_init(&timer_, queue_, &Client::OnTimer, this);
    rtc_turn_client_config config;
    rtc_turn_client_config_init(&config);
    config.framing = framing;
    config.username = user;
    config.password = password;
    config.lifetime_s = ask_lifetime_s;
    static const rtc_turn_client_observer kObserver = {&Client::OnSend,
                                                       &Client::OnEvent};
    EXPECT_EQ(rtc_turn_client_create(&config, &kObserver, this, &client_),
              RTC_OK);
    rtc_socket_factory* f = rtc_sim_host_socket_factory(host_);
    rtc_socket_address local = LocalOf(host_);
    if (framing == RTC_TURN_FRAMING_DATAGRAM) {
      static const rtc_packet_socket_observer kUdp = {&Client::OnPackets,
                                                      nullptr, nullptr};
      EXPECT_EQ(rtc_socket_factory_create_udp(f, queue_, &local, nullptr, &kUdp,
                                              this, &udp_),
                RTC_OK);
    } else {
      static const rtc_stream_socket_observer kTcp = {
          &Client::OnConnected, &Client::OnData, nullptr, &Client::OnClosed};
      EXPECT_EQ(rtc_socket_factory_connect_tcp(f, queue_, &local, &server_,
                                               &kTcp, this, &tcp_),
                RTC_OK);
    }
  }

  ~Client() {
    ScopedOnQueue on(queue_);
    rtc_timer_stop(&timer_);
    rtc_turn_client_destroy(client_);
    rtc_packet_socket_destroy(udp_);
    rtc_stream_socket_destroy(tcp_);
  }

  int64_t Now() const { return rtc_task_queue_now_us(queue_); }

  // UDP: at once; TCP: once connected.
  void Start() {
    ScopedOnQueue on(queue_);
    if (framing_ == RTC_TURN_FRAMING_STREAM && !connected_) {
      start_on_connect_ = true;
      return;
    }
    EXPECT_EQ(rtc_turn_client_start(client_, Now()), RTC_OK);
    Reschedule();
  }

  void Close() {
    ScopedOnQueue on(queue_);
    rtc_turn_client_close(client_, Now());
    Reschedule();
  }

  // The client is gone, without deallocating (it crashed): its socket
  // stays, and what arrives on it is only counted.
  void Freeze() {
    ScopedOnQueue on(queue_);
    rtc_timer_stop(&timer_);
    rtc_turn_client_destroy(client_);
    client_ = nullptr;
  }

  // The TCP connection goes away (the client host closed it).
  void DropConnection() {
    ScopedOnQueue on(queue_);
    rtc_stream_socket_destroy(tcp_);
    tcp_ = nullptr;
    rtc_turn_client_handle_stream_closed(client_, Now());
    Reschedule();
  }

  rtc_error Send(const rtc_socket_address& peer, const std::string& data) {
    ScopedOnQueue on(queue_);
    rtc_error err = rtc_turn_client_send(
        client_, &peer, reinterpret_cast<const uint8_t*>(data.data()),
        data.size(), Now());
    Reschedule();
    return err;
  }

  void Permit(const rtc_socket_address& peer) {
    ScopedOnQueue on(queue_);
    EXPECT_EQ(rtc_turn_client_create_permission(client_, &peer, Now()), RTC_OK);
    Reschedule();
  }

  uint16_t Bind(const rtc_socket_address& peer) {
    ScopedOnQueue on(queue_);
    uint16_t channel = 0;
    EXPECT_EQ(rtc_turn_client_bind_channel(client_, &peer, Now(), &channel),
              RTC_OK);
    Reschedule();
    return channel;
  }

  rtc_turn_state State() const { return rtc_turn_client_state(client_); }
  bool HasChannel(const rtc_socket_address& peer) const {
    return rtc_turn_client_has_channel(client_, &peer);
  }

  int Count(rtc_turn_event_type type) const {
    int n = 0;
    for (const rtc_turn_event& e : events)
      n += e.type == type;
    return n;
  }
  const rtc_turn_event* Last(rtc_turn_event_type type) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->type == type)
        return &*it;
    }
    return nullptr;
  }

  std::vector<rtc_turn_event> events;  // data pointers cleared
  std::vector<std::string> received;   // DATA payloads
  std::vector<rtc_socket_address> received_from;
  std::vector<uint16_t> received_channel;
  rtc_socket_address relayed = {};
  rtc_socket_address mapped = {};
  uint32_t lifetime_s = 0;
  bool connected_ = false;
  bool closed_ = false;
  size_t frozen_packets = 0;  // arrived after Freeze()

 private:
  void Reschedule() {
    if (!client_)
      return;
    int64_t next = rtc_turn_client_next_deadline_us(client_);
    if (next == INT64_MAX)
      rtc_timer_stop(&timer_);
    else
      EXPECT_EQ(rtc_timer_start_at(&timer_, next), RTC_OK);
  }

  static void OnTimer(void* arg) {
    auto* self = static_cast<Client*>(arg);
    rtc_turn_client_handle_timeout(self->client_, self->Now());
    self->Reschedule();
  }

  static rtc_error OnSend(void* user, const uint8_t* data, size_t size) {
    auto* self = static_cast<Client*>(user);
    if (self->udp_)
      return rtc_packet_socket_send_to(self->udp_, data, size, &self->server_);
    if (!self->tcp_)
      return RTC_ERR_CLOSED;
    size_t accepted = 0;
    rtc_error err = rtc_stream_socket_send(self->tcp_, data, size, &accepted);
    EXPECT_EQ(accepted, size);  // the simulated stream buffers 256 KiB
    return err;
  }

  static void OnEvent(void* user, const rtc_turn_event* event) {
    auto* self = static_cast<Client*>(user);
    rtc_turn_event copy = *event;
    copy.data = nullptr;
    self->events.push_back(copy);
    if (event->type == RTC_TURN_EVENT_ALLOCATED) {
      self->relayed = event->relayed;
      self->mapped = event->mapped;
      self->lifetime_s = event->lifetime_s;
    }
    if (event->type == RTC_TURN_EVENT_DATA) {
      self->received.emplace_back(reinterpret_cast<const char*>(event->data),
                                  event->size);
      self->received_from.push_back(event->peer);
      self->received_channel.push_back(event->channel);
    }
  }

  static void OnPackets(void* user,
                        rtc_packet_socket* socket,
                        const rtc_received_packet* packets,
                        size_t count) {
    auto* self = static_cast<Client*>(user);
    (void)socket;
    for (size_t i = 0; i < count; i++) {
      if (!self->client_) {
        self->frozen_packets++;
        continue;
      }
      if (!rtc_socket_address_equal(&packets[i].source, &self->server_))
        continue;
      EXPECT_EQ(rtc_turn_client_handle_datagram(self->client_, packets[i].data,
                                                packets[i].size, self->Now()),
                RTC_OK);
    }
    self->Reschedule();
  }

  static void OnConnected(void* user, rtc_stream_socket* socket) {
    auto* self = static_cast<Client*>(user);
    (void)socket;
    self->connected_ = true;
    if (self->start_on_connect_) {
      EXPECT_EQ(rtc_turn_client_start(self->client_, self->Now()), RTC_OK);
      self->Reschedule();
    }
  }

  static void OnData(void* user,
                     rtc_stream_socket* socket,
                     const uint8_t* data,
                     size_t size) {
    auto* self = static_cast<Client*>(user);
    (void)socket;
    if (!self->client_) {
      self->frozen_packets++;
      return;
    }
    EXPECT_EQ(
        rtc_turn_client_handle_stream(self->client_, data, size, self->Now()),
        RTC_OK);
    self->Reschedule();
  }

  static void OnClosed(void* user, rtc_stream_socket* socket, rtc_error e) {
    auto* self = static_cast<Client*>(user);
    (void)socket;
    (void)e;
    self->closed_ = true;
    if (self->client_) {
      rtc_turn_client_handle_stream_closed(self->client_, self->Now());
      self->Reschedule();
    }
  }

  rtc_task_queue* queue_;
  rtc_sim_host* host_;
  rtc_turn_framing framing_;
  rtc_socket_address server_;
  rtc_turn_client* client_ = nullptr;
  rtc_packet_socket* udp_ = nullptr;
  rtc_stream_socket* tcp_ = nullptr;
  rtc_timer timer_;
  bool start_on_connect_ = false;
};

// --- A peer: a plain UDP socket (or raw STUN to the server) ---

class Peer {
 public:
  Peer(rtc_task_queue* queue, rtc_sim_host* host) : queue_(queue) {
    ScopedOnQueue on(queue_);
    rtc_socket_address local = LocalOf(host);
    static const rtc_packet_socket_observer kObserver = {&Peer::OnPackets,
                                                         nullptr, nullptr};
    EXPECT_EQ(rtc_socket_factory_create_udp(rtc_sim_host_socket_factory(host),
                                            queue_, &local, nullptr, &kObserver,
                                            this, &socket_),
              RTC_OK);
    EXPECT_EQ(rtc_packet_socket_local_address(socket_, &address), RTC_OK);
  }
  ~Peer() {
    ScopedOnQueue on(queue_);
    rtc_packet_socket_destroy(socket_);
  }

  void SendTo(const rtc_socket_address& to, const std::string& data) {
    SendBytes(to, std::vector<uint8_t>(data.begin(), data.end()));
  }
  void SendBytes(const rtc_socket_address& to,
                 const std::vector<uint8_t>& data) {
    ScopedOnQueue on(queue_);
    EXPECT_EQ(rtc_packet_socket_send_to(socket_, data.data(), data.size(), &to),
              RTC_OK);
  }

  rtc_socket_address address;
  std::vector<std::string> received;
  std::vector<rtc_socket_address> received_from;

 private:
  static void OnPackets(void* user,
                        rtc_packet_socket* socket,
                        const rtc_received_packet* packets,
                        size_t count) {
    auto* self = static_cast<Peer*>(user);
    (void)socket;
    for (size_t i = 0; i < count; i++) {
      self->received.emplace_back(
          reinterpret_cast<const char*>(packets[i].data), packets[i].size);
      self->received_from.push_back(packets[i].source);
    }
  }

  rtc_task_queue* queue_;
  rtc_packet_socket* socket_ = nullptr;
};

// A STUN request, signed with user/password when nonce is not empty.
struct RawRequest {
  uint16_t method;
  std::string user = kUser;
  std::string password = kPass;
  std::string nonce;
  uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE] = {};
  int transport = 17;  // REQUESTED-TRANSPORT (Allocate), -1: none
  std::vector<rtc_socket_address> peers;
  uint16_t channel = 0;
  int family = 0;  // REQUESTED-ADDRESS-FAMILY, 0: none
  uint16_t unknown_required = 0;

  RawRequest(uint16_t m, const std::string& n) : method(m), nonce(n) {
    rtc_stun_new_transaction_id(id);
  }

  std::vector<uint8_t> Build() const {
    uint8_t buf[1024];
    rtc_stun_builder b;
    rtc_stun_builder_init(&b, buf, sizeof(buf),
                          rtc_stun_type(method, RTC_STUN_CLASS_REQUEST), id);
    if (method == RTC_STUN_METHOD_ALLOCATE && transport >= 0)
      rtc_stun_add_requested_transport(&b, static_cast<uint8_t>(transport));
    if (family) {
      uint8_t value[4] = {static_cast<uint8_t>(family), 0, 0, 0};
      rtc_stun_add_attribute(&b, RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, value,
                             sizeof(value));
    }
    if (channel)
      rtc_stun_add_channel_number(&b, channel);
    for (const rtc_socket_address& p : peers)
      rtc_stun_add_xor_address(&b, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &p);
    if (unknown_required) {
      uint8_t value[4] = {};
      rtc_stun_add_attribute(&b, unknown_required, value, sizeof(value));
    }
    if (!nonce.empty()) {
      rtc_stun_add_username(&b, user.data(), user.size());
      rtc_stun_add_attribute(&b, RTC_STUN_ATTR_REALM, kRealm, strlen(kRealm));
      rtc_stun_add_attribute(&b, RTC_STUN_ATTR_NONCE, nonce.data(),
                             nonce.size());
      uint8_t key[RTC_TURN_KEY_SIZE];
      EXPECT_EQ(rtc_turn_long_term_key(user.data(), user.size(), kRealm,
                                       strlen(kRealm), password.data(),
                                       password.size(), key),
                RTC_OK);
      rtc_stun_add_message_integrity(&b, key, sizeof(key));
    }
    rtc_stun_add_fingerprint(&b);
    size_t len = 0;
    EXPECT_EQ(rtc_stun_builder_finish(&b, &len), RTC_OK);
    return std::vector<uint8_t>(buf, buf + len);
  }
};

// What a raw response says.
struct RawResponse {
  bool ok = false;  // parsed
  uint16_t klass = 0;
  int code = 0;
  bool signed_ok = false;  // MESSAGE-INTEGRITY with alice's key
  bool has_integrity = false;
  bool has_fingerprint = false;
  std::string nonce;
  rtc_socket_address relayed = {};
  uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE] = {};
};

RawResponse ParseResponse(const std::string& bytes) {
  RawResponse r;
  rtc_stun_message m;
  if (rtc_stun_parse(reinterpret_cast<const uint8_t*>(bytes.data()),
                     bytes.size(), &m) != RTC_OK)
    return r;
  r.ok = true;
  r.klass = rtc_stun_class(m.type);
  memcpy(r.id, m.transaction_id, sizeof(r.id));
  const char* reason;
  size_t reason_len;
  if (rtc_stun_get_error_code(&m, &r.code, &reason, &reason_len) != RTC_OK)
    r.code = 0;
  const char* nonce;
  size_t nonce_len;
  if (rtc_stun_get_text(&m, RTC_STUN_ATTR_NONCE, 763, &nonce, &nonce_len) ==
      RTC_OK)
    r.nonce.assign(nonce, nonce_len);
  r.has_integrity = rtc_stun_find(&m, RTC_STUN_ATTR_MESSAGE_INTEGRITY);
  r.has_fingerprint = m.has_fingerprint;
  uint8_t key[RTC_TURN_KEY_SIZE];
  EXPECT_EQ(rtc_turn_long_term_key(kUser, strlen(kUser), kRealm, strlen(kRealm),
                                   kPass, strlen(kPass), key),
            RTC_OK);
  r.signed_ok = r.has_integrity &&
                rtc_stun_check_integrity(&m, key, sizeof(key)) == RTC_OK;
  rtc_stun_get_xor_address(&m, RTC_STUN_ATTR_XOR_RELAYED_ADDRESS, &r.relayed);
  return r;
}

// --- The fixture: simulated time, one queue, a network, the server ---

class SimTurnServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "net", &queue_), RTC_OK);
    ASSERT_EQ(rtc_sim_network_create(time_, 11, &net_), RTC_OK);
    turn_host_ = AddHost(nullptr, "198.51.100.9");
    peer_host_ = AddHost(nullptr, "198.51.100.50");
  }

  void TearDown() override {
    clients_.clear();
    peers_.clear();
    DestroyServer();
    rtc_sim_time_run_until_idle(time_);
    EXPECT_EQ(AllSockets(turn_host_), 0u);
    rtc_sim_network_destroy(net_);
    rtc_task_queue_destroy(queue_);
    rtc_sim_time_destroy(time_);
  }

  void CreateServer(uint32_t min_lifetime_s = 0,
                    std::vector<rtc_sim_turn_user> more_users = {}) {
    rtc_sim_turn_server_config config = {};
    config.address = Addr(kServer);
    config.realm = kRealm;
    config.username = kUser;
    config.password = kPass;
    config.users = more_users.data();
    config.user_count = more_users.size();
    config.min_lifetime_s = min_lifetime_s;
    ScopedOnQueue on(queue_);
    ASSERT_EQ(
        rtc_sim_turn_server_create(rtc_sim_host_socket_factory(turn_host_),
                                   queue_, &config, &server_),
        RTC_OK);
  }

  void DestroyServer() {
    ScopedOnQueue on(queue_);
    rtc_sim_turn_server_destroy(server_);
    server_ = nullptr;
  }

  rtc_sim_host* AddHost(rtc_sim_nat* nat, const char* ip) {
    rtc_socket_address a = Addr(ip);
    rtc_sim_host* host = nullptr;
    EXPECT_EQ(rtc_sim_network_add_host(net_, nat, &a, &host), RTC_OK);
    return host;
  }

  rtc_sim_nat* AddNat(const char* public_ip, rtc_sim_nat_type type) {
    rtc_socket_address a = Addr(public_ip);
    rtc_sim_nat* nat = nullptr;
    EXPECT_EQ(rtc_sim_network_add_nat(net_, &a, type, &nat), RTC_OK);
    return nat;
  }

  Client& NewClient(rtc_sim_host* host,
                    rtc_turn_framing framing,
                    const char* password = kPass,
                    uint32_t lifetime_s = 0,
                    const char* user = kUser) {
    clients_.push_back(std::make_unique<Client>(queue_, host, framing, password,
                                                lifetime_s, user));
    return *clients_.back();
  }

  Peer& NewPeer(rtc_sim_host* host) {
    peers_.push_back(std::make_unique<Peer>(queue_, host));
    return *peers_.back();
  }

  template <typename F>
  bool RunUntil(F done, int64_t timeout_us) {
    struct Ctx {
      F* f;
    } ctx = {&done};
    return rtc_sim_time_run_until(
        time_, [](void* arg) { return (*static_cast<Ctx*>(arg)->f)(); }, &ctx,
        timeout_us);
  }

  void Advance(int64_t us) { rtc_sim_time_advance_us(time_, us); }

  bool Allocate(Client& c) {
    c.Start();
    return RunUntil(
               [&] {
                 return c.State() == RTC_TURN_STATE_ALLOCATED ||
                        c.State() == RTC_TURN_STATE_FAILED;
               },
               60 * kSec) &&
           c.State() == RTC_TURN_STATE_ALLOCATED;
  }

  rtc_sim_turn_stats Stats() {
    rtc_sim_turn_stats s;
    ScopedOnQueue on(queue_);
    rtc_sim_turn_server_get_stats(server_, &s);
    return s;
  }

  // Sends a raw request from `peer` and runs until the answer.
  RawResponse Ask(Peer& from, const RawRequest& req) {
    size_t before = from.received.size();
    from.SendBytes(Addr(kServer), req.Build());
    if (!RunUntil([&] { return from.received.size() > before; }, 5 * kSec))
      return RawResponse();
    return ParseResponse(from.received.back());
  }

  // The nonce of a fresh 401.
  std::string Nonce(Peer& from) {
    RawResponse r = Ask(from, RawRequest(RTC_STUN_METHOD_ALLOCATE, ""));
    EXPECT_EQ(r.code, 401);
    return r.nonce;
  }

  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* queue_ = nullptr;
  rtc_sim_network* net_ = nullptr;
  rtc_sim_host* turn_host_ = nullptr;
  rtc_sim_host* peer_host_ = nullptr;
  rtc_sim_turn_server* server_ = nullptr;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::unique_ptr<Peer>> peers_;
};

// --- Allocation and credentials ---

TEST_F(SimTurnServerTest, AllocatesOverUdpAfterA401) {
  CreateServer();
  rtc_sim_host* h = AddHost(nullptr, "203.0.113.7");
  Client& c = NewClient(h, RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(c));
  EXPECT_EQ(IpOf(c.relayed), "198.51.100.9");
  EXPECT_NE(c.relayed.port, 3478);
  EXPECT_EQ(IpOf(c.mapped), "203.0.113.7");
  EXPECT_EQ(c.lifetime_s, 600u);
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.allocate_requests, 2u);  // unauthenticated, then signed
  EXPECT_EQ(s.unauthorized, 1u);
  EXPECT_EQ(s.allocations, 1u);
  EXPECT_EQ(s.allocations_alive, 1u);
  EXPECT_EQ(s.tcp_allocations, 0u);
  // The server's UDP socket, its listener, and the relay.
  EXPECT_EQ(AllSockets(turn_host_), 3u);
}

TEST_F(SimTurnServerTest, AllocatesOverTcpAfterA401) {
  CreateServer();
  rtc_sim_host* h = AddHost(nullptr, "203.0.113.7");
  Client& c = NewClient(h, RTC_TURN_FRAMING_STREAM);
  ASSERT_TRUE(Allocate(c));
  EXPECT_EQ(IpOf(c.relayed), "198.51.100.9");
  EXPECT_EQ(IpOf(c.mapped), "203.0.113.7");
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.unauthorized, 1u);
  EXPECT_EQ(s.allocations, 1u);
  EXPECT_EQ(s.tcp_allocations, 1u);
  EXPECT_EQ(s.tcp_connections, 1u);
  // UDP socket, listener, the accepted connection, the relay.
  EXPECT_EQ(AllSockets(turn_host_), 4u);
}

// The next clients are squatted: their Allocates get 437,
// over UDP and TCP; clients after the squatted ones allocate.
TEST_F(SimTurnServerTest, SquattedClientsGet437ToEveryAllocate) {
  CreateServer();
  {
    ScopedOnQueue on(queue_);
    rtc_sim_turn_server_squat_next_clients(server_, 2);
  }
  rtc_sim_host* h = AddHost(nullptr, "203.0.113.7");
  Client& udp = NewClient(h, RTC_TURN_FRAMING_DATAGRAM);
  Client& tcp = NewClient(h, RTC_TURN_FRAMING_STREAM);
  for (Client* c : {&udp, &tcp}) {
    EXPECT_FALSE(Allocate(*c));
    ASSERT_NE(c->Last(RTC_TURN_EVENT_FAILED), nullptr);
    EXPECT_EQ(c->Last(RTC_TURN_EVENT_FAILED)->stun_error_code, 437);
  }
  Client& third = NewClient(h, RTC_TURN_FRAMING_DATAGRAM);
  EXPECT_TRUE(Allocate(third));
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.mismatches, 2u);
  EXPECT_EQ(s.allocations, 1u);
}

// XOR-MAPPED-ADDRESS is the client's address as the server sees it: the
// NAT's public mapping.
TEST_F(SimTurnServerTest, MappedAddressIsTheNatMapping) {
  CreateServer();
  rtc_sim_nat* nat = AddNat("203.0.113.20", RTC_SIM_NAT_PORT_RESTRICTED);
  Client& c = NewClient(AddHost(nat, "192.168.1.5"), RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(c));
  EXPECT_EQ(IpOf(c.mapped), "203.0.113.20");
}

TEST_F(SimTurnServerTest, WrongPasswordFailsWith401) {
  CreateServer();
  Client& c = NewClient(AddHost(nullptr, "203.0.113.7"),
                        RTC_TURN_FRAMING_DATAGRAM, "not-the-secret");
  EXPECT_FALSE(Allocate(c));
  const rtc_turn_event* failed = c.Last(RTC_TURN_EVENT_FAILED);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->stun_error_code, 401);
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.unauthorized, 2u);  // the challenge and the wrong key
  EXPECT_EQ(s.allocations, 0u);
  EXPECT_EQ(AllSockets(turn_host_), 2u);
}

TEST_F(SimTurnServerTest, UnknownUserFailsWith401AndOtherUsersAllocate) {
  rtc_sim_turn_user bob = {"bob", "hunter2"};
  CreateServer(0, {bob});
  rtc_sim_host* h = AddHost(nullptr, "203.0.113.7");
  Client& mallory =
      NewClient(h, RTC_TURN_FRAMING_DATAGRAM, kPass, 0, "mallory");
  EXPECT_FALSE(Allocate(mallory));
  EXPECT_EQ(mallory.Last(RTC_TURN_EVENT_FAILED)->stun_error_code, 401);
  Client& b = NewClient(h, RTC_TURN_FRAMING_DATAGRAM, "hunter2", 0, "bob");
  EXPECT_TRUE(Allocate(b));
  Client& a = NewClient(h, RTC_TURN_FRAMING_STREAM);
  EXPECT_TRUE(Allocate(a));
  EXPECT_EQ(Stats().allocations_alive, 2u);
}

// A stale nonce (RFC 8489 §9.2.4): 438 with a new NONCE, and the client
// retries with it.
TEST_F(SimTurnServerTest, StaleNonceGets438AndTheRetrySucceeds) {
  CreateServer();
  Client& c =
      NewClient(AddHost(nullptr, "203.0.113.7"), RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(c));
  {
    ScopedOnQueue on(queue_);
    rtc_sim_turn_server_expire_nonce(server_);
  }
  Peer& p = NewPeer(peer_host_);
  c.Permit(p.address);
  ASSERT_TRUE(
      RunUntil([&] { return c.Count(RTC_TURN_EVENT_PERMISSION_CREATED) == 1; },
               5 * kSec));
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.stale_nonce, 1u);
  EXPECT_EQ(s.create_permission_requests, 2u);
  EXPECT_EQ(s.permissions, 1u);
  EXPECT_EQ(c.State(), RTC_TURN_STATE_ALLOCATED);
}

// --- Refresh and expiry ---

// 20 simulated minutes with nonces that go stale every 7: the client
// refreshes the allocation, its permission and its channel, and data still
// goes both ways at the end.
TEST_F(SimTurnServerTest, RefreshesKeepTheAllocationFor20Minutes) {
  CreateServer();
  {
    ScopedOnQueue on(queue_);
    rtc_sim_turn_server_set_nonce_lifetime(server_, 7 * kMin);
  }
  Client& c =
      NewClient(AddHost(nullptr, "203.0.113.7"), RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(c));
  Peer& p = NewPeer(peer_host_);
  c.Bind(p.address);
  Advance(20 * kMin);
  EXPECT_EQ(c.State(), RTC_TURN_STATE_ALLOCATED);
  EXPECT_EQ(c.Count(RTC_TURN_EVENT_FAILED), 0);
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.allocations, 1u);
  EXPECT_EQ(s.allocations_alive, 1u);
  EXPECT_EQ(s.expired, 0u);
  EXPECT_GE(s.refreshes, 2u);  // every 9 minutes
  EXPECT_GE(s.channel_binds, 3u);
  EXPECT_GE(s.stale_nonce, 2u);
  EXPECT_EQ(s.channels_alive, 1u);
  EXPECT_EQ(s.permissions_alive, 1u);
  p.SendTo(c.relayed, "still here?");
  ASSERT_TRUE(RunUntil([&] { return c.received.size() == 1; }, 5 * kSec));
  EXPECT_EQ(c.received[0], "still here?");
  ASSERT_EQ(c.Send(p.address, "yes"), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return p.received.size() == 1; }, 5 * kSec));
  EXPECT_EQ(p.received[0], "yes");
}

// An allocation nobody refreshes dies at its lifetime: the relay socket
// is closed and stops relaying.
TEST_F(SimTurnServerTest, UnrefreshedAllocationExpiresAndStopsRelaying) {
  CreateServer(/*min_lifetime_s=*/30);
  Client& c = NewClient(AddHost(nullptr, "203.0.113.7"),
                        RTC_TURN_FRAMING_DATAGRAM, kPass, 120);
  ASSERT_TRUE(Allocate(c));
  EXPECT_EQ(c.lifetime_s, 120u);
  Peer& p = NewPeer(peer_host_);
  c.Permit(p.address);
  ASSERT_TRUE(
      RunUntil([&] { return c.Count(RTC_TURN_EVENT_PERMISSION_CREATED) == 1; },
               5 * kSec));
  c.Freeze();  // no more refreshes
  int64_t allocated_at = rtc_sim_time_now_us(time_);
  Advance(100 * kSec);
  p.SendTo(c.relayed, "before");
  Advance(1 * kSec);
  EXPECT_EQ(c.frozen_packets, 1u);  // a Data indication
  EXPECT_EQ(Stats().to_clients, 1u);
  EXPECT_EQ(AllSockets(turn_host_), 3u);
  Advance(allocated_at + 121 * kSec - rtc_sim_time_now_us(time_));
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.expired, 1u);
  EXPECT_EQ(s.allocations_alive, 0u);
  EXPECT_EQ(AllSockets(turn_host_), 2u);  // relay closed
  p.SendTo(c.relayed, "after");
  Advance(1 * kSec);
  EXPECT_EQ(c.frozen_packets, 1u);
  EXPECT_EQ(Stats().to_clients, 1u);
}

// RFC 8656 §7.2: lifetimes are clamped to [default, 3600].
TEST_F(SimTurnServerTest, LifetimesAreClamped) {
  CreateServer();
  rtc_sim_host* h = AddHost(nullptr, "203.0.113.7");
  Client& brief = NewClient(h, RTC_TURN_FRAMING_DATAGRAM, kPass, 60);
  Client& greedy = NewClient(h, RTC_TURN_FRAMING_DATAGRAM, kPass, 7200);
  ASSERT_TRUE(Allocate(brief));
  ASSERT_TRUE(Allocate(greedy));
  EXPECT_EQ(brief.lifetime_s, 600u);
  EXPECT_EQ(greedy.lifetime_s, 3600u);
}

// --- Permissions, Send and Data indications, channels ---

TEST_F(SimTurnServerTest, PermissionThenSendAndDataIndications) {
  CreateServer();
  Client& c =
      NewClient(AddHost(nullptr, "203.0.113.7"), RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(c));
  Peer& p = NewPeer(peer_host_);
  // No permission yet: what the peer sends is dropped.
  p.SendTo(c.relayed, "knock knock");
  Advance(1 * kSec);
  EXPECT_TRUE(c.received.empty());
  EXPECT_EQ(Stats().dropped, 1u);
  // The client's first send installs the permission, then goes in a Send
  // indication.
  ASSERT_EQ(c.Send(p.address, "hello peer"), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return p.received.size() == 1; }, 5 * kSec));
  EXPECT_EQ(p.received[0], "hello peer");
  EXPECT_TRUE(rtc_socket_address_equal(&p.received_from[0], &c.relayed));
  p.SendTo(c.relayed, "hello client");
  ASSERT_TRUE(RunUntil([&] { return c.received.size() == 1; }, 5 * kSec));
  EXPECT_EQ(c.received[0], "hello client");
  EXPECT_TRUE(rtc_socket_address_equal(&c.received_from[0], &p.address));
  EXPECT_EQ(c.received_channel[0], 0);  // a Data indication
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.permissions, 1u);
  EXPECT_EQ(s.permissions_alive, 1u);
  EXPECT_GE(s.send_indications, 1u);
  EXPECT_EQ(s.to_peers, 1u);
  EXPECT_EQ(s.to_clients, 1u);
  EXPECT_EQ(s.to_clients_channel, 0u);
  // Another peer on the same host (same IP) is permitted too (permissions
  // are per IP, RFC 8656 §9); one on another IP is not.
  Peer& same_ip = NewPeer(peer_host_);
  same_ip.SendTo(c.relayed, "same ip");
  Peer& other = NewPeer(AddHost(nullptr, "198.51.100.77"));
  other.SendTo(c.relayed, "other ip");
  Advance(1 * kSec);
  ASSERT_EQ(c.received.size(), 2u);
  EXPECT_EQ(c.received[1], "same ip");
  // Permissions last 300 s; the client refreshes them, so after 10 minutes
  // the peer still gets through.
  Advance(10 * kMin);
  p.SendTo(c.relayed, "later");
  ASSERT_TRUE(RunUntil([&] { return c.received.size() == 3; }, 5 * kSec));
  EXPECT_GE(Stats().permissions, 3u);
}

class SimTurnNatTest : public SimTurnServerTest,
                       public ::testing::WithParamInterface<rtc_sim_nat_type> {
};

// Two clients behind two NATs of the parameter's type, each relay a peer
// of the other: ChannelData client -> server -> relay A -> relay B ->
// server -> client, both ways.
TEST_P(SimTurnNatTest, ChannelDataBothWaysBetweenTwoNattedClients) {
  CreateServer();
  rtc_sim_nat* nat_a = AddNat("203.0.113.1", GetParam());
  rtc_sim_nat* nat_b = AddNat("203.0.113.2", GetParam());
  Client& a =
      NewClient(AddHost(nat_a, "192.168.1.10"), RTC_TURN_FRAMING_DATAGRAM);
  Client& b = NewClient(AddHost(nat_b, "10.0.0.10"), RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(a));
  ASSERT_TRUE(Allocate(b));
  EXPECT_EQ(IpOf(a.mapped), "203.0.113.1");
  EXPECT_EQ(IpOf(b.mapped), "203.0.113.2");
  uint16_t ca = a.Bind(b.relayed);
  uint16_t cb = b.Bind(a.relayed);
  EXPECT_GE(ca, 0x4000);
  EXPECT_LE(ca, 0x4FFF);
  ASSERT_TRUE(RunUntil(
      [&] { return a.HasChannel(b.relayed) && b.HasChannel(a.relayed); },
      5 * kSec));
  ASSERT_EQ(a.Send(b.relayed, "from a"), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return b.received.size() == 1; }, 5 * kSec));
  EXPECT_EQ(b.received[0], "from a");
  EXPECT_EQ(b.received_channel[0], cb);
  EXPECT_TRUE(rtc_socket_address_equal(&b.received_from[0], &a.relayed));
  ASSERT_EQ(b.Send(a.relayed, "from b"), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return a.received.size() == 1; }, 5 * kSec));
  EXPECT_EQ(a.received[0], "from b");
  EXPECT_EQ(a.received_channel[0], ca);
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.channel_binds, 2u);
  EXPECT_EQ(s.channels_alive, 2u);
  EXPECT_EQ(s.to_peers, 2u);
  EXPECT_EQ(s.to_peers_channel, 2u);
  EXPECT_EQ(s.to_clients, 2u);
  EXPECT_EQ(s.to_clients_channel, 2u);
  EXPECT_EQ(s.dropped, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Nats,
    SimTurnNatTest,
    ::testing::Values(RTC_SIM_NAT_FULL_CONE, RTC_SIM_NAT_SYMMETRIC),
    [](const ::testing::TestParamInfo<rtc_sim_nat_type>& param_info) {
      return param_info.param == RTC_SIM_NAT_FULL_CONE ? "FullCone"
                                                       : "Symmetric";
    });

// --- TCP ---

// Behind a NAT that drops all UDP: TURN over UDP times out, TURN over TCP
// allocates and relays to a peer with channels (ChannelData padded on the
// stream) both ways.
TEST_F(SimTurnServerTest, TcpClientBehindUdpBlockingNatRelays) {
  CreateServer();
  rtc_sim_nat* nat = AddNat("203.0.113.30", RTC_SIM_NAT_PORT_RESTRICTED);
  rtc_sim_nat_set_udp_blocked(nat, true);
  rtc_sim_host* h = AddHost(nat, "192.168.7.7");
  Client& over_udp = NewClient(h, RTC_TURN_FRAMING_DATAGRAM);
  Client& c = NewClient(h, RTC_TURN_FRAMING_STREAM);
  ASSERT_TRUE(Allocate(c));
  EXPECT_EQ(IpOf(c.mapped), "203.0.113.30");
  Peer& p = NewPeer(peer_host_);
  uint16_t channel = c.Bind(p.address);
  ASSERT_TRUE(RunUntil([&] { return c.HasChannel(p.address); }, 5 * kSec));
  // 5 bytes: ChannelData padded to 8 on the stream both ways.
  ASSERT_EQ(c.Send(p.address, "12345"), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return p.received.size() == 1; }, 5 * kSec));
  EXPECT_EQ(p.received[0], "12345");
  p.SendTo(c.relayed, "abc");
  p.SendTo(c.relayed, "defghij");
  ASSERT_TRUE(RunUntil([&] { return c.received.size() == 2; }, 5 * kSec));
  EXPECT_EQ(c.received[0], "abc");
  EXPECT_EQ(c.received[1], "defghij");
  EXPECT_EQ(c.received_channel[1], channel);
  EXPECT_EQ(Stats().to_clients_channel, 2u);
  // The UDP client never got through.
  EXPECT_FALSE(Allocate(over_udp));
  EXPECT_EQ(over_udp.Last(RTC_TURN_EVENT_FAILED)->error, RTC_ERR_TIMEOUT);
  EXPECT_EQ(Stats().allocations, 1u);
}

TEST_F(SimTurnServerTest, ClosingTheConnectionDeletesTheAllocation) {
  CreateServer();
  Client& c =
      NewClient(AddHost(nullptr, "203.0.113.7"), RTC_TURN_FRAMING_STREAM);
  ASSERT_TRUE(Allocate(c));
  EXPECT_EQ(AllSockets(turn_host_), 4u);
  c.DropConnection();
  ASSERT_TRUE(
      RunUntil([&] { return Stats().allocations_alive == 0; }, 5 * kSec));
  EXPECT_EQ(Stats().deallocated, 1u);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(AllSockets(turn_host_), 2u);
}

// --- Deallocation, silence, destruction ---

TEST_F(SimTurnServerTest, CloseDeallocatesOverUdpAndTcp) {
  CreateServer();
  rtc_sim_host* h = AddHost(nullptr, "203.0.113.7");
  Client& u = NewClient(h, RTC_TURN_FRAMING_DATAGRAM);
  Client& t = NewClient(h, RTC_TURN_FRAMING_STREAM);
  ASSERT_TRUE(Allocate(u));
  ASSERT_TRUE(Allocate(t));
  EXPECT_EQ(Stats().allocations_alive, 2u);
  u.Close();
  t.Close();
  ASSERT_TRUE(RunUntil(
      [&] {
        return u.Count(RTC_TURN_EVENT_CLOSED) == 1 &&
               t.Count(RTC_TURN_EVENT_CLOSED) == 1;
      },
      5 * kSec));
  EXPECT_EQ(u.Last(RTC_TURN_EVENT_CLOSED)->error, RTC_OK);
  EXPECT_EQ(t.Last(RTC_TURN_EVENT_CLOSED)->error, RTC_OK);
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.deallocated, 2u);
  EXPECT_EQ(s.allocations_alive, 0u);
  // UDP socket, listener, and the (still open) TCP connection.
  EXPECT_EQ(AllSockets(turn_host_), 3u);
}

TEST_F(SimTurnServerTest, SilentServerTimesTheClientOut) {
  CreateServer();
  {
    ScopedOnQueue on(queue_);
    rtc_sim_turn_server_set_silent(server_, true);
  }
  Client& c =
      NewClient(AddHost(nullptr, "203.0.113.7"), RTC_TURN_FRAMING_DATAGRAM);
  int64_t start = rtc_sim_time_now_us(time_);
  EXPECT_FALSE(Allocate(c));
  EXPECT_EQ(c.Last(RTC_TURN_EVENT_FAILED)->error, RTC_ERR_TIMEOUT);
  EXPECT_EQ(rtc_sim_time_now_us(time_) - start, 39500 * kMs);
  EXPECT_EQ(Stats().allocate_requests, 0u);
}

TEST_F(SimTurnServerTest, DestroyReleasesEverySocket) {
  EXPECT_EQ(AllSockets(turn_host_), 0u);
  CreateServer();
  EXPECT_EQ(AllSockets(turn_host_), 2u);
  rtc_sim_host* h = AddHost(nullptr, "203.0.113.7");
  Client& u = NewClient(h, RTC_TURN_FRAMING_DATAGRAM);
  Client& t1 = NewClient(h, RTC_TURN_FRAMING_STREAM);
  Client& t2 = NewClient(h, RTC_TURN_FRAMING_STREAM);
  ASSERT_TRUE(Allocate(u));
  ASSERT_TRUE(Allocate(t1));
  ASSERT_TRUE(Allocate(t2));
  Peer& p = NewPeer(peer_host_);
  u.Bind(p.address);
  Advance(1 * kSec);
  // 2 + 2 connections + 3 relays.
  EXPECT_EQ(AllSockets(turn_host_), 7u);
  DestroyServer();
  EXPECT_EQ(AllSockets(turn_host_), 0u);
  rtc_sim_time_run_until_idle(time_);
  Advance(1 * kSec);
  // The TCP clients saw their connections close, and lost the allocation.
  EXPECT_TRUE(t1.closed_);
  EXPECT_EQ(t1.State(), RTC_TURN_STATE_FAILED);
  EXPECT_EQ(t2.State(), RTC_TURN_STATE_FAILED);
}

// --- Error answers (raw requests) ---

TEST_F(SimTurnServerTest, AnswersAreSignedAndFingerprinted) {
  CreateServer();
  Peer& raw = NewPeer(AddHost(nullptr, "203.0.113.7"));
  RawResponse challenge = Ask(raw, RawRequest(RTC_STUN_METHOD_ALLOCATE, ""));
  EXPECT_EQ(challenge.code, 401);
  EXPECT_FALSE(challenge.has_integrity);
  EXPECT_TRUE(challenge.has_fingerprint);
  EXPECT_FALSE(challenge.nonce.empty());
  RawRequest ok(RTC_STUN_METHOD_ALLOCATE, challenge.nonce);
  RawResponse success = Ask(raw, ok);
  EXPECT_EQ(success.klass, RTC_STUN_CLASS_SUCCESS);
  EXPECT_TRUE(success.signed_ok);
  EXPECT_TRUE(success.has_fingerprint);
  // A retransmission of the same Allocate gets the same success; a new
  // Allocate on the 5-tuple gets 437, signed.
  RawResponse again = Ask(raw, ok);
  EXPECT_EQ(again.klass, RTC_STUN_CLASS_SUCCESS);
  EXPECT_TRUE(rtc_socket_address_equal(&again.relayed, &success.relayed));
  RawResponse mismatch =
      Ask(raw, RawRequest(RTC_STUN_METHOD_ALLOCATE, challenge.nonce));
  EXPECT_EQ(mismatch.code, 437);
  EXPECT_TRUE(mismatch.signed_ok);
  EXPECT_EQ(Stats().allocations, 1u);
  // A Binding request is answered without credentials.
  RawResponse binding = Ask(raw, RawRequest(RTC_STUN_METHOD_BINDING, ""));
  EXPECT_EQ(binding.klass, RTC_STUN_CLASS_SUCCESS);
  EXPECT_TRUE(binding.has_fingerprint);
  EXPECT_EQ(Stats().binding_requests, 1u);
}

TEST_F(SimTurnServerTest, AllocateErrors) {
  CreateServer();
  Peer& raw = NewPeer(AddHost(nullptr, "203.0.113.7"));
  std::string nonce = Nonce(raw);
  RawRequest no_transport(RTC_STUN_METHOD_ALLOCATE, nonce);
  no_transport.transport = -1;
  EXPECT_EQ(Ask(raw, no_transport).code, 400);
  RawRequest tcp(RTC_STUN_METHOD_ALLOCATE, nonce);
  tcp.transport = 6;
  RawResponse r = Ask(raw, tcp);
  EXPECT_EQ(r.code, 442);
  EXPECT_TRUE(r.signed_ok);
  RawRequest v6(RTC_STUN_METHOD_ALLOCATE, nonce);
  v6.family = 0x02;
  EXPECT_EQ(Ask(raw, v6).code, 440);
  RawRequest unknown(RTC_STUN_METHOD_ALLOCATE, nonce);
  unknown.unknown_required = 0x7F01;
  EXPECT_EQ(Ask(raw, unknown).code, 420);
  // Signed, but without a NONCE the server knows: 438.
  EXPECT_EQ(Ask(raw, RawRequest(RTC_STUN_METHOD_ALLOCATE, "made-up")).code,
            438);
  // Refresh without an allocation: 437.
  EXPECT_EQ(Ask(raw, RawRequest(RTC_STUN_METHOD_REFRESH, nonce)).code, 437);
  EXPECT_EQ(Stats().allocations, 0u);
}

TEST_F(SimTurnServerTest, RequestsOnAnotherUsersAllocationGet441) {
  rtc_sim_turn_user bob = {"bob", "hunter2"};
  CreateServer(0, {bob});
  Peer& raw = NewPeer(AddHost(nullptr, "203.0.113.7"));
  std::string nonce = Nonce(raw);
  ASSERT_EQ(Ask(raw, RawRequest(RTC_STUN_METHOD_ALLOCATE, nonce)).klass,
            RTC_STUN_CLASS_SUCCESS);
  RawRequest as_bob(RTC_STUN_METHOD_REFRESH, nonce);
  as_bob.user = "bob";
  as_bob.password = "hunter2";
  EXPECT_EQ(Ask(raw, as_bob).code, 441);
  EXPECT_EQ(Stats().wrong_credentials, 1u);
  EXPECT_EQ(Stats().refreshes, 0u);
}

// RFC 8656 §11.2: a bound number cannot move to another peer, nor a bound
// peer to another number; numbers outside 0x4000-0x4FFF are a 400; a peer
// of another family is a 443.
TEST_F(SimTurnServerTest, ChannelBindRules) {
  CreateServer();
  Peer& raw = NewPeer(AddHost(nullptr, "203.0.113.7"));
  std::string nonce = Nonce(raw);
  ASSERT_EQ(Ask(raw, RawRequest(RTC_STUN_METHOD_ALLOCATE, nonce)).klass,
            RTC_STUN_CLASS_SUCCESS);
  auto bind = [&](uint16_t channel, const char* peer) {
    RawRequest r(RTC_STUN_METHOD_CHANNEL_BIND, nonce);
    r.channel = channel;
    r.peers.push_back(Addr(peer));
    RawResponse answer = Ask(raw, r);
    EXPECT_TRUE(answer.signed_ok);
    return answer.ok ? answer.code : -1;  // 0: success
  };
  EXPECT_EQ(bind(0x4000, "198.51.100.50:5000"), 0);
  EXPECT_EQ(bind(0x4000, "198.51.100.50:5000"), 0);  // a refresh
  EXPECT_EQ(bind(0x4000, "198.51.100.50:5001"), 400);
  EXPECT_EQ(bind(0x4001, "198.51.100.50:5000"), 400);
  EXPECT_EQ(bind(0x4001, "198.51.100.50:5001"), 0);
  EXPECT_EQ(bind(0x3FFF, "198.51.100.50:5002"), 400);
  EXPECT_EQ(bind(0x5000, "198.51.100.50:5002"), 400);
  EXPECT_EQ(bind(0x4002, "[2001:db8::1]:5002"), 443);
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.channel_binds, 3u);
  EXPECT_EQ(s.channels_alive, 2u);
  EXPECT_EQ(s.permissions_alive, 1u);  // one peer IP
  // Channels last 600 s (the allocation is refreshed meanwhile).
  Advance(500 * kSec);
  EXPECT_EQ(Ask(raw, RawRequest(RTC_STUN_METHOD_REFRESH, nonce)).klass,
            RTC_STUN_CLASS_SUCCESS);
  Advance(101 * kSec);
  EXPECT_EQ(Stats().channels_alive, 0u);
  // An expired binding may go to another peer.
  nonce = Nonce(raw);
  EXPECT_EQ(bind(0x4000, "198.51.100.50:5003"), 0);
}

TEST_F(SimTurnServerTest, CreatePermissionIsAllOrNothing) {
  CreateServer();
  Peer& raw = NewPeer(AddHost(nullptr, "203.0.113.7"));
  std::string nonce = Nonce(raw);
  ASSERT_EQ(Ask(raw, RawRequest(RTC_STUN_METHOD_ALLOCATE, nonce)).klass,
            RTC_STUN_CLASS_SUCCESS);
  RawRequest mixed(RTC_STUN_METHOD_CREATE_PERMISSION, nonce);
  mixed.peers = {Addr("198.51.100.50:1"), Addr("[2001:db8::1]:1")};
  EXPECT_EQ(Ask(raw, mixed).code, 443);
  EXPECT_EQ(Stats().permissions_alive, 0u);
  EXPECT_EQ(Ask(raw, RawRequest(RTC_STUN_METHOD_CREATE_PERMISSION, nonce)).code,
            400);  // no peer at all
  RawRequest two(RTC_STUN_METHOD_CREATE_PERMISSION, nonce);
  two.peers = {Addr("198.51.100.50:1"), Addr("198.51.100.51:1")};
  EXPECT_EQ(Ask(raw, two).klass, RTC_STUN_CLASS_SUCCESS);
  EXPECT_EQ(Stats().permissions_alive, 2u);
  Advance(301 * kSec);
  EXPECT_EQ(Stats().permissions_alive, 0u);
}

// Garbage over UDP and TCP: dropped, or the connection closed; the server
// goes on answering.
TEST_F(SimTurnServerTest, MalformedInputIsDroppedNeverCrashes) {
  CreateServer();
  rtc_sim_host* h = AddHost(nullptr, "203.0.113.7");
  Peer& raw = NewPeer(h);
  std::string nonce = Nonce(raw);
  size_t answers = raw.received.size();
  std::vector<std::vector<uint8_t>> garbage = {
      {},
      {0x00},
      {0x40, 0x00},
      {0x40, 0x00, 0x00, 0x10, 1, 2},  // ChannelData, short, no allocation
      {0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xA4, 0x42},  // truncated STUN
      {0xFF, 0xFF, 0xFF, 0xFF},
  };
  // A valid request with its length field lying, and one cut short.
  std::vector<uint8_t> req =
      RawRequest(RTC_STUN_METHOD_ALLOCATE, nonce).Build();
  std::vector<uint8_t> lying = req;
  lying[3] = static_cast<uint8_t>(lying[3] + 8);
  garbage.push_back(lying);
  garbage.push_back(std::vector<uint8_t>(req.begin(), req.end() - 7));
  // A Send indication without an allocation, one without DATA.
  uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE] = {};
  uint8_t buf[256];
  rtc_stun_builder b;
  rtc_stun_builder_init(
      &b, buf, sizeof(buf),
      rtc_stun_type(RTC_STUN_METHOD_SEND, RTC_STUN_CLASS_INDICATION), id);
  rtc_socket_address peer = Addr("198.51.100.50:9");
  rtc_stun_add_xor_address(&b, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &peer);
  size_t len = 0;
  ASSERT_EQ(rtc_stun_builder_finish(&b, &len), RTC_OK);
  garbage.push_back(std::vector<uint8_t>(buf, buf + len));
  // Random bytes from a fixed seed.
  uint32_t x = 12345;
  for (int i = 0; i < 200; i++) {
    std::vector<uint8_t> g(1 + i % 90);
    for (uint8_t& byte : g) {
      x = x * 1103515245u + 12345u;
      byte = static_cast<uint8_t>(x >> 16);
    }
    garbage.push_back(g);
  }
  for (const auto& g : garbage)
    raw.SendBytes(Addr(kServer), g);
  Advance(1 * kSec);
  // Nothing answered garbage except what parsed as a request (a random
  // request of an unknown method may get a 400: count them).
  size_t answered = raw.received.size() - answers;
  EXPECT_LE(answered, 2u);
  EXPECT_GE(Stats().dropped, garbage.size() - 2);
  EXPECT_EQ(Stats().allocations, 0u);
  // Garbage on a TCP connection (not STUN, not ChannelData): the server
  // closes it.
  struct RawTcp {
    bool connected = false;
    bool closed = false;
  } tcp;
  static const rtc_stream_socket_observer kObserver = {
      [](void* user, rtc_stream_socket*) {
        static_cast<RawTcp*>(user)->connected = true;
      },
      [](void*, rtc_stream_socket*, const uint8_t*, size_t) {}, nullptr,
      [](void* user, rtc_stream_socket*, rtc_error) {
        static_cast<RawTcp*>(user)->closed = true;
      }};
  rtc_stream_socket* socket = nullptr;
  rtc_socket_address server = Addr(kServer);
  rtc_socket_address local = LocalOf(h);
  {
    ScopedOnQueue on(queue_);
    ASSERT_EQ(rtc_socket_factory_connect_tcp(rtc_sim_host_socket_factory(h),
                                             queue_, &local, &server,
                                             &kObserver, &tcp, &socket),
              RTC_OK);
  }
  ASSERT_TRUE(RunUntil([&] { return tcp.connected; }, 5 * kSec));
  EXPECT_EQ(AllSockets(turn_host_), 3u);
  {
    ScopedOnQueue on(queue_);
    const uint8_t junk[] = {0xC0, 0xFF, 0xEE, 0x00, 1, 2, 3, 4};
    size_t accepted = 0;
    EXPECT_EQ(rtc_stream_socket_send(socket, junk, sizeof(junk), &accepted),
              RTC_OK);
  }
  EXPECT_TRUE(RunUntil([&] { return tcp.closed; }, 5 * kSec));
  {
    ScopedOnQueue on(queue_);
    rtc_stream_socket_destroy(socket);
  }
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(AllSockets(turn_host_), 2u);
  // Still alive.
  RawResponse binding = Ask(raw, RawRequest(RTC_STUN_METHOD_BINDING, ""));
  EXPECT_EQ(binding.klass, RTC_STUN_CLASS_SUCCESS);
}

}  // namespace
