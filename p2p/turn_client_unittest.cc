// The TURN client (p2p/turn_client.h) against a server scripted in the
// test, on simulated time (the test owns the clock: the client is sans-I/O
// and only sees the times it is given).

#include "p2p/turn_client.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "p2p/stun.h"
#include "p2p/turn_message.h"
#include "rtc_base/alloc.h"
#include "rtc_base/clock.h"

namespace {

using Bytes = std::vector<uint8_t>;

constexpr int64_t kSec = RTC_US_PER_SEC;
constexpr int64_t kMs = RTC_US_PER_MS;
const char kUser[] = "alice";
const char kPass[] = "secret";
const char kRealm[] = "example.org";

rtc_socket_address Addr(const char* text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text, strlen(text), &a), RTC_OK) << text;
  return a;
}

std::string Str(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&a, buf, sizeof(buf));
  return buf;
}

Bytes Key(const char* realm = kRealm, const char* pass = kPass) {
  Bytes key(RTC_TURN_KEY_SIZE);
  EXPECT_EQ(rtc_turn_long_term_key(kUser, strlen(kUser), realm, strlen(realm),
                                   pass, strlen(pass), key.data()),
            RTC_OK);
  return key;
}

struct Event {
  rtc_turn_event_type type;
  rtc_error error;
  int code;
  std::string reason;
  rtc_socket_address relayed, mapped, peer;
  uint32_t lifetime_s;
  uint16_t channel;
  std::string data;
};

// A parsed copy of a message the client sent.
struct Sent {
  Sent() = default;
  // msg points into bytes: a copy parses its own bytes.
  Sent(const Sent& other) { *this = other; }
  Sent& operator=(const Sent& other) {
    bytes = other.bytes;
    Parse();
    return *this;
  }
  void Parse() {
    stun = rtc_stun_parse(bytes.data(), bytes.size(), &msg) == RTC_OK;
  }
  Bytes bytes;
  rtc_stun_message msg;
  bool stun = false;
  uint16_t method() const { return rtc_stun_method(msg.type); }
  uint16_t klass() const { return rtc_stun_class(msg.type); }
  bool Has(uint16_t attr) const { return rtc_stun_find(&msg, attr) != nullptr; }
  std::string Text(uint16_t attr) const {
    const rtc_stun_attribute* a = rtc_stun_find(&msg, attr);
    if (a == nullptr)
      return "<absent>";
    return std::string(reinterpret_cast<const char*>(rtc_stun_value(&msg, a)),
                       a->length);
  }
  uint32_t U32(uint16_t attr) const {
    uint32_t v = 0;
    EXPECT_EQ(rtc_stun_get_u32(&msg, attr, &v), RTC_OK);
    return v;
  }
  rtc_socket_address Peer() const {
    rtc_socket_address a;
    EXPECT_EQ(
        rtc_stun_get_xor_address(&msg, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &a),
        RTC_OK);
    return a;
  }
  Bytes Id() const {
    return Bytes(msg.transaction_id,
                 msg.transaction_id + RTC_STUN_TRANSACTION_ID_SIZE);
  }
};

class TurnClientTest : public testing::Test {
 protected:
  void TearDown() override { rtc_turn_client_destroy(client_); }

  void Create(rtc_turn_framing framing = RTC_TURN_FRAMING_DATAGRAM,
              const char* password = kPass,
              uint32_t lifetime_s = 0) {
    rtc_turn_client_config config;
    rtc_turn_client_config_init(&config);
    config.framing = framing;
    config.username = kUser;
    config.password = password;
    config.lifetime_s = lifetime_s;
    config.software = "rtcbox test";
    static const rtc_turn_client_observer kObserver = {&OnSend, &OnEvent};
    ASSERT_EQ(rtc_turn_client_create(&config, &kObserver, this, &client_),
              RTC_OK);
    framing_ = framing;
  }

  static rtc_error OnSend(void* user, const uint8_t* data, size_t size) {
    auto* self = static_cast<TurnClientTest*>(user);
    self->wire_.insert(self->wire_.end(), data, data + size);
    Sent s;
    s.bytes.assign(data, data + size);
    s.Parse();
    self->sent_.push_back(s);
    self->send_times_.push_back(self->now_);
    return self->send_result_;
  }

  static void OnEvent(void* user, const rtc_turn_event* ev) {
    auto* self = static_cast<TurnClientTest*>(user);
    Event e;
    e.type = ev->type;
    e.error = ev->error;
    e.code = ev->stun_error_code;
    e.reason = ev->reason;
    e.relayed = ev->relayed;
    e.mapped = ev->mapped;
    e.peer = ev->peer;
    e.lifetime_s = ev->lifetime_s;
    e.channel = ev->channel;
    e.data.assign(reinterpret_cast<const char*>(ev->data), ev->size);
    self->events_.push_back(e);
    if (self->on_event_)
      self->on_event_(*ev);
  }

  // Moves the clock to now + delta, running every deadline on the way.
  void Advance(int64_t delta) {
    int64_t target = now_ + delta;
    for (;;) {
      int64_t next = rtc_turn_client_next_deadline_us(client_);
      if (next > target)
        break;
      if (next > now_)
        now_ = next;
      rtc_turn_client_handle_timeout(client_, now_);
    }
    now_ = target;
  }

  void Deliver(const Bytes& bytes) {
    if (framing_ == RTC_TURN_FRAMING_STREAM) {
      EXPECT_EQ(rtc_turn_client_handle_stream(client_, bytes.data(),
                                              bytes.size(), now_),
                RTC_OK);
    } else {
      EXPECT_EQ(rtc_turn_client_handle_datagram(client_, bytes.data(),
                                                bytes.size(), now_),
                RTC_OK);
    }
  }

  // A response to `req` from the scripted server. `key` empty: no
  // MESSAGE-INTEGRITY.
  static Bytes Response(const Sent& req,
                        uint16_t klass,
                        const std::function<void(rtc_stun_builder*)>& attrs,
                        const Bytes& key) {
    Bytes buf(2048);
    rtc_stun_builder b;
    rtc_stun_builder_init(&b, buf.data(), buf.size(),
                          rtc_stun_type(req.method(), klass),
                          req.msg.transaction_id);
    if (attrs)
      attrs(&b);
    if (!key.empty())
      rtc_stun_add_message_integrity(&b, key.data(), key.size());
    rtc_stun_add_fingerprint(&b);
    size_t len = 0;
    EXPECT_EQ(rtc_stun_builder_finish(&b, &len), RTC_OK);
    buf.resize(len);
    return buf;
  }

  static Bytes Error(const Sent& req,
                     int code,
                     const char* nonce,
                     const Bytes& key,
                     const char* realm = kRealm) {
    return Response(
        req, RTC_STUN_CLASS_ERROR,
        [&](rtc_stun_builder* b) {
          rtc_stun_add_error_code(b, code, nullptr);
          if (realm != nullptr)
            rtc_stun_add_attribute(b, RTC_STUN_ATTR_REALM, realm,
                                   strlen(realm));
          if (nonce != nullptr)
            rtc_stun_add_attribute(b, RTC_STUN_ATTR_NONCE, nonce,
                                   strlen(nonce));
        },
        key);
  }

  static Bytes AllocateSuccess(const Sent& req,
                               const Bytes& key,
                               uint32_t lifetime = 600) {
    return Response(
        req, RTC_STUN_CLASS_SUCCESS,
        [&](rtc_stun_builder* b) {
          rtc_socket_address relayed = Addr("198.51.100.7:50000");
          rtc_socket_address mapped = Addr("203.0.113.9:40000");
          rtc_stun_add_xor_address(b, RTC_STUN_ATTR_XOR_RELAYED_ADDRESS,
                                   &relayed);
          rtc_stun_add_u32(b, RTC_STUN_ATTR_LIFETIME, lifetime);
          rtc_stun_add_xor_mapped_address(b, &mapped);
        },
        key);
  }

  static Bytes Success(const Sent& req, const Bytes& key) {
    return Response(req, RTC_STUN_CLASS_SUCCESS, nullptr, key);
  }

  static Bytes RefreshSuccess(const Sent& req,
                              const Bytes& key,
                              uint32_t lifetime = 600) {
    return Response(
        req, RTC_STUN_CLASS_SUCCESS,
        [&](rtc_stun_builder* b) {
          rtc_stun_add_u32(b, RTC_STUN_ATTR_LIFETIME, lifetime);
        },
        key);
  }

  // A Data indication from `peer`.
  static Bytes DataIndication(const char* peer, const std::string& data) {
    Bytes buf(2048);
    uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE];
    rtc_stun_new_transaction_id(id);
    rtc_stun_builder b;
    rtc_stun_builder_init(
        &b, buf.data(), buf.size(),
        rtc_stun_type(RTC_STUN_METHOD_DATA, RTC_STUN_CLASS_INDICATION), id);
    rtc_socket_address a = Addr(peer);
    rtc_stun_add_xor_address(&b, RTC_STUN_ATTR_XOR_PEER_ADDRESS, &a);
    rtc_stun_add_attribute(&b, RTC_STUN_ATTR_DATA, data.data(), data.size());
    size_t len = 0;
    EXPECT_EQ(rtc_stun_builder_finish(&b, &len), RTC_OK);
    buf.resize(len);
    return buf;
  }

  static Bytes ChannelData(uint16_t channel,
                           const std::string& data,
                           rtc_turn_framing framing) {
    Bytes buf(rtc_turn_channel_data_size(data.size(), framing));
    size_t len = 0;
    EXPECT_EQ(rtc_turn_channel_data_write(
                  channel, reinterpret_cast<const uint8_t*>(data.data()),
                  data.size(), framing, buf.data(), buf.size(), &len),
              RTC_OK);
    return buf;
  }

  const Sent& Last() { return sent_.back(); }

  // Start, 401, authenticated Allocate, success.
  void Allocate(uint32_t lifetime = 600) {
    ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
    ASSERT_EQ(sent_.size(), 1u);
    Deliver(Error(Last(), 401, "nonce-1", {}));
    ASSERT_EQ(sent_.size(), 2u);
    Deliver(AllocateSuccess(Last(), Key(), lifetime));
    ASSERT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATED);
    ASSERT_EQ(events_.size(), 1u);
    ASSERT_EQ(events_[0].type, RTC_TURN_EVENT_ALLOCATED);
    events_.clear();
    sent_.clear();
    send_times_.clear();
  }

  size_t CountSent(uint16_t method) {
    size_t n = 0;
    for (const auto& s : sent_)
      n += s.stun && s.method() == method && s.klass() == 0;
    return n;
  }

  rtc_turn_client* client_ = nullptr;
  rtc_turn_framing framing_ = RTC_TURN_FRAMING_DATAGRAM;
  int64_t now_ = 1000 * kSec;
  std::vector<Sent> sent_;
  std::vector<int64_t> send_times_;
  Bytes wire_;  // every byte sent, in order
  std::vector<Event> events_;
  rtc_error send_result_ = RTC_OK;
  std::function<void(const rtc_turn_event&)> on_event_;
};

// --- Allocation and long-term credentials ---

TEST_F(TurnClientTest, AllocatesAfter401WithLongTermCredentials) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATING);
  ASSERT_EQ(sent_.size(), 1u);
  const Sent first = Last();
  ASSERT_TRUE(first.stun);
  EXPECT_EQ(first.msg.type, 0x0003);  // Allocate request
  EXPECT_FALSE(first.Has(RTC_STUN_ATTR_USERNAME));
  EXPECT_FALSE(first.Has(RTC_STUN_ATTR_MESSAGE_INTEGRITY));
  EXPECT_EQ(first.U32(RTC_STUN_ATTR_REQUESTED_TRANSPORT), 17u << 24);
  EXPECT_EQ(first.U32(RTC_STUN_ATTR_LIFETIME), 600u);
  EXPECT_EQ(first.Text(RTC_STUN_ATTR_SOFTWARE), "rtcbox test");

  Deliver(Error(first, 401, "nonce-1", {}));
  ASSERT_EQ(sent_.size(), 2u);
  const Sent second = Last();
  EXPECT_EQ(second.msg.type, 0x0003);
  EXPECT_NE(second.Id(), first.Id());  // a new transaction
  EXPECT_EQ(second.Text(RTC_STUN_ATTR_USERNAME), "alice");
  EXPECT_EQ(second.Text(RTC_STUN_ATTR_REALM), kRealm);
  EXPECT_EQ(second.Text(RTC_STUN_ATTR_NONCE), "nonce-1");
  Bytes key = Key();
  EXPECT_EQ(rtc_stun_check_integrity(&second.msg, key.data(), key.size()),
            RTC_OK);
  EXPECT_TRUE(events_.empty());

  Deliver(AllocateSuccess(second, key));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_ALLOCATED);
  EXPECT_EQ(events_[0].error, RTC_OK);
  EXPECT_EQ(Str(events_[0].relayed), "198.51.100.7:50000");
  EXPECT_EQ(Str(events_[0].mapped), "203.0.113.9:40000");
  EXPECT_EQ(events_[0].lifetime_s, 600u);
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATED);
  rtc_socket_address relayed = rtc_turn_client_relayed_address(client_);
  EXPECT_EQ(Str(relayed), "198.51.100.7:50000");
  EXPECT_EQ(rtc_turn_client_expires_us(client_), now_ + 600 * kSec);
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(TurnClientTest, LongTermKeyIsMd5OfUserRealmPassword) {
  // md5("alice:example.org:secret")
  const uint8_t expected[16] = {0x54, 0x3e, 0x1a, 0xec, 0x5d, 0x36, 0x14, 0xf0,
                                0x31, 0x41, 0x65, 0x2d, 0x6a, 0xda, 0x51, 0xb2};
  EXPECT_EQ(Key(), Bytes(expected, expected + 16));
}

TEST_F(TurnClientTest, WrongPasswordFailsWith401) {
  Create(RTC_TURN_FRAMING_DATAGRAM, "wrong");
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  ASSERT_EQ(sent_.size(), 2u);
  // The server cannot verify the request: 401 again, without integrity.
  Deliver(Error(Last(), 401, "nonce-2", {}));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_OPERATION);
  EXPECT_EQ(events_[0].code, 401);
  EXPECT_EQ(events_[0].reason, "Unauthorized");
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_FAILED);
  Advance(60 * kSec);
  EXPECT_EQ(sent_.size(), 2u);  // nothing more
  EXPECT_EQ(rtc_turn_client_next_deadline_us(client_), INT64_MAX);
}

TEST_F(TurnClientTest, WrongPassword401SignedWithAnotherKeyStillFails) {
  Create(RTC_TURN_FRAMING_DATAGRAM, "wrong");
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  // A server that signs its 401 with the real password's key.
  Deliver(Error(Last(), 401, "nonce-2", Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].code, 401);
}

TEST_F(TurnClientTest, Unauthorized401WithoutNonceFails) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, nullptr, {}));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].code, 401);
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(TurnClientTest, StaleNonceRetriesWithTheNewNonce) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  const Sent second = Last();
  Deliver(Error(second, 438, "nonce-2", {}));
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_NE(Last().Id(), second.Id());
  EXPECT_EQ(Last().Text(RTC_STUN_ATTR_NONCE), "nonce-2");
  EXPECT_TRUE(events_.empty());
  Deliver(AllocateSuccess(Last(), Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_ALLOCATED);
}

TEST_F(TurnClientTest, StaleNonceLoopGivesUpAfterThreeRetries) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  for (int i = 0; i < 3; i++) {
    Deliver(Error(Last(), 438, ("n" + std::to_string(i)).c_str(), {}));
    ASSERT_TRUE(events_.empty());
  }
  EXPECT_EQ(sent_.size(), 5u);
  Deliver(Error(Last(), 438, "again", {}));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].code, 438);
  EXPECT_EQ(sent_.size(), 5u);
}

TEST_F(TurnClientTest, AllocateErrorFailsWithCodeAndReason) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  Deliver(Response(
      Last(), RTC_STUN_CLASS_ERROR,
      [](rtc_stun_builder* b) {
        rtc_stun_add_error_code(b, 486, "Allocation Quota Reached");
      },
      Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].code, 486);
  EXPECT_EQ(events_[0].reason, "Allocation Quota Reached");
}

TEST_F(TurnClientTest, MalformedAllocateSuccessFails) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  // No XOR-RELAYED-ADDRESS.
  Deliver(RefreshSuccess(Last(), Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_MALFORMED);
}

TEST_F(TurnClientTest, UnknownRequiredAttributeFailsTheTransaction) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  Deliver(Response(
      Last(), RTC_STUN_CLASS_SUCCESS,
      [](rtc_stun_builder* b) {
        rtc_socket_address relayed = Addr("198.51.100.7:50000");
        rtc_stun_add_xor_address(b, RTC_STUN_ATTR_XOR_RELAYED_ADDRESS,
                                 &relayed);
        rtc_stun_add_u32(b, RTC_STUN_ATTR_LIFETIME, 600);
        uint8_t v[4] = {0};
        rtc_stun_add_attribute(b, 0x7F00, v, sizeof(v));
      },
      Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_MALFORMED);
}

// --- Retransmissions ---

TEST_F(TurnClientTest, RetransmitsOverUdpWithDoublingRtoThenTimesOut) {
  Create();
  int64_t start = now_;
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Advance(39500 * kMs - 1);
  ASSERT_EQ(sent_.size(), 7u);  // Rc = 7
  const int64_t expected_ms[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
  for (size_t i = 0; i < 7; i++) {
    EXPECT_EQ(send_times_[i] - start, expected_ms[i] * kMs) << i;
    EXPECT_EQ(sent_[i].bytes, sent_[0].bytes);  // the same request
  }
  EXPECT_TRUE(events_.empty());
  Advance(1);  // 16 * RTO after the last request
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_TIMEOUT);
  EXPECT_EQ(sent_.size(), 7u);
}

TEST_F(TurnClientTest, StreamSendsOnceAndTimesOutAfter39500Ms) {
  Create(RTC_TURN_FRAMING_STREAM);
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Advance(39500 * kMs - 1);
  EXPECT_EQ(sent_.size(), 1u);
  EXPECT_TRUE(events_.empty());
  Advance(1);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].error, RTC_ERR_TIMEOUT);
}

TEST_F(TurnClientTest, ResponseToARetransmissionCompletesTheTransaction) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Advance(2 * kSec);
  ASSERT_EQ(sent_.size(), 3u);
  Deliver(Error(sent_[2], 401, "nonce-1", {}));
  ASSERT_EQ(sent_.size(), 4u);
  // A duplicate of the 401 (answering an earlier copy) is dropped.
  Deliver(Error(sent_[0], 401, "nonce-x", {}));
  EXPECT_EQ(sent_.size(), 4u);
  Deliver(AllocateSuccess(sent_[3], Key()));
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATED);
}

// --- Validation of responses ---

TEST_F(TurnClientTest, DropsForgedAndMismatchedResponses) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  const Sent req = Last();
  // Integrity with another key.
  Deliver(AllocateSuccess(req, Key(kRealm, "not-the-password")));
  // No integrity at all.
  Deliver(AllocateSuccess(req, {}));
  // An unknown transaction id.
  Bytes other = AllocateSuccess(req, Key());
  other[8] ^= 0xFF;
  Deliver(other);
  // The wrong method (a Refresh success with our id).
  Sent as_refresh = req;
  as_refresh.msg.type = rtc_stun_type(RTC_STUN_METHOD_REFRESH, 0);
  Deliver(RefreshSuccess(as_refresh, Key()));
  // A 486 without integrity (only 401 and 438 may lack it).
  Deliver(Response(
      req, RTC_STUN_CLASS_ERROR,
      [](rtc_stun_builder* b) { rtc_stun_add_error_code(b, 486, nullptr); },
      {}));
  // Garbage, truncated, empty.
  Bytes good = AllocateSuccess(req, Key());
  Deliver(Bytes(good.begin(), good.begin() + 30));
  Deliver(Bytes{0xFF, 0x00});
  EXPECT_EQ(rtc_turn_client_handle_datagram(client_, nullptr, 0, now_), RTC_OK);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATING);
  Deliver(good);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_ALLOCATED);
  // The same response again: no transaction any more.
  Deliver(good);
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(TurnClientTest, ForgedResponseDoesNotStopRetransmissions) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  Deliver(AllocateSuccess(Last(), Key(kRealm, "forged")));
  Advance(600 * kMs);
  EXPECT_EQ(sent_.size(), 3u);  // retransmitted
  Deliver(AllocateSuccess(Last(), Key()));
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATED);
}

// --- Refresh ---

TEST_F(TurnClientTest, RefreshesAllocationAcross20Minutes) {
  Create();
  Allocate();
  int64_t start = now_;
  int refreshes = 0;
  for (int64_t t = 0; t < 20 * 60; t++) {
    Advance(kSec);
    while (!sent_.empty()) {
      Sent req = sent_.front();
      sent_.erase(sent_.begin());
      ASSERT_EQ(req.method(), RTC_STUN_METHOD_REFRESH);
      EXPECT_EQ(req.U32(RTC_STUN_ATTR_LIFETIME), 600u);
      Bytes key = Key();
      EXPECT_EQ(rtc_stun_check_integrity(&req.msg, key.data(), key.size()),
                RTC_OK);
      // One minute before expiry.
      EXPECT_EQ(now_ - start, (refreshes + 1) * 540 * kSec);
      refreshes++;
      Deliver(RefreshSuccess(req, key));
    }
  }
  EXPECT_EQ(refreshes, 2);  // at 9 and 18 minutes
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATED);
  EXPECT_EQ(rtc_turn_client_expires_us(client_), start + (1080 + 600) * kSec);
}

TEST_F(TurnClientTest, RefreshUsesTheLifetimeTheServerGave) {
  Create();
  Allocate(/*lifetime=*/100);  // short: refreshed half-way
  Advance(50 * kSec - 1);
  EXPECT_TRUE(sent_.empty());
  Advance(1);
  ASSERT_EQ(sent_.size(), 1u);
  Deliver(RefreshSuccess(Last(), Key(), 3600));
  EXPECT_EQ(rtc_turn_client_expires_us(client_), now_ + 3600 * kSec);
  Advance(3540 * kSec - 1);
  EXPECT_EQ(sent_.size(), 1u);
  Advance(1);
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(TurnClientTest, RefreshRetriedOnErrorAndLostAtExpiry) {
  Create();
  Allocate();
  int64_t start = now_;
  Advance(540 * kSec);
  ASSERT_EQ(CountSent(RTC_STUN_METHOD_REFRESH), 1u);
  Deliver(Response(
      Last(), RTC_STUN_CLASS_ERROR,
      [](rtc_stun_builder* b) { rtc_stun_add_error_code(b, 500, nullptr); },
      Key()));
  EXPECT_TRUE(events_.empty());
  Advance(5 * kSec);  // retried
  EXPECT_EQ(CountSent(RTC_STUN_METHOD_REFRESH), 2u);
  // The server goes silent: retransmissions, a timeout, a retry...
  Advance(start + 600 * kSec - now_ - 1);
  EXPECT_TRUE(events_.empty());
  Advance(1);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_TIMEOUT);
  EXPECT_EQ(events_[0].reason, "allocation expired");
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_FAILED);
}

TEST_F(TurnClientTest, Refresh437LosesTheAllocation) {
  Create();
  Allocate();
  Advance(540 * kSec);
  Deliver(Error(Last(), 437, nullptr, Key(), nullptr));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].code, 437);
}

// RFC 8489 §9.2.5: a 438 gives a new NONCE; the realm is the one the 401
// gave. A 438 needs no MESSAGE-INTEGRITY, so one with another REALM (an
// attacker who saw the transaction id) must not change the key: the real
// server's signed answers must still verify.
TEST_F(TurnClientTest, StaleNonce438CannotChangeTheRealm) {
  Create();
  Allocate();
  Advance(540 * kSec);
  Deliver(Error(Last(), 438, "nonce-2", {}, "evil.example"));
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(Last().Text(RTC_STUN_ATTR_NONCE), "nonce-2");
  EXPECT_EQ(Last().Text(RTC_STUN_ATTR_REALM), kRealm);
  Deliver(RefreshSuccess(Last(), Key()));
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATED);
  EXPECT_EQ(rtc_turn_client_expires_us(client_), now_ + 600 * kSec);
}

TEST_F(TurnClientTest, Refresh438RetriesWithTheNewNonce) {
  Create();
  Allocate();
  Advance(540 * kSec);
  Deliver(Error(Last(), 438, "nonce-2", {}));
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(Last().Text(RTC_STUN_ATTR_NONCE), "nonce-2");
  Deliver(RefreshSuccess(Last(), Key()));
  EXPECT_TRUE(events_.empty());
  // Later requests use the new nonce too.
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  EXPECT_EQ(Last().Text(RTC_STUN_ATTR_NONCE), "nonce-2");
}

// --- Permissions ---

TEST_F(TurnClientTest, PermissionAskedEarlyIsSentOnceAllocated) {
  Create();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  on_event_ = [&](const rtc_turn_event& ev) {
    // The permission request went out before the event.
    if (ev.type == RTC_TURN_EVENT_ALLOCATED) {
      EXPECT_EQ(CountSent(RTC_STUN_METHOD_CREATE_PERMISSION), 1u);
    }
  };
  Deliver(AllocateSuccess(Last(), Key()));
  ASSERT_EQ(Last().method(), RTC_STUN_METHOD_CREATE_PERMISSION);
  EXPECT_EQ(Str(Last().Peer()), "192.0.2.10:0");  // the port is ignored
  EXPECT_FALSE(rtc_turn_client_has_permission(client_, &peer, now_));
  Deliver(Success(Last(), Key()));
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].type, RTC_TURN_EVENT_PERMISSION_CREATED);
  EXPECT_EQ(Str(events_[1].peer), "192.0.2.10:0");
  EXPECT_TRUE(rtc_turn_client_has_permission(client_, &peer, now_));
  rtc_socket_address other_port = Addr("192.0.2.10:6000");
  EXPECT_TRUE(rtc_turn_client_has_permission(client_, &other_port, now_));
}

TEST_F(TurnClientTest, PermissionsRefreshedEvery240sFor20Minutes) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  // Asking again changes nothing.
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  ASSERT_EQ(sent_.size(), 1u);
  int64_t start = now_;
  std::vector<int64_t> permission_times;
  for (int64_t t = 0; t <= 20 * 60; t++) {
    while (!sent_.empty()) {
      Sent req = sent_.front();
      sent_.erase(sent_.begin());
      if (req.method() == RTC_STUN_METHOD_CREATE_PERMISSION) {
        permission_times.push_back((now_ - start) / kSec);
        Deliver(Success(req, Key()));
      } else {
        Deliver(RefreshSuccess(req, Key()));
      }
    }
    EXPECT_TRUE(rtc_turn_client_has_permission(client_, &peer, now_)) << t;
    Advance(kSec);
  }
  EXPECT_EQ(permission_times,
            (std::vector<int64_t>{0, 240, 480, 720, 960, 1200}));
  EXPECT_EQ(events_.size(), 6u);  // PERMISSION_CREATED each time
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_ALLOCATED);
}

TEST_F(TurnClientTest, PermissionErrorIsReported) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  Deliver(Response(
      Last(), RTC_STUN_CLASS_ERROR,
      [](rtc_stun_builder* b) { rtc_stun_add_error_code(b, 403, nullptr); },
      Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_PERMISSION_FAILED);
  EXPECT_EQ(events_[0].code, 403);
  EXPECT_FALSE(rtc_turn_client_has_permission(client_, &peer, now_));
  // Asking again retries.
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(TurnClientTest, PermissionRefreshTimeoutRetriesUntilExpiry) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  Deliver(Success(Last(), Key()));
  events_.clear();
  // Refresh at 240 s is never answered (timeout at 279.5 s); nor is the
  // retry at 284.5 s, which times out after the permission expired.
  Advance(300 * kSec);
  EXPECT_FALSE(rtc_turn_client_has_permission(client_, &peer, now_));
  EXPECT_TRUE(events_.empty());
  Advance(24 * kSec);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_PERMISSION_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_TIMEOUT);
}

TEST_F(TurnClientTest, SendRetriesAFailedPermissionAtMostEvery5s) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  const uint8_t one[] = {1};
  ASSERT_EQ(rtc_turn_client_send(client_, &peer, one, 1, now_), RTC_OK);
  ASSERT_EQ(CountSent(RTC_STUN_METHOD_CREATE_PERMISSION), 1u);
  Deliver(Response(
      sent_[0], RTC_STUN_CLASS_ERROR,
      [](rtc_stun_builder* b) { rtc_stun_add_error_code(b, 403, nullptr); },
      Key()));
  // Checks every 50 ms for 4.95 s: indications only.
  for (int i = 0; i < 99; i++) {
    Advance(50 * kMs);
    ASSERT_EQ(rtc_turn_client_send(client_, &peer, one, 1, now_), RTC_OK);
  }
  EXPECT_EQ(CountSent(RTC_STUN_METHOD_CREATE_PERMISSION), 1u);
  Advance(50 * kMs);
  ASSERT_EQ(rtc_turn_client_send(client_, &peer, one, 1, now_), RTC_OK);
  EXPECT_EQ(CountSent(RTC_STUN_METHOD_CREATE_PERMISSION), 2u);
}

TEST_F(TurnClientTest, AsksForAnIpv6Relay) {
  rtc_turn_client_config config;
  rtc_turn_client_config_init(&config);
  config.username = kUser;
  config.password = kPass;
  config.relay_family = RTC_AF_INET6;
  static const rtc_turn_client_observer kObserver = {&OnSend, &OnEvent};
  ASSERT_EQ(rtc_turn_client_create(&config, &kObserver, this, &client_),
            RTC_OK);
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  EXPECT_EQ(Last().U32(RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY), 0x02000000u);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  Deliver(Response(
      Last(), RTC_STUN_CLASS_SUCCESS,
      [](rtc_stun_builder* b) {
        rtc_socket_address relayed = Addr("[2001:db8::5]:50000");
        rtc_stun_add_xor_address(b, RTC_STUN_ATTR_XOR_RELAYED_ADDRESS,
                                 &relayed);
        rtc_stun_add_u32(b, RTC_STUN_ATTR_LIFETIME, 600);
      },
      Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_ALLOCATED);
  EXPECT_EQ(Str(events_[0].relayed), "[2001:db8::5]:50000");
  EXPECT_EQ(events_[0].mapped.family, RTC_AF_UNSPEC);
  rtc_socket_address peer = Addr("[2001:db8::9]:1");
  EXPECT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  rtc_socket_address v4_peer = Addr("192.0.2.1:1");
  EXPECT_EQ(rtc_turn_client_create_permission(client_, &v4_peer, now_),
            RTC_ERR_INVALID_ARGUMENT);
}

TEST_F(TurnClientTest, Ipv4RelayOfTheWrongFamilyFails) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  Deliver(Response(
      Last(), RTC_STUN_CLASS_SUCCESS,
      [](rtc_stun_builder* b) {
        rtc_socket_address relayed = Addr("[2001:db8::5]:50000");
        rtc_stun_add_xor_address(b, RTC_STUN_ATTR_XOR_RELAYED_ADDRESS,
                                 &relayed);
        rtc_stun_add_u32(b, RTC_STUN_ATTR_LIFETIME, 600);
      },
      Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_MALFORMED);
}

TEST_F(TurnClientTest, RejectsPeersOfTheOtherFamilyAndTooMany) {
  Create();
  Allocate();
  rtc_socket_address v6 = Addr("[2001:db8::1]:5000");
  EXPECT_EQ(rtc_turn_client_create_permission(client_, &v6, now_),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_turn_client_bind_channel(client_, &v6, now_, nullptr),
            RTC_ERR_INVALID_ARGUMENT);
  for (int i = 0; i < RTC_TURN_MAX_PERMISSIONS; i++) {
    std::string a = "10.0.0." + std::to_string(i + 1);
    rtc_socket_address peer = Addr(a.c_str());
    ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  }
  rtc_socket_address more = Addr("10.0.1.1");
  EXPECT_EQ(rtc_turn_client_create_permission(client_, &more, now_),
            RTC_ERR_OUT_OF_RANGE);
  // A v4-mapped IPv6 peer is the IPv4 one.
  rtc_socket_address mapped = Addr("[::ffff:10.0.0.1]:9");
  EXPECT_EQ(rtc_turn_client_create_permission(client_, &mapped, now_), RTC_OK);
}

// --- Channels and data ---

TEST_F(TurnClientTest, SendIndicationThenChannelDataOnceBound) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  const uint8_t payload[] = {'h', 'i', '!'};
  ASSERT_EQ(rtc_turn_client_send(client_, &peer, payload, 3, now_), RTC_OK);
  // A permission first, then the Send indication.
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[0].method(), RTC_STUN_METHOD_CREATE_PERMISSION);
  EXPECT_EQ(sent_[1].msg.type, 0x0016);  // Send indication
  EXPECT_EQ(Str(sent_[1].Peer()), "192.0.2.10:5000");
  EXPECT_EQ(sent_[1].Text(RTC_STUN_ATTR_DATA), "hi!");
  EXPECT_FALSE(sent_[1].Has(RTC_STUN_ATTR_MESSAGE_INTEGRITY));

  uint16_t number = 0;
  ASSERT_EQ(rtc_turn_client_bind_channel(client_, &peer, now_, &number),
            RTC_OK);
  EXPECT_EQ(number, 0x4000);
  const Sent bind = Last();
  EXPECT_EQ(bind.method(), RTC_STUN_METHOD_CHANNEL_BIND);
  uint16_t attr_number = 0;
  EXPECT_EQ(rtc_stun_get_channel_number(&bind.msg, &attr_number), RTC_OK);
  EXPECT_EQ(attr_number, 0x4000);
  EXPECT_EQ(Str(bind.Peer()), "192.0.2.10:5000");
  // Not bound yet: still a Send indication.
  ASSERT_EQ(rtc_turn_client_send(client_, &peer, payload, 3, now_), RTC_OK);
  EXPECT_EQ(Last().msg.type, 0x0016);
  EXPECT_FALSE(rtc_turn_client_has_channel(client_, &peer));

  Deliver(Success(bind, Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_CHANNEL_BOUND);
  EXPECT_EQ(events_[0].channel, 0x4000);
  EXPECT_TRUE(rtc_turn_client_has_channel(client_, &peer));
  ASSERT_EQ(rtc_turn_client_send(client_, &peer, payload, 3, now_), RTC_OK);
  // Over UDP, no padding.
  EXPECT_EQ(Last().bytes, (Bytes{0x40, 0x00, 0x00, 0x03, 'h', 'i', '!'}));
  // Binding the same peer again gives the same number; another, the next.
  ASSERT_EQ(rtc_turn_client_bind_channel(client_, &peer, now_, &number),
            RTC_OK);
  EXPECT_EQ(number, 0x4000);
  rtc_socket_address other = Addr("192.0.2.10:5001");
  ASSERT_EQ(rtc_turn_client_bind_channel(client_, &other, now_, &number),
            RTC_OK);
  EXPECT_EQ(number, 0x4001);
}

TEST_F(TurnClientTest, ChannelRefreshedEvery540s) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_bind_channel(client_, &peer, now_, nullptr),
            RTC_OK);
  int64_t start = now_;
  std::vector<int64_t> bind_times;
  for (int64_t t = 0; t <= 20 * 60; t++) {
    while (!sent_.empty()) {
      Sent req = sent_.front();
      sent_.erase(sent_.begin());
      if (req.method() == RTC_STUN_METHOD_CHANNEL_BIND) {
        bind_times.push_back((now_ - start) / kSec);
        Deliver(Success(req, Key()));
      } else {
        Deliver(RefreshSuccess(req, Key()));
      }
    }
    EXPECT_TRUE(rtc_turn_client_has_channel(client_, &peer));
    Advance(kSec);
  }
  EXPECT_EQ(bind_times, (std::vector<int64_t>{0, 540, 1080}));
  EXPECT_EQ(events_.size(), 1u);  // CHANNEL_BOUND once
}

TEST_F(TurnClientTest, ChannelBindFailureFallsBackToSendIndications) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_bind_channel(client_, &peer, now_, nullptr),
            RTC_OK);
  Deliver(Response(
      Last(), RTC_STUN_CLASS_ERROR,
      [](rtc_stun_builder* b) { rtc_stun_add_error_code(b, 400, nullptr); },
      Key()));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_CHANNEL_FAILED);
  EXPECT_EQ(events_[0].code, 400);
  const uint8_t payload[] = {1};
  ASSERT_EQ(rtc_turn_client_send(client_, &peer, payload, 1, now_), RTC_OK);
  EXPECT_EQ(Last().msg.type, 0x0016);
}

TEST_F(TurnClientTest, ReceivesDataIndicationsFromPermittedPeersOnly) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  Deliver(DataIndication("192.0.2.10:5000", "early"));  // no permission
  EXPECT_TRUE(events_.empty());
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  Deliver(Success(Last(), Key()));
  events_.clear();
  Deliver(DataIndication("192.0.2.10:7777", "hello"));
  Deliver(DataIndication("192.0.2.99:5000", "stranger"));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_DATA);
  EXPECT_EQ(Str(events_[0].peer), "192.0.2.10:7777");
  EXPECT_EQ(events_[0].data, "hello");
  EXPECT_EQ(events_[0].channel, 0);
}

TEST_F(TurnClientTest, ReceivesChannelDataOnBoundChannelsOnly) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_bind_channel(client_, &peer, now_, nullptr),
            RTC_OK);
  // The server may use the channel before its success arrives.
  Deliver(ChannelData(0x4000, "early", RTC_TURN_FRAMING_DATAGRAM));
  Deliver(Success(Last(), Key()));
  Deliver(ChannelData(0x4000, "data", RTC_TURN_FRAMING_DATAGRAM));
  Deliver(ChannelData(0x4001, "unbound", RTC_TURN_FRAMING_DATAGRAM));
  // Padding after the payload is allowed over UDP.
  Deliver(ChannelData(0x4000, "pad", RTC_TURN_FRAMING_STREAM));
  // Short, bad length, reserved number.
  Deliver(Bytes{0x40, 0x00, 0x00});
  Deliver(Bytes{0x40, 0x00, 0x00, 0x09, 'a', 'b'});
  Deliver(Bytes{0x50, 0x00, 0x00, 0x01, 'a'});
  ASSERT_EQ(events_.size(), 4u);
  EXPECT_EQ(events_[0].data, "early");
  EXPECT_EQ(events_[1].type, RTC_TURN_EVENT_CHANNEL_BOUND);
  EXPECT_EQ(events_[2].data, "data");
  EXPECT_EQ(Str(events_[2].peer), "192.0.2.10:5000");
  EXPECT_EQ(events_[2].channel, 0x4000);
  EXPECT_EQ(events_[3].data, "pad");
}

TEST_F(TurnClientTest, SendRequiresAnAllocation) {
  Create();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  const uint8_t b[] = {1};
  EXPECT_EQ(rtc_turn_client_send(client_, &peer, b, 1, now_),
            RTC_ERR_INVALID_STATE);
  Allocate();
  std::vector<uint8_t> big(RTC_TURN_MAX_PAYLOAD + 1);
  EXPECT_EQ(rtc_turn_client_send(client_, &peer, big.data(), big.size(), now_),
            RTC_ERR_OUT_OF_RANGE);
  big.resize(RTC_TURN_MAX_PAYLOAD);
  EXPECT_EQ(rtc_turn_client_send(client_, &peer, big.data(), big.size(), now_),
            RTC_OK);
  EXPECT_TRUE(Last().stun);  // a valid Send indication
  send_result_ = RTC_ERR_WOULD_BLOCK;
  EXPECT_EQ(rtc_turn_client_send(client_, &peer, b, 1, now_),
            RTC_ERR_WOULD_BLOCK);
}

// --- Close ---

TEST_F(TurnClientTest, CloseDeallocatesWithLifetimeZero) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  const Sent perm = Last();
  rtc_turn_client_close(client_, now_);
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_CLOSING);
  ASSERT_EQ(Last().method(), RTC_STUN_METHOD_REFRESH);
  EXPECT_EQ(Last().U32(RTC_STUN_ATTR_LIFETIME), 0u);
  Bytes key = Key();
  EXPECT_EQ(rtc_stun_check_integrity(&Last().msg, key.data(), key.size()),
            RTC_OK);
  // The permission transaction was dropped.
  Deliver(Success(perm, key));
  EXPECT_TRUE(events_.empty());
  Deliver(RefreshSuccess(Last(), key, 0));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_CLOSED);
  EXPECT_EQ(events_[0].error, RTC_OK);
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_CLOSED);
  size_t n = sent_.size();
  Advance(3600 * kSec);
  EXPECT_EQ(sent_.size(), n);
  rtc_turn_client_close(client_, now_);  // again: nothing
  EXPECT_EQ(sent_.size(), n);
}

TEST_F(TurnClientTest, DeallocationTimesOut) {
  Create();
  Allocate();
  rtc_turn_client_close(client_, now_);
  Advance(40 * kSec);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_CLOSED);
  EXPECT_EQ(events_[0].error, RTC_ERR_TIMEOUT);
  EXPECT_EQ(sent_.size(), 7u);
}

TEST_F(TurnClientTest, Deallocation438RetriesAnd437Counts) {
  Create();
  Allocate();
  rtc_turn_client_close(client_, now_);
  Deliver(Error(Last(), 438, "nonce-9", {}));
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(Last().Text(RTC_STUN_ATTR_NONCE), "nonce-9");
  Deliver(Error(Last(), 437, nullptr, Key(), nullptr));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_CLOSED);
  EXPECT_EQ(events_[0].error, RTC_OK);
}

TEST_F(TurnClientTest, CloseBeforeAllocatedSendsNothing) {
  Create();
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  rtc_turn_client_close(client_, now_);
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_CLOSED);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  Advance(60 * kSec);
  EXPECT_EQ(sent_.size(), 1u);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(rtc_turn_client_start(client_, now_), RTC_ERR_INVALID_STATE);
}

TEST_F(TurnClientTest, CloseFromAnEventCallback) {
  Create();
  on_event_ = [&](const rtc_turn_event& ev) {
    if (ev.type == RTC_TURN_EVENT_ALLOCATED)
      rtc_turn_client_close(client_, now_);
  };
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Deliver(Error(Last(), 401, "nonce-1", {}));
  Deliver(AllocateSuccess(Last(), Key()));
  EXPECT_EQ(rtc_turn_client_state(client_), RTC_TURN_STATE_CLOSING);
  EXPECT_EQ(Last().U32(RTC_STUN_ATTR_LIFETIME), 0u);
}

// --- Streams (TCP, TLS) ---

TEST_F(TurnClientTest, StreamPadsChannelData) {
  Create(RTC_TURN_FRAMING_STREAM);
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_bind_channel(client_, &peer, now_, nullptr),
            RTC_OK);
  Deliver(Success(Last(), Key()));
  const uint8_t payload[] = {'a', 'b', 'c', 'd', 'e'};
  ASSERT_EQ(rtc_turn_client_send(client_, &peer, payload, 5, now_), RTC_OK);
  EXPECT_EQ(Last().bytes,
            (Bytes{0x40, 0x00, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e', 0, 0, 0}));
}

// The server's whole side of a session, as one byte string.
class TurnStreamTest : public TurnClientTest {
 protected:
  // Runs a session where the server's bytes arrive split at the given
  // points; returns the events as text.
  std::string RunSplit(const std::vector<size_t>& cuts) {
    Create(RTC_TURN_FRAMING_STREAM);
    EXPECT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
    // Responses must carry the client's (random) transaction ids, so the
    // 401 goes whole; what follows it (the Allocate success, ChannelData,
    // a Data indication, empty and 4-byte ChannelData) is split.
    Deliver(Error(Last(), 401, "nonce-1", {}));
    rtc_socket_address peer = Addr("192.0.2.10:5000");
    EXPECT_EQ(rtc_turn_client_bind_channel(client_, &peer, now_, nullptr),
              RTC_OK);
    Bytes stream = AllocateSuccess(sent_[1], Key());
    // The ChannelBind goes out after the success; the server may use the
    // channel before answering it.
    Bytes cd = ChannelData(0x4000, "xyz", RTC_TURN_FRAMING_STREAM);
    Bytes di = DataIndication("192.0.2.10:5000", "indication");
    Bytes cd2 = ChannelData(0x4000, "", RTC_TURN_FRAMING_STREAM);
    Bytes cd3 = ChannelData(0x4000, "1234", RTC_TURN_FRAMING_STREAM);
    for (const Bytes* b : {&cd, &di, &cd2, &cd3})
      stream.insert(stream.end(), b->begin(), b->end());
    size_t pos = 0;
    for (size_t cut : cuts) {
      EXPECT_EQ(rtc_turn_client_handle_stream(client_, stream.data() + pos,
                                              cut - pos, now_),
                RTC_OK);
      pos = cut;
    }
    EXPECT_EQ(rtc_turn_client_handle_stream(client_, stream.data() + pos,
                                            stream.size() - pos, now_),
              RTC_OK);
    std::string out;
    for (const auto& e : events_)
      out += std::string(rtc_turn_event_type_name(e.type)) + ":" + e.data + ";";
    rtc_turn_client_destroy(client_);
    client_ = nullptr;
    events_.clear();
    sent_.clear();
    stream_size_ = stream.size();
    return out;
  }
  size_t stream_size_ = 0;
};

TEST_F(TurnStreamTest, ReassemblesAcrossEverySplitPoint) {
  const std::string expected =
      "allocated:;data:xyz;data:indication;data:;data:1234;";
  ASSERT_EQ(RunSplit({}), expected);
  size_t n = stream_size_;
  for (size_t i = 1; i < n; i++)
    ASSERT_EQ(RunSplit({i}), expected) << "split at " << i;
  // Byte by byte.
  std::vector<size_t> every;
  for (size_t i = 1; i < n; i++)
    every.push_back(i);
  EXPECT_EQ(RunSplit(every), expected);
  // Pairs of split points, sampled.
  for (size_t i = 1; i < n; i += 7)
    for (size_t j = i + 1; j < n; j += 5)
      ASSERT_EQ(RunSplit({i, j}), expected) << i << "," << j;
}

TEST_F(TurnClientTest, StreamGarbageFailsTheClient) {
  Create(RTC_TURN_FRAMING_STREAM);
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Bytes resp = Error(Last(), 401, "nonce-1", {});
  // Half a message, then garbage where the cookie should be.
  Bytes bad(resp.begin(), resp.begin() + 6);
  bad.push_back(0x00);
  bad.push_back(0x00);
  EXPECT_EQ(rtc_turn_client_handle_stream(client_, bad.data(), 6, now_),
            RTC_OK);
  EXPECT_EQ(rtc_turn_client_handle_stream(client_, bad.data() + 6, 2, now_),
            RTC_ERR_MALFORMED);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_MALFORMED);
  // Sticky.
  EXPECT_EQ(
      rtc_turn_client_handle_stream(client_, resp.data(), resp.size(), now_),
      RTC_ERR_MALFORMED);
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(TurnClientTest, StreamRejectsTlsRecordsAndReservedChannels) {
  for (uint8_t first : {0x16, 0x50, 0x80, 0xFF}) {
    Create(RTC_TURN_FRAMING_STREAM);
    ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
    Bytes bad = {first, 0x03, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00};
    EXPECT_EQ(
        rtc_turn_client_handle_stream(client_, bad.data(), bad.size(), now_),
        RTC_ERR_MALFORMED)
        << int(first);
    rtc_turn_client_destroy(client_);
    client_ = nullptr;
  }
}

TEST_F(TurnClientTest, StreamClosedLosesTheAllocation) {
  Create(RTC_TURN_FRAMING_STREAM);
  Allocate();
  rtc_turn_client_handle_stream_closed(client_, now_);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, RTC_TURN_EVENT_FAILED);
  EXPECT_EQ(events_[0].error, RTC_ERR_CLOSED);
  EXPECT_EQ(rtc_turn_client_handle_datagram(client_, nullptr, 0, now_),
            RTC_ERR_INVALID_STATE);
}

// --- Creation and memory ---

TEST_F(TurnClientTest, CreateValidatesItsArguments) {
  rtc_turn_client_config config;
  rtc_turn_client_config_init(&config);
  static const rtc_turn_client_observer kObserver = {&OnSend, &OnEvent};
  rtc_turn_client* c = nullptr;
  EXPECT_EQ(rtc_turn_client_create(&config, &kObserver, this, &c),
            RTC_ERR_INVALID_ARGUMENT);  // no credentials
  config.username = kUser;
  config.password = kPass;
  rtc_turn_client_observer no_send = {nullptr, &OnEvent};
  EXPECT_EQ(rtc_turn_client_create(&config, &no_send, this, &c),
            RTC_ERR_INVALID_ARGUMENT);
  std::string long_user(600, 'u');
  config.username = long_user.c_str();
  EXPECT_EQ(rtc_turn_client_create(&config, &kObserver, this, &c),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(c, nullptr);
}

TEST_F(TurnClientTest, EveryAllocationFailureIsReported) {
  rtc_turn_client_config config;
  rtc_turn_client_config_init(&config);
  config.username = kUser;
  config.password = kPass;
  config.software = "sw";
  config.framing = RTC_TURN_FRAMING_STREAM;
  static const rtc_turn_client_observer kObserver = {&OnSend, &OnEvent};
  for (uint64_t n = 1;; n++) {
    rtc_turn_client* c = nullptr;
    uint64_t before = rtc_alloc_injected_failure_count();
    rtc_alloc_fail_nth(n, 0);
    rtc_error err = rtc_turn_client_create(&config, &kObserver, this, &c);
    bool injected = rtc_alloc_injected_failure_count() > before;
    rtc_alloc_clear_failure();
    if (err == RTC_OK) {
      rtc_turn_client_destroy(c);
      if (!injected)
        break;
      continue;
    }
    EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
    EXPECT_EQ(c, nullptr);
  }
  // The stream reader's buffer: a partial frame that cannot be kept fails
  // the client.
  Create(RTC_TURN_FRAMING_STREAM);
  ASSERT_EQ(rtc_turn_client_start(client_, now_), RTC_OK);
  Bytes resp = Error(Last(), 401, "nonce-1", {});
  rtc_alloc_fail_nth(1, 1);
  EXPECT_EQ(rtc_turn_client_handle_stream(client_, resp.data(), 10, now_),
            RTC_ERR_NO_MEMORY);
  rtc_alloc_clear_failure();
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].error, RTC_ERR_NO_MEMORY);
}

TEST_F(TurnClientTest, SendBufferAllocationFailure) {
  Create();
  Allocate();
  rtc_socket_address peer = Addr("192.0.2.10:5000");
  ASSERT_EQ(rtc_turn_client_create_permission(client_, &peer, now_), RTC_OK);
  const uint8_t b[] = {1};
  rtc_alloc_fail_nth(1, 1);
  EXPECT_EQ(rtc_turn_client_send(client_, &peer, b, 1, now_),
            RTC_ERR_NO_MEMORY);
  rtc_alloc_clear_failure();
  EXPECT_EQ(rtc_turn_client_send(client_, &peer, b, 1, now_), RTC_OK);
}

// --- Framing helpers ---

TEST(TurnMessageTest, ParsesChannelData) {
  uint16_t ch = 0;
  const uint8_t* p = nullptr;
  size_t n = 0;
  const uint8_t ok[] = {0x40, 0x01, 0x00, 0x02, 'h', 'i', 0, 0};
  EXPECT_EQ(rtc_turn_channel_data_parse(ok, 6, RTC_TURN_FRAMING_DATAGRAM, &ch,
                                        &p, &n),
            RTC_OK);
  EXPECT_EQ(ch, 0x4001);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(p, ok + 4);
  // Padding over UDP is fine; over a stream it must be exact.
  EXPECT_EQ(rtc_turn_channel_data_parse(ok, 8, RTC_TURN_FRAMING_DATAGRAM, &ch,
                                        &p, &n),
            RTC_OK);
  EXPECT_EQ(
      rtc_turn_channel_data_parse(ok, 8, RTC_TURN_FRAMING_STREAM, &ch, &p, &n),
      RTC_OK);
  EXPECT_EQ(
      rtc_turn_channel_data_parse(ok, 6, RTC_TURN_FRAMING_STREAM, &ch, &p, &n),
      RTC_ERR_MALFORMED);
  // Short, length past the end, reserved or invalid numbers.
  EXPECT_EQ(rtc_turn_channel_data_parse(ok, 3, RTC_TURN_FRAMING_DATAGRAM, &ch,
                                        &p, &n),
            RTC_ERR_MALFORMED);
  EXPECT_EQ(rtc_turn_channel_data_parse(ok, 5, RTC_TURN_FRAMING_DATAGRAM, &ch,
                                        &p, &n),
            RTC_ERR_MALFORMED);
  const uint8_t reserved[] = {0x50, 0x00, 0x00, 0x00};
  EXPECT_EQ(rtc_turn_channel_data_parse(reserved, 4, RTC_TURN_FRAMING_DATAGRAM,
                                        &ch, &p, &n),
            RTC_ERR_MALFORMED);
  const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00};
  EXPECT_EQ(rtc_turn_channel_data_parse(stun, 4, RTC_TURN_FRAMING_DATAGRAM, &ch,
                                        &p, &n),
            RTC_ERR_MALFORMED);
  EXPECT_EQ(rtc_turn_channel_data_parse(nullptr, 0, RTC_TURN_FRAMING_DATAGRAM,
                                        &ch, &p, &n),
            RTC_ERR_MALFORMED);
}

TEST(TurnMessageTest, WritesChannelData) {
  uint8_t buf[16];
  size_t n = 0;
  const uint8_t data[] = {1, 2, 3, 4, 5};
  EXPECT_EQ(rtc_turn_channel_data_write(
                0x4FFF, data, 5, RTC_TURN_FRAMING_STREAM, buf, sizeof(buf), &n),
            RTC_OK);
  EXPECT_EQ(n, 12u);
  EXPECT_EQ(Bytes(buf, buf + n),
            (Bytes{0x4F, 0xFF, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0}));
  EXPECT_EQ(rtc_turn_channel_data_write(
                0x5000, data, 5, RTC_TURN_FRAMING_STREAM, buf, sizeof(buf), &n),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_turn_channel_data_write(0x4000, data, 5,
                                        RTC_TURN_FRAMING_STREAM, buf, 11, &n),
            RTC_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(rtc_turn_channel_data_write(0x4000, data, 5,
                                        RTC_TURN_FRAMING_DATAGRAM, buf, 9, &n),
            RTC_OK);
  EXPECT_EQ(n, 9u);
}

TEST(TurnMessageTest, FrameLengthOfStreamHeaders) {
  size_t n = 0;
  const uint8_t stun[] = {0x01, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42};
  EXPECT_EQ(rtc_turn_frame_length(stun, 0, &n), RTC_ERR_WOULD_BLOCK);
  EXPECT_EQ(rtc_turn_frame_length(stun, 3, &n), RTC_ERR_WOULD_BLOCK);
  EXPECT_EQ(rtc_turn_frame_length(stun, 4, &n), RTC_OK);
  EXPECT_EQ(n, 28u);
  const uint8_t bad_cookie[] = {0x01, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x43};
  EXPECT_EQ(rtc_turn_frame_length(bad_cookie, 8, &n), RTC_ERR_MALFORMED);
  const uint8_t odd_length[] = {0x01, 0x01, 0x00, 0x07};
  EXPECT_EQ(rtc_turn_frame_length(odd_length, 4, &n), RTC_ERR_MALFORMED);
  const uint8_t channel[] = {0x40, 0x00, 0x00, 0x05};
  EXPECT_EQ(rtc_turn_frame_length(channel, 1, &n), RTC_ERR_WOULD_BLOCK);
  EXPECT_EQ(rtc_turn_frame_length(channel, 4, &n), RTC_OK);
  EXPECT_EQ(n, 12u);
  const uint8_t reserved[] = {0x5F, 0xFF};
  EXPECT_EQ(rtc_turn_frame_length(reserved, 2, &n), RTC_ERR_MALFORMED);
  const uint8_t rtp[] = {0x80};
  EXPECT_EQ(rtc_turn_frame_length(rtp, 1, &n), RTC_ERR_MALFORMED);
}

TEST(TurnMessageTest, DemultiplexesTurnDatagrams) {
  const uint8_t stun[] = {0x01, 0x01};
  const uint8_t channel[] = {0x40, 0x00};
  const uint8_t dtls[] = {0x16, 0xFE};
  EXPECT_TRUE(rtc_turn_is_turn_datagram(stun, 2));
  EXPECT_TRUE(rtc_turn_is_turn_datagram(channel, 2));
  EXPECT_FALSE(rtc_turn_is_turn_datagram(dtls, 2));
  EXPECT_FALSE(rtc_turn_is_turn_datagram(nullptr, 0));
}

TEST(TurnMessageTest, NamesStatesAndEvents) {
  EXPECT_STREQ(rtc_turn_state_name(RTC_TURN_STATE_ALLOCATED), "allocated");
  EXPECT_STREQ(rtc_turn_event_type_name(RTC_TURN_EVENT_CHANNEL_BOUND),
               "channel-bound");
}

}  // namespace
