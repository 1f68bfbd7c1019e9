// ICE-TCP (RFC 6544) on the simulated network: TCP host candidates, active
// to passive connections with RFC 4571 framing, their limits and their
// cleanup.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "p2p/candidate.h"
#include "p2p/ice_agent.h"
#include "test/ice/ice_sim_fixture.h"

namespace {

using rtc_test::IcePeer;

constexpr int64_t kSec = RTC_US_PER_SEC;

rtc_socket_address Ip(const char* text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text, strlen(text), &a), RTC_OK) << text;
  return a;
}

class IceTcpTest : public rtc_test::IceSimFixture {
 protected:
  IceTcpTest() : IceSimFixture(99) {}

  void TearDown() override {
    for (IcePeer* p : {&a_, &b_})
      DestroyPeer(*p);
    OnQueue(helper_queue_, [&] {
      for (rtc_stream_socket* s : raw_)
        rtc_stream_socket_destroy(s);
      raw_.clear();
    });
    IceSimFixture::TearDown();
  }

  rtc_ice_agent_config Config(rtc_ice_role role, bool tcp = true) {
    rtc_ice_agent_config config;
    rtc_ice_agent_config_init(&config);
    config.role = role;
    config.jitter_seed = role == RTC_ICE_ROLE_CONTROLLING ? 1 : 2;
    config.obfuscate_host_addresses = false;
    config.tcp_candidates = tcp;
    return config;
  }

  rtc_sim_host* BehindUdpBlockingNat(const char* public_ip, const char* ip) {
    rtc_sim_nat* nat = nullptr;
    rtc_socket_address pub = Ip(public_ip);
    EXPECT_EQ(
        rtc_sim_network_add_nat(net_, &pub, RTC_SIM_NAT_PORT_RESTRICTED, &nat),
        RTC_OK);
    rtc_sim_nat_set_udp_blocked(nat, true);
    return AddHostOnNat(nat, ip);
  }

  static const rtc_candidate* Find(const IcePeer& p,
                                   rtc_ice_protocol protocol,
                                   rtc_tcp_type tcp_type) {
    for (const rtc_candidate& c : p.candidates) {
      if (c.protocol == protocol && c.tcp_type == tcp_type)
        return &c;
    }
    return nullptr;
  }

  // A raw TCP connection from `host` to `to` (a hostile peer's).
  void RawConnect(rtc_sim_host* host,
                  const rtc_socket_address& to,
                  const std::string& bytes) {
    static const rtc_stream_socket_observer kObserver = {
        [](void* user, rtc_stream_socket* s) {
          auto* text = static_cast<std::string*>(user);
          size_t accepted = 0;
          if (!text->empty())
            rtc_stream_socket_send(
                s, reinterpret_cast<const uint8_t*>(text->data()), text->size(),
                &accepted);
        },
        [](void*, rtc_stream_socket*, const uint8_t*, size_t) {},
        nullptr,
        [](void*, rtc_stream_socket*, rtc_error) {},
    };
    raw_bytes_.push_back(new std::string(bytes));
    OnQueue(helper_queue_, [&] {
      rtc_socket_address local = Ip("0.0.0.0:0");
      rtc_stream_socket* s = nullptr;
      ASSERT_EQ(rtc_socket_factory_connect_tcp(
                    rtc_sim_host_socket_factory(host), helper_queue_, &local,
                    &to, &kObserver, raw_bytes_.back(), &s),
                RTC_OK);
      raw_.push_back(s);
    });
  }

  ~IceTcpTest() override {
    for (std::string* s : raw_bytes_)
      delete s;
  }

  std::vector<rtc_stream_socket*> raw_;
  std::vector<std::string*> raw_bytes_;
};

// RFC 6544 §4.5 and §4.2: a passive candidate on the listener's port, an
// active one with port 9, both with their tcptype and below every UDP
// candidate (type preference 90 against 126), active above passive.
TEST_F(IceTcpTest, GathersPassiveAndActiveCandidatesBelowUdp) {
  rtc_sim_host* host = AddHostOnNat(nullptr, "203.0.113.1");
  MakePeer(a_, "a", host, Config(RTC_ICE_ROLE_CONTROLLING));
  OnQueue(a_.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK); });
  ASSERT_TRUE(RunUntil([&] { return a_.end_of_candidates; }, kSec));
  ASSERT_EQ(a_.candidates.size(), 3u);
  const rtc_candidate* udp = Find(a_, RTC_ICE_PROTOCOL_UDP, RTC_TCP_TYPE_NONE);
  const rtc_candidate* passive =
      Find(a_, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_PASSIVE);
  const rtc_candidate* active =
      Find(a_, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_ACTIVE);
  ASSERT_TRUE(udp && passive && active);
  EXPECT_EQ(active->address.port, 9);
  EXPECT_NE(passive->address.port, 9);
  EXPECT_NE(passive->address.port, 0);
  EXPECT_EQ(udp->priority >> 24, 126u);
  EXPECT_EQ(passive->priority >> 24, 90u);
  EXPECT_LT(passive->priority, active->priority);
  EXPECT_LT(active->priority, udp->priority);
  char line[256];
  rtc_candidate_format(passive, line, sizeof(line));
  EXPECT_NE(std::string(line).find(" tcp "), std::string::npos) << line;
  EXPECT_NE(std::string(line).find("tcptype passive"), std::string::npos)
      << line;
  // Off (the ICE agent's default): none.
  rtc_sim_host* other = AddHostOnNat(nullptr, "203.0.113.2");
  MakePeer(b_, "b", other, Config(RTC_ICE_ROLE_CONTROLLED, false));
  OnQueue(b_.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(b_.agent), RTC_OK); });
  ASSERT_TRUE(RunUntil([&] { return b_.end_of_candidates; }, kSec));
  EXPECT_EQ(b_.candidates.size(), 1u);
}

// UDP from a is blocked by its firewall; b is on the internet. a's active
// candidate connects to b's passive one, and the checks, the nomination and
// the data go over that connection.
TEST_F(IceTcpTest, ConnectsOverTcpWhenUdpIsBlocked) {
  rtc_sim_host* ha = BehindUdpBlockingNat("198.51.100.1", "192.168.1.10");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "203.0.113.2");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(60 * kSec));
  EXPECT_EQ(a_.selected.local.protocol, RTC_ICE_PROTOCOL_TCP);
  EXPECT_EQ(a_.selected.local.tcp_type, RTC_TCP_TYPE_ACTIVE);
  EXPECT_EQ(a_.selected.remote.tcp_type, RTC_TCP_TYPE_PASSIVE);
  EXPECT_EQ(b_.selected.local.tcp_type, RTC_TCP_TYPE_PASSIVE);
  // b learned a's end of the connection as a peer-reflexive candidate.
  EXPECT_EQ(b_.selected.remote.protocol, RTC_ICE_PROTOCOL_TCP);
  printf(
      "[ measure  ] ICE-TCP through a UDP-blocking firewall: gathering "
      "to both selected %.1f ms (simulated)\n",
      (std::max(a_.selected_at_us, b_.selected_at_us) - start_us_) / 1000.0);
  for (int i = 0; i < 20; i++) {
    std::string packet = "\x17 over tcp " + std::to_string(i);
    OnQueue(a_.queue, [&] {
      ASSERT_EQ(rtc_ice_agent_send(
                    a_.agent, reinterpret_cast<const uint8_t*>(packet.data()),
                    packet.size()),
                RTC_OK);
    });
  }
  ASSERT_TRUE(RunUntil([&] { return b_.received.size() == 20; }, 5 * kSec));
  EXPECT_EQ(b_.received[19], "\x17 over tcp 19");
  // Consent keeps the connection for a minute.
  Run(60 * kSec);
  EXPECT_TRUE(a_.connected() && b_.connected());
}

// Both reach each other over UDP and TCP: UDP wins (its priority).
TEST_F(IceTcpTest, UdpIsPreferredWhenBothWork) {
  rtc_sim_host* ha = AddHostOnNat(nullptr, "203.0.113.1");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "203.0.113.2");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  Run(5 * kSec);
  EXPECT_EQ(a_.selected.local.protocol, RTC_ICE_PROTOCOL_UDP);
  EXPECT_EQ(b_.selected.local.protocol, RTC_ICE_PROTOCOL_UDP);
}

// Destroying the agents closes their listeners and every connection.
TEST_F(IceTcpTest, DestroyClosesListenersAndConnections) {
  rtc_sim_host* ha = BehindUdpBlockingNat("198.51.100.1", "192.168.1.10");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "203.0.113.2");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED));
  Start();
  ASSERT_TRUE(BothConnected(60 * kSec));
  EXPECT_GE(rtc_sim_host_socket_count(hb), 3u);  // UDP, listener, accepted
  DestroyPeer(a_);
  DestroyPeer(b_);
  EXPECT_EQ(rtc_sim_host_socket_count(ha), 0u);
  EXPECT_EQ(rtc_sim_host_socket_count(hb), 0u);
}

// A hostile peer connects to the passive candidate and sends garbage, or
// nothing: each connection is closed after 10 s without a valid check, and
// at most 16 are held at once.
TEST_F(IceTcpTest, IdleOrGarbageConnectionsAreClosedAndBounded) {
  rtc_sim_host* ha = AddHostOnNat(nullptr, "203.0.113.1");
  rtc_sim_host* evil = AddHostOnNat(nullptr, "203.0.113.66");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLED));
  OnQueue(a_.queue, [&] { ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK); });
  ASSERT_TRUE(RunUntil([&] { return a_.end_of_candidates; }, kSec));
  const rtc_candidate* passive =
      Find(a_, RTC_ICE_PROTOCOL_TCP, RTC_TCP_TYPE_PASSIVE);
  ASSERT_NE(passive, nullptr);
  size_t idle = rtc_sim_host_socket_count(ha);  // UDP and the listener
  // A frame holding a STUN-looking request without credentials, a frame
  // of garbage, a length that never completes, and nothing at all.
  std::string stun(
      "\x00\x14\x00\x01\x00\x00\x21\x12\xa4\x42"
      "0123456789ab",
      22);
  std::string frames[] = {std::string("\x00\x14", 2) + stun.substr(2),
                          std::string("\x00\x05hello", 7),
                          std::string("\xff\xff\x01", 3), ""};
  for (int i = 0; i < 24; i++)
    RawConnect(evil, passive->address, frames[i % 4]);
  Run(kSec);
  size_t held = rtc_sim_host_socket_count(ha) - idle;
  EXPECT_LE(held, 16u);
  EXPECT_GE(held, 1u);
  Run(10 * kSec);
  EXPECT_EQ(rtc_sim_host_socket_count(ha), idle)
      << "connections without a valid check stay open";
  // The listener still takes connections afterwards.
  RawConnect(evil, passive->address, "");
  Run(kSec);
  EXPECT_EQ(rtc_sim_host_socket_count(ha), idle + 1);
}

// A peer whose agent has ICE-TCP off ignores TCP candidates: nothing
// connects to them.
TEST_F(IceTcpTest, TcpCandidatesAreIgnoredWhenOff) {
  rtc_sim_host* ha = AddHostOnNat(nullptr, "203.0.113.1");
  rtc_sim_host* hb = AddHostOnNat(nullptr, "203.0.113.2");
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING, false));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLED, true));
  Start();
  ASSERT_TRUE(BothConnected(30 * kSec));
  // b: its UDP socket and listener only; nothing connected to it.
  EXPECT_EQ(rtc_sim_host_socket_count(hb), 2u);
  EXPECT_EQ(a_.selected.local.protocol, RTC_ICE_PROTOCOL_UDP);
}

}  // namespace
