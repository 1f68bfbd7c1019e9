// Security invariants seen through whole peer connections on the simulated
// network (checklist §1B ORG-05, §1C CON-04, §1D IP-xx, §1F API-xx).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/rtc_peer_connection.h"
#include "api/rtc_rtp_transceiver.h"
#include "api/rtc_transports.h"
#include "rtc_base/alloc.h"
#include "test/pc/pc_test_util.h"

namespace {

using rtc_test::Channel;
using rtc_test::kMs;
using rtc_test::kSec;
using rtc_test::Peer;

std::string Replace(std::string s,
                    const std::string& from,
                    const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    s.replace(at, from.size(), to);
  return s;
}

// The value of the first `a=<name>:` line.
std::string Attribute(const std::string& sdp, const std::string& name) {
  size_t at = sdp.find("a=" + name + ":");
  if (at == std::string::npos)
    return "";
  at += name.size() + 3;
  return sdp.substr(at, sdp.find("\r\n", at) - at);
}

// RTCDtlsTransport events, recorded.
struct DtlsEvents {
  std::vector<rtc_error_info> errors;
  static const rtc_pc_dtls_transport_observer kObserver;
};
const rtc_pc_dtls_transport_observer DtlsEvents::kObserver = {
    [](void*) {},
    [](void* u, const rtc_error_info* e) {
      static_cast<DtlsEvents*>(u)->errors.push_back(*e);
    },
};

class PcSecurityTest : public rtc_test::PeerConnectionTest {
 protected:
  std::string CreateOffer(Peer& p) {
    std::string sdp;
    OnQueue(p.signaling, [&] {
      ASSERT_EQ(rtc_peer_connection_create_offer(
                    p.pc, nullptr,
                    [](void* u, rtc_error err, const rtc_error_info* info,
                       const rtc_session_description* d) {
                      ASSERT_EQ(err, RTC_OK) << info->message;
                      *static_cast<std::string*>(u) = d->sdp;
                    },
                    &sdp),
                RTC_OK);
    });
    return sdp;
  }

  // A new peer connection for `p` in `owner`'s context and on its
  // signaling queue.
  void CreatePcIn(Peer& p, Peer& owner, const rtc_configuration& config) {
    p.signaling = owner.signaling;
    OnQueue(owner.signaling, [&] {
      rtc_error_info info;
      ASSERT_EQ(
          rtc_peer_connection_create(owner.context, owner.signaling, &config,
                                     &Peer::kObserver, &p, &p.pc, &info),
          RTC_OK)
          << info.message;
    });
  }

  // The local offer, candidates included, of a new peer connection with a
  // data channel in `owner`'s context (closed after).
  std::string GatheredOffer(Peer& owner, const rtc_configuration& config) {
    Peer p;
    p.name = "p";
    CreatePcIn(p, owner, config);
    auto channel = CreateChannel(p, "x", nullptr);
    EXPECT_EQ(SetDescription(p, true, RTC_SDP_OFFER, CreateOffer(p)), RTC_OK);
    EXPECT_TRUE(RunUntil([&] { return p.gathering_complete; }, 10 * kSec));
    std::string sdp = Description(p, RTC_DESCRIPTION_LOCAL);
    channel.reset();
    OnQueue(owner.signaling, [&] { rtc_peer_connection_destroy(p.pc); });
    return sdp;
  }

  // addIceCandidate(line) for the first m-section; it must succeed.
  void AddCandidate(Peer& p, const std::string& line) {
    OnQueue(p.signaling, [&] {
      rtc_ice_candidate_init init = {line.c_str(), "0", 0, nullptr};
      ASSERT_EQ(rtc_peer_connection_add_ice_candidate(
                    p.pc, &init,
                    [](void*, rtc_error err, const rtc_error_info* info) {
                      EXPECT_EQ(err, RTC_OK) << info->message;
                    },
                    nullptr),
                RTC_OK);
    });
  }

  std::string CreateAnswer(Peer& p) {
    std::string sdp;
    OnQueue(p.signaling, [&] {
      ASSERT_EQ(rtc_peer_connection_create_answer(
                    p.pc,
                    [](void* u, rtc_error err, const rtc_error_info* info,
                       const rtc_session_description* d) {
                      ASSERT_EQ(err, RTC_OK) << info->message;
                      *static_cast<std::string*>(u) = d->sdp;
                    },
                    &sdp),
                RTC_OK);
    });
    return sdp;
  }

  std::string Description(Peer& p, rtc_description_kind kind) {
    std::string sdp;
    OnQueue(p.signaling, [&] {
      rtc_session_description d;
      if (rtc_peer_connection_description(p.pc, kind, &d) != RTC_OK)
        return;
      sdp = d.sdp;
      rtc_free(const_cast<char*>(d.sdp));
    });
    return sdp;
  }

  // Watches p's DTLS transport (the data channels' one).
  void ObserveDtls(Peer& p, DtlsEvents& events) {
    OnQueue(p.signaling, [&] {
      rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(p.pc);
      ASSERT_NE(sctp, nullptr);
      rtc_pc_dtls_transport_set_observer(rtc_pc_sctp_transport_transport(sctp),
                                         &DtlsEvents::kObserver, &events);
    });
  }
};

// --- ORG-05: JS does not control the local ICE credentials ---

// RFC 8827 §6.3: "JS must not control the local ufrag/pwd"; webrtc-pc
// setLocalDescription: an SDP other than the last one created is an
// InvalidModificationError. Munging the ufrag or the password of our own
// offer or answer is refused, and the state does not move.
TEST_F(PcSecurityTest, ORG05_MungedLocalIceCredentialsAreRefused) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  auto channel = CreateChannel(a_, "chat", nullptr);
  std::string offer = CreateOffer(a_);
  std::string ufrag = Attribute(offer, "ice-ufrag");
  std::string pwd = Attribute(offer, "ice-pwd");
  ASSERT_GE(ufrag.size(), 4u);
  ASSERT_GE(pwd.size(), 22u);
  std::string chosen_ufrag =
      Replace(offer, "a=ice-ufrag:" + ufrag, "a=ice-ufrag:chosenbyjs");
  std::string chosen_pwd = Replace(offer, "a=ice-pwd:" + pwd,
                                   "a=ice-pwd:chosenbyjavascriptchosenbyjs");
  EXPECT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, chosen_ufrag),
            RTC_ERR_INVALID_MODIFICATION);
  EXPECT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, chosen_pwd),
            RTC_ERR_INVALID_MODIFICATION);
  EXPECT_EQ(Description(a_, RTC_DESCRIPTION_LOCAL), "");
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);

  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  std::string answer = CreateAnswer(b_);
  std::string bu = Attribute(answer, "ice-ufrag");
  EXPECT_EQ(SetDescription(
                b_, true, RTC_SDP_ANSWER,
                Replace(answer, "a=ice-ufrag:" + bu, "a=ice-ufrag:" + ufrag)),
            RTC_ERR_INVALID_MODIFICATION);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  EXPECT_EQ(Attribute(Description(b_, RTC_DESCRIPTION_LOCAL), "ice-ufrag"), bu);
}

// --- CON-04: consent loss stops sending, whatever the app does ---

// RFC 7675 §5.1: once consent expires, "the endpoint MUST cease
// transmission on that 5-tuple"; webrtc-pc: the connection state becomes
// "failed". The application keeps calling send(): nothing more reaches the
// wire from a (not a single packet in the next 30 s).
TEST_F(PcSecurityTest, CON04_SendAfterConsentLossPutsNothingOnTheWire) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  auto channel = CreateChannel(a_, "chat", nullptr);
  Negotiate(a_, b_);
  ASSERT_NE(WaitOpen(*channel, b_, 0, 10 * kSec), nullptr);
  // b vanishes: everything to and from it is lost.
  SetLink(b_, 0, 1.0);
  ASSERT_TRUE(
      RunUntil([&] { return a_.state == RTC_PC_STATE_FAILED; }, 45 * kSec))
      << testing::PrintToString(a_.log);
  rtc_sim_stats before, after;
  rtc_sim_host_get_stats(a_.host, &before);
  for (int i = 0; i < 30; i++) {
    if (channel->state() == RTC_DATA_CHANNEL_OPEN)
      Send(a_, *channel, "still there?", false);
    rtc_sim_time_advance_us(time_, kSec);
  }
  rtc_sim_host_get_stats(a_.host, &after);
  EXPECT_EQ(after.packets_sent, before.packets_sent);
}

// --- IP-03: names scoped to the page ---

// draft-ietf-mmusic-mdns-ice-candidates "Generated Name Reuse": a name is
// not reused across browsing contexts. Peer connections of one context on
// one host (two at once, then one made after they are gone, as after a
// reload) each get their own name for the same address.
TEST_F(PcSecurityTest, IP03_EveryPeerConnectionGetsItsOwnMdnsName) {
  MakeContext(a_, "a", "192.168.1.10");
  rtc_configuration config;
  rtc_configuration_init(&config);  // obfuscated host addresses: the default
  const std::regex kName(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
      "\\.local");
  auto names_of_new_pc = [&](std::vector<std::string>* names) {
    std::string sdp = GatheredOffer(a_, config);
    EXPECT_EQ(sdp.find("192.168.1.10"), std::string::npos) << sdp;
    for (std::sregex_iterator it(sdp.begin(), sdp.end(), kName), end; it != end;
         ++it)
      names->push_back(it->str());
  };
  std::vector<std::string> first, second, third;
  names_of_new_pc(&first);
  names_of_new_pc(&second);
  names_of_new_pc(&third);
  // One name a connection: the UDP host candidate's, which its ICE-TCP
  // candidates (RFC 6544, active and passive) carry too.
  for (auto* names : {&first, &second, &third}) {
    std::sort(names->begin(), names->end());
    names->erase(std::unique(names->begin(), names->end()), names->end());
  }
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_NE(first[0], second[0]);
  EXPECT_NE(first[0], third[0]);
  EXPECT_NE(second[0], third[0]);
}

// --- IP-08: one mDNS limit for every peer connection ---

// The mdns draft, "mDNS Message Flooding": "a browser-wide rate limit on
// mDNS queries and responses" is required. A page makes many peer
// connections and gives each many unknown `.local` candidates: the
// context's host puts no more multicast on the link than the context's
// limit (10 messages per second here), whatever the number of
// connections; each alone would be allowed 20 per second.
TEST_F(PcSecurityTest, IP08_PeerConnectionsOfAContextShareOneMdnsLimit) {
  MakePeer(b_, "b", "192.168.1.20");
  auto channel = CreateChannel(b_, "x", nullptr);
  std::string offer = CreateOffer(b_);
  std::string ufrag = Attribute(offer, "ice-ufrag");
  MakeContext(a_, "a", "192.168.1.10", 10);
  rtc_configuration config;
  rtc_configuration_init(&config);
  const int kPcs = 30;
  const int kCandidates = 20;
  std::vector<std::unique_ptr<Peer>> pcs;
  rtc_sim_stats before;
  rtc_sim_host_get_stats(a_.host, &before);
  int64_t start_us = rtc_sim_time_now_us(time_);
  for (int i = 0; i < kPcs; i++) {
    pcs.push_back(std::make_unique<Peer>());
    Peer& p = *pcs.back();
    p.name = "p" + std::to_string(i);
    CreatePcIn(p, a_, config);
    ASSERT_EQ(SetDescription(p, false, RTC_SDP_OFFER, offer), RTC_OK);
    ASSERT_EQ(SetDescription(p, true, RTC_SDP_ANSWER, CreateAnswer(p)), RTC_OK);
    for (int k = 0; k < kCandidates; k++) {
      char name[64];
      snprintf(name, sizeof(name), "%08x-0000-4000-8000-%012x.local",
               static_cast<unsigned>(i), static_cast<unsigned>(k));
      std::string line = std::string("candidate:9 1 udp 2122260223 ") + name +
                         " 5000 typ host ufrag " + ufrag;
      AddCandidate(p, line);
    }
  }
  // Within the lookups' 5 s (the resolve timeout).
  rtc_sim_time_advance_us(time_, 4 * kSec);
  rtc_sim_stats after;
  rtc_sim_host_get_stats(a_.host, &after);
  uint64_t sent = after.packets_sent - before.packets_sent;
  int64_t elapsed_us = rtc_sim_time_now_us(time_) - start_us;
  // 600 names to ask for, and 30 names to announce: each connection alone
  // could send 20 at once and 20 per second.
  EXPECT_LE(sent, 10u + static_cast<uint64_t>(10 * elapsed_us / kSec));
  EXPECT_GE(sent, 10u * 4);
  for (auto& p : pcs)
    DestroyPeer(*p);
}

// --- IP-01 and IP-10: RFC 8828 mode 2 by default ---

// The host candidates a new connection of a_'s context gathers with
// `config`.
// The UDP host candidates of an SDP. Each comes with two ICE-TCP ones
// (active, passive) of the same address or mDNS name, which expose
// nothing more: tests of what is exposed count the UDP ones and check
// that the TCP ones add no address or name (TcpHostsAddNothing).
std::vector<std::string> HostCandidates(const std::string& sdp,
                                        const char* protocol = " udp ") {
  std::vector<std::string> out;
  std::istringstream lines(sdp);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("a=candidate:", 0) == 0 &&
        line.find(" typ host") != std::string::npos &&
        line.find(protocol) != std::string::npos)
      out.push_back(line);
  }
  return out;
}

// The connection address (5th field) of a candidate line.
std::string ConnectionAddress(const std::string& line) {
  std::istringstream fields(line);
  std::string field;
  for (int i = 0; i < 5 && fields >> field; i++) {
  }
  return field;
}

// Every TCP host candidate's address or name is one a UDP host candidate
// has, and there are two of them (active, passive) for each.
void ExpectTcpHostsAddNothing(const std::string& sdp) {
  std::vector<std::string> udp = HostCandidates(sdp);
  std::vector<std::string> tcp = HostCandidates(sdp, " tcp ");
  EXPECT_EQ(tcp.size(), 2 * udp.size()) << sdp;
  std::set<std::string> known;
  for (const auto& line : udp)
    known.insert(ConnectionAddress(line));
  for (const auto& line : tcp)
    EXPECT_EQ(known.count(ConnectionAddress(line)), 1u) << line;
}

// RFC 8828 §6 and the security checklist: "Default for pages without
// capture permission: no raw private IPs (M2 with mDNS-wrapped host)"
// (IP-01); "Keep the number of exposed mDNS host candidates small
// (fingerprinting). The default route only is fine." (IP-10). A host with
// five interfaces (three IPv4, two IPv6): a connection made with the
// default configuration signals one host candidate per address family,
// each an mDNS name, bound to the default route's address; mode 1, which
// an embedder chooses for a page allowed to capture, signals all five.
TEST_F(PcSecurityTest, IP10_DefaultConfigurationSignalsOneHostPerFamily) {
  MakeContext(a_, "a", "192.168.1.10");
  for (const char* ip :
       {"10.0.0.10", "172.16.0.10", "2001:db8::10", "2001:db8:1::10"}) {
    rtc_socket_address addr;
    ASSERT_EQ(rtc_socket_address_parse(ip, strlen(ip), &addr), RTC_OK);
    ASSERT_EQ(rtc_sim_host_add_address(a_.host, &addr), RTC_OK);
  }
  auto gather = [&](const rtc_configuration& config) {
    std::string sdp = GatheredOffer(a_, config);
    ExpectTcpHostsAddNothing(sdp);
    return HostCandidates(sdp);
  };
  rtc_configuration config;
  rtc_configuration_init(&config);
  EXPECT_EQ(config.ip_handling, RTC_IP_HANDLING_DEFAULT_ROUTE);
  std::vector<std::string> hosts = gather(config);
  ASSERT_EQ(hosts.size(), 2u);
  for (const auto& line : hosts)
    EXPECT_NE(line.find(".local "), std::string::npos) << line;

  // The same with addresses shown: the default route's, one per family.
  config.obfuscate_host_addresses = false;
  hosts = gather(config);
  ASSERT_EQ(hosts.size(), 2u);
  std::string both = hosts[0] + "\n" + hosts[1];
  EXPECT_NE(both.find(" 192.168.1.10 "), std::string::npos) << both;
  EXPECT_NE(both.find(" 2001:db8::10 "), std::string::npos) << both;

  // Mode 1: every interface.
  rtc_configuration_init(&config);
  config.ip_handling = RTC_IP_HANDLING_ALL_INTERFACES;
  EXPECT_EQ(gather(config).size(), 5u);
}

// --- IP-05: no private address in descriptions, candidates or stats ---

// draft-ietf-mmusic-mdns-ice-candidates "mDNS Candidate Encoding": the name
// goes in the candidate's connection-address, the c= line says 0.0.0.0
// (port 9); RFC 8828: no private host address is exposed. Two hosts with
// private addresses connect through their mDNS names; neither address
// appears in any local description, candidate or getStats() report.
TEST_F(PcSecurityTest, IP05_NoPrivateAddressInDescriptionsCandidatesOrStats) {
  rtc_configuration config;
  rtc_configuration_init(&config);  // obfuscated host addresses: the default
  MakePeer(a_, "a", "192.168.1.10", &config);
  MakePeer(b_, "b", "192.168.1.20", &config);
  auto channel = CreateChannel(a_, "chat", nullptr);
  std::vector<std::string> signaled;
  munge_offer = [&](std::string& sdp) { signaled.push_back(sdp); };
  munge_answer = [&](std::string& sdp) { signaled.push_back(sdp); };
  Negotiate(a_, b_);
  ASSERT_NE(WaitOpen(*channel, b_, 0, 20 * kSec), nullptr)
      << testing::PrintToString(a_.log);
  ASSERT_TRUE(
      RunUntil([&] { return a_.gathering_complete && b_.gathering_complete; },
               10 * kSec));
  for (Peer* p : {&a_, &b_}) {
    std::string local = Description(*p, RTC_DESCRIPTION_LOCAL);
    signaled.push_back(local);
    EXPECT_NE(local.find(".local "), std::string::npos) << local;
    EXPECT_NE(local.find("c=IN IP4 0.0.0.0"), std::string::npos) << local;
    signaled.push_back(GetStats(*p));
  }
  // The log holds every icecandidate event's candidate too.
  for (Peer* p : {&a_, &b_})
    for (const std::string& line : p->log)
      signaled.push_back(line);
  for (const std::string& text : signaled) {
    EXPECT_EQ(text.find("192.168."), std::string::npos) << text;
  }
}

// --- IP-06: stats do not tell whether an mDNS name resolved ---

// The stats report object of `type` whose "address" is `address`, as
// text ("" if none).
std::string StatsObject(const std::string& json,
                        const std::string& type,
                        const std::string& address) {
  size_t at = json.find("\"address\":\"" + address + "\"");
  if (at == std::string::npos)
    return "";
  size_t begin = json.rfind('{', at);
  size_t end = json.find('}', at);
  std::string object = json.substr(begin, end + 1 - begin);
  if (object.find("\"type\":\"" + type + "\"") == std::string::npos)
    return "";
  return object;
}

// The member names of a flat JSON object, in order.
std::vector<std::string> Members(const std::string& object) {
  std::vector<std::string> names;
  const std::regex kMember("\"([A-Za-z]+)\":");
  for (std::sregex_iterator it(object.begin(), object.end(), kMember), end;
       it != end; ++it)
    names.push_back((*it)[1]);
  return names;
}

// draft-ietf-mmusic-mdns-ice-candidates "Statistics": stats "should not
// reveal whether mDNS resolution worked", so an RTCIceCandidateStats is
// emitted for every remote mDNS candidate, even one that never resolved.
// a connects to b through b's mDNS name, and also gets a `.local`
// candidate nobody answers for: both appear as remote candidates, with
// their names as address and the same members.
TEST_F(PcSecurityTest, IP06_UnresolvedMdnsCandidateIsReportedLikeAResolvedOne) {
  rtc_configuration config;
  rtc_configuration_init(&config);
  MakePeer(a_, "a", "192.168.1.10", &config);
  MakePeer(b_, "b", "192.168.1.20", &config);
  auto channel = CreateChannel(a_, "chat", nullptr);
  Negotiate(a_, b_);
  ASSERT_NE(WaitOpen(*channel, b_, 0, 20 * kSec), nullptr);
  const std::string ghost = "4e3c2a1b-0f9e-4d8c-a7b6-c5d4e3f2a1b0.local";
  // As b would signal it, with its ufrag.
  std::string line =
      "candidate:9 1 udp 2122260223 " + ghost + " 5000 typ host ufrag " +
      Attribute(Description(a_, RTC_DESCRIPTION_REMOTE), "ice-ufrag");
  AddCandidate(a_, line);
  rtc_sim_time_advance_us(time_, 10 * kSec);  // the lookup times out
  std::string json = GetStats(a_);
  std::string remote_sdp = Description(a_, RTC_DESCRIPTION_REMOTE);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      remote_sdp, m,
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                 "[0-9a-f]{12}\\.local")))
      << remote_sdp;
  std::string resolved = StatsObject(json, "remote-candidate", m.str());
  std::string unresolved = StatsObject(json, "remote-candidate", ghost);
  ASSERT_NE(resolved, "") << json;
  ASSERT_NE(unresolved, "") << json;
  EXPECT_EQ(Members(resolved), Members(unresolved));
  EXPECT_EQ(json.find("192.168."), std::string::npos);
}

// --- API-02: DTLS is required whatever the profile ---

// JSEP (RFC 9429) §5.1.3: "the lack of an a=fingerprint attribute will
// lead to negotiation failure", whatever profile string an offer uses for
// its media ("RTP/AVP", "RTP/SAVPF", ...) and data ("DTLS/SCTP", ...)
// sections; §5.3.1: in the answer, "the <proto> field MUST be set to
// exactly match the <proto> field for the corresponding m= line in the
// offer". Under every profile name, an offer without a fingerprint is an
// InvalidAccessError, one with a fingerprint is accepted and answered with
// the same profile.
TEST_F(PcSecurityTest, API02_FingerprintIsRequiredWhateverTheProfile) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  auto channel = CreateChannel(a_, "chat", nullptr);
  OnQueue(a_.signaling, [&] {
    rtc_rtp_transceiver* t = nullptr;
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_.pc, RTC_MEDIA_AUDIO,
                                                  nullptr, &t, &info),
              RTC_OK);
    rtc_rtp_transceiver_unref(t);
  });
  std::string offer = CreateOffer(a_);
  ASSERT_NE(offer.find("m=audio 9 UDP/TLS/RTP/SAVPF "), std::string::npos);
  ASSERT_NE(offer.find("m=application 9 UDP/DTLS/SCTP "), std::string::npos);
  const std::pair<const char*, const char*> kProfiles[] = {
      {"UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP"},
      {"RTP/AVP", "DTLS/SCTP"},
      {"RTP/SAVPF", "TCP/DTLS/SCTP"},
      {"RTP/AVPF", "UDP/DTLS/SCTP"},
  };
  for (const auto& [media, data] : kProfiles) {
    std::string with = Replace(offer, "m=audio 9 UDP/TLS/RTP/SAVPF ",
                               std::string("m=audio 9 ") + media + " ");
    with = Replace(with, "m=application 9 UDP/DTLS/SCTP ",
                   std::string("m=application 9 ") + data + " ");
    std::string without;
    for (size_t at = 0; at < with.size();) {
      size_t end = with.find("\r\n", at);
      end = end == std::string::npos ? with.size() : end + 2;
      if (with.compare(at, 14, "a=fingerprint:") != 0)
        without += with.substr(at, end - at);
      at = end;
    }
    ASSERT_NE(without.size(), with.size());
    std::string message;
    EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, without, &message),
              RTC_ERR_INVALID_ACCESS)
        << media << " " << data << ": " << message;
    ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, with, &message), RTC_OK)
        << media << " " << data << ": " << message;
    std::string answer = CreateAnswer(b_);
    EXPECT_NE(answer.find(std::string("m=audio 9 ") + media + " "),
              std::string::npos)
        << answer;
    EXPECT_NE(answer.find(std::string("m=application 9 ") + data + " "),
              std::string::npos)
        << answer;
    EXPECT_NE(answer.find("a=fingerprint:sha-256 "), std::string::npos);
    ASSERT_EQ(SetDescription(b_, false, RTC_SDP_ROLLBACK, ""), RTC_OK);
  }
}

// --- DC-08: a=sctp-port and a=max-message-size ---

// RFC 8841 §5.1: "a=sctp-port:" portnumber; RFC 9260 §3.1: "The port
// number 0 MUST NOT be used"; §6: a=max-message-size is an integer. A
// remote offer with an SCTP port outside 1..65535, or a max-message-size
// that is not a 64-bit number, is an sdp-syntax-error naming its line, and
// is not applied.
TEST_F(PcSecurityTest, DC08_BadSctpPortOrMaxMessageSizeIsRejected) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  auto channel = CreateChannel(a_, "chat", nullptr);
  std::string offer = CreateOffer(a_);
  std::string port_line = "a=sctp-port:" + Attribute(offer, "sctp-port");
  std::string size_line =
      "a=max-message-size:" + Attribute(offer, "max-message-size");
  ASSERT_NE(port_line, "a=sctp-port:");
  ASSERT_NE(size_line, "a=max-message-size:");
  // The line number of `line` in `sdp` (1-based).
  auto line_of = [](const std::string& sdp, const std::string& line) {
    size_t at = sdp.find(line);
    int n = 1;
    for (size_t i = 0; i < at; i++)
      n += sdp[i] == '\n';
    return n;
  };
  for (const char* bad : {"a=sctp-port:0", "a=sctp-port:65536",
                          "a=sctp-port:-1", "a=sctp-port:5000x",
                          "a=sctp-port:", "a=sctp-port:99999999999999999999"}) {
    std::string sdp = Replace(offer, port_line, bad);
    int line = line_of(sdp, bad);
    struct Out {
      rtc_error err = RTC_ERR_INTERNAL;
      rtc_error_info info;
    } out;
    OnQueue(b_.signaling, [&] {
      rtc_session_description d = {RTC_SDP_OFFER, sdp.c_str()};
      ASSERT_EQ(rtc_peer_connection_set_remote_description(
                    b_.pc, &d,
                    [](void* u, rtc_error err, const rtc_error_info* info) {
                      static_cast<Out*>(u)->err = err;
                      static_cast<Out*>(u)->info = *info;
                    },
                    &out),
                RTC_OK);
    });
    EXPECT_EQ(out.err, RTC_ERR_SDP_SYNTAX) << bad << ": " << out.info.message;
    EXPECT_EQ(out.info.sdp_line_number, line) << bad;
    EXPECT_EQ(Description(b_, RTC_DESCRIPTION_REMOTE), "") << bad;
  }
  for (const char* bad :
       {"a=max-message-size:-1", "a=max-message-size:18446744073709551616",
        "a=max-message-size:1e6", "a=max-message-size:"}) {
    std::string message;
    EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER,
                             Replace(offer, size_line, bad), &message),
              RTC_ERR_SDP_SYNTAX)
        << bad << ": " << message;
  }
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER,
                           Replace(offer, port_line, "a=sctp-port:65535")),
            RTC_OK);
}

// --- API-05: DTLS errors through RTCDtlsTransport ---

// webrtc-pc RTCDtlsTransport "error": a fingerprint mismatch is a
// "fingerprint-failure" where it is found; the side that found it sends a
// bad_certificate alert (RFC 5246 §7.2.2, 42), which the other side
// reports as "dtls-failure" with receivedAlert 42.
TEST_F(PcSecurityTest, API05_FingerprintFailureReachesThePeerAsReceivedAlert) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  auto channel = CreateChannel(a_, "chat", nullptr);
  DtlsEvents ea, eb;
  // The offer's fingerprint is wrong: b, the answerer, finds out.
  munge_offer = [&](std::string& sdp) {
    size_t at = sdp.find("a=fingerprint:sha-256 ");
    ASSERT_NE(at, std::string::npos);
    at += strlen("a=fingerprint:sha-256 ");
    sdp[at] = sdp[at] == 'A' ? 'B' : 'A';
  };
  munge_answer = [&](std::string&) { ObserveDtls(b_, eb); };
  Negotiate(a_, b_);
  ObserveDtls(a_, ea);
  ASSERT_TRUE(RunUntil(
      [&] {
        return a_.state == RTC_PC_STATE_FAILED &&
               b_.state == RTC_PC_STATE_FAILED;
      },
      30 * kSec))
      << testing::PrintToString(a_.log) << testing::PrintToString(b_.log);
  ASSERT_EQ(eb.errors.size(), 1u);
  EXPECT_EQ(eb.errors[0].code, RTC_ERR_FINGERPRINT_FAILURE);
  ASSERT_EQ(ea.errors.size(), 1u);
  EXPECT_EQ(ea.errors[0].code, RTC_ERR_DTLS_FAILURE);
  EXPECT_EQ(ea.errors[0].received_alert, 42);
}

}  // namespace
