// The kernel's TCP sockets (p2p/stream_socket.h, p2p/tcp_socket.c) over
// the loopback interface, on a real event loop.

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "p2p/socket_factory.h"
#include "p2p/stream_socket.h"
#include "p2p/udp_socket.h"
#include "rtc_base/event_loop.h"
#include "rtc_base/socket_address.h"
#include "test/support/run_on.h"

namespace {

constexpr int kWaitMs = 10000;

rtc_socket_address Addr(const std::string& text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text.data(), text.size(), &a), RTC_OK)
      << text;
  return a;
}

// One end of a connection: what its socket reported, under a lock; the
// test thread waits on it.
struct End {
  std::mutex mu;
  std::condition_variable cv;
  rtc_stream_socket* socket = nullptr;
  bool connected = false;
  int writable = 0;
  int closed = 0;
  rtc_error close_error = RTC_OK;
  std::string received;
  // Runs on the loop thread after each event (under no lock).
  std::function<void()> on_event;

  static const rtc_stream_socket_observer kObserver;

  template <typename F>
  bool Wait(F done) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::milliseconds(kWaitMs), done);
  }
  void Changed() {
    cv.notify_all();
    if (on_event)
      on_event();
  }
};

End* E(void* user) {
  return static_cast<End*>(user);
}

const rtc_stream_socket_observer End::kObserver = {
    [](void* u, rtc_stream_socket*) {
      {
        std::lock_guard<std::mutex> lock(E(u)->mu);
        E(u)->connected = true;
      }
      E(u)->Changed();
    },
    [](void* u, rtc_stream_socket*, const uint8_t* data, size_t size) {
      {
        std::lock_guard<std::mutex> lock(E(u)->mu);
        E(u)->received.append(reinterpret_cast<const char*>(data), size);
      }
      E(u)->Changed();
    },
    [](void* u, rtc_stream_socket*) {
      {
        std::lock_guard<std::mutex> lock(E(u)->mu);
        E(u)->writable++;
      }
      E(u)->Changed();
    },
    [](void* u, rtc_stream_socket*, rtc_error error) {
      {
        std::lock_guard<std::mutex> lock(E(u)->mu);
        E(u)->closed++;
        E(u)->close_error = error;
      }
      E(u)->Changed();
    },
};

class TcpSocketTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_event_loop_create("tcp-test", &loop_), RTC_OK);
    ASSERT_EQ(rtc_system_socket_factory_create(&factory_), RTC_OK);
  }

  void TearDown() override {
    RunOn([&] {
      rtc_stream_socket_destroy(client_.socket);
      rtc_stream_socket_destroy(server_.socket);
      rtc_stream_listener_destroy(listener_);
    });
    rtc_task_queue_destroy(loop_);
    rtc_system_socket_factory_destroy(factory_);
  }

  void RunOn(const std::function<void()>& fn) { rtc_test::RunOn(loop_, fn); }

  static void OnAccept(void* user,
                       rtc_stream_listener*,
                       rtc_stream_socket* socket) {
    auto* self = static_cast<TcpSocketTest*>(user);
    self->accepted_++;
    if (self->server_.socket) {  // one connection per test
      rtc_stream_socket_destroy(socket);
      return;
    }
    rtc_stream_socket_set_observer(socket, &End::kObserver, &self->server_);
    {
      std::lock_guard<std::mutex> lock(self->server_.mu);
      self->server_.socket = socket;
      self->server_.connected = true;
    }
    self->server_.cv.notify_all();
  }

  // A listener on `ip` and a client connected to it; both ends up.
  void Connect(const std::string& ip) {
    static const rtc_stream_listener_observer kListener = {OnAccept};
    rtc_socket_address port;
    RunOn([&] {
      ASSERT_EQ(rtc_socket_factory_listen_tcp(factory_, loop_, At(ip),
                                              &kListener, this, &listener_),
                RTC_OK);
      ASSERT_EQ(rtc_stream_listener_local_address(listener_, &port), RTC_OK);
      ASSERT_NE(port.port, 0);
      ASSERT_EQ(rtc_socket_factory_connect_tcp(factory_, loop_, At(ip), &port,
                                               &End::kObserver, &client_,
                                               &client_.socket),
                RTC_OK);
      // Never reported from within the call.
      EXPECT_FALSE(client_.connected);
    });
    ASSERT_TRUE(client_.Wait([&] { return client_.connected; }));
    ASSERT_TRUE(server_.Wait([&] { return server_.connected; }));
    listen_address_ = port;
  }

  // Sends all of `data` from e, waiting for room when needed.
  void SendAll(End& e, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      int writable = 0;
      size_t accepted = 0;
      RunOn([&] {
        writable = e.writable;
        ASSERT_EQ(
            rtc_stream_socket_send(
                e.socket, reinterpret_cast<const uint8_t*>(data.data()) + done,
                data.size() - done, &accepted),
            RTC_OK);
      });
      done += accepted;
      if (done < data.size()) {
        ASSERT_TRUE(e.Wait([&] { return e.writable > writable; }));
      }
    }
  }

  // An address that lives as long as the test.
  const rtc_socket_address* At(const std::string& text) {
    addresses_.push_back(Addr(text));
    return &addresses_.back();
  }

  std::deque<rtc_socket_address> addresses_;
  rtc_task_queue* loop_ = nullptr;
  rtc_socket_factory* factory_ = nullptr;
  rtc_stream_listener* listener_ = nullptr;
  rtc_socket_address listen_address_{};
  End client_, server_;
  int accepted_ = 0;
};

TEST_F(TcpSocketTest, ConnectsAndCarriesBytesBothWays) {
  Connect("127.0.0.1");
  rtc_socket_address local, remote, server_remote;
  RunOn([&] {
    ASSERT_EQ(rtc_stream_socket_local_address(client_.socket, &local), RTC_OK);
    ASSERT_EQ(rtc_stream_socket_remote_address(client_.socket, &remote),
              RTC_OK);
    ASSERT_EQ(rtc_stream_socket_remote_address(server_.socket, &server_remote),
              RTC_OK);
  });
  EXPECT_TRUE(rtc_socket_address_equal(&remote, &listen_address_));
  EXPECT_TRUE(rtc_socket_address_equal(&local, &server_remote));
  SendAll(client_, "hello");
  SendAll(server_, "and hello back");
  EXPECT_TRUE(server_.Wait([&] { return server_.received == "hello"; }));
  EXPECT_TRUE(
      client_.Wait([&] { return client_.received == "and hello back"; }));
  EXPECT_EQ(accepted_, 1);
}

TEST_F(TcpSocketTest, WorksOverIpv6) {
  Connect("::1");
  SendAll(client_, "six");
  EXPECT_TRUE(server_.Wait([&] { return server_.received == "six"; }));
}

// 16 MiB one way, the receiver reading as it comes: every byte arrives in
// order; the sender's buffer fills and on_writable says when to go on.
TEST_F(TcpSocketTest, LargeTransferArrivesWholeAndInOrder) {
  Connect("127.0.0.1");
  std::string data(16 << 20, '\0');
  uint32_t x = 1;
  for (auto& c : data) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  SendAll(client_, data);
  ASSERT_TRUE(
      server_.Wait([&] { return server_.received.size() >= data.size(); }));
  EXPECT_TRUE(server_.received == data);
  EXPECT_GT(client_.writable, 0);
}

TEST_F(TcpSocketTest, OrderlyCloseComesAfterTheLastBytes) {
  Connect("127.0.0.1");
  SendAll(client_, "last words");
  RunOn([&] {
    rtc_stream_socket_destroy(client_.socket);
    client_.socket = nullptr;
  });
  ASSERT_TRUE(server_.Wait([&] { return server_.closed > 0; }));
  EXPECT_EQ(server_.close_error, RTC_OK);
  EXPECT_EQ(server_.received, "last words");
  RunOn([&] {
    size_t accepted = 0;
    EXPECT_EQ(rtc_stream_socket_send(server_.socket,
                                     reinterpret_cast<const uint8_t*>("x"), 1,
                                     &accepted),
              RTC_ERR_CLOSED);
    EXPECT_EQ(accepted, 0u);
  });
  EXPECT_EQ(server_.closed, 1);
  EXPECT_EQ(client_.closed, 0);  // destroyed: no callback
}

TEST_F(TcpSocketTest, RefusedConnectionIsANetworkError) {
  // A port nobody listens on: a listener's, closed again.
  static const rtc_stream_listener_observer kListener = {OnAccept};
  rtc_socket_address port;
  RunOn([&] {
    ASSERT_EQ(rtc_socket_factory_listen_tcp(factory_, loop_, At("127.0.0.1"),
                                            &kListener, this, &listener_),
              RTC_OK);
    ASSERT_EQ(rtc_stream_listener_local_address(listener_, &port), RTC_OK);
    rtc_stream_listener_destroy(listener_);
    listener_ = nullptr;
    ASSERT_EQ(rtc_socket_factory_connect_tcp(factory_, loop_, At("127.0.0.1"),
                                             &port, &End::kObserver, &client_,
                                             &client_.socket),
              RTC_OK);
  });
  ASSERT_TRUE(client_.Wait([&] { return client_.closed > 0; }));
  EXPECT_EQ(client_.close_error, RTC_ERR_NETWORK);
  EXPECT_FALSE(client_.connected);
}

TEST_F(TcpSocketTest, SendBeforeConnectedIsRefused) {
  static const rtc_stream_listener_observer kListener = {OnAccept};
  RunOn([&] {
    rtc_socket_address port;
    ASSERT_EQ(rtc_socket_factory_listen_tcp(factory_, loop_, At("127.0.0.1"),
                                            &kListener, this, &listener_),
              RTC_OK);
    ASSERT_EQ(rtc_stream_listener_local_address(listener_, &port), RTC_OK);
    ASSERT_EQ(rtc_socket_factory_connect_tcp(factory_, loop_, At("127.0.0.1"),
                                             &port, &End::kObserver, &client_,
                                             &client_.socket),
              RTC_OK);
    size_t accepted = 7;
    EXPECT_EQ(rtc_stream_socket_send(client_.socket,
                                     reinterpret_cast<const uint8_t*>("x"), 1,
                                     &accepted),
              RTC_ERR_INVALID_STATE);
    EXPECT_EQ(accepted, 0u);
  });
}

// A peer that does not read (a plain socket here): the sender's buffer
// fills (sends take less, then nothing); destroying it with bytes still
// buffered resets the connection, and the peer learns of it as an error,
// not as an orderly end that would pass a truncated stream for a whole one.
TEST_F(TcpSocketTest, DestroyWithBytesBufferedResetsTheConnection) {
  int raw = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(raw, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  ASSERT_EQ(bind(raw, reinterpret_cast<sockaddr*>(&sin), len), 0);
  ASSERT_EQ(listen(raw, 1), 0);
  ASSERT_EQ(getsockname(raw, reinterpret_cast<sockaddr*>(&sin), &len), 0);
  rtc_socket_address to = Addr("127.0.0.1");
  to.port = ntohs(sin.sin_port);
  RunOn([&] {
    ASSERT_EQ(rtc_socket_factory_connect_tcp(factory_, loop_, At("127.0.0.1"),
                                             &to, &End::kObserver, &client_,
                                             &client_.socket),
              RTC_OK);
  });
  int peer = accept(raw, nullptr, nullptr);
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(client_.Wait([&] { return client_.connected; }));
  std::string chunk(1 << 20, 'z');
  size_t total = 0;
  bool full = false;
  for (int i = 0; i < 512 && !full; i++) {
    RunOn([&] {
      size_t accepted = 0;
      ASSERT_EQ(
          rtc_stream_socket_send(client_.socket,
                                 reinterpret_cast<const uint8_t*>(chunk.data()),
                                 chunk.size(), &accepted),
          RTC_OK);
      total += accepted;
      full = accepted < chunk.size();
    });
  }
  ASSERT_TRUE(full) << total;
  RunOn([&] {
    rtc_stream_socket_destroy(client_.socket);
    client_.socket = nullptr;
  });
  // The peer reads what reached it, then the reset.
  std::vector<char> buf(1 << 16);
  ssize_t n;
  size_t got = 0;
  while ((n = recv(peer, buf.data(), buf.size(), 0)) > 0)
    got += static_cast<size_t>(n);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(errno, ECONNRESET);
  EXPECT_LT(got, total);
  close(peer);
  close(raw);
}

TEST_F(TcpSocketTest, BadArgumentsAreRefused) {
  static const rtc_stream_listener_observer kListener = {OnAccept};
  static const rtc_stream_socket_observer kNoData = {nullptr, nullptr, nullptr,
                                                     nullptr};
  RunOn([&] {
    rtc_stream_socket* s = nullptr;
    rtc_socket_address to4 = Addr("127.0.0.1:9");
    rtc_socket_address port0 = Addr("127.0.0.1");
    rtc_socket_address to6 = Addr("[::1]:9");
    EXPECT_EQ(
        rtc_socket_factory_connect_tcp(factory_, loop_, At("127.0.0.1"), &port0,
                                       &End::kObserver, &client_, &s),
        RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(
        rtc_socket_factory_connect_tcp(factory_, loop_, At("127.0.0.1"), &to6,
                                       &End::kObserver, &client_, &s),
        RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(rtc_socket_factory_connect_tcp(factory_, loop_, At("127.0.0.1"),
                                             &to4, &kNoData, &client_, &s),
              RTC_ERR_INVALID_ARGUMENT);
    // An address that is not this host's.
    EXPECT_EQ(
        rtc_socket_factory_connect_tcp(factory_, loop_, At("192.0.2.1"), &to4,
                                       &End::kObserver, &client_, &s),
        RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(s, nullptr);
    rtc_stream_listener* l = nullptr;
    EXPECT_EQ(rtc_socket_factory_listen_tcp(factory_, loop_, At("192.0.2.1"),
                                            &kListener, this, &l),
              RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(l, nullptr);
  });
}

// A factory without TCP (the vtable's entries NULL) says so.
TEST(StreamSocketFactoryTest, FactoryWithoutTcpSaysNotSupported) {
  static const rtc_socket_factory_vtable kNoTcp = {};
  rtc_socket_factory factory = {&kNoTcp};
  static const rtc_stream_listener_observer kListener = {
      [](void*, rtc_stream_listener*, rtc_stream_socket*) {}};
  rtc_socket_address local = Addr("127.0.0.1");
  rtc_socket_address remote = Addr("127.0.0.1:9");
  rtc_stream_socket* s = nullptr;
  EXPECT_EQ(rtc_socket_factory_connect_tcp(&factory, nullptr, &local, &remote,
                                           &End::kObserver, nullptr, &s),
            RTC_ERR_NOT_SUPPORTED);
  rtc_stream_listener* l = nullptr;
  EXPECT_EQ(rtc_socket_factory_listen_tcp(&factory, nullptr, &local, &kListener,
                                          nullptr, &l),
            RTC_ERR_NOT_SUPPORTED);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(l, nullptr);
}

}  // namespace
