// RTCBundlePolicy (webrtc-pc §4.2.5) and BUNDLE (RFC 8843) in the JSEP of
// the C peer connection: what offers and answers carry for each policy
// (RFC 9429 §4.1.1, §5.2.1, §5.2.2, §5.3.1), which transports exist while
// an offer is pending and once it is answered (§3.5.1, §5.10, §5.11), and
// end to end on the simulated network for every pair of policies, as the
// WPT tests webrtc/RTCConfiguration-bundlePolicy.html check it (candidates
// per m= section), plus answers to a real Firefox offer reshaped the way
// Firefox writes it with bundlePolicy "max-bundle" (a=bundle-only).
//
// WebRTC's "max-bundle" is RFC 8829's "max-bundle", which RFC 9429 §1.3
// renamed "must-bundle" (and deprecated the old name); rtcbox gives
// "max-bundle" that behaviour, as Firefox does and as WPT accepts.

#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "api/rtc_peer_connection.h"
#include "api/rtc_rtp_transceiver.h"
#include "api/rtc_transports.h"
#include "pc/sdp.h"
#include "rtc_base/alloc.h"
#include "test/pc/pc_test_util.h"

namespace rtc_test {
namespace {

constexpr rtc_bundle_policy kBalanced = RTC_BUNDLE_POLICY_BALANCED;
constexpr rtc_bundle_policy kMaxCompat = RTC_BUNDLE_POLICY_MAX_COMPAT;
constexpr rtc_bundle_policy kMaxBundle = RTC_BUNDLE_POLICY_MAX_BUNDLE;

// --- Results of the asynchronous operations ---

struct Result {
  bool done = false;
  rtc_error err = RTC_ERR_INTERNAL;
  std::string message;
  std::string sdp;
};

void OnDescriptionDone(void* u,
                       rtc_error err,
                       const rtc_error_info* info,
                       const rtc_session_description* d) {
  auto* r = static_cast<Result*>(u);
  r->done = true;
  r->err = err;
  r->message = info ? info->message : "";
  if (d)
    r->sdp = d->sdp;
}

void OnVoidDone(void* u, rtc_error err, const rtc_error_info* info) {
  OnDescriptionDone(u, err, info, nullptr);
}

struct TransceiverUnref {
  void operator()(rtc_rtp_transceiver* t) const {
    rtc_rtp_transceiver_unref(t);
  }
};
using Transceiver = std::unique_ptr<rtc_rtp_transceiver, TransceiverUnref>;

// --- SDP helpers ---

// A parsed description, for structured checks.
class Sdp {
 public:
  explicit Sdp(const std::string& text) {
    EXPECT_EQ(rtc_sdp_parse(text.c_str(), text.size(), &s_, nullptr), RTC_OK)
        << text;
  }
  ~Sdp() { rtc_sdp_session_destroy(s_); }
  Sdp(const Sdp&) = delete;
  Sdp& operator=(const Sdp&) = delete;

  size_t size() const { return s_ ? s_->num_media : 0; }
  const rtc_sdp_media* media(size_t i) const {
    return s_ && i < s_->num_media ? s_->media[i] : nullptr;
  }
  std::string Ufrag(size_t i) const {
    const rtc_sdp_media* m = media(i);
    const char* u = m && m->ice_ufrag ? m->ice_ufrag : s_ ? s_->ice_ufrag : "";
    return u ? u : "";
  }
  // The a=group:BUNDLE mids, "" when there is no group.
  std::string Bundle() const {
    for (size_t g = 0; s_ && g < s_->num_groups; g++) {
      if (strcmp(s_->groups[g].semantics, "BUNDLE") != 0)
        continue;
      std::string out = "BUNDLE";
      for (size_t k = 0; k < s_->groups[g].num_mids; k++)
        out += std::string(" ") + s_->groups[g].mids[k];
      return out;
    }
    return "";
  }
  // Per section: '1' bundle-only, '0' not ("0110").
  std::string BundleOnly() const {
    std::string out;
    for (size_t i = 0; i < size(); i++)
      out += media(i)->bundle_only ? '1' : '0';
    return out;
  }
  // Per section: 'c' candidates, '-' none ("c-cc").
  std::string Candidates() const {
    std::string out;
    for (size_t i = 0; i < size(); i++)
      out += media(i)->num_candidates > 0 ? 'c' : '-';
    return out;
  }
  // The ports of the m= lines ("9 0 9").
  std::string Ports() const {
    std::string out;
    for (size_t i = 0; i < size(); i++)
      out += (i ? " " : "") + std::to_string(media(i)->port);
    return out;
  }

 private:
  rtc_sdp_session* s_ = nullptr;
};

// The lines of sdp, without their CRLF.
std::vector<std::string> SdpLines(const std::string& sdp) {
  std::vector<std::string> out;
  for (size_t pos = 0, end; pos < sdp.size(); pos = end + 2) {
    end = std::min(sdp.find("\r\n", pos), sdp.size());
    out.push_back(sdp.substr(pos, end - pos));
  }
  return out;
}

size_t CountLines(const std::string& sdp, const std::string& prefix) {
  size_t n = 0;
  for (const std::string& line : SdpLines(sdp))
    n += line.compare(0, prefix.size(), prefix) == 0;
  return n;
}

std::string RemoveLines(const std::string& sdp, const std::string& prefix) {
  std::string out;
  for (const std::string& line : SdpLines(sdp)) {
    if (line.compare(0, prefix.size(), prefix) != 0)
      out += line + "\r\n";
  }
  return out;
}

std::string Replace(std::string s,
                    const std::string& from,
                    const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    s.replace(at, from.size(), to);
  return s;
}

// What Firefox writes for the m= sections after the first with
// bundlePolicy "max-bundle": port 0 and a=bundle-only after the c= line,
// and (RFC 9429 §5.2.1) none of the TRANSPORT attributes: no ICE
// credentials, no a=setup (Firefox's fingerprint is at the session level).
std::string MakeBundleOnly(const std::string& sdp,
                           const std::vector<size_t>& sections) {
  std::string out;
  int section = -1;
  bool only = false;
  for (const std::string& line : SdpLines(sdp)) {
    if (line.empty())
      continue;
    std::string l = line;
    if (l.compare(0, 2, "m=") == 0) {
      section++;
      only = std::find(sections.begin(), sections.end(),
                       static_cast<size_t>(section)) != sections.end();
      if (only) {
        size_t port = l.find(' ') + 1;
        l.replace(port, l.find(' ', port) - port, "0");
      }
    } else if (only && (l.compare(0, 12, "a=ice-ufrag:") == 0 ||
                        l.compare(0, 10, "a=ice-pwd:") == 0 ||
                        l.compare(0, 8, "a=setup:") == 0 ||
                        l.compare(0, 7, "a=rtcp:") == 0 ||
                        l.compare(0, 12, "a=candidate:") == 0)) {
      continue;
    }
    out += l + "\r\n";
    if (only && l.compare(0, 2, "c=") == 0)
      out += "a=bundle-only\r\n";
  }
  return out;
}

// --- The captured fixtures (test/fuzzers/corpus/sdp) ---

// The test binary is out/<cfg>/..., __FILE__ this file's path as given to
// the compiler (relative to out/<cfg>, or absolute). RTC_SOURCE_ROOT
// overrides.
std::string SourceRoot() {
  if (const char* env = std::getenv("RTC_SOURCE_ROOT"))
    return env;
  std::string dir = __FILE__;
  dir = dir.substr(0, dir.rfind('/'));  // .../pc
  if (dir.empty() || dir[0] != '/') {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
      return ".";
    exe[n] = '\0';
    std::string exe_dir(exe);
    exe_dir = exe_dir.substr(0, exe_dir.rfind('/'));
    dir = exe_dir + "/" + dir;
  }
  return dir + "/..";
}

std::string Fixture(const std::string& name) {
  std::string path = SourceRoot() + "/test/fuzzers/corpus/sdp/" + name;
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// --- The fixture ---

class JsepBundleTest : public PeerConnectionTest {
 protected:
  void SetUp() override {
    PeerConnectionTest::SetUp();
    MakeContext(a_, "a", "198.51.100.1");
    MakeContext(b_, "b", "198.51.100.2");
  }

  // A new peer connection for p (on its host and context) with the given
  // bundle policy (host addresses shown); the old one goes.
  void Make(Peer& p, rtc_bundle_policy policy) {
    DestroyPeer(p);
    p.log.clear();
    p.other = nullptr;
    p.negotiation_needed = 0;
    p.gathering_complete = false;
    p.candidates = 0;
    p.state = RTC_PC_STATE_NEW;
    p.ice_state = RTC_ICE_TRANSPORT_NEW;
    rtc_configuration config;
    rtc_configuration_init(&config);
    config.obfuscate_host_addresses = false;
    config.bundle_policy = policy;
    CreatePc(p, &config);
  }

  void MakeBoth(rtc_bundle_policy offerer, rtc_bundle_policy answerer) {
    transceivers_.clear();
    channel_.reset();
    Make(a_, offerer);
    Make(b_, answerer);
  }

  // Candidates travel between the two.
  void Link() {
    a_.other = &b_;
    b_.other = &a_;
  }

  Result CreateOffer(Peer& p) {
    Result r;
    OnQueue(p.signaling, [&] {
      rtc_error err = rtc_peer_connection_create_offer(p.pc, nullptr,
                                                       OnDescriptionDone, &r);
      if (err != RTC_OK) {
        r.done = true;
        r.err = err;
      }
    });
    EXPECT_TRUE(r.done);
    return r;
  }

  Result CreateAnswer(Peer& p) {
    Result r;
    OnQueue(p.signaling, [&] {
      rtc_error err =
          rtc_peer_connection_create_answer(p.pc, OnDescriptionDone, &r);
      if (err != RTC_OK) {
        r.done = true;
        r.err = err;
      }
    });
    EXPECT_TRUE(r.done);
    return r;
  }

  // setLocalDescription / setRemoteDescription; sdp "" for the
  // parameterless setLocalDescription().
  Result Apply(Peer& p, bool local, rtc_sdp_type type, const std::string& sdp) {
    Result r;
    OnQueue(p.signaling, [&] {
      rtc_session_description d = {type, sdp.c_str()};
      const rtc_session_description* arg = sdp.empty() ? nullptr : &d;
      rtc_error err = local ? rtc_peer_connection_set_local_description(
                                  p.pc, arg, OnVoidDone, &r)
                            : rtc_peer_connection_set_remote_description(
                                  p.pc, arg, OnVoidDone, &r);
      if (err != RTC_OK) {
        r.done = true;
        r.err = err;
      }
    });
    EXPECT_TRUE(r.done);
    return r;
  }

  Result SetLocal(Peer& p, rtc_sdp_type type, const std::string& sdp) {
    return Apply(p, true, type, sdp);
  }

  Result SetRemote(Peer& p, rtc_sdp_type type, const std::string& sdp) {
    return Apply(p, false, type, sdp);
  }

  // offerer's offer, applied on both sides; returns it.
  std::string Offer(Peer& offerer, Peer& answerer) {
    Result offer = CreateOffer(offerer);
    EXPECT_EQ(offer.err, RTC_OK) << offer.message;
    EXPECT_EQ(SetLocal(offerer, RTC_SDP_OFFER, offer.sdp).err, RTC_OK);
    Result set = SetRemote(answerer, RTC_SDP_OFFER, offer.sdp);
    EXPECT_EQ(set.err, RTC_OK) << set.message;
    return offer.sdp;
  }

  // answerer's answer, applied on both sides; returns it.
  std::string Answer(Peer& offerer, Peer& answerer) {
    Result answer = CreateAnswer(answerer);
    EXPECT_EQ(answer.err, RTC_OK) << answer.message;
    EXPECT_EQ(SetLocal(answerer, RTC_SDP_ANSWER, answer.sdp).err, RTC_OK);
    Result set = SetRemote(offerer, RTC_SDP_ANSWER, answer.sdp);
    EXPECT_EQ(set.err, RTC_OK) << set.message;
    return answer.sdp;
  }

  // The description of that kind as SDP (candidates included); "" when
  // null.
  std::string Desc(Peer& p, rtc_description_kind kind) {
    std::string s;
    OnQueue(p.signaling, [&] {
      rtc_session_description d;
      if (rtc_peer_connection_description(p.pc, kind, &d) != RTC_OK)
        return;
      s = d.sdp;
      rtc_free(const_cast<char*>(d.sdp));
    });
    return s;
  }

  Transceiver AddTransceiver(Peer& p, rtc_media_kind kind) {
    rtc_rtp_transceiver* t = nullptr;
    OnQueue(p.signaling, [&] {
      rtc_error_info info;
      EXPECT_EQ(
          rtc_peer_connection_add_transceiver(p.pc, kind, nullptr, &t, &info),
          RTC_OK)
          << info.message;
    });
    return Transceiver(t);
  }

  std::vector<Transceiver> Transceivers(Peer& p) {
    std::vector<Transceiver> out;
    OnQueue(p.signaling, [&] {
      rtc_rtp_transceiver* list[16];
      size_t n = rtc_peer_connection_transceivers(p.pc, list, 16);
      for (size_t i = 0; i < n && i < 16; i++)
        out.emplace_back(list[i]);
    });
    return out;
  }

  // The ICE/DTLS transports p runs: getStats() "transport" entries (one
  // per transport on the network side).
  size_t TransportCount(Peer& p) {
    std::string json = GetStats(p);
    EXPECT_FALSE(json.empty());
    size_t n = 0;
    for (size_t at = json.find("\"type\":\"transport\"");
         at != std::string::npos;
         at = json.find("\"type\":\"transport\"", at + 1))
      n++;
    return n;
  }

  rtc_ice_gathering_state Gathering(Peer& p) {
    rtc_ice_gathering_state s = RTC_ICE_GATHERING_NEW;
    OnQueue(p.signaling,
            [&] { s = rtc_peer_connection_ice_gathering_state(p.pc); });
    return s;
  }

  // audio, audio, video and a data channel (the WPT test's offerer).
  void AddAudioAudioVideoData(Peer& p) {
    transceivers_.push_back(AddTransceiver(p, RTC_MEDIA_AUDIO));
    transceivers_.push_back(AddTransceiver(p, RTC_MEDIA_AUDIO));
    transceivers_.push_back(AddTransceiver(p, RTC_MEDIA_VIDEO));
    channel_ = CreateChannel(p, "dc", nullptr);
  }

  std::vector<Transceiver> transceivers_;
  std::unique_ptr<Channel> channel_;
};

// --- 1. Offers (RFC 9429 §4.1.1, §5.2.1) ---

// §5.2.1: whatever the policy, "a session-level "a=group" attribute MUST
// be added ... This attribute MUST have semantics "BUNDLE" and MUST include
// the mid identifiers of each "m=" section"; the answer takes the whole
// group (every policy accepts what is in the first section's group,
// §5.3.1), with port 9 and no a=bundle-only in any section ("regardless of
// the presence of "a=bundle-only" in the offer, all "m=" sections in the
// answer MUST NOT have an "a=bundle-only" line"), and every section keeps
// its transceiver.
TEST_F(JsepBundleTest, EveryPolicyOffersOneBundleOfAllSections) {
  for (rtc_bundle_policy policy : {kBalanced, kMaxCompat, kMaxBundle}) {
    SCOPED_TRACE(rtc_bundle_policy_name(policy));
    MakeBoth(policy, policy);
    rtc_configuration* got = nullptr;
    ASSERT_EQ(rtc_peer_connection_get_configuration(a_.pc, &got), RTC_OK);
    EXPECT_EQ(got->bundle_policy, policy);
    rtc_configuration_free(got);
    AddAudioAudioVideoData(a_);
    std::string offer = Offer(a_, b_);
    Sdp o(offer);
    ASSERT_EQ(o.size(), 4u);
    EXPECT_EQ(o.Bundle(), "BUNDLE 0 1 2 3");
    std::string answer = Answer(a_, b_);
    Sdp ans(answer);
    EXPECT_EQ(ans.Bundle(), "BUNDLE 0 1 2 3");
    EXPECT_EQ(ans.Ports(), "9 9 9 9");
    EXPECT_EQ(CountLines(answer, "a=bundle-only"), 0u);
    EXPECT_EQ(Transceivers(b_).size(), 3u);
    for (const Transceiver& t : Transceivers(a_))
      EXPECT_FALSE(rtc_rtp_transceiver_stopped(t.get()));
    transceivers_.clear();
    channel_.reset();
  }
}

// §4.1.1: "balanced": "The second and any subsequent "m=" sections of each
// type will be marked as bundle-only"; "must-bundle" (webrtc-pc
// "max-bundle"): "all streams other than the first will be marked as
// bundle-only"; "max-compat": "none will be marked as bundle-only". §5.2.1:
// a bundle-only section has port 0 and a=bundle-only, "MUST NOT contain any
// ICE credentials", and the other TRANSPORT attributes (fingerprint, setup,
// a=rtcp) appear only in sections "that do not contain an "a=bundle-only"
// attribute"; a=rtcp-mux stays (Chrome requires it in every RTP section
// under rtcpMuxPolicy "require"). The data section counts as a type of its
// own.
TEST_F(JsepBundleTest, BalancedAndMaxBundleOfferBundleOnly) {
  struct Expect {
    rtc_bundle_policy policy;
    bool data;                // audio audio video data, else ... video video
    const char* bundle_only;  // per section
  };
  for (const Expect& e :
       {Expect{kBalanced, false, "0101"}, Expect{kMaxBundle, false, "0111"},
        Expect{kMaxCompat, false, "0000"}, Expect{kBalanced, true, "0100"},
        Expect{kMaxBundle, true, "0111"}, Expect{kMaxCompat, true, "0000"}}) {
    SCOPED_TRACE(std::string(rtc_bundle_policy_name(e.policy)) +
                 (e.data ? " with data" : " two videos"));
    Make(a_, e.policy);
    if (e.data) {
      AddAudioAudioVideoData(a_);
    } else {
      for (rtc_media_kind kind :
           {RTC_MEDIA_AUDIO, RTC_MEDIA_AUDIO, RTC_MEDIA_VIDEO, RTC_MEDIA_VIDEO})
        transceivers_.push_back(AddTransceiver(a_, kind));
    }
    std::string text = CreateOffer(a_).sdp;
    Sdp offer(text);
    ASSERT_EQ(offer.size(), 4u);
    EXPECT_EQ(offer.Bundle(), "BUNDLE 0 1 2 3");
    EXPECT_EQ(offer.BundleOnly(), e.bundle_only);
    for (size_t i = 0; i < 4; i++) {
      SCOPED_TRACE(i);
      const rtc_sdp_media* m = offer.media(i);
      bool only = e.bundle_only[i] == '1';
      EXPECT_EQ(m->port, only ? 0u : 9u);
      EXPECT_EQ(m->ice_ufrag == nullptr, only);
      EXPECT_EQ(m->ice_pwd == nullptr, only);
      EXPECT_EQ(m->num_fingerprints == 0, only);
      EXPECT_EQ(m->setup == RTC_SDP_SETUP_NONE, only);
      EXPECT_NE(m->connection.address, nullptr);
      if (i < 3 || !e.data) {
        EXPECT_EQ(m->has_rtcp, !only);
        EXPECT_TRUE(m->rtcp_mux);
      } else {
        EXPECT_TRUE(m->has_sctp_port);
      }
    }
    // Every section with transport parameters has the same credentials.
    if (e.bundle_only[2] == '0') {
      EXPECT_EQ(offer.Ufrag(0), offer.Ufrag(2));
    }
    transceivers_.clear();
    channel_.reset();
  }
}

// The offer keeps the same sections and shape through createOffer,
// setLocalDescription and a second createOffer in have-local-offer
// (§5.2.2: "an offer is generated by following the steps in the "stable"
// state"). The second offer used to drop the sections whose mids the
// pending offer had given.
TEST_F(JsepBundleTest, ReofferBeforeTheAnswerKeepsBundleOnly) {
  Make(a_, kMaxBundle);
  AddAudioAudioVideoData(a_);
  std::string first = CreateOffer(a_).sdp;
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, first).err, RTC_OK);
  std::string second = CreateOffer(a_).sdp;
  Sdp again(second);
  ASSERT_EQ(again.size(), 4u);
  EXPECT_EQ(again.BundleOnly(), "0111");
  EXPECT_EQ(again.Bundle(), "BUNDLE 0 1 2 3");
  EXPECT_EQ(CountLines(second, "m="), CountLines(first, "m="));
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, second).err, RTC_OK);
}

// WPT RTCConfiguration-bundlePolicy.html, the three promise_tests: with
// audio, audio, video and a data channel, setLocalDescription() and
// iceGatheringState "complete", the local description has candidates in
// the first audio, the video and the data section with "balanced"; in
// every section with "max-compat" ("Gather ICE candidates for each
// track"); in the first only with "max-bundle".
TEST_F(JsepBundleTest, GathersCandidatesForTheSectionsThePolicyNames) {
  struct Expect {
    rtc_bundle_policy policy;
    const char* candidates;
    size_t transports;
  };
  for (const Expect& e :
       {Expect{kBalanced, "c-cc", 3}, Expect{kMaxCompat, "cccc", 4},
        Expect{kMaxBundle, "c---", 1}}) {
    SCOPED_TRACE(rtc_bundle_policy_name(e.policy));
    Make(a_, e.policy);
    a_.gathering_complete = false;
    AddAudioAudioVideoData(a_);
    ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, "").err, RTC_OK);
    ASSERT_TRUE(RunUntil([&] { return a_.gathering_complete; }, 10 * kSec));
    EXPECT_EQ(Gathering(a_), RTC_ICE_GATHERING_COMPLETE);
    Sdp local(Desc(a_, RTC_DESCRIPTION_LOCAL));
    ASSERT_EQ(local.size(), 4u);
    EXPECT_EQ(local.Candidates(), e.candidates);
    // A transport for each section with transport parameters, none for a
    // bundle-only one (§5.2.1 "MUST NOT gather any candidates").
    EXPECT_EQ(TransportCount(a_), e.transports);
    transceivers_.clear();
    channel_.reset();
  }
}

// Without BUNDLE every section has a transport of its own, up to 16 a
// peer connection runs: the table of them grows one by one from none, and
// the sections past the 16th have no transport (sender.transport null).
TEST_F(JsepBundleTest, MaxCompatRunsATransportPerSectionUpToSixteen) {
  Make(a_, kMaxCompat);
  a_.gathering_complete = false;
  for (int i = 0; i < 18; i++)
    transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, "").err, RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return a_.gathering_complete; }, 10 * kSec));
  EXPECT_EQ(TransportCount(a_), 16u);
  std::vector<rtc_pc_dtls_transport*> seen;
  OnQueue(a_.signaling, [&] {
    for (size_t i = 0; i < transceivers_.size(); i++) {
      rtc_pc_dtls_transport* t =
          rtc_rtp_transceiver_transport(transceivers_[i].get());
      if (i >= 16) {
        EXPECT_EQ(t, nullptr) << i;
        continue;
      }
      ASSERT_NE(t, nullptr) << i;
      for (rtc_pc_dtls_transport* other : seen)
        EXPECT_NE(t, other) << i;
      seen.push_back(t);
    }
  });
  transceivers_.clear();
}

// --- 2. Subsequent offers (§5.2.2) ---

// Once BUNDLE is negotiated, "unbundling is no longer possible": a section
// a later offer adds joins the group with no a=bundle-only ("An
// "a=bundle-only" line ... MUST NOT be added") and no transport of its own,
// whatever the policy; the transport does not gather again (§3.5.1: "if an
// "m=" section is bundled (either by a successful bundle negotiation or
// ...), then candidates will be gathered ... if and only if its MID item is
// a BUNDLE-tag") and the data channel carries on.
TEST_F(JsepBundleTest, SectionsAddedAfterBundleJoinTheNegotiatedTransport) {
  for (rtc_bundle_policy policy : {kBalanced, kMaxCompat, kMaxBundle}) {
    SCOPED_TRACE(rtc_bundle_policy_name(policy));
    MakeBoth(policy, policy);
    Link();
    transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
    channel_ = CreateChannel(a_, "dc", nullptr);
    Offer(a_, b_);
    Answer(a_, b_);
    ASSERT_NE(WaitOpen(*channel_, b_, 0, 30 * kSec), nullptr);
    ASSERT_TRUE(
        RunUntil([&] { return Gathering(a_) == RTC_ICE_GATHERING_COMPLETE; },
                 10 * kSec));
    size_t log_size = a_.log.size();
    transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
    transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_VIDEO));
    std::string offer = Offer(a_, b_);
    Sdp o(offer);
    ASSERT_EQ(o.size(), 4u);
    EXPECT_EQ(o.BundleOnly(), "0000");
    EXPECT_EQ(o.Ports(), "9 9 9 9");
    EXPECT_EQ(o.Bundle(), "BUNDLE 0 1 2 3");
    // While the offer is pending: still one transport, not gathering.
    EXPECT_EQ(TransportCount(a_), 1u);
    EXPECT_EQ(TransportCount(b_), 1u);
    EXPECT_EQ(Gathering(a_), RTC_ICE_GATHERING_COMPLETE);
    Answer(a_, b_);
    EXPECT_EQ(TransportCount(a_), 1u);
    EXPECT_EQ(TransportCount(b_), 1u);
    for (size_t i = log_size; i < a_.log.size(); i++)
      EXPECT_NE(a_.log[i], "gathering:gathering");
    ASSERT_EQ(Send(a_, *channel_, "still here", false), RTC_OK);
    ASSERT_TRUE(RunUntil(
        [&] { return !b_.remote_channels[0]->messages.empty(); }, 5 * kSec));
    EXPECT_EQ(b_.remote_channels[0]->messages[0], "still here");
    transceivers_.clear();
    channel_.reset();
  }
}

// When the answer refused BUNDLE (a non-BUNDLE-aware peer), nothing is
// bundled yet, and §5.2.2 puts in a later offer's group only "all "m="
// sections that were previously bundled ... as well as any new "m="
// sections": the sections the answer accepted keep their own transports
// (the data channel stays where it is), and the new ones follow the policy
// as in an initial offer among the group's sections: the new audio is the
// group's first, so it carries the transport parameters and the video
// (balanced: first of its type) its own too. A "max-compat" answerer takes
// both into the group; a "balanced" one rejects the audio (not the first
// audio, not in the first audio's group, §5.3.1) and the transport a
// rejected section had goes.
TEST_F(JsepBundleTest, SectionsAddedToAnUnbundledSessionFollowThePolicy) {
  struct Expect {
    rtc_bundle_policy answerer;
    const char* ports;
    const char* bundle;
  };
  for (const Expect& e : {Expect{kMaxCompat, "9 9 9 9", "BUNDLE 2 3"},
                          Expect{kBalanced, "9 9 0 9", "BUNDLE 3"}}) {
    SCOPED_TRACE(rtc_bundle_policy_name(e.answerer));
    MakeBoth(kBalanced, e.answerer);
    Link();
    transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
    channel_ = CreateChannel(a_, "dc", nullptr);
    Result offer = CreateOffer(a_);
    ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer.sdp).err, RTC_OK);
    ASSERT_EQ(
        SetRemote(b_, RTC_SDP_OFFER, RemoveLines(offer.sdp, "a=group:BUNDLE"))
            .err,
        RTC_OK);
    Sdp first_answer(Answer(a_, b_));
    EXPECT_EQ(first_answer.Bundle(), "");
    Channel* remote = WaitOpen(*channel_, b_, 0, 30 * kSec);
    ASSERT_NE(remote, nullptr);
    EXPECT_EQ(TransportCount(a_), 2u);
    EXPECT_EQ(TransportCount(b_), 2u);
    transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
    transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_VIDEO));
    std::string offer2 = Offer(a_, b_);
    Sdp o(offer2);
    ASSERT_EQ(o.size(), 4u);
    EXPECT_EQ(o.BundleOnly(), "0000");  // audio, data, audio, video
    EXPECT_EQ(o.Bundle(), "BUNDLE 2 3");
    EXPECT_EQ(TransportCount(a_), 4u);  // until the answer bundles
    Sdp answer2(Answer(a_, b_));
    EXPECT_EQ(answer2.Ports(), e.ports);
    EXPECT_EQ(answer2.Bundle(), e.bundle);
    ASSERT_TRUE(RunUntil(
        [&] {
          return a_.state == RTC_PC_STATE_CONNECTED &&
                 b_.state == RTC_PC_STATE_CONNECTED;
        },
        30 * kSec));
    EXPECT_EQ(TransportCount(a_), 3u);
    EXPECT_EQ(TransportCount(b_), 3u);
    EXPECT_EQ(rtc_rtp_transceiver_stopped(transceivers_[1].get()),
              e.ports[4] == '0');
    ASSERT_EQ(Send(a_, *channel_, "same transport", false), RTC_OK);
    ASSERT_TRUE(RunUntil([&] { return !remote->messages.empty(); }, 5 * kSec));
  }
}

// --- 3. Answers (§5.3.1) ---

// An offer without BUNDLE (a non-BUNDLE-aware offerer): "balanced" rejects
// "all but the first "m=" section of each type", "must-bundle" (webrtc-pc
// "max-bundle": "negotiate only one media track") "any "m=" sections other
// than the first", "max-compat" none. The offerer sees the rejected
// transceivers stopped and its data channel gone with "max-bundle".
// (Chromium throws in setRemoteDescription here, Firefox accepts every
// section unbundled: rtc-jsep issue 1038.)
TEST_F(JsepBundleTest, AnswerToAnOfferWithoutBundleFollowsThePolicy) {
  struct Expect {
    rtc_bundle_policy policy;
    const char* ports;
    bool data;
  };
  for (const Expect& e :
       {Expect{kMaxCompat, "9 9 9 9", true}, Expect{kBalanced, "9 0 9 9", true},
        Expect{kMaxBundle, "9 0 0 0", false}}) {
    SCOPED_TRACE(rtc_bundle_policy_name(e.policy));
    MakeBoth(kMaxCompat, e.policy);
    Link();
    AddAudioAudioVideoData(a_);
    Result offer = CreateOffer(a_);
    ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer.sdp).err, RTC_OK);
    ASSERT_EQ(
        SetRemote(b_, RTC_SDP_OFFER, RemoveLines(offer.sdp, "a=group:BUNDLE"))
            .err,
        RTC_OK);
    Sdp answer(Answer(a_, b_));
    EXPECT_EQ(answer.Bundle(), "");
    EXPECT_EQ(answer.Ports(), e.ports);
    ASSERT_EQ(transceivers_.size(), 3u);
    for (size_t i = 0; i < 3; i++)
      EXPECT_EQ(rtc_rtp_transceiver_stopped(transceivers_[i].get()),
                e.ports[2 * i] == '0')
          << i;
    bool has_sctp = false;
    OnQueue(a_.signaling,
            [&] { has_sctp = rtc_peer_connection_sctp(a_.pc) != nullptr; });
    EXPECT_EQ(has_sctp, e.data);
    if (e.data) {
      // The data section on a transport of its own.
      ASSERT_NE(WaitOpen(*channel_, b_, 0, 30 * kSec), nullptr);
    }
    ASSERT_TRUE(RunUntil(
        [&] {
          return a_.state == RTC_PC_STATE_CONNECTED &&
                 b_.state == RTC_PC_STATE_CONNECTED;
        },
        30 * kSec));
    // One transport per accepted section.
    size_t expected = 0;
    for (const char* p = e.ports; *p; p++)
      expected += *p == '9';
    EXPECT_EQ(TransportCount(a_), expected);
    EXPECT_EQ(TransportCount(b_), expected);
    transceivers_.clear();
    channel_.reset();
  }
}

// RFC 8843 §7.3.1 (JSEP §5.3.1): an offer without a BUNDLE group gets an
// answer without one, every section accepted on a transport of its own
// (default policy, one section of each type); both sides gather for each
// section and the data section connects on its own transport.
TEST_F(JsepBundleTest, OfferWithoutBundleIsAnsweredUnbundled) {
  MakeBoth(kBalanced, kBalanced);
  Link();
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
  channel_ = CreateChannel(a_, "unbundled", nullptr);
  std::string offer = CreateOffer(a_).sdp;
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string plain = RemoveLines(offer, "a=group:BUNDLE");
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, plain).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  Sdp ans(answer);
  ASSERT_EQ(ans.size(), 2u);
  EXPECT_EQ(ans.Bundle(), "");
  EXPECT_EQ(ans.Ports(), "9 9");
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  ASSERT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  Channel* remote = WaitOpen(*channel_, b_, 0, 30 * kSec);
  ASSERT_NE(remote, nullptr);
  EXPECT_STREQ(rtc_data_channel_label(remote->channel), "unbundled");
  // Candidates in each section: one transport per section (a bundled
  // description has them in the first section only).
  auto each_section_gathered = [&](Peer& p) {
    return Sdp(Desc(p, RTC_DESCRIPTION_LOCAL)).Candidates() == "cc";
  };
  EXPECT_TRUE(RunUntil(
      [&] { return each_section_gathered(a_) && each_section_gathered(b_); },
      30 * kSec));
  EXPECT_EQ(TransportCount(a_), 2u);
  EXPECT_EQ(TransportCount(b_), 2u);
}

// RFC 8843 §7.3.1: the answerer-tagged section is the offerer-tagged one
// (the first mid of the offer's group), not the first in m= line order:
// the answer's group follows the offer's order, and both sides run the
// tag's transport.
TEST_F(JsepBundleTest, AnswerKeepsTheOfferersTag) {
  MakeBoth(kMaxCompat, kBalanced);
  Link();
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
  channel_ = CreateChannel(a_, "dc", nullptr);
  std::string offer = CreateOffer(a_).sdp;
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(
      SetRemote(b_, RTC_SDP_OFFER,
                Replace(offer, "a=group:BUNDLE 0 1", "a=group:BUNDLE 1 0"))
          .err,
      RTC_OK);
  Sdp answer(Answer(a_, b_));
  EXPECT_EQ(answer.Bundle(), "BUNDLE 1 0");
  ASSERT_NE(WaitOpen(*channel_, b_, 0, 30 * kSec), nullptr);
  ASSERT_TRUE(RunUntil(
      [&] { return Gathering(b_) == RTC_ICE_GATHERING_COMPLETE; }, 10 * kSec));
  EXPECT_EQ(Sdp(Desc(b_, RTC_DESCRIPTION_LOCAL)).Candidates(), "-c");
  EXPECT_EQ(TransportCount(a_), 1u);
  EXPECT_EQ(TransportCount(b_), 1u);
}

// RFC 8843 §6: a bundle-only section is usable only in the BUNDLE group. An
// offer that leaves one out of any group gets it rejected (the rest
// answered unbundled); the offerer accepts that answer.
TEST_F(JsepBundleTest, BundleOnlySectionOutsideTheGroupIsRejected) {
  MakeBoth(kMaxBundle, kMaxCompat);
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_VIDEO));
  Result offer = CreateOffer(a_);
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer.sdp).err, RTC_OK);
  ASSERT_EQ(
      SetRemote(b_, RTC_SDP_OFFER, RemoveLines(offer.sdp, "a=group:BUNDLE"))
          .err,
      RTC_OK);
  Sdp answer(Answer(a_, b_));
  EXPECT_EQ(answer.Ports(), "9 0");
  EXPECT_EQ(answer.Bundle(), "");
  EXPECT_FALSE(rtc_rtp_transceiver_stopped(transceivers_[0].get()));
  EXPECT_TRUE(rtc_rtp_transceiver_stopped(transceivers_[1].get()));
}

// RFC 9429 §5.3.1: "This "m=" section is in a bundle group, and the group's
// offerer tagged "m=" section is being rejected ... This requires all "m="
// sections in the bundle group to be rejected": a bundle-only section has
// no transport without its tag. Here the tag (audio) has no codec in
// common.
TEST_F(JsepBundleTest, RejectedTagTakesItsBundleOnlySectionsWithIt) {
  MakeBoth(kMaxBundle, kBalanced);
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_VIDEO));
  channel_ = CreateChannel(a_, "dc", nullptr);
  Result offer = CreateOffer(a_);
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer.sdp).err, RTC_OK);
  std::string munged = offer.sdp;
  while (munged.find(" opus/") != std::string::npos)
    munged = Replace(munged, " opus/", " bogus/");
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, munged).err, RTC_OK);
  Sdp answer(Answer(a_, b_));
  EXPECT_EQ(answer.Ports(), "0 0 0");
  EXPECT_EQ(answer.Bundle(), "");
}

// --- 4. Checking remote descriptions ---

// RFC 8843 §7.2.1: the offerer-tagged section carries the transport the
// group shares, so it cannot be bundle-only; an answer that accepts a
// section we offered bundle-only outside the group leaves it without a
// transport (§7.3.1). Both are InvalidAccessError.
TEST_F(JsepBundleTest, InconsistentBundleDescriptionsAreRejected) {
  MakeBoth(kMaxBundle, kBalanced);
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_VIDEO));
  Result offer = CreateOffer(a_);
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer.sdp).err, RTC_OK);
  Result bad_tag =
      SetRemote(b_, RTC_SDP_OFFER,
                Replace(offer.sdp, "a=group:BUNDLE 0 1", "a=group:BUNDLE 1 0"));
  EXPECT_EQ(bad_tag.err, RTC_ERR_INVALID_ACCESS) << bad_tag.message;
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer.sdp).err, RTC_OK);
  Result answer = CreateAnswer(b_);
  ASSERT_EQ(answer.err, RTC_OK);
  Result unbundled =
      SetRemote(a_, RTC_SDP_ANSWER, RemoveLines(answer.sdp, "a=group:BUNDLE"));
  EXPECT_EQ(unbundled.err, RTC_ERR_INVALID_ACCESS) << unbundled.message;
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer.sdp).err, RTC_OK);
}

// A candidate may name a bundle-only section (sdpMid): it belongs to the
// tag's transport and its usernameFragment is the tag's (the section has
// none of its own).
TEST_F(JsepBundleTest, CandidateForABundleOnlyMidUsesTheTagsCredentials) {
  MakeBoth(kMaxBundle, kBalanced);
  transceivers_.push_back(AddTransceiver(a_, RTC_MEDIA_AUDIO));
  channel_ = CreateChannel(a_, "dc", nullptr);
  std::string offer = Offer(a_, b_);
  Sdp o(offer);
  ASSERT_EQ(o.BundleOnly(), "01");
  std::string ufrag = o.Ufrag(0);
  Result r;
  OnQueue(b_.signaling, [&] {
    rtc_ice_candidate_init init = {
        "candidate:1 1 udp 2122260223 198.51.100.1 50000 typ host", "1", -1,
        ufrag.c_str()};
    ASSERT_EQ(
        rtc_peer_connection_add_ice_candidate(b_.pc, &init, OnVoidDone, &r),
        RTC_OK);
  });
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.err, RTC_OK) << r.message;
}

// --- 5. A real Firefox offer, reshaped as Firefox writes it with
// bundlePolicy "max-bundle" ---

// Firefox 153's audio + video + data channel offer (one BUNDLE group,
// session-level fingerprint), with the video and data sections bundle-only
// (port 0, a=bundle-only, no ICE credentials, no a=setup). Every answerer
// policy accepts the three into the group (the first section's group,
// §5.3.1), answers port 9 without a=bundle-only, and runs one transport: it
// gathers for the tag only, and both transceivers and the SCTP transport
// share it.
TEST_F(JsepBundleTest, AnswersAFirefoxMaxBundleOffer) {
  std::string firefox = Fixture("firefox-153.8.0-av-datachannel-offer.sdp");
  ASSERT_FALSE(firefox.empty());
  std::string offer = MakeBundleOnly(firefox, {1, 2});
  Sdp o(offer);
  ASSERT_EQ(o.size(), 3u);
  ASSERT_EQ(o.BundleOnly(), "011");
  ASSERT_EQ(o.Bundle(), "BUNDLE 0 1 2");
  for (rtc_bundle_policy policy : {kBalanced, kMaxCompat, kMaxBundle}) {
    SCOPED_TRACE(rtc_bundle_policy_name(policy));
    Make(b_, policy);
    b_.gathering_complete = false;
    Result set = SetRemote(b_, RTC_SDP_OFFER, offer);
    ASSERT_EQ(set.err, RTC_OK) << set.message;
    Result answer = CreateAnswer(b_);
    ASSERT_EQ(answer.err, RTC_OK) << answer.message;
    Sdp a(answer.sdp);
    EXPECT_EQ(a.Bundle(), "BUNDLE 0 1 2");
    EXPECT_EQ(a.Ports(), "9 9 9");
    EXPECT_EQ(CountLines(answer.sdp, "a=bundle-only"), 0u);
    ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer.sdp).err, RTC_OK);
    ASSERT_TRUE(RunUntil([&] { return b_.gathering_complete; }, 10 * kSec));
    Sdp local(Desc(b_, RTC_DESCRIPTION_LOCAL));
    EXPECT_EQ(local.Candidates(), "c--");
    EXPECT_EQ(TransportCount(b_), 1u);
    std::vector<Transceiver> ts = Transceivers(b_);
    ASSERT_EQ(ts.size(), 2u);
    OnQueue(b_.signaling, [&] {
      EXPECT_STREQ(rtc_rtp_transceiver_mid(ts[0].get()), "0");
      EXPECT_STREQ(rtc_rtp_transceiver_mid(ts[1].get()), "1");
      rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(b_.pc);
      ASSERT_NE(sctp, nullptr);
      rtc_pc_dtls_transport* shared = rtc_pc_sctp_transport_transport(sctp);
      EXPECT_NE(shared, nullptr);
      EXPECT_EQ(rtc_rtp_transceiver_transport(ts[0].get()), shared);
      EXPECT_EQ(rtc_rtp_transceiver_transport(ts[1].get()), shared);
    });
    ts.clear();
  }
}

// The answer can come while the transports of a "max-compat" offer are
// still starting (here: both descriptions set in one task): the answer's
// BUNDLE drops all but the tag's, whose late events must not bring them
// back (RFC 9429 §5.11: "any ... transports that are no longer needed
// are discarded"). The offerer ends connected on one transport, gathering
// complete.
TEST_F(JsepBundleTest, AnswerRightAfterTheOfferDropsTheOtherTransports) {
  MakeBoth(kMaxCompat, kBalanced);
  Link();
  AddAudioAudioVideoData(a_);
  Result offer = CreateOffer(a_);
  ASSERT_EQ(offer.err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer.sdp).err, RTC_OK);
  Result answer = CreateAnswer(b_);
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer.sdp).err, RTC_OK);
  Result local, remote;
  OnQueue(a_.signaling, [&] {
    rtc_session_description o = {RTC_SDP_OFFER, offer.sdp.c_str()};
    rtc_session_description d = {RTC_SDP_ANSWER, answer.sdp.c_str()};
    ASSERT_EQ(rtc_peer_connection_set_local_description(a_.pc, &o, OnVoidDone,
                                                        &local),
              RTC_OK);
    ASSERT_EQ(rtc_peer_connection_set_remote_description(a_.pc, &d, OnVoidDone,
                                                         &remote),
              RTC_OK);
  });
  ASSERT_TRUE(local.done && remote.done);
  ASSERT_EQ(remote.err, RTC_OK) << remote.message;
  ASSERT_NE(WaitOpen(*channel_, b_, 0, 30 * kSec), nullptr)
      << testing::PrintToString(a_.log);
  rtc_sim_time_advance_us(time_, 5 * kSec);
  EXPECT_EQ(a_.state, RTC_PC_STATE_CONNECTED);
  EXPECT_EQ(b_.state, RTC_PC_STATE_CONNECTED);
  EXPECT_EQ(Gathering(a_), RTC_ICE_GATHERING_COMPLETE);
  EXPECT_EQ(TransportCount(a_), 1u);
  EXPECT_EQ(TransportCount(b_), 1u);
}

// --- 6. End to end, every pair of policies ---

// The offerer's policy, the answerer's, and whether the offerer has media
// (audio, audio, video before its data channel) or only the data channel.
class BundleEndToEndTest
    : public JsepBundleTest,
      public testing::WithParamInterface<
          std::tuple<rtc_bundle_policy, rtc_bundle_policy, bool>> {};

// While the offer is pending the offerer runs a transport per section with
// transport parameters (§3.5.1); the answer bundles everything, and each
// side ends with exactly one transport, connected, with the data channel
// open both ways (in a bundle-only section with "max-bundle").
TEST_P(BundleEndToEndTest, ConnectsOnOneTransportWithTheChannelOpen) {
  auto [offerer, answerer, media] = GetParam();
  MakeBoth(offerer, answerer);
  Link();
  if (media) {
    AddAudioAudioVideoData(a_);
  } else {
    channel_ = CreateChannel(a_, "dc", nullptr);
  }
  std::string offer = Offer(a_, b_);
  size_t sections = media ? 4 : 1;
  size_t expected_only = 0;
  if (media && offerer == kBalanced)
    expected_only = 1;
  if (media && offerer == kMaxBundle)
    expected_only = 3;
  EXPECT_EQ(CountLines(offer, "a=bundle-only"), expected_only);
  EXPECT_EQ(TransportCount(a_), sections - expected_only);
  std::string answer = Answer(a_, b_);
  Sdp ans(answer);
  EXPECT_EQ(ans.size(), sections);
  EXPECT_EQ(ans.Bundle(), media ? "BUNDLE 0 1 2 3" : "BUNDLE 0");
  Channel* remote = WaitOpen(*channel_, b_, 0, 30 * kSec);
  ASSERT_NE(remote, nullptr) << testing::PrintToString(a_.log) << "\n"
                             << testing::PrintToString(b_.log);
  ASSERT_TRUE(RunUntil(
      [&] {
        return a_.state == RTC_PC_STATE_CONNECTED &&
               b_.state == RTC_PC_STATE_CONNECTED;
      },
      30 * kSec));
  EXPECT_EQ(TransportCount(a_), 1u);
  EXPECT_EQ(TransportCount(b_), 1u);
  ASSERT_EQ(Send(a_, *channel_, "ping", false), RTC_OK);
  ASSERT_EQ(Send(b_, *remote, "pong", false), RTC_OK);
  ASSERT_TRUE(RunUntil(
      [&] { return !remote->messages.empty() && !channel_->messages.empty(); },
      5 * kSec));
  EXPECT_EQ(remote->messages[0], "ping");
  EXPECT_EQ(channel_->messages[0], "pong");
  // Both sides see one transport in their descriptions too: candidates in
  // the first section only, once gathering is over.
  ASSERT_TRUE(RunUntil(
      [&] {
        return Gathering(a_) == RTC_ICE_GATHERING_COMPLETE &&
               Gathering(b_) == RTC_ICE_GATHERING_COMPLETE;
      },
      10 * kSec));
  Sdp la(Desc(a_, RTC_DESCRIPTION_CURRENT_LOCAL));
  Sdp lb(Desc(b_, RTC_DESCRIPTION_CURRENT_LOCAL));
  std::string first_only = media ? "c---" : "c";
  EXPECT_EQ(la.Candidates(), first_only);
  EXPECT_EQ(lb.Candidates(), first_only);
  transceivers_.clear();
  channel_.reset();
}

std::string PolicyName(rtc_bundle_policy p) {
  std::string s = rtc_bundle_policy_name(p);
  std::string out;
  for (char c : s) {
    if (c != '-')
      out += c;
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Policies,
    BundleEndToEndTest,
    testing::Combine(testing::Values(kBalanced, kMaxCompat, kMaxBundle),
                     testing::Values(kBalanced, kMaxCompat, kMaxBundle),
                     testing::Bool()),
    [](const testing::TestParamInfo<BundleEndToEndTest::ParamType>& p) {
      return PolicyName(std::get<0>(p.param)) + "To" +
             PolicyName(std::get<1>(p.param)) +
             (std::get<2>(p.param) ? "WithMedia" : "DataOnly");
    });

}  // namespace
}  // namespace rtc_test
