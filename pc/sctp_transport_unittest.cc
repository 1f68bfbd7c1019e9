// Tests of the SCTP transport and its data channels: two transports wired
// through an in-test "DTLS" pipe (a packet posted to the other side's queue
// after a delay, or dropped by a seeded generator), on simulated time. One
// test runs on two real event-loop threads to exercise the cross-thread
// timer and callback paths.

#include "pc/sctp_transport.h"

#include <gtest/gtest.h>
#include <sys/time.h>
#include <time.h>
#include <usrsctp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pc/dcep.h"
#include "pc/sctp_transport_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/clock.h"
#include "rtc_base/event_loop.h"
#include "rtc_base/random.h"
#include "rtc_base/safety_flag.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/task_queue.h"
#include "test/support/run_on.h"
#include "test/support/sim_wall_clock.h"

namespace {

constexpr int64_t kMs = RTC_US_PER_MS;
constexpr int64_t kSec = RTC_US_PER_SEC;

rtc_error Post(rtc_task_queue* q, std::function<void()> fn) {
  auto* f = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* a) { (*static_cast<std::function<void()>*>(a))(); },
      [](void* a) { delete static_cast<std::function<void()>*>(a); }, f};
  return rtc_task_queue_post(q, task);
}

struct Message {
  uint16_t sid;
  bool binary;
  std::vector<uint8_t> data;
};

struct Opened {
  uint16_t sid;
  std::string label;
  std::string protocol;
  bool ordered;
  int32_t max_retransmits;
  int32_t max_packet_lifetime;
  uint16_t priority;
  bool negotiated;
};

// One side: a transport on a queue, what its observer saw, and the
// outgoing half of the pipe.
struct Side {
  std::string name;
  rtc_task_queue* queue = nullptr;
  rtc_sctp_transport* transport = nullptr;
  rtc_safety_flag* alive = nullptr;  // guards the packets posted to it
  Side* peer = nullptr;
  int64_t delay_us = 0;
  double loss = 0;
  rtc_prng prng;
  uint64_t packets_sent = 0;
  uint64_t packets_lost = 0;

  // Everything below is written on the side's queue and read by the test;
  // the mutex matters only in the real-thread test.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<rtc_sctp_state> states;
  std::vector<Opened> opened_by_peer;
  std::vector<uint16_t> opens;
  std::vector<Message> messages;
  size_t bytes_received = 0;
  std::vector<std::pair<uint16_t, size_t>> buffered;
  std::vector<uint16_t> closed;
  std::vector<rtc_error_info> errors;
  size_t callbacks = 0;
  bool keep_messages = true;
  // Hooks, called on the side's queue without the mutex.
  std::function<void(Side&, const uint8_t*, size_t)> on_message_hook;
  std::function<void(Side&, uint16_t, size_t)> on_buffered_hook;
  std::function<void(Side&, uint16_t)> on_opened_by_peer_hook;
  // Drops the packets the pipe would carry when it says so.
  std::function<bool(const uint8_t*, size_t)> drop_if;

  template <typename F>
  auto Locked(F f) {
    std::lock_guard<std::mutex> lock(mu);
    return f();
  }
  rtc_sctp_state LastState() {
    return Locked(
        [&] { return states.empty() ? RTC_SCTP_NEW : states.back(); });
  }
  size_t MessageCount() {
    return Locked([&] { return messages.size(); });
  }
};

Side* S(void* user) {
  return static_cast<Side*>(user);
}

void Record(Side* s, std::function<void()> f) {
  {
    std::lock_guard<std::mutex> lock(s->mu);
    s->callbacks++;
    f();
  }
  s->cv.notify_all();
}

void OnState(void* user, rtc_sctp_state state) {
  Record(S(user), [&] { S(user)->states.push_back(state); });
}

void OnOpenedByPeer(void* user,
                    uint16_t sid,
                    const rtc_data_channel_params* p) {
  Opened o{sid,         p->label,           p->protocol,
           p->ordered,  p->max_retransmits, p->max_packet_lifetime,
           p->priority, p->negotiated};
  Side* s = S(user);
  Record(s, [&] { s->opened_by_peer.push_back(o); });
  if (s->on_opened_by_peer_hook)
    s->on_opened_by_peer_hook(*s, sid);
}

void OnOpen(void* user, uint16_t sid) {
  Record(S(user), [&] { S(user)->opens.push_back(sid); });
}

void OnMessage(void* user,
               uint16_t sid,
               bool binary,
               rtc_sctp_message* message) {
  // The observer takes the message: freed when this returns.
  std::unique_ptr<rtc_sctp_message, void (*)(rtc_sctp_message*)> owned(
      message, rtc_sctp_message_free);
  const uint8_t* data = rtc_sctp_message_data(message);
  size_t size = rtc_sctp_message_size(message);
  Side* s = S(user);
  Record(s, [&] {
    s->bytes_received += size;
    if (s->keep_messages)
      s->messages.push_back(Message{sid, binary, {data, data + size}});
    else
      s->messages.push_back(Message{sid, binary, {}});
  });
  if (s->on_message_hook)
    s->on_message_hook(*s, data, size);
}

void OnBuffered(void* user, uint16_t sid, size_t amount) {
  Side* s = S(user);
  Record(s, [&] { s->buffered.emplace_back(sid, amount); });
  if (s->on_buffered_hook)
    s->on_buffered_hook(*s, sid, amount);
}

void OnClosed(void* user, uint16_t sid) {
  Record(S(user), [&] { S(user)->closed.push_back(sid); });
}

void OnError(void* user, const rtc_error_info* error) {
  Record(S(user), [&] { S(user)->errors.push_back(*error); });
}

const rtc_sctp_transport_observer kObserver = {
    OnState, OnOpenedByPeer, OnOpen, OnMessage, OnBuffered, OnClosed, OnError,
};

struct PacketTask {
  Side* to;
  std::vector<uint8_t> bytes;
};

// The pipe: runs on the sender's queue.
rtc_error SendPacket(void* user, const uint8_t* data, size_t size) {
  Side* s = S(user);
  s->packets_sent++;
  if (s->drop_if && s->drop_if(data, size))
    return RTC_OK;
  if (s->loss > 0 && rtc_prng_uniform(&s->prng) < s->loss) {
    s->packets_lost++;
    return RTC_OK;
  }
  auto* p = new PacketTask{s->peer, {data, data + size}};
  rtc_task task = {
      [](void* a) {
        auto* packet = static_cast<PacketTask*>(a);
        if (packet->to->transport)  // a side not created (yet) drops it
          rtc_sctp_transport_receive(packet->to->transport,
                                     packet->bytes.data(),
                                     packet->bytes.size());
      },
      [](void* a) { delete static_cast<PacketTask*>(a); }, p};
  return rtc_task_queue_post_guarded(s->peer->queue, s->peer->alive,
                                     s->delay_us, task);
}

// True when an SCTP packet carries a DATA chunk with PPID `ppid` whose
// payload starts with `first` (any first byte when first < 0). DATA chunk:
// type 0, flags, length, TSN, stream id, SSN, PPID, payload.
bool CarriesData(const uint8_t* data, size_t size, uint32_t ppid, int first) {
  size_t off = 12;  // the common header
  while (off + 4 <= size) {
    size_t len = (static_cast<size_t>(data[off + 2]) << 8) | data[off + 3];
    if (len < 4)
      return false;
    if (data[off] == 0 && len >= 17 && off + 17 <= size) {
      uint32_t p = (static_cast<uint32_t>(data[off + 12]) << 24) |
                   (static_cast<uint32_t>(data[off + 13]) << 16) |
                   (static_cast<uint32_t>(data[off + 14]) << 8) |
                   data[off + 15];
      if (p == ppid && (first < 0 || data[off + 16] == first))
        return true;
    }
    off += (len + 3) & ~static_cast<size_t>(3);
  }
  return false;
}

bool CarriesDcepAck(const uint8_t* data, size_t size) {
  return CarriesData(data, size, RTC_PPID_DCEP, RTC_DCEP_ACK);
}

rtc_data_channel_params Params(const char* label,
                               bool ordered = true,
                               int32_t rtx = -1,
                               int32_t lifetime = -1,
                               bool negotiated = false) {
  rtc_data_channel_params p;
  std::memset(&p, 0, sizeof(p));
  p.label = label;
  p.protocol = "";
  p.ordered = ordered;
  p.max_retransmits = rtx;
  p.max_packet_lifetime = lifetime;
  p.priority = 256;
  p.negotiated = negotiated;
  return p;
}

// Message `index` of `size` bytes: recognisable and checkable.
std::vector<uint8_t> Payload(uint32_t index, size_t size) {
  std::vector<uint8_t> v(size);
  for (size_t i = 0; i < size; i++)
    v[i] = static_cast<uint8_t>(index * 31 + i * 7 + (i >> 8));
  for (size_t i = 0; i < 4 && i < size; i++)
    v[i] = static_cast<uint8_t>(index >> (8 * i));
  return v;
}

uint32_t IndexOf(const std::vector<uint8_t>& v) {
  uint32_t index = 0;
  for (size_t i = 0; i < 4 && i < v.size(); i++)
    index |= static_cast<uint32_t>(v[i]) << (8 * i);
  return index;
}

class SctpTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    rtc_test_wall_clock_follow(time_);
    a_.name = "a";
    b_.name = "b";
    a_.peer = &b_;
    b_.peer = &a_;
    rtc_prng_seed(&a_.prng, 1);
    rtc_prng_seed(&b_.prng, 2);
    ASSERT_EQ(rtc_safety_flag_create(&a_.alive), RTC_OK);
    ASSERT_EQ(rtc_safety_flag_create(&b_.alive), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "a", &qa_), RTC_OK);
    a_.queue = qa_;
    b_.queue = qa_;
  }

  // Puts side b on a queue of its own.
  void UseTwoQueues() {
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "b", &qb_), RTC_OK);
    b_.queue = qb_;
  }

  void TearDown() override {
    // Hooks capture the test body's locals, gone by now.
    for (Side* s : {&a_, &b_}) {
      s->on_message_hook = nullptr;
      s->on_buffered_hook = nullptr;
      s->on_opened_by_peer_hook = nullptr;
      s->drop_if = nullptr;
    }
    Destroy(a_);
    Destroy(b_);
    // Nothing may be left scheduled: not the transports' tasks, not the
    // process-wide usrsctp timer (no association is left).
    rtc_sim_time_advance_us(time_, 100 * kSec);
    EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), INT64_MAX);
    rtc_task_queue_destroy(qa_);
    if (qb_)
      rtc_task_queue_destroy(qb_);
    rtc_safety_flag_unref(a_.alive);
    rtc_safety_flag_unref(b_.alive);
    rtc_test_wall_clock_unfollow();
    rtc_sim_time_destroy(time_);
  }

  void OnQueue(rtc_task_queue* q, std::function<void()> fn) {
    ASSERT_EQ(Post(q, std::move(fn)), RTC_OK);
    rtc_sim_time_run_until_idle(time_);
  }

  bool RunUntil(std::function<bool()> done, int64_t timeout_us) {
    return rtc_sim_time_run_until(
        time_,
        [](void* arg) { return (*static_cast<std::function<bool()>*>(arg))(); },
        &done, timeout_us);
  }

  void Run(int64_t us) { rtc_sim_time_advance_us(time_, us); }

  rtc_sctp_transport_config Config(Side& s) {
    rtc_sctp_transport_config config;
    rtc_sctp_transport_config_init(&config);
    config.send = SendPacket;
    config.send_user = &s;
    return config;
  }

  void Create(Side& s, const rtc_sctp_transport_config* config = nullptr) {
    rtc_sctp_transport_config c = config ? *config : Config(s);
    OnQueue(s.queue, [&] {
      ASSERT_EQ(
          rtc_sctp_transport_create(s.queue, &c, &kObserver, &s, &s.transport),
          RTC_OK);
    });
  }

  void Start(Side& s,
             uint16_t remote_port = RTC_SCTP_DEFAULT_PORT,
             uint64_t remote_max = RTC_SCTP_MAX_MESSAGE_SIZE) {
    OnQueue(s.queue, [&] {
      EXPECT_EQ(rtc_sctp_transport_start(s.transport, remote_port, remote_max),
                RTC_OK);
    });
  }

  // Creates (unless done) and starts both sides, until both are up.
  void Connect() {
    if (!a_.transport)
      Create(a_);
    if (!b_.transport)
      Create(b_);
    Start(a_);
    Start(b_);
    ASSERT_TRUE(RunUntil(
        [&] {
          return a_.LastState() == RTC_SCTP_CONNECTED &&
                 b_.LastState() == RTC_SCTP_CONNECTED;
        },
        30 * kSec));
  }

  void Destroy(Side& s) {
    if (!s.transport)
      return;
    OnQueue(s.queue, [&] {
      rtc_safety_flag_set_not_alive(s.alive);
      rtc_sctp_transport_destroy(s.transport);
      s.transport = nullptr;
    });
  }

  rtc_error Open(Side& s, uint16_t sid, const rtc_data_channel_params& p) {
    rtc_error err = RTC_ERR_INTERNAL;
    OnQueue(s.queue, [&] {
      err = rtc_sctp_transport_open_channel(s.transport, sid, &p);
    });
    return err;
  }

  rtc_error Send(Side& s,
                 uint16_t sid,
                 const std::vector<uint8_t>& data,
                 bool binary = true) {
    rtc_error err = RTC_ERR_INTERNAL;
    OnQueue(s.queue, [&] {
      err = rtc_sctp_transport_send(s.transport, sid, binary, data.data(),
                                    data.size());
    });
    return err;
  }

  rtc_error Close(Side& s, uint16_t sid) {
    rtc_error err = RTC_ERR_INTERNAL;
    OnQueue(s.queue,
            [&] { err = rtc_sctp_transport_close_channel(s.transport, sid); });
    return err;
  }

  size_t Buffered(Side& s, uint16_t sid) {
    size_t n = 0;
    OnQueue(s.queue,
            [&] { n = rtc_sctp_transport_buffered_amount(s.transport, sid); });
    return n;
  }

  // Opens an in-band channel from `from` and waits until both sides see it.
  void OpenInBand(Side& from, uint16_t sid, const rtc_data_channel_params& p) {
    Side& to = *from.peer;
    size_t opens = from.opens.size();
    size_t peer_opens = to.opened_by_peer.size();
    ASSERT_EQ(Open(from, sid, p), RTC_OK);
    ASSERT_TRUE(RunUntil(
        [&] {
          return from.opens.size() > opens &&
                 to.opened_by_peer.size() > peer_opens;
        },
        10 * kSec));
    EXPECT_EQ(from.opens.back(), sid);
    EXPECT_EQ(to.opened_by_peer.back().sid, sid);
  }

  void OpenNegotiated(uint16_t sid, const rtc_data_channel_params& p) {
    ASSERT_EQ(Open(a_, sid, p), RTC_OK);
    ASSERT_EQ(Open(b_, sid, p), RTC_OK);
    ASSERT_TRUE(RunUntil(
        [&] {
          return std::count(a_.opens.begin(), a_.opens.end(), sid) == 1 &&
                 std::count(b_.opens.begin(), b_.opens.end(), sid) == 1;
        },
        10 * kSec));
  }

  void ExpectStreamsFollowChannelMadeBeforeStart(uint16_t sid);

  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* qa_ = nullptr;
  rtc_task_queue* qb_ = nullptr;
  Side a_;
  Side b_;
};

TEST_F(SctpTest, AssociationComesUpWithMinimumMaxMessageSize) {
  rtc_sctp_transport_config ca = Config(a_);
  ca.max_message_size = 200 * 1024;
  rtc_sctp_transport_config cb = Config(b_);
  cb.max_message_size = 100 * 1024;
  Create(a_, &ca);
  Create(b_, &cb);
  EXPECT_EQ(rtc_sctp_transport_state(a_.transport), RTC_SCTP_NEW);
  EXPECT_EQ(rtc_sctp_transport_max_channels(a_.transport), 0);
  EXPECT_EQ(rtc_sctp_transport_max_message_size(a_.transport), 200u * 1024);
  Start(a_, RTC_SCTP_DEFAULT_PORT, 100 * 1024);
  EXPECT_EQ(rtc_sctp_transport_state(a_.transport), RTC_SCTP_CONNECTING);
  EXPECT_EQ(rtc_sctp_transport_max_channels(a_.transport), 0);
  Start(b_, RTC_SCTP_DEFAULT_PORT, 200 * 1024);
  ASSERT_TRUE(RunUntil(
      [&] {
        return a_.LastState() == RTC_SCTP_CONNECTED &&
               b_.LastState() == RTC_SCTP_CONNECTED;
      },
      10 * kSec));
  for (Side* s : {&a_, &b_}) {
    EXPECT_EQ(s->states, (std::vector<rtc_sctp_state>{RTC_SCTP_CONNECTING,
                                                      RTC_SCTP_CONNECTED}));
    EXPECT_EQ(rtc_sctp_transport_state(s->transport), RTC_SCTP_CONNECTED);
    EXPECT_EQ(rtc_sctp_transport_max_channels(s->transport),
              RTC_SCTP_DEFAULT_STREAMS);
    EXPECT_EQ(rtc_sctp_transport_max_message_size(s->transport), 100u * 1024);
    EXPECT_TRUE(s->errors.empty());
  }
}

// The window a transport offers and fills: 1 MiB send and receive
// buffers (usrsctp's default of 256 KiB held bulk goodput between two
// processes to 170-180 MB/s).
TEST_F(SctpTest, SocketBuffersAre1MiB) {
  Create(a_);
  OnQueue(a_.queue, [&] {
    for (int option : {SO_RCVBUF, SO_SNDBUF}) {
      int value = 0;
      socklen_t len = sizeof(value);
      ASSERT_EQ(usrsctp_getsockopt(a_.transport->sock, SOL_SOCKET, option,
                                   &value, &len),
                0);
      EXPECT_EQ(value, RTC_SCTP_SOCKET_BUFFER) << option;
    }
  });
}

TEST_F(SctpTest, PeerWithoutMaxMessageSizeMeans64KiB) {
  Create(a_);
  Create(b_);
  Start(a_, RTC_SCTP_DEFAULT_PORT, 0);
  EXPECT_EQ(rtc_sctp_transport_max_message_size(a_.transport), 65536u);
}

TEST_F(SctpTest, ConnectsWithDifferentPorts) {
  rtc_sctp_transport_config ca = Config(a_);
  ca.local_port = 5001;
  rtc_sctp_transport_config cb = Config(b_);
  cb.local_port = 5002;
  Create(a_, &ca);
  Create(b_, &cb);
  Start(a_, 5002);
  Start(b_, 5001);
  EXPECT_TRUE(RunUntil(
      [&] {
        return a_.LastState() == RTC_SCTP_CONNECTED &&
               b_.LastState() == RTC_SCTP_CONNECTED;
      },
      10 * kSec));
}

TEST_F(SctpTest, RejectsInvalidConfigAndSecondStart) {
  rtc_sctp_transport_config config = Config(a_);
  config.send = nullptr;
  rtc_sctp_transport* t = nullptr;
  OnQueue(qa_, [&] {
    EXPECT_EQ(rtc_sctp_transport_create(qa_, &config, &kObserver, &a_, &t),
              RTC_ERR_INVALID_ARGUMENT);
  });
  EXPECT_EQ(t, nullptr);
  Create(a_);
  Start(a_);
  OnQueue(qa_, [&] {
    EXPECT_EQ(rtc_sctp_transport_start(a_.transport, 5000, 0),
              RTC_ERR_INVALID_STATE);
  });
}

TEST_F(SctpTest, InBandChannelOpensOnBothSidesWithItsParameters) {
  Connect();
  rtc_data_channel_params p = Params("chat", /*ordered=*/false, /*rtx=*/3);
  p.protocol = "json";
  p.priority = 512;
  OpenInBand(a_, 2, p);
  ASSERT_EQ(b_.opened_by_peer.size(), 1u);
  const Opened& o = b_.opened_by_peer[0];
  EXPECT_EQ(o.label, "chat");
  EXPECT_EQ(o.protocol, "json");
  EXPECT_FALSE(o.ordered);
  EXPECT_EQ(o.max_retransmits, 3);
  EXPECT_EQ(o.max_packet_lifetime, -1);
  EXPECT_EQ(o.priority, 512);
  EXPECT_FALSE(o.negotiated);
  EXPECT_EQ(a_.opens, std::vector<uint16_t>{2});
  EXPECT_TRUE(b_.opens.empty());

  // A timed, ordered channel the other way.
  rtc_data_channel_params q = Params("timed", true, -1, 1500);
  OpenInBand(b_, 3, q);
  const Opened& o2 = a_.opened_by_peer.back();
  EXPECT_EQ(o2.label, "timed");
  EXPECT_TRUE(o2.ordered);
  EXPECT_EQ(o2.max_retransmits, -1);
  EXPECT_EQ(o2.max_packet_lifetime, 1500);
}

TEST_F(SctpTest, UserMessageBeforeTheAckOpensTheChannel) {
  Connect();
  // b answers the OPEN and at once sends on the (unordered) channel; the
  // packet with its ACK is lost, the message overtakes the retransmission.
  bool dropped = false;
  b_.drop_if = [&](const uint8_t* data, size_t size) {
    if (dropped || !CarriesDcepAck(data, size))
      return false;
    dropped = true;
    return true;
  };
  b_.on_opened_by_peer_hook = [&](Side& s, uint16_t sid) {
    std::vector<uint8_t> m = Payload(7, 100);
    EXPECT_EQ(
        rtc_sctp_transport_send(s.transport, sid, false, m.data(), m.size()),
        RTC_OK);
  };
  ASSERT_EQ(Open(a_, 3, Params("early-bird", /*ordered=*/false)), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return a_.messages.size() == 1; }, 10 * kSec));
  EXPECT_TRUE(dropped);
  // RFC 8832 §6: the message counts as the ACK; the channel opened first.
  ASSERT_EQ(a_.opens, std::vector<uint16_t>{3});
  EXPECT_EQ(a_.messages[0].data, Payload(7, 100));
  EXPECT_FALSE(a_.messages[0].binary);
  // The late ACK changes nothing.
  Run(10 * kSec);
  EXPECT_EQ(a_.opens, std::vector<uint16_t>{3});
  EXPECT_EQ(Send(a_, 3, Payload(8, 10)), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 1; }, 10 * kSec));
}

TEST_F(SctpTest, NegotiatedChannelUsesTheSameIdOnBothSides) {
  Connect();
  OpenNegotiated(7, Params("neg", true, -1, -1, /*negotiated=*/true));
  EXPECT_TRUE(a_.opened_by_peer.empty());
  EXPECT_TRUE(b_.opened_by_peer.empty());
  ASSERT_EQ(Send(a_, 7, Payload(1, 10)), RTC_OK);
  ASSERT_EQ(Send(b_, 7, Payload(2, 20)), RTC_OK);
  ASSERT_TRUE(RunUntil(
      [&] { return a_.messages.size() == 1 && b_.messages.size() == 1; },
      10 * kSec));
  EXPECT_EQ(b_.messages[0].data, Payload(1, 10));
  EXPECT_EQ(a_.messages[0].data, Payload(2, 20));
}

TEST_F(SctpTest, ChannelsOpenedBeforeStartAreAnnouncedOnceUp) {
  Create(a_);
  Create(b_);
  ASSERT_EQ(Open(a_, 0, Params("early")), RTC_OK);
  ASSERT_EQ(Open(a_, 4, Params("neg", true, -1, -1, true)), RTC_OK);
  ASSERT_EQ(Open(b_, 4, Params("neg", true, -1, -1, true)), RTC_OK);
  // Not open yet: nothing can be sent.
  EXPECT_EQ(Send(a_, 0, Payload(0, 5)), RTC_ERR_INVALID_STATE);
  Run(1 * kSec);
  EXPECT_TRUE(a_.opens.empty());
  Start(a_);
  Start(b_);
  ASSERT_TRUE(RunUntil(
      [&] {
        return a_.opens.size() == 2 && b_.opens.size() == 1 &&
               b_.opened_by_peer.size() == 1;
      },
      10 * kSec));
  EXPECT_EQ(b_.opened_by_peer[0].sid, 0);
  EXPECT_EQ(b_.opened_by_peer[0].label, "early");
  EXPECT_EQ(b_.opens, std::vector<uint16_t>{4});
  // The CONNECTED state comes before the channels.
  EXPECT_EQ(a_.states.back(), RTC_SCTP_CONNECTED);
}

// The association has as many streams as the ids of the channels made
// before it started need (each side announces its own), at least
// RTC_SCTP_DEFAULT_STREAMS.
void SctpTest::ExpectStreamsFollowChannelMadeBeforeStart(uint16_t sid) {
  Create(a_);
  Create(b_);
  ASSERT_EQ(Open(a_, sid, Params("high", true, -1, -1, true)), RTC_OK);
  ASSERT_EQ(Open(b_, sid, Params("high", true, -1, -1, true)), RTC_OK);
  Start(a_);
  Start(b_);
  ASSERT_TRUE(RunUntil(
      [&] { return a_.opens.size() == 1 && b_.opens.size() == 1; }, 10 * kSec));
  for (Side* s : {&a_, &b_})
    EXPECT_EQ(rtc_sctp_transport_max_channels(s->transport), sid + 1);
  ASSERT_EQ(Send(a_, sid, Payload(1, 10)), RTC_OK);
  ASSERT_EQ(Send(b_, sid, Payload(2, 20)), RTC_OK);
  ASSERT_TRUE(RunUntil(
      [&] { return a_.messages.size() == 1 && b_.messages.size() == 1; },
      10 * kSec));
  EXPECT_EQ(b_.messages[0].data, Payload(1, 10));
  EXPECT_EQ(a_.messages[0].data, Payload(2, 20));
  for (Side* s : {&a_, &b_})
    EXPECT_TRUE(s->errors.empty());
}

TEST_F(SctpTest, ChannelMadeBeforeStartWithId4000Gets4001Streams) {
  ExpectStreamsFollowChannelMadeBeforeStart(4000);
  // After connecting, the association's streams are the limit.
  EXPECT_EQ(Open(a_, 4001, Params("next", true, -1, -1, true)),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(Open(a_, 3998, Params("below", true, -1, -1, true)), RTC_OK);
}

TEST_F(SctpTest, ChannelMadeBeforeStartWithId65534GetsAllStreams) {
  ExpectStreamsFollowChannelMadeBeforeStart(65534);
}

// A side announces what its own channels need; the association takes the
// smaller count each way (RFC 9260 §5.1.1). a made channel 3000 before
// starting, b did not: 1,024 streams, so a's channel closes when the
// association comes up (webrtc-pc: its id is not below maxChannels), and
// the one below the limit opens.
TEST_F(SctpTest, ChannelAboveThePeersStreamsClosesWhenTheAssociationIsUp) {
  Create(a_);
  Create(b_);
  ASSERT_EQ(Open(a_, 3000, Params("high", true, -1, -1, true)), RTC_OK);
  ASSERT_EQ(Open(a_, 2, Params("low", true, -1, -1, true)), RTC_OK);
  ASSERT_EQ(Open(b_, 2, Params("low", true, -1, -1, true)), RTC_OK);
  Start(a_);
  Start(b_);
  ASSERT_TRUE(
      RunUntil([&] { return a_.opens.size() == 1 && a_.closed.size() == 1; },
               10 * kSec));
  EXPECT_EQ(a_.opens, std::vector<uint16_t>{2});
  EXPECT_EQ(a_.closed, std::vector<uint16_t>{3000});
  for (Side* s : {&a_, &b_})
    EXPECT_EQ(rtc_sctp_transport_max_channels(s->transport),
              RTC_SCTP_DEFAULT_STREAMS);
  // The id is free again, and beyond the association's streams.
  EXPECT_EQ(Open(a_, 3000, Params("again", true, -1, -1, true)),
            RTC_ERR_INVALID_ARGUMENT);
}

TEST_F(SctpTest, MessagesGoBothWaysByteExact) {
  rtc_sctp_transport_config ca = Config(a_);
  rtc_sctp_transport_config cb = Config(b_);
  Create(a_, &ca);
  Create(b_, &cb);
  a_.delay_us = b_.delay_us = 5 * kMs;
  Connect();
  OpenInBand(a_, 0, Params("data"));
  const size_t sizes[] = {
      1,     2,      100,        1179,       1180,           4096,      65535,
      65536, 100000, 128 * 1024, 200 * 1024, 256 * 1024 - 1, 256 * 1024};
  uint32_t index = 0;
  std::vector<Message> expected_a, expected_b;
  for (size_t size : sizes) {
    for (bool binary : {true, false}) {
      std::vector<uint8_t> m = Payload(index++, size);
      ASSERT_EQ(Send(a_, 0, m, binary), RTC_OK) << size;
      expected_b.push_back({0, binary, m});
      std::vector<uint8_t> r = Payload(index++, size);
      ASSERT_EQ(Send(b_, 0, r, binary), RTC_OK) << size;
      expected_a.push_back({0, binary, r});
    }
  }
  // Empty messages: PPID 56/57 with one zero byte on the wire.
  for (bool binary : {true, false}) {
    ASSERT_EQ(Send(a_, 0, {}, binary), RTC_OK);
    expected_b.push_back({0, binary, {}});
    ASSERT_EQ(Send(b_, 0, {}, binary), RTC_OK);
    expected_a.push_back({0, binary, {}});
  }
  ASSERT_TRUE(RunUntil(
      [&] {
        return a_.messages.size() == expected_a.size() &&
               b_.messages.size() == expected_b.size();
      },
      60 * kSec));
  for (auto [side, expected] :
       {std::make_pair(&a_, &expected_a), std::make_pair(&b_, &expected_b)}) {
    for (size_t i = 0; i < expected->size(); i++) {
      const Message& got = side->messages[i];
      const Message& want = (*expected)[i];
      EXPECT_EQ(got.sid, want.sid);
      EXPECT_EQ(got.binary, want.binary) << i;
      EXPECT_EQ(got.data.size(), want.data.size()) << i;
      EXPECT_TRUE(got.data == want.data) << "message " << i << " differs";
    }
  }
}

// A run of small sends made corked goes out bundled: far fewer packets
// than messages, every message once and in order, and nothing held back
// after uncork (they all arrive within a few round trips, no timer needed).
TEST_F(SctpTest, CorkedSmallMessagesShareThePacketsAndNothingWaits) {
  a_.delay_us = b_.delay_us = 1 * kMs;
  Connect();
  OpenInBand(a_, 0, Params("data"));
  constexpr size_t kCount = 200;
  uint64_t packets[2] = {0, 0};
  for (bool corked : {false, true}) {
    a_.messages.clear();
    b_.messages.clear();
    const uint64_t before = a_.packets_sent;
    OnQueue(a_.queue, [&] {
      if (corked)
        rtc_sctp_transport_cork(a_.transport);
      for (size_t i = 0; i < kCount; i++) {
        std::vector<uint8_t> m = Payload(static_cast<uint32_t>(i), 64);
        ASSERT_EQ(
            rtc_sctp_transport_send(a_.transport, 0, true, m.data(), m.size()),
            RTC_OK);
      }
      if (corked)
        rtc_sctp_transport_uncork(a_.transport);
    });
    // The one-way delay and the first SACK's round trip; far below any
    // SCTP timer (delayed SACK 200 ms, RTO 1 s).
    ASSERT_TRUE(
        RunUntil([&] { return b_.messages.size() == kCount; }, 10 * kMs))
        << (corked ? "corked" : "uncorked") << ": " << b_.messages.size();
    for (size_t i = 0; i < kCount; i++)
      ASSERT_TRUE(b_.messages[i].data == Payload(static_cast<uint32_t>(i), 64))
          << i;
    packets[corked] = a_.packets_sent - before;
  }
  // 200 messages of 64 bytes (80 with the chunk header) fill 14 packets;
  // measured: 27 corked (the first goes alone, the congestion window lets
  // the rest go in steps), 69 uncorked.
  EXPECT_LE(packets[true], kCount / 5);
  EXPECT_GE(packets[false], kCount / 4);
  EXPECT_LE(2 * packets[true], packets[false]);
  // Uncorking with nothing queued, or without corking, changes nothing.
  OnQueue(a_.queue, [&] { rtc_sctp_transport_uncork(a_.transport); });
  OnQueue(a_.queue, [&] {
    rtc_sctp_transport_cork(a_.transport);
    rtc_sctp_transport_uncork(a_.transport);
  });
  std::vector<uint8_t> last = Payload(9999, 10);
  ASSERT_EQ(Send(a_, 0, last), RTC_OK);
  ASSERT_TRUE(
      RunUntil([&] { return b_.messages.size() == kCount + 1; }, 10 * kMs));
}

TEST_F(SctpTest, RejectsMessageOverMaxMessageSize) {
  Connect();
  OpenNegotiated(1, Params("n", true, -1, -1, true));
  uint64_t max = rtc_sctp_transport_max_message_size(a_.transport);
  ASSERT_EQ(max, RTC_SCTP_MAX_MESSAGE_SIZE);
  EXPECT_EQ(Send(a_, 1, std::vector<uint8_t>(max + 1)),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(Send(a_, 1, std::vector<uint8_t>(max)), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 1; }, 10 * kSec));
  EXPECT_EQ(b_.messages[0].data.size(), max);
}

// rtc_sctp_message_new: bytes written in place (on the signaling thread in
// the peer connection), queued without a copy; a refused message is freed.
TEST_F(SctpTest, MessagesWrittenInPlaceAreSentAndRefusedOnesFreed) {
  Connect();
  OpenNegotiated(1, Params("n", true, -1, -1, true));
  const std::vector<uint8_t> payload = Payload(7, 70000);
  // Made and written on this thread, sent on the transport's queue.
  rtc_sctp_message* big = rtc_sctp_message_new(payload.size());
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(rtc_sctp_message_size(big), payload.size());
  memcpy(rtc_sctp_message_data(big), payload.data(), payload.size());
  rtc_sctp_message* empty = rtc_sctp_message_new(0);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(rtc_sctp_message_size(empty), 0u);
  rtc_error sent_big = RTC_ERR_INTERNAL, sent_empty = RTC_ERR_INTERNAL;
  OnQueue(qa_, [&] {
    sent_big = rtc_sctp_transport_send_message(a_.transport, 1, true, big);
    sent_empty = rtc_sctp_transport_send_message(a_.transport, 1, false, empty);
  });
  EXPECT_EQ(sent_big, RTC_OK);
  EXPECT_EQ(sent_empty, RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 2; }, 10 * kSec));
  EXPECT_TRUE(b_.messages[0].binary);
  EXPECT_TRUE(b_.messages[0].data == payload);
  EXPECT_FALSE(b_.messages[1].binary);
  EXPECT_TRUE(b_.messages[1].data.empty());
  ASSERT_TRUE(RunUntil([&] { return Buffered(a_, 1) == 0; }, 10 * kSec));

  // Refused: taken and freed all the same, nothing queued.
  uint64_t max = rtc_sctp_transport_max_message_size(a_.transport);
  OnQueue(qa_, [&] {
    int64_t live = rtc_alloc_live_count();
    EXPECT_EQ(rtc_sctp_transport_send_message(a_.transport, 1, true, nullptr),
              RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(rtc_sctp_transport_send_message(a_.transport, 1, true,
                                              rtc_sctp_message_new(max + 1)),
              RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(rtc_sctp_transport_send_message(a_.transport, 9, true,
                                              rtc_sctp_message_new(10)),
              RTC_ERR_INVALID_STATE);
    EXPECT_EQ(rtc_alloc_live_count(), live);
    EXPECT_EQ(rtc_sctp_transport_buffered_amount(a_.transport, 1), 0u);
  });
  ASSERT_EQ(Send(a_, 1, Payload(8, 10)), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 3; }, 10 * kSec));
}

TEST_F(SctpTest, OrderedReliableChannelDeliversEverythingInOrderUnderLoss) {
  a_.delay_us = b_.delay_us = 50 * kMs;  // 100 ms RTT
  a_.loss = b_.loss = 0.05;
  Connect();
  OpenInBand(a_, 0, Params("reliable"));
  rtc_prng sizes;
  rtc_prng_seed(&sizes, 42);
  const uint32_t kCount = 1000;
  std::vector<std::vector<uint8_t>> sent;
  for (uint32_t i = 0; i < kCount; i++) {
    size_t size = 4 + rtc_prng_below(&sizes, 3000);
    sent.push_back(Payload(i, size));
    ASSERT_EQ(Send(a_, 0, sent.back()), RTC_OK);
  }
  ASSERT_TRUE(
      RunUntil([&] { return b_.messages.size() >= kCount; }, 600 * kSec));
  Run(5 * kSec);  // anything extra would show up now
  ASSERT_EQ(b_.messages.size(), kCount);
  for (uint32_t i = 0; i < kCount; i++)
    ASSERT_TRUE(b_.messages[i].data == sent[i]) << "message " << i;
  EXPECT_GT(a_.packets_lost + b_.packets_lost, 0u);
  std::printf(
      "[ INFO ] 1000 ordered messages, %llu of %llu packets lost\n",
      static_cast<unsigned long long>(a_.packets_lost + b_.packets_lost),
      static_cast<unsigned long long>(a_.packets_sent + b_.packets_sent));
}

// Checks what arrived on a partially reliable channel: whole messages, each
// at most once.
void ExpectSubsetWithoutDuplicates(
    const Side& side,
    const std::vector<std::vector<uint8_t>>& sent) {
  std::set<uint32_t> seen;
  for (const Message& m : side.messages) {
    uint32_t index = IndexOf(m.data);
    ASSERT_LT(index, sent.size());
    EXPECT_TRUE(seen.insert(index).second) << "duplicate " << index;
    EXPECT_TRUE(m.data == sent[index]) << "message " << index;
  }
}

// usrsctp retransmits on T3 only chunks older than the RTO on its own
// (wall) clock: this is what needs the clock shim above.
TEST_F(SctpTest, RetransmitsALostTailMessageAfterTheTimeout) {
  a_.delay_us = b_.delay_us = 20 * kMs;
  Connect();
  OpenNegotiated(0, Params("n", true, -1, -1, true));
  bool dropped = false;
  a_.drop_if = [&](const uint8_t* data, size_t size) {
    if (dropped || !CarriesData(data, size, RTC_PPID_BINARY, -1))
      return false;
    dropped = true;
    return true;
  };
  int64_t start = rtc_sim_time_now_us(time_);
  ASSERT_EQ(Send(a_, 0, Payload(1, 500)), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 1; }, 30 * kSec));
  EXPECT_TRUE(dropped);
  // Nothing followed it, so no fast retransmit: the T3 timer (RTO at least
  // RTO.Min, 1 s) brought it.
  EXPECT_GE(rtc_sim_time_now_us(time_) - start, 1 * kSec);
  EXPECT_EQ(b_.messages[0].data, Payload(1, 500));
}

TEST_F(SctpTest,
       UnorderedChannelWithoutRetransmissionsLosesButNeverDuplicates) {
  a_.delay_us = b_.delay_us = 20 * kMs;
  Connect();
  OpenInBand(a_, 0, Params("lossy", /*ordered=*/false, /*rtx=*/0));
  a_.loss = b_.loss = 0.1;
  const uint32_t kCount = 300;
  std::vector<std::vector<uint8_t>> sent;
  for (uint32_t i = 0; i < kCount; i++) {
    sent.push_back(Payload(i, 100 + (i * 37) % 900));
    ASSERT_EQ(Send(a_, 0, sent.back()), RTC_OK);
  }
  Run(30 * kSec);
  ExpectSubsetWithoutDuplicates(b_, sent);
  EXPECT_GT(b_.messages.size(), 0u);
  EXPECT_LT(b_.messages.size(), kCount);
  EXPECT_TRUE(a_.errors.empty());
  EXPECT_EQ(a_.LastState(), RTC_SCTP_CONNECTED);
}

TEST_F(SctpTest, MaxPacketLifetimeChannelUnderLossNeverDuplicates) {
  a_.delay_us = b_.delay_us = 20 * kMs;
  Connect();
  OpenInBand(a_, 0, Params("timed", /*ordered=*/true, -1, /*lifetime=*/100));
  a_.loss = b_.loss = 0.1;
  const uint32_t kCount = 300;
  std::vector<std::vector<uint8_t>> sent;
  for (uint32_t i = 0; i < kCount; i++) {
    sent.push_back(Payload(i, 100 + (i * 53) % 2000));
    ASSERT_EQ(Send(a_, 0, sent.back()), RTC_OK);
  }
  Run(60 * kSec);
  ExpectSubsetWithoutDuplicates(b_, sent);
  EXPECT_GT(b_.messages.size(), 0u);
  // Retransmissions past 100 ms are abandoned (usrsctp's lifetime clock
  // follows simulated time here).
  EXPECT_LT(b_.messages.size(), kCount);
  // Ordered: what arrives, arrives in order.
  for (size_t i = 1; i < b_.messages.size(); i++)
    EXPECT_LT(IndexOf(b_.messages[i - 1].data), IndexOf(b_.messages[i].data));
}

TEST_F(SctpTest, ClosingFromEitherSideClosesBothAndFreesTheId) {
  Connect();
  OpenInBand(a_, 1, Params("one"));
  ASSERT_EQ(Send(a_, 1, Payload(0, 100)), RTC_OK);
  ASSERT_EQ(Close(a_, 1), RTC_OK);
  // Closed: no more sends.
  EXPECT_EQ(Send(a_, 1, Payload(1, 100)), RTC_ERR_INVALID_STATE);
  ASSERT_TRUE(
      RunUntil([&] { return a_.closed.size() == 1 && b_.closed.size() == 1; },
               10 * kSec));
  EXPECT_EQ(a_.closed[0], 1);
  EXPECT_EQ(b_.closed[0], 1);
  // What was queued before the close went out first (RFC 8831 §6.7).
  ASSERT_EQ(b_.messages.size(), 1u);

  // The id is free again, on both sides: this time b opens it and closes it.
  OpenInBand(b_, 1, Params("again"));
  EXPECT_EQ(a_.opened_by_peer.back().label, "again");
  ASSERT_EQ(Send(a_, 1, Payload(2, 50)), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 2; }, 10 * kSec));
  ASSERT_EQ(Close(b_, 1), RTC_OK);
  ASSERT_TRUE(
      RunUntil([&] { return a_.closed.size() == 2 && b_.closed.size() == 2; },
               10 * kSec));
  EXPECT_EQ(Send(a_, 1, Payload(3, 10)), RTC_ERR_INVALID_STATE);
  // Closing an unknown channel is an error; closing twice is not.
  EXPECT_EQ(Close(a_, 1), RTC_ERR_INVALID_STATE);
}

TEST_F(SctpTest, ClosingWaitsForQueuedMessages) {
  a_.delay_us = b_.delay_us = 20 * kMs;
  Connect();
  OpenInBand(a_, 0, Params("q"));
  const int kCount = 40;
  for (int i = 0; i < kCount; i++)
    ASSERT_EQ(Send(a_, 0, Payload(i, 60000)), RTC_OK);
  EXPECT_GT(Buffered(a_, 0), 0u);
  ASSERT_EQ(Close(a_, 0), RTC_OK);
  EXPECT_EQ(Close(a_, 0), RTC_OK);
  ASSERT_TRUE(
      RunUntil([&] { return a_.closed.size() == 1 && b_.closed.size() == 1; },
               60 * kSec));
  ASSERT_EQ(b_.messages.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; i++)
    EXPECT_EQ(IndexOf(b_.messages[i].data), static_cast<uint32_t>(i));
}

TEST_F(SctpTest, ClosingBeforeTheAssociationClosesAtOnce) {
  Create(a_);
  ASSERT_EQ(Open(a_, 0, Params("x")), RTC_OK);
  ASSERT_EQ(Close(a_, 0), RTC_OK);
  EXPECT_EQ(a_.closed, std::vector<uint16_t>{0});
  ASSERT_EQ(Open(a_, 0, Params("x")), RTC_OK);
}

TEST_F(SctpTest, BufferedAmountGrowsThenDrainsToZero) {
  a_.delay_us = b_.delay_us = 20 * kMs;
  Connect();
  OpenNegotiated(0, Params("buf", true, -1, -1, true));
  const int kCount = 64;
  const size_t kSize = 64 * 1024;
  size_t previous = 0;
  bool grew = false;
  for (int i = 0; i < kCount; i++) {
    ASSERT_EQ(Send(a_, 0, Payload(i, kSize)), RTC_OK);
    size_t now = Buffered(a_, 0);
    EXPECT_GE(now, previous);
    grew |= now > previous;
    previous = now;
  }
  EXPECT_TRUE(grew);
  // usrsctp's own buffer takes a few hundred KiB; the rest is ours.
  EXPECT_GT(previous, kCount * kSize / 2);
  size_t reports_before = a_.buffered.size();
  ASSERT_TRUE(RunUntil(
      [&] {
        return b_.messages.size() == kCount && !a_.buffered.empty() &&
               a_.buffered.back().second == 0;
      },
      120 * kSec));
  EXPECT_EQ(Buffered(a_, 0), 0u);
  // Reported while draining, never growing.
  ASSERT_GT(a_.buffered.size(), reports_before + 1);
  for (size_t i = reports_before + 1; i < a_.buffered.size(); i++)
    EXPECT_LE(a_.buffered[i].second, a_.buffered[i - 1].second);
}

TEST_F(SctpTest, FloodBeyondMaxBufferedAmountIsRefused) {
  rtc_sctp_transport_config ca = Config(a_);
  ca.max_buffered_amount = 256 * 1024;
  Create(a_, &ca);
  a_.delay_us = b_.delay_us = 20 * kMs;
  Connect();
  OpenNegotiated(0, Params("flood", true, -1, -1, true));
  const size_t kSize = 16 * 1024;
  int accepted = 0;
  rtc_error err = RTC_OK;
  for (int i = 0; i < 1000 && err == RTC_OK; i++) {
    err = Send(a_, 0, Payload(i, kSize));
    if (err == RTC_OK)
      accepted++;
  }
  EXPECT_EQ(err, RTC_ERR_OPERATION);
  EXPECT_LE(Buffered(a_, 0), ca.max_buffered_amount);
  EXPECT_GT(Buffered(a_, 0) + kSize, ca.max_buffered_amount);
  // Beyond our 256 KiB, usrsctp took its own share.
  EXPECT_GT(accepted, 16);
  // Nothing accepted is lost; room comes back.
  ASSERT_TRUE(RunUntil(
      [&] { return b_.messages.size() == static_cast<size_t>(accepted); },
      60 * kSec));
  EXPECT_EQ(Send(a_, 0, Payload(accepted, kSize)), RTC_OK);
}

TEST_F(SctpTest, StreamInUseIsInvalidState) {
  Connect();
  OpenInBand(a_, 2, Params("x"));
  EXPECT_EQ(Open(a_, 2, Params("y")), RTC_ERR_INVALID_STATE);
  // The peer's stream 2 is taken too.
  EXPECT_EQ(Open(b_, 2, Params("y", true, -1, -1, true)),
            RTC_ERR_INVALID_STATE);
}

TEST_F(SctpTest, InvalidChannelParametersAreRejected) {
  Connect();
  EXPECT_EQ(Open(a_, 1, Params("both", false, 1, 100)),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(Open(a_, RTC_SCTP_MAX_STREAMS, Params("id")),
            RTC_ERR_INVALID_ARGUMENT);
  std::string long_label(RTC_DCEP_MAX_STRING + 1, 'x');
  EXPECT_EQ(Open(a_, 1, Params(long_label.c_str())), RTC_ERR_INVALID_ARGUMENT);
  // Nothing was opened: the id is still free.
  EXPECT_EQ(Open(a_, 1, Params("ok")), RTC_OK);
  EXPECT_EQ(Send(a_, 9, Payload(0, 1)), RTC_ERR_INVALID_STATE);
}

TEST_F(SctpTest, PeerAbortReportsSctpFailureAndClosed) {
  Connect();
  OpenNegotiated(0, Params("n", true, -1, -1, true));
  Destroy(a_);
  ASSERT_TRUE(RunUntil([&] { return !b_.errors.empty(); }, 10 * kSec));
  EXPECT_EQ(b_.errors[0].code, RTC_ERR_SCTP_FAILURE);
  // a's usrsctp_close with SO_LINGER 0 sent an ABORT with the cause
  // User-Initiated Abort (RFC 9260 §3.3.10.12).
  EXPECT_EQ(b_.errors[0].sctp_cause_code, 12);
  EXPECT_EQ(b_.LastState(), RTC_SCTP_CLOSED);
  EXPECT_EQ(rtc_sctp_transport_state(b_.transport), RTC_SCTP_CLOSED);
  EXPECT_EQ(Send(b_, 0, Payload(0, 1)), RTC_ERR_INVALID_STATE);
  EXPECT_EQ(Open(b_, 1, Params("late")), RTC_ERR_INVALID_STATE);
  // The channel can still be closed, at once.
  EXPECT_EQ(Close(b_, 0), RTC_OK);
  EXPECT_EQ(b_.closed, std::vector<uint16_t>{0});
}

TEST_F(SctpTest, PeerThatNeverAnswersFailsTheAssociation) {
  Create(a_);
  Start(a_);  // b does not exist: every INIT is lost
  // RFC 9260: Max.Init.Retransmits (8) with the RTO backing off to 60 s.
  ASSERT_TRUE(RunUntil([&] { return !a_.errors.empty(); }, 900 * kSec));
  EXPECT_EQ(a_.errors[0].code, RTC_ERR_SCTP_FAILURE);
  EXPECT_EQ(a_.states, (std::vector<rtc_sctp_state>{RTC_SCTP_CONNECTING,
                                                    RTC_SCTP_CLOSED}));
  EXPECT_EQ(rtc_sctp_transport_max_channels(a_.transport), 0);
}

TEST_F(SctpTest, DC06_OversizedIncomingMessageAbortsTheAssociation) {
  rtc_sctp_transport_config cb = Config(b_);
  cb.max_message_size = 1000;
  Create(a_);
  Create(b_, &cb);
  // a is told b takes 256 KiB (a lying or broken peer).
  Start(a_, RTC_SCTP_DEFAULT_PORT, RTC_SCTP_MAX_MESSAGE_SIZE);
  Start(b_, RTC_SCTP_DEFAULT_PORT, RTC_SCTP_MAX_MESSAGE_SIZE);
  ASSERT_TRUE(RunUntil(
      [&] {
        return a_.LastState() == RTC_SCTP_CONNECTED &&
               b_.LastState() == RTC_SCTP_CONNECTED;
      },
      10 * kSec));
  OpenNegotiated(0, Params("n", true, -1, -1, true));
  ASSERT_EQ(Send(a_, 0, Payload(0, 1000)), RTC_OK);
  ASSERT_EQ(Send(a_, 0, Payload(1, 5000)), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return !a_.errors.empty() && !b_.errors.empty(); },
                       10 * kSec));
  EXPECT_EQ(b_.messages.size(), 1u);
  EXPECT_EQ(b_.errors[0].code, RTC_ERR_SCTP_FAILURE);
  EXPECT_EQ(b_.LastState(), RTC_SCTP_CLOSED);
  EXPECT_EQ(a_.LastState(), RTC_SCTP_CLOSED);
}

TEST_F(SctpTest, TransportsOnTwoQueuesExchangeMessages) {
  UseTwoQueues();
  a_.delay_us = b_.delay_us = 30 * kMs;
  a_.loss = b_.loss = 0.03;
  Connect();
  OpenInBand(b_, 1, Params("across"));
  for (uint32_t i = 0; i < 200; i++) {
    ASSERT_EQ(Send(a_, 1, Payload(i, 10 + i * 13)), RTC_OK);
    ASSERT_EQ(Send(b_, 1, Payload(i, 20 + i * 7)), RTC_OK);
  }
  ASSERT_TRUE(RunUntil(
      [&] { return a_.messages.size() == 200 && b_.messages.size() == 200; },
      120 * kSec));
  for (uint32_t i = 0; i < 200; i++) {
    EXPECT_TRUE(b_.messages[i].data == Payload(i, 10 + i * 13));
    EXPECT_TRUE(a_.messages[i].data == Payload(i, 20 + i * 7));
  }
  ASSERT_EQ(Close(a_, 1), RTC_OK);
  ASSERT_TRUE(
      RunUntil([&] { return a_.closed.size() == 1 && b_.closed.size() == 1; },
               30 * kSec));
}

// usrsctp names a transport by its id in every packet callback; the
// registry finds it through a table of 1024 buckets. With thousands of
// transports, a and b share a bucket with two idle ones created after them
// (their ids are 1024 apart), and packets still reach only their own
// transport as the idle ones go away from the middle and the head of that
// chain (the tail, a, goes last).
TEST_F(SctpTest, ThousandsOfTransportsKeepTheirPacketsApart) {
  Side idle;
  idle.name = "idle";
  idle.queue = qa_;
  idle.peer = &idle;
  rtc_sctp_transport_config config = Config(idle);
  std::vector<rtc_sctp_transport*> others;
  auto make = [&](size_t n) {
    OnQueue(qa_, [&] {
      for (size_t i = 0; i < n; i++) {
        rtc_sctp_transport* t = nullptr;
        ASSERT_EQ(
            rtc_sctp_transport_create(qa_, &config, &kObserver, &idle, &t),
            RTC_OK);
        others.push_back(t);
      }
    });
  };
  Create(a_);
  make(1023);
  Create(b_);
  make(2048);
  ASSERT_EQ(others.size(), 3071u);
  ASSERT_EQ(b_.transport->id - a_.transport->id, 1024u);
  ASSERT_EQ(others.back()->id - a_.transport->id, 3072u);
  uint32_t index = 0;
  auto exchange = [&] {
    size_t at_a = a_.messages.size();
    size_t at_b = b_.messages.size();
    for (uint32_t i = 0; i < 20; i++, index++) {
      ASSERT_EQ(Send(a_, 0, Payload(index, 3000)), RTC_OK);
      ASSERT_EQ(Send(b_, 0, Payload(index, 1500)), RTC_OK);
    }
    ASSERT_TRUE(RunUntil(
        [&] {
          return a_.messages.size() == at_a + 20 &&
                 b_.messages.size() == at_b + 20;
        },
        30 * kSec));
    for (uint32_t i = 0; i < 20; i++) {
      EXPECT_TRUE(b_.messages[at_b + i].data == Payload(index - 20 + i, 3000));
      EXPECT_TRUE(a_.messages[at_a + i].data == Payload(index - 20 + i, 1500));
    }
  };
  auto destroy = [&](auto keep) {
    OnQueue(qa_, [&] {
      std::vector<rtc_sctp_transport*> kept;
      for (size_t i = 0; i < others.size(); i++) {
        if (keep(i))
          kept.push_back(others[i]);
        else
          rtc_sctp_transport_destroy(others[i]);
      }
      others = kept;
    });
  };
  Connect();
  OpenInBand(a_, 0, Params("crowded"));
  exchange();
  // Their bucket holds a + 3072, a + 2048, b, a in that order. The one in
  // the middle goes first, then the head, then every other transport.
  destroy([](size_t i) { return i != 2046; });
  exchange();
  destroy([&](size_t i) { return i + 1 != others.size(); });
  exchange();
  destroy([](size_t i) { return i % 2 == 0; });
  exchange();
  destroy([](size_t) { return false; });
  exchange();
  EXPECT_EQ(idle.packets_sent, 0u);
  EXPECT_EQ(idle.callbacks, 0u);
}

TEST_F(SctpTest, TimerMovesToTheNextTransportWhenTheDriverDies) {
  UseTwoQueues();
  // c is created first: it drives the timer, then goes away.
  Side c;
  c.queue = qa_;
  c.peer = &a_;
  ASSERT_EQ(rtc_safety_flag_create(&c.alive), RTC_OK);
  Create(c);
  b_.delay_us = a_.delay_us = 10 * kMs;
  Connect();
  Destroy(c);
  rtc_safety_flag_unref(c.alive);
  OpenNegotiated(3, Params("n", true, -1, -1, true));
  // Retransmissions need the timer: lose a burst.
  a_.loss = 0.5;
  for (uint32_t i = 0; i < 50; i++)
    ASSERT_EQ(Send(a_, 3, Payload(i, 500)), RTC_OK);
  a_.loss = 0;
  ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 50; }, 60 * kSec));
}

TEST_F(SctpTest, DestroyWithDataInFlightMakesNoCallback) {
  a_.delay_us = b_.delay_us = 40 * kMs;
  Connect();
  OpenInBand(a_, 0, Params("x"));
  for (uint32_t i = 0; i < 100; i++) {
    ASSERT_EQ(Send(a_, 0, Payload(i, 30000)), RTC_OK);
    ASSERT_EQ(Send(b_, 0, Payload(i, 30000)), RTC_OK);
  }
  Run(50 * kMs);
  size_t a_callbacks = a_.callbacks;
  size_t b_callbacks = b_.callbacks;
  Destroy(a_);
  Destroy(b_);
  EXPECT_EQ(a_.callbacks, a_callbacks);
  EXPECT_EQ(b_.callbacks, b_callbacks);
  Run(100 * kSec);
  EXPECT_EQ(a_.callbacks, a_callbacks);
  EXPECT_EQ(b_.callbacks, b_callbacks);
  // TearDown checks that nothing is scheduled any more.
}

TEST_F(SctpTest, ObserverMayDestroyTheTransportFromACallback) {
  Connect();
  OpenNegotiated(0, Params("n", true, -1, -1, true));
  b_.on_message_hook = [&](Side& s, const uint8_t*, size_t) {
    rtc_safety_flag_set_not_alive(s.alive);
    rtc_sctp_transport_destroy(s.transport);
    s.transport = nullptr;
  };
  OnQueue(qa_, [&] {
    for (uint32_t i = 0; i < 10; i++) {
      std::vector<uint8_t> m = Payload(i, 100);
      ASSERT_EQ(
          rtc_sctp_transport_send(a_.transport, 0, true, m.data(), m.size()),
          RTC_OK);
    }
  });
  ASSERT_TRUE(RunUntil([&] { return !a_.errors.empty(); }, 10 * kSec));
  EXPECT_EQ(b_.messages.size(), 1u);
  EXPECT_EQ(b_.transport, nullptr);
  EXPECT_EQ(a_.LastState(), RTC_SCTP_CLOSED);
}

TEST_F(SctpTest, CreateFailsCleanlyWithoutMemory) {
  rtc_sctp_transport_config config = Config(a_);
  int n = 1;
  for (;; n++) {
    rtc_sctp_transport* t = nullptr;
    rtc_error err = RTC_ERR_INTERNAL;
    OnQueue(qa_, [&] {
      rtc_alloc_fail_nth(n, 0);
      err = rtc_sctp_transport_create(qa_, &config, &kObserver, &a_, &t);
      rtc_alloc_clear_failure();
    });
    if (err == RTC_OK) {
      OnQueue(qa_, [&] { rtc_sctp_transport_destroy(t); });
      break;
    }
    EXPECT_EQ(err, RTC_ERR_NO_MEMORY) << n;
    EXPECT_EQ(t, nullptr);
  }
  EXPECT_GT(n, 1);
}

TEST_F(SctpTest, OpenAndSendReportOutOfMemory) {
  Connect();
  OpenNegotiated(0, Params("n", true, -1, -1, true));
  rtc_error err = RTC_OK;
  OnQueue(qa_, [&] {
    rtc_data_channel_params p = Params("oom");
    rtc_alloc_fail_nth(1, 1);
    err = rtc_sctp_transport_open_channel(a_.transport, 2, &p);
    rtc_alloc_clear_failure();
  });
  EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
  OnQueue(qa_, [&] {
    std::vector<uint8_t> m = Payload(0, 10);
    rtc_alloc_fail_nth(1, 1);
    err = rtc_sctp_transport_send(a_.transport, 0, true, m.data(), m.size());
    rtc_alloc_clear_failure();
  });
  EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
  EXPECT_EQ(Buffered(a_, 0), 0u);
  // Both still work afterwards.
  OpenInBand(a_, 2, Params("ok"));
  ASSERT_EQ(Send(a_, 0, Payload(1, 10)), RTC_OK);
  ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 1; }, 10 * kSec));
}

// A message arriving when memory runs out from our n-th allocation on
// (the packet's handling, the message's event, its bytes, ...; n past the
// last one: none fails): the association fails with sctp-failure and
// nothing is delivered, or, when nothing failed, the message arrives.
// Nothing is left allocated once the transports are gone (TearDown; ASan).
class SctpReceiveWithoutMemoryTest
    : public SctpTest,
      public testing::WithParamInterface<uint64_t> {};

TEST_P(SctpReceiveWithoutMemoryTest, FailsTheAssociationOrDelivers) {
  Connect();
  OpenNegotiated(1, Params("n", true, -1, -1, true));
  std::vector<std::vector<uint8_t>> held;
  a_.drop_if = [&](const uint8_t* data, size_t size) {
    if (!CarriesData(data, size, RTC_PPID_BINARY, -1))
      return false;
    held.emplace_back(data, data + size);
    return true;
  };
  ASSERT_EQ(Send(a_, 1, Payload(3, 100)), RTC_OK);
  ASSERT_EQ(held.size(), 1u);
  a_.drop_if = nullptr;
  uint64_t injected = rtc_alloc_injected_failure_count();
  OnQueue(b_.queue, [&] {
    // usrsctp allocates with malloc: the n-th of our allocations fails,
    // and every one after it.
    rtc_alloc_fail_nth(GetParam(), 1);
    rtc_sctp_transport_receive(b_.transport, held[0].data(), held[0].size());
    rtc_alloc_clear_failure();
  });
  if (rtc_alloc_injected_failure_count() == injected) {
    ASSERT_TRUE(RunUntil([&] { return b_.messages.size() == 1; }, 10 * kSec));
    EXPECT_TRUE(b_.messages[0].data == Payload(3, 100));
    EXPECT_TRUE(b_.errors.empty());
    return;
  }
  ASSERT_TRUE(RunUntil([&] { return !b_.errors.empty(); }, 10 * kSec));
  EXPECT_EQ(b_.errors[0].code, RTC_ERR_SCTP_FAILURE);
  EXPECT_TRUE(b_.messages.empty());
}

// 1 to 8: every allocation of the path (4 today), and past them.
INSTANTIATE_TEST_SUITE_P(EachAllocation,
                         SctpReceiveWithoutMemoryTest,
                         testing::Range<uint64_t>(1, 9));

// Not a timing assertion: prints how fast a reliable ordered channel moves
// 50 MB between two transports on one simulated queue, in wall-clock time.
TEST_F(SctpTest, ThroughputOfReliableChannel) {
  Connect();
  OpenNegotiated(0, Params("bulk", true, -1, -1, true));
  const size_t kTotal = 50 * 1000 * 1000;
  const size_t kMessage = 64 * 1024;
  const size_t kHigh = 1024 * 1024;
  b_.keep_messages = false;
  size_t sent = 0;
  auto refill = [&](Side& s) {
    while (sent < kTotal &&
           rtc_sctp_transport_buffered_amount(s.transport, 0) < kHigh) {
      size_t size = std::min(kMessage, kTotal - sent);
      static const std::vector<uint8_t> chunk(kMessage, 0x5a);
      ASSERT_EQ(
          rtc_sctp_transport_send(s.transport, 0, true, chunk.data(), size),
          RTC_OK);
      sent += size;
    }
  };
  a_.on_buffered_hook = [&](Side& s, uint16_t, size_t) { refill(s); };
  int64_t start = rtc_time_monotonic_us();
  OnQueue(qa_, [&] { refill(a_); });
  ASSERT_TRUE(
      RunUntil([&] { return b_.bytes_received == kTotal; }, 3600 * kSec));
  int64_t wall_us = rtc_time_monotonic_us() - start;
  std::printf(
      "[ INFO ] throughput: %zu MB in %.3f s wall clock = %.1f MB/s "
      "(%.1f s simulated)\n",
      kTotal / 1000000, wall_us / 1e6,
      static_cast<double>(kTotal) / static_cast<double>(wall_us),
      rtc_sim_time_now_us(time_) / 1e6);
}

// --- Real threads ---

using rtc_test::RunOn;

bool WaitFor(Side& s, std::function<bool()> done) {
  std::unique_lock<std::mutex> lock(s.mu);
  return s.cv.wait_for(lock, std::chrono::seconds(30), done);
}

TEST(SctpThreadTest, TransportsOnTwoThreadsExchangeMessages) {
  Side a, b;
  a.peer = &b;
  b.peer = &a;
  rtc_prng_seed(&a.prng, 3);
  rtc_prng_seed(&b.prng, 4);
  a.delay_us = b.delay_us = 1 * kMs;
  a.loss = b.loss = 0.02;
  ASSERT_EQ(rtc_safety_flag_create(&a.alive), RTC_OK);
  ASSERT_EQ(rtc_safety_flag_create(&b.alive), RTC_OK);
  ASSERT_EQ(rtc_event_loop_create("sctp-a", &a.queue), RTC_OK);
  ASSERT_EQ(rtc_event_loop_create("sctp-b", &b.queue), RTC_OK);
  for (Side* s : {&a, &b}) {
    RunOn(s->queue, [s] {
      rtc_sctp_transport_config config;
      rtc_sctp_transport_config_init(&config);
      config.send = SendPacket;
      config.send_user = s;
      ASSERT_EQ(rtc_sctp_transport_create(s->queue, &config, &kObserver, s,
                                          &s->transport),
                RTC_OK);
    });
  }
  for (Side* s : {&a, &b}) {
    RunOn(s->queue, [s] {
      rtc_data_channel_params p = Params("t", true, -1, -1, true);
      ASSERT_EQ(rtc_sctp_transport_open_channel(s->transport, 5, &p), RTC_OK);
      ASSERT_EQ(rtc_sctp_transport_start(s->transport, RTC_SCTP_DEFAULT_PORT,
                                         RTC_SCTP_MAX_MESSAGE_SIZE),
                RTC_OK);
    });
  }
  for (Side* s : {&a, &b}) {
    EXPECT_TRUE(WaitFor(*s, [s] {
      return !s->states.empty() && s->states.back() == RTC_SCTP_CONNECTED &&
             s->opens.size() == 1;
    }));
  }
  const uint32_t kCount = 300;
  for (Side* s : {&a, &b}) {
    RunOn(s->queue, [s] {
      for (uint32_t i = 0; i < kCount; i++) {
        std::vector<uint8_t> m = Payload(i, 1 + (i * 101) % 5000);
        ASSERT_EQ(
            rtc_sctp_transport_send(s->transport, 5, i % 2, m.data(), m.size()),
            RTC_OK);
      }
    });
  }
  for (Side* s : {&a, &b}) {
    ASSERT_TRUE(WaitFor(*s, [s] { return s->messages.size() == kCount; }));
    std::lock_guard<std::mutex> lock(s->mu);
    for (uint32_t i = 0; i < kCount; i++) {
      EXPECT_TRUE(s->messages[i].data == Payload(i, 1 + (i * 101) % 5000));
      EXPECT_EQ(s->messages[i].binary, i % 2 == 1);
    }
  }
  for (Side* s : {&a, &b}) {
    RunOn(s->queue, [s] {
      rtc_safety_flag_set_not_alive(s->alive);
      rtc_sctp_transport_destroy(s->transport);
      s->transport = nullptr;
    });
  }
  rtc_task_queue_destroy(a.queue);
  rtc_task_queue_destroy(b.queue);
  rtc_safety_flag_unref(a.alive);
  rtc_safety_flag_unref(b.alive);
}

// --- DC-01: INIT parameter lists from the peer (found by sctp_fuzzer) ---

// An SCTP packet (RFC 9260 §3): common header with `vtag`, one INIT chunk
// (§3.3.2) whose parameters are `params`, the CRC32c (§6.8) filled in.
std::vector<uint8_t> InitPacket(const uint8_t header[8],
                                const std::vector<uint8_t>& params) {
  std::vector<uint8_t> p(header, header + 8);
  p.resize(12, 0);
  std::memset(&p[4], 0, 4);  // §8.5.1: an INIT goes with tag 0
  size_t chunk_len = 20 + params.size();
  const uint8_t init[] = {1,
                          0,
                          static_cast<uint8_t>(chunk_len >> 8),
                          static_cast<uint8_t>(chunk_len),
                          0x16,
                          0x7e,
                          0x85,
                          0xee,  // initiate tag
                          0,
                          2,
                          0,
                          0,  // a_rwnd
                          0,
                          16,
                          0,
                          16,  // OS, MIS
                          0xff,
                          0x4c,
                          0x93,
                          0x65};  // initial TSN
  p.insert(p.end(), init, init + sizeof(init));
  p.insert(p.end(), params.begin(), params.end());
  while (p.size() % 4)
    p.push_back(0);
  uint32_t crc = usrsctp_crc32c(p.data(), p.size());
  std::memcpy(&p[8], &crc, 4);
  return p;
}

TEST(SctpPacketCheckTest,
     DC01_InitParametersShorterThanTheirHeaderAreMalformed) {
  const uint8_t header[8] = {0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0};
  // Supported extensions (0x8008) with one extension: well formed.
  std::vector<uint8_t> good = InitPacket(header, {0x80, 0x08, 0, 5, 0x82});
  EXPECT_TRUE(rtc_sctp_packet_params_valid(good.data(), good.size()));
  // A parameter with no value has length 4: still well formed.
  std::vector<uint8_t> empty = InitPacket(header, {0xc0, 0x00, 0, 4});
  EXPECT_TRUE(rtc_sctp_packet_params_valid(empty.data(), empty.size()));
  // Lengths 0..3 cannot hold the parameter's own header (RFC 9260 §3.2.1).
  for (uint8_t len = 0; len < 4; len++) {
    std::vector<uint8_t> bad =
        InitPacket(header, {0xc0, 0x00, 0, 4, 0x5e, 0xc0, 0, len});
    EXPECT_FALSE(rtc_sctp_packet_params_valid(bad.data(), bad.size()))
        << "length " << int{len};
  }
  // A zero-length parameter after the end of the chunk, in the packet's
  // last bytes: usrsctp walks an INIT's parameters to the end of the
  // packet (the fuzzer's second hang).
  std::vector<uint8_t> after = InitPacket(
      header, {0x80, 0x08, 0, 6, 0xc0, 0x82, 0, 0, 0xc0, 0x82, 0, 0});
  after[15] = 26;  // the chunk ends with the supported extensions
  uint32_t crc = 0;
  std::memcpy(&after[8], &crc, 4);
  crc = usrsctp_crc32c(after.data(), after.size());
  std::memcpy(&after[8], &crc, 4);
  EXPECT_FALSE(rtc_sctp_packet_params_valid(after.data(), after.size()));
  // A parameter running past the end of its chunk.
  std::vector<uint8_t> overrun = InitPacket(header, {0x80, 0x08, 0, 64, 0x82});
  EXPECT_FALSE(rtc_sctp_packet_params_valid(overrun.data(), overrun.size()));
  // The same in an INIT ACK.
  std::vector<uint8_t> ack = InitPacket(header, {0x5e, 0xc0, 0, 0});
  ack[12] = 2;
  EXPECT_FALSE(rtc_sctp_packet_params_valid(ack.data(), ack.size()));
  // Other chunks, and packets too short for a chunk, are usrsctp's to judge.
  std::vector<uint8_t> data_chunk = InitPacket(header, {0x5e, 0xc0, 0, 0});
  data_chunk[12] = 0;
  EXPECT_TRUE(
      rtc_sctp_packet_params_valid(data_chunk.data(), data_chunk.size()));
  EXPECT_TRUE(rtc_sctp_packet_params_valid(header, 8));
}

// usrsctp 0.9.5 (Debian's) loops forever answering an INIT with a
// zero-length parameter (its parameter walk never advances; fixed upstream
// in usrsctp c08562e, issue #570): a peer could hang our network thread
// with one packet. Before the fix this test never returns.
TEST_F(SctpTest, DC01_InitWithZeroLengthParameterIsDroppedNotLooped) {
  uint8_t header[8] = {};
  bool have_header = false;
  a_.drop_if = [&](const uint8_t* data, size_t size) {
    if (size >= 12 && (data[4] | data[5] | data[6] | data[7]) != 0) {
      std::memcpy(header, data, 8);
      have_header = true;
    }
    return false;
  };
  Connect();
  ASSERT_TRUE(have_header);
  // The packet sctp_fuzzer found (corpus/sctp/
  // regression_init_zero_length_parameter_hang): an INIT whose first
  // parameter has length 0.
  std::vector<uint8_t> init = InitPacket(header, {0x5e, 0xc0, 0, 0});
  // And (regression_init_zero_length_parameter_past_chunk_hang) one whose
  // zero-length parameter follows the end of the chunk.
  std::vector<uint8_t> past = InitPacket(
      header, {0x80, 0x08, 0, 6, 0xc0, 0x82, 0, 0, 0xc0, 0x82, 0, 0});
  past[15] = 26;
  uint32_t crc = 0;
  std::memcpy(&past[8], &crc, 4);
  crc = usrsctp_crc32c(past.data(), past.size());
  std::memcpy(&past[8], &crc, 4);
  OnQueue(b_.queue, [&] {
    rtc_sctp_transport_receive(b_.transport, init.data(), init.size());
    rtc_sctp_transport_receive(b_.transport, past.data(), past.size());
  });
  Run(100 * kMs);
  // The association is unaffected: b still answers.
  EXPECT_EQ(b_.LastState(), RTC_SCTP_CONNECTED);
  OpenInBand(a_, 2, Params("after"));
  ASSERT_EQ(Send(a_, 2, {1, 2, 3}), RTC_OK);
  EXPECT_TRUE(RunUntil([&] { return b_.MessageCount() == 1; }, 5 * kSec));
}

}  // namespace
