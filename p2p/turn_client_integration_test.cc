// The TURN client against a real coturn on loopback. The suite writes a
// turnserver config into a temporary folder, starts /usr/bin/turnserver
// (UDP and TCP on one free port, TLS on another with a certificate for
// 127.0.0.1 signed by a CA the suite makes with BoringSSL, long-term
// credentials), waits until it answers, and stops it and removes the
// folder afterwards, also when a test fails. Without coturn every test is
// skipped.
//
// The client is sans-I/O: here it runs over plain kernel sockets driven
// by poll(), with real time. It is given the real monotonic time plus an
// offset the tests may jump forward, so that refreshes "minutes later" are
// checked against the real server without waiting for them.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "p2p/stun.h"
#include "p2p/tls_stream.h"
#include "p2p/turn_client.h"
#include "rtc_base/clock.h"
#include "test/support/coturn.h"
#include "test/tls/tls_test_certs.h"

namespace {

using rtc_test::Coturn;
using rtc_test::FreePort;
using rtc_test::kTurnPassword;
using rtc_test::kTurnRealm;
using rtc_test::kTurnUser;
using rtc_test::Loopback;
const char* const kUser = kTurnUser;
const char* const kPass = kTurnPassword;

constexpr int64_t kSec = RTC_US_PER_SEC;

std::string Str(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&a, buf, sizeof(buf));
  return buf;
}

rtc_socket_address FromSockaddr(const sockaddr_in& sin) {
  rtc_socket_address a;
  rtc_socket_address_from_sockaddr(reinterpret_cast<const sockaddr*>(&sin),
                                   sizeof(sin), &a);
  return a;
}

// --- A client on a kernel socket ---

struct Endpoint {
  explicit Endpoint(rtc_turn_framing f) : framing(f) {}
  ~Endpoint() {
    rtc_turn_client_destroy(client);
    rtc_tls_stream_destroy(tls);
    if (fd >= 0)
      close(fd);
  }

  int64_t Now() const { return rtc_time_monotonic_us() + *offset_us; }

  static rtc_error OnSend(void* user, const uint8_t* data, size_t size) {
    auto* self = static_cast<Endpoint*>(user);
    if (self->first_send_byte_hook)
      self->first_send_byte_hook(data[0]);
    if (self->tls != nullptr)
      return rtc_tls_stream_write(self->tls, data, size);
    return SocketWrite(self->fd, data, size);
  }

  // TLS (turns:): ciphertext to the socket, plaintext to the client.
  static rtc_error TlsSend(void* user, const uint8_t* data, size_t size) {
    return SocketWrite(static_cast<Endpoint*>(user)->fd, data, size);
  }
  static void TlsConnected(void* user) {
    static_cast<Endpoint*>(user)->tls_connected_at_us = rtc_time_monotonic_us();
  }
  static void TlsData(void* user, const uint8_t* data, size_t size) {
    auto* self = static_cast<Endpoint*>(user);
    rtc_error err =
        rtc_turn_client_handle_stream(self->client, data, size, self->Now());
    EXPECT_EQ(err, RTC_OK);
  }
  static void TlsFailed(void* user, rtc_error error, const char* reason) {
    auto* self = static_cast<Endpoint*>(user);
    self->tls_error = error;
    self->tls_reason = reason;
    rtc_turn_client_handle_stream_closed(self->client, self->Now());
  }

  void EnableTls(const std::string& ca_file) {
    rtc_tls_stream_config config = {"127.0.0.1", ca_file.c_str()};
    static const rtc_tls_stream_observer kObserver = {&TlsSend, &TlsConnected,
                                                      &TlsData, &TlsFailed};
    ASSERT_EQ(rtc_tls_stream_create(&config, &kObserver, this, &tls), RTC_OK);
    ASSERT_EQ(rtc_tls_stream_start(tls), RTC_OK);
  }

  static rtc_error SocketWrite(int fd, const uint8_t* data, size_t size) {
    size_t off = 0;
    while (off < size) {
      ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return errno == EAGAIN ? RTC_ERR_WOULD_BLOCK : RTC_ERR_NETWORK;
      }
      off += static_cast<size_t>(n);
    }
    return RTC_OK;
  }

  static void OnEvent(void* user, const rtc_turn_event* ev) {
    auto* self = static_cast<Endpoint*>(user);
    self->events.push_back(ev->type);
    if (ev->type == RTC_TURN_EVENT_FAILED) {
      self->failed_code = ev->stun_error_code;
      self->failed_error = ev->error;
    }
    if (ev->type == RTC_TURN_EVENT_ALLOCATED)
      self->allocated_at_us = rtc_time_monotonic_us();
    if (ev->type == RTC_TURN_EVENT_DATA) {
      self->received.emplace_back(reinterpret_cast<const char*>(ev->data),
                                  ev->size);
      self->received_from.push_back(ev->peer);
      self->received_channel.push_back(ev->channel);
    }
  }

  // The local ports this suite has used (per socket type), and the
  // sockets that hold repeats of them until the suite ends.
  static std::set<std::pair<int, uint16_t>>& UsedPorts() {
    static std::set<std::pair<int, uint16_t>> used;
    return used;
  }
  static std::vector<int>& HeldSockets() {
    static std::vector<int> held;
    return held;
  }
  bool UnusedPort(int socket_fd) const {
    sockaddr_in local = {};
    socklen_t len = sizeof(local);
    getsockname(socket_fd, reinterpret_cast<sockaddr*>(&local), &len);
    return UsedPorts()
        .insert({static_cast<int>(framing), ntohs(local.sin_port)})
        .second;
  }
  static void ReleaseHeldSockets() {
    for (int held : HeldSockets())
      close(held);
    HeldSockets().clear();
    UsedPorts().clear();
  }

  // A socket connected to the server (a new one, or `reuse`).
  bool Connect(uint16_t server_port, int reuse = -1) {
    if (reuse >= 0) {
      fd = reuse;
    } else {
      fd = socket(AF_INET,
                  framing == RTC_TURN_FRAMING_STREAM ? SOCK_STREAM : SOCK_DGRAM,
                  0);
      sockaddr_in sin = Loopback(server_port);
      if (connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0)
        return false;
      // coturn keeps an allocation a moment after its deallocation is
      // answered: a new socket on a port the kernel hands out again at
      // once would meet it and get a 437 (Allocation Mismatch). No local
      // port is used twice in the suite; a repeat is held open.
      while (!UnusedPort(fd)) {
        HeldSockets().push_back(fd);
        fd = socket(
            AF_INET,
            framing == RTC_TURN_FRAMING_STREAM ? SOCK_STREAM : SOCK_DGRAM, 0);
        if (connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0)
          return false;
      }
      if (framing == RTC_TURN_FRAMING_STREAM) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return true;
  }

  void Create(const char* password = kPass) {
    rtc_turn_client_config config;
    rtc_turn_client_config_init(&config);
    config.framing = framing;
    config.username = kUser;
    config.password = password;
    config.software = "rtcbox";
    static const rtc_turn_client_observer kObserver = {&OnSend, &OnEvent};
    ASSERT_EQ(rtc_turn_client_create(&config, &kObserver, this, &client),
              RTC_OK);
  }

  bool Has(rtc_turn_event_type type) const {
    for (auto t : events)
      if (t == type)
        return true;
    return false;
  }

  int Count(rtc_turn_event_type type) const {
    int n = 0;
    for (auto t : events)
      n += t == type;
    return n;
  }

  rtc_turn_framing framing;
  const int64_t* offset_us = nullptr;  // the fixture's clock offset
  rtc_tls_stream* tls = nullptr;
  int64_t tls_connected_at_us = 0;
  rtc_error tls_error = RTC_OK;
  std::string tls_reason;
  int fd = -1;
  bool stream_closed = false;
  rtc_turn_client* client = nullptr;
  std::vector<rtc_turn_event_type> events;
  int failed_code = 0;
  rtc_error failed_error = RTC_OK;
  int64_t allocated_at_us = 0;
  std::vector<std::string> received;
  std::vector<rtc_socket_address> received_from;
  std::vector<uint16_t> received_channel;
  std::function<void(uint8_t)> first_send_byte_hook;
};

class TurnCoturnTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    coturn_ = new Coturn;
    if (!coturn_->Start(&why_)) {
      delete coturn_;
      coturn_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete coturn_;
    coturn_ = nullptr;
    Endpoint::ReleaseHeldSockets();
  }

  void SetUp() override {
    if (coturn_ == nullptr)
      GTEST_SKIP() << why_;
  }

  void TearDown() override {
    if (HasFailure() && coturn_ != nullptr) {
      std::string log = coturn_->Log();
      if (log.size() > 6000)
        log = log.substr(log.size() - 6000);
      printf("--- coturn log (tail) ---\n%s\n", log.c_str());
    }
  }

  // The client's clock: real time plus what the test jumped.
  int64_t Now() const { return rtc_time_monotonic_us() + offset_us_; }

  std::unique_ptr<Endpoint> NewEndpoint(rtc_turn_framing framing,
                                        const char* password = kPass) {
    auto e = std::make_unique<Endpoint>(framing);
    e->offset_us = &offset_us_;
    EXPECT_TRUE(e->Connect(coturn_->port()));
    e->Create(password);
    return e;
  }

  // TURN over TLS to the server's TLS port, verified with `ca_file`.
  std::unique_ptr<Endpoint> NewTlsEndpoint(const std::string& ca_file,
                                           const char* password = kPass) {
    auto e = std::make_unique<Endpoint>(RTC_TURN_FRAMING_STREAM);
    e->offset_us = &offset_us_;
    EXPECT_TRUE(e->Connect(coturn_->tls_port()));
    e->Create(password);
    e->EnableTls(ca_file);
    return e;
  }

  // Feeds what arrived, runs deadlines, until done() or timeout (real).
  bool Pump(const std::vector<Endpoint*>& eps,
            const std::function<bool()>& done,
            int64_t timeout_us = 5 * kSec) {
    int64_t end = rtc_time_monotonic_us() + timeout_us;
    while (!done()) {
      int64_t real = rtc_time_monotonic_us();
      if (real >= end)
        return false;
      int64_t wait_us = end - real;
      std::vector<pollfd> fds;
      for (Endpoint* e : eps) {
        int64_t next = rtc_turn_client_next_deadline_us(e->client);
        if (next != INT64_MAX)
          wait_us = std::min(wait_us, std::max<int64_t>(0, next - Now()));
        fds.push_back({e->fd, POLLIN, 0});
      }
      for (int fd : extra_fds_)
        fds.push_back({fd, POLLIN, 0});
      poll(fds.data(), fds.size(), static_cast<int>((wait_us + 999) / 1000));
      for (size_t i = 0; i < eps.size(); i++) {
        Endpoint* e = eps[i];
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
          Read(e);
        rtc_turn_client_handle_timeout(e->client, Now());
      }
      for (size_t i = eps.size(); i < fds.size(); i++) {
        if (fds[i].revents & POLLIN)
          ReadExtra(fds[i].fd);
      }
    }
    return true;
  }

  void Read(Endpoint* e) {
    uint8_t buf[65536];
    for (;;) {
      ssize_t n = recv(e->fd, buf, sizeof(buf), 0);
      if (n < 0)
        return;  // EAGAIN, or an ICMP error on UDP
      if (e->framing == RTC_TURN_FRAMING_STREAM) {
        if (n == 0) {
          if (!e->stream_closed) {
            e->stream_closed = true;
            rtc_turn_client_handle_stream_closed(e->client, Now());
          }
          return;
        }
        if (e->tls != nullptr) {
          // Failures come through TlsFailed.
          (void)rtc_tls_stream_receive(e->tls, buf, static_cast<size_t>(n));
          continue;
        }
        EXPECT_EQ(rtc_turn_client_handle_stream(e->client, buf,
                                                static_cast<size_t>(n), Now()),
                  RTC_OK);
      } else {
        EXPECT_EQ(rtc_turn_client_handle_datagram(
                      e->client, buf, static_cast<size_t>(n), Now()),
                  RTC_OK);
      }
    }
  }

  void ReadExtra(int fd) {
    uint8_t buf[2048];
    sockaddr_in from = {};
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
                         reinterpret_cast<sockaddr*>(&from), &len);
    if (n >= 0) {
      extra_received_.emplace_back(reinterpret_cast<const char*>(buf), n);
      extra_from_ = FromSockaddr(from);
    }
  }

  bool Allocate(Endpoint* e) {
    e->events.clear();
    start_us_ = rtc_time_monotonic_us();
    EXPECT_EQ(rtc_turn_client_start(e->client, Now()), RTC_OK);
    return Pump({e},
                [&] {
                  return e->Has(RTC_TURN_EVENT_ALLOCATED) ||
                         e->Has(RTC_TURN_EVENT_FAILED);
                }) &&
           e->Has(RTC_TURN_EVENT_ALLOCATED);
  }

  // Both endpoints allocate and permit each other's relayed address.
  void Pair(Endpoint* a, Endpoint* b) {
    ASSERT_TRUE(Allocate(a));
    ASSERT_TRUE(Allocate(b));
    rtc_socket_address ra = rtc_turn_client_relayed_address(a->client);
    rtc_socket_address rb = rtc_turn_client_relayed_address(b->client);
    ASSERT_EQ(rtc_turn_client_create_permission(a->client, &rb, Now()), RTC_OK);
    ASSERT_EQ(rtc_turn_client_create_permission(b->client, &ra, Now()), RTC_OK);
    ASSERT_TRUE(Pump({a, b}, [&] {
      return a->Has(RTC_TURN_EVENT_PERMISSION_CREATED) &&
             b->Has(RTC_TURN_EVENT_PERMISSION_CREATED);
    }));
  }

  // a sends `text` to b's relayed address; b must get it from a's.
  void Exchange(Endpoint* a, Endpoint* b, const std::string& text) {
    rtc_socket_address ra = rtc_turn_client_relayed_address(a->client);
    rtc_socket_address rb = rtc_turn_client_relayed_address(b->client);
    size_t before = b->received.size();
    ASSERT_EQ(rtc_turn_client_send(
                  a->client, &rb, reinterpret_cast<const uint8_t*>(text.data()),
                  text.size(), Now()),
              RTC_OK);
    ASSERT_TRUE(Pump({a, b}, [&] { return b->received.size() > before; }));
    EXPECT_EQ(b->received.back(), text);
    EXPECT_EQ(Str(b->received_from.back()), Str(ra));
  }

  // Send/Data indications, then ChannelData both ways, between two
  // allocations of the same server.
  void Relay(Endpoint* a, Endpoint* b) {
    Pair(a, b);
    if (HasFatalFailure())
      return;
    Exchange(a, b, "ping via Send indication");
    Exchange(b, a, "pong via Send indication");
    EXPECT_EQ(b->received_channel.back(), 0);  // a Data indication
    rtc_socket_address ra = rtc_turn_client_relayed_address(a->client);
    rtc_socket_address rb = rtc_turn_client_relayed_address(b->client);
    ASSERT_EQ(rtc_turn_client_bind_channel(a->client, &rb, Now(), nullptr),
              RTC_OK);
    ASSERT_EQ(rtc_turn_client_bind_channel(b->client, &ra, Now(), nullptr),
              RTC_OK);
    ASSERT_TRUE(Pump({a, b}, [&] {
      return a->Has(RTC_TURN_EVENT_CHANNEL_BOUND) &&
             b->Has(RTC_TURN_EVENT_CHANNEL_BOUND);
    }));
    // Every message either sends from now on is ChannelData.
    bool a_other = false, b_other = false;
    a->first_send_byte_hook = [&](uint8_t byte) { a_other |= byte >> 6 != 1; };
    b->first_send_byte_hook = [&](uint8_t byte) { b_other |= byte >> 6 != 1; };
    for (int i = 0; i < 5; i++) {
      Exchange(a, b, "ChannelData a->b #" + std::to_string(i));
      EXPECT_EQ(b->received_channel.back(), 0x4000);  // on b's channel
      // Lengths that need padding over TCP.
      Exchange(
          b, a,
          "ChannelData b->a #" + std::to_string(i) + std::string(i * 3, 'x'));
      EXPECT_EQ(a->received_channel.back(), 0x4000);
    }
    EXPECT_FALSE(a_other);
    EXPECT_FALSE(b_other);
    a->first_send_byte_hook = nullptr;
    b->first_send_byte_hook = nullptr;
  }

  void Measure(const char* what, Endpoint* e) {
    printf("[ measure  ] %s: start to allocated %.2f ms\n", what,
           (e->allocated_at_us - start_us_) / 1000.0);
  }

  static Coturn* coturn_;
  static std::string why_;
  int64_t offset_us_ = 0;
  int64_t start_us_ = 0;
  std::vector<int> extra_fds_;
  std::vector<std::string> extra_received_;
  rtc_socket_address extra_from_ = {};
};

Coturn* TurnCoturnTest::coturn_ = nullptr;
std::string TurnCoturnTest::why_;

TEST_F(TurnCoturnTest, AllocatesOverUdp) {
  auto e = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(e.get())) << e->failed_code;
  Measure("UDP", e.get());
  rtc_socket_address relayed = rtc_turn_client_relayed_address(e->client);
  rtc_socket_address mapped = rtc_turn_client_mapped_address(e->client);
  EXPECT_EQ(relayed.family, RTC_AF_INET);
  EXPECT_TRUE(rtc_socket_address_is_loopback(&relayed)) << Str(relayed);
  sockaddr_in local = {};
  socklen_t len = sizeof(local);
  getsockname(e->fd, reinterpret_cast<sockaddr*>(&local), &len);
  EXPECT_EQ(Str(mapped), Str(FromSockaddr(local)));
  rtc_turn_client_close(e->client, Now());
  EXPECT_TRUE(Pump({e.get()}, [&] { return e->Has(RTC_TURN_EVENT_CLOSED); }));
}

TEST_F(TurnCoturnTest, AllocatesOverTcp) {
  auto e = NewEndpoint(RTC_TURN_FRAMING_STREAM);
  ASSERT_TRUE(Allocate(e.get())) << e->failed_code;
  Measure("TCP", e.get());
  rtc_socket_address relayed = rtc_turn_client_relayed_address(e->client);
  EXPECT_TRUE(rtc_socket_address_is_loopback(&relayed)) << Str(relayed);
  rtc_turn_client_close(e->client, Now());
  EXPECT_TRUE(Pump({e.get()}, [&] { return e->Has(RTC_TURN_EVENT_CLOSED); }));
}

TEST_F(TurnCoturnTest, AllocatesOverTls) {
  auto e = NewTlsEndpoint(coturn_->ca_file());
  ASSERT_TRUE(Allocate(e.get())) << e->failed_code << " " << e->tls_reason;
  Measure("TLS (handshake included)", e.get());
  printf("[ measure  ] TLS handshake %.2f ms\n",
         (e->tls_connected_at_us - start_us_) / 1000.0);
  rtc_socket_address relayed = rtc_turn_client_relayed_address(e->client);
  EXPECT_TRUE(rtc_socket_address_is_loopback(&relayed)) << Str(relayed);
  rtc_turn_client_close(e->client, Now());
  EXPECT_TRUE(Pump({e.get()}, [&] { return e->Has(RTC_TURN_EVENT_CLOSED); }));
  rtc_tls_stream_close(e->tls);
}

TEST_F(TurnCoturnTest, TlsServerSignedByAnotherCaIsRejected) {
  auto e = NewTlsEndpoint(coturn_->other_ca_file());
  EXPECT_FALSE(Allocate(e.get()));
  EXPECT_EQ(e->tls_error, RTC_ERR_SECURITY) << e->tls_reason;
  EXPECT_NE(e->tls_reason.find("certificate verification failed"),
            std::string::npos)
      << e->tls_reason;
  ASSERT_TRUE(e->Has(RTC_TURN_EVENT_FAILED));
  EXPECT_EQ(e->failed_error, RTC_ERR_CLOSED);
}

TEST_F(TurnCoturnTest, WrongPasswordOverTlsFailsWith401) {
  auto e = NewTlsEndpoint(coturn_->ca_file(), "wrong password");
  EXPECT_FALSE(Allocate(e.get()));
  EXPECT_EQ(e->failed_code, 401);
}

TEST_F(TurnCoturnTest, RelaysBetweenTlsAndUdpAllocations) {
  auto a = NewTlsEndpoint(coturn_->ca_file());
  auto b = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  Relay(a.get(), b.get());
}

TEST_F(TurnCoturnTest, WrongPasswordFailsWith401) {
  auto e = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM, "wrong password");
  EXPECT_FALSE(Allocate(e.get()));
  ASSERT_TRUE(e->Has(RTC_TURN_EVENT_FAILED));
  EXPECT_EQ(e->failed_code, 401);
  EXPECT_EQ(rtc_turn_client_state(e->client), RTC_TURN_STATE_FAILED);
}

TEST_F(TurnCoturnTest, WrongPasswordOverTcpFailsWith401) {
  auto e = NewEndpoint(RTC_TURN_FRAMING_STREAM, "wrong password");
  EXPECT_FALSE(Allocate(e.get()));
  EXPECT_EQ(e->failed_code, 401);
}

TEST_F(TurnCoturnTest, RelaysBetweenAllocationsOverUdp) {
  auto a = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  auto b = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  Relay(a.get(), b.get());
}

TEST_F(TurnCoturnTest, RelaysBetweenAllocationsOverTcp) {
  auto a = NewEndpoint(RTC_TURN_FRAMING_STREAM);
  auto b = NewEndpoint(RTC_TURN_FRAMING_STREAM);
  Relay(a.get(), b.get());
}

TEST_F(TurnCoturnTest, RelaysBetweenTcpAndUdpAllocations) {
  auto a = NewEndpoint(RTC_TURN_FRAMING_STREAM);
  auto b = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  Relay(a.get(), b.get());
}

TEST_F(TurnCoturnTest, RelaysToAPlainUdpSocket) {
  auto a = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(a.get()));
  int peer = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sin = Loopback(0);
  ASSERT_EQ(bind(peer, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  socklen_t len = sizeof(sin);
  getsockname(peer, reinterpret_cast<sockaddr*>(&sin), &len);
  rtc_socket_address peer_addr = FromSockaddr(sin);
  extra_fds_.push_back(peer);
  // Out through the relay (a permission goes first, then the indication).
  std::string text = "to a plain socket";
  ASSERT_EQ(rtc_turn_client_create_permission(a->client, &peer_addr, Now()),
            RTC_OK);
  ASSERT_TRUE(Pump({a.get()},
                   [&] { return a->Has(RTC_TURN_EVENT_PERMISSION_CREATED); }));
  ASSERT_EQ(rtc_turn_client_send(a->client, &peer_addr,
                                 reinterpret_cast<const uint8_t*>(text.data()),
                                 text.size(), Now()),
            RTC_OK);
  ASSERT_TRUE(Pump({a.get()}, [&] { return !extra_received_.empty(); }));
  EXPECT_EQ(extra_received_[0], text);
  rtc_socket_address relayed = rtc_turn_client_relayed_address(a->client);
  EXPECT_EQ(Str(extra_from_), Str(relayed));
  // And back to the relayed address.
  sockaddr_storage to;
  socklen_t to_len = rtc_socket_address_to_sockaddr(&relayed, &to);
  ASSERT_EQ(
      sendto(peer, "back", 4, 0, reinterpret_cast<sockaddr*>(&to), to_len), 4);
  ASSERT_TRUE(Pump({a.get()}, [&] { return !a->received.empty(); }));
  EXPECT_EQ(a->received[0], "back");
  EXPECT_EQ(Str(a->received_from[0]), Str(peer_addr));
  close(peer);
  extra_fds_.clear();
}

// RFC 8656 §8: a Refresh with LIFETIME 0 deletes the allocation, so the
// same 5-tuple can allocate again (a second Allocate on a live allocation
// gets 437 Allocation Mismatch, checked first).
TEST_F(TurnCoturnTest, DeallocatesOnClose) {
  auto first = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(Allocate(first.get()));
  int fd = first->fd;

  // Control: another client on the same socket while the allocation lives.
  auto second = std::make_unique<Endpoint>(RTC_TURN_FRAMING_DATAGRAM);
  ASSERT_TRUE(second->Connect(coturn_->port(), fd));
  second->Create();
  EXPECT_FALSE(Allocate(second.get()));
  EXPECT_EQ(second->failed_code, 437);
  second->fd = -1;  // first owns it

  rtc_turn_client_close(first->client, Now());
  ASSERT_TRUE(
      Pump({first.get()}, [&] { return first->Has(RTC_TURN_EVENT_CLOSED); }));
  EXPECT_EQ(rtc_turn_client_state(first->client), RTC_TURN_STATE_CLOSED);

  EXPECT_NE(coturn_->Log().find("lifetime=0"), std::string::npos);

  // coturn drops a deleted allocation's session on its next timer tick
  // (about a second); until then the 5-tuple still answers 437.
  bool allocated = false;
  int64_t end = rtc_time_monotonic_us() + 5 * kSec;
  while (!allocated && rtc_time_monotonic_us() < end) {
    auto third = std::make_unique<Endpoint>(RTC_TURN_FRAMING_DATAGRAM);
    ASSERT_TRUE(third->Connect(coturn_->port(), fd));
    third->Create();
    allocated = Allocate(third.get());
    if (allocated) {
      rtc_turn_client_close(third->client, Now());
      EXPECT_TRUE(Pump({third.get()},
                       [&] { return third->Has(RTC_TURN_EVENT_CLOSED); }));
    } else {
      EXPECT_EQ(third->failed_code, 437);
      usleep(100000);  // waiting for the server's timer: real time
    }
    third->fd = -1;
  }
  EXPECT_TRUE(allocated);
}

// The client's clock jumps 9 minutes at a time: each jump makes it refresh
// the allocation (and the permission and channel) with the real server.
TEST_F(TurnCoturnTest, RefreshesAcross20SimulatedMinutes) {
  auto a = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  auto b = NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
  Pair(a.get(), b.get());
  ASSERT_FALSE(HasFatalFailure());
  rtc_socket_address rb = rtc_turn_client_relayed_address(b->client);
  ASSERT_EQ(rtc_turn_client_bind_channel(a->client, &rb, Now(), nullptr),
            RTC_OK);
  ASSERT_TRUE(Pump({a.get(), b.get()},
                   [&] { return a->Has(RTC_TURN_EVENT_CHANNEL_BOUND); }));
  int64_t start = Now();
  while (Now() - start < 20 * 60 * kSec) {
    int64_t expires = rtc_turn_client_expires_us(a->client);
    int permissions = a->Count(RTC_TURN_EVENT_PERMISSION_CREATED);
    // Just past the next deadline of either (a refresh of something).
    int64_t next = std::min(rtc_turn_client_next_deadline_us(a->client),
                            rtc_turn_client_next_deadline_us(b->client));
    ASSERT_NE(next, INT64_MAX);
    offset_us_ += next - Now() + 1;
    ASSERT_TRUE(Pump({a.get(), b.get()}, [&] {
      return rtc_turn_client_expires_us(a->client) != expires ||
             a->Count(RTC_TURN_EVENT_PERMISSION_CREATED) > permissions ||
             std::min(rtc_turn_client_next_deadline_us(a->client),
                      rtc_turn_client_next_deadline_us(b->client)) > Now();
    }));
    ASSERT_EQ(rtc_turn_client_state(a->client), RTC_TURN_STATE_ALLOCATED);
    ASSERT_EQ(rtc_turn_client_state(b->client), RTC_TURN_STATE_ALLOCATED);
    // Let the requests finish.
    ASSERT_TRUE(Pump({a.get(), b.get()}, [&] {
      return rtc_turn_client_next_deadline_us(a->client) > Now() + kSec &&
             rtc_turn_client_next_deadline_us(b->client) > Now() + kSec;
    }));
  }
  EXPECT_GT(rtc_turn_client_expires_us(a->client), Now() + 60 * kSec);
  EXPECT_GE(a->Count(RTC_TURN_EVENT_PERMISSION_CREATED), 5);
  EXPECT_FALSE(a->Has(RTC_TURN_EVENT_FAILED));
  // The relay still works, through the refreshed channel.
  Exchange(a.get(), b.get(), "after 20 minutes");
  EXPECT_EQ(b->received_channel.back(), 0);  // b has no channel to a
}

// Allocation round trips (401, then the authenticated Allocate) on
// loopback, each on a fresh socket (for TCP and TLS: after connect(), the
// TLS handshake included).
TEST_F(TurnCoturnTest, MeasuresAllocationTimes) {
  for (const char* kind : {"UDP", "TCP", "TLS"}) {
    std::vector<double> ms;
    for (int i = 0; i < 20; i++) {
      std::string k = kind;
      auto e = k == "TLS"   ? NewTlsEndpoint(coturn_->ca_file())
               : k == "TCP" ? NewEndpoint(RTC_TURN_FRAMING_STREAM)
                            : NewEndpoint(RTC_TURN_FRAMING_DATAGRAM);
      ASSERT_TRUE(Allocate(e.get()));
      ms.push_back((e->allocated_at_us - start_us_) / 1000.0);
      rtc_turn_client_close(e->client, Now());
      ASSERT_TRUE(
          Pump({e.get()}, [&] { return e->Has(RTC_TURN_EVENT_CLOSED); }));
    }
    std::sort(ms.begin(), ms.end());
    printf(
        "[ measure  ] %s allocation over loopback (20 runs, fresh "
        "connections): min %.2f ms, median %.2f ms, max %.2f ms\n",
        kind, ms.front(), ms[ms.size() / 2], ms.back());
  }
}

}  // namespace
