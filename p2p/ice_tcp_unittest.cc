// ICE-TCP (RFC 6544) on the simulated network: TCP host candidates, pairs
// over connections made to passive candidates and accepted from active
// ones, UDP preferred when it works, and what a bogus connection gets.

#include <gtest/gtest.h>

#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "p2p/ice_agent.h"
#include "p2p/stream_socket.h"
#include "p2p/stun.h"
#include "rtc_base/alloc.h"
#include "rtc_base/sim_time.h"
#include "test/ice/ice_sim_fixture.h"
#include "test/ice/ice_test_util.h"
#include "test/network/sim_network.h"

namespace {

using rtc_test::IcePeer;

constexpr int64_t kSec = RTC_US_PER_SEC;
constexpr int64_t kMs = RTC_US_PER_MS;

rtc_socket_address Ip(const char* text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text, strlen(text), &a), RTC_OK) << text;
  return a;
}

const std::regex kMdnsName(
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    "\\.local$");

// Every socket of a host: UDP, listeners, connections.
size_t Sockets(const rtc_sim_host* host) {
  return rtc_sim_host_socket_count(host) + rtc_sim_host_tcp_socket_count(host);
}

bool IsTcp(const rtc_candidate& c) {
  return c.protocol == RTC_ICE_PROTOCOL_TCP;
}

const rtc_candidate* Find(const std::vector<rtc_candidate>& list,
                          rtc_ice_protocol protocol,
                          rtc_tcp_type tcp_type) {
  for (const auto& c : list) {
    if (c.protocol == protocol && c.tcp_type == tcp_type)
      return &c;
  }
  return nullptr;
}

// A socket factory that forwards everything but TCP to another one: a
// factory without TCP (the broker's, say).
struct UdpOnlyFactory {
  rtc_socket_factory base;  // first
  rtc_socket_factory* inner;

  static rtc_socket_factory* Inner(rtc_socket_factory* f) {
    return reinterpret_cast<UdpOnlyFactory*>(f)->inner;
  }
  static rtc_error ListInterfaces(rtc_socket_factory* f,
                                  rtc_network_interface* out,
                                  size_t capacity,
                                  size_t* count) {
    return Inner(f)->vtable->list_interfaces(Inner(f), out, capacity, count);
  }
  static rtc_error DefaultRoute(rtc_socket_factory* f,
                                rtc_address_family family,
                                rtc_socket_address* out) {
    return Inner(f)->vtable->default_route_address(Inner(f), family, out);
  }
  static rtc_error CreateUdp(rtc_socket_factory* f,
                             rtc_task_queue* q,
                             const rtc_socket_address* local,
                             const rtc_udp_options* options,
                             const rtc_packet_socket_observer* observer,
                             void* user,
                             rtc_packet_socket** out) {
    return Inner(f)->vtable->create_udp(Inner(f), q, local, options, observer,
                                        user, out);
  }
  static rtc_error CreateMulticast(rtc_socket_factory* f,
                                   rtc_task_queue* q,
                                   const rtc_socket_address* group,
                                   uint32_t if_index,
                                   const rtc_packet_socket_observer* observer,
                                   void* user,
                                   rtc_packet_socket** out) {
    return Inner(f)->vtable->create_multicast_udp(Inner(f), q, group, if_index,
                                                  observer, user, out);
  }
  static const rtc_socket_factory_vtable kVtable;
};

const rtc_socket_factory_vtable UdpOnlyFactory::kVtable = {
    UdpOnlyFactory::ListInterfaces,
    UdpOnlyFactory::DefaultRoute,
    UdpOnlyFactory::CreateUdp,
    UdpOnlyFactory::CreateMulticast,
    nullptr,
    nullptr,
};

// A raw TCP client: what a bogus peer (or a port scanner) does to a
// passive candidate.
struct RawClient {
  rtc_stream_socket* socket = nullptr;
  bool connected = false;
  bool closed = false;
  rtc_error close_error = RTC_OK;

  static void OnConnected(void* user, rtc_stream_socket*) {
    static_cast<RawClient*>(user)->connected = true;
  }
  static void OnData(void*, rtc_stream_socket*, const uint8_t*, size_t) {}
  static void OnClosed(void* user, rtc_stream_socket*, rtc_error error) {
    auto* self = static_cast<RawClient*>(user);
    self->closed = true;
    self->close_error = error;
  }
  static const rtc_stream_socket_observer kObserver;

  void Send(const std::string& bytes) {
    size_t accepted = 0;
    EXPECT_EQ(rtc_stream_socket_send(
                  socket, reinterpret_cast<const uint8_t*>(bytes.data()),
                  bytes.size(), &accepted),
              RTC_OK);
    EXPECT_EQ(accepted, bytes.size());
  }
};

const rtc_stream_socket_observer RawClient::kObserver = {
    RawClient::OnConnected,
    RawClient::OnData,
    nullptr,
    RawClient::OnClosed,
};

class IceTcpTest : public rtc_test::IceSimFixture {
 protected:
  IceTcpTest() : IceSimFixture(4321) {}

  void TearDown() override {
    for (IcePeer* p : {&a_, &b_})
      DestroyPeer(*p);
    OnQueue(helper_queue_, [&] {
      for (RawClient* c : clients_) {
        rtc_stream_socket_destroy(c->socket);
        delete c;
      }
      clients_.clear();
    });
    IceSimFixture::TearDown();
  }

  rtc_ice_agent_config Config(rtc_ice_role role) {
    rtc_ice_agent_config config;
    rtc_ice_agent_config_init(&config);
    config.role = role;
    config.jitter_seed = role == RTC_ICE_ROLE_CONTROLLING ? 1 : 2;
    config.obfuscate_host_addresses = false;
    return config;
  }

  rtc_sim_nat* AddNat(const char* public_ip, bool udp_blocked) {
    rtc_sim_nat* nat = nullptr;
    rtc_socket_address pub = Ip(public_ip);
    EXPECT_EQ(
        rtc_sim_network_add_nat(net_, &pub, RTC_SIM_NAT_PORT_RESTRICTED, &nat),
        RTC_OK);
    rtc_sim_nat_set_udp_blocked(nat, udp_blocked);
    return nat;
  }

  static bool OnlyTcp(const rtc_candidate& c) { return IsTcp(c); }

  void Gather(IcePeer& p) {
    OnQueue(p.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(p.agent), RTC_OK); });
    ASSERT_TRUE(RunUntil([&] { return p.end_of_candidates; }, 5 * kSec));
  }

  // A raw TCP connection from `host` to `to`.
  RawClient* Connect(rtc_sim_host* host, const rtc_socket_address& to) {
    auto* c = new RawClient;
    clients_.push_back(c);
    rtc_socket_address any;
    rtc_socket_address_clear(&any);
    any.family = RTC_AF_INET;
    OnQueue(helper_queue_, [&] {
      ASSERT_EQ(rtc_socket_factory_connect_tcp(
                    rtc_sim_host_socket_factory(host), helper_queue_, &any, &to,
                    &RawClient::kObserver, c, &c->socket),
                RTC_OK);
    });
    return c;
  }

  // The selected pair of p, as p reports it.
  rtc_ice_pair_info Selected(IcePeer& p) {
    rtc_ice_pair_info info = {};
    OnQueue(p.queue, [&] {
      EXPECT_EQ(rtc_ice_agent_selected_pair(p.agent, &info), RTC_OK);
    });
    return info;
  }

  std::vector<RawClient*> clients_;
};

// --- Gathering ---

TEST_F(IceTcpTest, GathersActiveAndPassiveHostCandidatesBelowEveryUdpOne) {
  rtc_sim_host* host = AddHostOnNat(nullptr, "203.0.113.1");
  MakePeer(a_, "a", host, Config(RTC_ICE_ROLE_CONTROLLING));
  Gather(a_);
  ASSERT_EQ(a_.candidates.size(), 3u);
  const rtc_candidate* udp =
      Find(a_.candidates, RTC_ICE_PROTOCOL_UDP, RTC_TCP_TYPE_NONE);
  const rtc_candidate* active =
      Find(a_.candidates, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_ACTIVE);
  const rtc_candidate* passive =
      Find(a_.candidates, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_PASSIVE);
  ASSERT_TRUE(udp && active && passive);
  for (const rtc_candidate* c : {active, passive}) {
    EXPECT_EQ(c->type, RTC_CANDIDATE_HOST);
    EXPECT_EQ(c->component, 1u);
    EXPECT_EQ(rtc_socket_address_ipv4(&c->address), 0xCB007101u);
    // Below the UDP host candidate and below any server-reflexive one
    // (type preference 100) and peer-reflexive one (110).
    EXPECT_LT(c->priority, udp->priority);
    EXPECT_LT(c->priority, 100u << 24);
    EXPECT_GT(c->priority, 0u << 24);  // above a relayed candidate
    EXPECT_STREQ(c->ufrag, udp->ufrag);
  }
  // RFC 6544 §4.5: the active candidate's port is 9; the passive one's is
  // a listener's.
  EXPECT_EQ(active->address.port, 9);
  EXPECT_NE(passive->address.port, 0);
  EXPECT_NE(passive->address.port, 9);
  // §4.2: type preference 90; local preference 2^13 * direction-pref
  // (active 6, passive 4) + other-pref (8191 for the first address).
  EXPECT_EQ(active->priority, (90u << 24) | (((6u << 13) | 8191u) << 8) | 255u);
  EXPECT_EQ(passive->priority,
            (90u << 24) | (((4u << 13) | 8191u) << 8) | 255u);
  // The text form browsers send.
  std::string text = rtc_test::CandidateString(*passive);
  EXPECT_NE(text.find(" tcp "), std::string::npos) << text;
  EXPECT_NE(text.find("tcptype passive"), std::string::npos) << text;
  // The UDP socket and the listener.
  EXPECT_EQ(Sockets(host), 2u);
}

TEST_F(IceTcpTest, ObfuscatedTcpCandidatesCarryTheUdpCandidatesName) {
  rtc_sim_host* host = AddHostOnNat(nullptr, "203.0.113.1");
  rtc_ice_agent_config config = Config(RTC_ICE_ROLE_CONTROLLING);
  config.obfuscate_host_addresses = true;
  MakePeer(a_, "a", host, config);
  Gather(a_);
  ASSERT_EQ(a_.candidates.size(), 3u);
  std::string name = a_.candidates[0].hostname;
  EXPECT_TRUE(std::regex_match(name, kMdnsName)) << name;
  for (const auto& c : a_.candidates) {
    EXPECT_EQ(name, c.hostname);
    EXPECT_EQ(rtc_test::CandidateString(c).find("203.0.113.1"),
              std::string::npos);
  }
}

TEST_F(IceTcpTest, NoTcpCandidatesWhenOffUnderTheRelayPolicyOrWithoutTcp) {
  rtc_sim_host* host = AddHostOnNat(nullptr, "203.0.113.1");
  {
    IcePeer p;
    rtc_ice_agent_config config = Config(RTC_ICE_ROLE_CONTROLLING);
    config.tcp_candidates = false;
    MakePeer(p, "off", host, config);
    Gather(p);
    ASSERT_EQ(p.candidates.size(), 1u);
    EXPECT_FALSE(IsTcp(p.candidates[0]));
    EXPECT_EQ(Sockets(host), 1u);  // no listener
    DestroyPeer(p);
  }
  {
    IcePeer p;
    rtc_ice_agent_config config = Config(RTC_ICE_ROLE_CONTROLLING);
    config.transport_policy = RTC_ICE_POLICY_RELAY;
    MakePeer(p, "relay", host, config);
    Gather(p);
    EXPECT_TRUE(p.candidates.empty());
    EXPECT_EQ(Sockets(host), 1u);  // no listener
    DestroyPeer(p);
  }
  {
    IcePeer p;
    UdpOnlyFactory udp_only = {{&UdpOnlyFactory::kVtable},
                               rtc_sim_host_socket_factory(host)};
    p.name = "udp-only";
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "udp-only", &p.queue), RTC_OK);
    p.factory = &udp_only.base;
    OnQueue(p.queue, [&] {
      ASSERT_EQ(p.Create(Config(RTC_ICE_ROLE_CONTROLLING)), RTC_OK);
    });
    Gather(p);
    ASSERT_EQ(p.candidates.size(), 1u);
    EXPECT_FALSE(IsTcp(p.candidates[0]));
    EXPECT_TRUE(p.candidate_errors.empty());
    DestroyPeer(p);
  }
  EXPECT_EQ(Sockets(host), 0u);
}

// Any one allocation of a gathering fails (a listener, a candidate, an
// event): the agent goes on without it, and leaves nothing behind.
TEST_F(IceTcpTest, GatheringSurvivesAnyAllocationFailure) {
  rtc_sim_host* host = AddHostOnNat(nullptr, "203.0.113.1");
  bool listener_failed = false;
  for (uint64_t n = 1; n < 40; n++) {
    IcePeer p;
    MakePeer(p, "p", host, Config(RTC_ICE_ROLE_CONTROLLING));
    OnQueue(p.queue, [&] {
      rtc_alloc_fail_nth(n, 0);
      rtc_error err = rtc_ice_agent_gather(p.agent);
      rtc_alloc_clear_failure();
      EXPECT_EQ(err, RTC_OK);
    });
    Run(kSec);
    EXPECT_LE(p.candidates.size(), 3u);
    if (p.candidates.size() == 1 && !IsTcp(p.candidates[0]))
      listener_failed = true;
    DestroyPeer(p);
    EXPECT_EQ(Sockets(host), 0u) << n;
  }
  // One of them was the listener's: the UDP candidate came alone.
  EXPECT_TRUE(listener_failed);
}

// --- Connecting ---

// Only the TCP candidates are signaled: the controlling side's active
// candidate connects to the other's passive one, through mDNS names.
TEST_F(IceTcpTest, PeersOnOneLanConnectOverTcpAlone) {
  rtc_sim_nat* nat = AddNat("203.0.113.1", false);
  rtc_sim_host* ha = AddHostOnNat(nat, "192.168.1.10");
  rtc_sim_host* hb = AddHostOnNat(nat, "192.168.1.11");
  rtc_ice_agent_config ca = Config(RTC_ICE_ROLE_CONTROLLING);
  rtc_ice_agent_config cb = Config(RTC_ICE_ROLE_CONTROLLED);
  ca.obfuscate_host_addresses = cb.obfuscate_host_addresses = true;
  MakePeer(a_, "a", ha, ca);
  MakePeer(b_, "b", hb, cb);
  a_.signal_filter = b_.signal_filter = OnlyTcp;
  Start();
  ASSERT_TRUE(BothConnected(10 * kSec));
  for (IcePeer* p : {&a_, &b_}) {
    rtc_ice_pair_info pair = Selected(*p);
    EXPECT_EQ(pair.local.protocol, RTC_ICE_PROTOCOL_TCP) << p->name;
    EXPECT_EQ(pair.remote.protocol, RTC_ICE_PROTOCOL_TCP) << p->name;
  }
  // Both directions make a connection (each side's active to the other's
  // passive); the pairs differ by direction.
  EXPECT_EQ(Send(a_, "over tcp"), RTC_OK);
  EXPECT_EQ(Send(b_, "and back"), RTC_OK);
  Run(kSec);
  ASSERT_EQ(b_.received.size(), 1u);
  EXPECT_EQ(b_.received[0], "\x17over tcp");
  ASSERT_EQ(a_.received.size(), 1u);
  EXPECT_EQ(a_.received[0],
            "\x17"
            "and back");
}

// A firewall stops UDP at a's NAT: a reaches b (on the internet) only by
// connecting to b's passive candidate; b learns a's side as
// peer-reflexive (RFC 6544 §7.2). Consent keeps the pair up over TCP.
TEST_F(IceTcpTest, UdpBlockedBehindANatConnectsOverTcpToAPublicPeer) {
  rtc_sim_nat* nat = AddNat("203.0.113.1", true);
  rtc_sim_host* ha = AddHostOnNat(nat, "192.168.1.10");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(10 * kSec));
  rtc_ice_pair_info pa = Selected(a_);
  EXPECT_EQ(pa.local.protocol, RTC_ICE_PROTOCOL_TCP);
  EXPECT_EQ(pa.local.tcp_type, RTC_TCP_TYPE_ACTIVE);
  EXPECT_EQ(pa.remote.tcp_type, RTC_TCP_TYPE_PASSIVE);
  EXPECT_EQ(pa.remote.type, RTC_CANDIDATE_HOST);
  rtc_ice_pair_info pb = Selected(b_);
  EXPECT_EQ(pb.local.protocol, RTC_ICE_PROTOCOL_TCP);
  EXPECT_EQ(pb.local.tcp_type, RTC_TCP_TYPE_PASSIVE);
  EXPECT_EQ(pb.remote.type, RTC_CANDIDATE_PRFLX);
  EXPECT_EQ(pb.remote.protocol, RTC_ICE_PROTOCOL_TCP);
  EXPECT_EQ(pb.remote.tcp_type, RTC_TCP_TYPE_ACTIVE);
  // IP-06: the peer-reflexive address is not exposed.
  EXPECT_EQ(pb.remote.address.family, RTC_AF_UNSPEC);
  EXPECT_EQ(Send(a_, "ping"), RTC_OK);
  EXPECT_EQ(Send(b_, "pong"), RTC_OK);
  Run(kSec);
  ASSERT_EQ(b_.received.size(), 1u);
  ASSERT_EQ(a_.received.size(), 1u);
  // A minute of consent checks over the connection.
  Run(60 * kSec);
  EXPECT_TRUE(a_.connected()) << rtc_ice_transport_state_name(a_.state());
  EXPECT_TRUE(b_.connected()) << rtc_ice_transport_state_name(b_.state());
  EXPECT_GE(Selected(a_).consent_requests_sent, 10u);
  EXPECT_EQ(Send(a_, "still"), RTC_OK);
  Run(kSec);
  EXPECT_EQ(b_.received.size(), 2u);
}

// An ICE restart over TCP: the old generation's connection carries the
// data until the new one selects its own pair (a new connection), then
// goes; not a packet is lost.
TEST_F(IceTcpTest, RestartMovesToANewConnectionWithoutLoss) {
  rtc_sim_nat* nat = AddNat("203.0.113.1", true);
  rtc_sim_host* ha = AddHostOnNat(nat, "192.168.1.10");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(10 * kSec));
  Run(15 * kSec);  // the failed attempts (b to a's private address) end
  size_t sockets_a = Sockets(ha), sockets_b = Sockets(hb);
  std::string old_ufrag = a_.selected.local.ufrag;
  int sent = 0;
  std::vector<int> got;
  b_.on_packet = [&](const std::string& p) {
    got.push_back(std::stoi(p.substr(1)));
  };
  auto send_some = [&](int64_t duration_us) {
    for (int64_t t = 0; t < duration_us; t += 20 * kMs) {
      EXPECT_EQ(Send(a_, std::to_string(sent)), RTC_OK);
      sent++;
      Run(20 * kMs);
    }
  };
  send_some(200 * kMs);
  a_.end_of_candidates = b_.end_of_candidates = false;
  OnQueue(a_.queue, [&] {
    ASSERT_EQ(rtc_ice_agent_restart(a_.agent, nullptr, nullptr), RTC_OK);
  });
  OnQueue(b_.queue, [&] {
    ASSERT_EQ(rtc_ice_agent_restart(b_.agent, nullptr, nullptr), RTC_OK);
  });
  rtc_test::ExchangeCredentials(a_, b_);
  OnQueue(a_.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK); });
  OnQueue(b_.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(b_.agent), RTC_OK); });
  int selections = a_.selected_count;
  for (int i = 0; i < 200 && a_.selected_count == selections; i++)
    send_some(20 * kMs);
  ASSERT_GT(a_.selected_count, selections);
  EXPECT_NE(a_.selected.local.ufrag, old_ufrag);
  EXPECT_EQ(a_.selected.local.protocol, RTC_ICE_PROTOCOL_TCP);
  send_some(200 * kMs);
  Run(15 * kSec);
  ASSERT_EQ(got.size(), static_cast<size_t>(sent));
  for (int i = 0; i < sent; i++)
    EXPECT_EQ(got[i], i);
  EXPECT_FALSE(a_.ReachedState(RTC_ICE_TRANSPORT_FAILED));
  // The old connections are gone: as many sockets as before.
  EXPECT_EQ(Sockets(ha), sockets_a);
  EXPECT_EQ(Sockets(hb), sockets_b);
}

TEST_F(IceTcpTest, UdpPairIsPreferredWhenBothWork) {
  rtc_sim_host* ha = AddHostOnNat(nullptr, "203.0.113.1");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(10 * kSec));
  Run(2 * kSec);
  EXPECT_EQ(Selected(a_).local.protocol, RTC_ICE_PROTOCOL_UDP);
  EXPECT_EQ(Selected(b_).local.protocol, RTC_ICE_PROTOCOL_UDP);
  // The TCP pairs were formed, and rank below the UDP one.
  rtc_ice_pair_info pairs[16];
  size_t n = 0;
  OnQueue(a_.queue, [&] { n = rtc_ice_agent_pairs(a_.agent, pairs, 16); });
  ASSERT_GE(n, 2u);
  bool tcp_pair = false;
  for (size_t i = 0; i < n && i < 16; i++) {
    if (pairs[i].local.protocol == RTC_ICE_PROTOCOL_TCP) {
      tcp_pair = true;
      EXPECT_LT(pairs[i].priority, Selected(a_).priority);
    }
  }
  EXPECT_TRUE(tcp_pair);
}

TEST_F(IceTcpTest, DestroyClosesEveryConnectionAndListener) {
  rtc_sim_nat* nat = AddNat("203.0.113.1", true);
  rtc_sim_host* ha = AddHostOnNat(nat, "192.168.1.10");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(10 * kSec));
  // UDP socket, listener and at least one connection each.
  EXPECT_GE(Sockets(ha), 3u);
  EXPECT_GE(Sockets(hb), 3u);
  DestroyPeer(a_);
  DestroyPeer(b_);
  EXPECT_EQ(Sockets(ha), 0u);
  EXPECT_EQ(Sockets(hb), 0u);
}

// The selected pair's connection closes (the peer went away): nothing can
// be sent on it again, so consent is lost at once, not 30 s later.
TEST_F(IceTcpTest, ClosedConnectionOfTheSelectedPairFailsAtOnce) {
  rtc_sim_nat* nat = AddNat("203.0.113.1", true);
  rtc_sim_host* ha = AddHostOnNat(nat, "192.168.1.10");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(10 * kSec));
  DestroyPeer(b_);
  Run(kSec);
  EXPECT_EQ(a_.state(), RTC_ICE_TRANSPORT_FAILED);
  EXPECT_EQ(Send(a_, "x"), RTC_ERR_INVALID_STATE);
  // The connection's socket is gone; the UDP socket and listener stay.
  EXPECT_EQ(Sockets(ha), 2u);
}

// rtc_ice_agent_send over TCP: a frame a packet; a full stream refuses
// (RTC_ERR_WOULD_BLOCK), on_writable says when it drained, and every
// packet accepted arrives, in order.
TEST_F(IceTcpTest, SendBlocksWhenTheStreamIsFullAndResumesOnWritable) {
  rtc_sim_nat* nat = AddNat("203.0.113.1", true);
  rtc_sim_host* ha = AddHostOnNat(nat, "192.168.1.10");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  rtc_sim_link link;
  rtc_sim_link_init(&link);
  link.delay_us = 20 * kMs;
  rtc_sim_host_set_link(ha, &link, &link);
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(10 * kSec));
  ASSERT_EQ(Selected(a_).local.protocol, RTC_ICE_PROTOCOL_TCP);
  std::string packet(1200, 'x');
  packet[0] = '\x17';
  int sent = 0;
  rtc_error last = RTC_OK;
  OnQueue(a_.queue, [&] {
    for (int i = 0; i < 10000; i++) {
      packet[1] = static_cast<char>(i);
      last = rtc_ice_agent_send(a_.agent,
                                reinterpret_cast<const uint8_t*>(packet.data()),
                                packet.size());
      if (last != RTC_OK)
        break;
      sent++;
    }
  });
  EXPECT_EQ(last, RTC_ERR_WOULD_BLOCK);
  EXPECT_GT(sent, 100);
  EXPECT_LT(sent, 10000);
  EXPECT_EQ(a_.writable_count, 0);
  ASSERT_TRUE(RunUntil([&] { return a_.writable_count > 0; }, 5 * kSec));
  ASSERT_TRUE(
      RunUntil([&] { return b_.received.size() >= static_cast<size_t>(sent); },
               5 * kSec));
  ASSERT_EQ(b_.received.size(), static_cast<size_t>(sent));
  for (int i = 0; i < sent; i++)
    ASSERT_EQ(b_.received[i][1], static_cast<char>(i)) << i;
  EXPECT_EQ(Send(a_, "after"), RTC_OK);
}

// A page chooses the remote candidates, and much of what a check carries:
// no connection to ports below 1024 but 80 and 443, nor to Fetch's bad
// ports; and at most 16 connections, however many passive candidates
// come.
TEST_F(IceTcpTest, RemotePassiveCandidatesGetFewConnectionsAndNoneToBadPorts) {
  rtc_sim_host* ha = AddHostOnNat(nullptr, "203.0.113.1");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  OnQueue(a_.queue, [&] {
    ASSERT_EQ(rtc_ice_agent_set_remote_credentials(a_.agent, "peer",
                                                   "peerpasswordpeerpassword"),
              RTC_OK);
  });
  Gather(a_);
  size_t baseline = Sockets(ha);
  auto add = [&](const char* address, const char* type = "passive") {
    std::string line = std::string("candidate:7 1 tcp 1518280447 ") + address +
                       " typ host tcptype " + type;
    rtc_candidate c;
    ASSERT_EQ(rtc_candidate_parse(line.data(), line.size(), &c, nullptr),
              RTC_OK);
    OnQueue(a_.queue, [&] {
      EXPECT_EQ(rtc_ice_agent_add_remote_candidate(a_.agent, &c), RTC_OK);
    });
  };
  for (const char* bad : {"198.51.100.9 25", "198.51.100.9 22",
                          "198.51.100.9 6000", "224.0.0.1 5000"})
    add(bad);
  EXPECT_EQ(Sockets(ha), baseline);
  // Nobody at these addresses: the connections stay pending.
  for (int i = 0; i < 30; i++) {
    std::string address = "198.51.100.9 " + std::to_string(5000 + i);
    add(address.c_str());
  }
  EXPECT_EQ(Sockets(ha), baseline + 16);
  // An active remote candidate is never connected to (it is kept).
  add("198.51.100.10 9", "active");
  EXPECT_EQ(Sockets(ha), baseline + 16);
  size_t remotes = 0;
  OnQueue(a_.queue, [&] {
    remotes = rtc_ice_agent_remote_candidates(a_.agent, nullptr, 0);
  });
  // The three on refused ports are not even kept (browsers ignore them:
  // WPT RTCPeerConnection-addTcpIceCandidate); the multicast one is, with
  // no connection, as for a host that never answers.
  EXPECT_EQ(remotes, 1u + 30u + 1u);
  DestroyPeer(a_);
  EXPECT_EQ(Sockets(ha), 0u);
}

// --- What a bogus peer gets ---

TEST_F(IceTcpTest, AcceptedConnectionSendingGarbageIsClosed) {
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  rtc_sim_host* hx = AddHostOnNat(nullptr, "198.51.100.66");
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Gather(b_);
  const rtc_candidate* passive =
      Find(b_.candidates, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_PASSIVE);
  ASSERT_TRUE(passive);
  size_t baseline = Sockets(hb);
  // Framed garbage, and an HTTP request (not even framing).
  RawClient* framed = Connect(hx, passive->address);
  RawClient* http = Connect(hx, passive->address);
  Run(100 * kMs);
  ASSERT_TRUE(framed->connected && http->connected);
  EXPECT_EQ(Sockets(hb), baseline + 2);
  OnQueue(helper_queue_, [&] {
    framed->Send(std::string("\x00\x04\x17\x01\x02\x03", 6));
    http->Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  });
  Run(100 * kMs);
  EXPECT_TRUE(framed->closed);
  EXPECT_EQ(Sockets(hb), baseline + 1);
  // "GE" reads as a frame of 18245 bytes, which never completes: the
  // connection goes when its 10 s are up.
  EXPECT_FALSE(http->closed);
  Run(10 * kSec);
  EXPECT_TRUE(http->closed);
  EXPECT_EQ(Sockets(hb), baseline);
}

TEST_F(IceTcpTest, AcceptedConnectionWithABadCheckIsClosed) {
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  rtc_sim_host* hx = AddHostOnNat(nullptr, "198.51.100.66");
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Gather(b_);
  const rtc_candidate* passive =
      Find(b_.candidates, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_PASSIVE);
  ASSERT_TRUE(passive);
  size_t baseline = Sockets(hb);
  RawClient* c = Connect(hx, passive->address);
  Run(100 * kMs);
  ASSERT_TRUE(c->connected);
  // A Binding request with no USERNAME or MESSAGE-INTEGRITY (but a
  // FINGERPRINT): answered 400, and the connection goes.
  uint8_t msg[64];
  size_t len = 0;
  uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE] = {1, 2, 3};
  rtc_stun_builder builder;
  rtc_stun_builder_init(&builder, msg, sizeof(msg), RTC_STUN_BINDING_REQUEST,
                        id);
  rtc_stun_add_fingerprint(&builder);
  ASSERT_EQ(rtc_stun_builder_finish(&builder, &len), RTC_OK);
  std::string frame;
  frame.push_back(static_cast<char>(len >> 8));
  frame.push_back(static_cast<char>(len & 0xff));
  frame.append(reinterpret_cast<const char*>(msg), len);
  OnQueue(helper_queue_, [&] { c->Send(frame); });
  Run(100 * kMs);
  EXPECT_TRUE(c->closed);
  EXPECT_EQ(Sockets(hb), baseline);
}

TEST_F(IceTcpTest, SilentAcceptedConnectionsAreClosedAfterTenSeconds) {
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  rtc_sim_host* hx = AddHostOnNat(nullptr, "198.51.100.66");
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Gather(b_);
  const rtc_candidate* passive =
      Find(b_.candidates, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_PASSIVE);
  ASSERT_TRUE(passive);
  size_t baseline = Sockets(hb);
  RawClient* c = Connect(hx, passive->address);
  Run(9 * kSec);
  EXPECT_TRUE(c->connected);
  EXPECT_FALSE(c->closed);
  EXPECT_EQ(Sockets(hb), baseline + 1);
  Run(2 * kSec);
  EXPECT_TRUE(c->closed);
  EXPECT_EQ(Sockets(hb), baseline);
}

// A peer that opens connection after connection holds at most 8 sockets
// (accepted, not yet checked), each for at most 10 s.
TEST_F(IceTcpTest, ConnectionFloodIsBounded) {
  rtc_sim_host* hb = AddHostOnNat(nullptr, "198.51.100.20");
  rtc_sim_host* hx = AddHostOnNat(nullptr, "198.51.100.66");
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Gather(b_);
  const rtc_candidate* passive =
      Find(b_.candidates, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_PASSIVE);
  ASSERT_TRUE(passive);
  size_t baseline = Sockets(hb);
  std::vector<RawClient*> flood;
  for (int i = 0; i < 40; i++) {
    flood.push_back(Connect(hx, passive->address));
    Run(10 * kMs);
    EXPECT_LE(Sockets(hb), baseline + 8);
  }
  Run(kSec);
  size_t refused = 0;
  for (RawClient* c : flood)
    refused += c->closed;
  EXPECT_EQ(refused, 32u);
  Run(10 * kSec);
  EXPECT_EQ(Sockets(hb), baseline);
  for (RawClient* c : flood)
    EXPECT_TRUE(c->closed);
}

}  // namespace
