// Security invariants of ICE and consent freshness (checklist §1B ORG-04,
// §1C ICE-xx and CON-xx) on the simulated network and simulated time, with
// ScriptedIcePeer as the hostile or silent peer.

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "p2p/candidate.h"
#include "p2p/ice_agent.h"
#include "rtc_base/sim_time.h"
#include "test/ice/ice_sim_fixture.h"
#include "test/ice/ice_test_util.h"
#include "test/network/sim_network.h"

namespace {

using rtc_test::IcePeer;
using rtc_test::PostTo;
using rtc_test::ScriptedIcePeer;

constexpr int64_t kSec = RTC_US_PER_SEC;
constexpr int64_t kMs = RTC_US_PER_MS;
constexpr char kPeerUfrag[] = "peer";
constexpr char kPeerPwd[] = "peerpasswordpeerpassword";

rtc_socket_address Ip(const char* text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text, strlen(text), &a), RTC_OK) << text;
  return a;
}

rtc_candidate Candidate(const char* line) {
  rtc_candidate c;
  EXPECT_EQ(rtc_candidate_parse(line, strlen(line), &c, nullptr), RTC_OK)
      << line;
  return c;
}

// Agents on hosts of the simulated internet (no NAT, no STUN server), and
// scripted peers.
class IceSecurityTest : public rtc_test::IceSimFixture {
 protected:
  IceSecurityTest() : IceSimFixture(99) {}

  rtc_sim_host* AddHost(const char* ip) { return AddHostOnNat(nullptr, ip); }

  rtc_ice_agent_config Config(rtc_ice_role role) {
    rtc_ice_agent_config config;
    rtc_ice_agent_config_init(&config);
    config.role = role;
    config.jitter_seed = role == RTC_ICE_ROLE_CONTROLLING ? 1 : 2;
    config.obfuscate_host_addresses = false;
    return config;
  }

  ScriptedIcePeer* AddScripted(rtc_sim_host* host, const char* address) {
    return IceSimFixture::AddScripted(host, address, kPeerUfrag, kPeerPwd);
  }

  // p gathers and checks against the scripted peer s.
  void ConnectTo(IcePeer& p, ScriptedIcePeer* s) {
    IceSimFixture::ConnectTo(p, s, kPeerUfrag, kPeerPwd);
  }

  // Trickles a's and b's candidates to each other and starts both.
  void StartBoth() { Start(10 * kMs); }

  size_t PairCount(IcePeer& p) {
    size_t n = 0;
    OnQueue(p.queue, [&] { n = rtc_ice_agent_pairs(p.agent, nullptr, 0); });
    return n;
  }
};

// --- ICE-01: credentials ---

// RFC 8445 §5.3: the ufrag carries at least 24 bits of randomness, the
// password at least 128. 10,000 generations (restarts) never repeat a
// ufrag or a password, use only ice-chars (RFC 8839 §5.4), and every
// character position of each takes many values (no fixed or counter-like
// position).
TEST_F(IceSecurityTest, ICE01_TenThousandGeneratedCredentialsNeverRepeat) {
  MakePeer(a_, "a", AddHost("203.0.113.1"), Config(RTC_ICE_ROLE_CONTROLLING));
  std::set<std::string> ufrags, pwds;
  std::map<size_t, std::set<char>> ufrag_values, pwd_values;
  const std::string ice_chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  OnQueue(a_.queue, [&] {
    for (int i = 0; i < 10000; i++) {
      char ufrag[RTC_ICE_UFRAG_SIZE], pwd[RTC_ICE_PWD_SIZE];
      rtc_ice_agent_local_credentials(a_.agent, ufrag, pwd);
      ASSERT_GE(strlen(ufrag), 4u);
      ASSERT_GE(strlen(pwd), 22u);
      ufrags.insert(ufrag);
      pwds.insert(pwd);
      for (size_t k = 0; ufrag[k]; k++) {
        ASSERT_NE(ice_chars.find(ufrag[k]), std::string::npos) << ufrag;
        ufrag_values[k].insert(ufrag[k]);
      }
      for (size_t k = 0; pwd[k]; k++) {
        ASSERT_NE(ice_chars.find(pwd[k]), std::string::npos) << pwd;
        pwd_values[k].insert(pwd[k]);
      }
      ASSERT_EQ(rtc_ice_agent_restart(a_.agent, nullptr, nullptr), RTC_OK);
    }
  });
  EXPECT_EQ(ufrags.size(), 10000u);
  EXPECT_EQ(pwds.size(), 10000u);
  // 10,000 draws from 64 values miss one with probability ~64 * e^-156.
  for (const auto& [pos, values] : ufrag_values)
    EXPECT_GE(values.size(), 60u) << "ufrag position " << pos;
  for (const auto& [pos, values] : pwd_values)
    EXPECT_GE(values.size(), 60u) << "pwd position " << pos;
}

// --- ICE-03: transaction ids ---

// RFC 8489 §6.3.3 / §9.1.4: a response is matched to a request by its
// transaction id; one whose id matches no outstanding request is ignored,
// even when it authenticates. Only responses with the right ids connect.
TEST_F(IceSecurityTest, ICE03_ResponseWithAnUnknownTransactionIdIsIgnored) {
  MakePeer(a_, "a", AddHost("203.0.113.1"), Config(RTC_ICE_ROLE_CONTROLLING));
  ScriptedIcePeer* s = AddScripted(AddHost("203.0.113.9"), "203.0.113.9:5000");
  s->mode = ScriptedIcePeer::Mode::kUnknownTransactionId;
  ConnectTo(a_, s);
  Run(10 * kSec);
  EXPECT_GE(s->responses_sent, 3);  // it did answer, authenticated
  EXPECT_EQ(a_.selected_count, 0);
  EXPECT_EQ(a_.state(), RTC_ICE_TRANSPORT_CHECKING);
  s->mode = ScriptedIcePeer::Mode::kAnswer;
  EXPECT_TRUE(RunUntil([&] { return a_.connected(); }, 10 * kSec));
}

// --- ICE-09: administratively prohibited candidates ---

// webrtc-pc (addIceCandidate): "A candidate is administratively prohibited
// if the UA has decided not to allow connection attempts to this address.
// For privacy reasons, there is no indication to the developer about
// whether or not an address/port is blocked; it behaves exactly as if
// there was no response from the address. The UA MUST prohibit
// connections to addresses on the [Fetch] block bad port list". Multicast
// and broadcast addresses are prohibited too (checks would reach every
// host of a LAN, or the mDNS group). Agent a gets prohibited candidates,
// agent b as many candidates of hosts that do not exist: both report the
// same pairs, checks and states, but nothing at all leaves a's host.
TEST_F(IceSecurityTest, ICE09_ProhibitedCandidateLooksLikeAnUnreachableHost) {
  rtc_sim_host* ha = AddHost("203.0.113.1");
  rtc_sim_host* hb = AddHost("203.0.113.2");
  for (auto [host, v6] : {std::pair{ha, "2001:db8::1"}, {hb, "2001:db8::2"}}) {
    rtc_socket_address addr = Ip(v6);
    ASSERT_EQ(rtc_sim_host_add_address(host, &addr), RTC_OK);
  }
  MakePeer(a_, "a", ha, Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", hb, Config(RTC_ICE_ROLE_CONTROLLING));
  auto add = [&](IcePeer& p, std::vector<const char*> lines) {
    OnQueue(p.queue, [&] {
      ASSERT_EQ(
          rtc_ice_agent_set_remote_credentials(p.agent, kPeerUfrag, kPeerPwd),
          RTC_OK);
      ASSERT_EQ(rtc_ice_agent_gather(p.agent), RTC_OK);
      for (const char* line : lines) {
        rtc_candidate c = Candidate(line);
        EXPECT_EQ(rtc_ice_agent_add_remote_candidate(p.agent, &c), RTC_OK)
            << line;
      }
      rtc_ice_agent_end_of_remote_candidates(p.agent);
    });
  };
  add(a_, {
              "candidate:1 1 udp 2122260223 224.0.0.251 5353 typ host",
              "candidate:2 1 udp 2122260222 239.255.255.250 1900 typ host",
              "candidate:3 1 udp 2122260221 255.255.255.255 5000 typ host",
              "candidate:4 1 udp 2122260220 203.0.113.7 25 typ host",
              "candidate:5 1 udp 2122260219 203.0.113.7 5060 typ host",
              "candidate:6 1 udp 2122260218 ff02::fb 5353 typ host",
              // Not addresses at all: never paired, silently.
              "candidate:7 1 udp 2122260217 0.0.0.0 5000 typ host",
              "candidate:8 1 udp 2122260216 203.0.113.7 0 typ host",
          });
  add(b_, {
              "candidate:1 1 udp 2122260223 203.0.113.7 5001 typ host",
              "candidate:2 1 udp 2122260222 203.0.113.7 5002 typ host",
              "candidate:3 1 udp 2122260221 203.0.113.7 5003 typ host",
              "candidate:4 1 udp 2122260220 203.0.113.7 5004 typ host",
              "candidate:5 1 udp 2122260219 203.0.113.7 5005 typ host",
              "candidate:6 1 udp 2122260218 2001:db8::7 5353 typ host",
          });
  Run(60 * kSec);
  // What the application can see is the same.
  EXPECT_EQ(a_.states, b_.states);
  EXPECT_EQ(a_.state_times, b_.state_times);
  EXPECT_EQ(a_.state(), RTC_ICE_TRANSPORT_FAILED);
  EXPECT_TRUE(a_.candidate_errors.empty());
  rtc_ice_pair_info pa[16], pb[16];
  size_t na = 0, nb = 0;
  OnQueue(a_.queue, [&] { na = rtc_ice_agent_pairs(a_.agent, pa, 16); });
  OnQueue(b_.queue, [&] { nb = rtc_ice_agent_pairs(b_.agent, pb, 16); });
  ASSERT_EQ(na, 6u);
  ASSERT_EQ(nb, na);
  for (size_t i = 0; i < na; i++) {
    EXPECT_EQ(pa[i].requests_sent, pb[i].requests_sent) << i;
    EXPECT_EQ(pa[i].responses_received, 0u);
  }
  // What the network sees is not: a never sent a packet.
  rtc_sim_stats sa, sb;
  rtc_sim_host_get_stats(ha, &sa);
  rtc_sim_host_get_stats(hb, &sb);
  EXPECT_EQ(sa.packets_sent, 0u);
  EXPECT_GT(sb.packets_sent, 6u);
}

// --- ORG-04: reachability before anything else ---

// RFC 8827 §6.3: "ICE ... verify that the remote endpoint is willing to
// receive traffic before sending any non-ICE packets". a has a pair to b
// (which answers) and one to x (which never answers): x gets nothing but
// STUN Binding requests, before and after a and b connect and exchange
// data; and before any pair is valid, a has nothing to send data on.
TEST_F(IceSecurityTest, ORG04_OnlyStunReachesACandidateThatNeverAnswered) {
  rtc_sim_host* hx = AddHost("203.0.113.66");
  MakePeer(a_, "a", AddHost("203.0.113.1"), Config(RTC_ICE_ROLE_CONTROLLING));
  MakePeer(b_, "b", AddHost("203.0.113.2"), Config(RTC_ICE_ROLE_CONTROLLED));
  ScriptedIcePeer* x = AddScripted(hx, "203.0.113.66:5000");
  x->mode = ScriptedIcePeer::Mode::kSilent;
  EXPECT_EQ(Send(a_, "too early"), RTC_ERR_INVALID_STATE);
  // x is a's first and highest-priority remote candidate.
  rtc_candidate cx = x->Candidate();
  cx.priority = 0x7effffff;
  StartBoth();
  OnQueue(a_.queue, [&] {
    ASSERT_EQ(rtc_ice_agent_add_remote_candidate(a_.agent, &cx), RTC_OK);
  });
  ASSERT_TRUE(RunUntil(
      [&] { return a_.connected() && b_.connected() && b_.selected_count; },
      10 * kSec));
  for (int i = 0; i < 20; i++) {
    ASSERT_EQ(Send(a_, "data " + std::to_string(i)), RTC_OK);
    Run(100 * kMs);
  }
  Run(30 * kSec);
  EXPECT_EQ(b_.received.size(), 20u);
  rtc_sim_stats sx;
  rtc_sim_host_get_stats(hx, &sx);
  EXPECT_GT(x->requests.size(), 0u);
  // Every packet x got was one of the Binding requests it recorded.
  EXPECT_EQ(sx.packets_delivered, x->requests.size());
}

// --- CON-02: only authenticated responses keep consent ---

// RFC 7675 §5.1: consent is refreshed by "a STUN binding response ...
// authenticated"; responses that fail the integrity check do not refresh
// it, so consent expires 30 s after the last good one, and sending stops.
TEST_F(IceSecurityTest, CON02_UnauthenticatedResponsesDoNotRefreshConsent) {
  MakePeer(a_, "a", AddHost("203.0.113.1"), Config(RTC_ICE_ROLE_CONTROLLING));
  ScriptedIcePeer* s = AddScripted(AddHost("203.0.113.9"), "203.0.113.9:5000");
  ConnectTo(a_, s);
  ASSERT_TRUE(RunUntil([&] { return a_.connected(); }, 5 * kSec));
  s->mode = ScriptedIcePeer::Mode::kBadIntegrity;
  int64_t cut = rtc_sim_time_now_us(time_);
  ASSERT_TRUE(RunUntil([&] { return a_.state() == RTC_ICE_TRANSPORT_FAILED; },
                       60 * kSec));
  int64_t failed_after = rtc_sim_time_now_us(time_) - cut;
  EXPECT_LE(failed_after, 30 * kSec);
  EXPECT_GE(failed_after, 24 * kSec);
  EXPECT_GT(s->responses_sent, 4);  // it kept answering, with a bad MI
  EXPECT_EQ(Send(a_, "x"), RTC_ERR_INVALID_STATE);
}

// --- IP-07: no mDNS under the relay policy ---

// draft-ietf-mmusic-mdns-ice-candidates "Interactions With TURN": under
// the relay policy, `.local` remote candidates are ignored (a relay
// candidate is never paired with an mDNS one, and no name is looked up on
// the LAN). addIceCandidate succeeds; no query leaves, no candidate is
// kept.
TEST_F(IceSecurityTest, IP07_MdnsCandidatesAreIgnoredUnderTheRelayPolicy) {
  rtc_sim_host* ha = AddHost("203.0.113.1");
  rtc_ice_agent_config config = Config(RTC_ICE_ROLE_CONTROLLING);
  config.transport_policy = RTC_ICE_POLICY_RELAY;
  MakePeer(a_, "a", ha, config);
  OnQueue(a_.queue, [&] {
    ASSERT_EQ(
        rtc_ice_agent_set_remote_credentials(a_.agent, kPeerUfrag, kPeerPwd),
        RTC_OK);
    ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK);
    rtc_candidate c = Candidate(
        "candidate:1 1 udp 2122260223 "
        "0b8e2a9c-3f1d-4c5e-8a7b-6d5c4b3a2f1e.local 5000 typ host");
    EXPECT_EQ(rtc_ice_agent_add_remote_candidate(a_.agent, &c), RTC_OK);
  });
  Run(5 * kSec);
  size_t remotes = 1;
  OnQueue(a_.queue, [&] {
    remotes = rtc_ice_agent_remote_candidates(a_.agent, nullptr, 0);
  });
  EXPECT_EQ(remotes, 0u);
  rtc_sim_stats stats;
  rtc_sim_host_get_stats(ha, &stats);
  EXPECT_EQ(stats.packets_sent, 0u);  // no mDNS query
}

// --- IP-09: temporary IPv6 addresses ---

// A socket factory that shows the host's second IPv6 address as an RFC
// 4941 temporary address of the interface of its first one (as Linux
// reports IFA_F_TEMPORARY), can refuse multicast sockets (no mDNS
// responder), and otherwise is the simulated host's.
struct TemporaryAddressFactory {
  rtc_socket_factory base;
  rtc_socket_factory* inner;
  bool no_multicast = false;

  static rtc_socket_factory* Inner(rtc_socket_factory* f) {
    return reinterpret_cast<TemporaryAddressFactory*>(f)->inner;
  }
  static rtc_error List(rtc_socket_factory* f,
                        rtc_network_interface* out,
                        size_t capacity,
                        size_t* count) {
    rtc_error err =
        Inner(f)->vtable->list_interfaces(Inner(f), out, capacity, count);
    const rtc_network_interface* first_v6 = nullptr;
    for (size_t i = 0; err == RTC_OK && i < *count && i < capacity; i++) {
      if (out[i].address.family != RTC_AF_INET6)
        continue;
      if (!first_v6) {
        first_v6 = &out[i];
        continue;
      }
      out[i].index = first_v6->index;
      memcpy(out[i].name, first_v6->name, sizeof(out[i].name));
      out[i].ipv6_temporary = true;
    }
    return err;
  }
  static rtc_error Route(rtc_socket_factory* f,
                         rtc_address_family family,
                         rtc_socket_address* out) {
    return Inner(f)->vtable->default_route_address(Inner(f), family, out);
  }
  static rtc_error Udp(rtc_socket_factory* f,
                       rtc_task_queue* q,
                       const rtc_socket_address* local,
                       const rtc_udp_options* options,
                       const rtc_packet_socket_observer* observer,
                       void* user,
                       rtc_packet_socket** out) {
    return Inner(f)->vtable->create_udp(Inner(f), q, local, options, observer,
                                        user, out);
  }
  static rtc_error Multicast(rtc_socket_factory* f,
                             rtc_task_queue* q,
                             const rtc_socket_address* group,
                             uint32_t if_index,
                             const rtc_packet_socket_observer* observer,
                             void* user,
                             rtc_packet_socket** out) {
    if (reinterpret_cast<TemporaryAddressFactory*>(f)->no_multicast)
      return RTC_ERR_IO;
    return Inner(f)->vtable->create_multicast_udp(Inner(f), q, group, if_index,
                                                  observer, user, out);
  }
  static const rtc_socket_factory_vtable kVtable;
};
const rtc_socket_factory_vtable TemporaryAddressFactory::kVtable = {
    List, Route, Udp, Multicast, nullptr, nullptr};

// RFC 8828 §5.2 and the mdns draft "Special Handling for IPv6": prefer RFC
// 4941 temporary addresses. An interface with a stable (EUI-64) and a
// temporary IPv6 address gives a host candidate for the temporary one
// only: the stable one, which names the device, appears nowhere.
TEST_F(IceSecurityTest, IP09_OnlyTheTemporaryIpv6AddressIsGathered) {
  rtc_sim_host* ha = AddHost("203.0.113.1");
  for (const char* v6 : {"2001:db8::21a:2bff:fe3c:4d5e",  // EUI-64
                         "2001:db8::8e3a:1b2c:3d4e:5f60"}) {
    rtc_socket_address addr = Ip(v6);
    ASSERT_EQ(rtc_sim_host_add_address(ha, &addr), RTC_OK);
  }
  TemporaryAddressFactory factory{{&TemporaryAddressFactory::kVtable},
                                  rtc_sim_host_socket_factory(ha)};
  a_.name = "a";
  ASSERT_EQ(rtc_sim_time_create_queue(time_, "a", &a_.queue), RTC_OK);
  a_.factory = &factory.base;
  OnQueue(a_.queue, [&] {
    ASSERT_EQ(a_.Create(Config(RTC_ICE_ROLE_CONTROLLING)), RTC_OK);
    ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK);
  });
  Run(kSec);
  std::vector<std::string> hosts;
  for (const rtc_candidate& c : a_.candidates)
    hosts.push_back(rtc_test::CandidateString(c));
  ASSERT_EQ(a_.candidates.size(), 2u) << testing::PrintToString(hosts);
  std::string all = testing::PrintToString(hosts);
  EXPECT_NE(all.find("203.0.113.1"), std::string::npos) << all;
  EXPECT_NE(all.find("2001:db8::8e3a:1b2c:3d4e:5f60"), std::string::npos)
      << all;
  EXPECT_EQ(all.find("fe3c:4d5e"), std::string::npos) << all;
  OnQueue(a_.queue, [&] { a_.Destroy(); });
}

// --- IP-02: the candidate does not wait for the responder ---

// draft-ietf-mmusic-mdns-ice-candidates "ICE Candidate Gathering": the
// name is generated and the candidate provided "even if the registration
// fails". With no mDNS responder at all (no multicast socket can be made),
// the host candidate still comes, under a fresh v4 UUID name, and its
// address appears nowhere.
TEST_F(IceSecurityTest, IP02_CandidateKeepsItsMdnsNameWithoutAResponder) {
  rtc_sim_host* ha = AddHost("192.168.1.10");
  TemporaryAddressFactory factory{{&TemporaryAddressFactory::kVtable},
                                  rtc_sim_host_socket_factory(ha)};
  factory.no_multicast = true;
  rtc_ice_agent_config config = Config(RTC_ICE_ROLE_CONTROLLING);
  config.obfuscate_host_addresses = true;
  a_.name = "a";
  ASSERT_EQ(rtc_sim_time_create_queue(time_, "a", &a_.queue), RTC_OK);
  a_.factory = &factory.base;
  OnQueue(a_.queue, [&] {
    ASSERT_EQ(a_.Create(config), RTC_OK);
    ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK);
  });
  Run(kSec);
  ASSERT_EQ(a_.candidates.size(), 1u);
  std::string line = rtc_test::CandidateString(a_.candidates[0]);
  EXPECT_TRUE(std::regex_search(
      line,
      std::regex(" [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                 "[0-9a-f]{12}\\.local ")))
      << line;
  EXPECT_EQ(line.find("192.168.1.10"), std::string::npos) << line;
  EXPECT_TRUE(a_.end_of_candidates);
  OnQueue(a_.queue, [&] { a_.Destroy(); });
}

}  // namespace
