// ICE over real sockets: loopback, a real STUN server (coturn) and mDNS
// between two network namespaces joined by a veth pair. These use real
// time: they wait on condition variables with generous deadlines and never
// sleep to pass time. What the machine cannot do is skipped with a reason.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "p2p/ice_agent.h"
#include "p2p/stun.h"
#include "p2p/udp_socket.h"
#include "rtc_base/event_loop.h"
#include "test/ice/ice_test_util.h"
#include "test/support/coturn.h"
#include "test/support/run_on.h"

namespace {

using rtc_test::RunOn;

using rtc_test::IcePeer;
using rtc_test::PostTo;

class Waiter {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  // Waits for the next notification, or at most timeout_ms (a
  // notification between the caller's check and this wait is caught by the
  // caller's next check).
  void WaitOnce(int timeout_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

int CountOpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

// Two agents on loop threads, wired for trickle, with events counted under
// the waiter's lock.
class RealIceTest : public testing::Test {
 protected:
  void SetUp() override { fds_before_ = CountOpenFds(); }
  void TearDown() override {
    for (auto* q : loops_)
      rtc_task_queue_destroy(q);
    EXPECT_EQ(CountOpenFds(), fds_before_) << "file descriptors leaked";
  }

  rtc_task_queue* NewLoop(const char* name) {
    rtc_task_queue* q = nullptr;
    EXPECT_EQ(rtc_event_loop_create(name, &q), RTC_OK);
    loops_.push_back(q);
    return q;
  }

  void Init(IcePeer& p,
            const char* name,
            rtc_task_queue* q,
            rtc_socket_factory* f,
            const rtc_ice_agent_config& config) {
    p.name = name;
    p.queue = q;
    p.factory = f;
    p.on_event = [this] { waiter_.Notify(); };
    RunOn(q, [&] { ASSERT_EQ(p.Create(config), RTC_OK); });
  }

  void Destroy(IcePeer& p) {
    if (p.agent)
      RunOn(p.queue, [&] { p.Destroy(); });
  }

  // Reads state owned by the loops on the loops.
  bool Connected(IcePeer& a, IcePeer& b) {
    bool ok = false;
    RunOn(a.queue, [&] { ok = a.connected() && a.selected_count > 0; });
    if (!ok)
      return false;
    RunOn(b.queue, [&] { ok = b.connected() && b.selected_count > 0; });
    return ok;
  }

  bool WaitConnected(IcePeer& a, IcePeer& b, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Connected(a, b))
        return true;
      waiter_.WaitOnce(50);  // woken by any event of either agent
    }
    return Connected(a, b);
  }

  void Start(IcePeer& a, IcePeer& b) {
    a.other = &b;
    b.other = &a;
    rtc_test::ExchangeCredentials(a, b);
    RunOn(a.queue, [&] { start_us_ = rtc_time_monotonic_us(); });
    RunOn(a.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(a.agent), RTC_OK); });
    RunOn(b.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(b.agent), RTC_OK); });
  }

  void ExchangeData(IcePeer& a, IcePeer& b) {
    std::string packet = "\x17hello over real sockets";
    RunOn(a.queue, [&] {
      EXPECT_EQ(rtc_ice_agent_send(
                    a.agent, reinterpret_cast<const uint8_t*>(packet.data()),
                    packet.size()),
                RTC_OK);
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    size_t got = 0;
    while (got == 0 && std::chrono::steady_clock::now() < deadline) {
      RunOn(b.queue, [&] { got = b.received.size(); });
      waiter_.WaitOnce(20);
    }
    ASSERT_EQ(got, 1u);
    RunOn(b.queue, [&] { EXPECT_EQ(b.received[0], packet); });
  }

  Waiter waiter_;
  std::vector<rtc_task_queue*> loops_;
  int fds_before_ = 0;
  int64_t start_us_ = 0;
};

rtc_ice_agent_config LoopbackConfig(rtc_ice_role role) {
  rtc_ice_agent_config config;
  rtc_ice_agent_config_init(&config);
  config.role = role;
  config.interfaces.include_loopback = true;
  config.obfuscate_host_addresses = false;
  return config;
}

TEST_F(RealIceTest, ConnectsOverLoopback) {
  rtc_socket_factory* factory = nullptr;
  ASSERT_EQ(rtc_system_socket_factory_create(&factory), RTC_OK);
  rtc_task_queue* q = NewLoop("ice-net");
  IcePeer a, b;
  Init(a, "a", q, factory, LoopbackConfig(RTC_ICE_ROLE_CONTROLLING));
  Init(b, "b", q, factory, LoopbackConfig(RTC_ICE_ROLE_CONTROLLED));
  Start(a, b);
  ASSERT_TRUE(WaitConnected(a, b, 10000));
  int64_t selected_at = 0;
  RunOn(q, [&] { selected_at = a.selected_at_us; });
  printf("[ measure  ] loopback: gathering start to selected pair %.2f ms\n",
         (selected_at - start_us_) / 1000.0);
  ExchangeData(a, b);
  Destroy(a);
  Destroy(b);
  rtc_system_socket_factory_destroy(factory);
}

// ICE-TCP (RFC 6544) over real sockets: only the TCP candidates are
// signaled (UDP cannot be used), so a's active candidate connects to b's
// listener and b's to a's; checks, nomination and data run over RFC 4571
// frames on kernel TCP connections.
TEST_F(RealIceTest, ConnectsOverTcpAloneOnLoopback) {
  rtc_socket_factory* factory = nullptr;
  ASSERT_EQ(rtc_system_socket_factory_create(&factory), RTC_OK);
  rtc_task_queue* q = NewLoop("ice-net");
  IcePeer a, b;
  Init(a, "a", q, factory, LoopbackConfig(RTC_ICE_ROLE_CONTROLLING));
  Init(b, "b", q, factory, LoopbackConfig(RTC_ICE_ROLE_CONTROLLED));
  auto only_tcp = [](const rtc_candidate& c) {
    return c.protocol == RTC_ICE_PROTOCOL_TCP;
  };
  a.signal_filter = b.signal_filter = only_tcp;
  Start(a, b);
  ASSERT_TRUE(WaitConnected(a, b, 10000));
  rtc_ice_pair_info pa = {}, pb = {};
  RunOn(q, [&] {
    EXPECT_EQ(rtc_ice_agent_selected_pair(a.agent, &pa), RTC_OK);
    EXPECT_EQ(rtc_ice_agent_selected_pair(b.agent, &pb), RTC_OK);
  });
  EXPECT_EQ(pa.local.protocol, RTC_ICE_PROTOCOL_TCP);
  EXPECT_EQ(pb.local.protocol, RTC_ICE_PROTOCOL_TCP);
  ExchangeData(a, b);
  ExchangeData(b, a);
  Destroy(a);
  Destroy(b);
  rtc_system_socket_factory_destroy(factory);
}

// --- coturn ---

class Coturn {
 public:
  ~Coturn() { Stop(); }
  // Starts turnserver as a STUN server on 127.0.0.1:port. Returns false
  // (with a reason) when it cannot.
  bool Start(std::string* why) {
    const char* binary = "/usr/bin/turnserver";
    if (access(binary, X_OK) != 0) {
      *why = "coturn is not installed (/usr/bin/turnserver)";
      return false;
    }
    port_ = FreeUdpPort();
    std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl(binary, binary, "-n", "--listening-ip=127.0.0.1",
            ("--listening-port=" + port).c_str(), "--stun-only", "--no-tls",
            "--no-dtls", "--no-cli", "--no-stdout-log", "--log-file=/dev/null",
            "--pidfile=/dev/null", "--no-rfc5780", nullptr);
      _exit(127);
    }
    return pid_ > 0;
  }
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  uint16_t port() const { return port_; }

 private:
  static uint16_t FreeUdpPort() {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin = {};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
    socklen_t len = sizeof(sin);
    getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    close(fd);
    return ntohs(sin.sin_port);
  }
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

TEST_F(RealIceTest, GathersReflexiveCandidateFromCoturn) {
  Coturn coturn;
  std::string why;
  if (!coturn.Start(&why))
    GTEST_SKIP() << why;
  rtc_socket_factory* factory = nullptr;
  ASSERT_EQ(rtc_system_socket_factory_create(&factory), RTC_OK);
  rtc_task_queue* q = NewLoop("ice-net");
  rtc_socket_address server;
  std::string text = "127.0.0.1:" + std::to_string(coturn.port());
  ASSERT_EQ(rtc_socket_address_parse(text.data(), text.size(), &server),
            RTC_OK);
  // Hidden host addresses, so that the reflexive candidate (equal to the
  // host address on loopback) is not redundant and is signaled (IP-04).
  rtc_ice_agent_config config = LoopbackConfig(RTC_ICE_ROLE_CONTROLLING);
  config.obfuscate_host_addresses = true;
  config.stun_servers = &server;
  config.stun_server_count = 1;
  IcePeer a;
  Init(a, "a", q, factory, config);
  // coturn takes a moment to listen; retransmissions (0.5, 1.5, 3.5 s)
  // cover it.
  RunOn(q, [&] { ASSERT_EQ(rtc_ice_agent_gather(a.agent), RTC_OK); });
  bool done = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    RunOn(q, [&] { done = a.end_of_candidates; });
    waiter_.WaitOnce(50);
  }
  ASSERT_TRUE(done);
  RunOn(q, [&] {
    EXPECT_TRUE(a.candidate_errors.empty());
    // The loopback base's reflexive candidate: 127.0.0.1 and the port of
    // one of the (obfuscated) host candidates.
    int found = 0;
    for (const auto& srflx : a.candidates) {
      if (srflx.type != RTC_CANDIDATE_SRFLX)
        continue;
      EXPECT_EQ(rtc_test::AddressString(srflx.related_address), "0.0.0.0:9");
      for (const auto& host : a.candidates) {
        if (host.type == RTC_CANDIDATE_HOST &&
            rtc_test::AddressString(srflx.address) ==
                "127.0.0.1:" + std::to_string(host.address.port))
          found++;
      }
    }
    EXPECT_EQ(found, 1);
  });
  Destroy(a);
  rtc_system_socket_factory_destroy(factory);
  coturn.Stop();
}

// --- TURN (a real coturn) ---

class RealTurnTest : public RealIceTest {
 protected:
  static void SetUpTestSuite() {
    coturn_ = new rtc_test::Coturn;
    if (!coturn_->Start(&why_)) {
      delete coturn_;
      coturn_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete coturn_;
    coturn_ = nullptr;
  }
  void SetUp() override {
    if (!coturn_)
      GTEST_SKIP() << why_;
    RealIceTest::SetUp();
    ASSERT_EQ(rtc_system_socket_factory_create(&factory_), RTC_OK);
    queue_ = NewLoop("ice-net");
  }
  void TearDown() override {
    if (!coturn_)
      return;
    Destroy(a_);
    Destroy(b_);
    RealIceTest::TearDown();
    rtc_system_socket_factory_destroy(factory_);
  }

  static rtc_ice_turn_server Server(rtc_ice_relay_protocol protocol,
                                    const char* password) {
    rtc_ice_turn_server s = {};
    uint16_t port =
        protocol == RTC_ICE_RELAY_TLS ? coturn_->tls_port() : coturn_->port();
    std::string text = "127.0.0.1:" + std::to_string(port);
    EXPECT_EQ(rtc_socket_address_parse(text.data(), text.size(), &s.address),
              RTC_OK);
    s.protocol = protocol;
    snprintf(s.username, sizeof(s.username), "%s", rtc_test::kTurnUser);
    snprintf(s.password, sizeof(s.password), "%s", password);
    snprintf(s.server_name, sizeof(s.server_name), "127.0.0.1");
    return s;
  }

  // Relay-only agents through one TURN server.
  void Connect(rtc_ice_relay_protocol protocol) {
    rtc_ice_turn_server server = Server(protocol, rtc_test::kTurnPassword);
    std::string ca = coturn_->ca_file();
    for (IcePeer* p : {&a_, &b_}) {
      rtc_ice_agent_config config = LoopbackConfig(
          p == &a_ ? RTC_ICE_ROLE_CONTROLLING : RTC_ICE_ROLE_CONTROLLED);
      config.transport_policy = RTC_ICE_POLICY_RELAY;
      config.turn_servers = &server;
      config.turn_server_count = 1;
      config.tls_ca_file = ca.c_str();
      Init(*p, p == &a_ ? "a" : "b", queue_, factory_, config);
    }
    Start(a_, b_);
  }

  // Every local candidate is relayed, with no address behind it.
  void ExpectOnlyRelayCandidates(IcePeer& p) {
    RunOn(queue_, [&] {
      ASSERT_FALSE(p.candidates.empty());
      for (const rtc_candidate& c : p.candidates) {
        EXPECT_EQ(c.type, RTC_CANDIDATE_RELAY) << rtc_test::CandidateString(c);
        EXPECT_TRUE(c.has_related);
        EXPECT_EQ(rtc_test::AddressString(c.related_address), "0.0.0.0:0");
      }
      EXPECT_EQ(p.selected.local.type, RTC_CANDIDATE_RELAY);
      EXPECT_EQ(p.selected.remote.type, RTC_CANDIDATE_RELAY);
    });
  }

  void RunRelayOnly(rtc_ice_relay_protocol protocol) {
    Connect(protocol);
    ASSERT_TRUE(WaitConnected(a_, b_, 15000));
    int64_t selected_at = 0;
    RunOn(queue_, [&] {
      selected_at = std::max(a_.selected_at_us, b_.selected_at_us);
    });
    printf(
        "[ measure  ] relay-only over %s: gathering start to selected "
        "pair on both sides %.2f ms\n",
        rtc_ice_relay_protocol_name(protocol),
        (selected_at - start_us_) / 1000.0);
    ExpectOnlyRelayCandidates(a_);
    ExpectOnlyRelayCandidates(b_);
    ExchangeData(a_, b_);
    // And the other way, one packet after the other (ChannelData once the
    // channel is bound): the relay's UDP legs may drop a burst, not these.
    std::string packet(1200, '\x17');
    for (size_t i = 0; i < 20; i++) {
      RunOn(queue_, [&] {
        EXPECT_EQ(rtc_ice_agent_send(
                      b_.agent, reinterpret_cast<const uint8_t*>(packet.data()),
                      packet.size()),
                  RTC_OK);
      });
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(5);
      size_t got = 0;
      while (got <= i && std::chrono::steady_clock::now() < deadline) {
        RunOn(queue_, [&] { got = a_.received.size(); });
        if (got <= i)
          waiter_.WaitOnce(20);
      }
      ASSERT_EQ(got, i + 1) << "packet " << i;
    }
  }

  static rtc_test::Coturn* coturn_;
  static std::string why_;
  rtc_socket_factory* factory_ = nullptr;
  rtc_task_queue* queue_ = nullptr;
  IcePeer a_, b_;
};

rtc_test::Coturn* RealTurnTest::coturn_ = nullptr;
std::string RealTurnTest::why_;

TEST_F(RealTurnTest, RelayOnlyConnectsOverUdp) {
  RunRelayOnly(RTC_ICE_RELAY_UDP);
}

TEST_F(RealTurnTest, RelayOnlyConnectsOverTcp) {
  RunRelayOnly(RTC_ICE_RELAY_TCP);
}

TEST_F(RealTurnTest, RelayOnlyConnectsOverTls) {
  RunRelayOnly(RTC_ICE_RELAY_TLS);
}

// Wrong credentials: coturn answers 401 twice (the second time to the
// authenticated Allocate), which ends gathering with an icecandidateerror.
TEST_F(RealTurnTest, WrongCredentialsGiveA401CandidateError) {
  for (rtc_ice_relay_protocol protocol :
       {RTC_ICE_RELAY_UDP, RTC_ICE_RELAY_TCP, RTC_ICE_RELAY_TLS}) {
    rtc_ice_turn_server server = Server(protocol, "wrong-password");
    snprintf(server.url, sizeof(server.url), "turn:example-%d",
             static_cast<int>(protocol));
    std::string ca = coturn_->ca_file();
    rtc_ice_agent_config config = LoopbackConfig(RTC_ICE_ROLE_CONTROLLING);
    config.turn_servers = &server;
    config.turn_server_count = 1;
    config.tls_ca_file = ca.c_str();
    IcePeer p;
    Init(p, "p", queue_, factory_, config);
    RunOn(queue_, [&] { ASSERT_EQ(rtc_ice_agent_gather(p.agent), RTC_OK); });
    bool done = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      RunOn(queue_, [&] { done = p.end_of_candidates; });
      waiter_.WaitOnce(20);
    }
    ASSERT_TRUE(done) << rtc_ice_relay_protocol_name(protocol);
    RunOn(queue_, [&] {
      ASSERT_EQ(p.candidate_errors.size(), 1u);
      const rtc_ice_candidate_error& e = p.candidate_errors[0];
      EXPECT_EQ(e.error_code, 401);
      EXPECT_STREQ(e.url, server.url);
      EXPECT_TRUE(rtc_socket_address_equal(&e.server, &server.address));
      // Host candidates were gathered (policy "all"), relayed ones not.
      for (const rtc_candidate& c : p.candidates)
        EXPECT_NE(c.type, RTC_CANDIDATE_RELAY);
    });
    Destroy(p);
  }
}

// A TLS server whose certificate does not chain to the configured CA: no
// allocation, a 701 error naming TLS.
TEST_F(RealTurnTest, UntrustedTlsServerGivesA701CandidateError) {
  rtc_ice_turn_server server = Server(RTC_ICE_RELAY_TLS, "x");
  std::string ca = coturn_->other_ca_file();
  rtc_ice_agent_config config = LoopbackConfig(RTC_ICE_ROLE_CONTROLLING);
  config.transport_policy = RTC_ICE_POLICY_RELAY;
  config.turn_servers = &server;
  config.turn_server_count = 1;
  config.tls_ca_file = ca.c_str();
  IcePeer p;
  Init(p, "p", queue_, factory_, config);
  RunOn(queue_, [&] { ASSERT_EQ(rtc_ice_agent_gather(p.agent), RTC_OK); });
  bool done = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    RunOn(queue_, [&] { done = p.end_of_candidates; });
    waiter_.WaitOnce(20);
  }
  ASSERT_TRUE(done);
  RunOn(queue_, [&] {
    EXPECT_TRUE(p.candidates.empty());
    ASSERT_EQ(p.candidate_errors.size(), 1u);
    EXPECT_EQ(p.candidate_errors[0].error_code, 701);
    EXPECT_NE(std::string(p.candidate_errors[0].error_text).find("TLS"),
              std::string::npos)
        << p.candidate_errors[0].error_text;
    // Under the relay policy the local address is not exposed.
    EXPECT_EQ(p.candidate_errors[0].local.family, RTC_AF_UNSPEC);
  });
  Destroy(p);
}

// --- mDNS across two network namespaces ---

int Run(const std::string& command) {
  return system((command + " >/dev/null 2>&1").c_str());
}

class Namespaces {
 public:
  ~Namespaces() {
    for (const auto& ns : names_)
      Run("ip netns del " + ns);
  }
  bool Create(std::string* why) {
    if (geteuid() != 0) {
      *why = "needs root to create network namespaces";
      return false;
    }
    std::string id = std::to_string(getpid());
    a_ = "rtcbox-ice-a-" + id;
    b_ = "rtcbox-ice-b-" + id;
    if (Run("ip netns add " + a_) != 0) {
      *why = "`ip netns add` failed (no iproute2 or no namespace support)";
      return false;
    }
    names_.push_back(a_);
    if (Run("ip netns add " + b_) != 0) {
      *why = "`ip netns add` failed";
      return false;
    }
    names_.push_back(b_);
    std::string va = "rtcva" + id, vb = "rtcvb" + id;
    va = va.substr(0, 15);
    vb = vb.substr(0, 15);
    if (Run("ip link add " + va + " netns " + a_ + " type veth peer name " +
            vb + " netns " + b_) != 0) {
      *why = "cannot create a veth pair";
      return false;
    }
    // nsenter rather than `ip -n`, which remounts /sys and fails where /
    // is not a mount point (a chroot).
    std::string in_a = "nsenter --net=/var/run/netns/" + a_ + " ip ";
    std::string in_b = "nsenter --net=/var/run/netns/" + b_ + " ip ";
    bool ok = Run(in_a + "addr add 10.211.0.1/24 dev " + va) == 0 &&
              Run(in_b + "addr add 10.211.0.2/24 dev " + vb) == 0 &&
              Run(in_a + "link set " + va + " up") == 0 &&
              Run(in_b + "link set " + vb + " up") == 0 &&
              Run(in_a + "link set lo up") == 0 &&
              Run(in_b + "link set lo up") == 0;
    if (!ok)
      *why = "cannot configure the veth pair";
    return ok;
  }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }

 private:
  std::vector<std::string> names_;
  std::string a_, b_;
};

// Moves the calling thread into a named network namespace.
bool EnterNamespace(const std::string& name) {
  int fd = open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = setns(fd, CLONE_NEWNET) == 0;
  close(fd);
  return ok;
}

TEST_F(RealIceTest, ResolvesMdnsCandidatesAcrossNamespaces) {
  Namespaces ns;
  std::string why;
  if (!ns.Create(&why))
    GTEST_SKIP() << why;
  rtc_task_queue* qa = NewLoop("ice-ns-a");
  rtc_task_queue* qb = NewLoop("ice-ns-b");
  bool entered = false;
  RunOn(qa, [&] { entered = EnterNamespace(ns.a()); });
  ASSERT_TRUE(entered);
  RunOn(qb, [&] { entered = EnterNamespace(ns.b()); });
  ASSERT_TRUE(entered);
  rtc_socket_factory* factory = nullptr;
  ASSERT_EQ(rtc_system_socket_factory_create(&factory), RTC_OK);
  // The kernel reports a fresh veth as running a moment after it is up:
  // wait (bounded) until each namespace lists its address.
  for (auto* q : {qa, qb}) {
    size_t n = 0;
    for (int i = 0; i < 500 && n == 0; i++) {
      RunOn(q, [&] {
        rtc_network_interface ifs[8];
        ASSERT_EQ(
            rtc_socket_factory_list_interfaces(factory, nullptr, ifs, 8, &n),
            RTC_OK);
      });
      if (n == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(n, 1u) << "the veth never came up";
  }
  // Default configuration: host candidates are mDNS names.
  rtc_ice_agent_config ca, cb;
  rtc_ice_agent_config_init(&ca);
  rtc_ice_agent_config_init(&cb);
  cb.role = RTC_ICE_ROLE_CONTROLLED;
  IcePeer a, b;
  Init(a, "a", qa, factory, ca);
  Init(b, "b", qb, factory, cb);
  Start(a, b);
  ASSERT_TRUE(WaitConnected(a, b, 15000));
  const std::regex name(
      "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
      "\\.local$");
  RunOn(qa, [&] {
    ASSERT_FALSE(a.candidates.empty());
    for (const auto& c : a.candidates) {
      EXPECT_TRUE(std::regex_match(c.hostname, name));
      EXPECT_EQ(rtc_test::CandidateString(c).find("10.211."),
                std::string::npos);
    }
  });
  // The selected pair may have been nominated on b's address learned from
  // b's check (peer-reflexive) before a resolved b's name; the resolution
  // then upgrades that remote candidate to the signaled mDNS one.
  std::string remote_name;
  for (int i = 0; i < 500; i++) {
    RunOn(qa, [&] {
      rtc_ice_pair_info pair;
      if (rtc_ice_agent_selected_pair(a.agent, &pair) == RTC_OK)
        remote_name = pair.remote.hostname;
    });
    if (std::regex_match(remote_name, name))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(std::regex_match(remote_name, name)) << remote_name;
  ExchangeData(a, b);
  Destroy(a);
  Destroy(b);
  rtc_system_socket_factory_destroy(factory);
}

}  // namespace
