// Smoke test of //third_party/usrsctp: the user-land SCTP stack with AF_CONN
// sockets, the way WebRTC data channels run SCTP over DTLS (RFC 8261).
// Packets never touch the network: the stack hands them to an output
// callback, and the test feeds them back with usrsctp_conninput().

#include <usrsctp.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// WebRTC's PPID for a string message (RFC 8831 section 8).
constexpr uint32_t kPpidString = 51;
constexpr uint16_t kPort = 5000;

// The AF_CONN addresses of the two endpoints. usrsctp only compares these
// pointers; the test uses them to know which endpoint sent a packet.
char endpoint_a;
char endpoint_b;

struct Packet {
  void* from;
  std::vector<uint8_t> bytes;
};

// Packets the stack has sent and the test has not delivered yet. The output
// callback runs on the calling thread and may run on usrsctp's iterator
// thread, hence the mutex. Never destroyed: that thread may outlive a failed
// test.
struct PacketQueue {
  std::mutex mutex;
  std::deque<Packet> packets;  // Guarded by |mutex|.
  size_t sent = 0;             // Guarded by |mutex|.
};

PacketQueue& Queue() {
  static PacketQueue* const queue = new PacketQueue;
  return *queue;
}

int ConnOutput(void* addr,
               void* buffer,
               size_t length,
               uint8_t tos,
               uint8_t set_df) {
  const auto* bytes = static_cast<const uint8_t*>(buffer);
  PacketQueue& queue = Queue();
  std::lock_guard<std::mutex> lock(queue.mutex);
  queue.packets.push_back(Packet{addr, {bytes, bytes + length}});
  queue.sent++;
  return 0;
}

sockaddr_conn ConnAddress(void* addr) {
  sockaddr_conn sconn;
  std::memset(&sconn, 0, sizeof(sconn));
  sconn.sconn_family = AF_CONN;
  sconn.sconn_port = htons(kPort);
  sconn.sconn_addr = addr;
  return sconn;
}

class UsrSctpSmoke : public testing::Test {
 protected:
  void SetUp() override {
    {
      std::lock_guard<std::mutex> lock(Queue().mutex);
      Queue().packets.clear();
      Queue().sent = 0;
    }
    // Port 0: no UDP encapsulation socket. The "nothreads" variant (what
    // libwebrtc uses for data channels) starts no timer thread and, unlike
    // usrsctp_init(), opens no raw IPv4/IPv6 SCTP sockets with receive
    // threads (it does when run as root): AF_CONN only, no network. Timers
    // run when the test calls usrsctp_handle_timers().
    usrsctp_init_nothreads(0, ConnOutput, nullptr);
    initialized_ = true;
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_register_address(&endpoint_a);
    usrsctp_register_address(&endpoint_b);
  }

  void TearDown() override {
    for (struct socket* sock : sockets_) {
      usrsctp_close(sock);
    }
    sockets_.clear();
    if (initialized_) {
      DeliverPackets();
      usrsctp_deregister_address(&endpoint_a);
      usrsctp_deregister_address(&endpoint_b);
      EXPECT_TRUE(Finish());
    }
    std::lock_guard<std::mutex> lock(Queue().mutex);
    Queue().packets.clear();
  }

  // A blocking AF_CONN one-to-one socket, closed by TearDown() unless the
  // test closes it with Close().
  struct socket* NewSocket() {
    struct socket* sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP,
                                         nullptr, nullptr, 0, nullptr);
    if (sock != nullptr) {
      sockets_.push_back(sock);
    }
    return sock;
  }

  void Close(struct socket* sock) {
    for (auto it = sockets_.begin(); it != sockets_.end(); ++it) {
      if (*it == sock) {
        sockets_.erase(it);
        break;
      }
    }
    usrsctp_close(sock);
  }

  static int Bind(struct socket* sock, void* addr) {
    sockaddr_conn sconn = ConnAddress(addr);
    return usrsctp_bind(sock, reinterpret_cast<sockaddr*>(&sconn),
                        sizeof(sconn));
  }

  // Delivers queued packets, and those they trigger, until none is left.
  // A packet from endpoint A goes to B and the other way round.
  static void DeliverPackets() {
    for (int i = 0; i < 1000; ++i) {
      Packet packet;
      {
        std::lock_guard<std::mutex> lock(Queue().mutex);
        if (Queue().packets.empty()) {
          return;
        }
        packet = std::move(Queue().packets.front());
        Queue().packets.pop_front();
      }
      void* to = packet.from == &endpoint_a ? &endpoint_b : &endpoint_a;
      usrsctp_conninput(to, packet.bytes.data(), packet.bytes.size(), 0);
    }
    ADD_FAILURE() << "packets keep coming";
  }

  static size_t PacketsSent() {
    std::lock_guard<std::mutex> lock(Queue().mutex);
    return Queue().sent;
  }

  // usrsctp_finish() fails while sockets or associations are still being
  // torn down, which may take a timer; retry for a bounded time, running the
  // timers between tries.
  bool Finish() {
    constexpr auto kRetryInterval = std::chrono::milliseconds(10);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (usrsctp_finish() != 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(kRetryInterval);
      usrsctp_handle_timers(static_cast<uint32_t>(kRetryInterval.count()));
      DeliverPackets();
    }
    initialized_ = false;
    return true;
  }

  bool initialized_ = false;
  std::vector<struct socket*> sockets_;
};

TEST_F(UsrSctpSmoke, ConnSocketBindsClosesAndStackFinishes) {
  struct socket* sock = NewSocket();
  ASSERT_NE(nullptr, sock) << std::strerror(errno);
  ASSERT_EQ(0, Bind(sock, &endpoint_a)) << std::strerror(errno);
  Close(sock);

  usrsctp_deregister_address(&endpoint_a);
  usrsctp_deregister_address(&endpoint_b);
  EXPECT_TRUE(Finish());
  // Nothing was sent: no association was ever started.
  EXPECT_EQ(0u, PacketsSent());
}

TEST_F(UsrSctpSmoke, ConnSocketsConnectInProcessAndDeliverMessage) {
  struct socket* listener = NewSocket();
  struct socket* client = NewSocket();
  ASSERT_NE(nullptr, listener);
  ASSERT_NE(nullptr, client);
  ASSERT_EQ(0, Bind(listener, &endpoint_b)) << std::strerror(errno);
  ASSERT_EQ(0, Bind(client, &endpoint_a)) << std::strerror(errno);
  const int on = 1;
  ASSERT_EQ(0, usrsctp_setsockopt(listener, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on,
                                  sizeof(on)));
  ASSERT_EQ(0, usrsctp_listen(listener, 1)) << std::strerror(errno);
  ASSERT_EQ(0, usrsctp_set_non_blocking(listener, 1));
  ASSERT_EQ(0, usrsctp_set_non_blocking(client, 1));

  // With AF_CONN each side addresses its peer with its own address: that is
  // the pointer its packets leave with (see ekr_loop.c in usrsctp).
  sockaddr_conn remote = ConnAddress(&endpoint_a);
  int ret = usrsctp_connect(client, reinterpret_cast<sockaddr*>(&remote),
                            sizeof(remote));
  ASSERT_TRUE(ret == 0 || errno == EINPROGRESS) << std::strerror(errno);

  // INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK (RFC 9260 section 5.1).
  DeliverPackets();
  EXPECT_GE(PacketsSent(), 4u);
  struct socket* server = usrsctp_accept(listener, nullptr, nullptr);
  ASSERT_NE(nullptr, server) << std::strerror(errno);
  sockets_.push_back(server);
  ASSERT_EQ(0, usrsctp_set_non_blocking(server, 1));

  const std::string message = "hello over SCTP";
  sctp_sndinfo sndinfo;
  std::memset(&sndinfo, 0, sizeof(sndinfo));
  sndinfo.snd_sid = 1;
  sndinfo.snd_ppid = htonl(kPpidString);
  ASSERT_EQ(static_cast<ssize_t>(message.size()),
            usrsctp_sendv(client, message.data(), message.size(), nullptr, 0,
                          &sndinfo, sizeof(sndinfo), SCTP_SENDV_SNDINFO, 0))
      << std::strerror(errno);
  DeliverPackets();

  char buf[256];
  sctp_rcvinfo rcvinfo;
  std::memset(&rcvinfo, 0, sizeof(rcvinfo));
  socklen_t infolen = sizeof(rcvinfo);
  unsigned int infotype = SCTP_RECVV_NOINFO;
  int flags = 0;
  ssize_t n = usrsctp_recvv(server, buf, sizeof(buf), nullptr, nullptr,
                            &rcvinfo, &infolen, &infotype, &flags);
  ASSERT_GT(n, 0) << std::strerror(errno);
  EXPECT_EQ(message, std::string(buf, static_cast<size_t>(n)));
  EXPECT_NE(0, flags & MSG_EOR);
  ASSERT_EQ(static_cast<unsigned int>(SCTP_RECVV_RCVINFO), infotype);
  EXPECT_EQ(1, rcvinfo.rcv_sid);
  EXPECT_EQ(kPpidString, ntohl(rcvinfo.rcv_ppid));

  // Abort rather than shut down gracefully, so that closing needs no timer.
  const linger abort_on_close = {1, 0};
  for (struct socket* sock : {client, server}) {
    EXPECT_EQ(0, usrsctp_setsockopt(sock, SOL_SOCKET, SO_LINGER,
                                    &abort_on_close, sizeof(abort_on_close)));
  }
}

}  // namespace
