// Tests of the kernel's sockets over the real loopback interface (127.0.0.1
// and ::1). They run a real event loop, so they wait on condition variables
// for what the loop thread reports (never sleep) and keep every wait
// bounded; nothing here depends on how fast the machine is.
//
// Environment knobs for runs in a prepared network namespace (never needed,
// the tests skip with a reason without them):
//   RTCBOX_TEST_SLOW_DESTINATION=ip:port  a destination behind a throttled
//       link (a tbf qdisc), so that a sender with a tiny SO_SNDBUF blocks.
//   RTCBOX_TEST_MULTICAST_IF=name  the interface for the group test
//       instead of lo (Linux does not carry IPv6 multicast over lo).
//
// For example, as root:
//   ip netns add t1; ip netns add t2; ip -n t1 link set lo up
//   ip -n t1 link add va type veth peer name vb netns t2
//   ip -n t1 addr add 10.9.0.1/24 dev va; ip -n t1 link set va up
//   ip -n t2 addr add 10.9.0.2/24 dev vb; ip -n t2 link set vb up
//   ip -n t1 link add vc type veth peer name vd   # down: a quiet interface
//   tc -n t1 qdisc add dev va root tbf rate 200kbit burst 1600 limit 200000
//   export RTCBOX_TEST_SLOW_DESTINATION=10.9.0.2:9
//   export RTCBOX_TEST_MULTICAST_IF=va
//   ip netns exec t1 out/asan/udp_socket_unittests

#include "p2p/udp_socket.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "p2p/socket_factory.h"
#include "p2p/system_factory_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/clock.h"
#include "rtc_base/event_loop.h"
#include "rtc_base/random.h"
#include "rtc_base/socket_address.h"
#include "test/support/run_on.h"

namespace {

using rtc_test::PostFunction;
using rtc_test::RunOn;

constexpr int kWaitMs = 10000;

rtc_socket_address Addr(const std::string& text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text.data(), text.size(), &a), RTC_OK)
      << text;
  return a;
}

std::string Format(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&a, buf, sizeof(buf));
  return buf;
}

// Posts a std::function to the queue.

struct Received {
  std::vector<uint8_t> data;
  rtc_socket_address source;
  rtc_socket_address destination;
  int64_t arrival_us;
};

// An observer that records what the loop thread reports; the test thread
// waits for it. `on_packets_hook` runs on the loop thread after recording.
class Collector {
 public:
  static const rtc_packet_socket_observer kObserver;

  bool WaitForPackets(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(kWaitMs),
                        [&] { return packets_.size() >= count; });
  }
  bool WaitForWritable() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(kWaitMs),
                        [&] { return writable_ > 0; });
  }
  std::vector<Received> packets() {
    std::lock_guard<std::mutex> lock(mu_);
    return packets_;
  }
  std::vector<size_t> batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  int writable() {
    std::lock_guard<std::mutex> lock(mu_);
    return writable_;
  }
  int closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

  std::function<void(rtc_packet_socket*, const rtc_received_packet*, size_t)>
      on_packets_hook;
  // Runs on the loop thread after recording.
  std::function<void(rtc_packet_socket*)> on_writable_hook;
  // False: only the hook sees packets (long runs).
  bool record = true;

 private:
  static void OnPackets(void* user,
                        rtc_packet_socket* socket,
                        const rtc_received_packet* packets,
                        size_t count) {
    auto* self = static_cast<Collector*>(user);
    if (self->record) {
      std::lock_guard<std::mutex> lock(self->mu_);
      for (size_t i = 0; i < count; i++) {
        const rtc_received_packet& p = packets[i];
        self->packets_.push_back({std::vector<uint8_t>(p.data, p.data + p.size),
                                  p.source, p.destination, p.arrival_us});
      }
      self->batches_.push_back(count);
      self->cv_.notify_all();
    }
    if (self->on_packets_hook)
      self->on_packets_hook(socket, packets, count);
  }
  static void OnWritable(void* user, rtc_packet_socket* socket) {
    auto* self = static_cast<Collector*>(user);
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->writable_++;
      self->cv_.notify_all();
    }
    if (self->on_writable_hook)
      self->on_writable_hook(socket);
  }
  static void OnClosed(void* user, rtc_packet_socket*, rtc_error) {
    auto* self = static_cast<Collector*>(user);
    std::lock_guard<std::mutex> lock(self->mu_);
    self->closed_++;
    self->cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> packets_;
  std::vector<size_t> batches_;
  int writable_ = 0;
  int closed_ = 0;
};

const rtc_packet_socket_observer Collector::kObserver = {
    &Collector::OnPackets, &Collector::OnWritable, &Collector::OnClosed};

bool HasIpv6Loopback() {
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in6 sin6 = {};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)) == 0;
  close(fd);
  return ok;
}

#define SKIP_WITHOUT_IPV6_LOOPBACK()                                    \
  do {                                                                  \
    if (!HasIpv6Loopback())                                             \
      GTEST_SKIP() << "::1 is not available on this machine (IPv6 off " \
                      "or no address on lo)";                           \
  } while (0)

int CountOpenFds() {
  int n = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir)
    return -1;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.')
      n++;
  }
  closedir(dir);
  return n;
}

// The descriptor of this process's UDP socket bound to `local` (the tests
// reach the kernel socket behind an rtc_packet_socket to inspect it or to
// set options the factory does not). -1 if none.
int FindSocketFd(const rtc_socket_address& local) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir)
    return -1;
  int found = -1;
  while (dirent* e = readdir(dir)) {
    char* end;
    long fd = std::strtol(e->d_name, &end, 10);
    if (e->d_name[0] == '.' || *end != '\0')
      continue;
    struct stat st;
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode))
      continue;
    int type = 0;
    socklen_t type_len = sizeof(type);
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type,
                   &type_len) != 0 ||
        type != SOCK_DGRAM)
      continue;
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    rtc_socket_address a;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&ss),
                    &len) == 0 &&
        rtc_socket_address_from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len,
                                         &a) == RTC_OK &&
        rtc_socket_address_equal(&a, &local)) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  return found;
}

std::vector<uint8_t> Pattern(size_t size, uint32_t seed) {
  std::vector<uint8_t> v(size);
  for (size_t i = 0; i < size; i++)
    v[i] = static_cast<uint8_t>((i * 131 + seed * 7 + (i >> 8)) & 0xff);
  return v;
}

class UdpSocketTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_event_loop_create("udp-test", &q_), RTC_OK);
    ASSERT_EQ(rtc_system_socket_factory_create(&factory_), RTC_OK);
  }
  void TearDown() override {
    while (!sockets_.empty())
      Destroy(sockets_.back());
    rtc_system_socket_factory_destroy(factory_);
    rtc_task_queue_destroy(q_);
  }

  // Creates a socket on the loop; it is destroyed at the end of the test
  // unless the test destroys it with Destroy().
  rtc_error Create(const std::string& local,
                   Collector* collector,
                   rtc_packet_socket** out,
                   const rtc_udp_options* options = nullptr) {
    rtc_socket_address addr = Addr(local);
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(q_, [&] {
      err = rtc_socket_factory_create_udp(
          factory_, q_, &addr, options, &Collector::kObserver, collector, out);
    });
    if (err == RTC_OK)
      sockets_.push_back(*out);
    return err;
  }
  rtc_packet_socket* MustCreate(const std::string& local,
                                Collector* collector,
                                const rtc_udp_options* options = nullptr) {
    rtc_packet_socket* s = nullptr;
    EXPECT_EQ(Create(local, collector, &s, options), RTC_OK) << local;
    return s;
  }
  // A socket with a 1 MiB receive buffer, so that a burst a test sends
  // all fits.
  rtc_packet_socket* MustCreateReceiver(const std::string& local,
                                        Collector* collector) {
    rtc_udp_options big = {};
    big.receive_buffer_size = 1 << 20;
    return MustCreate(local, collector, &big);
  }
  rtc_error CreateMulticast(const std::string& group,
                            uint32_t if_index,
                            Collector* collector,
                            rtc_packet_socket** out) {
    rtc_socket_address addr = Addr(group);
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(q_, [&] {
      err = rtc_socket_factory_create_multicast_udp(
          factory_, q_, &addr, if_index, &Collector::kObserver, collector, out);
    });
    if (err == RTC_OK)
      sockets_.push_back(*out);
    return err;
  }
  void Destroy(rtc_packet_socket* s) {
    sockets_.erase(std::remove(sockets_.begin(), sockets_.end(), s),
                   sockets_.end());
    RunOn(q_, [&] { rtc_packet_socket_destroy(s); });
  }
  // Forgets a socket the test destroyed on the loop by itself.
  void Forget(rtc_packet_socket* s) {
    sockets_.erase(std::remove(sockets_.begin(), sockets_.end(), s),
                   sockets_.end());
  }
  rtc_socket_address Local(rtc_packet_socket* s) {
    rtc_socket_address a;
    rtc_socket_address_clear(&a);
    RunOn(q_,
          [&] { EXPECT_EQ(rtc_packet_socket_local_address(s, &a), RTC_OK); });
    return a;
  }
  rtc_error Send(rtc_packet_socket* s,
                 const std::vector<rtc_outgoing_packet>& packets,
                 size_t* sent) {
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(q_, [&] {
      err = rtc_packet_socket_send(s, packets.data(), packets.size(), sent);
    });
    return err;
  }
  rtc_error SendTo(rtc_packet_socket* s,
                   const std::vector<uint8_t>& data,
                   const rtc_socket_address& to) {
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(q_, [&] {
      err = rtc_packet_socket_send_to(s, data.data(), data.size(), &to);
    });
    return err;
  }
  // The socket's counters. Sends of an earlier task are flushed by now
  // (at the end of that task's loop round).
  rtc_system_udp_stats Stats(rtc_packet_socket* s) {
    rtc_system_udp_stats stats = {};
    RunOn(q_, [&] { rtc_system_udp_socket_stats(s, &stats); });
    return stats;
  }
  void SetFaults(rtc_packet_socket* s, const rtc_system_udp_faults& faults) {
    RunOn(q_, [&] { rtc_system_udp_socket_set_faults(s, &faults); });
  }
  std::vector<rtc_network_interface> ListAll() {
    size_t count = 0;
    EXPECT_EQ(factory_->vtable->list_interfaces(factory_, nullptr, 0, &count),
              RTC_OK);
    std::vector<rtc_network_interface> all(count + 8);
    EXPECT_EQ(factory_->vtable->list_interfaces(factory_, all.data(),
                                                all.size(), &count),
              RTC_OK);
    all.resize(std::min(count, all.size()));
    return all;
  }
  // A port that is free on 127.0.0.1 right now.
  uint16_t FreePort() {
    Collector& c = NewCollector();
    rtc_packet_socket* s = MustCreate("127.0.0.1:0", &c);
    uint16_t port = Local(s).port;
    Destroy(s);
    return port;
  }

  // Observers outlive every socket of the test (TearDown destroys the
  // sockets first).
  Collector& NewCollector() {
    collectors_.push_back(std::make_unique<Collector>());
    return *collectors_.back();
  }

  rtc_task_queue* q_ = nullptr;
  rtc_socket_factory* factory_ = nullptr;
  std::vector<rtc_packet_socket*> sockets_;
  std::vector<std::unique_ptr<Collector>> collectors_;
};

// --- Binding ---

TEST_F(UdpSocketTest, BindsPortZeroToAKernelChosenPort) {
  Collector& c = NewCollector();
  rtc_packet_socket* s = MustCreate("127.0.0.1:0", &c);
  ASSERT_NE(s, nullptr);
  rtc_socket_address local = Local(s);
  EXPECT_EQ(local.family, RTC_AF_INET);
  EXPECT_EQ(Format(local).rfind("127.0.0.1:", 0), 0u) << Format(local);
  EXPECT_NE(local.port, 0);
}

TEST_F(UdpSocketTest, BindsIpv6LoopbackPortZeroToAKernelChosenPort) {
  SKIP_WITHOUT_IPV6_LOOPBACK();
  Collector& c = NewCollector();
  rtc_packet_socket* s = MustCreate("[::1]:0", &c);
  ASSERT_NE(s, nullptr);
  rtc_socket_address local = Local(s);
  EXPECT_EQ(local.family, RTC_AF_INET6);
  EXPECT_TRUE(rtc_socket_address_is_loopback(&local));
  EXPECT_NE(local.port, 0);
}

TEST_F(UdpSocketTest, BindsTheExactPortAskedFor) {
  uint16_t port = FreePort();
  Collector& c = NewCollector();
  rtc_packet_socket* s = MustCreate("127.0.0.1:" + std::to_string(port), &c);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Local(s).port, port);
  // Taken now.
  rtc_packet_socket* again = nullptr;
  EXPECT_EQ(Create("127.0.0.1:" + std::to_string(port), &c, &again),
            RTC_ERR_NOT_FOUND);
  EXPECT_EQ(again, nullptr);
}

TEST_F(UdpSocketTest, Ipv6SocketsAreV6OnlySoTheyShareAPortWithIpv4) {
  SKIP_WITHOUT_IPV6_LOOPBACK();
  // Wildcard binds of both families conflict unless IPV6_V6ONLY is on.
  Collector& c = NewCollector();
  rtc_packet_socket* v4 = MustCreate("0.0.0.0:0", &c);
  ASSERT_NE(v4, nullptr);
  uint16_t port = Local(v4).port;
  rtc_packet_socket* v6 = nullptr;
  EXPECT_EQ(Create("[::]:" + std::to_string(port), &c, &v6), RTC_OK);
}

TEST_F(UdpSocketTest, PortRangePicksAPortInTheRange) {
  // A random range of 10 ports; try again elsewhere if someone else
  // holds every port of it.
  for (int attempt = 0; attempt < 20; attempt++) {
    uint16_t min = static_cast<uint16_t>(20000 + rtc_random_below(20000));
    rtc_udp_options options = {};
    options.min_port = min;
    options.max_port = static_cast<uint16_t>(min + 9);
    Collector& c = NewCollector();
    rtc_packet_socket* s = nullptr;
    rtc_error err = Create("127.0.0.1:0", &c, &s, &options);
    if (err == RTC_ERR_NOT_FOUND)
      continue;
    ASSERT_EQ(err, RTC_OK);
    uint16_t port = Local(s).port;
    EXPECT_GE(port, options.min_port);
    EXPECT_LE(port, options.max_port);
    return;
  }
  FAIL() << "no free port in 20 random ranges";
}

TEST_F(UdpSocketTest, PortRangeFailsWithNotFoundWhenEveryPortIsTaken) {
  for (int attempt = 0; attempt < 20; attempt++) {
    uint16_t min = static_cast<uint16_t>(20000 + rtc_random_below(20000));
    rtc_udp_options options = {};
    options.min_port = min;
    options.max_port = static_cast<uint16_t>(min + 2);
    Collector& c = NewCollector();
    std::vector<rtc_packet_socket*> taken;
    bool range_free = true;
    for (int i = 0; i < 3 && range_free; i++) {
      rtc_packet_socket* s = nullptr;
      rtc_error err = Create("127.0.0.1:0", &c, &s, &options);
      if (err != RTC_OK) {
        ASSERT_EQ(err, RTC_ERR_NOT_FOUND);
        range_free = false;  // someone else holds a port of it
        break;
      }
      taken.push_back(s);
    }
    if (!range_free) {
      for (rtc_packet_socket* s : taken)
        Destroy(s);
      continue;
    }
    std::vector<uint16_t> ports;
    for (rtc_packet_socket* s : taken)
      ports.push_back(Local(s).port);
    std::sort(ports.begin(), ports.end());
    EXPECT_EQ(ports, (std::vector<uint16_t>{min, static_cast<uint16_t>(min + 1),
                                            static_cast<uint16_t>(min + 2)}));
    rtc_packet_socket* fourth = nullptr;
    EXPECT_EQ(Create("127.0.0.1:0", &c, &fourth, &options), RTC_ERR_NOT_FOUND);
    EXPECT_EQ(fourth, nullptr);
    return;
  }
  FAIL() << "no free range of 3 ports in 20 attempts";
}

TEST_F(UdpSocketTest, RejectsAnAddressNotOnThisHost) {
  Collector& c = NewCollector();
  rtc_packet_socket* s = nullptr;
  // TEST-NET-3 (RFC 5737): assigned to no host.
  EXPECT_EQ(Create("203.0.113.7:0", &c, &s), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
}

TEST_F(UdpSocketTest, RejectsInvalidCreateArguments) {
  Collector& c = NewCollector();
  rtc_packet_socket* s = nullptr;
  rtc_udp_options backwards = {};
  backwards.min_port = 30001;
  backwards.max_port = 30000;
  EXPECT_EQ(Create("127.0.0.1:0", &c, &s, &backwards),
            RTC_ERR_INVALID_ARGUMENT);
  rtc_udp_options negative = {};
  negative.receive_buffer_size = -1;
  EXPECT_EQ(Create("127.0.0.1:0", &c, &s, &negative), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(Create("[::ffff:127.0.0.1]:0", &c, &s), RTC_ERR_INVALID_ARGUMENT);
  rtc_error err = RTC_ERR_INTERNAL;
  RunOn(q_, [&] {
    rtc_socket_address unspec;
    rtc_socket_address_clear(&unspec);
    err = rtc_socket_factory_create_udp(factory_, q_, &unspec, nullptr,
                                        &Collector::kObserver, &c, &s);
  });
  EXPECT_EQ(err, RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  // Multicast: the group must be one, and the interface must be named.
  EXPECT_EQ(CreateMulticast("127.0.0.1:15353", 1, &c, &s),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(CreateMulticast("224.0.0.251:15353", 0, &c, &s),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(CreateMulticast("224.0.0.251:0", 1, &c, &s),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(CreateMulticast("224.0.0.251:15353", 0x7ffffff0u, &c, &s),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
}

TEST_F(UdpSocketTest, AppliesBufferSizeOptions) {
  Collector& c = NewCollector();
  rtc_udp_options options = {};
  options.receive_buffer_size = 256 * 1024;
  options.send_buffer_size = 128 * 1024;
  rtc_packet_socket* s = MustCreate("127.0.0.1:0", &c, &options);
  ASSERT_NE(s, nullptr);
  int fd = FindSocketFd(Local(s));
  ASSERT_GE(fd, 0);
  int rcv = 0, snd = 0;
  socklen_t len = sizeof(int);
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len), 0);
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &len), 0);
  // Linux doubles the value for its bookkeeping and caps it at
  // net.core.[rw]mem_max, so check for "grew past the default".
  int cap_r = 0, cap_w = 0;
  if (FILE* f = std::fopen("/proc/sys/net/core/rmem_max", "r")) {
    if (std::fscanf(f, "%d", &cap_r) != 1)
      cap_r = 0;
    std::fclose(f);
  }
  if (FILE* f = std::fopen("/proc/sys/net/core/wmem_max", "r")) {
    if (std::fscanf(f, "%d", &cap_w) != 1)
      cap_w = 0;
    std::fclose(f);
  }
  EXPECT_GE(rcv, std::min(options.receive_buffer_size, cap_r));
  EXPECT_GE(snd, std::min(options.send_buffer_size, cap_w));
}

// --- Receiving ---

TEST_F(UdpSocketTest, DeliversADatagramWithSourceDestinationAndPayload) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  rtc_socket_address to = Local(receiver);
  std::vector<uint8_t> payload = Pattern(1200, 1);
  int64_t before = rtc_time_monotonic_us();
  ASSERT_EQ(SendTo(sender, payload, to), RTC_OK);
  ASSERT_TRUE(rc.WaitForPackets(1));
  std::vector<Received> got = rc.packets();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, payload);
  rtc_socket_address from = Local(sender);
  EXPECT_TRUE(rtc_socket_address_equal(&got[0].source, &from))
      << Format(got[0].source) << " vs " << Format(from);
  // IP_PKTINFO: the address it was sent to, with the socket's port.
  EXPECT_TRUE(rtc_socket_address_equal(&got[0].destination, &to))
      << Format(got[0].destination);
  // The event loop's queue runs on the monotonic clock.
  EXPECT_GE(got[0].arrival_us, before);
  EXPECT_LE(got[0].arrival_us, rtc_time_monotonic_us());
  EXPECT_EQ(sc.packets().size(), 0u);
}

TEST_F(UdpSocketTest, DeliversAnIpv6DatagramWithSourceDestinationAndPayload) {
  SKIP_WITHOUT_IPV6_LOOPBACK();
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("[::1]:0", &rc);
  rtc_packet_socket* sender = MustCreate("[::1]:0", &sc);
  ASSERT_TRUE(receiver && sender);
  rtc_socket_address to = Local(receiver);
  std::vector<uint8_t> payload = Pattern(1200, 2);
  ASSERT_EQ(SendTo(sender, payload, to), RTC_OK);
  ASSERT_TRUE(rc.WaitForPackets(1));
  std::vector<Received> got = rc.packets();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, payload);
  rtc_socket_address from = Local(sender);
  EXPECT_TRUE(rtc_socket_address_equal(&got[0].source, &from))
      << Format(got[0].source);
  EXPECT_TRUE(rtc_socket_address_equal(&got[0].destination, &to))
      << Format(got[0].destination);
}

TEST_F(UdpSocketTest, WildcardSocketReportsTheAddressEachDatagramWasSentTo) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("0.0.0.0:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  uint16_t port = Local(receiver).port;
  rtc_socket_address to = Addr("127.0.0.2:" + std::to_string(port));
  ASSERT_EQ(SendTo(sender, Pattern(10, 3), to), RTC_OK);
  ASSERT_TRUE(rc.WaitForPackets(1));
  EXPECT_TRUE(rtc_socket_address_equal(&rc.packets()[0].destination, &to))
      << Format(rc.packets()[0].destination);
}

TEST_F(UdpSocketTest, DeliversAnEmptyDatagram) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  ASSERT_EQ(SendTo(sender, {}, Local(receiver)), RTC_OK);
  ASSERT_TRUE(rc.WaitForPackets(1));
  EXPECT_EQ(rc.packets()[0].data.size(), 0u);
}

TEST_F(UdpSocketTest, ABatchOf100ArrivesInOrderInFewerCallbacksThanPackets) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  // 100 datagrams must all fit.
  rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  rtc_socket_address to = Local(receiver);
  std::vector<std::vector<uint8_t>> payloads;
  std::vector<rtc_outgoing_packet> packets;
  for (uint32_t i = 0; i < 100; i++)
    payloads.push_back(Pattern(200, i));
  for (const auto& p : payloads)
    packets.push_back({p.data(), p.size(), to});
  // One send call on the loop thread: every datagram is queued on the
  // receiver before the loop can read any of them.
  size_t sent = 0;
  ASSERT_EQ(Send(sender, packets, &sent), RTC_OK);
  EXPECT_EQ(sent, 100u);
  ASSERT_TRUE(rc.WaitForPackets(100));
  std::vector<Received> got = rc.packets();
  ASSERT_EQ(got.size(), 100u);
  for (size_t i = 0; i < 100; i++)
    EXPECT_EQ(got[i].data, payloads[i]) << "datagram " << i;
  std::vector<size_t> batches = rc.batches();
  EXPECT_LT(batches.size(), 100u);
  EXPECT_GT(*std::max_element(batches.begin(), batches.end()), 1u);
}

TEST_F(UdpSocketTest, DeliversA60000ByteDatagramIntact) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  rtc_socket_address to = Local(receiver);
  // A small one first, so that the large one is not first of its batch.
  std::vector<uint8_t> small = Pattern(100, 4);
  std::vector<uint8_t> large = Pattern(60000, 5);
  std::vector<rtc_outgoing_packet> packets = {{small.data(), small.size(), to},
                                              {large.data(), large.size(), to}};
  size_t sent = 0;
  ASSERT_EQ(Send(sender, packets, &sent), RTC_OK);
  ASSERT_TRUE(rc.WaitForPackets(2));
  EXPECT_EQ(rc.packets()[0].data, small);
  EXPECT_EQ(rc.packets()[1].data, large);
}

TEST_F(UdpSocketTest, DeliversTheLargestIpv4Datagram) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  std::vector<uint8_t> largest = Pattern(RTC_MAX_PACKET_SIZE, 6);
  ASSERT_EQ(SendTo(sender, largest, Local(receiver)), RTC_OK);
  ASSERT_TRUE(rc.WaitForPackets(1));
  EXPECT_EQ(rc.packets()[0].data, largest);
}

TEST_F(UdpSocketTest, DropsIpv6DatagramsLargerThanTheMaximumAndKeepsGoing) {
  SKIP_WITHOUT_IPV6_LOOPBACK();
  Collector& rc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("[::1]:0", &rc);
  ASSERT_NE(receiver, nullptr);
  // IPv6 carries up to 65527 bytes: more than rtcbox accepts. Send one
  // with a plain socket (the factory's refuse to), then a normal one.
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_storage ss;
  rtc_socket_address to = Local(receiver);
  socklen_t len = rtc_socket_address_to_sockaddr(&to, &ss);
  std::vector<uint8_t> oversized = Pattern(RTC_MAX_PACKET_SIZE + 10, 7);
  std::vector<uint8_t> normal = Pattern(500, 8);
  ASSERT_EQ(sendto(fd, oversized.data(), oversized.size(), 0,
                   reinterpret_cast<sockaddr*>(&ss), len),
            static_cast<ssize_t>(oversized.size()));
  ASSERT_EQ(sendto(fd, normal.data(), normal.size(), 0,
                   reinterpret_cast<sockaddr*>(&ss), len),
            static_cast<ssize_t>(normal.size()));
  close(fd);
  ASSERT_TRUE(rc.WaitForPackets(1));
  RunOn(q_, [] {});  // anything else would have been read by now
  ASSERT_EQ(rc.packets().size(), 1u);
  EXPECT_EQ(rc.packets()[0].data, normal);
}

// --- Sending ---

TEST_F(UdpSocketTest, RejectsDestinationsOfTheWrongFamilyAndOversizedPackets) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* v4 = MustCreate("127.0.0.1:0", &sc);
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  ASSERT_TRUE(v4 && receiver);
  std::vector<uint8_t> data = Pattern(10, 9);
  EXPECT_EQ(SendTo(v4, data, Addr("[::1]:9")), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(SendTo(v4, data, Addr("[::ffff:127.0.0.1]:9")),
            RTC_ERR_INVALID_ARGUMENT);
  std::vector<uint8_t> oversized(RTC_MAX_PACKET_SIZE + 1);
  EXPECT_EQ(SendTo(v4, oversized, Local(receiver)), RTC_ERR_INVALID_ARGUMENT);

  // In a batch, the packets before the bad one are sent, none after it.
  rtc_socket_address to = Local(receiver);
  rtc_socket_address wrong = Addr("[::1]:9");
  std::vector<rtc_outgoing_packet> batch = {{data.data(), data.size(), to},
                                            {data.data(), data.size(), wrong},
                                            {data.data(), data.size(), to}};
  size_t sent = 99;
  EXPECT_EQ(Send(v4, batch, &sent), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sent, 1u);
  ASSERT_TRUE(rc.WaitForPackets(1));
  RunOn(q_, [] {});
  EXPECT_EQ(rc.packets().size(), 1u);
}

TEST_F(UdpSocketTest, Ipv6SocketRejectsIpv4MappedAndIpv4Destinations) {
  SKIP_WITHOUT_IPV6_LOOPBACK();
  Collector& c = NewCollector();
  rtc_packet_socket* v6 = MustCreate("[::1]:0", &c);
  ASSERT_NE(v6, nullptr);
  std::vector<uint8_t> data = Pattern(10, 10);
  EXPECT_EQ(SendTo(v6, data, Addr("[::ffff:127.0.0.1]:9")),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(SendTo(v6, data, Addr("127.0.0.1:9")), RTC_ERR_INVALID_ARGUMENT);
}

TEST_F(UdpSocketTest, PerPacketErrorDropsThatPacketAndSendingContinues) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  ASSERT_TRUE(sender && receiver);
  rtc_socket_address to = Local(receiver);
  // The kernel refuses port 0 (EINVAL) for that datagram only. On the
  // loop thread the packets are queued and flushed at the end of the
  // round, so the error is not the send call's: the packet is dropped and
  // counted (a direct send reports RTC_ERR_NETWORK:
  // SendsOffAnEventLoopThreadGoAtOnce).
  rtc_socket_address port0 = Addr("127.0.0.1:0");
  std::vector<uint8_t> a = Pattern(10, 11), b = Pattern(10, 12);
  std::vector<rtc_outgoing_packet> batch = {{a.data(), a.size(), to},
                                            {a.data(), a.size(), port0},
                                            {b.data(), b.size(), to}};
  size_t sent = 0;
  EXPECT_EQ(Send(sender, batch, &sent), RTC_OK);
  EXPECT_EQ(sent, 3u);  // queued: counted as sent
  EXPECT_EQ(SendTo(sender, a, port0), RTC_OK);
  ASSERT_TRUE(rc.WaitForPackets(2));
  EXPECT_EQ(rc.packets()[0].data, a);
  EXPECT_EQ(rc.packets()[1].data, b);
  EXPECT_EQ(sc.closed(), 0);
  rtc_system_udp_stats stats = Stats(sender);
  EXPECT_EQ(stats.send_dropped, 2u);
  EXPECT_EQ(stats.datagrams_sent, 2u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST_F(UdpSocketTest, SendWouldBlockThenOnWritableOnce) {
  // Loopback never blocks a UDP sender: lo frees (orphans) each datagram
  // as it transmits it, so the send buffer never fills, whatever
  // SO_SNDBUF is. A real link with a queue does: set
  // RTCBOX_TEST_SLOW_DESTINATION to a destination behind a throttled link
  // (see the report in the commit) to exercise this path. Without it the
  // test floods loopback and skips if nothing blocked.
  const char* slow = std::getenv("RTCBOX_TEST_SLOW_DESTINATION");
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_udp_options tiny = {};
  tiny.send_buffer_size = 1;  // the kernel's minimum (about 4.5 KiB)
  rtc_socket_address to;
  rtc_packet_socket* sender;
  if (slow) {
    to = Addr(slow);
    sender = MustCreate(to.family == RTC_AF_INET ? "0.0.0.0:0" : "[::]:0", &sc,
                        &tiny);
  } else {
    rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
    ASSERT_NE(receiver, nullptr);
    to = Local(receiver);
    sender = MustCreate("127.0.0.1:0", &sc, &tiny);
  }
  ASSERT_NE(sender, nullptr);
  std::vector<uint8_t> data = Pattern(1200, 13);
  rtc_error err = RTC_OK;
  int sends = 0;
  // The flood and the check run in one task: on_writable cannot run in
  // between.
  int writable_at_block = -1;
  RunOn(q_, [&] {
    for (sends = 0; sends < 20000; sends++) {
      err = rtc_packet_socket_send_to(sender, data.data(), data.size(), &to);
      if (err != RTC_OK)
        break;
    }
    writable_at_block = sc.writable();
  });
  if (err == RTC_OK) {
    GTEST_SKIP() << "20000 sends to " << Format(to)
                 << " never blocked (loopback does not); set "
                    "RTCBOX_TEST_SLOW_DESTINATION to test on_writable";
  }
  ASSERT_EQ(err, RTC_ERR_WOULD_BLOCK) << "after " << sends << " sends";
  EXPECT_EQ(writable_at_block, 0);
  ASSERT_TRUE(sc.WaitForWritable());
  // One call per WOULD_BLOCK, and sending works again.
  RunOn(q_, [&] {
    EXPECT_EQ(sc.writable(), 1);
    EXPECT_EQ(rtc_packet_socket_send_to(sender, data.data(), data.size(), &to),
              RTC_OK);
  });
  RunOn(q_, [] {});
  EXPECT_EQ(sc.writable(), 1);
}

// --- Sending in loop rounds: the send queue and UDP GSO ---

// A task queue that is not an event loop: the test thread runs the
// socket's code by making it current. It takes fd watches but never polls
// them, so nothing queued could ever be flushed: what arrives went at once.
struct InlineQueue {
  InlineQueue() {
    base.vtable = &kVtable;
    base.clock = rtc_clock_monotonic();
  }
  static rtc_error Post(rtc_task_queue*, int64_t, rtc_task task) {
    rtc_task_drop(&task);
    return RTC_ERR_NOT_SUPPORTED;
  }
  static rtc_error WatchFd(rtc_task_queue* q,
                           int,
                           uint32_t,
                           rtc_fd_callback,
                           void*,
                           rtc_fd_watch** out) {
    *out = new rtc_fd_watch{q};
    return RTC_OK;
  }
  static rtc_error SetEvents(rtc_fd_watch*, uint32_t) { return RTC_OK; }
  static void WatchDestroy(rtc_fd_watch* w) { delete w; }
  static void Destroy(rtc_task_queue*) {}
  static const rtc_task_queue_vtable kVtable;
  rtc_task_queue base;
};

const rtc_task_queue_vtable InlineQueue::kVtable = {&InlineQueue::Post,
                                                    &InlineQueue::WatchFd,
                                                    &InlineQueue::SetEvents,
                                                    &InlineQueue::WatchDestroy,
                                                    &InlineQueue::Destroy,
                                                    nullptr,
                                                    nullptr};

// A plain kernel socket bound to 127.0.0.1, for the far end of a test.
struct RawSocket {
  RawSocket() {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin = {};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len), 0);
    EXPECT_EQ(rtc_socket_address_from_sockaddr(reinterpret_cast<sockaddr*>(&ss),
                                               len, &local),
              RTC_OK);
  }
  ~RawSocket() { close(fd); }
  bool SendTo(const std::vector<uint8_t>& data, const rtc_socket_address& to) {
    sockaddr_storage ss;
    socklen_t len = rtc_socket_address_to_sockaddr(&to, &ss);
    return sendto(fd, data.data(), data.size(), 0,
                  reinterpret_cast<sockaddr*>(&ss),
                  len) == static_cast<ssize_t>(data.size());
  }
  // One datagram, waiting at most kWaitMs; empty optional-like: false.
  bool Receive(std::vector<uint8_t>* out) {
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, kWaitMs) != 1)
      return false;
    out->resize(RTC_MAX_PACKET_SIZE);
    ssize_t n = recv(fd, out->data(), out->size(), MSG_DONTWAIT);
    if (n < 0)
      return false;
    out->resize(static_cast<size_t>(n));
    return true;
  }
  int fd = -1;
  rtc_socket_address local;
};

// Each payload different, so that a reordering or a mix-up shows.
std::vector<std::vector<uint8_t>> Payloads(size_t count,
                                           size_t size,
                                           uint32_t seed) {
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < count; i++)
    out.push_back(Pattern(size, seed + static_cast<uint32_t>(i)));
  return out;
}

std::vector<std::vector<uint8_t>> Data(const std::vector<Received>& got) {
  std::vector<std::vector<uint8_t>> out;
  for (const Received& r : got)
    out.push_back(r.data);
  return out;
}

TEST_F(UdpSocketTest, SendsOfARoundAreQueuedAndLeaveInOrderAfterTheRound) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  rtc_socket_address to = Local(receiver);
  std::vector<std::vector<uint8_t>> payloads;
  for (uint32_t i = 0; i < 10; i++)
    payloads.push_back(Pattern(100 + 37 * i, 40 + i));
  rtc_system_udp_stats during = {};
  RunOn(q_, [&] {
    for (const auto& p : payloads) {
      EXPECT_EQ(rtc_packet_socket_send_to(sender, p.data(), p.size(), &to),
                RTC_OK);
    }
    // Nothing has reached the kernel yet: the round is not over.
    rtc_system_udp_socket_stats(sender, &during);
  });
  EXPECT_EQ(during.send_calls, 0u);
  EXPECT_EQ(during.queued, payloads.size());
  ASSERT_TRUE(rc.WaitForPackets(payloads.size()));
  EXPECT_EQ(Data(rc.packets()), payloads);
  rtc_system_udp_stats after = Stats(sender);
  // Sizes all differ: one sendmmsg() for the ten, no GSO.
  EXPECT_EQ(after.send_calls, 1u);
  EXPECT_EQ(after.gso_sends, 0u);
  EXPECT_EQ(after.datagrams_sent, payloads.size());
  EXPECT_EQ(after.queued, 0u);
}

TEST_F(UdpSocketTest, AnEqualSizeBurstLeavesInOneGsoSend) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  if (!Stats(sender).gso)
    GTEST_SKIP() << "no UDP GSO in this kernel (before 4.18)";
  rtc_socket_address to = Local(receiver);
  // Round 1: 64 records of 1200 bytes, one send call each (as DTLS emits
  // them). Round 2: 10 of 1200 and a shorter last one.
  std::vector<std::vector<uint8_t>> burst = Payloads(64, 1200, 100);
  std::vector<std::vector<uint8_t>> second = Payloads(10, 1200, 200);
  second.push_back(Pattern(700, 300));
  for (const auto* round : {&burst, &second}) {
    RunOn(q_, [&] {
      for (const auto& p : *round) {
        EXPECT_EQ(rtc_packet_socket_send_to(sender, p.data(), p.size(), &to),
                  RTC_OK);
      }
    });
  }
  std::vector<std::vector<uint8_t>> all = burst;
  all.insert(all.end(), second.begin(), second.end());
  ASSERT_TRUE(rc.WaitForPackets(all.size()));
  EXPECT_EQ(Data(rc.packets()), all);
  rtc_system_udp_stats stats = Stats(sender);
  // One sendmmsg() per round (75 sends without the queue). 64 * 1200
  // bytes are more than one IP packet holds: round 1 is two UDP_SEGMENT
  // messages (54 + 10 datagrams) in that sendmmsg(), round 2 one.
  EXPECT_EQ(stats.send_calls, 2u);
  EXPECT_EQ(stats.gso_sends, 3u);
  EXPECT_EQ(stats.gso_refused, 0u);
  EXPECT_EQ(stats.datagrams_sent, all.size());
}

TEST_F(UdpSocketTest, MixedSizesAndDestinationsArriveIntactInOrderPerPeer) {
  Collector &ac = NewCollector(), &bc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* a = MustCreateReceiver("127.0.0.1:0", &ac);
  rtc_packet_socket* b = MustCreateReceiver("127.0.0.1:0", &bc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(a && b && sender);
  rtc_socket_address to_a = Local(a), to_b = Local(b);
  // Runs of equal sizes to one peer, broken by other sizes, empty
  // datagrams, a large one and the other peer; 80 per round (more than a
  // queue holds), 4 rounds.
  const size_t kSizes[] = {1200, 1200, 1200, 1200, 600, 0, 33, 1200, 20000};
  uint32_t rng = 12345;
  auto next = [&] {
    rng = rng * 1103515245u + 12345u;
    return rng >> 16;
  };
  std::vector<std::vector<uint8_t>> want_a, want_b;
  size_t total = 0;
  for (int round = 0; round < 4; round++) {
    std::vector<std::pair<std::vector<uint8_t>, bool>> sends;
    bool to_first = true;
    size_t size = 1200;
    for (int i = 0; i < 80; i++) {
      if (next() % 4 == 0)
        to_first = !to_first;
      if (next() % 3 == 0)
        size = kSizes[next() % (sizeof(kSizes) / sizeof(kSizes[0]))];
      sends.push_back(
          {Pattern(size, static_cast<uint32_t>(total++)), to_first});
    }
    RunOn(q_, [&] {
      for (const auto& [data, first] : sends) {
        EXPECT_EQ(rtc_packet_socket_send_to(sender, data.data(), data.size(),
                                            first ? &to_a : &to_b),
                  RTC_OK);
      }
    });
    for (const auto& [data, first] : sends)
      (first ? want_a : want_b).push_back(data);
  }
  ASSERT_TRUE(ac.WaitForPackets(want_a.size()));
  ASSERT_TRUE(bc.WaitForPackets(want_b.size()));
  RunOn(q_, [] {});
  EXPECT_EQ(Data(ac.packets()), want_a);
  EXPECT_EQ(Data(bc.packets()), want_b);
  rtc_system_udp_stats stats = Stats(sender);
  EXPECT_EQ(stats.datagrams_sent, total);
  EXPECT_EQ(stats.send_dropped, 0u);
  EXPECT_LT(stats.send_calls, total / 8);
  if (stats.gso) {
    EXPECT_GT(stats.gso_sends, 0u);
  }
}

TEST_F(UdpSocketTest, DestroyingASocketWithQueuedPacketsFlushesThem) {
  Collector &rc = NewCollector(), &c1 = NewCollector(), &c2 = NewCollector(),
            &c3 = NewCollector();
  rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
  rtc_packet_socket* s1 = MustCreate("127.0.0.1:0", &c1);
  rtc_packet_socket* s2 = MustCreate("127.0.0.1:0", &c2);
  rtc_packet_socket* s3 = MustCreate("127.0.0.1:0", &c3);
  ASSERT_TRUE(receiver && s1 && s2 && s3);
  rtc_socket_address to = Local(receiver);
  rtc_socket_address from2 = Local(s2), from3 = Local(s3);
  std::vector<std::vector<uint8_t>> payloads = Payloads(20, 500, 400);
  payloads.push_back(Pattern(77, 500));
  Forget(s2);
  Forget(s3);
  // Three sockets queue in the same round; the middle one of the thread's
  // flush list is destroyed inside the round, then the last. The
  // end-of-round flush must not touch them (ASan), and their packets must
  // not be lost.
  RunOn(q_, [&] {
    for (rtc_packet_socket* s : {s1, s2, s3}) {
      for (const auto& p : payloads) {
        EXPECT_EQ(rtc_packet_socket_send_to(s, p.data(), p.size(), &to),
                  RTC_OK);
      }
    }
    rtc_system_udp_stats stats;
    rtc_system_udp_socket_stats(s2, &stats);
    EXPECT_EQ(stats.queued, payloads.size());  // still queued
    rtc_packet_socket_destroy(s2);
    rtc_packet_socket_destroy(s3);
  });
  size_t expected = 3 * payloads.size();
  ASSERT_TRUE(rc.WaitForPackets(expected));
  RunOn(q_, [] {});
  std::vector<Received> got = rc.packets();
  ASSERT_EQ(got.size(), expected);
  // In order per sender.
  std::vector<std::vector<uint8_t>> by1, by2, by3;
  rtc_socket_address from1 = Local(s1);
  for (const Received& r : got) {
    if (rtc_socket_address_equal(&r.source, &from1))
      by1.push_back(r.data);
    else if (rtc_socket_address_equal(&r.source, &from2))
      by2.push_back(r.data);
    else if (rtc_socket_address_equal(&r.source, &from3))
      by3.push_back(r.data);
  }
  EXPECT_EQ(by1, payloads);
  EXPECT_EQ(by2, payloads);
  EXPECT_EQ(by3, payloads);
}

TEST_F(UdpSocketTest, SendsOffAnEventLoopThreadGoAtOnce) {
  // The test thread is no event loop: nothing can be deferred, so a send
  // reaches the kernel inside the call, and reports its errors as before.
  RawSocket peer;
  InlineQueue inline_queue;
  rtc_task_queue* q = &inline_queue.base;
  rtc_task_queue* previous = rtc_task_queue_set_current(q);
  Collector& c = NewCollector();
  rtc_socket_address local = Addr("127.0.0.1:0");
  rtc_packet_socket* s = nullptr;
  EXPECT_EQ(rtc_socket_factory_create_udp(factory_, q, &local, nullptr,
                                          &Collector::kObserver, &c, &s),
            RTC_OK);
  if (!s) {
    rtc_task_queue_set_current(previous);
    return;
  }
  std::vector<std::vector<uint8_t>> payloads = Payloads(3, 1000, 600);
  for (const auto& p : payloads) {
    EXPECT_EQ(rtc_packet_socket_send_to(s, p.data(), p.size(), &peer.local),
              RTC_OK);
  }
  rtc_system_udp_stats stats;
  rtc_system_udp_socket_stats(s, &stats);
  EXPECT_EQ(stats.send_calls, 3u);
  EXPECT_EQ(stats.queued, 0u);
  for (const auto& p : payloads) {
    std::vector<uint8_t> got;
    if (!peer.Receive(&got)) {
      ADD_FAILURE() << "nothing arrived";
      break;
    }
    EXPECT_EQ(got, p);
  }
  rtc_socket_address port0 = Addr("127.0.0.1:0");
  EXPECT_EQ(rtc_packet_socket_send_to(s, payloads[0].data(), payloads[0].size(),
                                      &port0),
            RTC_ERR_NETWORK);
  rtc_packet_socket_destroy(s);
  rtc_task_queue_set_current(previous);
}

TEST_F(UdpSocketTest, SendsGoAtOnceWhenTheRoundCannotDeferMore) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  rtc_socket_address to = Local(receiver);
  std::vector<uint8_t> payload = Pattern(300, 700);
  int deferred = 0;
  rtc_system_udp_stats stats = {};
  RunOn(q_, [&] {
    while (rtc_event_loop_defer([](void*) {}, nullptr))
      deferred++;
    EXPECT_EQ(
        rtc_packet_socket_send_to(sender, payload.data(), payload.size(), &to),
        RTC_OK);
    rtc_system_udp_socket_stats(sender, &stats);
  });
  EXPECT_EQ(deferred, 32);
  EXPECT_EQ(stats.send_calls, 1u);  // inside the call
  EXPECT_EQ(stats.queued, 0u);
  ASSERT_TRUE(rc.WaitForPackets(1));
  EXPECT_EQ(rc.packets()[0].data, payload);
}

// Sends `rounds` rounds of `count` equal packets from `sender` to `to`.
void SendRounds(rtc_task_queue* q,
                rtc_packet_socket* sender,
                const rtc_socket_address& to,
                const std::vector<std::vector<uint8_t>>& payloads,
                size_t per_round) {
  for (size_t first = 0; first < payloads.size(); first += per_round) {
    RunOn(q, [&] {
      for (size_t i = first; i < first + per_round && i < payloads.size();
           i++) {
        EXPECT_EQ(rtc_packet_socket_send_to(sender, payloads[i].data(),
                                            payloads[i].size(), &to),
                  RTC_OK);
      }
    });
  }
}

TEST_F(UdpSocketTest, GsoRefusedIsSentAgainWithoutItAndNothingIsLost) {
  struct Case {
    int error;
    bool off_for_socket;  // else off for segments this large and larger
  };
  for (Case c :
       {Case{EIO, true}, Case{EOPNOTSUPP, true}, Case{ENOPROTOOPT, true},
        Case{EINVAL, false}, Case{EMSGSIZE, false}}) {
    SCOPED_TRACE(strerror(c.error));
    Collector &rc = NewCollector(), &sc = NewCollector();
    rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
    rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
    ASSERT_TRUE(receiver && sender);
    if (!Stats(sender).gso)
      GTEST_SKIP() << "no UDP GSO in this kernel (before 4.18)";
    rtc_socket_address to = Local(receiver);
    rtc_system_udp_faults faults = {};
    faults.gso_errno = c.error;
    SetFaults(sender, faults);
    // A burst of 40 that would be one GSO message, after a small one that
    // goes in the same sendmmsg().
    std::vector<std::vector<uint8_t>> first = {Pattern(10, 800)};
    std::vector<std::vector<uint8_t>> burst = Payloads(40, 1000, 801);
    first.insert(first.end(), burst.begin(), burst.end());
    SendRounds(q_, sender, to, first, first.size());
    ASSERT_TRUE(rc.WaitForPackets(first.size()));
    EXPECT_EQ(Data(rc.packets()), first);
    rtc_system_udp_stats stats = Stats(sender);
    EXPECT_EQ(stats.gso_refused, 1u);
    EXPECT_EQ(stats.gso_sends, 0u);
    EXPECT_EQ(stats.send_dropped, 0u);
    EXPECT_EQ(stats.datagrams_sent, first.size());
    EXPECT_EQ(stats.gso, !c.off_for_socket);
    // The next burst of that size does not try again; a smaller one uses
    // GSO unless it is off for the socket.
    SetFaults(sender, {});
    std::vector<std::vector<uint8_t>> same = Payloads(10, 1000, 900);
    std::vector<std::vector<uint8_t>> smaller = Payloads(10, 500, 950);
    SendRounds(q_, sender, to, same, same.size());
    SendRounds(q_, sender, to, smaller, smaller.size());
    size_t total = first.size() + same.size() + smaller.size();
    ASSERT_TRUE(rc.WaitForPackets(total));
    std::vector<std::vector<uint8_t>> want = first;
    want.insert(want.end(), same.begin(), same.end());
    want.insert(want.end(), smaller.begin(), smaller.end());
    EXPECT_EQ(Data(rc.packets()), want);
    stats = Stats(sender);
    EXPECT_EQ(stats.gso_refused, 1u);
    EXPECT_EQ(stats.gso_sends, c.off_for_socket ? 0u : 1u);
    Destroy(sender);
    Destroy(receiver);
  }
}

TEST_F(UdpSocketTest, GsoRefusedByTheKernelIsSentAgainWithoutIt) {
  // A real refusal: the kernel will not segment for a socket that sends
  // without UDP checksums (SO_NO_CHECK): EINVAL.
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  if (!Stats(sender).gso)
    GTEST_SKIP() << "no UDP GSO in this kernel (before 4.18)";
  int fd = FindSocketFd(Local(sender));
  ASSERT_GE(fd, 0);
  int on = 1;
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &on, sizeof(on)), 0);
  std::vector<std::vector<uint8_t>> burst = Payloads(30, 1000, 1000);
  SendRounds(q_, sender, Local(receiver), burst, burst.size());
  ASSERT_TRUE(rc.WaitForPackets(burst.size()));
  EXPECT_EQ(Data(rc.packets()), burst);
  rtc_system_udp_stats stats = Stats(sender);
  EXPECT_EQ(stats.gso_refused, 1u);
  EXPECT_EQ(stats.gso_sends, 0u);
  EXPECT_EQ(stats.datagrams_sent, burst.size());
}

// Sends `payloads` to `to` from `sender` on the loop thread, 40 per
// round, stopping at RTC_ERR_WOULD_BLOCK and going on at on_writable (the
// way DTLS over ICE does). Returns once every packet was accepted, and sets
// how many sends were refused.
void SendThroughBlocking(rtc_task_queue* q,
                         rtc_packet_socket* sender,
                         Collector* sc,
                         const rtc_socket_address& to,
                         const std::vector<std::vector<uint8_t>>& payloads,
                         int* would_block) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  size_t next = 0;
  *would_block = 0;
  std::function<void()> step;
  step = [&] {
    for (int i = 0; i < 40 && next < payloads.size(); i++) {
      rtc_error err = rtc_packet_socket_send_to(sender, payloads[next].data(),
                                                payloads[next].size(), &to);
      if (err == RTC_ERR_WOULD_BLOCK) {
        // Refused because the queue is full and waits for writable.
        rtc_system_udp_stats stats;
        rtc_system_udp_socket_stats(sender, &stats);
        EXPECT_TRUE(stats.blocked);
        EXPECT_EQ(stats.queued, 64u);
        (*would_block)++;
        return;  // on_writable calls step again
      }
      EXPECT_EQ(err, RTC_OK);
      next++;
    }
    if (next < payloads.size()) {
      PostFunction(q, step);
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  };
  sc->on_writable_hook = [&](rtc_packet_socket*) { step(); };
  RunOn(q, step);
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(60), [&] { return done; }));
  }
  RunOn(q, [&] { sc->on_writable_hook = nullptr; });
}

TEST_F(UdpSocketTest, AFullSendBufferKeepsQueuedPacketsAndSendsThemInOrder) {
  // Loopback never fills a UDP send buffer (see
  // SendWouldBlockThenOnWritableOnce), so the kernel's EAGAIN is played by
  // the socket's faults: the first flushes fail, the socket waits for
  // writable (which it is at once) and flushes then. The sender keeps
  // sending meanwhile, until the queue is full (RTC_ERR_WOULD_BLOCK), and
  // goes on after on_writable. (QueueSurvivesARealFullSendBuffer does the
  // same against a real full buffer.)
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  std::vector<std::vector<uint8_t>> payloads = Payloads(400, 300, 2000);
  rtc_system_udp_faults faults = {};
  faults.eagain_sends = 3;
  SetFaults(sender, faults);
  int would_block = 0;
  SendThroughBlocking(q_, sender, &sc, Local(receiver), payloads, &would_block);
  ASSERT_TRUE(rc.WaitForPackets(payloads.size()));
  RunOn(q_, [] {});
  EXPECT_EQ(Data(rc.packets()), payloads);  // all, once each, in order
  EXPECT_GE(would_block, 1);
  EXPECT_EQ(sc.writable(), would_block);  // one on_writable per refusal
  rtc_system_udp_stats stats = Stats(sender);
  EXPECT_FALSE(stats.blocked);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.datagrams_sent, payloads.size());
  EXPECT_EQ(stats.send_dropped, 0u);
}

TEST_F(UdpSocketTest, QueueSurvivesARealFullSendBuffer) {
  // The kernel's own EAGAIN: a sender with the smallest SO_SNDBUF towards
  // a throttled link (RTCBOX_TEST_SLOW_DESTINATION, see the top of the
  // file). The far end is out of reach; every packet accepted must have
  // been handed to the kernel, none dropped. Each payload starts with its
  // number (big-endian), for a receiver there to check the order.
  const char* slow = std::getenv("RTCBOX_TEST_SLOW_DESTINATION");
  if (!slow)
    GTEST_SKIP() << "set RTCBOX_TEST_SLOW_DESTINATION to a destination "
                    "behind a throttled link";
  rtc_socket_address to = Addr(slow);
  Collector& sc = NewCollector();
  rtc_udp_options tiny = {};
  tiny.send_buffer_size = 1;  // the kernel's minimum (about 4.5 KiB)
  rtc_packet_socket* sender =
      MustCreate(to.family == RTC_AF_INET ? "0.0.0.0:0" : "[::]:0", &sc, &tiny);
  ASSERT_NE(sender, nullptr);
  std::vector<std::vector<uint8_t>> payloads;
  for (uint32_t i = 0; i < 150; i++) {
    std::vector<uint8_t> p = Pattern(1000, 6000 + i);
    for (int k = 0; k < 4; k++)
      p[k] = static_cast<uint8_t>(i >> (24 - 8 * k));
    payloads.push_back(p);
  }
  int would_block = 0;
  SendThroughBlocking(q_, sender, &sc, to, payloads, &would_block);
  EXPECT_GE(would_block, 1);
  EXPECT_EQ(sc.writable(), would_block);
  // The last packets leave once the link drains (a writable event without
  // on_writable, nobody waits for it): wait for that, round by round.
  rtc_system_udp_stats stats = {};
  int64_t deadline = rtc_time_monotonic_us() + int64_t{60} * 1000000;
  do {
    stats = Stats(sender);
  } while ((stats.blocked || stats.queued > 0) &&
           rtc_time_monotonic_us() < deadline);
  EXPECT_FALSE(stats.blocked);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.datagrams_sent, payloads.size());
  EXPECT_EQ(stats.send_dropped, 0u);
}

// --- Receiving with UDP GRO ---

TEST_F(UdpSocketTest, GroReceiverSplitsA64SegmentGsoBufferIntoItsDatagrams) {
  Collector& rc = NewCollector();
  rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
  ASSERT_NE(receiver, nullptr);
  ASSERT_TRUE(Stats(receiver).gro) << "UDP_GRO (Linux 5.0) is expected";
  RawSocket sender;
  int segment = 1000;
  if (setsockopt(sender.fd, IPPROTO_UDP, UDP_SEGMENT, &segment,
                 sizeof(segment)) != 0)
    GTEST_SKIP() << "no UDP GSO in this kernel: " << strerror(errno);
  // 63 datagrams of 1000 bytes and a shorter last one, in one buffer.
  std::vector<std::vector<uint8_t>> want = Payloads(63, segment, 3000);
  want.push_back(Pattern(437, 3100));
  std::vector<uint8_t> buffer;
  for (const auto& d : want)
    buffer.insert(buffer.end(), d.begin(), d.end());
  ASSERT_TRUE(sender.SendTo(buffer, Local(receiver)));
  ASSERT_TRUE(rc.WaitForPackets(want.size()));
  RunOn(q_, [] {});
  std::vector<Received> got = rc.packets();
  EXPECT_EQ(Data(got), want);
  for (const Received& r : got) {
    EXPECT_TRUE(rtc_socket_address_equal(&r.source, &sender.local))
        << Format(r.source);
    rtc_socket_address to = Local(receiver);
    EXPECT_TRUE(rtc_socket_address_equal(&r.destination, &to))
        << Format(r.destination);
  }
  rtc_system_udp_stats stats = Stats(receiver);
  EXPECT_EQ(stats.gro_buffers, 1u);  // it did arrive coalesced
  EXPECT_EQ(stats.datagrams_received, want.size());
}

TEST_F(UdpSocketTest, GroBatchOfMoreDatagramsThanACallHoldsTakesSeveralCalls) {
  Collector& rc = NewCollector();
  rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
  ASSERT_NE(receiver, nullptr);
  RawSocket sender;
  int segment = 200;
  if (setsockopt(sender.fd, IPPROTO_UDP, UDP_SEGMENT, &segment,
                 sizeof(segment)) != 0)
    GTEST_SKIP() << "no UDP GSO in this kernel: " << strerror(errno);
  // Five buffers of 64 datagrams wait together: one recvmmsg() batch of
  // 320 datagrams, more than one on_packets call takes.
  std::vector<std::vector<uint8_t>> want = Payloads(320, segment, 4000);
  rtc_socket_address to = Local(receiver);
  RunOn(q_, [&] {  // the loop cannot read in between
    for (size_t b = 0; b < 5; b++) {
      std::vector<uint8_t> buffer;
      for (size_t i = 0; i < 64; i++)
        buffer.insert(buffer.end(), want[b * 64 + i].begin(),
                      want[b * 64 + i].end());
      ASSERT_TRUE(sender.SendTo(buffer, to));
    }
  });
  ASSERT_TRUE(rc.WaitForPackets(want.size()));
  RunOn(q_, [] {});
  EXPECT_EQ(Data(rc.packets()), want);
  std::vector<size_t> batches = rc.batches();
  EXPECT_GT(batches.size(), 1u);
  EXPECT_LE(*std::max_element(batches.begin(), batches.end()), 128u);
  EXPECT_EQ(Stats(receiver).gro_buffers, 5u);
}

TEST_F(UdpSocketTest, GroReceiverTakesDatagramsOfAPlainSender) {
  Collector& rc = NewCollector();
  rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
  ASSERT_NE(receiver, nullptr);
  ASSERT_TRUE(Stats(receiver).gro) << "UDP_GRO (Linux 5.0) is expected";
  RawSocket sender;
  std::vector<std::vector<uint8_t>> want = {Pattern(1200, 1),  Pattern(1200, 2),
                                            Pattern(0, 3),     Pattern(1200, 4),
                                            Pattern(60000, 5), Pattern(17, 6)};
  for (const auto& d : want)
    ASSERT_TRUE(sender.SendTo(d, Local(receiver)));
  ASSERT_TRUE(rc.WaitForPackets(want.size()));
  RunOn(q_, [] {});
  EXPECT_EQ(Data(rc.packets()), want);
  EXPECT_EQ(Stats(receiver).gro_buffers, 0u);
}

TEST_F(UdpSocketTest, GsoSenderToGroReceiverOverIpv6) {
  SKIP_WITHOUT_IPV6_LOOPBACK();
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreateReceiver("[::1]:0", &rc);
  rtc_packet_socket* sender = MustCreate("[::1]:0", &sc);
  ASSERT_TRUE(receiver && sender);
  if (!Stats(sender).gso)
    GTEST_SKIP() << "no UDP GSO in this kernel (before 4.18)";
  std::vector<std::vector<uint8_t>> want = Payloads(50, 1100, 5000);
  want.push_back(Pattern(3, 5100));
  SendRounds(q_, sender, Local(receiver), want, want.size());
  ASSERT_TRUE(rc.WaitForPackets(want.size()));
  EXPECT_EQ(Data(rc.packets()), want);
  EXPECT_EQ(Stats(sender).gso_sends, 1u);
  EXPECT_EQ(Stats(receiver).gro_buffers, 1u);
}

// --- Errors reported by the kernel ---

TEST_F(UdpSocketTest, IcmpPortUnreachableIsNotSurfacedAndReceivingContinues) {
  Collector &ac = NewCollector(), &bc = NewCollector();
  rtc_packet_socket* a = MustCreate("127.0.0.1:0", &ac);
  rtc_packet_socket* b = MustCreate("127.0.0.1:0", &bc);
  ASSERT_TRUE(a && b);
  rtc_socket_address closed = Addr("127.0.0.1:" + std::to_string(FreePort()));
  std::vector<uint8_t> probe = Pattern(20, 14), marker = Pattern(30, 15);
  // The kernel answers with ICMP port unreachable; then a marker to b,
  // whose arrival says the ICMP error has been processed.
  ASSERT_EQ(SendTo(a, probe, closed), RTC_OK);
  ASSERT_EQ(SendTo(a, marker, Local(b)), RTC_OK);
  ASSERT_TRUE(bc.WaitForPackets(1));
  std::vector<uint8_t> reply = Pattern(40, 16);
  ASSERT_EQ(SendTo(b, reply, Local(a)), RTC_OK);
  ASSERT_TRUE(ac.WaitForPackets(1));
  RunOn(q_, [] {});
  ASSERT_EQ(ac.packets().size(), 1u);
  EXPECT_EQ(ac.packets()[0].data, reply);
  EXPECT_EQ(ac.closed(), 0);
  // Nothing left pending that would keep a level-triggered loop busy.
  int fd = FindSocketFd(Local(a));
  ASSERT_GE(fd, 0);
  RunOn(q_, [&] {
    pollfd p = {fd, POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 0), 0) << "revents " << p.revents;
  });
}

TEST_F(UdpSocketTest, IcmpErrorsQueuedWithRecvErrAreConsumedWithoutSpinning) {
  // With IP_RECVERR the kernel also queues each ICMP error on the socket's
  // error queue, which makes poll report POLLERR until it is read. The
  // factory does not set IP_RECVERR; the test does, to check that a
  // pending error cannot make the loop spin.
  Collector &ac = NewCollector(), &bc = NewCollector();
  rtc_packet_socket* a = MustCreate("127.0.0.1:0", &ac);
  rtc_packet_socket* b = MustCreate("127.0.0.1:0", &bc);
  ASSERT_TRUE(a && b);
  int fd = FindSocketFd(Local(a));
  ASSERT_GE(fd, 0);
  RunOn(q_, [&] {
    int on = 1;
    ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)), 0);
  });
  rtc_socket_address closed = Addr("127.0.0.1:" + std::to_string(FreePort()));
  ASSERT_EQ(SendTo(a, Pattern(20, 17), closed), RTC_OK);
  ASSERT_EQ(SendTo(a, Pattern(30, 18), Local(b)), RTC_OK);
  ASSERT_TRUE(bc.WaitForPackets(1));
  // Two loop rounds: the error event is handled.
  RunOn(q_, [] {});
  RunOn(q_, [&] {
    pollfd p = {fd, POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 0), 0) << "revents " << p.revents;
    int pending = -1;
    socklen_t len = sizeof(pending);
    EXPECT_EQ(getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &len), 0);
    EXPECT_EQ(pending, 0);
  });
  std::vector<uint8_t> reply = Pattern(40, 19);
  ASSERT_EQ(SendTo(b, reply, Local(a)), RTC_OK);
  ASSERT_TRUE(ac.WaitForPackets(1));
  EXPECT_EQ(ac.packets().size(), 1u);
  EXPECT_EQ(ac.packets()[0].data, reply);
  EXPECT_EQ(ac.closed(), 0);
}

// --- Lifetime ---

TEST_F(UdpSocketTest, DestroyingTheSocketInsideOnPacketsIsSafe) {
  Collector &rc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* receiver = MustCreateReceiver("127.0.0.1:0", &rc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(receiver && sender);
  rtc_socket_address to = Local(receiver);
  std::vector<uint8_t> payload = Pattern(300, 20);
  std::vector<rtc_outgoing_packet> packets(
      100, rtc_outgoing_packet{payload.data(), payload.size(), to});
  size_t checksum = 0;
  rc.on_packets_hook = [&](rtc_packet_socket* s, const rtc_received_packet* p,
                           size_t n) {
    rtc_packet_socket_destroy(s);
    // The packets stay readable until the callback returns, even though
    // the receiver was the thread's last socket (ASan checks this).
    for (size_t i = 0; i < n; i++)
      checksum += p[i].data[p[i].size - 1] + p[i].size;
  };
  Forget(receiver);
  Forget(sender);
  // Everything queued first, and the sender gone, so that the receiver is
  // the last socket of the loop thread when it destroys itself with more
  // batches to read.
  RunOn(q_, [&] {
    size_t sent = 0;
    EXPECT_EQ(
        rtc_packet_socket_send(sender, packets.data(), packets.size(), &sent),
        RTC_OK);
    EXPECT_EQ(sent, 100u);
    rtc_packet_socket_destroy(sender);
  });
  ASSERT_TRUE(rc.WaitForPackets(1));
  RunOn(q_, [] {});
  RunOn(q_, [] {});
  EXPECT_EQ(rc.batches().size(), 1u);  // nothing after the destroy
  EXPECT_GT(checksum, 0u);
}

TEST_F(UdpSocketTest, DestroyingAnotherSocketInsideOnPacketsIsSafe) {
  Collector &ac = NewCollector(), &bc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* a = MustCreate("127.0.0.1:0", &ac);
  rtc_packet_socket* b = MustCreate("127.0.0.1:0", &bc);
  rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
  ASSERT_TRUE(a && b && sender);
  rtc_socket_address to_a = Local(a), to_b = Local(b);
  std::vector<uint8_t> payload = Pattern(50, 21);
  bool destroyed_b = false;
  ac.on_packets_hook = [&](rtc_packet_socket*, const rtc_received_packet*,
                           size_t) {
    if (!destroyed_b) {
      rtc_packet_socket_destroy(b);
      destroyed_b = true;
    }
  };
  Forget(b);
  // Both readable in the same loop round.
  RunOn(q_, [&] {
    EXPECT_EQ(rtc_packet_socket_send_to(sender, payload.data(), payload.size(),
                                        &to_b),
              RTC_OK);
    EXPECT_EQ(rtc_packet_socket_send_to(sender, payload.data(), payload.size(),
                                        &to_a),
              RTC_OK);
  });
  ASSERT_TRUE(ac.WaitForPackets(1));
  RunOn(q_, [] {});
  EXPECT_TRUE(destroyed_b);
  EXPECT_LE(bc.packets().size(), 1u);
}

TEST_F(UdpSocketTest, DestroyReleasesEveryDescriptorAndAllocation) {
  // Settle the fixture's own allocations and descriptors first.
  RunOn(q_, [] {});
  int fds_before = CountOpenFds();
  int64_t allocs_before = rtc_alloc_live_count();
  ASSERT_GT(fds_before, 0);
  {
    Collector &rc = NewCollector(), &sc = NewCollector(), &mc = NewCollector();
    rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc);
    rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
    ASSERT_TRUE(receiver && sender);
    rtc_packet_socket* multicast = nullptr;
    ASSERT_EQ(CreateMulticast("224.0.0.251:15353", if_nametoindex("lo"), &mc,
                              &multicast),
              RTC_OK);
    EXPECT_EQ(CountOpenFds(), fds_before + 3);
    EXPECT_GT(rtc_alloc_live_count(), allocs_before);
    ASSERT_EQ(SendTo(sender, Pattern(100, 22), Local(receiver)), RTC_OK);
    ASSERT_TRUE(rc.WaitForPackets(1));
    Destroy(receiver);
    Destroy(sender);
    Destroy(multicast);
  }
  EXPECT_EQ(CountOpenFds(), fds_before);
  EXPECT_EQ(rtc_alloc_live_count(), allocs_before);
}

TEST_F(UdpSocketTest, CreateReportsOutOfMemoryAndLeaksNothing) {
  RunOn(q_, [] {});
  int fds_before = CountOpenFds();
  int64_t allocs_before = rtc_alloc_live_count();
  Collector& c = NewCollector();
  rtc_socket_address local = Addr("127.0.0.1:0");
  rtc_packet_socket* s = nullptr;
  rtc_error err = RTC_ERR_NO_MEMORY;
  int failures = 0;
  for (uint64_t n = 1; n < 20 && err == RTC_ERR_NO_MEMORY; n++) {
    // The allocations happen on the loop thread, inside this task.
    RunOn(q_, [&] {
      rtc_alloc_fail_nth(n, 0);
      err = rtc_socket_factory_create_udp(factory_, q_, &local, nullptr,
                                          &Collector::kObserver, &c, &s);
      rtc_alloc_clear_failure();
    });
    if (err == RTC_ERR_NO_MEMORY) {
      failures++;
      EXPECT_EQ(s, nullptr);
      EXPECT_EQ(CountOpenFds(), fds_before);
      EXPECT_EQ(rtc_alloc_live_count(), allocs_before);
    }
  }
  ASSERT_EQ(err, RTC_OK);
  // The socket, the receive arena and the fd watch.
  EXPECT_EQ(failures, 3);
  Destroy(s);
  EXPECT_EQ(rtc_alloc_live_count(), allocs_before);

  // The same for a multicast socket.
  err = RTC_ERR_NO_MEMORY;
  rtc_socket_address group = Addr("224.0.0.251:15353");
  for (uint64_t n = 1; n < 20 && err == RTC_ERR_NO_MEMORY; n++) {
    RunOn(q_, [&] {
      rtc_alloc_fail_nth(n, 0);
      err = rtc_socket_factory_create_multicast_udp(
          factory_, q_, &group, if_nametoindex("lo"), &Collector::kObserver, &c,
          &s);
      rtc_alloc_clear_failure();
    });
    if (err == RTC_ERR_NO_MEMORY) {
      EXPECT_EQ(CountOpenFds(), fds_before);
      EXPECT_EQ(rtc_alloc_live_count(), allocs_before);
    }
  }
  ASSERT_EQ(err, RTC_OK);
  Destroy(s);

  rtc_socket_factory* f = nullptr;
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(rtc_system_socket_factory_create(&f), RTC_ERR_NO_MEMORY);
  rtc_alloc_clear_failure();
  EXPECT_EQ(f, nullptr);
  EXPECT_EQ(CountOpenFds(), fds_before);
  EXPECT_EQ(rtc_alloc_live_count(), allocs_before);
}

// --- Interfaces ---

const rtc_network_interface* FindAddress(
    const std::vector<rtc_network_interface>& list,
    const rtc_socket_address& address) {
  for (const auto& i : list) {
    if (rtc_ip_address_equal(&i.address, &address))
      return &i;
  }
  return nullptr;
}

TEST_F(UdpSocketTest, ListInterfacesIncludesLoopbackWith127001) {
  std::vector<rtc_network_interface> all = ListAll();
  const rtc_network_interface* lo = FindAddress(all, Addr("127.0.0.1"));
  ASSERT_NE(lo, nullptr);
  EXPECT_STREQ(lo->name, "lo");
  EXPECT_EQ(lo->index, if_nametoindex("lo"));
  EXPECT_EQ(lo->type, RTC_ADAPTER_LOOPBACK);
  EXPECT_EQ(lo->prefix_length, 8);
  EXPECT_EQ(lo->address.port, 0);
  EXPECT_FALSE(lo->ipv6_temporary);
  EXPECT_FALSE(lo->ipv6_deprecated);
  if (HasIpv6Loopback()) {
    const rtc_network_interface* lo6 = FindAddress(all, Addr("::1"));
    ASSERT_NE(lo6, nullptr);
    EXPECT_EQ(lo6->type, RTC_ADAPTER_LOOPBACK);
    EXPECT_EQ(lo6->prefix_length, 128);
  }
}

TEST_F(UdpSocketTest, ListInterfacesAgreesWithTheKernelOnNamesAndIndexes) {
  std::vector<rtc_network_interface> all = ListAll();
  ASSERT_FALSE(all.empty());
  for (const auto& i : all) {
    EXPECT_EQ(if_nametoindex(i.name), i.index) << i.name;
    EXPECT_TRUE(i.address.family == RTC_AF_INET ||
                i.address.family == RTC_AF_INET6);
    EXPECT_LE(i.prefix_length, i.address.family == RTC_AF_INET ? 32 : 128);
    // RFC 4007: link-local addresses are only meaningful with a zone.
    if (i.address.family == RTC_AF_INET6 &&
        rtc_socket_address_is_link_local(&i.address))
      EXPECT_EQ(i.address.scope_id, i.index) << Format(i.address);
    else
      EXPECT_EQ(i.address.scope_id, 0u) << Format(i.address);
    // Every listed address can be bound (it is up and not tentative).
    Collector& c = NewCollector();
    rtc_packet_socket* s = nullptr;
    rtc_socket_address bind_to = i.address;
    EXPECT_EQ(Create(Format(bind_to), &c, &s), RTC_OK) << Format(bind_to);
    if (s)
      Destroy(s);
  }
}

TEST_F(UdpSocketTest, ListInterfacesFillsAtMostCapacityAndCountsAll) {
  size_t total = 0;
  ASSERT_EQ(factory_->vtable->list_interfaces(factory_, nullptr, 0, &total),
            RTC_OK);
  ASSERT_GE(total, 1u);
  rtc_network_interface one[2];
  std::memset(one, 0xab, sizeof(one));
  size_t count = 0;
  ASSERT_EQ(factory_->vtable->list_interfaces(factory_, one, 1, &count),
            RTC_OK);
  EXPECT_EQ(count, total);
  EXPECT_TRUE(one[0].address.family == RTC_AF_INET ||
              one[0].address.family == RTC_AF_INET6);
  // Not written past capacity.
  const uint8_t* past = reinterpret_cast<const uint8_t*>(&one[1]);
  for (size_t i = 0; i < sizeof(one[1]); i++)
    ASSERT_EQ(past[i], 0xab) << "byte " << i;
}

TEST_F(UdpSocketTest, ListInterfacesReportsOutOfMemory) {
  int64_t allocs_before = rtc_alloc_live_count();
  int fds_before = CountOpenFds();
  rtc_error err = RTC_ERR_NO_MEMORY;
  size_t count = 0;
  int failures = 0;
  for (uint64_t n = 1; n < 20 && err == RTC_ERR_NO_MEMORY; n++) {
    rtc_alloc_fail_nth(n, 0);
    err = factory_->vtable->list_interfaces(factory_, nullptr, 0, &count);
    rtc_alloc_clear_failure();
    if (err == RTC_ERR_NO_MEMORY) {
      failures++;
      EXPECT_EQ(count, 0u);
      EXPECT_EQ(rtc_alloc_live_count(), allocs_before);
      EXPECT_EQ(CountOpenFds(), fds_before);
    }
  }
  EXPECT_EQ(err, RTC_OK);
  EXPECT_GE(failures, 2);  // the netlink buffer and the link table
}

TEST_F(UdpSocketTest, DefaultFilterExcludesLoopbackAndLinkLocal) {
  rtc_network_interface out[64];
  size_t count = 0;
  ASSERT_EQ(
      rtc_socket_factory_list_interfaces(factory_, nullptr, out, 64, &count),
      RTC_OK);
  for (size_t i = 0; i < std::min<size_t>(count, 64); i++) {
    EXPECT_NE(out[i].type, RTC_ADAPTER_LOOPBACK) << out[i].name;
    EXPECT_FALSE(rtc_socket_address_is_loopback(&out[i].address));
    EXPECT_FALSE(rtc_socket_address_is_link_local(&out[i].address))
        << Format(out[i].address);
  }
  rtc_interface_filter filter;
  rtc_interface_filter_init(&filter);
  filter.include_loopback = true;
  ASSERT_EQ(
      rtc_socket_factory_list_interfaces(factory_, &filter, out, 64, &count),
      RTC_OK);
  std::vector<rtc_network_interface> with_loopback(
      out, out + std::min<size_t>(count, 64));
  EXPECT_NE(FindAddress(with_loopback, Addr("127.0.0.1")), nullptr);
}

TEST_F(UdpSocketTest, DefaultRouteAddressIsAListedAddressOrNotFound) {
  std::vector<rtc_network_interface> all = ListAll();
  for (rtc_address_family family : {RTC_AF_INET, RTC_AF_INET6}) {
    rtc_socket_address out;
    rtc_error err =
        rtc_socket_factory_default_route_address(factory_, family, &out);
    if (err == RTC_ERR_NOT_FOUND) {
      std::printf("no default route for IPv%d on this machine\n",
                  static_cast<int>(family));
      EXPECT_EQ(out.family, RTC_AF_UNSPEC);
      continue;
    }
    ASSERT_EQ(err, RTC_OK);
    EXPECT_EQ(out.family, family);
    EXPECT_EQ(out.port, 0);
    std::printf("default route address for IPv%d: %s\n",
                static_cast<int>(family), Format(out).c_str());
    const rtc_network_interface* i = FindAddress(all, out);
    ASSERT_NE(i, nullptr) << Format(out) << " is not a listed address";
    EXPECT_NE(i->type, RTC_ADAPTER_LOOPBACK);
  }
  rtc_socket_address out;
  EXPECT_EQ(
      rtc_socket_factory_default_route_address(factory_, RTC_AF_UNSPEC, &out),
      RTC_ERR_INVALID_ARGUMENT);
}

// --- Multicast (mDNS, RFC 6762) ---

// A UDP port free on the wildcard address of `family` right now: not
// 5353, so as not to meet a real mDNS responder, and not a fixed one, so
// that two runs of these tests at the same time do not hear each other.
uint16_t FreeWildcardPort(rtc_address_family family) {
  rtc_socket_address any;
  rtc_socket_address_clear(&any);
  any.family = family;
  sockaddr_storage ss;
  socklen_t len = rtc_socket_address_to_sockaddr(&any, &ss);
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    rtc_socket_address bound;
    if (rtc_socket_address_from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len,
                                         &bound) == RTC_OK)
      port = bound.port;
  }
  close(fd);
  return port;
}

struct MulticastCase {
  const char* group;
  const char* family;
};

void PrintTo(const MulticastCase& c, std::ostream* os) {
  *os << c.family << " " << c.group;
}

class UdpMulticastTest : public UdpSocketTest,
                         public testing::WithParamInterface<MulticastCase> {
 protected:
  void SetUp() override {
    UdpSocketTest::SetUp();
    group_ = Addr(std::string(GetParam().group) + ":9");
    port_ = FreeWildcardPort(group_.family);
    ASSERT_NE(port_, 0);
    group_.port = port_;
    group_text_ = std::string(GetParam().group) + ":" + std::to_string(port_);
  }
  // The loopback address of the group's family, on the test port.
  rtc_socket_address LoopbackOnPort() {
    return Addr((group_.family == RTC_AF_INET ? "127.0.0.1:" : "[::1]:") +
                std::to_string(port_));
  }

  rtc_socket_address group_;
  std::string group_text_;
  uint16_t port_ = 0;
};

TEST_P(UdpMulticastTest, TwoSocketsOfAnInterfaceBothReceiveAGroupDatagram) {
  const MulticastCase& param = GetParam();
  const rtc_socket_address& group = group_;
  const char* env_if = std::getenv("RTCBOX_TEST_MULTICAST_IF");
  std::string if_name = env_if ? env_if : "lo";
  if (group.family == RTC_AF_INET6 && if_name == "lo")
    SKIP_WITHOUT_IPV6_LOOPBACK();
  uint32_t lo = if_nametoindex(if_name.c_str());
  ASSERT_NE(lo, 0u) << if_name;
  bool lo_multicast = false;
  for (const auto& i : ListAll()) {
    if (i.index == lo)
      lo_multicast = i.multicast;
  }
  Collector &ac = NewCollector(), &bc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket *a = nullptr, *b = nullptr, *sender = nullptr;
  const std::string& text = group_text_;
  ASSERT_EQ(CreateMulticast(text, lo, &ac, &a), RTC_OK);
  ASSERT_EQ(CreateMulticast(text, lo, &bc, &b), RTC_OK);
  ASSERT_EQ(CreateMulticast(text, lo, &sc, &sender), RTC_OK);
  EXPECT_EQ(Local(a).port, port_);
  std::vector<uint8_t> query = Pattern(60, rtc_random_u32());
  ASSERT_EQ(SendTo(sender, query, group), RTC_OK);
  // The send is flushed at the end of the loop round: a datagram the
  // kernel refuses is dropped and counted, not reported to the caller.
  if (Stats(sender).send_dropped > 0) {
    // Linux sends IPv4 multicast through lo even without IFF_MULTICAST,
    // but has no IPv6 multicast route on lo (and does not loop IPv6
    // multicast back through it even with one): ENETUNREACH.
    GTEST_SKIP() << "the kernel will not send " << param.family
                 << " multicast through " << if_name
                 << (lo_multicast ? "" : " (no IFF_MULTICAST)")
                 << "; set RTCBOX_TEST_MULTICAST_IF to a multicast interface "
                    "of a test namespace";
  }
  ASSERT_TRUE(ac.WaitForPackets(1));
  ASSERT_TRUE(bc.WaitForPackets(1));
  for (Collector* c : {&ac, &bc}) {
    Received got = c->packets()[0];
    EXPECT_EQ(got.data, query);
    // IP_PKTINFO: sent to the group (ff02::fb in the interface's zone), on
    // the test port.
    EXPECT_EQ(got.destination.family, group.family);
    EXPECT_EQ(std::memcmp(got.destination.addr, group.addr, 16), 0)
        << Format(got.destination);
    EXPECT_EQ(got.destination.scope_id, group.family == RTC_AF_INET6 ? lo : 0u);
    EXPECT_EQ(got.destination.port, port_);
    EXPECT_EQ(got.source.port, port_);
  }
  // IP_MULTICAST_LOOP: the sender hears itself too, as another agent of
  // this process would.
  ASSERT_TRUE(sc.WaitForPackets(1));
  EXPECT_EQ(sc.packets()[0].data, query);
}

TEST_P(UdpMulticastTest, SocketReceivesUnicastToItsPortOnItsInterface) {
  const std::string& text = group_text_;
  const rtc_socket_address& group = group_;
  if (group.family == RTC_AF_INET6)
    SKIP_WITHOUT_IPV6_LOOPBACK();
  Collector &mc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket* m = nullptr;
  ASSERT_EQ(CreateMulticast(text, if_nametoindex("lo"), &mc, &m), RTC_OK);
  rtc_packet_socket* sender =
      MustCreate(group.family == RTC_AF_INET ? "127.0.0.1:0" : "[::1]:0", &sc);
  ASSERT_NE(sender, nullptr);
  // RFC 6762 §5.4: answers to "QU" questions come by unicast to the port.
  rtc_socket_address to = LoopbackOnPort();
  std::vector<uint8_t> answer = Pattern(80, 24);
  ASSERT_EQ(SendTo(sender, answer, to), RTC_OK);
  ASSERT_TRUE(mc.WaitForPackets(1));
  EXPECT_EQ(mc.packets()[0].data, answer);
  rtc_socket_address from = Local(sender);
  EXPECT_TRUE(rtc_socket_address_equal(&mc.packets()[0].source, &from));
  // The multicast socket sends unicast too.
  ASSERT_EQ(SendTo(m, answer, from), RTC_OK);
  ASSERT_TRUE(sc.WaitForPackets(1));
}

// An interface other than lo that carries no traffic (down), or 0.
uint32_t QuietOtherInterface() {
  uint32_t found = 0;
  struct if_nameindex* names = if_nameindex();
  if (!names)
    return 0;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (struct if_nameindex* n = names; fd >= 0 && n->if_index != 0; n++) {
    ifreq req = {};
    std::snprintf(req.ifr_name, sizeof(req.ifr_name), "%s", n->if_name);
    if (ioctl(fd, SIOCGIFFLAGS, &req) == 0 && !(req.ifr_flags & IFF_UP) &&
        !(req.ifr_flags & IFF_LOOPBACK)) {
      found = n->if_index;
      break;
    }
  }
  if (fd >= 0)
    close(fd);
  if_freenameindex(names);
  return found;
}

TEST_P(UdpMulticastTest, SocketOfAnotherInterfaceGetsNothingFromLoopback) {
  const std::string& text = group_text_;
  const rtc_socket_address& group = group_;
  if (group.family == RTC_AF_INET6)
    SKIP_WITHOUT_IPV6_LOOPBACK();
  // A down interface: joining its group sends nothing on any network.
  uint32_t other = QuietOtherInterface();
  if (other == 0)
    GTEST_SKIP() << "no interface besides lo that is down (joining a group "
                    "on an up one would send IGMP/MLD reports)";
  Collector &lc = NewCollector(), &oc = NewCollector(), &sc = NewCollector();
  rtc_packet_socket *on_lo = nullptr, *on_other = nullptr;
  ASSERT_EQ(CreateMulticast(text, if_nametoindex("lo"), &lc, &on_lo), RTC_OK);
  ASSERT_EQ(CreateMulticast(text, other, &oc, &on_other), RTC_OK);
  // Unicast to the shared port arrives on lo. The kernel gives a unicast
  // datagram to one socket of the port, chosen by a hash of the addresses
  // and ports: from 8 senders, every datagram must reach the lo socket and
  // none the other's.
  rtc_socket_address to = LoopbackOnPort();
  std::vector<uint8_t> data = Pattern(40, 25);
  std::vector<rtc_outgoing_packet> packets(
      4, rtc_outgoing_packet{data.data(), data.size(), to});
  for (int i = 0; i < 8; i++) {
    rtc_packet_socket* sender = MustCreate(
        group.family == RTC_AF_INET ? "127.0.0.1:0" : "[::1]:0", &sc);
    ASSERT_NE(sender, nullptr);
    size_t sent = 0;
    ASSERT_EQ(Send(sender, packets, &sent), RTC_OK);
  }
  ASSERT_TRUE(lc.WaitForPackets(32));
  RunOn(q_, [] {});
  EXPECT_EQ(oc.packets().size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Families,
    UdpMulticastTest,
    testing::Values(MulticastCase{"224.0.0.251", "IPv4"},
                    MulticastCase{"[ff02::fb]", "IPv6"}),
    [](const testing::TestParamInfo<MulticastCase>& param_info) {
      return std::string(param_info.param.family);
    });

// --- Throughput (run by hand: --gtest_also_run_disabled_tests) ---

// Prints datagrams per second for 1200-byte datagrams over loopback: the
// loop thread sends a burst with one send call, reads it back, and sends
// the next when the last one arrived. Measures; asserts nothing about
// speed.
TEST_F(UdpSocketTest, DISABLED_MeasureLoopbackThroughput) {
  for (size_t burst : {size_t{1}, size_t{32}}) {
    Collector &rc = NewCollector(), &sc = NewCollector();
    rc.record = false;
    rtc_udp_options big = {};
    big.receive_buffer_size = 4 << 20;
    rtc_packet_socket* receiver = MustCreate("127.0.0.1:0", &rc, &big);
    rtc_packet_socket* sender = MustCreate("127.0.0.1:0", &sc);
    ASSERT_TRUE(receiver && sender);
    rtc_socket_address to = Local(receiver);
    std::vector<uint8_t> payload = Pattern(1200, 26);
    std::vector<rtc_outgoing_packet> packets(
        burst, rtc_outgoing_packet{payload.data(), payload.size(), to});
    const size_t kTotal = 400000;
    size_t received = 0, in_flight = 0, sent_total = 0;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    auto send_burst = [&] {
      size_t sent = 0;
      rtc_packet_socket_send(sender, packets.data(), packets.size(), &sent);
      in_flight += sent;
      sent_total += sent;
    };
    rc.on_packets_hook = [&](rtc_packet_socket*, const rtc_received_packet*,
                             size_t n) {
      received += n;
      in_flight -= std::min(in_flight, n);
      if (received >= kTotal) {
        std::lock_guard<std::mutex> lock(mu);
        done = true;
        cv.notify_all();
      } else if (in_flight == 0) {
        send_burst();
      }
    };
    int64_t start = rtc_time_monotonic_us();
    RunOn(q_, send_burst);
    {
      std::unique_lock<std::mutex> lock(mu);
      ASSERT_TRUE(
          cv.wait_for(lock, std::chrono::seconds(120), [&] { return done; }));
    }
    int64_t elapsed = rtc_time_monotonic_us() - start;
    RunOn(q_, [&] { rc.on_packets_hook = nullptr; });
    std::printf(
        "burst %zu: %zu datagrams of 1200 bytes in %.3f s: %.0f datagrams/s "
        "(%zu sent)\n",
        burst, received, elapsed / 1e6, received * 1e6 / elapsed, sent_total);
    Destroy(receiver);
    Destroy(sender);
  }
}

}  // namespace
