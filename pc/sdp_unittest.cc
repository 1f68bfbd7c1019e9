#include "pc/sdp.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "rtc_base/alloc.h"

namespace {

// --- Helpers ---------------------------------------------------------------

struct SessionDeleter {
  void operator()(rtc_sdp_session* s) const { rtc_sdp_session_destroy(s); }
};
using Session = std::unique_ptr<rtc_sdp_session, SessionDeleter>;

rtc_error TryParse(const std::string& text,
                   Session* out,
                   rtc_error_info* info = nullptr) {
  rtc_sdp_session* s = nullptr;
  rtc_error err = rtc_sdp_parse(text.data(), text.size(), &s, info);
  out->reset(s);
  return err;
}

Session Parse(const std::string& text) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  Session s;
  EXPECT_EQ(TryParse(text, &s, &info), RTC_OK)
      << "line " << info.sdp_line_number << ": " << info.message;
  return s;
}

std::string Serialize(const rtc_sdp_session* s) {
  char* text = nullptr;
  size_t len = 0;
  rtc_error_info info;
  rtc_error_info_init(&info);
  EXPECT_EQ(rtc_sdp_serialize(s, &text, &len, &info), RTC_OK) << info.message;
  if (!text)
    return "";
  EXPECT_EQ(strlen(text), len);
  std::string out(text, len);
  rtc_free(text);
  return out;
}

// Where the sources are: the test binary is out/<cfg>/sdp_unittests and
// __FILE__ is this file's path as given to the compiler (relative to
// out/<cfg>, or absolute). RTC_SOURCE_ROOT overrides.
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

// The fixtures of /work/shared/fixtures/sdp are the seed corpus of the
// fuzzer, copied byte for byte into the source tree.
std::string CorpusDir() {
  return SourceRoot() + "/test/fuzzers/corpus/sdp";
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Fixture(const std::string& name) {
  return ReadFile(CorpusDir() + "/" + name);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The captured descriptions: every *.sdp of the corpus.
std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  DIR* d = opendir(CorpusDir().c_str());
  if (!d)
    return names;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (EndsWith(name, ".sdp"))
      names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Lf(const std::string& crlf) {
  std::string out;
  for (char c : crlf) {
    if (c != '\r')
      out += c;
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    if (end == std::string::npos)
      end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

const char kChromeOffer[] = "chromium-156.0.8078.108-av-datachannel-offer.sdp";
const char kFirefoxOffer[] = "firefox-153.8.0-av-datachannel-offer.sdp";

// A minimal session head and an audio section to put attributes in.
const char kHead[] =
    "v=0\r\n"
    "o=- 1 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n";
const char kAudio[] =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
    "c=IN IP4 0.0.0.0\r\n";

std::string WithMediaLine(const std::string& line) {
  return std::string(kHead) + kAudio + line + "\r\n";
}

std::string WithSessionLine(const std::string& line) {
  return std::string(kHead) + line + "\r\n" + kAudio;
}

const char kFingerprint256[] =
    "sha-256 5D:23:FB:A3:13:59:DF:EB:34:9B:30:B6:7A:62:5C:83:E2:F4:AE:65:71:"
    "C5:46:5C:04:EF:3F:9A:C7:76:1F:9A";

// --- The captured fixtures -----------------------------------------------

TEST(SdpFixtures, CorpusHoldsAllFiftyFourCapturedDescriptions) {
  std::vector<std::string> names = FixtureNames();
  EXPECT_EQ(names.size(), 54u) << "corpus dir: " << CorpusDir();
  std::set<std::string> implementations;
  for (const std::string& name : names)
    implementations.insert(name.substr(0, name.find('-')));
  EXPECT_EQ(implementations,
            (std::set<std::string>{"aiortc", "chromium", "firefox", "ndc",
                                   "werift", "wrtc"}));
}

TEST(SdpFixtures, EveryFixtureParses) {
  for (const std::string& name : FixtureNames()) {
    SCOPED_TRACE(name);
    Session s = Parse(Fixture(name));
    ASSERT_TRUE(s);
    EXPECT_GE(s->num_media, 1u);
    for (size_t i = 0; i < s->num_media; i++) {
      EXPECT_NE(s->media[i]->mid, nullptr);
      EXPECT_TRUE(s->media[i]->num_fingerprints > 0 || s->num_fingerprints > 0);
    }
  }
}

TEST(SdpFixtures, ParseSerializeParseGivesAnEqualModelAndStableText) {
  for (const std::string& name : FixtureNames()) {
    SCOPED_TRACE(name);
    Session first = Parse(Fixture(name));
    ASSERT_TRUE(first);
    std::string text = Serialize(first.get());
    Session second = Parse(text);
    ASSERT_TRUE(second);
    EXPECT_TRUE(rtc_sdp_session_equal(first.get(), second.get()));
    EXPECT_EQ(Serialize(second.get()), text);
  }
}

TEST(SdpFixtures, LfLineEndsAndAMissingFinalLineEndParseToTheSameModel) {
  for (const std::string& name : FixtureNames()) {
    SCOPED_TRACE(name);
    std::string crlf = Fixture(name);
    Session expected = Parse(crlf);
    std::string lf = Lf(crlf);
    Session from_lf = Parse(lf);
    Session unterminated = Parse(lf.substr(0, lf.size() - 1));
    Session unterminated_crlf = Parse(crlf.substr(0, crlf.size() - 2));
    ASSERT_TRUE(expected && from_lf && unterminated && unterminated_crlf);
    EXPECT_TRUE(rtc_sdp_session_equal(expected.get(), from_lf.get()));
    EXPECT_TRUE(rtc_sdp_session_equal(expected.get(), unterminated.get()));
    EXPECT_TRUE(rtc_sdp_session_equal(expected.get(), unterminated_crlf.get()));
  }
}

// The serializer writes libwebrtc's order, so libwebrtc's own output comes
// back byte for byte: Chromium's and wrtc's (libwebrtc for Node) files, and
// werift's data-channel-only ones, which happen to follow that order. The
// others differ only in order and case:
//   firefox: its own order (a=sendrecv and a=fingerprint first at session
//     level, media attributes nearly alphabetical), "UDP" in candidates;
//   aiortc: a=mid/a=sctpmap/a=max-message-size and a=sendrecv before the
//     candidates and ICE lines, a=rtcp after a=msid;
//   ndc: a=mid first, ICE and setup lines and candidates at the end, "UDP";
//   werift (audio/video): a=sendrecv before a=mid, a=rtcp after a=msid,
//     a=ssrc before a=rtpmap.
TEST(SdpFixtures, LibwebrtcDescriptionsSerializeByteForByte) {
  size_t exact = 0;
  for (const std::string& name : FixtureNames()) {
    SCOPED_TRACE(name);
    bool expect_exact =
        StartsWith(name, "chromium-") || StartsWith(name, "wrtc-") ||
        (StartsWith(name, "werift-") && name.find("-av-") == std::string::npos);
    std::string text = Fixture(name);
    Session s = Parse(text);
    ASSERT_TRUE(s);
    std::string out = Serialize(s.get());
    EXPECT_EQ(out == text, expect_exact);
    if (expect_exact) {
      EXPECT_EQ(out, text);
    }
    exact += out == text;
    // Whatever the order, the same lines come out (modulo the candidate
    // transport's case).
    std::vector<std::string> in_lines = Lines(text);
    std::vector<std::string> out_lines = Lines(out);
    for (std::string& l : in_lines) {
      size_t udp = l.find(" UDP ");
      if (StartsWith(l, "a=candidate:") && udp != std::string::npos)
        l.replace(udp, 5, " udp ");
      size_t tcp = l.find(" TCP ");
      if (StartsWith(l, "a=candidate:") && tcp != std::string::npos)
        l.replace(tcp, 5, " tcp ");
    }
    std::sort(in_lines.begin(), in_lines.end());
    std::sort(out_lines.begin(), out_lines.end());
    EXPECT_EQ(in_lines, out_lines);
  }
  EXPECT_EQ(exact, 13u + 9u + 6u);
}

TEST(SdpFixtures, CloneOfEveryFixtureIsEqualAndIndependent) {
  for (const std::string& name : FixtureNames()) {
    SCOPED_TRACE(name);
    Session original = Parse(Fixture(name));
    ASSERT_TRUE(original);
    std::string text = Serialize(original.get());
    rtc_sdp_session* copy = nullptr;
    ASSERT_EQ(rtc_sdp_session_clone(original.get(), &copy), RTC_OK);
    Session clone(copy);
    EXPECT_TRUE(rtc_sdp_session_equal(original.get(), clone.get()));
    original.reset();  // the clone shares nothing with it
    EXPECT_EQ(Serialize(clone.get()), text);
  }
}

TEST(SdpFixtures, ReadsChromeOffer) {
  Session s = Parse(Fixture(kChromeOffer));
  ASSERT_TRUE(s);
  EXPECT_STREQ(s->origin.username, "-");
  EXPECT_STREQ(s->origin.session_id, "8182991320231466727");
  EXPECT_TRUE(s->origin.session_id_fits);
  EXPECT_EQ(s->origin.session_id_value, 8182991320231466727u);
  EXPECT_EQ(s->origin.session_version, 2u);
  EXPECT_STREQ(s->origin.address, "127.0.0.1");
  EXPECT_STREQ(s->name, "-");
  ASSERT_EQ(s->num_times, 1u);
  EXPECT_EQ(s->times[0].start, 0u);
  ASSERT_EQ(s->num_groups, 1u);
  EXPECT_STREQ(s->groups[0].semantics, "BUNDLE");
  ASSERT_EQ(s->groups[0].num_mids, 3u);
  EXPECT_STREQ(s->groups[0].mids[2], "2");
  EXPECT_TRUE(s->extmap_allow_mixed);
  ASSERT_EQ(s->num_msid_semantics, 1u);
  EXPECT_TRUE(s->msid_semantics[0].space_before);
  EXPECT_STREQ(s->msid_semantics[0].semantic, "WMS");
  ASSERT_EQ(s->msid_semantics[0].num_ids, 1u);
  EXPECT_STREQ(s->msid_semantics[0].ids[0],
               "f11546d7-55bc-46a8-a17a-523aef10a832");
  ASSERT_EQ(s->num_media, 3u);

  const rtc_sdp_media* audio = s->media[0];
  EXPECT_STREQ(audio->type, "audio");
  EXPECT_EQ(audio->port, 9);
  EXPECT_STREQ(audio->proto, "UDP/TLS/RTP/SAVPF");
  ASSERT_EQ(audio->num_fmts, 8u);
  EXPECT_STREQ(audio->fmts[0], "111");
  EXPECT_STREQ(audio->connection.address, "0.0.0.0");
  ASSERT_TRUE(audio->has_rtcp);
  EXPECT_EQ(audio->rtcp.port, 9);
  EXPECT_STREQ(audio->rtcp.connection.addrtype, "IP4");
  EXPECT_STREQ(audio->ice_ufrag, "CEoY");
  EXPECT_STREQ(audio->ice_pwd, "8cuw7gbakVAZBqOXJcPsKIEF");
  EXPECT_TRUE(rtc_sdp_ice_options_has(audio->ice_options, "trickle"));
  ASSERT_EQ(audio->num_fingerprints, 1u);
  EXPECT_EQ(audio->fingerprints[0].algorithm, RTC_HASH_SHA256);
  EXPECT_EQ(audio->fingerprints[0].digest[0], 0x5d);
  EXPECT_EQ(audio->setup, RTC_SDP_SETUP_ACTPASS);
  EXPECT_STREQ(audio->mid, "0");
  ASSERT_EQ(audio->num_extmaps, 4u);
  EXPECT_EQ(audio->extmaps[3].id, 4);
  EXPECT_STREQ(audio->extmaps[3].uri, "urn:ietf:params:rtp-hdrext:sdes:mid");
  EXPECT_EQ(audio->direction, RTC_SDP_DIRECTION_SENDRECV);
  ASSERT_EQ(audio->num_msids, 1u);
  EXPECT_STREQ(audio->msids[0].track_id,
               "31bb687e-06d6-4999-8425-df5e458ac5b6");
  EXPECT_TRUE(audio->rtcp_mux);
  EXPECT_TRUE(audio->rtcp_rsize);
  EXPECT_FALSE(audio->rtcp_mux_only);
  // a=rtcp-xr is not modelled: kept, and placed after a=rtcp-rsize.
  ASSERT_EQ(audio->num_attributes, 1u);
  EXPECT_STREQ(audio->attributes[0].name, "rtcp-xr");
  EXPECT_STREQ(audio->attributes[0].value, "rcvr-rtt=all");
  EXPECT_EQ(audio->attributes[0].after, RTC_SDP_SLOT_RTCP_RSIZE);
  const rtc_sdp_rtpmap* opus = rtc_sdp_media_find_rtpmap(audio, 111);
  ASSERT_NE(opus, nullptr);
  EXPECT_STREQ(opus->encoding, "opus");
  EXPECT_EQ(opus->clock_rate, 48000u);
  EXPECT_EQ(opus->channels, 2u);
  EXPECT_EQ(rtc_sdp_media_find_rtpmap(audio, 9)->channels, 0u);
  const rtc_sdp_fmtp* fmtp = rtc_sdp_media_find_fmtp(audio, 111);
  ASSERT_NE(fmtp, nullptr);
  EXPECT_STREQ(fmtp->params, "minptime=10;useinbandfec=1");
  ASSERT_EQ(audio->num_rtcp_fbs, 1u);
  EXPECT_EQ(audio->rtcp_fbs[0].pt, 111);
  EXPECT_STREQ(audio->rtcp_fbs[0].value, "transport-cc");
  ASSERT_EQ(audio->num_ssrcs, 2u);
  EXPECT_EQ(audio->ssrcs[0].ssrc, 1518022604u);
  EXPECT_STREQ(audio->ssrcs[0].attribute, "cname");
  EXPECT_STREQ(audio->ssrcs[0].value, "uxHaYer1CPGVsq0g");
  EXPECT_STREQ(audio->ssrcs[1].attribute, "msid");
  EXPECT_STREQ(audio->ssrcs[1].value,
               "f11546d7-55bc-46a8-a17a-523aef10a832 "
               "31bb687e-06d6-4999-8425-df5e458ac5b6");
  EXPECT_EQ(audio->num_candidates, 0u);
  EXPECT_EQ(audio->num_cryptos, 0u);

  const rtc_sdp_media* video = s->media[1];
  ASSERT_EQ(video->num_ssrc_groups, 1u);
  EXPECT_STREQ(video->ssrc_groups[0].semantics, "FID");
  ASSERT_EQ(video->ssrc_groups[0].num_ssrcs, 2u);
  EXPECT_EQ(video->ssrc_groups[0].ssrcs[1], 4271531313u);
  EXPECT_EQ(video->num_rtcp_fbs, 5u * 10);
  const rtc_sdp_fmtp* rtx = rtc_sdp_media_find_fmtp(video, 97);
  ASSERT_NE(rtx, nullptr);
  const char* apt;
  size_t apt_len;
  ASSERT_TRUE(rtc_sdp_fmtp_param(rtx->params, "apt", &apt, &apt_len));
  EXPECT_EQ(std::string(apt, apt_len), "96");

  const rtc_sdp_media* data = s->media[2];
  EXPECT_STREQ(data->type, "application");
  EXPECT_STREQ(data->proto, "UDP/DTLS/SCTP");
  ASSERT_EQ(data->num_fmts, 1u);
  EXPECT_STREQ(data->fmts[0], "webrtc-datachannel");
  EXPECT_FALSE(rtc_sdp_proto_is_rtp(data->proto));
  EXPECT_TRUE(data->has_sctp_port);
  EXPECT_EQ(data->sctp_port, 5000);
  EXPECT_FALSE(data->has_sctpmap);
  EXPECT_TRUE(data->has_max_message_size);
  EXPECT_EQ(data->max_message_size, 262144u);
  EXPECT_EQ(data->direction, RTC_SDP_DIRECTION_NONE);
  EXPECT_EQ(rtc_sdp_session_find_media(s.get(), "2"), data);
}

TEST(SdpFixtures, ReadsFirefoxOffer) {
  Session s = Parse(Fixture(kFirefoxOffer));
  ASSERT_TRUE(s);
  EXPECT_STREQ(s->origin.username, "mozilla...THIS_IS_SDPARTA-99.0");
  EXPECT_EQ(s->origin.session_version, 0u);
  // Session-level direction, fingerprint and ice-options.
  EXPECT_EQ(s->direction, RTC_SDP_DIRECTION_SENDRECV);
  ASSERT_EQ(s->num_fingerprints, 1u);
  EXPECT_STREQ(s->ice_options, "trickle");
  ASSERT_EQ(s->num_msid_semantics, 1u);
  EXPECT_FALSE(s->msid_semantics[0].space_before);
  ASSERT_EQ(s->msid_semantics[0].num_ids, 1u);
  EXPECT_STREQ(s->msid_semantics[0].ids[0], "*");
  const rtc_sdp_media* audio = s->media[0];
  EXPECT_EQ(audio->num_fingerprints, 0u);
  EXPECT_TRUE(audio->extmap_allow_mixed);
  ASSERT_EQ(audio->num_extmaps, 4u);
  EXPECT_EQ(audio->extmaps[1].id, 2);
  EXPECT_EQ(audio->extmaps[1].direction, RTC_SDP_DIRECTION_RECVONLY);
  EXPECT_STREQ(audio->msids[0].stream_id,
               "{dcd917fc-a96c-440f-b6c0-30d877f0c870}");
  EXPECT_EQ(rtc_sdp_media_find_rtpmap(audio, 9)->channels, 1u);
  EXPECT_STREQ(rtc_sdp_media_find_fmtp(audio, 101)->params, "0-15");
  // Canonical order: the codec lines are grouped by payload type in m=
  // line order (Firefox writes all fmtp, then all rtcp-fb, then rtpmap).
  EXPECT_EQ(audio->rtpmaps[0].pt, 109);
  EXPECT_EQ(audio->fmtps[0].pt, 109);
  EXPECT_EQ(audio->fmtps[1].pt, 101);
  EXPECT_EQ(s->media[2]->max_message_size, 1073741823u);

  Session gathered =
      Parse(Fixture("firefox-153.8.0-datachannel-gathered-offer.sdp"));
  ASSERT_TRUE(gathered);
  const rtc_sdp_media* m = gathered->media[0];
  ASSERT_EQ(m->num_candidates, 6u);
  EXPECT_TRUE(m->end_of_candidates);
  EXPECT_EQ(m->candidates[0].protocol, RTC_ICE_PROTOCOL_UDP);
  EXPECT_EQ(m->candidates[1].address.family, RTC_AF_INET6);
  EXPECT_EQ(m->candidates[5].tcp_type, RTC_TCP_TYPE_ACTIVE);
}

TEST(SdpFixtures, ReadsAiortcLegacySctpmapAndPerSectionTransports) {
  Session s = Parse(Fixture("aiortc-1.4.0-av-datachannel-offer.sdp"));
  ASSERT_TRUE(s);
  const rtc_sdp_media* data = s->media[2];
  EXPECT_STREQ(data->proto, "DTLS/SCTP");
  EXPECT_STREQ(data->fmts[0], "5000");
  EXPECT_FALSE(data->has_sctp_port);
  ASSERT_TRUE(data->has_sctpmap);
  EXPECT_EQ(data->sctpmap.port, 5000);
  EXPECT_STREQ(data->sctpmap.app, "webrtc-datachannel");
  EXPECT_EQ(data->sctpmap.streams, 65535u);
  EXPECT_EQ(data->max_message_size, 65536u);
  EXPECT_STRNE(s->media[0]->ice_ufrag, s->media[1]->ice_ufrag);
  EXPECT_EQ(s->media[1]->num_candidates, 1u);
  EXPECT_TRUE(s->media[1]->end_of_candidates);
  EXPECT_EQ(s->media[0]->connection.address, std::string("198.18.0.1"));
}

TEST(SdpFixtures, ReadsLibdatachannelIceOptionsAndLsGroup) {
  Session s = Parse(Fixture("ndc-0.33.4-av-datachannel-offer.sdp"));
  ASSERT_TRUE(s);
  EXPECT_STREQ(s->ice_options, "ice2,trickle");
  EXPECT_TRUE(rtc_sdp_ice_options_has(s->ice_options, "trickle"));
  EXPECT_TRUE(rtc_sdp_ice_options_has(s->ice_options, "ice2"));
  EXPECT_FALSE(rtc_sdp_ice_options_has(s->ice_options, "ice"));
  ASSERT_EQ(s->num_groups, 2u);
  EXPECT_STREQ(s->groups[1].semantics, "LS");
  EXPECT_EQ(s->groups[1].num_mids, 2u);
  ASSERT_EQ(s->num_fingerprints, 1u);
}

TEST(SdpFixtures, ReadsWeriftPassiveSetupAfterIceRestart) {
  Session s = Parse(Fixture("werift-0.24.4-icerestart-offer.sdp"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->media[0]->setup, RTC_SDP_SETUP_PASSIVE);
  Session g = Parse(Fixture("werift-0.24.4-datachannel-gathered-offer.sdp"));
  ASSERT_TRUE(g);
  ASSERT_EQ(g->media[0]->num_candidates, 1u);
  EXPECT_STREQ(g->media[0]->candidates[0].ufrag, "c070");
}

// --- Each attribute: parsed, and written back -----------------------------

using Check = std::function<void(const rtc_sdp_session&, const rtc_sdp_media&)>;

struct AttributeCase {
  bool session_level;
  const char* line;
  const char* written;  // nullptr: the line itself
  Check check;
};

std::string Digest(size_t bytes) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < bytes; i++) {
    if (i)
      out += ':';
    out += kHex[(i * 7) % 16];
    out += kHex[(i * 3 + 5) % 16];
  }
  return out;
}

const std::string kSha1 = "sha-1 " + Digest(20);
const std::string kSha384 = "sha-384 " + Digest(48);
const std::string kSha1Line = "a=fingerprint:" + kSha1;
const std::string kSha384Line = "a=fingerprint:" + kSha384;
const std::string kSha256Line = std::string("a=fingerprint:") + kFingerprint256;

const AttributeCase kAttributeCases[] = {
    // Session level.
    {true, "a=group:BUNDLE 0 1", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       ASSERT_EQ(s.num_groups, 1u);
       EXPECT_STREQ(s.groups[0].semantics, "BUNDLE");
       ASSERT_EQ(s.groups[0].num_mids, 2u);
       EXPECT_STREQ(s.groups[0].mids[1], "1");
     }},
    {true, "a=group:LS", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       ASSERT_EQ(s.num_groups, 1u);
       EXPECT_EQ(s.groups[0].num_mids, 0u);
     }},
    {true, "a=msid-semantic: WMS s1 s2", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       ASSERT_EQ(s.num_msid_semantics, 1u);
       EXPECT_TRUE(s.msid_semantics[0].space_before);
       ASSERT_EQ(s.msid_semantics[0].num_ids, 2u);
       EXPECT_STREQ(s.msid_semantics[0].ids[1], "s2");
     }},
    {true, "a=msid-semantic:WMS *", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       ASSERT_EQ(s.num_msid_semantics, 1u);
       EXPECT_FALSE(s.msid_semantics[0].space_before);
       EXPECT_STREQ(s.msid_semantics[0].semantic, "WMS");
     }},
    {true, "a=msid-semantic: WMS", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       EXPECT_EQ(s.msid_semantics[0].num_ids, 0u);
     }},
    {true, "a=ice-lite", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       EXPECT_TRUE(s.ice_lite);
     }},
    {true, "a=ice-ufrag:Ab+/", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_STREQ(s.ice_ufrag, "Ab+/");
       EXPECT_EQ(m.ice_ufrag, nullptr);
     }},
    {true, "a=ice-pwd:0123456789abcdefghijkl", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       EXPECT_STREQ(s.ice_pwd, "0123456789abcdefghijkl");
     }},
    {true, "a=ice-options:trickle ice2", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       EXPECT_TRUE(rtc_sdp_ice_options_has(s.ice_options, "ice2"));
     }},
    {true, kSha256Line.c_str(), nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       ASSERT_EQ(s.num_fingerprints, 1u);
       EXPECT_EQ(s.fingerprints[0].digest_len, 32u);
       EXPECT_EQ(m.num_fingerprints, 0u);
     }},
    {true, "a=setup:passive", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_EQ(s.setup, RTC_SDP_SETUP_PASSIVE);
       EXPECT_EQ(m.setup, RTC_SDP_SETUP_NONE);
     }},
    {true, "a=tls-id:abcdefghij0123456789-_+/", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       EXPECT_STREQ(s.tls_id, "abcdefghij0123456789-_+/");
     }},
    {true, "a=extmap:3/sendonly urn:example:x a1 a2", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       ASSERT_EQ(s.num_extmaps, 1u);
       EXPECT_EQ(s.extmaps[0].id, 3);
       EXPECT_EQ(s.extmaps[0].direction, RTC_SDP_DIRECTION_SENDONLY);
       EXPECT_STREQ(s.extmaps[0].uri, "urn:example:x");
       EXPECT_STREQ(s.extmaps[0].attributes, "a1 a2");
     }},
    {true, "a=extmap-allow-mixed", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_TRUE(s.extmap_allow_mixed);
       EXPECT_FALSE(m.extmap_allow_mixed);
     }},
    {true, "a=recvonly", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_EQ(s.direction, RTC_SDP_DIRECTION_RECVONLY);
       EXPECT_EQ(m.direction, RTC_SDP_DIRECTION_NONE);
     }},
    {true, "a=end-of-candidates", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_TRUE(s.end_of_candidates);
       EXPECT_FALSE(m.end_of_candidates);
     }},
    {true, "a=x-custom:some value", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media&) {
       ASSERT_EQ(s.num_attributes, 1u);
       EXPECT_STREQ(s.attributes[0].name, "x-custom");
       EXPECT_STREQ(s.attributes[0].value, "some value");
     }},
    // A media-level attribute at session level means nothing there: kept.
    {true, "a=mid:0", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       ASSERT_EQ(s.num_attributes, 1u);
       EXPECT_STREQ(s.attributes[0].name, "mid");
       EXPECT_EQ(m.mid, nullptr);
     }},
    {true, "a=rtpmap:not parsed here", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       ASSERT_EQ(s.num_attributes, 1u);
       EXPECT_EQ(m.num_rtpmaps, 0u);
     }},

    // Media level.
    {false, "a=mid:audio-1", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.mid, "audio-1");
     }},
    {false, "a=bundle-only", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.bundle_only);
     }},
    {false, "a=rtcp:9", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.has_rtcp);
       EXPECT_EQ(m.rtcp.port, 9);
       EXPECT_EQ(m.rtcp.connection.nettype, nullptr);
     }},
    {false, "a=rtcp:53020 IN IP6 2001:db8::1", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.rtcp.port, 53020);
       EXPECT_STREQ(m.rtcp.connection.addrtype, "IP6");
       EXPECT_STREQ(m.rtcp.connection.address, "2001:db8::1");
     }},
    {false,
     "a=candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx "
     "raddr 0.0.0.0 rport 0 generation 0 ufrag EEtu network-id 3 "
     "network-cost 10",
     nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_candidates, 1u);
       EXPECT_EQ(m.candidates[0].type, RTC_CANDIDATE_SRFLX);
       EXPECT_EQ(m.candidates[0].network_cost, 10);
     }},
    {false, "a=candidate:1 1 UDP 2114977791 198.18.0.1 48723 typ host",
     "a=candidate:1 1 udp 2114977791 198.18.0.1 48723 typ host",
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_candidates, 1u);
       EXPECT_EQ(m.candidates[0].address.port, 48723);
     }},
    {false, "a=end-of-candidates", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.end_of_candidates);
       EXPECT_FALSE(s.end_of_candidates);
     }},
    {false, "a=ice-ufrag:CEoY", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.ice_ufrag, "CEoY");
       EXPECT_EQ(s.ice_ufrag, nullptr);
     }},
    {false, "a=ice-pwd:8cuw7gbakVAZBqOXJcPsKIEF", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.ice_pwd, "8cuw7gbakVAZBqOXJcPsKIEF");
     }},
    {false, "a=ice-options:ice2,trickle", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.ice_options, "ice2,trickle");
     }},
    {false, kSha1Line.c_str(), nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_fingerprints, 1u);
       EXPECT_EQ(m.fingerprints[0].algorithm, RTC_HASH_SHA1);
     }},
    {false, kSha384Line.c_str(), nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_fingerprints, 1u);
       EXPECT_EQ(m.fingerprints[0].algorithm, RTC_HASH_SHA384);
       EXPECT_EQ(m.fingerprints[0].digest_len, 48u);
     }},
    {false, "a=setup:actpass", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.setup, RTC_SDP_SETUP_ACTPASS);
     }},
    {false, "a=setup:active", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.setup, RTC_SDP_SETUP_ACTIVE);
     }},
    {false, "a=setup:holdconn", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.setup, RTC_SDP_SETUP_HOLDCONN);
     }},
    {false, "a=tls-id:abcdefghij0123456789", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.tls_id, "abcdefghij0123456789");
     }},
    {false, "a=sctp-port:5000", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.has_sctp_port);
       EXPECT_EQ(m.sctp_port, 5000);
     }},
    {false, "a=sctpmap:5000 webrtc-datachannel 1024", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_FALSE(m.has_sctp_port);
       ASSERT_TRUE(m.has_sctpmap);
       EXPECT_EQ(m.sctpmap.streams, 1024u);
     }},
    {false, "a=sctpmap:5000 webrtc-datachannel", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_TRUE(m.has_sctpmap);
       EXPECT_EQ(m.sctpmap.streams, 0u);
     }},
    {false, "a=max-message-size:18446744073709551615", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.has_max_message_size);
       EXPECT_EQ(m.max_message_size, UINT64_MAX);
     }},
    {false, "a=max-message-size:0", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.has_max_message_size);
       EXPECT_EQ(m.max_message_size, 0u);
     }},
    {false, "a=extmap-allow-mixed", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.extmap_allow_mixed);
       EXPECT_FALSE(s.extmap_allow_mixed);
     }},
    {false, "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_extmaps, 1u);
       EXPECT_EQ(m.extmaps[0].id, 14);
       EXPECT_EQ(m.extmaps[0].direction, RTC_SDP_DIRECTION_NONE);
       EXPECT_EQ(m.extmaps[0].attributes, nullptr);
     }},
    {false, "a=extmap:255/inactive urn:x", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.extmaps[0].id, 255);
       EXPECT_EQ(m.extmaps[0].direction, RTC_SDP_DIRECTION_INACTIVE);
     }},
    {false, "a=extmap:15 urn:x", nullptr,  // valid in the two-byte form
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.extmaps[0].id, 15);
     }},
    {false, "a=sendrecv", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.direction, RTC_SDP_DIRECTION_SENDRECV);
     }},
    {false, "a=sendonly", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.direction, RTC_SDP_DIRECTION_SENDONLY);
     }},
    {false, "a=inactive", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.direction, RTC_SDP_DIRECTION_INACTIVE);
     }},
    {false, "a=msid:stream track", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_msids, 1u);
       EXPECT_STREQ(m.msids[0].stream_id, "stream");
       EXPECT_STREQ(m.msids[0].track_id, "track");
     }},
    {false, "a=msid:- track", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.msids[0].stream_id, "-");
     }},
    {false, "a=msid:stream", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.msids[0].track_id, nullptr);
     }},
    {false, "a=rtcp-mux", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.rtcp_mux);
       EXPECT_FALSE(m.rtcp_mux_only);
     }},
    {false, "a=rtcp-mux-only", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.rtcp_mux_only);
     }},
    {false, "a=rtcp-rsize", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_TRUE(m.rtcp_rsize);
     }},
    {false,
     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
     "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
     nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_cryptos, 1u);
       EXPECT_TRUE(StartsWith(m.cryptos[0], "1 AES_CM_128_HMAC_SHA1_80 "));
     }},
    {false, "a=rtpmap:111 opus/48000/2", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_rtpmaps, 1u);
       EXPECT_EQ(m.rtpmaps[0].pt, 111);
       EXPECT_STREQ(m.rtpmaps[0].encoding, "opus");
       EXPECT_EQ(m.rtpmaps[0].clock_rate, 48000u);
       EXPECT_EQ(m.rtpmaps[0].channels, 2u);
     }},
    {false, "a=rtpmap:0 PCMU/8000", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.rtpmaps[0].pt, 0);
       EXPECT_EQ(m.rtpmaps[0].channels, 0u);
     }},
    {false, "a=fmtp:111 minptime=10;useinbandfec=1", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_fmtps, 1u);
       EXPECT_EQ(m.fmtps[0].pt, 111);
       EXPECT_STREQ(m.fmtps[0].params, "minptime=10;useinbandfec=1");
     }},
    {false, "a=fmtp:111", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.fmtps[0].params, "");
     }},
    {false, "a=rtcp-fb:111 nack pli", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_rtcp_fbs, 1u);
       EXPECT_EQ(m.rtcp_fbs[0].pt, 111);
       EXPECT_STREQ(m.rtcp_fbs[0].value, "nack pli");
     }},
    {false, "a=rtcp-fb:* trr-int 100", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.rtcp_fbs[0].pt, RTC_SDP_PT_ANY);
       EXPECT_STREQ(m.rtcp_fbs[0].value, "trr-int 100");
     }},
    {false, "a=ssrc-group:FID 1757556746 4271531313", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_ssrc_groups, 1u);
       EXPECT_EQ(m.ssrc_groups[0].ssrcs[0], 1757556746u);
     }},
    {false, "a=ssrc-group:SIM", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.ssrc_groups[0].num_ssrcs, 0u);
     }},
    {false, "a=ssrc:4294967295 cname:x", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_ssrcs, 1u);
       EXPECT_EQ(m.ssrcs[0].ssrc, UINT32_MAX);
       EXPECT_STREQ(m.ssrcs[0].attribute, "cname");
       EXPECT_STREQ(m.ssrcs[0].value, "x");
     }},
    {false, "a=ssrc:1 msid:stream track", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.ssrcs[0].value, "stream track");
     }},
    {false, "a=ssrc:1 flag", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.ssrcs[0].attribute, "flag");
       EXPECT_EQ(m.ssrcs[0].value, nullptr);
     }},
    {false, "a=ssrc:1 empty:", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.ssrcs[0].value, "");
     }},
    {false, "a=rid:hi send pt=96;max-width=1280", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_rids, 1u);
       EXPECT_STREQ(m.rids[0].id, "hi");
       EXPECT_TRUE(m.rids[0].send);
       EXPECT_STREQ(m.rids[0].params, "pt=96;max-width=1280");
     }},
    {false, "a=rid:lo_1 recv", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_FALSE(m.rids[0].send);
       EXPECT_EQ(m.rids[0].params, nullptr);
     }},
    {false, "a=simulcast:send q;h;f", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.simulcast.send, "q;h;f");
       EXPECT_EQ(m.simulcast.recv, nullptr);
     }},
    {false, "a=simulcast:recv ~1;2 send 3,4", "a=simulcast:send 3,4 recv ~1;2",
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.simulcast.send, "3,4");
       EXPECT_STREQ(m.simulcast.recv, "~1;2");
     }},
    {false, "a=ptime:20", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       ASSERT_EQ(m.num_attributes, 1u);
       EXPECT_STREQ(m.attributes[0].name, "ptime");
       EXPECT_STREQ(m.attributes[0].value, "20");
       EXPECT_EQ(m.attributes[0].after, RTC_SDP_SLOT_START);
     }},
    {false, "a=x-flag", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_EQ(m.attributes[0].value, nullptr);
     }},
    {false, "a=x-empty:", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.attributes[0].value, "");
     }},
    {false, "a=x-spaced: leading", nullptr,
     [](const rtc_sdp_session&, const rtc_sdp_media& m) {
       EXPECT_STREQ(m.attributes[0].value, " leading");
     }},
    // Session-only attributes in a media section mean nothing there: kept.
    {false, "a=group:BUNDLE 0", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_EQ(s.num_groups, 0u);
       ASSERT_EQ(m.num_attributes, 1u);
       EXPECT_STREQ(m.attributes[0].name, "group");
     }},
    {false, "a=ice-lite", nullptr,
     [](const rtc_sdp_session& s, const rtc_sdp_media& m) {
       EXPECT_FALSE(s.ice_lite);
       EXPECT_EQ(m.num_attributes, 1u);
     }},
};

TEST(SdpAttributes, EachAttributeParsesAndIsWrittenBack) {
  for (const AttributeCase& c : kAttributeCases) {
    SCOPED_TRACE(c.line);
    std::string text =
        c.session_level ? WithSessionLine(c.line) : WithMediaLine(c.line);
    Session s = Parse(text);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->num_media, 1u);
    c.check(*s, *s->media[0]);
    std::string out = Serialize(s.get());
    std::vector<std::string> lines = Lines(out);
    std::string expected = c.written ? c.written : c.line;
    EXPECT_NE(std::find(lines.begin(), lines.end(), expected), lines.end())
        << out;
    // The line lands in the right section.
    size_t m_line = out.find("m=audio");
    size_t at = out.find(expected + "\r\n");
    EXPECT_EQ(at < m_line, c.session_level);
    Session again = Parse(out);
    ASSERT_TRUE(again);
    EXPECT_TRUE(rtc_sdp_session_equal(s.get(), again.get()));
    if (!c.written) {
      EXPECT_EQ(out, text);  // one attribute: nothing to reorder
    }
  }
}

TEST(SdpLines, ReadsEverySessionLineType) {
  Session s = Parse(
      "v=0\r\n"
      "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
      "s=SDP Seminar\r\n"
      "i=A Seminar on the session description protocol\r\n"
      "u=http://www.example.com/seminars/sdp.pdf\r\n"
      "e=j.doe@example.com (Jane Doe)\r\n"
      "e=other@example.com\r\n"
      "p=+1 617 555-6011\r\n"
      "c=IN IP4 224.2.17.12/127\r\n"
      "b=CT:128\r\n"
      "t=2873397496 2873404696\r\n"
      "r=7d 1h 0 25h\r\n"
      "r=604800 3600 0 90000\r\n"
      "z=2882844526 -1h 2898848070 0\r\n"
      "t=0 0\r\n"
      "k=clear:obsolete\r\n"
      "a=recvonly\r\n"
      "m=audio 49170 RTP/AVP 0\r\n"
      "i=the audio\r\n"
      "c=IN IP6 ff15::101/3\r\n"
      "b=AS:64\r\n"
      "b=TIAS:64000\r\n"
      "k=prompt\r\n"
      "m=video 51372/2 RTP/AVP 99\r\n"
      "a=rtpmap:99 h263-1998/90000\r\n");
  ASSERT_TRUE(s);
  EXPECT_STREQ(s->origin.username, "jdoe");
  EXPECT_EQ(s->origin.session_version, 2890842807u);
  EXPECT_STREQ(s->name, "SDP Seminar");
  EXPECT_STREQ(s->information, "A Seminar on the session description protocol");
  EXPECT_STREQ(s->uri, "http://www.example.com/seminars/sdp.pdf");
  ASSERT_EQ(s->num_emails, 2u);
  EXPECT_STREQ(s->emails[0], "j.doe@example.com (Jane Doe)");
  ASSERT_EQ(s->num_phones, 1u);
  EXPECT_STREQ(s->connection.address, "224.2.17.12/127");
  ASSERT_EQ(s->num_bandwidths, 1u);
  EXPECT_STREQ(s->bandwidths[0].type, "CT");
  EXPECT_EQ(s->bandwidths[0].value, 128u);
  ASSERT_EQ(s->num_times, 2u);
  EXPECT_EQ(s->times[0].start, 2873397496u);
  ASSERT_EQ(s->times[0].num_repeats, 2u);
  EXPECT_STREQ(s->times[0].repeats[0], "7d 1h 0 25h");
  EXPECT_STREQ(s->times[0].zone, "2882844526 -1h 2898848070 0");
  EXPECT_EQ(s->times[1].num_repeats, 0u);
  EXPECT_EQ(s->direction, RTC_SDP_DIRECTION_RECVONLY);
  ASSERT_EQ(s->num_media, 2u);
  const rtc_sdp_media* audio = s->media[0];
  EXPECT_STREQ(audio->information, "the audio");
  EXPECT_STREQ(audio->connection.addrtype, "IP6");
  ASSERT_EQ(audio->num_bandwidths, 2u);
  EXPECT_EQ(audio->bandwidths[1].value, 64000u);
  EXPECT_EQ(s->media[1]->port, 51372);
  EXPECT_EQ(s->media[1]->num_ports, 2u);
  EXPECT_EQ(s->media[1]->connection.nettype, nullptr);

  // k= lines are dropped (RFC 8866 §5.12); the rest comes back as written.
  EXPECT_EQ(Serialize(s.get()),
            "v=0\r\n"
            "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
            "s=SDP Seminar\r\n"
            "i=A Seminar on the session description protocol\r\n"
            "u=http://www.example.com/seminars/sdp.pdf\r\n"
            "e=j.doe@example.com (Jane Doe)\r\n"
            "e=other@example.com\r\n"
            "p=+1 617 555-6011\r\n"
            "c=IN IP4 224.2.17.12/127\r\n"
            "b=CT:128\r\n"
            "t=2873397496 2873404696\r\n"
            "r=7d 1h 0 25h\r\n"
            "r=604800 3600 0 90000\r\n"
            "z=2882844526 -1h 2898848070 0\r\n"
            "t=0 0\r\n"
            "a=recvonly\r\n"
            "m=audio 49170 RTP/AVP 0\r\n"
            "i=the audio\r\n"
            "c=IN IP6 ff15::101/3\r\n"
            "b=AS:64\r\n"
            "b=TIAS:64000\r\n"
            "m=video 51372/2 RTP/AVP 99\r\n"
            "a=rtpmap:99 h263-1998/90000\r\n");
}

TEST(SdpLines, KeepsSessionIdsThatDoNotFitIn64Bits) {
  Session s = Parse(
      "v=0\r\no=- 99999999999999999999 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
  ASSERT_TRUE(s);
  EXPECT_STREQ(s->origin.session_id, "99999999999999999999");
  EXPECT_FALSE(s->origin.session_id_fits);
  EXPECT_EQ(s->num_media, 0u);
  EXPECT_EQ(Serialize(s.get()),
            "v=0\r\no=- 99999999999999999999 1 IN IP4 0.0.0.0\r\ns=-\r\n"
            "t=0 0\r\n");
  Session max = Parse(
      "v=0\r\no=- 18446744073709551615 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
  ASSERT_TRUE(max);
  EXPECT_TRUE(max->origin.session_id_fits);
  EXPECT_EQ(max->origin.session_id_value, UINT64_MAX);
}

TEST(SdpLines, AcceptsZoneDirectlyAfterTimeAsRfc4566Did) {
  Session s = Parse(std::string(kHead) + "z=2882844526 -1h\r\n");
  ASSERT_TRUE(s);
  EXPECT_STREQ(s->times[0].zone, "2882844526 -1h");
}

TEST(SdpLines, ToleratesTrailingBlanksAndRepeatedSpaces) {
  Session s = Parse(
      "v=0 \r\no=- 1  2 IN IP4 127.0.0.1\t\r\ns=-\r\nt=0   0\r\n"
      "m=audio 9  UDP/TLS/RTP/SAVPF  111\r\n"
      "a=rtpmap:111  opus/48000/2  \r\n"
      "a=msid:a   b\r\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->origin.session_version, 2u);
  EXPECT_STREQ(s->media[0]->rtpmaps[0].encoding, "opus");
  EXPECT_STREQ(s->media[0]->msids[0].track_id, "b");
}

TEST(SdpLines, AcceptsIdenticalRepeatsOfSingleValuedAttributes) {
  Session s = Parse(WithMediaLine(
      "a=mid:0\r\na=mid:0\r\na=sendrecv\r\na=sendrecv\r\na=setup:active\r\n"
      "a=setup:active\r\na=rtcp-mux\r\na=rtcp-mux"));
  ASSERT_TRUE(s);
  EXPECT_STREQ(s->media[0]->mid, "0");
  EXPECT_EQ(s->media[0]->direction, RTC_SDP_DIRECTION_SENDRECV);
  EXPECT_EQ(Serialize(s.get()),
            WithMediaLine("a=setup:active\r\na=mid:0\r\na=sendrecv\r\n"
                          "a=rtcp-mux"));
}

TEST(SdpLines, KeepsFormatAttributesOfNonRtpSectionsVerbatim) {
  Session s = Parse(std::string(kHead) +
                    "m=application 9 DTLS/SCTP webrtc-datachannel\r\n"
                    "a=fmtp:webrtc-datachannel max-message-size=100000\r\n"
                    "a=fmtp:5000 protocol=webrtc-datachannel\r\n");
  ASSERT_TRUE(s);
  const rtc_sdp_media* m = s->media[0];
  // Neither "webrtc-datachannel" nor "5000" is a payload type.
  ASSERT_EQ(m->num_attributes, 2u);
  EXPECT_STREQ(m->attributes[0].name, "fmtp");
  EXPECT_STREQ(m->attributes[0].value,
               "webrtc-datachannel max-message-size=100000");
  EXPECT_STREQ(m->attributes[1].value, "5000 protocol=webrtc-datachannel");
  EXPECT_EQ(m->num_fmtps, 0u);
  // Nor is "*" a payload type outside RTP.
  Session star = Parse(std::string(kHead) +
                       "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                       "a=rtcp-fb:* nack\r\n");
  ASSERT_TRUE(star);
  EXPECT_EQ(star->media[0]->num_rtcp_fbs, 0u);
  EXPECT_EQ(star->media[0]->num_attributes, 1u);
  // In an RTP section the same lines are errors.
  Session rtp;
  EXPECT_EQ(TryParse(WithMediaLine("a=fmtp:webrtc-datachannel x=1"), &rtp),
            RTC_ERR_SDP_SYNTAX);
}

// --- Order -----------------------------------------------------------------

TEST(SdpOrder, WritesAttributesInChromeOrderWhateverTheInputOrder) {
  Session s = Parse(std::string(kHead) +
                    "a=msid-semantic:WMS *\r\n"
                    "a=extmap-allow-mixed\r\n"
                    "a=group:BUNDLE 0\r\n"
                    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
                    "c=IN IP4 0.0.0.0\r\n"
                    "a=ssrc:1 cname:c\r\n"
                    "a=rtpmap:0 PCMU/8000\r\n"
                    "a=fmtp:111 minptime=10\r\n"
                    "a=rtcp-fb:111 transport-cc\r\n"
                    "a=rtpmap:111 opus/48000/2\r\n"
                    "a=rtcp-mux\r\n"
                    "a=msid:s t\r\n"
                    "a=sendrecv\r\n"
                    "a=extmap:1 urn:x\r\n"
                    "a=mid:0\r\n"
                    "a=setup:actpass\r\n" +
                    kSha256Line +
                    "\r\n"
                    "a=ice-options:trickle\r\n"
                    "a=ice-pwd:0123456789abcdefghijkl\r\n"
                    "a=ice-ufrag:abcd\r\n"
                    "a=end-of-candidates\r\n"
                    "a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n"
                    "a=rtcp:9 IN IP4 0.0.0.0\r\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(Serialize(s.get()),
            std::string(kHead) +
                "a=group:BUNDLE 0\r\n"
                "a=extmap-allow-mixed\r\n"
                "a=msid-semantic:WMS *\r\n"
                "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
                "c=IN IP4 0.0.0.0\r\n"
                "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                "a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n"
                "a=end-of-candidates\r\n"
                "a=ice-ufrag:abcd\r\n"
                "a=ice-pwd:0123456789abcdefghijkl\r\n"
                "a=ice-options:trickle\r\n" +
                kSha256Line +
                "\r\n"
                "a=setup:actpass\r\n"
                "a=mid:0\r\n"
                "a=extmap:1 urn:x\r\n"
                "a=sendrecv\r\n"
                "a=msid:s t\r\n"
                "a=rtcp-mux\r\n"
                "a=rtpmap:111 opus/48000/2\r\n"
                "a=rtcp-fb:111 transport-cc\r\n"
                "a=fmtp:111 minptime=10\r\n"
                "a=rtpmap:0 PCMU/8000\r\n"
                "a=ssrc:1 cname:c\r\n");
}

TEST(SdpOrder, GroupsCodecLinesByPayloadTypeInMLineOrder) {
  Session s = Parse(std::string(kHead) +
                    "m=video 9 UDP/TLS/RTP/SAVPF 97 96\r\n"
                    "a=rtcp-fb:96 nack\r\n"
                    "a=fmtp:120 x=1\r\n"
                    "a=fmtp:97 apt=96\r\n"
                    "a=rtcp-fb:* ccm fir\r\n"
                    "a=rtpmap:96 VP8/90000\r\n"
                    "a=rtpmap:5 DVI4/8000\r\n"
                    "a=rtcp-fb:96 nack pli\r\n"
                    "a=rtpmap:97 rtx/90000\r\n");
  ASSERT_TRUE(s);
  const rtc_sdp_media* m = s->media[0];
  // Canonical arrays: already in write order.
  EXPECT_EQ(m->rtpmaps[0].pt, 97);
  EXPECT_EQ(m->rtpmaps[1].pt, 96);
  EXPECT_EQ(m->rtpmaps[2].pt, 5);
  EXPECT_EQ(m->rtcp_fbs[0].pt, RTC_SDP_PT_ANY);
  EXPECT_STREQ(m->rtcp_fbs[2].value, "nack pli");
  EXPECT_EQ(Serialize(s.get()), std::string(kHead) +
                                    "m=video 9 UDP/TLS/RTP/SAVPF 97 96\r\n"
                                    "a=rtcp-fb:* ccm fir\r\n"
                                    "a=rtpmap:97 rtx/90000\r\n"
                                    "a=fmtp:97 apt=96\r\n"
                                    "a=rtpmap:96 VP8/90000\r\n"
                                    "a=rtcp-fb:96 nack\r\n"
                                    "a=rtcp-fb:96 nack pli\r\n"
                                    "a=rtpmap:5 DVI4/8000\r\n"
                                    "a=fmtp:120 x=1\r\n");
}

TEST(SdpOrder, UnknownAttributesStayAfterTheAttributeTheyFollowed) {
  std::string text = std::string(kHead) +
                     "a=x-first\r\n"
                     "a=group:BUNDLE 0\r\n"
                     "a=x-after-group:1\r\n"
                     "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                     "a=x-media-first:1\r\n"
                     "a=mid:0\r\n"
                     "a=x-after-mid:1\r\n"
                     "a=x-after-mid:2\r\n"
                     "a=rtcp-rsize\r\n"
                     "a=rtcp-xr:rcvr-rtt=all\r\n"
                     "a=rtpmap:111 opus/48000/2\r\n"
                     "a=ptime:20\r\n";
  Session s = Parse(text);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->attributes[0].after, RTC_SDP_SLOT_START);
  EXPECT_EQ(s->attributes[1].after, RTC_SDP_SLOT_GROUP);
  const rtc_sdp_media* m = s->media[0];
  ASSERT_EQ(m->num_attributes, 5u);
  EXPECT_EQ(m->attributes[1].after, RTC_SDP_SLOT_MID);
  EXPECT_EQ(m->attributes[3].after, RTC_SDP_SLOT_RTCP_RSIZE);
  EXPECT_EQ(m->attributes[4].after, RTC_SDP_SLOT_CODECS);
  EXPECT_EQ(Serialize(s.get()), text);
}

TEST(SdpOrder, ReordersUnknownAttributesWithTheKnownOnesTheyFollow) {
  // Firefox-like order: ice-pwd before ice-ufrag, mid before setup.
  Session s = Parse(WithMediaLine(
      "a=mid:0\r\na=x-a:1\r\na=ice-ufrag:abcd\r\na=x-b:2\r\na=setup:active"));
  ASSERT_TRUE(s);
  const rtc_sdp_media* m = s->media[0];
  ASSERT_EQ(m->num_attributes, 2u);
  // Canonical: x-b (after ice-ufrag) comes before x-a (after mid).
  EXPECT_STREQ(m->attributes[0].name, "x-b");
  EXPECT_STREQ(m->attributes[1].name, "x-a");
  std::string out = Serialize(s.get());
  EXPECT_EQ(out, WithMediaLine("a=ice-ufrag:abcd\r\na=x-b:2\r\na=setup:active"
                               "\r\na=mid:0\r\na=x-a:1"));
  Session again = Parse(out);
  EXPECT_TRUE(rtc_sdp_session_equal(s.get(), again.get()));
}

// --- Errors ----------------------------------------------------------------

struct ErrorCase {
  std::string text;
  int line;
  const char* message;  // a substring of info.message
};

std::string Head(const std::string& rest) {
  return std::string(kHead) + rest;
}

const char kVos[] = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n";

std::vector<ErrorCase> ErrorCases() {
  const std::string vos = kVos;
  const std::string media = std::string(kHead) + kAudio;
  return {
      // Line structure (RFC 8866 §5).
      {"", 1, "missing v=0 line"},
      {"o=- 1 1 IN IP4 0.0.0.0\r\n", 1, "must start with v=0"},
      {"v=1\r\n", 1, "unsupported SDP version '1'"},
      {"v=0\r\ns=-\r\n", 2, "expected o= as the second line"},
      {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n", 3,
       "expected s= as the third line"},
      {"v=0\r\n", 2, "missing o= line"},
      {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", 3, "missing s= line"},
      {vos, 4, "missing t= line"},
      {vos + "a=x\r\n", 4, "missing t= line before a="},
      {vos + "k=x\r\n", 4, "missing t= line before k="},
      {vos + "m=audio 9 RTP/AVP 0\r\n", 4, "missing t= line before m="},
      {Head("x=foo\r\n"), 5, "unknown line type 'x='"},
      {Head("A=foo\r\n"), 5, "unknown line type 'A='"},
      {Head("hello\r\n"), 5, "expected <type>=<value>"},
      {Head("a =x\r\n"), 5, "expected <type>=<value>"},
      {Head("1=x\r\n"), 5, "expected <type>=<value>"},
      {Head("a\r\n"), 5, "expected <type>=<value>"},
      {Head("\r\na=x\r\n"), 5, "empty line"},
      {Head("a=x\r\n\r\n"), 6, "empty line"},
      {Head(" \t \r\n"), 5, "empty line"},
      {Head(std::string("a=x\0y\r\n", 7)), 5, "NUL byte at column 4"},
      {Head("a=x\x01\r\n"), 5, "control character 0x01"},
      {Head("a=x\ry\r\n"), 5, "control character 0x0d"},
      {Head("a=x\x7f\r\n"), 5, "control character 0x7f"},
      {Head("a=x\x1b[31m\r\n"), 5, "control character 0x1b"},
      {vos + "c=IN IP4 0.0.0.0\r\ni=late\r\nt=0 0\r\n", 5,
       "i= line out of order"},
      {vos + "b=AS:1\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n", 5,
       "c= line out of order"},
      {vos + "u=a\r\nu=b\r\nt=0 0\r\n", 5, "u= line out of order"},
      {Head("s=again\r\n"), 5, "duplicate s= line"},
      {Head("v=0\r\n"), 5, "duplicate v= line"},
      {Head("o=- 1 1 IN IP4 0.0.0.0\r\n"), 5, "duplicate o= line"},
      {vos + "r=1 2 3\r\nt=0 0\r\n", 4, "r= must follow t= or r="},
      {Head("a=x\r\nt=0 0\r\n"), 6, "t= after the attributes"},
      {Head("z=1 -1h\r\nz=2 0\r\n"), 6, "z= must follow t= or r="},
      {Head("z=1 -1h\r\nr=1 2 3\r\n"), 6, "r= must follow t= or r="},
      {Head("c=IN IP4 0.0.0.0\r\n"), 5, "c= line out of order"},
      {Head("a=x\r\nk=late\r\n"), 6, "k= line out of order"},
      // m= (RFC 8866 §5.14).
      {Head("m=audio 65536 RTP/AVP 0\r\n"), 5, "invalid port '65536'"},
      {Head("m=audio x RTP/AVP 0\r\n"), 5, "invalid port 'x'"},
      {Head("m=audio -1 RTP/AVP 0\r\n"), 5, "invalid port"},
      {Head("m=audio 9/0 RTP/AVP 0\r\n"), 5, "invalid number of ports"},
      {Head("m=audio 9/x RTP/AVP 0\r\n"), 5, "invalid number of ports"},
      {Head("m=audio 9 RTP/AVP 128\r\n"), 5,
       "payload type '128' not in 0..127"},
      {Head("m=video 9 UDP/TLS/RTP/SAVPF 96 x\r\n"), 5,
       "payload type 'x' not in 0..127"},
      {Head("m=audio 9 RTP/AVP\r\n"), 5, "m=: no fmt"},
      {Head("m=audio 9\r\n"), 5, "missing or invalid proto"},
      {Head("m=audio\r\n"), 5, "missing port"},
      {Head("m=\r\n"), 5, "missing or invalid media type"},
      {Head("m=au(dio 9 RTP/AVP 0\r\n"), 5, "missing or invalid media type"},
      {Head("m=audio 9 RTP//AVP 0\r\n"), 5, "missing or invalid proto"},
      {Head("m=audio 9 RTP/AVP/ 0\r\n"), 5, "missing or invalid proto"},
      {Head("m=audio 9 /RTP 0\r\n"), 5, "missing or invalid proto"},
      {Head("m=application 9 UDP/DTLS/SCTP web,rtc\r\n"), 5,
       "invalid fmt 'web,rtc'"},
      {media + "c=IN IP4 0.0.0.0\r\n", 7,
       "more than one c= line in a media section"},
      {media + "s=x\r\n", 7, "s= line not allowed in a media section"},
      {media + "v=0\r\n", 7, "v= line not allowed in a media section"},
      {media + "o=- 1 1 IN IP4 0.0.0.0\r\n", 7,
       "o= line not allowed in a media section"},
      {media + "z=1 -1h\r\n", 7, "z= line not allowed in a media section"},
      {media + "t=0 0\r\n", 7, "t= line not allowed in a media section"},
      {media + "a=x\r\nb=AS:1\r\n", 8, "b= line out of order"},
      {media + "i=late\r\n", 7, "i= line out of order"},
      {media + "q=1\r\n", 7, "unknown line type 'q='"},
      // o=, t=, c=, b= (RFC 8866 §5.2, §5.9, §5.7, §5.8).
      {"v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", 2, "o=: expected"},
      {"v=0\r\no=- 1 1 IN IP4 0.0.0.0 x\r\ns=-\r\nt=0 0\r\n", 2,
       "o=: expected"},
      {"v=0\r\no=- 1a 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 2,
       "session id '1a' is not 1 to 20 digits"},
      {"v=0\r\no=- 123456789012345678901 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
       2, "is not 1 to 20 digits"},
      {"v=0\r\no=- 1 x IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 2,
       "invalid session version 'x'"},
      {"v=0\r\no=- 1 18446744073709551616 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
       2, "invalid session version"},
      {vos + "t=0\r\n", 4, "t=: expected <start-time> <stop-time>"},
      {vos + "t=a b\r\n", 4, "t=: expected"},
      {vos + "t=0 0 0\r\n", 4, "t=: expected"},
      {vos + "c=IN IP4\r\nt=0 0\r\n", 4, "c=: expected"},
      {vos + "b=AS\r\nt=0 0\r\n", 4, "b=: expected <bwtype>:<bandwidth>"},
      {vos + "b=AS:x\r\nt=0 0\r\n", 4, "b=: invalid bandwidth 'x'"},
      {vos + "b=A S:1\r\nt=0 0\r\n", 4, "b=: invalid bandwidth type"},
      // Attributes (RFC 8866 §5.13).
      {WithSessionLine("a=foo bar"), 5, "invalid attribute name 'foo bar'"},
      {WithSessionLine("a="), 5, "invalid attribute name ''"},
      {WithSessionLine("a=:x"), 5, "invalid attribute name"},
      {WithMediaLine("a=sendrecv:yes"), 7, "a=sendrecv takes no value"},
      {WithMediaLine("a=rtcp-mux:1"), 7, "a=rtcp-mux takes no value"},
      {WithMediaLine("a=mid"), 7, "a=mid needs a value"},
      {WithMediaLine("a=mid:0\r\na=mid:1"), 8, "conflicting a=mid"},
      {WithMediaLine("a=sendrecv\r\na=recvonly"), 8,
       "conflicting a=recvonly after a=sendrecv"},
      {WithSessionLine("a=setup:active\r\na=setup:passive"), 6,
       "conflicting a=setup"},
      {WithMediaLine("a=mid:a,b"), 7, "a=mid: invalid identification tag"},
      {WithSessionLine("a=group:"), 5, "a=group: missing or invalid semantics"},
      {WithSessionLine("a=group:BUNDLE a,b"), 5,
       "a=group: invalid identification tag 'a,b'"},
      {WithSessionLine("a=msid-semantic:"), 5,
       "a=msid-semantic: missing or invalid semantic"},
      // Lengths and characters are JSEP's to check (InvalidAccessError);
      // the grammar only wants one token.
      {WithMediaLine("a=ice-ufrag:"), 7, "a=ice-ufrag: not one token"},
      {WithMediaLine("a=ice-pwd:"), 7, "a=ice-pwd: not one token"},
      {WithMediaLine("a=fingerprint:md5 " + Digest(16)), 7,
       "unsupported fingerprint hash"},
      {WithMediaLine("a=fingerprint:sha-999 AA"), 7,
       "unsupported fingerprint hash"},
      {WithMediaLine("a=fingerprint:sha-256 AB:CD"), 7,
       "invalid a=fingerprint"},
      {WithMediaLine("a=fingerprint:sha-256 " + Digest(31) + ":G0"), 7,
       "invalid a=fingerprint"},
      {WithMediaLine("a=setup:bogus"), 7, "a=setup: unknown role 'bogus'"},
      {WithMediaLine("a=tls-id:short"), 7, "a=tls-id: not 20 to 255"},
      {WithMediaLine("a=extmap:0 urn:x"), 7, "a=extmap: id '0' not in 1..255"},
      {WithMediaLine("a=extmap:256 urn:x"), 7, "not in 1..255"},
      {WithMediaLine("a=extmap:4096 urn:x"), 7, "not in 1..255"},
      {WithMediaLine("a=extmap:x urn:x"), 7, "not in 1..255"},
      {WithMediaLine("a=extmap:1/sideways urn:x"), 7,
       "a=extmap: unknown direction 'sideways'"},
      {WithMediaLine("a=extmap:1"), 7, "a=extmap: missing URI"},
      {WithMediaLine("a=extmap:"), 7, "a=extmap: missing id"},
      {WithMediaLine("a=extmap:1 urn:x\r\na=extmap:1 urn:y"), 8,
       "a=extmap: id 1 used twice"},
      {WithMediaLine("a=rtcp:x"), 7, "a=rtcp: invalid port"},
      {WithMediaLine("a=rtcp:9 IN IP4"), 7, "a=rtcp: expected <port>"},
      {WithMediaLine("a=rtcp:9 IN IP4 1.2.3.4 x"), 7, "a=rtcp: too many"},
      {WithMediaLine("a=candidate:garbage"), 7, "invalid a=candidate: "},
      {WithMediaLine("a=candidate:1 1 udp 1 1.2.3.4 99999 typ host"), 7,
       "invalid a=candidate"},
      {WithMediaLine("a=sctp-port:abc"), 7, "a=sctp-port: invalid port"},
      {WithMediaLine("a=sctp-port:70000"), 7, "a=sctp-port: invalid port"},
      {WithMediaLine("a=sctpmap:x webrtc-datachannel"), 7,
       "a=sctpmap: invalid port"},
      {WithMediaLine("a=sctpmap:5000"), 7, "a=sctpmap: missing protocol"},
      {WithMediaLine("a=sctpmap:5000 w x"), 7,
       "a=sctpmap: invalid number of streams"},
      {WithMediaLine("a=sctpmap:5000 w 1 2"), 7, "a=sctpmap: too many"},
      {WithMediaLine("a=max-message-size:-1"), 7,
       "a=max-message-size: invalid size"},
      {WithMediaLine("a=max-message-size:18446744073709551616"), 7,
       "a=max-message-size: invalid size"},
      {WithMediaLine("a=max-message-size:"), 7, "a=max-message-size"},
      {WithMediaLine("a=msid:"), 7, "a=msid: missing stream id"},
      {WithMediaLine("a=msid:a b c"), 7, "a=msid: too many fields"},
      {WithMediaLine("a=rtpmap:128 x/1"), 7,
       "a=rtpmap: payload type '128' not in 0..127"},
      {WithMediaLine("a=rtpmap:-1 x/1"), 7, "a=rtpmap: payload type"},
      {WithMediaLine("a=rtpmap:96 VP8"), 7, "a=rtpmap: missing clock rate"},
      {WithMediaLine("a=rtpmap:96"), 7, "a=rtpmap: expected"},
      {WithMediaLine("a=rtpmap:96 VP8/x"), 7, "a=rtpmap: invalid clock rate"},
      {WithMediaLine("a=rtpmap:96 VP8/4294967296"), 7,
       "a=rtpmap: invalid clock rate"},
      {WithMediaLine("a=rtpmap:96 VP8/90000/x"), 7,
       "a=rtpmap: invalid encoding parameters"},
      {WithMediaLine("a=rtpmap:96 VP8/90000/2/3"), 7,
       "a=rtpmap: invalid encoding parameters"},
      {WithMediaLine("a=rtpmap:96 VP8/90000 x"), 7, "a=rtpmap: expected"},
      {WithMediaLine("a=rtpmap:96 /90000"), 7,
       "a=rtpmap: invalid encoding name"},
      {WithMediaLine("a=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP9/90000"), 8,
       "a=rtpmap: payload type 96 mapped twice"},
      {WithMediaLine("a=fmtp:x y=1"), 7, "a=fmtp: payload type 'x'"},
      {WithMediaLine("a=fmtp:"), 7, "a=fmtp: payload type ''"},
      {WithMediaLine("a=rtcp-fb:200 nack"), 7,
       "a=rtcp-fb: payload type '200' not '*' or in 0..127"},
      {WithMediaLine("a=rtcp-fb:96"), 7, "a=rtcp-fb: missing feedback type"},
      {WithMediaLine("a=ssrc-group:"), 7,
       "a=ssrc-group: missing or invalid semantics"},
      {WithMediaLine("a=ssrc-group:FID 1 x"), 7,
       "a=ssrc-group: invalid ssrc 'x'"},
      {WithMediaLine("a=ssrc:x cname:y"), 7, "a=ssrc: invalid ssrc 'x'"},
      {WithMediaLine("a=ssrc:4294967296 cname:y"), 7, "a=ssrc: invalid ssrc"},
      {WithMediaLine("a=ssrc:1"), 7, "a=ssrc: missing attribute"},
      {WithMediaLine("a=ssrc:1 a b:c"), 7,
       "a=ssrc: invalid attribute name 'a b'"},
      {WithMediaLine("a=rid:"), 7, "a=rid: missing or invalid rid-id"},
      {WithMediaLine("a=rid:a.b send"), 7, "a=rid: missing or invalid rid-id"},
      {WithMediaLine("a=rid:a both"), 7, "a=rid: direction must be send"},
      {WithMediaLine("a=simulcast:"), 7, "a=simulcast: expected"},
      {WithMediaLine("a=simulcast:send"), 7, "a=simulcast: expected"},
      {WithMediaLine("a=simulcast:send a send b"), 7, "a=simulcast: expected"},
      {WithMediaLine("a=simulcast:sideways a"), 7, "a=simulcast: expected"},
      {WithMediaLine("a=simulcast:send a recv b c"), 7,
       "a=simulcast: too many fields"},
  };
}

TEST(SdpErrors, API03_EachMalformedDescriptionIsRejectedWithItsLine) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(c.text);
    rtc_error_info info;
    rtc_error_info_init(&info);
    Session s;
    EXPECT_EQ(TryParse(c.text, &s, &info), RTC_ERR_SDP_SYNTAX);
    EXPECT_FALSE(s);
    EXPECT_EQ(info.code, RTC_ERR_SDP_SYNTAX);
    EXPECT_EQ(info.sdp_line_number, c.line);
    EXPECT_NE(std::string(info.message).find(c.message), std::string::npos)
        << "message: " << info.message;
  }
}

TEST(SdpErrors, SyntaxErrorIsTheRtcErrorSdpSyntaxError) {
  EXPECT_EQ(rtc_error_js_kind(RTC_ERR_SDP_SYNTAX), RTC_JS_RTC_ERROR);
  EXPECT_STREQ(rtc_error_detail_type(RTC_ERR_SDP_SYNTAX), "sdp-syntax-error");
  Session s;
  EXPECT_EQ(TryParse("v=0", &s, nullptr), RTC_ERR_SDP_SYNTAX);  // info NULL
}

TEST(SdpErrors, ErrorLinesCountLfOnlyLinesToo) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  Session s;
  EXPECT_EQ(TryParse(Lf(WithMediaLine("a=rtpmap:96 VP8")), &s, &info),
            RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(info.sdp_line_number, 7);
}

// --- Limits ----------------------------------------------------------------

rtc_error ParseError(const std::string& text, rtc_error_info* info) {
  rtc_error_info_init(info);
  Session s;
  return TryParse(text, &s, info);
}

TEST(SdpLimits, RejectsLineLongerThan64KiB) {
  rtc_error_info info;
  std::string value(RTC_SDP_MAX_LINE_LENGTH - 4, 'x');
  EXPECT_EQ(ParseError(WithMediaLine("a=x:" + value), &info), RTC_OK);
  EXPECT_EQ(ParseError(WithMediaLine("a=x:" + value + "y"), &info),
            RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(info.sdp_line_number, 7);
  EXPECT_NE(strstr(info.message, "line longer than 65536 bytes"), nullptr);
}

TEST(SdpLimits, RejectsMoreThan65536Lines) {
  std::string text = kHead;
  for (unsigned i = 4; i < RTC_SDP_MAX_LINES; i++)
    text += "a=x\r\n";
  rtc_error_info info;
  EXPECT_EQ(ParseError(text, &info), RTC_OK);
  text += "a=x\r\n";
  EXPECT_EQ(ParseError(text, &info), RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(info.sdp_line_number, 65537);
  EXPECT_NE(strstr(info.message, "more than 65536 lines"), nullptr);
}

TEST(SdpLimits, API04_RejectsMoreThan1024MediaSections) {
  std::string text = kHead;
  for (unsigned i = 0; i < RTC_SDP_MAX_MEDIA; i++)
    text += "m=audio 9 RTP/AVP 0\r\n";
  rtc_error_info info;
  EXPECT_EQ(ParseError(text, &info), RTC_OK);
  text += "m=audio 9 RTP/AVP 0\r\n";
  EXPECT_EQ(ParseError(text, &info), RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(info.sdp_line_number, 4 + 1025);
  EXPECT_NE(strstr(info.message, "more than 1024 m= sections"), nullptr);
}

TEST(SdpLimits, API04_RejectsMoreThan4096Candidates) {
  std::string text = std::string(kHead) + kAudio;
  for (unsigned i = 0; i < RTC_SDP_MAX_CANDIDATES; i++)
    text += "a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n";
  rtc_error_info info;
  EXPECT_EQ(ParseError(text, &info), RTC_OK);
  text += "a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n";
  EXPECT_EQ(ParseError(text, &info), RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(info.sdp_line_number, 6 + 4097);
  EXPECT_NE(strstr(info.message, "more than 4096 a=candidate lines"), nullptr);
}

TEST(SdpLimits, RejectsDescriptionsOver4MiBWithTheLineThatCrossesIt) {
  std::string line = "a=x:" + std::string(1000, 'y') + "\r\n";  // 1006 bytes
  std::string text = kHead;                                     // 45 bytes
  while (text.size() + line.size() <= RTC_SDP_MAX_SIZE)
    text += line;
  rtc_error_info info;
  EXPECT_EQ(ParseError(text, &info), RTC_OK);
  size_t lines = 4 + (text.size() - strlen(kHead)) / line.size();
  text += line;
  EXPECT_EQ(ParseError(text, &info), RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(info.sdp_line_number, static_cast<int>(lines + 1));
  EXPECT_NE(strstr(info.message, "larger than 4194304 bytes"), nullptr);
}

TEST(SdpLimits, CountsLfLineEndsAsCrlfTowardTheSizeLimit) {
  // Under the limit with LF ends, over it once every line end is CRLF (as
  // re-serializing would write it): rejected, so what parses always parses
  // again after a round trip.
  std::string line = "a=x:" + std::string(60, 'y') + "\n";
  std::string text = Lf(kHead);
  while (text.size() + line.size() <= RTC_SDP_MAX_SIZE)
    text += line;
  ASSERT_LE(text.size(), RTC_SDP_MAX_SIZE);
  rtc_error_info info;
  EXPECT_EQ(ParseError(text, &info), RTC_ERR_SDP_SYNTAX);
  EXPECT_NE(strstr(info.message, "larger than"), nullptr);
}

// Exactly RTC_SDP_MAX_SIZE bytes: the head, an audio section with
// `candidate`, and filler attributes.
std::string FillToLimit(const std::string& candidate) {
  std::string text = std::string(kHead) + kAudio + candidate + "\r\n";
  while (text.size() < RTC_SDP_MAX_SIZE) {
    size_t room = RTC_SDP_MAX_SIZE - text.size();
    size_t value = std::min<size_t>(1000, room - 6);  // "a=x:" + CRLF
    if (room - (value + 6) > 0 && room - (value + 6) < 7)
      value -= 7;  // leave room for one more whole line
    text += "a=x:" + std::string(value, 'v') + "\r\n";
  }
  return text;
}

TEST(SdpLimits, CountsCandidatesAtTheLengthTheyWillBeWrittenWith) {
  // "::ffff:a:a" is written "::ffff:0.10.0.10": 6 bytes longer. A
  // description at the limit that holds it would not parse once
  // re-serialized, so it does not parse now.
  const std::string grows =
      FillToLimit("a=candidate:1 1 udp 1 ::ffff:a:a 5 typ host");
  const std::string same =
      FillToLimit("a=candidate:1 1 udp 1 ::ffff:1.2.3.4 5 typ host");
  ASSERT_EQ(grows.size(), RTC_SDP_MAX_SIZE);
  ASSERT_EQ(same.size(), RTC_SDP_MAX_SIZE);
  rtc_error_info info;
  EXPECT_EQ(ParseError(same, &info), RTC_OK);
  EXPECT_EQ(ParseError(grows, &info), RTC_ERR_SDP_SYNTAX);
  // The six bytes counted at line 7 push the last line over.
  EXPECT_EQ(info.sdp_line_number, static_cast<int>(Lines(grows).size()));
  EXPECT_NE(strstr(info.message, "larger than"), nullptr);
  Session s = Parse(same);
  ASSERT_TRUE(s);
  EXPECT_EQ(Serialize(s.get()).size(), RTC_SDP_MAX_SIZE);
}

// --- A hand-written Safari offer ---------------------------------------------

// Written from knowledge of Safari 17/18 (WebKit's libwebrtc), not
// captured: like Chrome's, but "a=msid-semantic:WMS" without the space,
// H.265 and H.264 High profiles, and no a=rtcp-xr. It follows libwebrtc's
// order, so it serializes byte for byte.
const char kSafariOffer[] =
    "v=0\r\n"
    "o=- 5183562419093476373 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic:WMS 1c3a7f04-86e9-4c52-b3f0-5dd1d6c6bb7e\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Zq6j\r\n"
    "a=ice-pwd:tP3mP2pVQ7PSdjXkv7FYFb4X\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "A1:28:9C:3E:6E:5B:0C:D2:77:91:2F:8A:44:C0:3B:15:E9:66:F0:7D:58:AB:21:"
    "3C:94:0E:B7:5A:D1:62:08:4F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 "
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    "\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:1c3a7f04-86e9-4c52-b3f0-5dd1d6c6bb7e "
    "8b2c5c1e-0f41-4d3a-9a53-7d2c0e3f6a11\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:2859401761 cname:0Bq0V2Zpx+8W1pXK\r\n"
    "a=ssrc:2859401761 msid:1c3a7f04-86e9-4c52-b3f0-5dd1d6c6bb7e "
    "8b2c5c1e-0f41-4d3a-9a53-7d2c0e3f6a11\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 127 125 104\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Zq6j\r\n"
    "a=ice-pwd:tP3mP2pVQ7PSdjXkv7FYFb4X\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "A1:28:9C:3E:6E:5B:0C:D2:77:91:2F:8A:44:C0:3B:15:E9:66:F0:7D:58:AB:21:"
    "3C:94:0E:B7:5A:D1:62:08:4F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:1c3a7f04-86e9-4c52-b3f0-5dd1d6c6bb7e "
    "4f0d7e0a-2a33-4b7b-8d44-2f9b1c7e5d20\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=fmtp:96 "
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:98 H265/90000\r\n"
    "a=rtcp-fb:98 goog-remb\r\n"
    "a=rtcp-fb:98 transport-cc\r\n"
    "a=rtcp-fb:98 ccm fir\r\n"
    "a=rtcp-fb:98 nack\r\n"
    "a=rtcp-fb:98 nack pli\r\n"
    "a=fmtp:98 level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST\r\n"
    "a=rtpmap:99 rtx/90000\r\n"
    "a=fmtp:99 apt=98\r\n"
    "a=rtpmap:100 VP8/90000\r\n"
    "a=rtcp-fb:100 goog-remb\r\n"
    "a=rtcp-fb:100 transport-cc\r\n"
    "a=rtcp-fb:100 ccm fir\r\n"
    "a=rtcp-fb:100 nack\r\n"
    "a=rtcp-fb:100 nack pli\r\n"
    "a=rtpmap:101 rtx/90000\r\n"
    "a=fmtp:101 apt=100\r\n"
    "a=rtpmap:127 red/90000\r\n"
    "a=rtpmap:125 rtx/90000\r\n"
    "a=fmtp:125 apt=127\r\n"
    "a=rtpmap:104 ulpfec/90000\r\n"
    "a=ssrc-group:FID 1303546026 3587131640\r\n"
    "a=ssrc:1303546026 cname:0Bq0V2Zpx+8W1pXK\r\n"
    "a=ssrc:1303546026 msid:1c3a7f04-86e9-4c52-b3f0-5dd1d6c6bb7e "
    "4f0d7e0a-2a33-4b7b-8d44-2f9b1c7e5d20\r\n"
    "a=ssrc:3587131640 cname:0Bq0V2Zpx+8W1pXK\r\n"
    "a=ssrc:3587131640 msid:1c3a7f04-86e9-4c52-b3f0-5dd1d6c6bb7e "
    "4f0d7e0a-2a33-4b7b-8d44-2f9b1c7e5d20\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Zq6j\r\n"
    "a=ice-pwd:tP3mP2pVQ7PSdjXkv7FYFb4X\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "A1:28:9C:3E:6E:5B:0C:D2:77:91:2F:8A:44:C0:3B:15:E9:66:F0:7D:58:AB:21:"
    "3C:94:0E:B7:5A:D1:62:08:4F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:2\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

TEST(SdpSafari, ParsesHandWrittenSafariOfferAndWritesItBack) {
  Session s = Parse(kSafariOffer);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->num_msid_semantics, 1u);
  EXPECT_FALSE(s->msid_semantics[0].space_before);
  ASSERT_EQ(s->num_media, 3u);
  const rtc_sdp_media* video = s->media[1];
  const rtc_sdp_rtpmap* h265 = rtc_sdp_media_find_rtpmap(video, 98);
  ASSERT_NE(h265, nullptr);
  EXPECT_STREQ(h265->encoding, "H265");
  const char* value;
  size_t len;
  ASSERT_TRUE(rtc_sdp_fmtp_param(rtc_sdp_media_find_fmtp(video, 98)->params,
                                 "tx-mode", &value, &len));
  EXPECT_EQ(std::string(value, len), "SRST");
  ASSERT_TRUE(rtc_sdp_fmtp_param(rtc_sdp_media_find_fmtp(video, 96)->params,
                                 "profile-level-id", &value, &len));
  EXPECT_EQ(std::string(value, len), "640c1f");
  EXPECT_EQ(video->num_attributes, 0u);
  EXPECT_EQ(Serialize(s.get()), kSafariOffer);
}

// --- Helpers -----------------------------------------------------------------

TEST(SdpHelpers, FmtpParamFindsKeysCaseInsensitivelyAndSkipsBlanks) {
  const char* params =
      "level-asymmetry-allowed=1; Packetization-Mode = 1 ;"
      "profile-level-id=42e01f;flag;x=";
  const char* v = nullptr;
  size_t n = 0;
  ASSERT_TRUE(rtc_sdp_fmtp_param(params, "packetization-mode", &v, &n));
  EXPECT_EQ(std::string(v, n), "1");
  ASSERT_TRUE(rtc_sdp_fmtp_param(params, "PROFILE-LEVEL-ID", &v, &n));
  EXPECT_EQ(std::string(v, n), "42e01f");
  ASSERT_TRUE(rtc_sdp_fmtp_param(params, "x", &v, &n));
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(rtc_sdp_fmtp_param(params, "flag", &v, &n));
  EXPECT_FALSE(rtc_sdp_fmtp_param(params, "level", &v, &n));
  EXPECT_FALSE(rtc_sdp_fmtp_param("0-15", "0", &v, &n));
  EXPECT_FALSE(rtc_sdp_fmtp_param("", "apt", &v, &n));
  EXPECT_FALSE(rtc_sdp_fmtp_param(nullptr, "apt", &v, &n));
  EXPECT_TRUE(rtc_sdp_fmtp_param("apt=96", "apt", nullptr, nullptr));
}

TEST(SdpHelpers, IceOptionsAndProtoHelpers) {
  EXPECT_TRUE(rtc_sdp_ice_options_has("trickle", "trickle"));
  EXPECT_TRUE(rtc_sdp_ice_options_has("ice2 trickle", "trickle"));
  EXPECT_TRUE(rtc_sdp_ice_options_has("ice2,trickle", "ice2"));
  EXPECT_FALSE(rtc_sdp_ice_options_has("trickled", "trickle"));
  EXPECT_FALSE(rtc_sdp_ice_options_has(nullptr, "trickle"));
  EXPECT_FALSE(rtc_sdp_ice_options_has("", ""));
  EXPECT_TRUE(rtc_sdp_proto_is_rtp("UDP/TLS/RTP/SAVPF"));
  EXPECT_TRUE(rtc_sdp_proto_is_rtp("RTP/AVP"));
  EXPECT_TRUE(rtc_sdp_proto_is_rtp("TCP/DTLS/RTP/SAVPF"));
  EXPECT_FALSE(rtc_sdp_proto_is_rtp("UDP/DTLS/SCTP"));
  EXPECT_FALSE(rtc_sdp_proto_is_rtp("DTLS/SCTP"));
  EXPECT_FALSE(rtc_sdp_proto_is_rtp("RTPX/AVP"));
}

TEST(SdpHelpers, NamesAreTheSdpStrings) {
  EXPECT_STREQ(rtc_sdp_direction_name(RTC_SDP_DIRECTION_SENDONLY), "sendonly");
  EXPECT_STREQ(rtc_sdp_direction_name(RTC_SDP_DIRECTION_NONE), "");
  EXPECT_STREQ(rtc_sdp_setup_name(RTC_SDP_SETUP_HOLDCONN), "holdconn");
  EXPECT_STREQ(rtc_sdp_setup_name(RTC_SDP_SETUP_NONE), "");
  EXPECT_STREQ(rtc_sdp_slot_name(RTC_SDP_SLOT_ICE_UFRAG), "ice-ufrag");
  EXPECT_STREQ(rtc_sdp_slot_name(RTC_SDP_SLOT_END), "(end)");
  EXPECT_STREQ(rtc_sdp_slot_name(RTC_SDP_SLOT_COUNT), "(end)");
}

TEST(SdpHelpers, FindsMediaAttributesAndCodecs) {
  Session s = Parse(Fixture(kChromeOffer));
  ASSERT_TRUE(s);
  EXPECT_EQ(rtc_sdp_session_find_media(s.get(), "1"), s->media[1]);
  EXPECT_EQ(rtc_sdp_session_find_media(s.get(), "9"), nullptr);
  const rtc_sdp_attribute* xr =
      rtc_sdp_find_attribute(s.get(), s->media[0], "rtcp-xr");
  ASSERT_NE(xr, nullptr);
  EXPECT_STREQ(xr->value, "rcvr-rtt=all");
  EXPECT_EQ(rtc_sdp_find_attribute(s.get(), nullptr, "rtcp-xr"), nullptr);
  EXPECT_EQ(rtc_sdp_media_find_rtpmap(s->media[0], 127), nullptr);
  EXPECT_EQ(rtc_sdp_media_find_fmtp(s->media[0], 0), nullptr);
}

// --- Building descriptions ---------------------------------------------------

rtc_fingerprint ParseFingerprint(const std::string& text) {
  rtc_fingerprint fp;
  EXPECT_EQ(rtc_fingerprint_parse(text.data(), text.size(), &fp), RTC_OK);
  return fp;
}

rtc_candidate ParseCandidate(const std::string& text) {
  rtc_candidate c;
  EXPECT_EQ(rtc_candidate_parse(text.data(), text.size(), &c, nullptr), RTC_OK);
  return c;
}

Session Create() {
  rtc_sdp_session* raw = nullptr;
  EXPECT_EQ(rtc_sdp_session_create(&raw), RTC_OK);
  return Session(raw);
}

// What JSEP does for an offer with audio and a data channel.
Session BuildOffer() {
  Session session = Create();
  rtc_sdp_session* s = session.get();
  EXPECT_EQ(rtc_sdp_session_set_id(s, 4611686018427387903u), RTC_OK);
  s->origin.session_version = 2;
  const char* const mids[] = {"0", "1"};
  EXPECT_EQ(rtc_sdp_session_add_group(s, "BUNDLE", mids, 2), RTC_OK);
  s->extmap_allow_mixed = true;
  rtc_sdp_msid_semantic* ms = RTC_SDP_PUSH(s, s, msid_semantics);
  EXPECT_NE(ms, nullptr);
  EXPECT_EQ(rtc_sdp_set_string(s, &ms->semantic, "WMS"), RTC_OK);
  ms->space_before = true;
  const rtc_fingerprint fp = ParseFingerprint(kFingerprint256);

  rtc_sdp_media* audio =
      rtc_sdp_session_add_media(s, "audio", 9, "UDP/TLS/RTP/SAVPF");
  EXPECT_NE(audio, nullptr);
  EXPECT_EQ(rtc_sdp_set_string(s, &audio->connection.nettype, "IN"), RTC_OK);
  EXPECT_EQ(rtc_sdp_set_string(s, &audio->connection.addrtype, "IP4"), RTC_OK);
  EXPECT_EQ(rtc_sdp_set_string(s, &audio->connection.address, "0.0.0.0"),
            RTC_OK);
  audio->has_rtcp = true;
  audio->rtcp.port = 9;
  audio->rtcp.connection = audio->connection;
  EXPECT_EQ(rtc_sdp_set_string(s, &audio->ice_ufrag, "abcd"), RTC_OK);
  EXPECT_EQ(rtc_sdp_set_string(s, &audio->ice_pwd, "0123456789abcdefghijkl"),
            RTC_OK);
  EXPECT_EQ(rtc_sdp_set_string(s, &audio->ice_options, "trickle"), RTC_OK);
  EXPECT_EQ(rtc_sdp_add_fingerprint(s, audio, &fp), RTC_OK);
  audio->setup = RTC_SDP_SETUP_ACTPASS;
  EXPECT_EQ(rtc_sdp_set_string(s, &audio->mid, "0"), RTC_OK);
  EXPECT_EQ(rtc_sdp_add_extmap(s, audio, 4, RTC_SDP_DIRECTION_NONE,
                               "urn:ietf:params:rtp-hdrext:sdes:mid", nullptr),
            RTC_OK);
  audio->direction = RTC_SDP_DIRECTION_SENDRECV;
  EXPECT_EQ(rtc_sdp_media_add_msid(s, audio, "stream", "track"), RTC_OK);
  audio->rtcp_mux = true;
  audio->rtcp_rsize = true;
  EXPECT_EQ(rtc_sdp_media_add_codec(s, audio, 111, "opus", 48000, 2), RTC_OK);
  EXPECT_EQ(rtc_sdp_media_add_rtcp_fb(s, audio, 111, "transport-cc"), RTC_OK);
  EXPECT_EQ(rtc_sdp_media_add_fmtp(s, audio, 111, "minptime=10;useinbandfec=1"),
            RTC_OK);
  EXPECT_EQ(rtc_sdp_media_add_codec(s, audio, 0, "PCMU", 8000, 0), RTC_OK);
  EXPECT_EQ(rtc_sdp_media_add_ssrc(s, audio, 1234, "cname", "abc"), RTC_OK);

  rtc_sdp_media* data =
      rtc_sdp_session_add_media(s, "application", 9, "UDP/DTLS/SCTP");
  EXPECT_NE(data, nullptr);
  EXPECT_EQ(rtc_sdp_media_add_fmt(s, data, "webrtc-datachannel"), RTC_OK);
  data->connection = audio->connection;
  const rtc_candidate candidate = ParseCandidate(
      "candidate:1 1 udp 2122260223 127.0.0.1 37968 typ host generation 0");
  EXPECT_EQ(rtc_sdp_media_add_candidate(s, data, &candidate), RTC_OK);
  data->end_of_candidates = true;
  data->ice_ufrag = audio->ice_ufrag;  // strings of the same arena: shared
  data->ice_pwd = audio->ice_pwd;
  EXPECT_EQ(rtc_sdp_add_fingerprint(s, data, &fp), RTC_OK);
  data->setup = RTC_SDP_SETUP_ACTPASS;
  EXPECT_EQ(rtc_sdp_set_string(s, &data->mid, "1"), RTC_OK);
  data->has_sctp_port = true;
  data->sctp_port = 5000;
  data->has_max_message_size = true;
  data->max_message_size = 262144;
  EXPECT_EQ(rtc_sdp_add_attribute(s, data, "x-note", "built"), RTC_OK);
  EXPECT_EQ(rtc_sdp_add_attribute(s, nullptr, "x-flag", nullptr), RTC_OK);
  return session;
}

const std::string kBuiltOffer =
    std::string(
        "v=0\r\n"
        "o=- 4611686018427387903 2 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=group:BUNDLE 0 1\r\n"
        "a=extmap-allow-mixed\r\n"
        "a=msid-semantic: WMS\r\n"
        "a=x-flag\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:abcd\r\n"
        "a=ice-pwd:0123456789abcdefghijkl\r\n"
        "a=ice-options:trickle\r\n") +
    kSha256Line +
    "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:stream track\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=ssrc:1234 cname:abc\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=candidate:1 1 udp 2122260223 127.0.0.1 37968 typ host generation 0\r\n"
    "a=end-of-candidates\r\n"
    "a=ice-ufrag:abcd\r\n"
    "a=ice-pwd:0123456789abcdefghijkl\r\n" +
    kSha256Line +
    "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n"
    "a=x-note:built\r\n";

TEST(SdpBuilder, CreateGivesTheJsepSessionLines) {
  Session s = Create();
  ASSERT_TRUE(s);
  EXPECT_EQ(Serialize(s.get()),
            "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
  EXPECT_TRUE(s->origin.session_id_fits);
}

TEST(SdpBuilder, BuildsAnOfferThatSerializesAndParsesBack) {
  Session s = BuildOffer();
  std::string text = Serialize(s.get());
  EXPECT_EQ(text, kBuiltOffer);
  Session parsed = Parse(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(Serialize(parsed.get()), text);
  // The built model and the parsed one differ only in where the verbatim
  // attributes are anchored (END when built, their predecessor when
  // parsed).
  EXPECT_FALSE(rtc_sdp_session_equal(s.get(), parsed.get()));
  s->attributes[0].after = RTC_SDP_SLOT_MSID_SEMANTIC;
  s->media[1]->attributes[0].after = RTC_SDP_SLOT_MAX_MESSAGE_SIZE;
  EXPECT_TRUE(rtc_sdp_session_equal(s.get(), parsed.get()));
}

TEST(SdpBuilder, MediaPointersStayValidAsMediaAreAdded) {
  Session s = Create();
  std::vector<rtc_sdp_media*> added;
  for (int i = 0; i < 100; i++) {
    rtc_sdp_media* m =
        rtc_sdp_session_add_media(s.get(), "audio", 9, "RTP/AVP");
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rtc_sdp_media_add_fmt(s.get(), m, "0"), RTC_OK);
    m->port = static_cast<uint16_t>(i);
    added.push_back(m);
  }
  ASSERT_EQ(s->num_media, 100u);
  for (int i = 0; i < 100; i++) {
    EXPECT_EQ(s->media[i], added[i]);
    EXPECT_EQ(added[i]->port, i);
  }
}

TEST(SdpBuilder, PushGrowsArraysAndCopiesStrings) {
  Session s = Create();
  rtc_sdp_media* m = rtc_sdp_session_add_media(s.get(), "video", 9, "RTP/AVP");
  ASSERT_NE(m, nullptr);
  for (uint32_t i = 0; i < 1000; i++) {
    rtc_sdp_ssrc* e = RTC_SDP_PUSH(s.get(), m, ssrcs);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->ssrc, 0u);  // zeroed
    e->ssrc = i;
  }
  ASSERT_EQ(m->num_ssrcs, 1000u);
  EXPECT_EQ(m->ssrcs[999].ssrc, 999u);
  char name[] = "temporary";
  const char* copy = rtc_sdp_strdup(s.get(), name);
  name[0] = 'X';
  EXPECT_STREQ(copy, "temporary");
  EXPECT_EQ(rtc_sdp_strdup(s.get(), nullptr), nullptr);
  EXPECT_EQ(rtc_sdp_set_string(s.get(), &m->mid, nullptr), RTC_OK);
  EXPECT_EQ(m->mid, nullptr);
  // An array the caller pointed at its own storage is copied on growth.
  rtc_sdp_rid own[1] = {{"r", true, nullptr}};
  m->rids = own;
  m->num_rids = 1;
  m->cap_rids = 0;
  rtc_sdp_rid* pushed = RTC_SDP_PUSH(s.get(), m, rids);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(m->rids, own);
  EXPECT_STREQ(m->rids[0].id, "r");
  EXPECT_EQ(m->num_rids, 2u);
}

TEST(SdpBuilder, CloneOfABuiltSessionIsEqualAndIndependent) {
  Session s = BuildOffer();
  rtc_sdp_session* raw = nullptr;
  ASSERT_EQ(rtc_sdp_session_clone(s.get(), &raw), RTC_OK);
  Session copy(raw);
  EXPECT_TRUE(rtc_sdp_session_equal(s.get(), copy.get()));
  EXPECT_NE(copy->media[0], s->media[0]);
  EXPECT_NE(copy->media[0]->mid, s->media[0]->mid);
  EXPECT_EQ(rtc_sdp_set_string(copy.get(), &copy->media[0]->mid, "x"), RTC_OK);
  EXPECT_STREQ(s->media[0]->mid, "0");
  EXPECT_FALSE(rtc_sdp_session_equal(s.get(), copy.get()));
  s.reset();
  EXPECT_STREQ(copy->media[1]->mid, "1");
  // Clones grow like any session.
  EXPECT_EQ(
      rtc_sdp_media_add_codec(copy.get(), copy->media[0], 8, "PCMA", 8000, 0),
      RTC_OK);
  EXPECT_EQ(copy->media[0]->num_rtpmaps, 3u);
}

// --- Equality ----------------------------------------------------------------

TEST(SdpEqual, DetectsADifferenceInEachKindOfField) {
  const std::vector<std::function<void(rtc_sdp_session*)>> mutations = {
      [](rtc_sdp_session* s) { s->origin.session_version++; },
      [](rtc_sdp_session* s) { s->origin.session_id = "1"; },
      [](rtc_sdp_session* s) { s->name = "other"; },
      [](rtc_sdp_session* s) { s->information = "info"; },
      [](rtc_sdp_session* s) { s->times[0].stop = 1; },
      [](rtc_sdp_session* s) { s->groups[0].mids[0] = "9"; },
      [](rtc_sdp_session* s) { s->groups[0].num_mids--; },
      [](rtc_sdp_session* s) { s->msid_semantics[0].space_before = false; },
      [](rtc_sdp_session* s) { s->extmap_allow_mixed = false; },
      [](rtc_sdp_session* s) { s->ice_lite = true; },
      [](rtc_sdp_session* s) { s->direction = RTC_SDP_DIRECTION_INACTIVE; },
      [](rtc_sdp_session* s) { s->num_media--; },
      [](rtc_sdp_session* s) { s->media[0]->mid = "x"; },
      [](rtc_sdp_session* s) { s->media[0]->port = 10; },
      [](rtc_sdp_session* s) { s->media[0]->fmts[1] = "0"; },
      [](rtc_sdp_session* s) { s->media[0]->connection.address = nullptr; },
      [](rtc_sdp_session* s) { s->media[0]->rtcp.port = 10; },
      [](rtc_sdp_session* s) { s->media[0]->ice_pwd = "x"; },
      [](rtc_sdp_session* s) { s->media[0]->fingerprints[0].digest[5] ^= 1; },
      [](rtc_sdp_session* s) { s->media[0]->setup = RTC_SDP_SETUP_ACTIVE; },
      [](rtc_sdp_session* s) { s->media[0]->extmaps[0].id = 9; },
      [](rtc_sdp_session* s) {
        s->media[0]->extmaps[0].direction = RTC_SDP_DIRECTION_SENDONLY;
      },
      [](rtc_sdp_session* s) { s->media[0]->msids[0].track_id = nullptr; },
      [](rtc_sdp_session* s) { s->media[0]->rtcp_rsize = false; },
      [](rtc_sdp_session* s) { s->media[0]->rtpmaps[0].channels = 1; },
      [](rtc_sdp_session* s) { s->media[0]->rtpmaps[1].encoding = "x"; },
      [](rtc_sdp_session* s) { s->media[0]->fmtps[0].params = "x"; },
      [](rtc_sdp_session* s) { s->media[0]->rtcp_fbs[0].pt = 0; },
      [](rtc_sdp_session* s) { s->media[0]->ssrcs[0].value = nullptr; },
      [](rtc_sdp_session* s) { s->media[1]->ssrc_groups[0].ssrcs[1] = 1; },
      [](rtc_sdp_session* s) {
        s->media[0]->attributes[0].after = RTC_SDP_SLOT_END;
      },
      [](rtc_sdp_session* s) { s->media[0]->attributes[0].value = "x"; },
      [](rtc_sdp_session* s) { s->media[2]->sctp_port = 1; },
      [](rtc_sdp_session* s) { s->media[2]->has_max_message_size = false; },
      [](rtc_sdp_session* s) { s->media[2]->max_message_size = 1; },
      [](rtc_sdp_session* s) { s->media[2]->simulcast.send = "a"; },
  };
  const std::string text = Fixture(kChromeOffer);
  Session reference = Parse(text);
  ASSERT_TRUE(reference);
  for (size_t i = 0; i < mutations.size(); i++) {
    SCOPED_TRACE(i);
    Session s = Parse(text);
    ASSERT_TRUE(rtc_sdp_session_equal(reference.get(), s.get()));
    mutations[i](s.get());
    EXPECT_FALSE(rtc_sdp_session_equal(reference.get(), s.get()));
    EXPECT_FALSE(rtc_sdp_session_equal(s.get(), reference.get()));
  }
}

TEST(SdpEqual, ComparesCandidatesFieldByField) {
  const std::string text =
      Fixture("chromium-156.0.8078.108-datachannel-gathered-offer.sdp");
  Session a = Parse(text);
  Session b = Parse(text);
  ASSERT_TRUE(rtc_sdp_session_equal(a.get(), b.get()));
  b->media[0]->candidates[2].network_cost = 1;
  EXPECT_FALSE(rtc_sdp_session_equal(a.get(), b.get()));
  Session c = Parse(text);
  c->media[0]->candidates[0].address.port++;
  EXPECT_FALSE(rtc_sdp_session_equal(a.get(), c.get()));
}

// --- Serializer checks
// ---------------------------------------------------------

TEST(SdpSerialize, RejectsModelsThatWouldNotParseBack) {
  const std::vector<
      std::pair<const char*, std::function<void(rtc_sdp_session*)>>>
      cases = {
          {"a=mid", [](rtc_sdp_session* s) { s->media[0]->mid = "0\r\na=x"; }},
          {"a=mid", [](rtc_sdp_session* s) { s->media[0]->mid = "a b"; }},
          {"a=mid", [](rtc_sdp_session* s) { s->media[0]->mid = ""; }},
          {"a=msid stream id",
           [](rtc_sdp_session* s) {
             s->media[0]->msids[0].stream_id = "s\nm=audio 9 RTP/AVP 0";
           }},
          {"a=msid track id",
           [](rtc_sdp_session* s) { s->media[0]->msids[0].track_id = "a b"; }},
          {"s=", [](rtc_sdp_session* s) { s->name = nullptr; }},
          {"s=", [](rtc_sdp_session* s) { s->name = "x\ry"; }},
          {"o= username",
           [](rtc_sdp_session* s) { s->origin.username = nullptr; }},
          {"o= session id",
           [](rtc_sdp_session* s) { s->origin.session_id = "12a"; }},
          {"t=", [](rtc_sdp_session* s) { s->num_times = 0; }},
          {"m= fmt", [](rtc_sdp_session* s) { s->media[0]->num_fmts = 0; }},
          {"m= payload type",
           [](rtc_sdp_session* s) { s->media[0]->fmts[0] = "opus"; }},
          {"m= media type",
           [](rtc_sdp_session* s) { s->media[0]->type = "au dio"; }},
          {"m= proto",
           [](rtc_sdp_session* s) { s->media[0]->proto = nullptr; }},
          {"a=sctp-port",
           [](rtc_sdp_session* s) {
             s->media[0]->has_sctp_port = true;
             s->media[0]->sctp_port = 0;
           }},
          {"a=rtpmap payload type",
           [](rtc_sdp_session* s) { s->media[0]->rtpmaps[0].pt = 200; }},
          {"a=rtpmap encoding name",
           [](rtc_sdp_session* s) {
             s->media[0]->rtpmaps[0].encoding = "a/b";
           }},
          {"a=rtcp-fb payload type",
           [](rtc_sdp_session* s) { s->media[0]->rtcp_fbs[0].pt = 128; }},
          {"a=rtcp-fb value",
           [](rtc_sdp_session* s) { s->media[0]->rtcp_fbs[0].value = ""; }},
          {"a=fmtp parameters",
           [](rtc_sdp_session* s) { s->media[0]->fmtps[0].params = "a\nb"; }},
          {"a=extmap",
           [](rtc_sdp_session* s) { s->media[0]->extmaps[0].id = 0; }},
          {"a=extmap",
           [](rtc_sdp_session* s) { s->media[0]->extmaps[0].id = 256; }},
          {"a=fingerprint",
           [](rtc_sdp_session* s) {
             s->media[0]->fingerprints[0].digest_len = 20;
           }},
          {"a=setup",
           [](rtc_sdp_session* s) {
             s->media[0]->setup = static_cast<rtc_sdp_setup>(9);
           }},
          {"direction",
           [](rtc_sdp_session* s) {
             s->media[0]->direction = static_cast<rtc_sdp_direction>(9);
           }},
          {"attribute name",
           [](rtc_sdp_session* s) { s->media[0]->attributes[0].name = "a b"; }},
          {"attribute value",
           [](rtc_sdp_session* s) {
             s->media[0]->attributes[0].value = "x\r\na=injected";
           }},
          {"a=ice-ufrag",
           [](rtc_sdp_session* s) { s->media[0]->ice_ufrag = "a\tb c"; }},
          {"c=",
           [](rtc_sdp_session* s) {
             s->media[0]->connection.address = nullptr;
           }},
          {"a=ssrc attribute",
           [](rtc_sdp_session* s) { s->media[0]->ssrcs[0].attribute = "c:n"; }},
          {"a=fmtp payload type",
           [](rtc_sdp_session* s) { s->media[0]->fmtps[0].pt = 200; }},
          {"a=rid id",
           [](rtc_sdp_session* s) {
             rtc_sdp_rid* r = RTC_SDP_PUSH(s, s->media[1], rids);
             r->id = "a.b";
           }},
          {"a=group mid",
           [](rtc_sdp_session* s) { s->groups[0].mids[0] = "0 1"; }},
          {"media section", [](rtc_sdp_session* s) { s->media[1] = nullptr; }},
      };
  const std::string text = Fixture(kChromeOffer);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.first);
    Session s = Parse(text);
    ASSERT_TRUE(s);
    c.second(s.get());
    char* out = reinterpret_cast<char*>(1);
    size_t len = 7;
    rtc_error_info info;
    rtc_error_info_init(&info);
    EXPECT_EQ(rtc_sdp_serialize(s.get(), &out, &len, &info),
              RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(out, nullptr);
    EXPECT_EQ(len, 0u);
    EXPECT_NE(std::string(info.message).find(c.first), std::string::npos)
        << info.message;
  }
}

TEST(SdpSerialize, RejectsACandidateWhoseStringsHoldALineBreak) {
  Session s = BuildOffer();
  rtc_candidate* c = &s->media[1]->candidates[0];
  snprintf(c->extensions, sizeof(c->extensions), " x y\r\na=injected");
  char* out = nullptr;
  rtc_error_info info;
  rtc_error_info_init(&info);
  EXPECT_EQ(rtc_sdp_serialize(s.get(), &out, nullptr, &info),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(strstr(info.message, "a=candidate"), nullptr);
}

TEST(SdpSerialize, WritesTheSessionIdValueWhenThereIsNoString) {
  Session s = Create();
  s->origin.session_id = nullptr;
  s->origin.session_id_value = 12345;
  EXPECT_EQ(Serialize(s.get()),
            "v=0\r\no=- 12345 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
}

TEST(SdpSerialize, WritesEveryFingerprintHash) {
  for (size_t bytes : {20, 28, 32, 48, 64}) {
    std::string name =
        bytes == 20 ? "sha-1" : "sha-" + std::to_string(bytes * 8);
    std::string line = "a=fingerprint:" + name + " " + Digest(bytes);
    SCOPED_TRACE(line);
    Session s = Parse(WithMediaLine(line));
    ASSERT_TRUE(s);
    EXPECT_EQ(Serialize(s.get()), WithMediaLine(line));
  }
}

TEST(SdpSerialize, WritesPropertyAndEmptyValuesDistinctly) {
  Session s =
      Parse(WithMediaLine("a=x-a\r\na=x-b:\r\na=ssrc:1 c\r\na=ssrc:1 d:"));
  ASSERT_TRUE(s);
  EXPECT_EQ(Serialize(s.get()),
            WithMediaLine("a=x-a\r\na=x-b:\r\na=ssrc:1 c\r\na=ssrc:1 d:"));
}

// --- Out of memory
// -------------------------------------------------------------

// Every allocation a call makes, failed in turn (and from there on, with
// `sticky`): the call reports RTC_ERR_NO_MEMORY, returns nothing and leaks
// nothing.
template <typename Call>
void ExpectEveryAllocationFailureHandled(Call call, const char* what) {
  uint64_t before = rtc_alloc_attempt_count();
  ASSERT_EQ(call(), RTC_OK) << what;
  uint64_t allocations = rtc_alloc_attempt_count() - before;
  ASSERT_GT(allocations, 0u) << what;
  for (int sticky = 0; sticky <= 1; sticky++) {
    for (uint64_t n = 1; n <= allocations; n++) {
      int64_t live = rtc_alloc_live_count();
      rtc_alloc_fail_nth(n, sticky);
      rtc_error err = call();
      rtc_alloc_clear_failure();
      EXPECT_EQ(err, RTC_ERR_NO_MEMORY) << what << ": allocation " << n;
      EXPECT_EQ(rtc_alloc_live_count(), live) << what << ": allocation " << n;
    }
  }
  rtc_alloc_fail_nth(allocations + 1, 0);
  EXPECT_EQ(call(), RTC_OK) << what;
  rtc_alloc_clear_failure();
}

TEST(SdpOutOfMemory, ParseOfEveryFixtureSurvivesEachFailedAllocation) {
  for (const std::string& name : FixtureNames()) {
    const std::string text = Fixture(name);
    ExpectEveryAllocationFailureHandled(
        [&text]() {
          rtc_sdp_session* s = reinterpret_cast<rtc_sdp_session*>(1);
          rtc_error_info info;
          rtc_error_info_init(&info);
          rtc_error err = rtc_sdp_parse(text.data(), text.size(), &s, &info);
          if (err == RTC_OK) {
            rtc_sdp_session_destroy(s);
            return err;
          }
          EXPECT_EQ(s, nullptr);
          EXPECT_EQ(info.code, RTC_ERR_NO_MEMORY);
          EXPECT_EQ(info.sdp_line_number, 0);
          return err;
        },
        name.c_str());
  }
}

TEST(SdpOutOfMemory, ParseOfAManyLineDescriptionSurvivesEachFailedAllocation) {
  // Enough lines for many arena chunks and array growths.
  std::string text = Fixture(kChromeOffer);
  for (int i = 0; i < 300; i++)
    text += "a=x-" + std::to_string(i) + ":" + std::string(100, 'v') + "\r\n";
  for (int i = 0; i < 100; i++)
    text += "a=candidate:1 1 udp 1 1.2.3.4 " + std::to_string(i + 1) +
            " typ host\r\n";
  ExpectEveryAllocationFailureHandled(
      [&text]() {
        rtc_sdp_session* s = nullptr;
        rtc_error err = rtc_sdp_parse(text.data(), text.size(), &s, nullptr);
        rtc_sdp_session_destroy(s);
        return err;
      },
      "big");
}

TEST(SdpOutOfMemory, SerializeCloneAndBuildSurviveEachFailedAllocation) {
  Session parsed = Parse(Fixture(kChromeOffer));
  ASSERT_TRUE(parsed);
  ExpectEveryAllocationFailureHandled(
      [&parsed]() {
        char* out = reinterpret_cast<char*>(1);
        rtc_error err = rtc_sdp_serialize(parsed.get(), &out, nullptr, nullptr);
        if (err != RTC_OK) {
          EXPECT_EQ(out, nullptr);
        }
        rtc_free(out == reinterpret_cast<char*>(1) ? nullptr : out);
        return err;
      },
      "serialize");
  ExpectEveryAllocationFailureHandled(
      [&parsed]() {
        rtc_sdp_session* copy = reinterpret_cast<rtc_sdp_session*>(1);
        rtc_error err = rtc_sdp_session_clone(parsed.get(), &copy);
        if (err != RTC_OK) {
          EXPECT_EQ(copy, nullptr);
        } else {
          rtc_sdp_session_destroy(copy);
        }
        return err;
      },
      "clone");
  ExpectEveryAllocationFailureHandled(
      []() {
        rtc_sdp_session* s = reinterpret_cast<rtc_sdp_session*>(1);
        rtc_error err = rtc_sdp_session_create(&s);
        if (err != RTC_OK) {
          EXPECT_EQ(s, nullptr);
        } else {
          rtc_sdp_session_destroy(s);
        }
        return err;
      },
      "create");
}

TEST(SdpOutOfMemory, BuildersReportFailureAndLeaveArraysUnchanged) {
  Session s = Create();
  rtc_sdp_media* m = rtc_sdp_session_add_media(s.get(), "audio", 9, "RTP/AVP");
  ASSERT_NE(m, nullptr);
  // A big arena allocation is a fresh chunk: fail it.
  std::string big(64 * 1024, 'x');
  rtc_alloc_fail_nth(1, 1);
  EXPECT_EQ(rtc_sdp_media_add_fmt(s.get(), m, big.c_str()), RTC_ERR_NO_MEMORY);
  EXPECT_EQ(rtc_sdp_media_add_codec(s.get(), m, 96, big.c_str(), 1, 0),
            RTC_ERR_NO_MEMORY);
  EXPECT_EQ(rtc_sdp_set_string(s.get(), &m->mid, big.c_str()),
            RTC_ERR_NO_MEMORY);
  EXPECT_EQ(rtc_sdp_session_add_media(s.get(), big.c_str(), 9, "RTP/AVP"),
            nullptr);
  rtc_alloc_clear_failure();
  EXPECT_EQ(m->num_fmts, 0u);
  EXPECT_EQ(m->num_rtpmaps, 0u);
  EXPECT_EQ(m->mid, nullptr);
  EXPECT_EQ(s->num_media, 1u);
  // Fill the current chunk's room, then fail the chunk that growing needs.
  rtc_alloc_fail_nth(1, 1);
  rtc_error err = RTC_OK;
  for (int i = 0; i < 10000 && err == RTC_OK; i++)
    err = rtc_sdp_media_add_codec(s.get(), m, 96, "VP8", 90000, 0);
  rtc_alloc_clear_failure();
  EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
  EXPECT_EQ(m->num_rtpmaps, m->num_fmts);  // the pair was undone together
}

}  // namespace
