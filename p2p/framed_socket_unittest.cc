// RFC 4571 framing (p2p/framed_socket.h) over a fake stream socket: frames
// cut anywhere, several at once, empty ones, sending whole frames through a
// stream that takes only part, the end of the stream, and an owner that
// destroys the socket from its callback.

#include "p2p/framed_socket.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "rtc_base/alloc.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"

namespace {

rtc_socket_address Addr(const char* text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text, strlen(text), &a), RTC_OK);
  return a;
}

// A stream that records what it is given and takes at most `room` bytes.
struct FakeStream {
  rtc_stream_socket base;
  std::string sent;
  size_t room = SIZE_MAX;
  bool closed = false;
  bool* destroyed = nullptr;

  static rtc_error Send(rtc_stream_socket* s,
                        const uint8_t* data,
                        size_t size,
                        size_t* accepted) {
    auto* f = reinterpret_cast<FakeStream*>(s);
    if (f->closed)
      return RTC_ERR_CLOSED;
    size_t n = size < f->room ? size : f->room;
    f->sent.append(reinterpret_cast<const char*>(data), n);
    f->room -= n;
    *accepted = n;
    return RTC_OK;
  }
  static rtc_error Local(rtc_stream_socket*, rtc_socket_address* out) {
    *out = Addr("10.0.0.1:5000");
    return RTC_OK;
  }
  static rtc_error Remote(rtc_stream_socket*, rtc_socket_address* out) {
    *out = Addr("10.0.0.2:6000");
    return RTC_OK;
  }
  static void Destroy(rtc_stream_socket* s) {
    auto* f = reinterpret_cast<FakeStream*>(s);
    *f->destroyed = true;
  }
  // What the network does to it.
  void Receive(const std::string& bytes) {
    base.observer->on_data(base.observer_user, &base,
                           reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size());
  }
  void Writable() { base.observer->on_writable(base.observer_user, &base); }
  void End(rtc_error error) {
    base.observer->on_closed(base.observer_user, &base, error);
  }
};

const rtc_stream_socket_vtable kFakeVtable = {
    FakeStream::Send, FakeStream::Local, FakeStream::Remote,
    FakeStream::Destroy};

std::string Frame(const std::string& packet) {
  std::string f;
  f.push_back(static_cast<char>(packet.size() >> 8));
  f.push_back(static_cast<char>(packet.size() & 0xff));
  return f + packet;
}

class FramedSocketTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "framed", &queue_), RTC_OK);
    previous_ = rtc_task_queue_set_current(queue_);
    stream_.base.vtable = &kFakeVtable;
    stream_.base.queue = queue_;
    stream_.destroyed = &stream_destroyed_;
    ASSERT_EQ(
        rtc_framed_socket_create(&stream_.base, &kObserver, this, &socket_),
        RTC_OK);
  }
  void TearDown() override {
    rtc_packet_socket_destroy(socket_);
    rtc_task_queue_set_current(previous_);
    rtc_task_queue_destroy(queue_);
    rtc_sim_time_destroy(time_);
  }

  rtc_error Send(const std::string& packet) {
    return rtc_packet_socket_send_to(
        socket_, reinterpret_cast<const uint8_t*>(packet.data()), packet.size(),
        &to_);
  }

  static const rtc_packet_socket_observer kObserver;
  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* queue_ = nullptr;
  rtc_task_queue* previous_ = nullptr;
  FakeStream stream_;
  bool stream_destroyed_ = false;
  rtc_packet_socket* socket_ = nullptr;
  rtc_socket_address to_ = Addr("10.0.0.2:6000");
  std::vector<std::string> packets_;
  std::vector<std::string> sources_;
  int writable_ = 0;
  int closed_ = 0;
  rtc_error close_error_ = RTC_OK;
  bool destroy_on_packet_ = false;
};

const rtc_packet_socket_observer FramedSocketTest::kObserver = {
    [](void* u, rtc_packet_socket* s, const rtc_received_packet* p, size_t n) {
      auto* self = static_cast<FramedSocketTest*>(u);
      for (size_t i = 0; i < n; i++) {
        self->packets_.emplace_back(reinterpret_cast<const char*>(p[i].data),
                                    p[i].size);
        char text[RTC_SOCKET_ADDRESS_STRLEN];
        rtc_socket_address_format(&p[i].source, text, sizeof(text));
        self->sources_.push_back(text);
      }
      if (self->destroy_on_packet_) {
        rtc_packet_socket_destroy(s);
        self->socket_ = nullptr;
      }
    },
    [](void* u, rtc_packet_socket*) {
      static_cast<FramedSocketTest*>(u)->writable_++;
    },
    [](void* u, rtc_packet_socket*, rtc_error e) {
      auto* self = static_cast<FramedSocketTest*>(u);
      self->closed_++;
      self->close_error_ = e;
    },
};

TEST_F(FramedSocketTest, FramesCutAtEveryByteComeOutWhole) {
  std::string wire =
      Frame("first") + Frame(std::string(300, 'x')) + Frame("") + Frame("last");
  for (size_t i = 0; i < wire.size(); i++)
    stream_.Receive(wire.substr(i, 1));
  ASSERT_EQ(packets_.size(), 3u);  // the empty frame carries nothing
  EXPECT_EQ(packets_[0], "first");
  EXPECT_EQ(packets_[1], std::string(300, 'x'));
  EXPECT_EQ(packets_[2], "last");
  EXPECT_EQ(sources_[0], "10.0.0.2:6000");
}

TEST_F(FramedSocketTest, ManyFramesInOneReadAndAFrameAcrossReads) {
  std::string big(RTC_FRAMED_MAX_PACKET, 'b');
  std::string wire = Frame("a") + Frame("bb") + Frame(big) + Frame("c");
  size_t cut = 2 + 1 + 2 + 2 + 1000;  // inside the big frame
  stream_.Receive(wire.substr(0, cut));
  EXPECT_EQ(packets_.size(), 2u);
  stream_.Receive(wire.substr(cut));
  ASSERT_EQ(packets_.size(), 4u);
  EXPECT_EQ(packets_[2], big);
  EXPECT_EQ(packets_[3], "c");
}

TEST_F(FramedSocketTest, SendsWholeFramesAndRefusesOtherDestinations) {
  EXPECT_EQ(Send("hello"), RTC_OK);
  EXPECT_EQ(stream_.sent, Frame("hello"));
  rtc_socket_address elsewhere = Addr("10.0.0.3:6000");
  EXPECT_EQ(rtc_packet_socket_send_to(
                socket_, reinterpret_cast<const uint8_t*>("x"), 1, &elsewhere),
            RTC_ERR_INVALID_ARGUMENT);
  std::string too_big(RTC_FRAMED_MAX_PACKET + 1, 'z');
  EXPECT_EQ(Send(too_big), RTC_ERR_INVALID_ARGUMENT);
  rtc_socket_address local;
  ASSERT_EQ(rtc_packet_socket_local_address(socket_, &local), RTC_OK);
  rtc_socket_address expected = Addr("10.0.0.1:5000");
  EXPECT_TRUE(rtc_socket_address_equal(&local, &expected));
}

// A stream that takes part of a frame: the rest is the framed socket's to
// finish; the next packet waits (RTC_ERR_WOULD_BLOCK) until the stream has
// room, then on_writable.
TEST_F(FramedSocketTest, AFrameTakenInPartIsFinishedBeforeTheNext) {
  stream_.room = 3;
  EXPECT_EQ(Send("abcdef"), RTC_OK);
  EXPECT_EQ(stream_.sent, Frame("abcdef").substr(0, 3));
  EXPECT_EQ(Send("next"), RTC_ERR_WOULD_BLOCK);
  stream_.room = SIZE_MAX;
  stream_.Writable();
  EXPECT_EQ(stream_.sent, Frame("abcdef"));
  EXPECT_EQ(writable_, 1);
  EXPECT_EQ(Send("next"), RTC_OK);
  EXPECT_EQ(stream_.sent, Frame("abcdef") + Frame("next"));
}

// The send buffer grows for a frame of the largest size, taken by the
// stream in pieces, and the frames around it come out intact.
TEST_F(FramedSocketTest, ALargestFrameAfterSmallOnesIsSentIntact) {
  EXPECT_EQ(Send("small"), RTC_OK);
  std::string big(RTC_FRAMED_MAX_PACKET, '\0');
  for (size_t i = 0; i < big.size(); i++)
    big[i] = static_cast<char>(i * 7 + i / 256);
  stream_.room = 1000;
  EXPECT_EQ(Send(big), RTC_OK);
  EXPECT_EQ(Send("after"), RTC_ERR_WOULD_BLOCK);
  while (stream_.sent.size() < Frame("small").size() + Frame(big).size()) {
    stream_.room = 4000;
    stream_.Writable();
  }
  EXPECT_EQ(writable_, 1);
  stream_.room = SIZE_MAX;
  EXPECT_EQ(Send("after"), RTC_OK);
  EXPECT_EQ(Send(big), RTC_OK);  // taken whole at once
  EXPECT_EQ(Send(""), RTC_OK);
  EXPECT_EQ(stream_.sent, Frame("small") + Frame(big) + Frame("after") +
                              Frame(big) + Frame(""));
}

// Without memory for its buffer a packet is refused whole: the stream sees
// nothing of it, and the next packet goes out framed as ever.
TEST_F(FramedSocketTest, APacketWithoutMemoryIsRefusedWhole) {
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(Send("lost"), RTC_ERR_NO_MEMORY);
  rtc_alloc_clear_failure();
  EXPECT_EQ(stream_.sent, "");
  EXPECT_EQ(Send("kept"), RTC_OK);
  std::string big(RTC_FRAMED_MAX_PACKET, 'b');
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(Send(big), RTC_ERR_NO_MEMORY);
  rtc_alloc_clear_failure();
  EXPECT_EQ(Send("next"), RTC_OK);
  EXPECT_EQ(stream_.sent, Frame("kept") + Frame("next"));
}

TEST_F(FramedSocketTest, TheStreamsEndClosesIt) {
  stream_.End(RTC_OK);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_error_, RTC_ERR_CLOSED);
  EXPECT_EQ(Send("late"), RTC_ERR_CLOSED);
}

TEST_F(FramedSocketTest, OwnerMayDestroyItFromItsCallback) {
  destroy_on_packet_ = true;
  stream_.Receive(Frame("one") + Frame("two") + Frame("three"));
  EXPECT_EQ(packets_.size(), 1u);
  EXPECT_TRUE(stream_destroyed_);
}

TEST(FramedSocketCreateTest, RefusesMissingArgumentsAndTakesTheStream) {
  bool destroyed = false;
  FakeStream stream;
  stream.base.vtable = &kFakeVtable;
  stream.destroyed = &destroyed;
  static const rtc_packet_socket_observer kNoPackets = {nullptr, nullptr,
                                                        nullptr};
  rtc_packet_socket* s = nullptr;
  EXPECT_EQ(rtc_framed_socket_create(&stream.base, &kNoPackets, nullptr, &s),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(destroyed);  // transfer full, also on failure
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(rtc_framed_socket_create(nullptr, &kNoPackets, nullptr, &s),
            RTC_ERR_INVALID_ARGUMENT);
}

}  // namespace
