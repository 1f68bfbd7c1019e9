// ICE with TURN relays on the simulated network: a TURN server on the
// simulated internet (test/network/sim_turn_server.h), peers behind NATs
// and firewalls, simulated time (minutes of it).

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "p2p/ice_agent.h"
#include "test/ice/ice_sim_fixture.h"
#include "test/network/sim_turn_server.h"

namespace {

// Every socket of a host: UDP, TCP connections and listeners.
size_t AllSockets(const rtc_sim_host* host) {
  return rtc_sim_host_socket_count(host) + rtc_sim_host_tcp_socket_count(host);
}

using rtc_test::IcePeer;

constexpr int64_t kSec = RTC_US_PER_SEC;
constexpr int64_t kMin = 60 * kSec;
const char kTurnIp[] = "198.51.100.9";

rtc_socket_address Ip(const char* text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text, strlen(text), &a), RTC_OK) << text;
  return a;
}

class IceRelayTest : public rtc_test::IceSimFixture {
 protected:
  IceRelayTest() : IceSimFixture(77) {}

  void SetUp() override {
    IceSimFixture::SetUp();
    turn_host_ = AddHostOnNat(nullptr, kTurnIp);
    rtc_sim_turn_server_config config = {};
    config.address = Ip("198.51.100.9:3478");
    config.realm = "sim.test";
    config.username = "alice";
    config.password = "secret";
    OnQueue(helper_queue_, [&] {
      ASSERT_EQ(
          rtc_sim_turn_server_create(rtc_sim_host_socket_factory(turn_host_),
                                     helper_queue_, &config, &turn_),
          RTC_OK);
    });
  }

  void TearDown() override {
    for (IcePeer* p : {&a_, &b_})
      DestroyPeer(*p);
    OnQueue(helper_queue_, [&] { rtc_sim_turn_server_destroy(turn_); });
    EXPECT_EQ(AllSockets(turn_host_), 0u);
    IceSimFixture::TearDown();
  }

  // A host behind a NAT of its own (port restricted), UDP through it
  // blocked or not.
  rtc_sim_host* HostBehindNat(const char* public_ip,
                              const char* ip,
                              bool udp_blocked) {
    rtc_sim_nat* nat = nullptr;
    rtc_socket_address pub = Ip(public_ip);
    EXPECT_EQ(
        rtc_sim_network_add_nat(net_, &pub, RTC_SIM_NAT_PORT_RESTRICTED, &nat),
        RTC_OK);
    rtc_sim_nat_set_udp_blocked(nat, udp_blocked);
    return AddHostOnNat(nat, ip);
  }

  static rtc_ice_turn_server Server(rtc_ice_relay_protocol protocol,
                                    const char* password = "secret") {
    rtc_ice_turn_server s = {};
    s.address = Ip("198.51.100.9:3478");
    s.protocol = protocol;
    snprintf(s.username, sizeof(s.username), "alice");
    snprintf(s.password, sizeof(s.password), "%s", password);
    return s;
  }

  rtc_ice_agent_config Config(rtc_ice_role role,
                              const std::vector<rtc_ice_turn_server>& servers,
                              rtc_ice_transport_policy policy) {
    rtc_ice_agent_config config;
    rtc_ice_agent_config_init(&config);
    config.role = role;
    config.jitter_seed = role == RTC_ICE_ROLE_CONTROLLING ? 1 : 2;
    config.obfuscate_host_addresses = false;
    config.transport_policy = policy;
    config.turn_servers = servers.data();
    config.turn_server_count = servers.size();
    return config;
  }

  void MakePeers(rtc_sim_host* ha,
                 rtc_sim_host* hb,
                 const std::vector<rtc_ice_turn_server>& servers,
                 rtc_ice_transport_policy policy = RTC_ICE_POLICY_ALL) {
    MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING, servers, policy));
    MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED, servers, policy));
  }

  rtc_sim_turn_stats Stats() {
    rtc_sim_turn_stats s;
    OnQueue(helper_queue_, [&] { rtc_sim_turn_server_get_stats(turn_, &s); });
    return s;
  }

  // Sends `packet` from `from` and runs until `to` got it.
  bool Delivers(IcePeer& from, IcePeer& to, const std::string& packet) {
    size_t before = to.received.size();
    rtc_error err = RTC_ERR_INTERNAL;
    OnQueue(from.queue, [&] {
      err = rtc_ice_agent_send(from.agent,
                               reinterpret_cast<const uint8_t*>(packet.data()),
                               packet.size());
    });
    if (err != RTC_OK)
      return false;
    return RunUntil(
        [&] {
          return to.received.size() > before && to.received.back() == packet;
        },
        5 * kSec);
  }

  static bool AllRelayed(const IcePeer& p, int port_of_raddr) {
    for (const rtc_candidate& c : p.candidates) {
      if (c.type != RTC_CANDIDATE_RELAY || !c.has_related ||
          c.related_address.port != port_of_raddr)
        return false;
    }
    return !p.candidates.empty();
  }

  rtc_sim_host* turn_host_ = nullptr;
  rtc_sim_turn_server* turn_ = nullptr;
};

// The firewall: no UDP crosses either NAT, TCP does. Host and
// server-reflexive candidates are gathered (policy "all") and fail; TURN
// over UDP fails with 701; TURN over TCP gives both peers relayed
// candidates, and the connection runs through the relay.
TEST_F(IceRelayTest, OnlyTurnOverTcpConnectsWhenUdpIsBlocked) {
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", true);
  rtc_sim_host* hb = HostBehindNat("203.0.113.2", "10.0.0.10", true);
  MakePeers(ha, hb, {Server(RTC_ICE_RELAY_UDP), Server(RTC_ICE_RELAY_TCP)});
  Start();
  ASSERT_TRUE(BothConnected(60 * kSec));
  for (IcePeer* p : {&a_, &b_}) {
    EXPECT_EQ(p->selected.local.type, RTC_CANDIDATE_RELAY) << p->name;
    EXPECT_EQ(p->selected.remote.type, RTC_CANDIDATE_RELAY) << p->name;
    bool host = false;
    for (const rtc_candidate& c : p->candidates)
      host |= c.type == RTC_CANDIDATE_HOST;
    EXPECT_TRUE(host) << "policy all still gathers host candidates";
  }
  printf(
      "[ measure  ] simulated UDP-blocked network: gathering to both "
      "selected over TURN/TCP %.1f ms (simulated)\n",
      (std::max(a_.selected_at_us, b_.selected_at_us) - start_us_) / 1000.0);
  EXPECT_TRUE(Delivers(a_, b_, "\x17 through the relay"));
  EXPECT_TRUE(Delivers(b_, a_, "\x17 and back"));
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.tcp_allocations, 2u);
  EXPECT_EQ(s.allocations, 2u) << "no UDP Allocate got through the firewall";
  EXPECT_GT(s.to_peers, 0u);
  // The UDP server never answered: a 701 each, after its 39.5 s.
  ASSERT_TRUE(RunUntil(
      [&] { return a_.end_of_candidates && b_.end_of_candidates; }, 60 * kSec));
  for (IcePeer* p : {&a_, &b_}) {
    ASSERT_EQ(p->candidate_errors.size(), 1u) << p->name;
    EXPECT_EQ(p->candidate_errors[0].error_code, 701);
    EXPECT_STREQ(p->candidate_errors[0].url, "turn:198.51.100.9:3478");
  }
}

// RFC 8656 §7: allocations last 10 minutes unless refreshed; permissions 5
// and channels 10. Across 20 simulated minutes of a connection (consent
// checks every ~5 s keep it busy), every one of them is refreshed and the
// relay keeps working; a nonce that goes stale meanwhile (438) is renewed.
TEST_F(IceRelayTest, AllocationRefreshedAcross20SimulatedMinutes) {
  OnQueue(helper_queue_,
          [&] { rtc_sim_turn_server_set_nonce_lifetime(turn_, 7 * kMin); });
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  rtc_sim_host* hb = HostBehindNat("203.0.113.2", "10.0.0.10", false);
  MakePeers(ha, hb, {Server(RTC_ICE_RELAY_UDP)}, RTC_ICE_POLICY_RELAY);
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  EXPECT_TRUE(AllRelayed(a_, 0));
  EXPECT_TRUE(AllRelayed(b_, 0));
  rtc_sim_turn_stats start = Stats();
  EXPECT_EQ(start.allocations_alive, 2u);
  for (int minute = 1; minute <= 20; minute++) {
    Run(kMin);
    ASSERT_TRUE(a_.connected() && b_.connected()) << "minute " << minute;
    ASSERT_TRUE(Delivers(a_, b_, "\x17 minute " + std::to_string(minute)))
        << "minute " << minute;
  }
  rtc_sim_turn_stats end = Stats();
  EXPECT_EQ(end.allocations, 2u);
  EXPECT_EQ(end.allocations_alive, 2u);
  EXPECT_EQ(end.expired, 0u);
  // Each allocation: refreshed a minute before each expiry (9, 18 min).
  EXPECT_GE(end.refreshes, 4u);
  // Permissions every 4 minutes, channels every 9.
  EXPECT_GE(end.permissions - start.permissions, 2u * 4);
  EXPECT_GE(end.channel_binds - start.channel_binds, 2u * 2);
  EXPECT_GT(end.stale_nonce, 0u);
  EXPECT_GT(end.to_clients_channel, 0u) << "data went in ChannelData";
  for (IcePeer* p : {&a_, &b_}) {
    for (rtc_ice_transport_state s : p->states)
      EXPECT_NE(s, RTC_ICE_TRANSPORT_DISCONNECTED) << p->name;
  }
}

// ICE-08: under the relay policy every candidate is relayed with raddr
// 0.0.0.0 and port 0, and every datagram a host sends goes to the TURN
// server: nothing leaves a host socket for anywhere else.
TEST_F(IceRelayTest, ICE08_RelayPolicyTalksOnlyToTheTurnServer) {
  struct Capture {
    const rtc_sim_host* hosts[2];
    std::vector<std::string> elsewhere;
    size_t to_server = 0;
  } capture;
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  rtc_sim_host* hb = HostBehindNat("203.0.113.2", "10.0.0.10", false);
  capture.hosts[0] = ha;
  capture.hosts[1] = hb;
  rtc_sim_network_set_capture(
      net_,
      [](void* user, const rtc_sim_host* host, const rtc_socket_address* src,
         const rtc_socket_address* dst, const uint8_t*, size_t) {
        auto* c = static_cast<Capture*>(user);
        if (host != c->hosts[0] && host != c->hosts[1])
          return;
        if (rtc_test::AddressString(*dst) == "198.51.100.9:3478")
          c->to_server++;
        else
          c->elsewhere.push_back(rtc_test::AddressString(*src) + " -> " +
                                 rtc_test::AddressString(*dst));
      },
      &capture);
  MakePeers(ha, hb, {Server(RTC_ICE_RELAY_UDP)}, RTC_ICE_POLICY_RELAY);
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  EXPECT_TRUE(Delivers(a_, b_, "\x17 relayed"));
  Run(30 * kSec);  // consent checks too
  rtc_sim_network_set_capture(net_, nullptr, nullptr);
  EXPECT_TRUE(AllRelayed(a_, 0));
  EXPECT_TRUE(AllRelayed(b_, 0));
  EXPECT_GT(capture.to_server, 10u);
  EXPECT_TRUE(capture.elsewhere.empty()) << capture.elsewhere[0];
}

// Destroying the agent deallocates (RFC 8656 §7: a Refresh with LIFETIME
// 0), over UDP; over TCP the connection closes, which does the same.
TEST_F(IceRelayTest, DestroyDeallocatesOverUdpAndTcp) {
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  rtc_sim_host* hb = HostBehindNat("203.0.113.2", "10.0.0.10", false);
  MakePeers(ha, hb, {Server(RTC_ICE_RELAY_UDP), Server(RTC_ICE_RELAY_TCP)},
            RTC_ICE_POLICY_RELAY);
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  EXPECT_EQ(Stats().allocations_alive, 4u);
  DestroyPeer(a_);
  DestroyPeer(b_);
  Run(kSec);
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.allocations_alive, 0u);
  EXPECT_EQ(s.deallocated, 4u);
  EXPECT_EQ(s.expired, 0u);
  EXPECT_EQ(AllSockets(ha), 0u);
  EXPECT_EQ(AllSockets(hb), 0u);
}

// RFC 8828 mode 4: no UDP socket at all; TURN over UDP is skipped, TURN
// over TCP gives the only candidate, and the peers connect through it.
TEST_F(IceRelayTest, IP01_Mode4UsesOnlyTurnOverTcp) {
  struct Capture {
    const rtc_sim_host* hosts[2];
    size_t datagrams = 0;  // the capture sees UDP only
  } capture;
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  rtc_sim_host* hb = HostBehindNat("203.0.113.2", "10.0.0.10", false);
  capture.hosts[0] = ha;
  capture.hosts[1] = hb;
  rtc_sim_network_set_capture(
      net_,
      [](void* user, const rtc_sim_host* host, const rtc_socket_address*,
         const rtc_socket_address*, const uint8_t*, size_t) {
        auto* c = static_cast<Capture*>(user);
        if (host == c->hosts[0] || host == c->hosts[1])
          c->datagrams++;
      },
      &capture);
  std::vector<rtc_ice_turn_server> servers = {Server(RTC_ICE_RELAY_UDP),
                                              Server(RTC_ICE_RELAY_TCP)};
  for (IcePeer* p : {&a_, &b_}) {
    rtc_ice_agent_config config =
        Config(p == &a_ ? RTC_ICE_ROLE_CONTROLLING : RTC_ICE_ROLE_CONTROLLED,
               servers, RTC_ICE_POLICY_ALL);
    config.ip_handling = RTC_IP_HANDLING_RELAY_ONLY;
    MakePeer(*p, p == &a_ ? "a" : "b", p == &a_ ? ha : hb, config);
  }
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  EXPECT_TRUE(Delivers(a_, b_, "\x17 over TCP to the relay"));
  rtc_sim_network_set_capture(net_, nullptr, nullptr);
  EXPECT_TRUE(AllRelayed(a_, 0));
  EXPECT_EQ(a_.candidates.size(), 1u);
  EXPECT_EQ(capture.datagrams, 0u) << "a peer sent UDP";
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.allocations, 2u);
  EXPECT_EQ(s.tcp_allocations, 2u);
}

// A server that never answers: TURN over UDP retransmits for 39.5 s (RFC
// 8489 §6.2.1), then 701, and gathering completes.
TEST_F(IceRelayTest, SilentServerGives701After39500Ms) {
  OnQueue(helper_queue_, [&] { rtc_sim_turn_server_set_silent(turn_, true); });
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  MakePeer(a_, "a", ha,
           Config(RTC_ICE_ROLE_CONTROLLING, {Server(RTC_ICE_RELAY_UDP)},
                  RTC_ICE_POLICY_RELAY));
  OnQueue(a_.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK); });
  ASSERT_TRUE(RunUntil([&] { return a_.end_of_candidates; }, 60 * kSec));
  EXPECT_EQ(rtc_sim_time_now_us(time_), 39500 * RTC_US_PER_MS);
  ASSERT_EQ(a_.candidate_errors.size(), 1u);
  EXPECT_EQ(a_.candidate_errors[0].error_code, 701);
  EXPECT_TRUE(a_.candidates.empty());
}

// Wrong credentials: 401 to the authenticated Allocate, one error, no
// candidate, and the agent does not retry.
TEST_F(IceRelayTest, WrongPasswordGives401Once) {
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  MakePeer(a_, "a", ha,
           Config(RTC_ICE_ROLE_CONTROLLING,
                  {Server(RTC_ICE_RELAY_UDP, "wrong"),
                   Server(RTC_ICE_RELAY_TCP, "wrong")},
                  RTC_ICE_POLICY_RELAY));
  OnQueue(a_.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK); });
  ASSERT_TRUE(RunUntil([&] { return a_.end_of_candidates; }, 10 * kSec));
  ASSERT_EQ(a_.candidate_errors.size(), 2u);
  for (const rtc_ice_candidate_error& e : a_.candidate_errors)
    EXPECT_EQ(e.error_code, 401);
  Run(5 * kMin);
  EXPECT_EQ(Stats().unauthorized, 4u) << "401 unauthenticated, 401 wrong key";
  EXPECT_EQ(Stats().allocations, 0u);
}

// An ICE restart keeps the allocation: the new generation's relayed
// candidate has the same address, and no second Allocate is made.
TEST_F(IceRelayTest, RestartReusesTheAllocation) {
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  rtc_sim_host* hb = HostBehindNat("203.0.113.2", "10.0.0.10", false);
  MakePeers(ha, hb, {Server(RTC_ICE_RELAY_UDP)}, RTC_ICE_POLICY_RELAY);
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  std::string before = rtc_test::AddressString(a_.candidates[0].address);
  a_.candidates.clear();
  a_.end_of_candidates = false;
  OnQueue(a_.queue, [&] {
    ASSERT_EQ(rtc_ice_agent_restart(a_.agent, nullptr, nullptr), RTC_OK);
    ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK);
  });
  ASSERT_TRUE(RunUntil([&] { return a_.end_of_candidates; }, kSec));
  ASSERT_EQ(a_.candidates.size(), 1u);
  EXPECT_EQ(rtc_test::AddressString(a_.candidates[0].address), before);
  EXPECT_EQ(Stats().allocations, 2u);
}

// A TURN server named in the URL: the agents resolve it through their
// socket factory (the broker's, in a sandbox) when they gather, and a
// name that does not resolve ends in a 701 for that server.
TEST_F(IceRelayTest, TurnServerNamesAreResolvedWhenGathering) {
  rtc_socket_address ip = Ip(kTurnIp);
  ASSERT_EQ(rtc_sim_network_add_dns_name(net_, "turn.sim.test", &ip), RTC_OK);
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  rtc_sim_host* hb = HostBehindNat("203.0.113.2", "10.0.0.10", false);
  std::vector<rtc_ice_turn_server> servers;
  for (const char* name : {"turn.sim.test", "nowhere.sim.test"}) {
    for (rtc_ice_relay_protocol protocol :
         {RTC_ICE_RELAY_UDP, RTC_ICE_RELAY_TCP}) {
      rtc_ice_turn_server s = Server(protocol);
      rtc_socket_address_clear(&s.address);
      s.address.port = 3478;
      snprintf(s.server_name, sizeof(s.server_name), "%s", name);
      snprintf(s.url, sizeof(s.url), "turn:%s?transport=%s", name,
               rtc_ice_relay_protocol_name(protocol));
      servers.push_back(s);
    }
  }
  MakePeers(ha, hb, servers, RTC_ICE_POLICY_RELAY);
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  ASSERT_TRUE(RunUntil(
      [&] { return a_.end_of_candidates && b_.end_of_candidates; }, 5 * kSec));
  for (IcePeer* p : {&a_, &b_}) {
    EXPECT_TRUE(AllRelayed(*p, 0));
    EXPECT_EQ(p->candidates.size(), 2u) << "a relay over UDP and one over TCP";
    ASSERT_EQ(p->candidate_errors.size(), 2u) << p->name;
    for (const rtc_ice_candidate_error& e : p->candidate_errors) {
      EXPECT_EQ(e.error_code, 701);
      EXPECT_NE(std::string(e.url).find("nowhere.sim.test"), std::string::npos);
      EXPECT_NE(std::string(e.error_text).find("lookup"), std::string::npos)
          << e.error_text;
    }
  }
  EXPECT_TRUE(Delivers(a_, b_, "\x17 to a server found by name"));
  EXPECT_EQ(rtc_sim_network_dns_query_count(net_), 8u)
      << "two names, two transports, two peers";
  EXPECT_EQ(Stats().allocations, 4u);
}

// RFC 8656 §7.4: a 437 (Allocation Mismatch) to an Allocate means the
// server holds an allocation on that 5-tuple (a port handed out again, a
// NAT mapping reused). The agent allocates again from another port: over
// UDP from a socket of its own (the shared one's 5-tuple stays taken),
// over TCP on a new connection. The squatted 5-tuples never allocate, so
// the relayed candidates prove the new ones carry the allocations.
TEST_F(IceRelayTest, Allocate437IsMadeAgainFromAnotherPort) {
  OnQueue(helper_queue_,
          [&] { rtc_sim_turn_server_squat_next_clients(turn_, 4); });
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  rtc_sim_host* hb = HostBehindNat("203.0.113.2", "10.0.0.10", false);
  MakePeers(ha, hb, {Server(RTC_ICE_RELAY_UDP), Server(RTC_ICE_RELAY_TCP)},
            RTC_ICE_POLICY_RELAY);
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  ASSERT_TRUE(RunUntil(
      [&] { return a_.end_of_candidates && b_.end_of_candidates; }, 5 * kSec));
  for (IcePeer* p : {&a_, &b_}) {
    EXPECT_TRUE(p->candidate_errors.empty()) << p->name;
    EXPECT_TRUE(AllRelayed(*p, 0));
    EXPECT_EQ(p->candidates.size(), 2u) << "a relay over UDP and over TCP";
  }
  EXPECT_TRUE(Delivers(a_, b_, "\x17 a to b after a 437"));
  EXPECT_TRUE(Delivers(b_, a_, "\x17 b to a after a 437"));
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.mismatches, 4u);
  EXPECT_EQ(s.allocations, 4u);
  EXPECT_EQ(s.tcp_allocations, 2u);
  DestroyPeer(a_);
  DestroyPeer(b_);
  Run(kSec);
  EXPECT_EQ(Stats().deallocated, 4u);
  EXPECT_EQ(AllSockets(ha), 0u) << "the socket of its own is released";
  EXPECT_EQ(AllSockets(hb), 0u);
}

// Three Allocates answered 437, each from another port: the server is
// given up with that code (webrtc-pc "icecandidateerror"), and gathering
// completes.
TEST_F(IceRelayTest, ThreeAllocate437sGiveTheCandidateError) {
  OnQueue(helper_queue_,
          [&] { rtc_sim_turn_server_squat_next_clients(turn_, 10); });
  rtc_sim_host* ha = HostBehindNat("203.0.113.1", "192.168.1.10", false);
  MakePeer(a_, "a", ha,
           Config(RTC_ICE_ROLE_CONTROLLING,
                  {Server(RTC_ICE_RELAY_UDP), Server(RTC_ICE_RELAY_TCP)},
                  RTC_ICE_POLICY_RELAY));
  OnQueue(a_.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK); });
  ASSERT_TRUE(RunUntil([&] { return a_.end_of_candidates; }, 10 * kSec));
  EXPECT_TRUE(a_.candidates.empty());
  ASSERT_EQ(a_.candidate_errors.size(), 2u);
  for (const rtc_ice_candidate_error& e : a_.candidate_errors)
    EXPECT_EQ(e.error_code, 437);
  rtc_sim_turn_stats s = Stats();
  EXPECT_EQ(s.mismatches, 6u) << "three Allocates per server";
  EXPECT_EQ(s.allocations, 0u);
  DestroyPeer(a_);
  Run(kSec);
  EXPECT_EQ(AllSockets(ha), 0u);
}

}  // namespace
