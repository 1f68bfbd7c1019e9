// getStats() (webrtc-pc §8, webrtc-stats) between two peer connections on
// the simulated network: the report is parsed as JSON and checked against
// the mandatory-to-implement stats of webrtc-pc §8.6 (the list the WPT test
// webrtc/RTCPeerConnection-mandatory-getStats.https.html checks), the
// references between its objects, and the values the connection must show.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "api/rtc_peer_connection.h"
#include "p2p/certificate.h"
#include "p2p/packet_socket.h"
#include "p2p/socket_factory.h"
#include "test/pc/pc_test_util.h"

namespace {

using rtc_test::Channel;
using rtc_test::kMs;
using rtc_test::kSec;
using rtc_test::Peer;
using rtc_test::PeerConnectionTest;

// --- A small JSON parser (RFC 8259) ---

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = kNull;
  bool boolean = false;
  double number = 0;
  std::string str;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json* Find(const std::string& name) const {
    for (const auto& m : members) {
      if (m.first == name)
        return &m.second;
    }
    return nullptr;
  }
};

const char* KindName(Json::Kind kind) {
  static const char* const kNames[] = {"null",   "boolean", "number",
                                       "string", "array",   "object"};
  return kNames[kind];
}

// True when `s` is well-formed UTF-8 (RFC 3629 §4).
bool IsUtf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n)
      return false;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += len;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Strict: the whole text is one value; duplicate object keys are errors
// (a report with two objects of one id would lose one).
class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : t_(text) {}

  bool Parse(Json* out) {
    if (!IsUtf8(t_))
      return Fail("not UTF-8");
    if (!Value(out, 0))
      return false;
    Space();
    if (pos_ != t_.size())
      return Fail("text after the value");
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool Fail(const std::string& what) {
    if (error_.empty())
      error_ = what + " at offset " + std::to_string(pos_);
    return false;
  }

  void Space() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' ||
                                t_[pos_] == '\n' || t_[pos_] == '\r'))
      pos_++;
  }

  bool Literal(const char* word) {
    size_t n = strlen(word);
    if (t_.compare(pos_, n, word) != 0)
      return Fail(std::string("expected ") + word);
    pos_ += n;
    return true;
  }

  bool Value(Json* v, int depth) {
    if (depth > 32)
      return Fail("nested too deep");
    Space();
    if (pos_ >= t_.size())
      return Fail("unexpected end");
    char c = t_[pos_];
    if (c == '{')
      return Object(v, depth);
    if (c == '[')
      return Array(v, depth);
    if (c == '"') {
      v->kind = Json::kString;
      return String(&v->str);
    }
    if (c == 't' || c == 'f') {
      v->kind = Json::kBool;
      v->boolean = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      v->kind = Json::kNull;
      return Literal("null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v->kind = Json::kNumber;
      return Number(&v->number);
    }
    return Fail("unexpected character");
  }

  bool Object(Json* v, int depth) {
    v->kind = Json::kObject;
    pos_++;  // {
    Space();
    if (pos_ < t_.size() && t_[pos_] == '}') {
      pos_++;
      return true;
    }
    for (;;) {
      Space();
      if (pos_ >= t_.size() || t_[pos_] != '"')
        return Fail("expected a member name");
      std::string name;
      if (!String(&name))
        return false;
      if (v->Find(name))
        return Fail("duplicate member \"" + name + "\"");
      Space();
      if (pos_ >= t_.size() || t_[pos_] != ':')
        return Fail("expected ':'");
      pos_++;
      Json member;
      if (!Value(&member, depth + 1))
        return false;
      v->members.emplace_back(std::move(name), std::move(member));
      Space();
      if (pos_ < t_.size() && t_[pos_] == ',') {
        pos_++;
        continue;
      }
      if (pos_ < t_.size() && t_[pos_] == '}') {
        pos_++;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  bool Array(Json* v, int depth) {
    v->kind = Json::kArray;
    pos_++;  // [
    Space();
    if (pos_ < t_.size() && t_[pos_] == ']') {
      pos_++;
      return true;
    }
    for (;;) {
      Json item;
      if (!Value(&item, depth + 1))
        return false;
      v->items.push_back(std::move(item));
      Space();
      if (pos_ < t_.size() && t_[pos_] == ',') {
        pos_++;
        continue;
      }
      if (pos_ < t_.size() && t_[pos_] == ']') {
        pos_++;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > t_.size())
      return Fail("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      char c = t_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return Fail("bad \\u escape");
    }
    *out = v;
    return true;
  }

  bool String(std::string* out) {
    pos_++;  // "
    for (;;) {
      if (pos_ >= t_.size())
        return Fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(t_[pos_++]);
      if (c == '"')
        return true;
      if (c < 0x20)
        return Fail("unescaped control character");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        continue;
      }
      if (pos_ >= t_.size())
        return Fail("unterminated escape");
      char e = t_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp))
            return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF)
            return Fail("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (t_.compare(pos_, 2, "\\u") != 0)
              return Fail("lone high surrogate");
            pos_ += 2;
            if (!Hex4(&low))
              return false;
            if (low < 0xDC00 || low > 0xDFFF)
              return Fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Fail("bad escape");
      }
    }
  }

  static bool Digit(char c) { return c >= '0' && c <= '9'; }

  // -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
  bool Number(double* out) {
    size_t start = pos_;
    if (t_[pos_] == '-')
      pos_++;
    if (pos_ >= t_.size() || !Digit(t_[pos_]))
      return Fail("bad number");
    if (t_[pos_] == '0') {
      pos_++;
    } else {
      while (pos_ < t_.size() && Digit(t_[pos_]))
        pos_++;
    }
    if (pos_ < t_.size() && t_[pos_] == '.') {
      pos_++;
      if (pos_ >= t_.size() || !Digit(t_[pos_]))
        return Fail("bad fraction");
      while (pos_ < t_.size() && Digit(t_[pos_]))
        pos_++;
    }
    if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
      pos_++;
      if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-'))
        pos_++;
      if (pos_ >= t_.size() || !Digit(t_[pos_]))
        return Fail("bad exponent");
      while (pos_ < t_.size() && Digit(t_[pos_]))
        pos_++;
    }
    *out = strtod(t_.substr(start, pos_ - start).c_str(), nullptr);
    return true;
  }

  const std::string& t_;
  size_t pos_ = 0;
  std::string error_;
};

TEST(StatsJsonParserTest, ParsesWhatTheReportUsesAndRejectsMalformedText) {
  Json v;
  std::string good =
      "{\"a\":{\"s\":\"x\\\"\\u00e9\\ud83d\\ude00\",\"n\":-1.5e3,"
      "\"b\":true,\"z\":null,\"l\":[1,2]}}";
  JsonParser p(good);
  ASSERT_TRUE(p.Parse(&v)) << p.error();
  const Json* a = v.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->Find("s")->str, "x\"\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(a->Find("n")->number, -1500);
  EXPECT_TRUE(a->Find("b")->boolean);
  EXPECT_EQ(a->Find("z")->kind, Json::kNull);
  EXPECT_EQ(a->Find("l")->items.size(), 2u);
  for (const char* bad :
       {"{\"a\":1,\"a\":2}", "{\"a\":01}", "{\"a\":\"\n\"}", "{\"a\":1,}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\xff\"}", "{} x", "{\"a\":.5}"}) {
    std::string text = bad;
    JsonParser q(text);
    Json w;
    EXPECT_FALSE(q.Parse(&w)) << bad;
  }
}

// --- The report ---

struct Report {
  Json root;
  bool ok = false;

  std::vector<const Json*> OfType(const std::string& type) const {
    std::vector<const Json*> out;
    for (const auto& m : root.members) {
      const Json* t = m.second.Find("type");
      if (t && t->kind == Json::kString && t->str == type)
        out.push_back(&m.second);
    }
    return out;
  }
  const Json* One(const std::string& type) const {
    auto all = OfType(type);
    return all.size() == 1 ? all[0] : nullptr;
  }
  const Json* Get(const std::string& id) const { return root.Find(id); }
  std::set<std::string> Ids(const std::string& type) const {
    std::set<std::string> ids;
    for (const Json* o : OfType(type))
      ids.insert(o->Find("id")->str);
    return ids;
  }
};

Report ParseReport(const std::string& text) {
  Report r;
  JsonParser p(text);
  r.ok = p.Parse(&r.root) && r.root.kind == Json::kObject;
  EXPECT_TRUE(r.ok) << p.error() << "\n" << text;
  return r;
}

bool Has(const Json* o, const char* name) {
  return o && o->Find(name);
}

std::string Str(const Json* o, const char* name) {
  const Json* v = o ? o->Find(name) : nullptr;
  return v && v->kind == Json::kString ? v->str : std::string();
}

double Num(const Json* o, const char* name) {
  const Json* v = o ? o->Find(name) : nullptr;
  return v && v->kind == Json::kNumber ? v->number : NAN;
}

// The stats object of `type` whose `member` is the string `value`.
const Json* Where(const Report& r,
                  const std::string& type,
                  const char* member,
                  const std::string& value) {
  for (const Json* o : r.OfType(type)) {
    if (Str(o, member) == value)
      return o;
  }
  return nullptr;
}

// webrtc-pc §8.6 "Mandatory To Implement Stats", for the objects a
// data-channel-only connection has. Members that are valid only for some
// objects are checked apart: url (local srflx/relay candidates only),
// issuerCertificateId (not for self-signed certificates), and the address
// of remote candidates (null for peer-reflexive ones).
struct Member {
  const char* name;
  Json::Kind kind;
};
const std::map<std::string, std::vector<Member>>& MandatoryMembers() {
  static const auto* kTable = new std::map<std::string, std::vector<Member>>{
      {"peer-connection",
       {{"dataChannelsOpened", Json::kNumber},
        {"dataChannelsClosed", Json::kNumber}}},
      {"data-channel",
       {{"label", Json::kString},
        {"protocol", Json::kString},
        {"dataChannelIdentifier", Json::kNumber},
        {"state", Json::kString},
        {"messagesSent", Json::kNumber},
        {"bytesSent", Json::kNumber},
        {"messagesReceived", Json::kNumber},
        {"bytesReceived", Json::kNumber}}},
      {"transport",
       {{"bytesSent", Json::kNumber},
        {"bytesReceived", Json::kNumber},
        {"selectedCandidatePairId", Json::kString},
        {"localCertificateId", Json::kString},
        {"remoteCertificateId", Json::kString}}},
      {"candidate-pair",
       {{"transportId", Json::kString},
        {"localCandidateId", Json::kString},
        {"remoteCandidateId", Json::kString},
        {"state", Json::kString},
        {"nominated", Json::kBool},
        {"bytesSent", Json::kNumber},
        {"bytesReceived", Json::kNumber},
        {"totalRoundTripTime", Json::kNumber},
        {"responsesReceived", Json::kNumber},
        {"currentRoundTripTime", Json::kNumber}}},
      {"local-candidate",
       {{"address", Json::kString},
        {"port", Json::kNumber},
        {"protocol", Json::kString},
        {"candidateType", Json::kString}}},
      {"remote-candidate",
       {{"port", Json::kNumber},
        {"protocol", Json::kString},
        {"candidateType", Json::kString}}},
      {"certificate",
       {{"fingerprint", Json::kString},
        {"fingerprintAlgorithm", Json::kString},
        {"base64Certificate", Json::kString}}},
  };
  return *kTable;
}

bool IsCount(double v) {
  return v >= 0 && std::floor(v) == v;
}

// The value of the first `prefix` line of an SDP ("a=fingerprint:").
std::string SdpValue(const std::string& sdp, const std::string& prefix) {
  size_t at = sdp.find(prefix);
  if (at == std::string::npos)
    return "";
  at += prefix.size();
  return sdp.substr(at, sdp.find_first_of("\r\n", at) - at);
}

std::string Base64Decode(const std::string& in, bool* ok) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  *ok = in.size() % 4 == 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size() && *ok; i++) {
    if (in[i] == '=') {
      *ok = i >= in.size() - 2;
      continue;
    }
    size_t v = kAlphabet.find(in[i]);
    if (v == std::string::npos) {
      *ok = false;
      break;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// Answers STUN Binding requests (RFC 8489 §6.3.3) with an
// XOR-MAPPED-ADDRESS (§14.2) of an IPv4 source: a minimal STUN server.
class StunResponder {
 public:
  rtc_error Start(rtc_socket_factory* factory,
                  rtc_task_queue* q,
                  const rtc_socket_address& address) {
    static const rtc_packet_socket_observer kObserver = {&OnPackets, nullptr,
                                                         nullptr};
    return rtc_socket_factory_create_udp(factory, q, &address, nullptr,
                                         &kObserver, this, &socket_);
  }
  void Stop() {
    rtc_packet_socket_destroy(socket_);
    socket_ = nullptr;
  }
  int requests = 0;

 private:
  static void OnPackets(void* user,
                        rtc_packet_socket* socket,
                        const rtc_received_packet* packets,
                        size_t count) {
    auto* self = static_cast<StunResponder*>(user);
    static const uint8_t kCookie[4] = {0x21, 0x12, 0xA4, 0x42};
    for (size_t i = 0; i < count; i++) {
      const rtc_received_packet& in = packets[i];
      if (in.size < 20 || in.data[0] != 0x00 || in.data[1] != 0x01 ||
          memcmp(in.data + 4, kCookie, 4) != 0 ||
          in.source.family != RTC_AF_INET)
        continue;
      self->requests++;
      uint8_t out[32] = {0x01, 0x01, 0x00, 12};  // Binding success, length
      memcpy(out + 4, in.data + 4, 16);          // magic cookie, transaction id
      out[20] = 0x00;                            // XOR-MAPPED-ADDRESS
      out[21] = 0x20;
      out[22] = 0x00;
      out[23] = 8;
      out[24] = 0x00;
      out[25] = 0x01;  // IPv4
      uint16_t xport = in.source.port ^ 0x2112;
      out[26] = static_cast<uint8_t>(xport >> 8);
      out[27] = static_cast<uint8_t>(xport);
      for (int k = 0; k < 4; k++)
        out[28 + k] = in.source.addr[k] ^ kCookie[k];
      rtc_packet_socket_send_to(socket, out, sizeof(out), &in.source);
    }
  }
  rtc_packet_socket* socket_ = nullptr;
};

class StatsTest : public PeerConnectionTest {
 protected:
  void TearDown() override {
    if (stun_queue_) {
      OnQueue(stun_queue_, [&] { stun_.Stop(); });
      rtc_task_queue_destroy(stun_queue_);
    }
    PeerConnectionTest::TearDown();
  }

  static rtc_configuration Config(bool obfuscate) {
    rtc_configuration config;
    rtc_configuration_init(&config);
    config.obfuscate_host_addresses = obfuscate;
    return config;
  }

  Report Stats(Peer& p) {
    std::string text = GetStats(p);
    EXPECT_FALSE(text.empty()) << "getStats never completed on " << p.name;
    return ParseReport(text);
  }

  // a (offerer) and b on the internet, a's channel "chat" (protocol
  // "chat-v1") open on both sides.
  void Connect(rtc_configuration* config_a = nullptr,
               rtc_configuration* config_b = nullptr) {
    MakePeer(a_, "a", "203.0.113.1", config_a);
    MakePeer(b_, "b", "203.0.113.2", config_b);
    OpenChannel();
  }

  void OpenChannel() {
    rtc_data_channel_init init;
    rtc_data_channel_init_defaults(&init);
    init.protocol = "chat-v1";
    ca_ = CreateChannel(a_, "chat", &init);
    ASSERT_NE(ca_->channel, nullptr);
    Negotiate(a_, b_);
    cb_ = WaitOpen(*ca_, b_, 0, 10 * kSec);
    ASSERT_NE(cb_, nullptr) << "a: " << testing::PrintToString(a_.log)
                            << "\nb: " << testing::PrintToString(b_.log);
  }

  // Sends each message of `messages` from p on c and waits until `to` has
  // them all.
  void SendAll(Peer& p,
               Channel& c,
               const std::vector<std::string>& messages,
               Channel& to) {
    size_t expected = to.messages.size() + messages.size();
    for (const std::string& m : messages)
      ASSERT_EQ(Send(p, c, m, true), RTC_OK);
    ASSERT_TRUE(
        RunUntil([&] { return to.messages.size() == expected; }, 5 * kSec));
  }

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

  // As MakePeer, with the host on the LAN behind `nat`.
  void MakeNattedPeer(Peer& p,
                      const char* name,
                      const char* lan_ip,
                      rtc_sim_nat* nat,
                      rtc_configuration* config) {
    p.name = name;
    rtc_socket_address addr;
    ASSERT_EQ(rtc_socket_address_parse(lan_ip, strlen(lan_ip), &addr), RTC_OK);
    ASSERT_EQ(rtc_sim_network_add_host(net_, nat, &addr, &p.host), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "signaling", &p.signaling),
              RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "network", &p.network), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "worker", &p.worker), RTC_OK);
    rtc_context_config cc;
    rtc_context_config_init(&cc);
    cc.network_queue = p.network;
    cc.worker_queue = p.worker;
    cc.socket_factory = rtc_sim_host_socket_factory(p.host);
    ASSERT_EQ(rtc_context_create(&cc, &p.context), RTC_OK);
    OnQueue(p.signaling, [&] {
      rtc_error_info info;
      ASSERT_EQ(rtc_peer_connection_create(p.context, p.signaling, config,
                                           &Peer::kObserver, &p, &p.pc, &info),
                RTC_OK)
          << info.message;
    });
  }

  std::unique_ptr<Channel> ca_;
  Channel* cb_ = nullptr;
  StunResponder stun_;
  rtc_task_queue* stun_queue_ = nullptr;
};

// --- Before negotiation ---

TEST_F(StatsTest, NewPeerConnectionReportsOnlyItself) {
  MakePeer(a_, "a", "203.0.113.1");
  Report r = Stats(a_);
  ASSERT_TRUE(r.ok);
  // webrtc-stats: a certificate is reported as "used by an RTCIceTransport":
  // none exists yet, so none is reported; nor anything else.
  ASSERT_EQ(r.root.members.size(), 1u);
  const Json* pc = r.One("peer-connection");
  ASSERT_NE(pc, nullptr);
  EXPECT_EQ(Num(pc, "dataChannelsOpened"), 0);
  EXPECT_EQ(Num(pc, "dataChannelsClosed"), 0);
  EXPECT_EQ(Str(pc, "id"), r.root.members[0].first);
  EXPECT_GT(Num(pc, "timestamp"), 1e12);  // ms since the Unix epoch
}

TEST_F(StatsTest, ChannelBeforeNegotiationIsConnectingWithoutIdentifier) {
  MakePeer(a_, "a", "203.0.113.1");
  ca_ = CreateChannel(a_, "early", nullptr);
  Report r = Stats(a_);
  ASSERT_TRUE(r.ok);
  const Json* dc = r.One("data-channel");
  ASSERT_NE(dc, nullptr);
  EXPECT_EQ(Str(dc, "label"), "early");
  EXPECT_EQ(Str(dc, "protocol"), "");
  EXPECT_EQ(Str(dc, "state"), "connecting");
  // The id is null until the DTLS role is known: the member is absent.
  EXPECT_FALSE(Has(dc, "dataChannelIdentifier"));
  EXPECT_EQ(Num(dc, "messagesSent"), 0);
  EXPECT_EQ(Num(r.One("peer-connection"), "dataChannelsOpened"), 0);
  EXPECT_TRUE(r.OfType("certificate").empty());
  EXPECT_TRUE(r.OfType("transport").empty());
}

TEST_F(StatsTest, TransportBeforeTheHandshakeHasUnknownDtlsRole) {
  MakePeer(a_, "a", "203.0.113.1");
  ca_ = CreateChannel(a_, "chat", nullptr);
  std::string offer;
  OnQueue(a_.signaling, [&] {
    ASSERT_EQ(rtc_peer_connection_create_offer(
                  a_.pc, nullptr,
                  [](void* u, rtc_error err, const rtc_error_info*,
                     const rtc_session_description* d) {
                    if (err == RTC_OK)
                      *static_cast<std::string*>(u) = d->sdp;
                  },
                  &offer),
              RTC_OK);
  });
  ASSERT_FALSE(offer.empty());
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return a_.gathering_complete; }, 5 * kSec));
  Report r = Stats(a_);
  ASSERT_TRUE(r.ok);
  const Json* t = r.One("transport");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Str(t, "dtlsState"), "new");
  EXPECT_EQ(Str(t, "iceState"), "new");
  EXPECT_EQ(Str(t, "dtlsRole"), "unknown");
  EXPECT_EQ(Num(t, "bytesSent"), 0);
  // selectedCandidatePairChanges: "It is initially zero and becomes one
  // when an initial candidate pair is selected."
  ASSERT_TRUE(Has(t, "selectedCandidatePairChanges"));
  EXPECT_EQ(Num(t, "selectedCandidatePairChanges"), 0);
  // Only after the DTLS negotiation, or once a pair is selected.
  for (const char* absent : {"tlsVersion", "dtlsCipher", "srtpCipher",
                             "remoteCertificateId", "selectedCandidatePairId"})
    EXPECT_FALSE(Has(t, absent)) << absent;
  // Our certificate is in use by the transport already.
  const Json* cert = r.Get(Str(t, "localCertificateId"));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(Str(cert, "type"), "certificate");
  // The gathered candidate, in no pair yet.
  const Json* host = Where(r, "local-candidate", "candidateType", "host");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(Str(host, "address"), "203.0.113.1");
  EXPECT_EQ(Str(host, "transportId"), Str(t, "id"));
  EXPECT_TRUE(r.OfType("candidate-pair").empty());
}

// webrtc-stats RTCDtlsRole "unknown": "The DTLS role of the
// RTCPeerConnection has not been determined yet." An applied answer
// determines it (its a=setup), before any handshake: no candidate reaches
// either side here, so DTLS stays "new".
TEST_F(StatsTest, AnAppliedAnswerDeterminesTheDtlsRole) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  ca_ = CreateChannel(a_, "chat", nullptr);
  auto make = [&](Peer& p, bool offer) {
    std::string sdp;
    auto done = [](void* u, rtc_error err, const rtc_error_info*,
                   const rtc_session_description* d) {
      if (err == RTC_OK)
        *static_cast<std::string*>(u) = d->sdp;
    };
    OnQueue(p.signaling, [&] {
      ASSERT_EQ(
          offer ? rtc_peer_connection_create_offer(p.pc, nullptr, done, &sdp)
                : rtc_peer_connection_create_answer(p.pc, done, &sdp),
          RTC_OK);
    });
    return sdp;
  };
  std::string offer = make(a_, true);
  ASSERT_FALSE(offer.empty());
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  std::string answer = make(b_, false);
  ASSERT_FALSE(answer.empty());
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  // The answerer is the DTLS client when it answers a=setup:active.
  bool b_active = SdpValue(answer, "a=setup:") == "active";
  Report rb = Stats(b_);
  ASSERT_TRUE(rb.ok);
  const Json* tb = rb.One("transport");
  ASSERT_NE(tb, nullptr);
  EXPECT_EQ(Str(tb, "dtlsState"), "new");
  EXPECT_EQ(Str(tb, "dtlsRole"), b_active ? "client" : "server");
  ASSERT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, answer), RTC_OK);
  Report ra = Stats(a_);
  ASSERT_TRUE(ra.ok);
  const Json* ta = ra.One("transport");
  ASSERT_NE(ta, nullptr);
  EXPECT_EQ(Str(ta, "dtlsState"), "new");
  EXPECT_EQ(Str(ta, "dtlsRole"), b_active ? "server" : "client");
}

// --- Connected ---

TEST_F(StatsTest, ConnectedReportHasEveryMandatoryMember) {
  Connect();
  SendAll(a_, *ca_, {"hello"}, *cb_);
  SendAll(b_, *cb_, {"hi"}, *ca_);
  for (Peer* p : {&a_, &b_}) {
    SCOPED_TRACE(p->name);
    Report r = Stats(*p);
    ASSERT_TRUE(r.ok);
    for (const char* type :
         {"peer-connection", "data-channel", "transport", "candidate-pair",
          "local-candidate", "remote-candidate", "certificate"})
      EXPECT_FALSE(r.OfType(type).empty()) << "no " << type;
    EXPECT_EQ(r.OfType("peer-connection").size(), 1u);
    EXPECT_EQ(r.OfType("transport").size(), 1u);    // BUNDLE: one transport
    EXPECT_EQ(r.OfType("certificate").size(), 2u);  // ours and the peer's
    for (const auto& m : r.root.members) {
      const Json& o = m.second;
      SCOPED_TRACE(m.first);
      ASSERT_EQ(o.kind, Json::kObject);
      // RTCStats: required id, type, timestamp.
      EXPECT_EQ(Str(&o, "id"), m.first);
      EXPECT_FALSE(Str(&o, "type").empty());
      EXPECT_GT(Num(&o, "timestamp"), 1e12);
      auto it = MandatoryMembers().find(Str(&o, "type"));
      ASSERT_NE(it, MandatoryMembers().end()) << "unknown type";
      for (const Member& member : it->second) {
        const Json* v = o.Find(member.name);
        // webrtc-stats: currentRoundTripTime exists once a response gave
        // a sample; a pair never checked (an ICE-TCP pair once a UDP one
        // was selected) has none.
        if (!v && strcmp(member.name, "currentRoundTripTime") == 0 &&
            Num(&o, "responsesReceived") == 0)
          continue;
        ASSERT_NE(v, nullptr) << member.name << " missing";
        EXPECT_EQ(v->kind, member.kind)
            << member.name << " is a " << KindName(v->kind);
        if (v->kind == Json::kNumber &&
            strstr(member.name, "RoundTripTime") == nullptr) {
          EXPECT_TRUE(IsCount(v->number)) << member.name;
        }
      }
      const std::string type = Str(&o, "type");
      if (type == "remote-candidate") {
        // address: a string, or null when not learned from signaling.
        const Json* address = o.Find("address");
        ASSERT_NE(address, nullptr);
        EXPECT_TRUE(address->kind == Json::kString ||
                    (address->kind == Json::kNull &&
                     Str(&o, "candidateType") == "prflx"));
        EXPECT_FALSE(Has(&o, "url"));  // MUST NOT be present
      }
      if (type == "local-candidate" && Str(&o, "candidateType") == "host") {
        EXPECT_FALSE(Has(&o, "url"));  // srflx and relay only
      }
      if (type == "certificate") {
        EXPECT_FALSE(Has(&o, "issuerCertificateId"));  // self-signed
      }
    }
  }
}

TEST_F(StatsTest, ReferencesBetweenObjectsResolve) {
  Connect();
  Report r = Stats(a_);
  ASSERT_TRUE(r.ok);
  const Json* t = r.One("transport");
  ASSERT_NE(t, nullptr);
  const std::string tid = Str(t, "id");
  auto type_of = [&](const std::string& id) { return Str(r.Get(id), "type"); };
  EXPECT_EQ(type_of(Str(t, "selectedCandidatePairId")), "candidate-pair");
  EXPECT_EQ(type_of(Str(t, "localCertificateId")), "certificate");
  EXPECT_EQ(type_of(Str(t, "remoteCertificateId")), "certificate");
  EXPECT_NE(Str(t, "localCertificateId"), Str(t, "remoteCertificateId"));
  for (const Json* pair : r.OfType("candidate-pair")) {
    EXPECT_EQ(Str(pair, "transportId"), tid);
    EXPECT_EQ(type_of(Str(pair, "localCandidateId")), "local-candidate");
    EXPECT_EQ(type_of(Str(pair, "remoteCandidateId")), "remote-candidate");
  }
  for (const char* type : {"local-candidate", "remote-candidate"}) {
    for (const Json* c : r.OfType(type))
      EXPECT_EQ(Str(c, "transportId"), tid);
  }
  // Every id names one object, and ids differ between objects.
  std::set<std::string> ids;
  for (const auto& m : r.root.members)
    EXPECT_TRUE(ids.insert(Str(&m.second, "id")).second);
}

TEST_F(StatsTest, CertificatesMatchTheFingerprintsInTheSdp) {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  rtc_certificate* cert = nullptr;
  ASSERT_EQ(rtc_certificate_generate(&params, rtc_time_utc_us() / 1000, &cert),
            RTC_OK);
  rtc_configuration config_a = Config(false);
  config_a.certificates = &cert;
  config_a.certificate_count = 1;
  Connect(&config_a);
  std::string a_fp = SdpValue(Description(a_, RTC_DESCRIPTION_CURRENT_LOCAL),
                              "a=fingerprint:");
  std::string b_fp = SdpValue(Description(b_, RTC_DESCRIPTION_CURRENT_LOCAL),
                              "a=fingerprint:");
  ASSERT_FALSE(a_fp.empty());
  ASSERT_FALSE(b_fp.empty());
  Report ra = Stats(a_);
  Report rb = Stats(b_);
  ASSERT_TRUE(ra.ok && rb.ok);
  const Json* ta = ra.One("transport");
  const Json* tb = rb.One("transport");
  const Json* a_local = ra.Get(Str(ta, "localCertificateId"));
  const Json* a_remote = ra.Get(Str(ta, "remoteCertificateId"));
  const Json* b_local = rb.Get(Str(tb, "localCertificateId"));
  ASSERT_TRUE(a_local && a_remote && b_local);
  // RFC 4572 §5 fingerprint value (upper case hex pairs) and its hash name,
  // as in a=fingerprint:<algorithm> <value>.
  EXPECT_EQ(
      Str(a_local, "fingerprintAlgorithm") + " " + Str(a_local, "fingerprint"),
      a_fp);
  EXPECT_EQ(
      Str(b_local, "fingerprintAlgorithm") + " " + Str(b_local, "fingerprint"),
      b_fp);
  EXPECT_EQ(Str(a_remote, "fingerprintAlgorithm") + " " +
                Str(a_remote, "fingerprint"),
            b_fp);
  EXPECT_EQ(Str(a_local, "fingerprintAlgorithm"), "sha-256");
  // base64Certificate: the DER of the certificate given in the
  // configuration.
  bool ok = false;
  std::string der = Base64Decode(Str(a_local, "base64Certificate"), &ok);
  ASSERT_TRUE(ok);
  size_t der_len = 0;
  const uint8_t* expected = rtc_certificate_der(cert, &der_len);
  EXPECT_EQ(der, std::string(reinterpret_cast<const char*>(expected), der_len));
  rtc_certificate_unref(cert);
}

TEST_F(StatsTest, RemoteCertificateIsThePeersDer) {
  Connect();
  Report ra = Stats(a_);
  Report rb = Stats(b_);
  ASSERT_TRUE(ra.ok && rb.ok);
  const Json* a_remote =
      ra.Get(Str(ra.One("transport"), "remoteCertificateId"));
  const Json* b_local = rb.Get(Str(rb.One("transport"), "localCertificateId"));
  ASSERT_TRUE(a_remote && b_local);
  EXPECT_FALSE(Str(a_remote, "base64Certificate").empty());
  EXPECT_EQ(Str(a_remote, "base64Certificate"),
            Str(b_local, "base64Certificate"));
  // Its fingerprint is the hash of that DER.
  bool ok = false;
  std::string der = Base64Decode(Str(a_remote, "base64Certificate"), &ok);
  ASSERT_TRUE(ok);
  rtc_fingerprint fp;
  ASSERT_EQ(rtc_fingerprint_of_der(reinterpret_cast<const uint8_t*>(der.data()),
                                   der.size(), RTC_HASH_SHA256, &fp),
            RTC_OK);
  char text[RTC_FINGERPRINT_TEXT_SIZE];
  rtc_fingerprint_format(&fp, text, sizeof(text));
  EXPECT_EQ(std::string(text), Str(a_remote, "fingerprintAlgorithm") + " " +
                                   Str(a_remote, "fingerprint"));
  // A self-signed certificate ends its chain.
  EXPECT_FALSE(Has(a_remote, "issuerCertificateId"));
}

TEST_F(StatsTest, SEC07_TransportReportsTheNegotiatedDtlsAndIce) {
  Connect();
  Report ra = Stats(a_);
  Report rb = Stats(b_);
  ASSERT_TRUE(ra.ok && rb.ok);
  const Json* ta = ra.One("transport");
  const Json* tb = rb.One("transport");
  ASSERT_TRUE(ta && tb);
  for (const Json* t : {ta, tb}) {
    EXPECT_EQ(Str(t, "dtlsState"), "connected");
    // One pair selected: "becomes one when an initial candidate pair is
    // selected".
    EXPECT_EQ(Num(t, "selectedCandidatePairChanges"), 1);
    // The controlling side is "completed" once its pair is selected.
    EXPECT_TRUE(Str(t, "iceState") == "connected" ||
                Str(t, "iceState") == "completed")
        << Str(t, "iceState");
    // webrtc-stats tlsVersion: four upper case hex digits (DTLS 1.2).
    EXPECT_EQ(Str(t, "tlsVersion"), "FEFD");
    // IANA TLS cipher suite "Description"; ECDSA certificates, AES-GCM.
    const std::string cipher = Str(t, "dtlsCipher");
    EXPECT_TRUE(cipher == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" ||
                cipher == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
        << cipher;
    // IANA DTLS-SRTP protection profile "Profile" name.
    const std::string srtp = Str(t, "srtpCipher");
    EXPECT_TRUE(srtp == "SRTP_AEAD_AES_128_GCM" ||
                srtp == "SRTP_AEAD_AES_256_GCM" ||
                srtp == "SRTP_AES128_CM_HMAC_SHA1_80")
        << srtp;
  }
  EXPECT_EQ(Str(ta, "dtlsCipher"), Str(tb, "dtlsCipher"));
  EXPECT_EQ(Str(ta, "srtpCipher"), Str(tb, "srtpCipher"));
  // Opposite DTLS roles; the answerer picks (a=setup:active by default).
  std::set<std::string> roles = {Str(ta, "dtlsRole"), Str(tb, "dtlsRole")};
  EXPECT_EQ(roles, (std::set<std::string>{"client", "server"}));
  std::string b_setup =
      SdpValue(Description(b_, RTC_DESCRIPTION_CURRENT_LOCAL), "a=setup:");
  EXPECT_EQ(Str(tb, "dtlsRole"), b_setup == "active" ? "client" : "server");
  EXPECT_EQ(Str(ta, "iceRole"), "controlling");
  EXPECT_EQ(Str(tb, "iceRole"), "controlled");
  EXPECT_EQ(
      Str(ta, "iceLocalUsernameFragment"),
      SdpValue(Description(a_, RTC_DESCRIPTION_CURRENT_LOCAL), "a=ice-ufrag:"));
  EXPECT_EQ(
      Str(tb, "iceLocalUsernameFragment"),
      SdpValue(Description(b_, RTC_DESCRIPTION_CURRENT_LOCAL), "a=ice-ufrag:"));
}

TEST_F(StatsTest, SelectedPairMeasuresTheRoundTripOfTheLink) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  // 20 ms each way on each access link: 80 ms round trip.
  SetLink(a_, 20 * kMs, 0);
  SetLink(b_, 20 * kMs, 0);
  OpenChannel();
  Report r = Stats(a_);
  ASSERT_TRUE(r.ok);
  const Json* pair = r.Get(Str(r.One("transport"), "selectedCandidatePairId"));
  ASSERT_NE(pair, nullptr);
  EXPECT_EQ(Str(pair, "state"), "succeeded");
  const Json* nominated = pair->Find("nominated");
  ASSERT_NE(nominated, nullptr);
  EXPECT_TRUE(nominated->boolean);
  EXPECT_NEAR(Num(pair, "currentRoundTripTime"), 0.080, 0.002);
  double responses = Num(pair, "responsesReceived");
  ASSERT_GE(responses, 1);
  EXPECT_NEAR(Num(pair, "totalRoundTripTime") / responses, 0.080, 0.002);
  EXPECT_GE(Num(pair, "requestsSent"), responses);
  EXPECT_GE(Num(pair, "requestsReceived"), 1);
  EXPECT_GE(Num(pair, "responsesSent"), 1);
  // Consent freshness (RFC 7675) keeps measuring: after 30 s there are
  // more responses, and the sum grows by 80 ms for each.
  RunUntil([] { return false; }, 30 * kSec);
  Report later = Stats(a_);
  const Json* pair2 = later.Get(Str(pair, "id"));
  ASSERT_NE(pair2, nullptr);
  double more = Num(pair2, "responsesReceived") - responses;
  EXPECT_GE(more, 3);
  EXPECT_GE(Num(pair2, "consentRequestsSent"), more);
  EXPECT_NEAR(
      Num(pair2, "totalRoundTripTime") - Num(pair, "totalRoundTripTime"),
      0.080 * more, 0.002 * more);
}

TEST_F(StatsTest, ByteCountersFollowTheTraffic) {
  Connect();
  Report before = Stats(a_);
  ASSERT_TRUE(before.ok);
  const Json* t0 = before.One("transport");
  const Json* p0 = before.Get(Str(t0, "selectedCandidatePairId"));
  ASSERT_TRUE(t0 && p0);
  // DTLS and SCTP have already run on the pair.
  EXPECT_GT(Num(p0, "bytesSent"), 0);
  EXPECT_GT(Num(p0, "bytesReceived"), 0);
  EXPECT_GT(Num(p0, "packetsSent"), 0);
  EXPECT_GT(Num(p0, "packetsReceived"), 0);
  // The transport's counters are its pairs' sums.
  for (const char* counter :
       {"bytesSent", "bytesReceived", "packetsSent", "packetsReceived"}) {
    double sum = 0;
    for (const Json* pair : before.OfType("candidate-pair"))
      sum += Num(pair, counter);
    EXPECT_EQ(Num(t0, counter), sum) << counter;
  }
  std::vector<std::string> messages(10, std::string(1000, 'x'));
  SendAll(a_, *ca_, messages, *cb_);
  Report after = Stats(a_);
  const Json* t1 = after.One("transport");
  const Json* p1 = after.Get(Str(p0, "id"));
  ASSERT_TRUE(t1 && p1);
  // Payload plus DTLS and SCTP overhead, no STUN.
  EXPECT_GE(Num(p1, "bytesSent") - Num(p0, "bytesSent"), 10000);
  EXPECT_LT(Num(p1, "bytesSent") - Num(p0, "bytesSent"), 12000);
  EXPECT_GE(Num(p1, "packetsSent") - Num(p0, "packetsSent"), 10);
  EXPECT_GE(Num(t1, "bytesSent") - Num(t0, "bytesSent"), 10000);
  Report rb = Stats(b_);
  const Json* pb = rb.Get(Str(rb.One("transport"), "selectedCandidatePairId"));
  EXPECT_GE(Num(pb, "bytesReceived"), 10000);
}

TEST_F(StatsTest, DataChannelCountersMatchWhatWasSent) {
  Connect();
  SendAll(a_, *ca_, {"hello", "world!"}, *cb_);
  SendAll(b_, *cb_, {"0123456789"}, *ca_);
  Report ra = Stats(a_);
  Report rb = Stats(b_);
  ASSERT_TRUE(ra.ok && rb.ok);
  const Json* da = ra.One("data-channel");
  const Json* db = rb.One("data-channel");
  ASSERT_TRUE(da && db);
  for (const Json* d : {da, db}) {
    EXPECT_EQ(Str(d, "label"), "chat");
    EXPECT_EQ(Str(d, "protocol"), "chat-v1");
    EXPECT_EQ(Str(d, "state"), "open");
    EXPECT_EQ(Num(d, "dataChannelIdentifier"),
              rtc_data_channel_id(ca_->channel));
  }
  EXPECT_EQ(Num(da, "messagesSent"), 2);
  EXPECT_EQ(Num(da, "bytesSent"), 11);
  EXPECT_EQ(Num(da, "messagesReceived"), 1);
  EXPECT_EQ(Num(da, "bytesReceived"), 10);
  EXPECT_EQ(Num(db, "messagesSent"), 1);
  EXPECT_EQ(Num(db, "bytesSent"), 10);
  EXPECT_EQ(Num(db, "messagesReceived"), 2);
  EXPECT_EQ(Num(db, "bytesReceived"), 11);
  for (const Report* r : {&ra, &rb}) {
    EXPECT_EQ(Num(r->One("peer-connection"), "dataChannelsOpened"), 1);
    EXPECT_EQ(Num(r->One("peer-connection"), "dataChannelsClosed"), 0);
  }
}

TEST_F(StatsTest, IdsAreStableBetweenCalls) {
  Connect();
  Report first = Stats(a_);
  RunUntil([] { return false; }, 2 * kSec);
  Report second = Stats(a_);
  ASSERT_TRUE(first.ok && second.ok);
  for (const char* type :
       {"peer-connection", "data-channel", "transport", "candidate-pair",
        "local-candidate", "remote-candidate", "certificate"}) {
    EXPECT_FALSE(first.Ids(type).empty()) << type;
    EXPECT_EQ(first.Ids(type), second.Ids(type)) << type;
  }
  EXPECT_EQ(Str(first.One("transport"), "selectedCandidatePairId"),
            Str(second.One("transport"), "selectedCandidatePairId"));
}

TEST_F(StatsTest, IdsAreNotPredictable) {
  // webrtc-pc §8.4: "Stats ids MUST NOT be predictable by an application":
  // the same objects of two peer connections have different ids.
  Connect();
  Report ra = Stats(a_);
  Report rb = Stats(b_);
  ASSERT_TRUE(ra.ok && rb.ok);
  for (const char* type : {"peer-connection", "transport", "data-channel"})
    EXPECT_NE(ra.Ids(type), rb.Ids(type)) << type;
  for (const auto& m : ra.root.members)
    EXPECT_GE(m.first.size(), 16u) << m.first;
}

TEST_F(StatsTest, TimestampsFollowTheClockInMilliseconds) {
  Connect();
  int64_t t0 = rtc_sim_time_now_us(time_);
  Report first = Stats(a_);
  RunUntil([] { return false; }, 1500 * kMs);
  int64_t t1 = rtc_sim_time_now_us(time_);
  Report second = Stats(a_);
  ASSERT_TRUE(first.ok && second.ok);
  for (const char* type : {"peer-connection", "transport", "data-channel"}) {
    double elapsed_ms =
        Num(second.One(type), "timestamp") - Num(first.One(type), "timestamp");
    EXPECT_NEAR(elapsed_ms, (t1 - t0) / 1000.0, 0.01) << type;
  }
}

TEST_F(StatsTest, IceRestartReportsTheOldPairUntilTheNewOneIsSelected) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  SetLink(a_, 50 * kMs, 0);
  SetLink(b_, 50 * kMs, 0);
  OpenChannel();
  Report before = Stats(a_);
  ASSERT_TRUE(before.ok);
  const std::string old_pair =
      Str(before.One("transport"), "selectedCandidatePairId");
  const std::string old_ufrag =
      Str(before.One("transport"), "iceLocalUsernameFragment");
  ASSERT_FALSE(old_pair.empty());
  OnQueue(a_.signaling, [&] { rtc_peer_connection_restart_ice(a_.pc); });
  Negotiate(a_, b_);
  // The new generation has no pair selected yet (checks take a 200 ms
  // round trip): the old pair still carries the data and is reported.
  Report during = Stats(a_);
  ASSERT_TRUE(during.ok);
  const Json* t = during.One("transport");
  const std::string new_ufrag = Str(t, "iceLocalUsernameFragment");
  EXPECT_NE(new_ufrag, old_ufrag);
  EXPECT_EQ(Str(t, "selectedCandidatePairId"), old_pair);
  const Json* pair = during.Get(old_pair);
  ASSERT_NE(pair, nullptr);
  EXPECT_EQ(Str(during.Get(Str(pair, "localCandidateId")), "usernameFragment"),
            old_ufrag);
  // Once the new generation selects a pair, the old one is gone: the
  // selected pair has a new id and new candidates.
  Report after;
  for (int i = 0; i < 100; i++) {
    RunUntil([] { return false; }, 100 * kMs);
    after = Stats(a_);
    if (Str(after.One("transport"), "selectedCandidatePairId") != old_pair)
      break;
  }
  const std::string new_pair =
      Str(after.One("transport"), "selectedCandidatePairId");
  ASSERT_NE(new_pair, old_pair);
  const Json* selected = after.Get(new_pair);
  ASSERT_NE(selected, nullptr);
  EXPECT_EQ(
      Str(after.Get(Str(selected, "localCandidateId")), "usernameFragment"),
      new_ufrag);
  EXPECT_EQ(after.Get(old_pair), nullptr);
  for (const Json* c : after.OfType("local-candidate"))
    EXPECT_EQ(Str(c, "usernameFragment"), new_ufrag);
}

// --- Closing ---

TEST_F(StatsTest, ClosingAChannelCountsItAsClosed) {
  Connect();
  OnQueue(a_.signaling, [&] { rtc_data_channel_close(ca_->channel); });
  ASSERT_TRUE(RunUntil(
      [&] {
        return ca_->state() == RTC_DATA_CHANNEL_CLOSED &&
               cb_->state() == RTC_DATA_CHANNEL_CLOSED;
      },
      5 * kSec));
  for (Peer* p : {&a_, &b_}) {
    Report r = Stats(*p);
    ASSERT_TRUE(r.ok);
    const Json* pc = r.One("peer-connection");
    EXPECT_EQ(Num(pc, "dataChannelsOpened"), 1) << p->name;
    EXPECT_EQ(Num(pc, "dataChannelsClosed"), 1) << p->name;
    for (const Json* dc : r.OfType("data-channel"))
      EXPECT_NE(Str(dc, "state"), "open") << p->name;
  }
}

// data_channel.c drops a closed channel from pc->channels, so stats.c no
// longer sees it; webrtc-stats gives data-channel objects no shorter
// lifetime than the pc's (see the report).
TEST_F(StatsTest, DISABLED_ClosedChannelStillReportsStateClosed) {
  Connect();
  SendAll(a_, *ca_, {"hello"}, *cb_);
  OnQueue(a_.signaling, [&] { rtc_data_channel_close(ca_->channel); });
  ASSERT_TRUE(RunUntil([&] { return ca_->state() == RTC_DATA_CHANNEL_CLOSED; },
                       5 * kSec));
  Report r = Stats(a_);
  const Json* dc = Where(r, "data-channel", "label", "chat");
  ASSERT_NE(dc, nullptr);
  EXPECT_EQ(Str(dc, "state"), "closed");
  EXPECT_EQ(Num(dc, "messagesSent"), 1);
}

// webrtc-stats dataChannelsClosed: channels that go from connecting to
// closed "without ever being open are not counted".
TEST_F(StatsTest, ChannelClosedBeforeOpeningIsNotCountedClosed) {
  MakePeer(a_, "a", "203.0.113.1");
  ca_ = CreateChannel(a_, "never", nullptr);
  OnQueue(a_.signaling, [&] { rtc_data_channel_close(ca_->channel); });
  RunUntil([&] { return ca_->state() == RTC_DATA_CHANNEL_CLOSED; }, kSec);
  Report r = Stats(a_);
  EXPECT_EQ(Num(r.One("peer-connection"), "dataChannelsOpened"), 0);
  EXPECT_EQ(Num(r.One("peer-connection"), "dataChannelsClosed"), 0);
}

TEST_F(StatsTest, GetStatsAfterCloseStillReports) {
  Connect();
  OnQueue(a_.signaling, [&] { rtc_peer_connection_close(a_.pc); });
  // webrtc-pc §8.2: getStats() has no step that rejects on a closed
  // connection; the report still comes.
  Report r = Stats(a_);
  ASSERT_TRUE(r.ok);
  const Json* pc = r.One("peer-connection");
  ASSERT_NE(pc, nullptr);
  // close() took the open channel out of "open".
  EXPECT_EQ(Num(pc, "dataChannelsOpened"), 1);
  EXPECT_EQ(Num(pc, "dataChannelsClosed"), 1);
}

// webrtc-stats "Lifetime considerations": objects with no stated lifetime
// (transport, certificate) are "visible in getStats() after pc.close()".
TEST_F(StatsTest, TransportAndCertificatesStayVisibleAfterClose) {
  Connect();
  Report open = Stats(a_);
  OnQueue(a_.signaling, [&] { rtc_peer_connection_close(a_.pc); });
  Report closed = Stats(a_);
  ASSERT_TRUE(open.ok && closed.ok);
  EXPECT_EQ(closed.Ids("transport"), open.Ids("transport"));
  EXPECT_EQ(closed.Ids("certificate"), open.Ids("certificate"));
  const Json* t = closed.One("transport");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Str(t, "dtlsState"), "closed");
  EXPECT_EQ(Str(t, "iceState"), "closed");
  EXPECT_EQ(Str(t, "dtlsRole"), Str(open.One("transport"), "dtlsRole"));
  EXPECT_EQ(Str(t, "localCertificateId"),
            Str(open.One("transport"), "localCertificateId"));
  EXPECT_EQ(Str(t, "remoteCertificateId"),
            Str(open.One("transport"), "remoteCertificateId"));
  // Counters never restart from 0.
  EXPECT_GE(Num(t, "bytesSent"), Num(open.One("transport"), "bytesSent"));
}

// Candidates and pairs are only deleted by an ICE restart, and counters
// never go back: close() keeps the last figures of every transport.
TEST_F(StatsTest, CountersAndPairsStayVisibleAfterClose) {
  Connect();
  SendAll(a_, *ca_, {"hello"}, *cb_);
  Report open = Stats(a_);
  OnQueue(a_.signaling, [&] { rtc_peer_connection_close(a_.pc); });
  Report closed = Stats(a_);
  ASSERT_TRUE(open.ok && closed.ok);
  const Json* t = closed.One("transport");
  ASSERT_NE(t, nullptr);
  EXPECT_GE(Num(t, "bytesSent"), Num(open.One("transport"), "bytesSent"));
  EXPECT_EQ(Str(t, "selectedCandidatePairId"),
            Str(open.One("transport"), "selectedCandidatePairId"));
  EXPECT_EQ(closed.Ids("candidate-pair"), open.Ids("candidate-pair"));
  EXPECT_EQ(closed.Ids("remote-candidate"), open.Ids("remote-candidate"));
}

// --- Candidates ---

TEST_F(StatsTest, CandidatesReportTheirSignaledValues) {
  Connect();
  Report ra = Stats(a_);
  Report rb = Stats(b_);
  ASSERT_TRUE(ra.ok && rb.ok);
  const Json* pair =
      ra.Get(Str(ra.One("transport"), "selectedCandidatePairId"));
  ASSERT_NE(pair, nullptr);
  const Json* local = ra.Get(Str(pair, "localCandidateId"));
  const Json* remote = ra.Get(Str(pair, "remoteCandidateId"));
  ASSERT_TRUE(local && remote);
  EXPECT_EQ(Str(local, "address"), "203.0.113.1");
  EXPECT_EQ(Str(remote, "address"), "203.0.113.2");
  for (const Json* c : {local, remote}) {
    EXPECT_EQ(Str(c, "candidateType"), "host");
    EXPECT_EQ(Str(c, "protocol"), "udp");
    EXPECT_GT(Num(c, "port"), 0);
    EXPECT_LT(Num(c, "port"), 65536);
    // RFC 8445 §5.1.2.1 with type preference 126 for host.
    EXPECT_EQ(static_cast<uint32_t>(Num(c, "priority")) >> 24, 126u);
    EXPECT_FALSE(Str(c, "foundation").empty());
    EXPECT_FALSE(Has(c, "relatedAddress"));  // host candidates have none
    EXPECT_FALSE(Has(c, "relatedPort"));
    EXPECT_FALSE(Has(c, "url"));
  }
  EXPECT_EQ(
      Str(local, "usernameFragment"),
      SdpValue(Description(a_, RTC_DESCRIPTION_CURRENT_LOCAL), "a=ice-ufrag:"));
  // a's remote candidate is b's local candidate, with the same values.
  const Json* b_local = Where(rb, "local-candidate", "address", "203.0.113.2");
  ASSERT_NE(b_local, nullptr);
  for (const char* member : {"port", "priority"})
    EXPECT_EQ(Num(remote, member), Num(b_local, member)) << member;
  for (const char* member : {"protocol", "candidateType", "foundation"})
    EXPECT_EQ(Str(remote, member), Str(b_local, member)) << member;
}

TEST_F(StatsTest, IP06_ObfuscatedHostCandidateShowsItsMdnsNameNeverItsIp) {
  rtc_configuration config_a = Config(true);
  MakePeer(a_, "a", "203.0.113.1", &config_a);
  MakePeer(b_, "b", "203.0.113.2");
  ca_ = CreateChannel(a_, "chat", nullptr);
  Negotiate(a_, b_);
  ASSERT_TRUE(
      RunUntil([&] { return a_.gathering_complete && b_.gathering_complete; },
               5 * kSec));
  // Checks run: b learns a's address from them (peer-reflexive).
  ASSERT_TRUE(
      RunUntil([&] { return a_.state == RTC_PC_STATE_CONNECTED; }, 10 * kSec));
  std::string text_a = GetStats(a_);
  std::string text_b = GetStats(b_);
  Report ra = ParseReport(text_a);
  Report rb = ParseReport(text_b);
  ASSERT_TRUE(ra.ok && rb.ok);
  const Json* host = Where(ra, "local-candidate", "candidateType", "host");
  ASSERT_NE(host, nullptr);
  const std::string name = Str(host, "address");
  ASSERT_GT(name.size(), 6u);
  EXPECT_EQ(name.substr(name.size() - 6), ".local");
  // The IP appears nowhere in a's report.
  EXPECT_EQ(text_a.find("203.0.113.1"), std::string::npos) << text_a;
  // b never got a's IP from signaling: a remote candidate learned from a
  // check has a null address (webrtc-stats address: "MUST leave the
  // address member as null ... of any remote candidate" not given by
  // addIceCandidate()).
  std::vector<const Json*> remotes = rb.OfType("remote-candidate");
  EXPECT_FALSE(remotes.empty());
  for (const Json* c : remotes) {
    const Json* address = c->Find("address");
    ASSERT_NE(address, nullptr);
    if (address->kind == Json::kString) {
      EXPECT_NE(address->str, "203.0.113.1");
    } else {
      EXPECT_EQ(address->kind, Json::kNull);
      EXPECT_EQ(Str(c, "candidateType"), "prflx");
    }
  }
}

TEST_F(StatsTest, IP06_RemoteCandidateLearnedFromAChecksHasNoAddress) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  // a's candidates never reach b: b learns a only from a's checks.
  a_.signaling_delay_us = 1000 * kSec;
  OpenChannel();
  std::string text_b = GetStats(b_);
  Report rb = ParseReport(text_b);
  ASSERT_TRUE(rb.ok);
  const Json* pair =
      rb.Get(Str(rb.One("transport"), "selectedCandidatePairId"));
  const Json* remote = rb.Get(Str(pair, "remoteCandidateId"));
  ASSERT_NE(remote, nullptr);
  EXPECT_EQ(Str(remote, "candidateType"), "prflx");
  // webrtc-stats address: "By default, the user agent MUST leave the
  // address member as null in the RTCIceCandidateStats dictionary of any
  // remote candidate" that addIceCandidate() did not give.
  const Json* address = remote->Find("address");
  ASSERT_NE(address, nullptr);
  EXPECT_EQ(address->kind, Json::kNull);
  EXPECT_GT(Num(remote, "port"), 0);
  EXPECT_EQ(text_b.find("203.0.113.1"), std::string::npos) << text_b;
}

TEST_F(StatsTest, ServerReflexiveCandidateNamesItsStunServer) {
  // a behind a NAT (public 198.51.100.7), a STUN server on the internet.
  rtc_socket_address public_ip, stun_ip;
  ASSERT_EQ(rtc_socket_address_parse("198.51.100.7", 12, &public_ip), RTC_OK);
  ASSERT_EQ(rtc_socket_address_parse("192.0.2.53:3478", 15, &stun_ip), RTC_OK);
  rtc_sim_nat* nat = nullptr;
  ASSERT_EQ(rtc_sim_network_add_nat(net_, &public_ip,
                                    RTC_SIM_NAT_PORT_RESTRICTED, &nat),
            RTC_OK);
  rtc_sim_host* stun_host = nullptr;
  ASSERT_EQ(rtc_sim_network_add_host(net_, nullptr, &stun_ip, &stun_host),
            RTC_OK);
  ASSERT_EQ(rtc_sim_time_create_queue(time_, "stun", &stun_queue_), RTC_OK);
  OnQueue(stun_queue_, [&] {
    ASSERT_EQ(stun_.Start(rtc_sim_host_socket_factory(stun_host), stun_queue_,
                          stun_ip),
              RTC_OK);
  });
  const char* urls[] = {"stun:192.0.2.53:3478"};
  rtc_ice_server server = {urls, 1, nullptr, nullptr};
  rtc_configuration config_a = Config(false);
  config_a.ice_servers = &server;
  config_a.ice_server_count = 1;
  MakeNattedPeer(a_, "a", "192.168.1.10", nat, &config_a);
  MakePeer(b_, "b", "203.0.113.2");
  OpenChannel();
  EXPECT_GE(stun_.requests, 1);
  Report ra = Stats(a_);
  Report rb = Stats(b_);
  ASSERT_TRUE(ra.ok && rb.ok);
  const Json* srflx = Where(ra, "local-candidate", "candidateType", "srflx");
  ASSERT_NE(srflx, nullptr);
  EXPECT_EQ(Str(srflx, "address"), "198.51.100.7");
  // url: "the URL of the ICE server from which the candidate was
  // obtained".
  EXPECT_EQ(Str(srflx, "url"), "stun:192.0.2.53:3478");
  EXPECT_TRUE(Has(srflx, "relatedAddress"));
  EXPECT_TRUE(Has(srflx, "relatedPort"));
  const Json* host = Where(ra, "local-candidate", "candidateType", "host");
  ASSERT_NE(host, nullptr);
  EXPECT_FALSE(Has(host, "url"));
  // b's view of that candidate: no url on a remote candidate.
  for (const Json* c : rb.OfType("remote-candidate"))
    EXPECT_FALSE(Has(c, "url"));
}

// --- Robustness ---

TEST_F(StatsTest, StringsAreEscapedIntoValidJson) {
  MakePeer(a_, "a", "203.0.113.1");
  // A quote, a backslash, a control character, UTF-8 (é) and a byte that
  // is not UTF-8 (labels may come from the peer).
  const char label[] = "q\"b\\s\x01t\xc3\xa9\xff";
  ca_ = CreateChannel(a_, label, nullptr);
  ASSERT_NE(ca_->channel, nullptr);
  Report r = Stats(a_);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(Str(r.One("data-channel"), "label"),
            "q\"b\\s\x01t\xc3\xa9\xef\xbf\xbd");  // U+FFFD
}

TEST_F(StatsTest, RejectsAMissingCallback) {
  MakePeer(a_, "a", "203.0.113.1");
  OnQueue(a_.signaling, [&] {
    EXPECT_EQ(rtc_peer_connection_get_stats(a_.pc, nullptr, nullptr),
              RTC_ERR_INVALID_ARGUMENT);
  });
}

TEST_F(StatsTest, NoCallbackAfterThePeerConnectionIsDestroyed) {
  Connect();
  int calls = 0;
  OnQueue(a_.signaling, [&] {
    ASSERT_EQ(rtc_peer_connection_get_stats(
                  a_.pc, [](void* u, const char*) { ++*static_cast<int*>(u); },
                  &calls),
              RTC_OK);
    // The callback never comes from inside the call.
    EXPECT_EQ(calls, 0);
    ca_.reset();
    a_.remote_channels.clear();
    rtc_peer_connection_destroy(a_.pc);
    a_.pc = nullptr;
  });
  RunUntil([] { return false; }, kSec);
  EXPECT_EQ(calls, 0);
}

TEST_F(StatsTest, OutOfMemoryFailsTheCallOrStillDeliversOneReport) {
  Connect();
  struct Result {
    int calls = 0;
    std::string json;
  };
  bool injected = true;
  for (uint64_t n = 1; injected && n < 200; n++) {
    SCOPED_TRACE(n);
    Result result;
    rtc_error err = RTC_OK;
    uint64_t failures = rtc_alloc_injected_failure_count();
    OnQueue(a_.signaling, [&] {
      rtc_alloc_fail_nth(n, 0);
      err = rtc_peer_connection_get_stats(
          a_.pc,
          [](void* u, const char* json) {
            auto* res = static_cast<Result*>(u);
            res->calls++;
            res->json = json;
          },
          &result);
    });
    RunUntil([&] { return result.calls > 0; }, 100 * kMs);
    rtc_alloc_clear_failure();
    injected = rtc_alloc_injected_failure_count() != failures;
    if (err != RTC_OK) {
      EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
      EXPECT_EQ(result.calls, 0);  // an error return: never the callback
    } else {
      EXPECT_EQ(result.calls, 1);
      Report r = ParseReport(result.json);
      EXPECT_TRUE(r.ok);
      // Complete, or visibly empty: never a report with objects missing.
      if (result.json != "{}") {
        EXPECT_NE(r.One("transport"), nullptr);
        EXPECT_FALSE(r.OfType("candidate-pair").empty());
        EXPECT_NE(r.One("data-channel"), nullptr);
      }
    }
  }
  EXPECT_FALSE(injected) << "allocations kept failing";
  // Still working afterwards.
  Report r = Stats(a_);
  EXPECT_NE(r.One("transport"), nullptr);
}

}  // namespace
