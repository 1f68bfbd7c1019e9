// Security invariants of the SCTP transport and DCEP (checklist §1E, DC-xx)
// against a hostile SCTP peer: the test speaks raw SCTP (RFC 9260) to one
// rtc_sctp_transport on simulated time, crafting every chunk itself (INIT
// ACKs with address parameters, DCEP OPENs on the wrong stream parity or on
// a stream in use, OPENs whose lengths overflow), and reads every packet the
// transport sends.

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "pc/dcep.h"
#include "pc/sctp_transport.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/task_queue.h"
#include "test/support/sim_wall_clock.h"

#if defined(__SANITIZE_ADDRESS__)
#define RTC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RTC_TEST_ASAN 1
#endif
#endif
#if defined(RTC_TEST_ASAN)
#include <sanitizer/allocator_interface.h>
#endif

namespace {

constexpr int64_t kMs = RTC_US_PER_MS;
constexpr int64_t kSec = RTC_US_PER_SEC;
constexpr uint16_t kPort = 5000;
constexpr uint32_t kPeerTag = 0x5ec0c0deu;  // the hostile peer's tag
constexpr uint32_t kPeerTsn = 1000;         // its first TSN

// Heap bytes in use, usrsctp's and BoringSSL's included (the sanitizer's
// count under ASan, which replaces malloc).
size_t HeapInUse() {
#if defined(RTC_TEST_ASAN)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

// The highest heap in use seen since it was made.
struct HeapPeak {
  size_t start = HeapInUse();
  size_t peak = start;
  void Sample() {
    size_t now = HeapInUse();
    if (now > peak)
      peak = now;
  }
  size_t Growth() const { return peak - start; }
};

// SCTP chunk types (RFC 9260 §3.2, RFC 6525, RFC 5061).
enum : uint8_t {
  kData = 0,
  kInit = 1,
  kInitAck = 2,
  kSack = 3,
  kAbort = 6,
  kCookieEcho = 10,
  kCookieAck = 11,
  kReconfig = 130,
  kAsconfAck = 0x80,
  kAsconf = 0xc1,
};

void Put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void Put32(std::vector<uint8_t>& v, uint32_t x) {
  Put16(v, static_cast<uint16_t>(x >> 16));
  Put16(v, static_cast<uint16_t>(x));
}
uint16_t Get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t Get32(const uint8_t* p) {
  return (static_cast<uint32_t>(Get16(p)) << 16) | Get16(p + 2);
}
void Pad4(std::vector<uint8_t>& v) {
  while (v.size() % 4)
    v.push_back(0);
}

// CRC32c (Castagnoli), as RFC 9260 Appendix A computes the checksum.
uint32_t Crc32c(const uint8_t* data, size_t size) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// A chunk: type, flags, its value (the length field is computed).
std::vector<uint8_t> Chunk(uint8_t type,
                           uint8_t flags,
                           const std::vector<uint8_t>& value) {
  std::vector<uint8_t> c = {type, flags};
  Put16(c, static_cast<uint16_t>(4 + value.size()));
  c.insert(c.end(), value.begin(), value.end());
  Pad4(c);
  return c;
}

// A parameter (type, value), padded.
std::vector<uint8_t> Param(uint16_t type, const std::vector<uint8_t>& value) {
  std::vector<uint8_t> p;
  Put16(p, type);
  Put16(p, static_cast<uint16_t>(4 + value.size()));
  p.insert(p.end(), value.begin(), value.end());
  Pad4(p);
  return p;
}

struct ParsedChunk {
  uint8_t type;
  uint8_t flags;
  std::vector<uint8_t> value;
};

struct Packet {
  uint32_t vtag;
  std::vector<uint8_t> bytes;
  std::vector<ParsedChunk> chunks;
};

// A DATA chunk's fields.
struct DataChunk {
  uint32_t tsn;
  uint16_t sid;
  uint32_t ppid;
  std::vector<uint8_t> payload;
};

DataChunk ParseData(const ParsedChunk& c) {
  DataChunk d{};
  if (c.value.size() < 12)
    return d;
  d.tsn = Get32(&c.value[0]);
  d.sid = Get16(&c.value[4]);
  d.ppid = Get32(&c.value[8]);
  d.payload.assign(c.value.begin() + 12, c.value.end());
  return d;
}

// A DCEP DATA_CHANNEL_OPEN (RFC 8832 §5.1) with the given lengths in its
// header, followed by `label` and `protocol` as they are.
std::vector<uint8_t> DcepOpen(const std::string& label,
                              const std::string& protocol,
                              uint16_t label_len,
                              uint16_t protocol_len) {
  std::vector<uint8_t> m = {RTC_DCEP_OPEN, 0x00};  // reliable, ordered
  Put16(m, 256);                                   // priority
  Put32(m, 0);                                     // reliability
  Put16(m, label_len);
  Put16(m, protocol_len);
  m.insert(m.end(), label.begin(), label.end());
  m.insert(m.end(), protocol.begin(), protocol.end());
  return m;
}

std::vector<uint8_t> DcepOpen(const std::string& label) {
  return DcepOpen(label, "", static_cast<uint16_t>(label.size()), 0);
}

// What the transport under test reported.
struct Events {
  std::vector<rtc_sctp_state> states;
  std::vector<std::pair<uint16_t, std::string>> opened_by_peer;
  std::vector<std::pair<uint16_t, std::string>> messages;
  std::vector<uint16_t> closed;
  int errors = 0;
};

Events* E(void* user) {
  return static_cast<Events*>(user);
}

const rtc_sctp_transport_observer kObserver = {
    [](void* u, rtc_sctp_state s) { E(u)->states.push_back(s); },
    [](void* u, uint16_t sid, const rtc_data_channel_params* p) {
      E(u)->opened_by_peer.emplace_back(sid, p->label);
    },
    [](void*, uint16_t) {},
    [](void* u, uint16_t sid, bool, rtc_sctp_message* m) {
      E(u)->messages.emplace_back(
          sid,
          std::string(reinterpret_cast<const char*>(rtc_sctp_message_data(m)),
                      rtc_sctp_message_size(m)));
      rtc_sctp_message_free(m);
    },
    [](void*, uint16_t, size_t) {},
    [](void* u, uint16_t sid) { E(u)->closed.push_back(sid); },
    [](void* u, const rtc_error_info*) { E(u)->errors++; },
};

rtc_error PostFn(rtc_task_queue* q, std::function<void()> fn) {
  auto* f = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* a) { (*static_cast<std::function<void()>*>(a))(); },
      [](void* a) { delete static_cast<std::function<void()>*>(a); }, f};
  return rtc_task_queue_post(q, task);
}

class SctpSecurityTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    rtc_test_wall_clock_follow(time_);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "net", &queue_), RTC_OK);
  }

  void TearDown() override {
    OnQueue([&] { rtc_sctp_transport_destroy(transport_); });
    rtc_sim_time_advance_us(time_, 100 * kSec);
    EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), INT64_MAX);
    rtc_task_queue_destroy(queue_);
    rtc_test_wall_clock_unfollow();
    rtc_sim_time_destroy(time_);
  }

  void OnQueue(std::function<void()> fn) {
    ASSERT_EQ(PostFn(queue_, std::move(fn)), RTC_OK);
    rtc_sim_time_run_until_idle(time_);
  }

  static rtc_error Capture(void* user, const uint8_t* data, size_t size) {
    auto* self = static_cast<SctpSecurityTest*>(user);
    Packet p;
    p.bytes.assign(data, data + size);
    p.vtag = size >= 12 ? Get32(data + 4) : 0;
    size_t off = 12;
    while (off + 4 <= size) {
      uint16_t len = Get16(data + off + 2);
      if (len < 4 || off + len > size)
        break;
      p.chunks.push_back(
          ParsedChunk{data[off], data[off + 1],
                      std::vector<uint8_t>(data + off + 4, data + off + len)});
      off += (len + 3u) & ~3u;
    }
    self->sent_.push_back(std::move(p));
    return RTC_OK;
  }

  // The transport under test, started: it sends its INIT.
  void CreateAndStart() {
    rtc_sctp_transport_config config;
    rtc_sctp_transport_config_init(&config);
    config.send = &SctpSecurityTest::Capture;
    config.send_user = this;
    OnQueue([&] {
      ASSERT_EQ(rtc_sctp_transport_create(queue_, &config, &kObserver, &events_,
                                          &transport_),
                RTC_OK);
      if (before_start_)
        before_start_(transport_);
      ASSERT_EQ(rtc_sctp_transport_start(transport_, kPort, 0), RTC_OK);
    });
  }

  // Sends the chunks as one packet (with the transport's tag, or `vtag`).
  void Deliver(const std::vector<std::vector<uint8_t>>& chunks,
               int64_t vtag = -1) {
    std::vector<uint8_t> p;
    Put16(p, kPort);
    Put16(p, kPort);
    Put32(p, vtag >= 0 ? static_cast<uint32_t>(vtag) : local_tag_);
    Put32(p, 0);
    for (const auto& c : chunks)
      p.insert(p.end(), c.begin(), c.end());
    uint32_t crc = Crc32c(p.data(), p.size());
    for (int i = 0; i < 4; i++)  // little-endian on the wire (Appendix A)
      p[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
    OnQueue(
        [&] { rtc_sctp_transport_receive(transport_, p.data(), p.size()); });
  }

  // The first chunk of `type` sent since `from` (or nullptr).
  const ParsedChunk* FindSent(uint8_t type, size_t from = 0) {
    for (size_t i = from; i < sent_.size(); i++)
      for (const auto& c : sent_[i].chunks)
        if (c.type == type)
          return &c;
    return nullptr;
  }

  // The INIT ACK a peer answers the transport's INIT with, followed by
  // `extra` parameters.
  std::vector<uint8_t> InitAck(const std::vector<uint8_t>& extra = {}) {
    std::vector<uint8_t> v;
    Put32(v, kPeerTag);
    Put32(v, 1 << 20);        // a_rwnd
    Put16(v, peer_streams_);  // outbound streams
    Put16(v, peer_streams_);  // inbound streams
    Put32(v, kPeerTsn);
    auto cookie = Param(7, std::vector<uint8_t>(16, 0xc0));
    v.insert(v.end(), cookie.begin(), cookie.end());
    // Supported Extensions (RFC 5061 §4.2.7): RE-CONFIG, FORWARD-TSN.
    auto ext = Param(0x8008, {kReconfig, 192});
    v.insert(v.end(), ext.begin(), ext.end());
    auto fwd = Param(0xc000, {});  // Forward-TSN-Supported (RFC 3758)
    v.insert(v.end(), fwd.begin(), fwd.end());
    v.insert(v.end(), extra.begin(), extra.end());
    return Chunk(kInitAck, 0, v);
  }

  // Runs the handshake as the passive side: takes the INIT, answers with
  // an INIT ACK (plus `extra` parameters), then COOKIE ECHO / COOKIE ACK.
  // True once the transport is connected.
  bool Handshake(const std::vector<uint8_t>& extra = {}) {
    const ParsedChunk* init = FindSent(kInit);
    EXPECT_NE(init, nullptr);
    if (!init || init->value.size() < 16)
      return false;
    local_tag_ = Get32(&init->value[0]);
    local_tsn_ = Get32(&init->value[12]);
    size_t mark = sent_.size();
    Deliver({InitAck(extra)});
    if (!FindSent(kCookieEcho, mark)) {
      for (size_t i = mark; i < sent_.size(); i++)
        for (const auto& c : sent_[i].chunks)
          ADD_FAILURE() << "no COOKIE ECHO; sent chunk " << int(c.type);
      return false;
    }
    Deliver({Chunk(kCookieAck, 0, {})});
    return !events_.states.empty() &&
           events_.states.back() == RTC_SCTP_CONNECTED;
  }

  // A DATA chunk of the next TSN: a whole, ordered message.
  std::vector<uint8_t> Data(uint16_t sid,
                            uint32_t ppid,
                            const std::vector<uint8_t>& payload,
                            uint16_t ssn) {
    std::vector<uint8_t> v;
    Put32(v, next_tsn_++);
    Put16(v, sid);
    Put16(v, ssn);
    Put32(v, ppid);
    v.insert(v.end(), payload.begin(), payload.end());
    return Chunk(kData, 0x03, v);  // B and E: a whole message
  }

  void SendOnStream(uint16_t sid,
                    uint32_t ppid,
                    const std::vector<uint8_t>& payload) {
    Deliver({Data(sid, ppid, payload, ssn_[sid]++)});
    Run(10 * kMs);
  }

  // Advances time, acknowledging (SACK) whatever DATA the transport sent,
  // as a peer that reads everything does.
  void Run(int64_t us) {
    int64_t end = rtc_sim_time_now_us(time_) + us;
    while (rtc_sim_time_now_us(time_) < end) {
      rtc_sim_time_advance_us(time_, 5 * kMs);
      bool any = false;
      uint32_t highest = 0;
      for (const auto& p : sent_)
        for (const auto& c : p.chunks)
          if (c.type == kData) {
            uint32_t tsn = ParseData(c).tsn;
            if (!any || static_cast<int32_t>(tsn - highest) > 0)
              highest = tsn;
            any = true;
          }
      // Stream resets (RFC 6525 §4.1) are granted: a Re-configuration
      // Response (§4.4), "Success - Performed", to each new request.
      for (const auto& p : sent_)
        for (const auto& c : p.chunks) {
          if (c.type != kReconfig || c.value.size() < 8 ||
              Get16(&c.value[0]) != 13)
            continue;
          uint32_t seq = Get32(&c.value[4]);
          if (!answered_.insert(seq).second)
            continue;
          std::vector<uint8_t> response;
          Put32(response, seq);
          Put32(response, 1);
          Deliver({Chunk(kReconfig, 0, Param(16, response))});
        }
      if (any && (!acked_any_ || highest != acked_)) {
        std::vector<uint8_t> sack;
        Put32(sack, highest);  // cumulative TSN ack
        Put32(sack, 1 << 20);  // a_rwnd
        Put16(sack, 0);        // gap ack blocks
        Put16(sack, 0);        // duplicate TSNs
        acked_ = highest;
        acked_any_ = true;
        Deliver({Chunk(kSack, 0, sack)});
      }
    }
  }

  // DCEP ACKs (PPID 50, first byte 2) the transport sent on `sid`.
  int AcksSentOn(uint16_t sid) {
    int n = 0;
    std::set<uint32_t> tsns;  // retransmissions count once
    for (const auto& p : sent_)
      for (const auto& c : p.chunks) {
        if (c.type != kData)
          continue;
        DataChunk d = ParseData(c);
        if (d.sid == sid && d.ppid == 50 && !d.payload.empty() &&
            d.payload[0] == RTC_DCEP_ACK && tsns.insert(d.tsn).second)
          n++;
      }
    return n;
  }

  // Outgoing SSN Reset Requests (RFC 6525 §4.1) naming `sid`.
  bool ResetSentFor(uint16_t sid) {
    for (const auto& p : sent_)
      for (const auto& c : p.chunks) {
        if (c.type != kReconfig)
          continue;
        size_t off = 0;
        while (off + 4 <= c.value.size()) {
          uint16_t type = Get16(&c.value[off]);
          uint16_t len = Get16(&c.value[off + 2]);
          if (len < 4 || off + len > c.value.size())
            break;
          if (type == 13)  // Outgoing SSN Reset Request
            for (size_t i = off + 16; i + 2 <= off + len; i += 2)
              if (Get16(&c.value[i]) == sid)
                return true;
          off += (len + 3u) & ~3u;
        }
      }
    return false;
  }

  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* queue_ = nullptr;
  rtc_sctp_transport* transport_ = nullptr;
  // Runs between create and start (a DTLS role, channels made early).
  std::function<void(rtc_sctp_transport*)> before_start_;
  Events events_;
  std::vector<Packet> sent_;
  uint32_t local_tag_ = 0;
  uint32_t local_tsn_ = 0;
  uint32_t next_tsn_ = kPeerTsn;
  uint32_t acked_ = 0;
  bool acked_any_ = false;
  std::set<uint32_t> answered_;   // reset requests responded to
  uint16_t peer_streams_ = 1024;  // in the INIT ACK, each direction
  uint16_t ssn_[65536] = {};
};

// --- DC-01: no IP addresses in SCTP, no ASCONF ---

// RFC 8261 §5: SCTP over DTLS carries no IP addresses, so address
// parameters from the peer are pure attack surface (CVE-2019-20503, an
// out-of-bounds read in sctp_load_addresses_from_init). Our INIT offers
// none and no ASCONF; the peer's IPv4 and IPv6 address parameters are
// ignored; an ASCONF chunk gets no ASCONF ACK.
TEST_F(SctpSecurityTest, DC01_AddressParametersAndAsconfAreIgnored) {
  CreateAndStart();
  const ParsedChunk* init = FindSent(kInit);
  ASSERT_NE(init, nullptr);
  for (size_t off = 16; off + 4 <= init->value.size();) {
    uint16_t type = Get16(&init->value[off]);
    uint16_t len = Get16(&init->value[off + 2]);
    ASSERT_GE(len, 4u);
    // IPv4 (5), IPv6 (6), Host Name (11) addresses; Add IP (0xc001).
    EXPECT_TRUE(type != 5 && type != 6 && type != 11 && type != 0xc001)
        << "INIT offers parameter " << type;
    if (type == 0x8008) {  // Supported Extensions: not ASCONF (RFC 5061)
      for (size_t i = off + 4; i < off + len; i++)
        EXPECT_TRUE(init->value[i] != kAsconf && init->value[i] != kAsconfAck);
    }
    off += (len + 3u) & ~3u;
  }

  std::vector<uint8_t> extra;
  for (const auto& p : {Param(5, {192, 0, 2, 7}),                  // IPv4
                        Param(6, std::vector<uint8_t>(16, 0x20)),  // IPv6
                        Param(0xc006, {0, 0, 0, 1})})  // Adaptation Layer
    extra.insert(extra.end(), p.begin(), p.end());
  ASSERT_TRUE(Handshake(extra));

  // ASCONF (RFC 5061 §4.1.1) asking to add an address: ignored.
  std::vector<uint8_t> asconf;
  Put32(asconf, 1);  // serial number
  auto lookup = Param(5, {192, 0, 2, 7});
  asconf.insert(asconf.end(), lookup.begin(), lookup.end());
  std::vector<uint8_t> add;
  Put32(add, 1);  // correlation id
  auto addr = Param(5, {203, 0, 113, 66});
  add.insert(add.end(), addr.begin(), addr.end());
  auto add_ip = Param(0xc001, add);
  asconf.insert(asconf.end(), add_ip.begin(), add_ip.end());
  size_t mark = sent_.size();
  Deliver({Chunk(kAsconf, 0, asconf)});
  Run(kSec);
  EXPECT_EQ(FindSent(kAsconfAck, mark), nullptr);

  // The association is unharmed: a channel opens and carries data.
  SendOnStream(1, 50, DcepOpen("after"));
  SendOnStream(1, 51, {'o', 'k'});
  ASSERT_EQ(events_.opened_by_peer.size(), 1u);
  ASSERT_EQ(events_.messages.size(), 1u);
  EXPECT_EQ(events_.messages[0].second, "ok");
  EXPECT_EQ(events_.errors, 0);
}

// What happens to an INIT ACK with the parameter: usrsctp refuses the
// association (ABORT) or ignores the parameter (COOKIE ECHO); a parameter
// longer than what is left of its chunk is malformed and the packet is
// dropped before usrsctp sees it (rtc_sctp_packet_params_valid, RFC 9260
// §3.2.1), so neither comes and the association waits for a good one.
enum class BadAddressOutcome { kAbort, kIgnored, kDropped };

struct BadAddressCase {
  const char* name;
  std::vector<uint8_t> param;
  BadAddressOutcome outcome;
};

void PrintTo(const BadAddressCase& c, std::ostream* os) {
  *os << c.name;
}

class SctpBadAddressTest : public SctpSecurityTest,
                           public testing::WithParamInterface<BadAddressCase> {
};

// Address parameters that cannot be used: a host name (RFC 9260 §3.3.2.1,
// "Unresolvable Address"), truncated IPv4/IPv6 ones, one whose length runs
// past the chunk. The association is refused with an ABORT, the parameter
// is ignored, or (malformed) the packet is dropped; in every case nothing is
// read out of bounds (ASan), and a refusal is reported as an sctp failure,
// the transport closed.
TEST_P(SctpBadAddressTest, DC01_UnusableAddressParameterIsRefusedCleanly) {
  CreateAndStart();
  const ParsedChunk* init = FindSent(kInit);
  ASSERT_NE(init, nullptr);
  local_tag_ = Get32(&init->value[0]);
  size_t mark = sent_.size();
  Deliver({InitAck(GetParam().param)});
  Run(100 * kMs);
  bool aborted = FindSent(kAbort, mark) != nullptr;
  bool echoed = FindSent(kCookieEcho, mark) != nullptr;
  EXPECT_EQ(aborted, GetParam().outcome == BadAddressOutcome::kAbort);
  EXPECT_EQ(echoed, GetParam().outcome == BadAddressOutcome::kIgnored);
  if (GetParam().outcome == BadAddressOutcome::kDropped) {
    EXPECT_EQ(events_.errors, 0);
  }
  if (aborted) {
    EXPECT_EQ(events_.errors, 1);
    ASSERT_FALSE(events_.states.empty());
    EXPECT_EQ(events_.states.back(), RTC_SCTP_CLOSED);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Params,
    SctpBadAddressTest,
    testing::Values(BadAddressCase{"HostName",
                                   Param(11,
                                         {'e', 'v', 'i', 'l', '.', 'e', 'x',
                                          'a', 'm', 'p', 'l', 'e', 0}),
                                   BadAddressOutcome::kAbort},
                    BadAddressCase{"TruncatedIpv4",
                                   {0x00, 0x05, 0x00, 0x06, 198, 51, 0, 0},
                                   BadAddressOutcome::kIgnored},
                    BadAddressCase{"TruncatedIpv6",
                                   {0x00, 0x06, 0x00, 0x0c, 0x20, 1, 0xd, 0xb8,
                                    0, 0, 0, 0},
                                   BadAddressOutcome::kAbort},
                    BadAddressCase{"LengthPastTheChunk",
                                   {0x00, 0x05, 0x00, 0x40, 1, 2, 3, 4},
                                   BadAddressOutcome::kDropped}),
    [](const testing::TestParamInfo<BadAddressCase>& param_info) {
      return std::string(param_info.param.name);
    });

// --- DC-02: no process-internal values on the wire ---

// CVE-2020-6514 (P0 issue 2034): the AF_CONN address given to usrsctp was
// a pointer, and usrsctp copies addresses into the State Cookie it sends in
// an INIT ACK. Answering a peer's INIT makes the transport build a cookie:
// no 8-byte window of anything it sends may hold a pointer to the
// transport or to anything near it on the heap or the stack.
TEST_F(SctpSecurityTest, DC02_NoPointerValuesInAnyPacketSent) {
  CreateAndStart();
  const ParsedChunk* init = FindSent(kInit);
  ASSERT_NE(init, nullptr);
  local_tag_ = Get32(&init->value[0]);
  // The peer's own INIT (an INIT collision, RFC 9260 §5.2.1): answered
  // with an INIT ACK that carries the transport's State Cookie.
  std::vector<uint8_t> v;
  Put32(v, kPeerTag);
  Put32(v, 1 << 20);
  Put16(v, 1024);
  Put16(v, 1024);
  Put32(v, kPeerTsn);
  size_t mark = sent_.size();
  Deliver({Chunk(kInit, 0, v)}, 0);
  const ParsedChunk* init_ack = FindSent(kInitAck, mark);
  ASSERT_NE(init_ack, nullptr);
  ASSERT_GT(init_ack->value.size(), 16u + 32u);  // it has a cookie
  // Then the handshake proper, and some traffic.
  ASSERT_TRUE(Handshake());
  SendOnStream(1, 50, DcepOpen("x"));
  SendOnStream(1, 51, {'h', 'i'});
  ASSERT_EQ(events_.messages.size(), 1u);

  int stack_probe = 0;
  const uintptr_t pointers[] = {
      reinterpret_cast<uintptr_t>(transport_),
      reinterpret_cast<uintptr_t>(this),
      reinterpret_cast<uintptr_t>(&events_),
      reinterpret_cast<uintptr_t>(queue_),
      reinterpret_cast<uintptr_t>(&stack_probe),
  };
  auto near = [&](uint64_t value) {
    for (uintptr_t p : pointers) {
      uint64_t d = value > p ? value - p : p - value;
      if (d < (64u << 20))  // within 64 MiB: the same heap or stack
        return true;
    }
    return false;
  };
  size_t windows = 0;
  for (const auto& p : sent_) {
    for (size_t i = 0; i + 8 <= p.bytes.size(); i++) {
      uint64_t le = 0, be = 0;
      for (int k = 0; k < 8; k++) {
        le |= static_cast<uint64_t>(p.bytes[i + k]) << (8 * k);
        be = (be << 8) | p.bytes[i + k];
      }
      windows++;
      EXPECT_FALSE(near(le) || near(be))
          << "packet bytes at " << i << " look like a pointer: " << std::hex
          << le;
    }
  }
  EXPECT_GT(windows, 100u);
}

// --- DC-03: stream id parity (RFC 8832 §6) ---

// RFC 8832 §6: "the DTLS client MUST use streams with an even stream
// identifier, the DTLS server MUST use streams with an odd stream
// identifier". A peer opening a channel in our half of the id space would
// take ids we hand out ourselves: the OPEN is refused (no ACK, no channel,
// the stream is reset), one of its own parity opens.
TEST_F(SctpSecurityTest, DC03_OpenOnTheWrongStreamParityIsRefused) {
  before_start_ = [](rtc_sctp_transport* t) {
    rtc_sctp_transport_set_dtls_role(t, true);  // we are the client: even
  };
  CreateAndStart();
  ASSERT_TRUE(Handshake());
  SendOnStream(2, 50, DcepOpen("wrong parity"));
  SendOnStream(2, 51, {'x'});
  Run(kSec);
  EXPECT_TRUE(events_.opened_by_peer.empty());
  EXPECT_TRUE(events_.messages.empty());
  EXPECT_EQ(AcksSentOn(2), 0);
  EXPECT_TRUE(ResetSentFor(2));
  // The peer's own (odd) ids work.
  SendOnStream(3, 50, DcepOpen("right parity"));
  ASSERT_EQ(events_.opened_by_peer.size(), 1u);
  EXPECT_EQ(events_.opened_by_peer[0].first, 3);
  EXPECT_EQ(AcksSentOn(3), 1);
  EXPECT_EQ(events_.errors, 0);
}

// The same as DTLS server: the client's ids are even, odd ones are ours.
TEST_F(SctpSecurityTest, DC03_AsServerAnOddOpenIsRefused) {
  before_start_ = [](rtc_sctp_transport* t) {
    rtc_sctp_transport_set_dtls_role(t, false);
  };
  CreateAndStart();
  ASSERT_TRUE(Handshake());
  SendOnStream(5, 50, DcepOpen("wrong parity"));
  SendOnStream(4, 50, DcepOpen("right parity"));
  Run(kSec);
  ASSERT_EQ(events_.opened_by_peer.size(), 1u);
  EXPECT_EQ(events_.opened_by_peer[0].first, 4);
  EXPECT_EQ(AcksSentOn(5), 0);
  EXPECT_TRUE(ResetSentFor(5));
}

// --- DC-04: DCEP lengths (RFC 8832 §5.1) ---

// An OPEN whose Label Length + Protocol Length + 12 exceeds the message by
// one byte (label, then protocol) is malformed: no channel, no ACK, no
// read past the message (ASan), the stream is closed (RFC 8832 §6), and
// the association keeps working. An exact one opens.
TEST_F(SctpSecurityTest, DC04_OpenWithLengthsOverflowingByOneIsRejected) {
  CreateAndStart();
  ASSERT_TRUE(Handshake());
  SendOnStream(1, 50, DcepOpen("label", "proto", 6, 5));
  SendOnStream(3, 50, DcepOpen("label", "proto", 5, 6));
  SendOnStream(5, 50, DcepOpen("label", "proto", 0xffff, 0xffff));
  SendOnStream(7, 50, {RTC_DCEP_OPEN, 0, 0, 1});  // shorter than its header
  Run(kSec);
  EXPECT_TRUE(events_.opened_by_peer.empty());
  for (uint16_t sid : {1, 3, 5, 7}) {
    EXPECT_EQ(AcksSentOn(sid), 0) << sid;
    EXPECT_TRUE(ResetSentFor(sid)) << sid;
  }
  SendOnStream(9, 50, DcepOpen("label", "proto", 5, 5));
  ASSERT_EQ(events_.opened_by_peer.size(), 1u);
  EXPECT_EQ(events_.opened_by_peer[0].first, 9);
  EXPECT_EQ(AcksSentOn(9), 1);
  EXPECT_EQ(events_.errors, 0);
}

// --- DC-05: an OPEN on a stream in use, unknown PPIDs ---

// RFC 8832 §6: a second OPEN on an open stream does not make a second
// channel nor change the first: the stream is closed. A message with an
// unknown PPID is dropped and the channel goes on.
TEST_F(SctpSecurityTest, DC05_SecondOpenOnAnOpenStreamClosesItCleanly) {
  CreateAndStart();
  ASSERT_TRUE(Handshake());
  SendOnStream(1, 50, DcepOpen("first"));
  ASSERT_EQ(events_.opened_by_peer.size(), 1u);
  SendOnStream(1, 0x4242, {'?'});  // unknown PPID: dropped
  SendOnStream(1, 51, {'a'});
  ASSERT_EQ(events_.messages.size(), 1u);
  EXPECT_EQ(events_.messages[0].second, "a");
  EXPECT_FALSE(ResetSentFor(1));

  SendOnStream(1, 50, DcepOpen("second"));
  Run(kSec);
  ASSERT_EQ(events_.opened_by_peer.size(), 1u);
  EXPECT_EQ(events_.opened_by_peer[0].second, "first");
  EXPECT_EQ(AcksSentOn(1), 1);
  EXPECT_TRUE(ResetSentFor(1));
  EXPECT_EQ(events_.errors, 0);
}

// --- DC-07: bounded resources ---

// The checklist's DC-07: "Bound the resources: number of streams
// (<=65535), reassembly buffers, partial-message memory" ("Peer opens 65k
// streams and leaves fragments incomplete -> RSS stays under budget, no
// crash"). A peer that accepted 65,535 streams each way starts a message
// on every one of them, a first fragment (B bit, no E bit) that it never
// finishes, ignoring our receive window: 13 MB of payload in 10,923
// packets, which unbounded reassembly would keep with its bookkeeping
// (52 MB, measured with usrsctp's limits lifted). The heap (usrsctp's own
// included) grows by less than 8 MiB (0.9 MiB measured: usrsctp keeps at
// most 512 chunks waiting for reassembly, and our window), and nothing
// crashes. We announce 65,535 streams here because a channel with id 65534
// was made before the association started (RTC_SCTP_DEFAULT_STREAMS
// otherwise).
TEST_F(SctpSecurityTest, DC07_FirstFragmentsOnEveryStreamStayWithinBudget) {
  peer_streams_ = 65535;
  before_start_ = [](rtc_sctp_transport* t) {
    rtc_data_channel_params p = {"top", "", true, -1, -1, 256, true};
    ASSERT_EQ(rtc_sctp_transport_open_channel(t, 65534, &p), RTC_OK);
  };
  CreateAndStart();
  ASSERT_TRUE(Handshake());
  const ParsedChunk* init = FindSent(kInit);
  ASSERT_NE(init, nullptr);
  uint16_t our_inbound = Get16(&init->value[10]);
  HeapPeak heap;
  const std::vector<uint8_t> payload(200, 0x5a);
  const size_t kPerPacket = 6;
  uint32_t streams = 0;
  for (uint32_t sid = 0; sid < 65535;) {
    std::vector<std::vector<uint8_t>> chunks;
    for (size_t k = 0; k < kPerPacket && sid < 65535; k++, sid++) {
      std::vector<uint8_t> v;
      Put32(v, next_tsn_++);
      Put16(v, static_cast<uint16_t>(sid));
      Put16(v, 0);   // SSN
      Put32(v, 53);  // WebRTC Binary
      v.insert(v.end(), payload.begin(), payload.end());
      chunks.push_back(Chunk(kData, 0x02, v));  // B: a first fragment
      streams++;
    }
    Deliver(chunks);
    if (sid % 600 == 0) {
      rtc_sim_time_advance_us(time_, kMs);
      heap.Sample();
    }
  }
  rtc_sim_time_advance_us(time_, kSec);
  heap.Sample();
  EXPECT_EQ(streams, 65535u);
  EXPECT_EQ(our_inbound, 65535u);
  EXPECT_LT(heap.Growth(), size_t{8} << 20);
  // No message was delivered: none was complete.
  EXPECT_TRUE(events_.messages.empty());
}

// DC-07, outstanding stream resets: RFC 6525 §5.2.2 lets a receiver defer
// an Outgoing SSN Reset Request until it has every TSN up to the request's
// "Sender's Last Assigned TSN". A peer sends 20,000 requests (each naming
// 100 streams, each sequence number the next expected one) whose last TSN
// never comes. usrsctp 0.9.5 keeps every one (the heap grew by 7.3 MB, 15
// MB for 40,000: about 370 bytes a request, for the association's life);
// rtcbox lets at most RTC_SCTP_MAX_DEFERRED_RESETS wait
// (pc/sctp_reset_guard.h): the heap grows by less than 1 MiB, nothing
// crashes, and the association goes on.
TEST_F(SctpSecurityTest, DC07_DeferredStreamResetRequestsStayWithinBudget) {
  peer_streams_ = 65535;
  CreateAndStart();
  ASSERT_TRUE(Handshake());
  HeapPeak heap;
  uint32_t seq = kPeerTsn;  // RFC 6525 §5.1: starts at the initial TSN
  const int kRequests = 20000;
  for (int i = 0; i < kRequests; i++) {
    std::vector<uint8_t> v;
    Put32(v, seq++);                // request sequence number
    Put32(v, local_tsn_ + 12345);   // response sequence number
    Put32(v, next_tsn_ + 1000000);  // sender's last assigned TSN
    for (int k = 0; k < 100; k++)
      Put16(v, static_cast<uint16_t>((i * 100 + k) % 65535));
    Deliver({Chunk(kReconfig, 0, Param(13, v))});
    if (i % 500 == 0)
      heap.Sample();
  }
  rtc_sim_time_advance_us(time_, kSec);
  heap.Sample();
  EXPECT_LT(heap.Growth(), size_t{1} << 20);
  // The association goes on: a channel opens after.
  SendOnStream(1001, 50, DcepOpen("after"));
  ASSERT_EQ(events_.opened_by_peer.size(), 1u);
  EXPECT_EQ(events_.opened_by_peer[0].first, 1001);
}

}  // namespace
