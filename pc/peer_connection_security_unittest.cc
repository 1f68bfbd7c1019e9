// Security of a peer connection end to end, on the simulated network: DTLS
// fingerprint verification in both DTLS roles (SEC-17, SEC-19), the hash of
// a=fingerprint (SEC-20), SDES refused (SEC-04) and fingerprint changes in
// renegotiation (SEC-21). Checklist ids: shared/reference/
// security-checklist.md.

#include "api/rtc_peer_connection.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "p2p/certificate.h"
#include "p2p/packet_socket.h"
#include "p2p/socket_factory.h"
#include "rtc_base/clock.h"
#include "rtc_base/logging.h"
#include "test/pc/pc_test_util.h"

namespace {

using rtc_test::Channel;
using rtc_test::kMs;
using rtc_test::kSec;
using rtc_test::Peer;
using rtc_test::PeerConnectionTest;

// --- SDP and stats text helpers ---

std::string Eol(const std::string& sdp) {
  return sdp.find("\r\n") != std::string::npos ? "\r\n" : "\n";
}

bool AtLineStart(const std::string& sdp, size_t pos) {
  return pos == 0 || sdp[pos - 1] == '\n';
}

// Replaces the rest of every line that starts with `prefix` by `value`;
// returns how many lines changed.
int ReplaceLines(std::string& sdp,
                 const std::string& prefix,
                 const std::string& value) {
  int n = 0;
  for (size_t pos = sdp.find(prefix); pos != std::string::npos;
       pos = sdp.find(prefix, pos)) {
    if (!AtLineStart(sdp, pos)) {
      pos += prefix.size();
      continue;
    }
    size_t start = pos + prefix.size();
    size_t end = sdp.find_first_of("\r\n", start);
    if (end == std::string::npos)
      end = sdp.size();
    sdp.replace(start, end - start, value);
    pos = start + value.size();
    n++;
  }
  return n;
}

// Inserts `line` after every line that starts with `prefix`; returns how
// many times.
int InsertAfterLines(std::string& sdp,
                     const std::string& prefix,
                     const std::string& line) {
  const std::string eol = Eol(sdp);
  int n = 0;
  for (size_t pos = sdp.find(prefix); pos != std::string::npos;
       pos = sdp.find(prefix, pos)) {
    if (!AtLineStart(sdp, pos)) {
      pos += prefix.size();
      continue;
    }
    size_t end = sdp.find('\n', pos);
    size_t at = end == std::string::npos ? sdp.size() : end + 1;
    std::string text = line + eol;
    if (end == std::string::npos)
      text = eol + line;
    sdp.insert(at, text);
    pos = at + text.size();
    n++;
  }
  return n;
}

// Lines that start with `prefix`.
int CountLines(const std::string& sdp, const std::string& prefix) {
  int n = 0;
  for (size_t pos = sdp.find(prefix); pos != std::string::npos;
       pos = sdp.find(prefix, pos + 1)) {
    if (AtLineStart(sdp, pos))
      n++;
  }
  return n;
}

// The rest of the first line that starts with `prefix` ("" if none).
std::string LineValue(const std::string& sdp, const std::string& prefix) {
  for (size_t pos = sdp.find(prefix); pos != std::string::npos;
       pos = sdp.find(prefix, pos + 1)) {
    if (!AtLineStart(sdp, pos))
      continue;
    size_t start = pos + prefix.size();
    return sdp.substr(start, sdp.find_first_of("\r\n", start) - start);
  }
  return "";
}

// Removes every line that starts with `prefix`; returns how many.
int RemoveLines(std::string& sdp, const std::string& prefix) {
  int n = 0;
  for (size_t pos = sdp.find(prefix); pos != std::string::npos;
       pos = sdp.find(prefix, pos)) {
    if (!AtLineStart(sdp, pos)) {
      pos += prefix.size();
      continue;
    }
    size_t end = sdp.find('\n', pos);
    sdp.erase(pos,
              end == std::string::npos ? std::string::npos : end + 1 - pos);
    n++;
  }
  return n;
}

// The string member `key` of the first stats object of type `type` that
// has it ("" when absent).
std::string StatsMember(const std::string& json,
                        const std::string& type,
                        const std::string& key) {
  const std::string type_text = "\"type\":\"" + type + "\"";
  for (size_t pos = json.find(type_text); pos != std::string::npos;
       pos = json.find(type_text, pos + 1)) {
    size_t end = json.find('}', pos);
    std::string object = json.substr(pos, end - pos);
    const std::string key_text = "\"" + key + "\":\"";
    size_t at = object.find(key_text);
    if (at == std::string::npos)
      continue;
    at += key_text.size();
    return object.substr(at, object.find('"', at) - at);
  }
  return "";
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  for (const std::string& e : v) {
    if (e == s)
      return true;
  }
  return false;
}

// --- Certificates ---

rtc_certificate* NewCertificate() {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(rtc_certificate_generate(&params, rtc_time_utc_us() / 1000, &cert),
            RTC_OK);
  return cert;
}

// "sha-256 AB:CD:..." as a=fingerprint carries it.
std::string FingerprintOf(const rtc_certificate* cert,
                          rtc_hash_algorithm algorithm) {
  rtc_fingerprint fp;
  EXPECT_EQ(rtc_certificate_fingerprint(cert, algorithm, &fp), RTC_OK);
  char text[RTC_FINGERPRINT_TEXT_SIZE];
  rtc_fingerprint_format(&fp, text, sizeof(text));
  return text;
}

// --- The fixture ---

// Collects the warnings rtcbox logs (which DTLS failure happened).
struct LogCapture {
  std::mutex mu;
  std::vector<std::string> lines;  // guarded by mu

  static void Sink(void* user,
                   rtc_log_level level,
                   const char* file,
                   int line,
                   const char* message) {
    (void)file;
    (void)line;
    if (level < RTC_LOG_WARNING)
      return;
    auto* self = static_cast<LogCapture*>(user);
    std::lock_guard<std::mutex> lock(self->mu);
    self->lines.push_back(message);
  }

  // Messages that contain `needle` (and `also`, if given).
  int Count(const std::string& needle, const std::string& also = "") {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const std::string& l : lines) {
      n += l.find(needle) != std::string::npos &&
           l.find(also) != std::string::npos;
    }
    return n;
  }
};

class PeerConnectionSecurityTest : public PeerConnectionTest {
 protected:
  void SetUp() override {
    PeerConnectionTest::SetUp();
    rtc_log_set_sink(&LogCapture::Sink, &log_);
  }

  void TearDown() override {
    // Our channels' observers point into channels_: detached and released
    // while the peers still run, so that no event can reach them later.
    for (Owned& o : channels_) {
      if (!o.peer->pc)
        continue;
      OnQueue(o.peer->signaling, [&] {
        if (o.channel->channel)
          rtc_data_channel_set_observer(o.channel->channel, nullptr, nullptr);
        o.channel.reset();
      });
    }
    channels_.clear();
    PeerConnectionTest::TearDown();
    rtc_log_set_sink(nullptr, nullptr);
    for (rtc_certificate* c : {cert_a_, cert_b_, stranger_})
      rtc_certificate_unref(c);
  }

  // Peers a_ and b_ with known certificates, and a third certificate that
  // belongs to neither.
  void MakePeers() {
    cert_a_ = NewCertificate();
    cert_b_ = NewCertificate();
    stranger_ = NewCertificate();
    ASSERT_TRUE(cert_a_ && cert_b_ && stranger_);
    MakePeerWith(a_, "a", "203.0.113.1", cert_a_);
    MakePeerWith(b_, "b", "203.0.113.2", cert_b_);
  }

  void MakePeerWith(Peer& p,
                    const char* name,
                    const char* ip,
                    rtc_certificate* cert) {
    rtc_configuration config;
    rtc_configuration_init(&config);
    config.obfuscate_host_addresses = false;
    config.certificates = &cert;
    config.certificate_count = 1;
    MakePeer(p, name, ip, &config);
  }

  // createDataChannel on p; the channel lives until TearDown.
  Channel* NewChannel(Peer& p,
                      const char* label,
                      const rtc_data_channel_init* init) {
    channels_.push_back({&p, CreateChannel(p, label, init)});
    return channels_.back().channel.get();
  }

  struct Sender {
    Peer* peer;
    Channel* channel;
  };

  // Advances simulated time by `duration_us`, every 100 ms trying to send
  // on each channel; returns how many sends were accepted.
  int RunSending(const std::vector<Sender>& senders, int64_t duration_us) {
    int accepted = 0;
    for (int64_t t = 0; t < duration_us; t += 100 * kMs) {
      for (const Sender& s : senders) {
        if (s.channel->channel &&
            Send(*s.peer, *s.channel, "secret", false) == RTC_OK)
          accepted++;
      }
      RunUntil([] { return false; }, 100 * kMs);
    }
    return accepted;
  }

  std::string TransportStat(Peer& p, const char* key) {
    return StatsMember(GetStats(p), "transport", key);
  }

  // p's description `kind`, as SDP text ("" when there is none).
  std::string Description(Peer& p, rtc_description_kind kind) {
    std::string text;
    OnQueue(p.signaling, [&] {
      rtc_session_description d;
      if (rtc_peer_connection_description(p.pc, kind, &d) == RTC_OK) {
        text = d.sdp;
        rtc_free(const_cast<char*>(d.sdp));
      }
    });
    return text;
  }

  // createOffer on p (ICE restart if asked); "" on failure.
  std::string CreateOffer(Peer& p, bool ice_restart = false) {
    std::string sdp;
    OnQueue(p.signaling, [&] {
      rtc_offer_options options = {ice_restart};
      ASSERT_EQ(rtc_peer_connection_create_offer(
                    p.pc, &options,
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

  // createAnswer on p; "" on failure.
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

  rtc_signaling_state SignalingState(Peer& p) {
    rtc_signaling_state state = RTC_SIGNALING_CLOSED;
    OnQueue(p.signaling,
            [&] { state = rtc_peer_connection_signaling_state(p.pc); });
    return state;
  }

  // a_ and b_ connected with an open channel "chat" (a_ offering); the
  // remote end is returned through *remote.
  void Connect(Channel** local, Channel** remote) {
    MakePeers();
    *local = NewChannel(a_, "chat", nullptr);
    Negotiate(a_, b_);
    *remote = WaitOpen(**local, b_, 0, 10 * kSec);
    ASSERT_NE(*remote, nullptr);
    munge_offer = nullptr;
    munge_answer = nullptr;
  }

  // Sends `text` from p on `from` and waits until `to` received it.
  bool Delivered(Peer& p, Channel& from, Channel& to, const std::string& text) {
    size_t before = to.messages.size();
    if (Send(p, from, text, false) != RTC_OK)
      return false;
    return RunUntil(
        [&] {
          return to.messages.size() > before && to.messages.back() == text;
        },
        5 * kSec);
  }

  struct Owned {
    Peer* peer;
    std::unique_ptr<Channel> channel;
  };
  std::vector<Owned> channels_;
  LogCapture log_;
  rtc_certificate* cert_a_ = nullptr;
  rtc_certificate* cert_b_ = nullptr;
  rtc_certificate* stranger_ = nullptr;
};

// --- 1. Fingerprint mismatch, in both DTLS roles ---

struct MismatchCase {
  bool offerer_is_client;  // the offer says a=setup:active
  bool wrong_in_offer;     // else in the answer
  const char* name;
};

void PrintTo(const MismatchCase& c, std::ostream* os) {
  *os << c.name;
}

class FingerprintMismatchTest
    : public PeerConnectionSecurityTest,
      public testing::WithParamInterface<MismatchCase> {};

// SEC-17 (both roles: the check may not be skipped by the DTLS client nor
// by the server), SEC-19. The side whose remote description carries the
// wrong fingerprint detects the mismatch when the peer's certificate
// arrives; the other learns of it from the bad_certificate alert.
// webrtc-pc / WPT dtls-fingerprint-validation.html: both connections reach
// "failed". No data channel opens, nothing sent is delivered, no
// datachannel event fires.
TEST_P(FingerprintMismatchTest, SEC17_FailsOnBothSidesAndNothingIsDelivered) {
  const MismatchCase& c = GetParam();
  MakePeers();
  // An announced channel (DCEP) and a negotiated one present on both sides
  // from the start, so that b has a channel that could receive.
  Channel* ca = NewChannel(a_, "chat", nullptr);
  rtc_data_channel_init pinned;
  rtc_data_channel_init_defaults(&pinned);
  pinned.negotiated = true;
  pinned.id = 100;
  Channel* pa = NewChannel(a_, "pinned", &pinned);
  Channel* pb = NewChannel(b_, "pinned", &pinned);
  ASSERT_TRUE(ca->channel && pa->channel && pb->channel);
  const std::string wrong = FingerprintOf(stranger_, RTC_HASH_SHA256);
  std::string answer;
  munge_offer = [&](std::string& sdp) {
    // RFC 8842 §5.3 / WPT dtls-setup.https.html: an offer may say active,
    // and the answerer then takes the passive (server) role.
    if (c.offerer_is_client) {
      EXPECT_EQ(ReplaceLines(sdp, "a=setup:", "active"), 1);
    }
    if (c.wrong_in_offer) {
      EXPECT_EQ(ReplaceLines(sdp, "a=fingerprint:", wrong), 1);
    }
  };
  munge_answer = [&](std::string& sdp) {
    if (!c.wrong_in_offer) {
      EXPECT_EQ(ReplaceLines(sdp, "a=fingerprint:", wrong), 1);
    }
    answer = sdp;
  };
  Negotiate(a_, b_);
  // The roles are the intended ones: the answer's a=setup decides them
  // (the controls below show these SDPs give these roles in stats).
  EXPECT_EQ(CountLines(answer, c.offerer_is_client ? "a=setup:passive"
                                                   : "a=setup:active"),
            1)
      << answer;
  Peer& detector = c.wrong_in_offer ? b_ : a_;
  Peer& other = c.wrong_in_offer ? a_ : b_;

  // send() fails while a channel is connecting; it is tried all along.
  const int accepted = RunSending({{&a_, ca}, {&a_, pa}, {&b_, pb}}, 30 * kSec);

  EXPECT_EQ(detector.state, RTC_PC_STATE_FAILED)
      << testing::PrintToString(detector.log);
  EXPECT_EQ(other.state, RTC_PC_STATE_FAILED)
      << testing::PrintToString(other.log);
  for (Peer* p : {&a_, &b_}) {
    // ICE did connect: the failure is DTLS's.
    EXPECT_TRUE(Contains(p->log, "ice:connected") ||
                Contains(p->log, "ice:completed"))
        << p->name << ": " << testing::PrintToString(p->log);
    EXPECT_FALSE(Contains(p->log, "connection:connected"))
        << p->name << ": " << testing::PrintToString(p->log);
    EXPECT_FALSE(Contains(p->log, "datachannel")) << p->name;
    EXPECT_EQ(TransportStat(*p, "dtlsState"), "failed") << p->name;
  }
  // The detecting side failed on the fingerprint and sent bad_certificate
  // (42); the other side received it.
  EXPECT_EQ(log_.Count("matches no a=fingerprint", "sent alert 42"), 1);
  EXPECT_EQ(log_.Count("received alert 42"), 1);
  EXPECT_EQ(accepted, 0);
  for (Channel* ch : {ca, pa, pb}) {
    EXPECT_FALSE(Contains(ch->events, "open"));
    EXPECT_NE(ch->state(), RTC_DATA_CHANNEL_OPEN);
    EXPECT_TRUE(ch->messages.empty());
  }
  EXPECT_TRUE(b_.remote_channels.empty());
}

INSTANTIATE_TEST_SUITE_P(
    BothRoles,
    FingerprintMismatchTest,
    testing::Values(MismatchCase{false, true, "OffererServer_WrongInOffer"},
                    MismatchCase{false, false, "OffererServer_WrongInAnswer"},
                    MismatchCase{true, true, "OffererClient_WrongInOffer"},
                    MismatchCase{true, false, "OffererClient_WrongInAnswer"}),
    [](const testing::TestParamInfo<MismatchCase>& param) {
      return std::string(param.param.name);
    });

// The control for the tests above: with the right fingerprints the same
// role munging connects, and stats report the intended DTLS roles.
TEST_F(PeerConnectionSecurityTest,
       SEC22_OfferWithSetupActiveMakesOffererDtlsClient) {
  MakePeers();
  Channel* ca = NewChannel(a_, "chat", nullptr);
  munge_offer = [&](std::string& sdp) {
    EXPECT_EQ(ReplaceLines(sdp, "a=setup:", "active"), 1);
  };
  Negotiate(a_, b_);
  Channel* cb = WaitOpen(*ca, b_, 0, 10 * kSec);
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(TransportStat(a_, "dtlsRole"), "client");
  EXPECT_EQ(TransportStat(b_, "dtlsRole"), "server");
}

TEST_F(PeerConnectionSecurityTest, SEC22_ActpassOfferMakesOffererDtlsServer) {
  MakePeers();
  Channel* ca = NewChannel(a_, "chat", nullptr);
  Negotiate(a_, b_);
  Channel* cb = WaitOpen(*ca, b_, 0, 10 * kSec);
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(TransportStat(a_, "dtlsRole"), "server");
  EXPECT_EQ(TransportStat(b_, "dtlsRole"), "client");
}

// --- 2. The hash function of a=fingerprint (SEC-20, RFC 8122 §5) ---

class FingerprintHashTest
    : public PeerConnectionSecurityTest,
      public testing::WithParamInterface<rtc_hash_algorithm> {};

// RFC 8122 §5: a fingerprint may be computed with another hash function
// than SHA-256 (the grammar lists sha-1, sha-224, sha-256, sha-384,
// sha-512); the peer's certificate is checked with the hash the
// description names. Both sides here verify with it.
TEST_P(FingerprintHashTest,
       SEC20_FingerprintOfRealCertificateWithOtherHashConnects) {
  MakePeers();
  Channel* ca = NewChannel(a_, "chat", nullptr);
  const std::string fa = FingerprintOf(cert_a_, GetParam());
  const std::string fb = FingerprintOf(cert_b_, GetParam());
  ASSERT_EQ(fa.rfind(std::string(rtc_hash_algorithm_name(GetParam())) + " ", 0),
            0u)
      << fa;
  munge_offer = [&](std::string& sdp) {
    EXPECT_EQ(ReplaceLines(sdp, "a=fingerprint:", fa), 1);
  };
  munge_answer = [&](std::string& sdp) {
    EXPECT_EQ(ReplaceLines(sdp, "a=fingerprint:", fb), 1);
  };
  Negotiate(a_, b_);
  Channel* cb = WaitOpen(*ca, b_, 0, 10 * kSec);
  ASSERT_NE(cb, nullptr) << testing::PrintToString(a_.log);
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "hello"));
  EXPECT_EQ(a_.state, RTC_PC_STATE_CONNECTED);
  EXPECT_EQ(b_.state, RTC_PC_STATE_CONNECTED);
}

// The other hash is really checked, not skipped: the same hash of another
// certificate fails the connection.
TEST_P(FingerprintHashTest,
       SEC20_FingerprintOfOtherCertificateWithOtherHashFails) {
  MakePeers();
  Channel* ca = NewChannel(a_, "chat", nullptr);
  const std::string wrong = FingerprintOf(stranger_, GetParam());
  munge_answer = [&](std::string& sdp) {
    EXPECT_EQ(ReplaceLines(sdp, "a=fingerprint:", wrong), 1);
  };
  Negotiate(a_, b_);
  EXPECT_TRUE(
      RunUntil([&] { return a_.state == RTC_PC_STATE_FAILED; }, 30 * kSec))
      << testing::PrintToString(a_.log);
  EXPECT_EQ(log_.Count("matches no a=fingerprint", "sent alert 42"), 1);
  EXPECT_NE(ca->state(), RTC_DATA_CHANNEL_OPEN);
  EXPECT_TRUE(b_.remote_channels.empty());
}

INSTANTIATE_TEST_SUITE_P(
    OtherHashes,
    FingerprintHashTest,
    testing::Values(RTC_HASH_SHA1, RTC_HASH_SHA384, RTC_HASH_SHA512),
    [](const testing::TestParamInfo<rtc_hash_algorithm>& param) {
      std::string name = rtc_hash_algorithm_name(param.param);
      name.erase(name.find('-'), 1);
      return name;
    });

struct BadFingerprint {
  const char* name;
  const char* value;  // what replaces "sha-256 AB:..."
};

void PrintTo(const BadFingerprint& c, std::ostream* os) {
  *os << c.name;
}

class BadFingerprintTest : public PeerConnectionSecurityTest,
                           public testing::WithParamInterface<BadFingerprint> {
};

// SEC-20: md2 and md5 are broken hash functions (RFC 8122 §5 keeps them in
// the grammar for old peers only; no WebRTC endpoint generates them, and
// libwebrtc's SDP parser takes only the FIPS 180 hashes), an unknown hash
// name cannot be checked, and
// a digest of the wrong length is malformed. The description is refused
// as an SDP error (RTCError "sdp-syntax-error", an OperationError) and
// leaves the connection as it was.
TEST_P(BadFingerprintTest, SEC20_RemoteOfferIsRejectedAndNotApplied) {
  MakePeers();
  NewChannel(a_, "chat", nullptr);  // a data section to offer
  std::string offer = CreateOffer(a_);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(ReplaceLines(offer, "a=fingerprint:", GetParam().value), 1);
  std::string message;
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer, &message),
            RTC_ERR_SDP_SYNTAX)
      << message;
  EXPECT_EQ(SignalingState(b_), RTC_SIGNALING_STABLE);
  EXPECT_EQ(Description(b_, RTC_DESCRIPTION_REMOTE), "");
}

INSTANTIATE_TEST_SUITE_P(
    Refused,
    BadFingerprintTest,
    testing::Values(
        BadFingerprint{"Md5",
                       "md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"},
        BadFingerprint{"Md2",
                       "md2 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"},
        BadFingerprint{"UnknownHash",
                       "foo 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                       "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"},
        BadFingerprint{"Sha256OfWrongLength",
                       "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE"}),
    [](const testing::TestParamInfo<BadFingerprint>& param) {
      return std::string(param.param.name);
    });

// --- 3. SDES (SEC-04) and descriptions without a fingerprint ---

// The remote offer of WPT webrtc/protocol/sdes-dont-dont-dont.html,
// verbatim: SDES keys (a=crypto) and no a=fingerprint.
constexpr char kSdesOnlyOffer[] =
    "v=0\n"
    "o=- 0 3 IN IP4 127.0.0.1\n"
    "s=-\n"
    "t=0 0\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 100\n"
    "c=IN IP4 0.0.0.0\n"
    "a=rtcp-mux\n"
    "a=sendonly\n"
    "a=mid:video\n"
    "a=rtpmap:100 VP8/90000\n"
    "a=fmtp:100 max-fr=30;max-fs=3600\n"
    "a=crypto:0 AES_CM_128_HMAC_SHA1_80 "
    "inline:2nra27hTUb9ilyn2rEkBEQN9WOFts26F/jvofasw\n"
    "a=ice-ufrag:ETEn\n"
    "a=ice-pwd:OtSK0WpNtpUjkY4+86js7Z/l\n";

// An SDES key line (RFC 4568 §9.1).
constexpr char kCryptoLine[] =
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32";

// SEC-04 (b). RFC 8826 §4.3.1, RFC 8827 §6.5: SDES must not be negotiated.
// The WPT test accepts InvalidAccessError or OperationError
// (w3c/webrtc-pc#2672); we give InvalidAccessError.
TEST_F(PeerConnectionSecurityTest,
       SEC04_RejectsSdesOnlyOfferWithInvalidAccessError) {
  MakePeers();
  std::string message;
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, kSdesOnlyOffer, &message),
            RTC_ERR_INVALID_ACCESS)
      << message;
  EXPECT_EQ(SignalingState(b_), RTC_SIGNALING_STABLE);
  EXPECT_EQ(Description(b_, RTC_DESCRIPTION_REMOTE), "");
}

// SEC-04 (a) and (c): our offers never carry a=crypto; an offer with SDES
// keys and a fingerprint is accepted, its keys ignored: the answer (and a
// later offer of ours) has no a=crypto, and DTLS keys the session.
TEST_F(PeerConnectionSecurityTest,
       SEC04_AcceptsOfferWithCryptoBesideFingerprintAndNeverSendsCrypto) {
  MakePeers();
  Channel* ca = NewChannel(a_, "chat", nullptr);
  // An RTP section: that is where a=crypto belongs (RFC 4568).
  OnQueue(a_.signaling, [&] {
    rtc_rtp_transceiver* t = nullptr;
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_.pc, RTC_MEDIA_AUDIO,
                                                  nullptr, &t, &info),
              RTC_OK)
        << info.message;
    rtc_rtp_transceiver_unref(t);
  });
  std::string answer;
  munge_offer = [&](std::string& sdp) {
    EXPECT_EQ(CountLines(sdp, "a=crypto:"), 0) << sdp;
    EXPECT_EQ(InsertAfterLines(sdp, "a=mid:", kCryptoLine), 2) << sdp;
  };
  munge_answer = [&](std::string& sdp) { answer = sdp; };
  Negotiate(a_, b_);
  EXPECT_EQ(CountLines(answer, "a=crypto:"), 0) << answer;
  EXPECT_EQ(CountLines(answer, "a=fingerprint:"), 2) << answer;
  Channel* cb = WaitOpen(*ca, b_, 0, 10 * kSec);
  ASSERT_NE(cb, nullptr) << testing::PrintToString(b_.log);
  EXPECT_EQ(TransportStat(b_, "dtlsState"), "connected");
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "keyed by DTLS"));
  // b keeps the SDES lines in its remote description (as received) but
  // never sends any: not in a new offer either.
  EXPECT_EQ(CountLines(Description(b_, RTC_DESCRIPTION_REMOTE), "a=crypto:"),
            2);
  const std::string reoffer = CreateOffer(b_);
  EXPECT_EQ(CountLines(reoffer, "a=crypto:"), 0) << reoffer;
  EXPECT_EQ(CountLines(reoffer, "a=fingerprint:"), 2) << reoffer;
}

// RFC 9429 §5.8.3 (JSEP "Semantics Verification"): at least one
// fingerprint must be present, at media or session level (SEC-03).
TEST_F(PeerConnectionSecurityTest, RejectsOfferWithoutFingerprint) {
  MakePeers();
  NewChannel(a_, "chat", nullptr);  // a data section to offer
  std::string offer = CreateOffer(a_);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(RemoveLines(offer, "a=fingerprint:"), 1);
  std::string message;
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer, &message),
            RTC_ERR_INVALID_ACCESS)
      << message;
  EXPECT_EQ(SignalingState(b_), RTC_SIGNALING_STABLE);
  EXPECT_EQ(Description(b_, RTC_DESCRIPTION_REMOTE), "");
}

TEST_F(PeerConnectionSecurityTest, RejectsAnswerWithoutFingerprint) {
  MakePeers();
  Channel* ca = NewChannel(a_, "chat", nullptr);
  std::string offer = CreateOffer(a_);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  std::string answer = CreateAnswer(b_);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(RemoveLines(answer, "a=fingerprint:"), 1);
  std::string message;
  EXPECT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, answer, &message),
            RTC_ERR_INVALID_ACCESS)
      << message;
  EXPECT_EQ(SignalingState(a_), RTC_SIGNALING_HAVE_LOCAL_OFFER);
  RunUntil([] { return false; }, 10 * kSec);
  EXPECT_NE(ca->state(), RTC_DATA_CHANNEL_OPEN);
  EXPECT_TRUE(b_.remote_channels.empty());
}

// The same check does not refuse a fingerprint given at session level,
// which every section inherits (RFC 9429 §5.8.3, RFC 8122 §5).
TEST_F(PeerConnectionSecurityTest, AcceptsSessionLevelFingerprint) {
  MakePeers();
  Channel* ca = NewChannel(a_, "chat", nullptr);
  munge_offer = [&](std::string& sdp) {
    const std::string fp =
        "a=fingerprint:" + FingerprintOf(cert_a_, RTC_HASH_SHA256);
    ASSERT_EQ(RemoveLines(sdp, "a=fingerprint:"), 1);
    ASSERT_EQ(InsertAfterLines(sdp, "t=", fp), 1);
  };
  Negotiate(a_, b_);
  EXPECT_NE(WaitOpen(*ca, b_, 0, 10 * kSec), nullptr);
}

// --- 4. A fingerprint that changes in a renegotiation (SEC-21) ---

// RFC 9429 §5.11: "If the remote DTLS fingerprint has been changed ...
// tear down the DTLS connection. ... If a DTLS connection needs to be torn
// down but the answer does not indicate an ICE restart ..., an error MUST
// be generated." WPT webrtc/protocol/fingerprint-change-requires-ice-
// restart.html applies it to re-offers too, with InvalidAccessError. The
// running association is untouched.
TEST_F(PeerConnectionSecurityTest,
       SEC21_RejectsReofferThatChangesFingerprintWithoutIceRestart) {
  Channel* ca = nullptr;
  Channel* cb = nullptr;
  ASSERT_NO_FATAL_FAILURE(Connect(&ca, &cb));
  std::string reoffer = CreateOffer(a_);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, reoffer), RTC_OK);
  ASSERT_EQ(ReplaceLines(reoffer, "a=fingerprint:",
                         FingerprintOf(stranger_, RTC_HASH_SHA256)),
            1);
  std::string message;
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, reoffer, &message),
            RTC_ERR_INVALID_ACCESS)
      << message;
  EXPECT_EQ(SignalingState(b_), RTC_SIGNALING_STABLE);
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "still authenticated"));
  EXPECT_TRUE(Delivered(b_, *cb, *ca, "both ways"));
  EXPECT_EQ(TransportStat(b_, "dtlsState"), "connected");
}

TEST_F(PeerConnectionSecurityTest,
       SEC21_RejectsReanswerThatChangesFingerprintWithoutIceRestart) {
  Channel* ca = nullptr;
  Channel* cb = nullptr;
  ASSERT_NO_FATAL_FAILURE(Connect(&ca, &cb));
  std::string reoffer = CreateOffer(a_);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, reoffer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, reoffer), RTC_OK);
  std::string answer = CreateAnswer(b_);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(ReplaceLines(answer, "a=fingerprint:",
                         FingerprintOf(stranger_, RTC_HASH_SHA256)),
            1);
  std::string message;
  EXPECT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, answer, &message),
            RTC_ERR_INVALID_ACCESS)
      << message;
  EXPECT_EQ(SignalingState(a_), RTC_SIGNALING_HAVE_LOCAL_OFFER);
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "still authenticated"));
  EXPECT_TRUE(Delivered(b_, *cb, *ca, "both ways"));
  EXPECT_EQ(TransportStat(a_, "dtlsState"), "connected");
}

// RFC 9429 §5.11: "If an ICE restart is performed without a change in the
// tls-id value or fingerprint, then the same DTLS connection is continued
// over the new ICE channel." The control for the next test: a restart
// alone neither tears DTLS down nor stops data, and both sides reconnect
// on the new ICE generation (well past the 30 s consent timeout of the old
// one).
TEST_F(PeerConnectionSecurityTest,
       SEC21_IceRestartWithSameFingerprintContinuesDtlsAssociation) {
  Channel* ca = nullptr;
  Channel* cb = nullptr;
  ASSERT_NO_FATAL_FAILURE(Connect(&ca, &cb));
  const size_t a_mark = a_.log.size();
  const size_t b_mark = b_.log.size();
  OnQueue(a_.signaling, [&] { rtc_peer_connection_restart_ice(a_.pc); });
  std::string offer;
  munge_offer = [&](std::string& sdp) { offer = sdp; };
  const std::string ufrag_before =
      LineValue(Description(a_, RTC_DESCRIPTION_CURRENT_LOCAL), "a=ice-ufrag:");
  Negotiate(a_, b_);
  ASSERT_FALSE(ufrag_before.empty());
  EXPECT_NE(LineValue(offer, "a=ice-ufrag:"), ufrag_before)
      << "the offer did not restart ICE";
  RunUntil([] { return false; }, 60 * kSec);
  for (Peer* p : {&a_, &b_}) {
    EXPECT_EQ(p->state, RTC_PC_STATE_CONNECTED)
        << p->name << ": " << testing::PrintToString(p->log);
    EXPECT_TRUE(p->ice_state == RTC_ICE_TRANSPORT_CONNECTED ||
                p->ice_state == RTC_ICE_TRANSPORT_COMPLETED)
        << p->name;
    EXPECT_EQ(TransportStat(*p, "dtlsState"), "connected") << p->name;
  }
  std::vector<std::string> a_after(a_.log.begin() + a_mark, a_.log.end());
  std::vector<std::string> b_after(b_.log.begin() + b_mark, b_.log.end());
  EXPECT_FALSE(Contains(a_after, "connection:failed"));
  EXPECT_FALSE(Contains(b_after, "connection:failed"));
  EXPECT_EQ(log_.Count("DTLS failed"), 0);
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "same association"));
  EXPECT_TRUE(Delivered(b_, *cb, *ca, "both ways"));
}

// With an ICE restart a new fingerprint is legitimate (RFC 9429 §5.11): the
// description is accepted, the DTLS connection the old fingerprint
// authenticated is torn down, and a new one must verify the peer against
// the new fingerprint. Here the peer kept its certificate (the fingerprint
// was forged on the way), so that can never succeed: nothing either side
// sends after the restart is delivered, and the side that took the forged
// fingerprint never reports "connected" again. As DTLS client its new
// handshake goes unanswered and fails (BoringSSL gives up after 12
// retransmissions, about 282 s); as server it waits for a ClientHello the
// peer, whose association was closed (close_notify), never sends.
struct ForgedRestartCase {
  bool in_offer;  // else in the answer
  const char* name;
};

void PrintTo(const ForgedRestartCase& c, std::ostream* os) {
  *os << c.name;
}

class ForgedFingerprintRestartTest
    : public PeerConnectionSecurityTest,
      public testing::WithParamInterface<ForgedRestartCase> {};

TEST_P(ForgedFingerprintRestartTest, SEC21_TearsDownDtlsAndDeliversNothing) {
  const ForgedRestartCase& c = GetParam();
  Channel* ca = nullptr;
  Channel* cb = nullptr;
  ASSERT_NO_FATAL_FAILURE(Connect(&ca, &cb));
  ASSERT_TRUE(Delivered(a_, *ca, *cb, "before"));
  ASSERT_TRUE(Delivered(b_, *cb, *ca, "reply"));
  const std::string forged = FingerprintOf(stranger_, RTC_HASH_SHA256);
  auto forge = [&](std::string& sdp) {
    EXPECT_EQ(ReplaceLines(sdp, "a=fingerprint:", forged), 1);
  };
  if (c.in_offer)
    munge_offer = forge;
  else
    munge_answer = forge;
  Peer& victim = c.in_offer ? b_ : a_;
  const size_t mark = victim.log.size();
  const std::string ufrag_before =
      LineValue(Description(a_, RTC_DESCRIPTION_CURRENT_LOCAL), "a=ice-ufrag:");
  OnQueue(a_.signaling, [&] { rtc_peer_connection_restart_ice(a_.pc); });
  Negotiate(a_, b_);  // accepted: it restarts ICE
  EXPECT_NE(
      LineValue(Description(a_, RTC_DESCRIPTION_CURRENT_LOCAL), "a=ice-ufrag:"),
      ufrag_before);

  RunSending({{&a_, ca}, {&b_, cb}}, 20 * kSec);
  RunUntil([&] { return victim.state == RTC_PC_STATE_FAILED; }, 600 * kSec);

  EXPECT_EQ(cb->messages, std::vector<std::string>{"before"});
  EXPECT_EQ(ca->messages, std::vector<std::string>{"reply"});
  std::vector<std::string> after(victim.log.begin() + mark, victim.log.end());
  EXPECT_FALSE(Contains(after, "connection:connected"))
      << testing::PrintToString(after);
  EXPECT_NE(TransportStat(victim, "dtlsState"), "connected");
  // Victim b is the DTLS client (our answerer's default role), a the
  // server.
  if (c.in_offer) {
    EXPECT_EQ(victim.state, RTC_PC_STATE_FAILED)
        << testing::PrintToString(after);
  } else {
    EXPECT_NE(victim.state, RTC_PC_STATE_CONNECTED)
        << testing::PrintToString(after);
  }
  // The peer did not start a second handshake that could have failed on
  // the fingerprint: the old association is gone, none verified since.
  EXPECT_EQ(log_.Count("matches no a=fingerprint"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    OfferOrAnswer,
    ForgedFingerprintRestartTest,
    testing::Values(ForgedRestartCase{true, "ForgedInOffer"},
                    ForgedRestartCase{false, "ForgedInAnswer"}),
    [](const testing::TestParamInfo<ForgedRestartCase>& param) {
      return std::string(param.param.name);
    });

// --- 5. a=tls-id and a=setup of a continued association (SEC-23, SEC-22) ---

constexpr char kTlsIdA[] = "a=tls-id:aaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kTlsIdB[] = "a=tls-id:bbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kTlsIdNew[] = "a=tls-id:nnnnnnnnnnnnnnnnnnnnnnnn";

// RFC 9429 §5.11: "If an ICE restart is performed without a change in the
// tls-id value or fingerprint, then the same DTLS connection is continued";
// a new tls-id is a new association (RFC 8842 §5), so, like a new
// fingerprint, it needs an ICE restart: a re-offer with a new tls-id and
// the old ufrag is refused and the running association is untouched. The
// same re-offer keeping its tls-id is accepted.
TEST_F(PeerConnectionSecurityTest,
       SEC23_RejectsReofferThatChangesTlsIdWithoutIceRestart) {
  munge_offer = [](std::string& sdp) {
    ASSERT_GE(InsertAfterLines(sdp, "a=fingerprint:", kTlsIdA), 1);
  };
  munge_answer = [](std::string& sdp) {
    ASSERT_GE(InsertAfterLines(sdp, "a=fingerprint:", kTlsIdB), 1);
  };
  Channel* ca = nullptr;
  Channel* cb = nullptr;
  ASSERT_NO_FATAL_FAILURE(Connect(&ca, &cb));
  std::string reoffer = CreateOffer(a_);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, reoffer), RTC_OK);
  std::string changed = reoffer;
  ASSERT_GE(InsertAfterLines(changed, "a=fingerprint:", kTlsIdNew), 1);
  std::string message;
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, changed, &message),
            RTC_ERR_INVALID_ACCESS)
      << message;
  EXPECT_EQ(SignalingState(b_), RTC_SIGNALING_STABLE);
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "still the same association"));
  EXPECT_EQ(TransportStat(b_, "dtlsState"), "connected");
  std::string same = reoffer;
  ASSERT_GE(InsertAfterLines(same, "a=fingerprint:", kTlsIdA), 1);
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, same, &message), RTC_OK)
      << message;
}

// With an ICE restart, a new tls-id is legitimate.
TEST_F(PeerConnectionSecurityTest, SEC23_AcceptsNewTlsIdWithIceRestart) {
  munge_offer = [](std::string& sdp) {
    ASSERT_GE(InsertAfterLines(sdp, "a=fingerprint:", kTlsIdA), 1);
  };
  munge_answer = [](std::string& sdp) {
    ASSERT_GE(InsertAfterLines(sdp, "a=fingerprint:", kTlsIdB), 1);
  };
  Channel* ca = nullptr;
  Channel* cb = nullptr;
  ASSERT_NO_FATAL_FAILURE(Connect(&ca, &cb));
  std::string reoffer = CreateOffer(a_, /*ice_restart=*/true);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, reoffer), RTC_OK);
  ASSERT_GE(InsertAfterLines(reoffer, "a=fingerprint:", kTlsIdNew), 1);
  std::string message;
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, reoffer, &message), RTC_OK)
      << message;
}

// RFC 8842 §5: the DTLS roles are fixed for the life of an association.
// a_ offered actpass and b_ answered active: b_ is the DTLS client. A
// re-offer from b_ asking to be the server (passive), and a re-answer from
// b_ making itself the server, both without a new association, are
// refused; the running association is untouched.
TEST_F(PeerConnectionSecurityTest,
       SEC22_RejectsDtlsRoleChangeOfARunningAssociation) {
  Channel* ca = nullptr;
  Channel* cb = nullptr;
  ASSERT_NO_FATAL_FAILURE(Connect(&ca, &cb));
  std::string message;
  // A re-offer from the client asking to be the server.
  std::string reoffer = CreateOffer(b_);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_OFFER, reoffer), RTC_OK);
  std::string flipped = reoffer;
  ASSERT_GE(ReplaceLines(flipped, "a=setup:", "passive"), 1);
  EXPECT_EQ(SetDescription(a_, false, RTC_SDP_OFFER, flipped, &message),
            RTC_ERR_INVALID_ACCESS)
      << message;
  EXPECT_EQ(SignalingState(a_), RTC_SIGNALING_STABLE);
  // The same re-offer as it was (actpass) is fine; its answer from a_
  // keeps a_ the server.
  ASSERT_EQ(SetDescription(a_, false, RTC_SDP_OFFER, reoffer, &message), RTC_OK)
      << message;
  std::string answer = CreateAnswer(a_);
  EXPECT_EQ(LineValue(answer, "a=setup:"), "passive");
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_ANSWER, answer), RTC_OK);

  // A re-answer from b_ that would make it the server too.
  std::string reoffer2 = CreateOffer(a_);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, reoffer2), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, reoffer2), RTC_OK);
  std::string answer2 = CreateAnswer(b_);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer2), RTC_OK);
  EXPECT_EQ(LineValue(answer2, "a=setup:"), "active");
  ASSERT_GE(ReplaceLines(answer2, "a=setup:", "passive"), 1);
  EXPECT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, answer2, &message),
            RTC_ERR_INVALID_ACCESS)
      << message;
  EXPECT_EQ(SignalingState(a_), RTC_SIGNALING_HAVE_LOCAL_OFFER);
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "still the same association"));
  EXPECT_TRUE(Delivered(b_, *cb, *ca, "both ways"));
  EXPECT_EQ(TransportStat(a_, "dtlsState"), "connected");
}

// --- 6. A stray ClientHello from a third address (SEC-29) ---

// A real DTLS 1.2 ClientHello, as any BoringSSL client sends it.
std::string StrayClientHello() {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(DTLS_method()));
  if (!ctx)
    return "";
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx.get()));
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (!ssl || !rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    return "";
  }
  SSL_set_bio(ssl.get(), rbio, wbio);
  SSL_set_connect_state(ssl.get());
  SSL_do_handshake(ssl.get());
  ERR_clear_error();
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(wbio, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

// The host candidate address of p's local description.
bool HostCandidate(const std::string& sdp,
                   const std::string& ip,
                   rtc_socket_address* out) {
  for (size_t at = sdp.find("a=candidate:"); at != std::string::npos;
       at = sdp.find("a=candidate:", at + 1)) {
    std::string line = sdp.substr(at, sdp.find_first_of("\r\n", at) - at);
    size_t ip_at = line.find(" " + ip + " ");
    if (ip_at == std::string::npos ||
        line.find(" typ host") == std::string::npos)
      continue;
    std::string hostport = ip + ":" +
                           line.substr(ip_at + ip.size() + 2,
                                       line.find(' ', ip_at + ip.size() + 2) -
                                           (ip_at + ip.size() + 2));
    return rtc_socket_address_parse(hostport.c_str(), hostport.size(), out) ==
           RTC_OK;
  }
  return false;
}

// Enable Security's "DTLS ClientHello race": while ICE is checking (and
// again once connected), a third host sends a genuine ClientHello to both
// peers' ports. Only packets of the ICE-selected pair reach DTLS: the
// stray gets no answer at all, and the real handshake completes, verified
// against the SDP fingerprints, with data flowing both ways.
TEST_F(PeerConnectionSecurityTest,
       SEC29_StrayClientHelloFromAThirdAddressIsIgnored) {
  MakePeers();
  // Slow links: ICE is still checking when the stray packets arrive.
  SetLink(a_, 40 * kMs, 0);
  SetLink(b_, 40 * kMs, 0);
  rtc_socket_address stray_ip;
  ASSERT_EQ(rtc_socket_address_parse("203.0.113.66", 12, &stray_ip), RTC_OK);
  rtc_sim_host* stray_host = nullptr;
  ASSERT_EQ(rtc_sim_network_add_host(net_, nullptr, &stray_ip, &stray_host),
            RTC_OK);
  rtc_task_queue* stray_queue = nullptr;
  ASSERT_EQ(rtc_sim_time_create_queue(time_, "stray", &stray_queue), RTC_OK);
  struct Received {
    int packets = 0;
  } received;
  static const rtc_packet_socket_observer kStrayObserver = {
      [](void* user, rtc_packet_socket*, const rtc_received_packet*,
         size_t count) {
        static_cast<Received*>(user)->packets += static_cast<int>(count);
      },
      nullptr, nullptr};
  rtc_packet_socket* stray = nullptr;
  OnQueue(stray_queue, [&] {
    ASSERT_EQ(rtc_socket_factory_create_udp(
                  rtc_sim_host_socket_factory(stray_host), stray_queue,
                  &stray_ip, nullptr, &kStrayObserver, &received, &stray),
              RTC_OK);
  });
  const std::string hello = StrayClientHello();
  ASSERT_GT(hello.size(), 50u);
  ASSERT_EQ(hello[0], 22);  // a handshake record

  Channel* ca = NewChannel(a_, "chat", nullptr);
  Negotiate(a_, b_);
  ASSERT_TRUE(RunUntil(
      [&] {
        rtc_socket_address x;
        return HostCandidate(Description(a_, RTC_DESCRIPTION_LOCAL),
                             "203.0.113.1", &x) &&
               HostCandidate(Description(b_, RTC_DESCRIPTION_LOCAL),
                             "203.0.113.2", &x);
      },
      kSec));
  rtc_socket_address targets[2];
  ASSERT_TRUE(HostCandidate(Description(a_, RTC_DESCRIPTION_LOCAL),
                            "203.0.113.1", &targets[0]));
  ASSERT_TRUE(HostCandidate(Description(b_, RTC_DESCRIPTION_LOCAL),
                            "203.0.113.2", &targets[1]));
  auto send_stray = [&] {
    OnQueue(stray_queue, [&] {
      for (const rtc_socket_address& to : targets) {
        EXPECT_EQ(rtc_packet_socket_send_to(
                      stray, reinterpret_cast<const uint8_t*>(hello.data()),
                      hello.size(), &to),
                  RTC_OK);
      }
    });
  };
  send_stray();
  EXPECT_NE(TransportStat(a_, "dtlsState"), "connected");  // still checking

  Channel* cb = WaitOpen(*ca, b_, 0, 10 * kSec);
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(TransportStat(a_, "dtlsState"), "connected");
  EXPECT_EQ(TransportStat(b_, "dtlsState"), "connected");
  send_stray();
  RunUntil([] { return false; }, kSec);
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "after the strays"));
  EXPECT_TRUE(Delivered(b_, *cb, *ca, "both ways"));
  EXPECT_EQ(TransportStat(a_, "dtlsState"), "connected");
  EXPECT_EQ(TransportStat(b_, "dtlsState"), "connected");
  // Nobody answered the stray: no ServerHello, no HelloVerifyRequest, no
  // alert, no STUN.
  EXPECT_EQ(received.packets, 0);
  OnQueue(stray_queue, [&] { rtc_packet_socket_destroy(stray); });
  rtc_task_queue_destroy(stray_queue);
}

// --- 7. SCTP only inside DTLS (SEC-06) ---

// RFC 8827 §6.5 / RFC 8261 §5: data channels run SCTP over DTLS only. A
// capture of every datagram both peers send (the simulated network's view
// of what a pcap would show): each is STUN or a whole sequence of DTLS
// records; nothing else (no raw SCTP, whose common header starts with the
// port 5000, first byte 0x13); application data is never in epoch 0; and
// each side's first application data record (its first SCTP packet, the
// INIT or INIT ACK) comes only after the last ChangeCipherSpec of the
// handshake.
TEST_F(PeerConnectionSecurityTest, SEC06_SctpOnlyInsideDtlsAfterTheHandshake) {
  MakePeers();
  struct Datagram {
    const rtc_sim_host* host;
    std::string data;
  };
  std::vector<Datagram> capture;
  rtc_sim_network_set_capture(
      net_,
      [](void* user, const rtc_sim_host* host, const rtc_socket_address*,
         const rtc_socket_address*, const uint8_t* data, size_t size) {
        static_cast<std::vector<Datagram>*>(user)->push_back(
            {host, std::string(reinterpret_cast<const char*>(data), size)});
      },
      &capture);
  Channel* ca = NewChannel(a_, "chat", nullptr);
  Negotiate(a_, b_);
  Channel* cb = WaitOpen(*ca, b_, 0, 10 * kSec);
  ASSERT_NE(cb, nullptr);
  EXPECT_TRUE(Delivered(a_, *ca, *cb, "one"));
  EXPECT_TRUE(Delivered(b_, *cb, *ca, "two"));
  rtc_sim_network_set_capture(net_, nullptr, nullptr);

  size_t last_ccs = 0;
  size_t first_app[2] = {SIZE_MAX, SIZE_MAX};
  size_t stun = 0, dtls = 0;
  for (size_t i = 0; i < capture.size(); ++i) {
    const std::string& d = capture[i].data;
    ASSERT_FALSE(d.empty());
    uint8_t first = static_cast<uint8_t>(d[0]);
    if (first <= 3) {  // RFC 7983: STUN
      stun++;
      continue;
    }
    ASSERT_TRUE(first >= 20 && first <= 63)
        << "datagram " << i << " is neither STUN nor DTLS: first byte "
        << int{first};
    dtls++;
    int side = capture[i].host == a_.host ? 0 : 1;
    // RFC 6347 §4.1: type(1) version(2) epoch(2) sequence(6) length(2).
    size_t at = 0;
    while (at < d.size()) {
      ASSERT_LE(at + 13, d.size()) << "datagram " << i;
      uint8_t type = static_cast<uint8_t>(d[at]);
      uint16_t epoch =
          static_cast<uint16_t>((static_cast<uint8_t>(d[at + 3]) << 8) |
                                static_cast<uint8_t>(d[at + 4]));
      size_t length = (static_cast<uint8_t>(d[at + 11]) << 8) |
                      static_cast<uint8_t>(d[at + 12]);
      ASSERT_TRUE(type >= 20 && type <= 23) << "record type " << int{type};
      if (type == 20)
        last_ccs = i;
      if (type == 23) {
        EXPECT_GE(epoch, 1) << "application data in the clear";
        first_app[side] = std::min(first_app[side], i);
      }
      at += 13 + length;
    }
    ASSERT_EQ(at, d.size()) << "datagram " << i << " is not whole records";
  }
  EXPECT_GT(stun, 0u);
  EXPECT_GT(dtls, 0u);
  ASSERT_NE(first_app[0], SIZE_MAX);
  ASSERT_NE(first_app[1], SIZE_MAX);
  EXPECT_GT(first_app[0], last_ccs);
  EXPECT_GT(first_app[1], last_ccs);
}

}  // namespace
