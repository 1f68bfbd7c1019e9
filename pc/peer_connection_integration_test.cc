// Two peer connections over the kernel's loopback interface, on real
// threads: the context's network thread and a signaling event loop of the
// test's own. Measures connection setup (createOffer to both ends of a data
// channel open) and checks that destroying the connections gives back
// every file descriptor and allocation.

#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "api/rtc_context.h"
#include "api/rtc_data_channel.h"
#include "api/rtc_peer_connection.h"
#include "rtc_base/alloc.h"
#include "rtc_base/clock.h"
#include "rtc_base/event_loop.h"

namespace {

constexpr int64_t kSec = RTC_US_PER_SEC;

int OpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  int n = 0;
  while (readdir(d))
    n++;
  closedir(d);
  return n - 3;  // ".", ".." and the directory's own descriptor
}

// One-shot C callbacks that call a std::function and free it.
using DescFn = std::function<
    void(rtc_error, const rtc_error_info*, const rtc_session_description*)>;
using VoidFn = std::function<void(rtc_error, const rtc_error_info*)>;

void DescThunk(void* u,
               rtc_error err,
               const rtc_error_info* info,
               const rtc_session_description* d) {
  auto* fn = static_cast<DescFn*>(u);
  (*fn)(err, info, d);
  delete fn;
}

void VoidThunk(void* u, rtc_error err, const rtc_error_info* info) {
  auto* fn = static_cast<VoidFn*>(u);
  (*fn)(err, info);
  delete fn;
}

// One end. Everything in it is touched on the signaling thread only.
struct End {
  const char* name = "";
  rtc_peer_connection* pc = nullptr;
  End* other = nullptr;
  rtc_data_channel* channel = nullptr;  // ours, or the one announced to us
  int64_t open_us = 0;
  bool echo = false;  // send every message back
  std::vector<std::string> messages;
  std::vector<bool> binary;
  std::string failure;

  void Fail(const std::string& what) {
    if (failure.empty())
      failure = std::string(name) + ": " + what;
  }
};

const rtc_data_channel_observer kChannelObserver = {
    [](void* u) { static_cast<End*>(u)->open_us = rtc_time_monotonic_us(); },
    [](void* u, bool binary, const uint8_t* data, size_t size) {
      End* e = static_cast<End*>(u);
      if (e->echo) {
        if (rtc_data_channel_send(e->channel, binary, data, size) != RTC_OK)
          e->Fail("echo failed");
        return;
      }
      e->messages.emplace_back(reinterpret_cast<const char*>(data), size);
      e->binary.push_back(binary);
    },
    nullptr,
    [](void* u, const rtc_error_info* info) {
      static_cast<End*>(u)->Fail(std::string("channel error: ") +
                                 info->message);
    },
    nullptr,
    nullptr,
};

const rtc_peer_connection_observer kObserver = {
    nullptr,
    [](void* u, const rtc_ice_candidate_event* e) {
      End* self = static_cast<End*>(u);
      if (!e->candidate || !self->other->pc)
        return;
      rtc_ice_candidate_init init = {e->candidate, e->sdp_mid,
                                     e->sdp_mline_index, nullptr};
      End* peer = self->other;
      rtc_peer_connection_add_ice_candidate(
          peer->pc, &init, VoidThunk,
          new VoidFn([peer](rtc_error err, const rtc_error_info* info) {
            if (err != RTC_OK)
              peer->Fail(std::string("addIceCandidate: ") + info->message);
          }));
    },
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    [](void* u, rtc_peer_connection_state s) {
      if (s == RTC_PC_STATE_FAILED)
        static_cast<End*>(u)->Fail("connection failed");
    },
    [](void* u, rtc_data_channel* c) {
      End* e = static_cast<End*>(u);
      if (e->channel) {
        e->Fail("a second channel");
        rtc_data_channel_unref(c);
        return;
      }
      e->channel = c;
      rtc_data_channel_set_observer(c, &kChannelObserver, e);
      // Announced open: the open event does not fire for it.
      if (rtc_data_channel_ready_state(c) == RTC_DATA_CHANNEL_OPEN)
        e->open_us = rtc_time_monotonic_us();
    },
    nullptr,  // on_remote_tracks
};

class LoopbackTest : public testing::Test {
 protected:
  void SetUp() override {
    fds_before_ = OpenFds();
    ASSERT_EQ(rtc_event_loop_create("signaling", &signaling_), RTC_OK);
    ASSERT_EQ(rtc_context_create(nullptr, &context_), RTC_OK);
  }

  void TearDown() override {
    Destroy();
    rtc_context_destroy(context_);
    rtc_task_queue_destroy(signaling_);
    EXPECT_EQ(OpenFds(), fds_before_);
  }

  // Runs fn on the signaling thread and waits for it.
  void Sync(std::function<void()> fn) {
    struct Call {
      std::function<void()> fn;
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
    } call;
    call.fn = std::move(fn);
    rtc_task task = {[](void* arg) {
                       auto* c = static_cast<Call*>(arg);
                       c->fn();
                       std::lock_guard<std::mutex> lock(c->mu);
                       c->done = true;
                       c->cv.notify_one();
                     },
                     nullptr, &call};
    ASSERT_EQ(rtc_task_queue_post(signaling_, task), RTC_OK);
    std::unique_lock<std::mutex> lock(call.mu);
    call.cv.wait(lock, [&] { return call.done; });
  }

  // Polls cond on the signaling thread every millisecond.
  bool WaitFor(std::function<bool()> cond, int64_t timeout_us) {
    int64_t deadline = rtc_time_monotonic_us() + timeout_us;
    for (;;) {
      bool ok = false;
      Sync([&] { ok = cond(); });
      if (ok)
        return true;
      if (rtc_time_monotonic_us() > deadline)
        return false;
      struct timespec ms = {0, 1000 * 1000};
      nanosleep(&ms, nullptr);
    }
  }

  // Creates both connections and a data channel on a, then runs the whole
  // offer/answer from one task: returns the time createOffer was called.
  int64_t Connect(const rtc_data_channel_init* init = nullptr) {
    int64_t start = 0;
    a_ = End();
    b_ = End();
    a_.name = "a";
    b_.name = "b";
    a_.other = &b_;
    b_.other = &a_;
    Sync([&] {
      rtc_configuration config;
      rtc_configuration_init(&config);
      // Loopback only: a browser keeps the defaults (mDNS names on the
      // real interfaces).
      config.interfaces.include_loopback = true;
      config.obfuscate_host_addresses = false;
      rtc_error_info info;
      for (End* e : {&a_, &b_}) {
        if (rtc_peer_connection_create(context_, signaling_, &config,
                                       &kObserver, e, &e->pc,
                                       &info) != RTC_OK) {
          e->Fail(info.message);
          return;
        }
      }
      if (rtc_peer_connection_create_data_channel(
              a_.pc, "chat", init, &a_.channel, &info) != RTC_OK) {
        a_.Fail(info.message);
        return;
      }
      rtc_data_channel_set_observer(a_.channel, &kChannelObserver, &a_);
      start = rtc_time_monotonic_us();
      End* a = &a_;
      End* b = &b_;
      rtc_peer_connection_create_offer(
          a->pc, nullptr, DescThunk,
          new DescFn([a, b](rtc_error err, const rtc_error_info* offer_info,
                            const rtc_session_description* offer) {
            if (err != RTC_OK)
              return a->Fail(offer_info->message);
            rtc_peer_connection_set_local_description(a->pc, offer, VoidThunk,
                                                      new VoidFn(Check(a)));
            rtc_peer_connection_set_remote_description(b->pc, offer, VoidThunk,
                                                       new VoidFn(Check(b)));
            rtc_peer_connection_create_answer(
                b->pc, DescThunk,
                new DescFn([a, b](rtc_error err2, const rtc_error_info* info2,
                                  const rtc_session_description* answer) {
                  if (err2 != RTC_OK)
                    return b->Fail(info2->message);
                  rtc_peer_connection_set_local_description(
                      b->pc, answer, VoidThunk, new VoidFn(Check(b)));
                  rtc_peer_connection_set_remote_description(
                      a->pc, answer, VoidThunk, new VoidFn(Check(a)));
                }));
          }));
    });
    return start;
  }

  static VoidFn Check(End* e) {
    return [e](rtc_error err, const rtc_error_info* info) {
      if (err != RTC_OK)
        e->Fail(info->message);
    };
  }

  bool WaitOpen() {
    return WaitFor(
               [&] {
                 return (a_.open_us && b_.open_us) || !a_.failure.empty() ||
                        !b_.failure.empty();
               },
               10 * kSec) &&
           a_.failure.empty() && b_.failure.empty();
  }

  void Destroy() {
    Sync([&] {
      for (End* e : {&a_, &b_}) {
        rtc_data_channel_unref(e->channel);
        e->channel = nullptr;
        rtc_peer_connection_destroy(e->pc);
        e->pc = nullptr;
      }
    });
  }

  rtc_task_queue* signaling_ = nullptr;
  rtc_context* context_ = nullptr;
  int fds_before_ = 0;
  End a_, b_;
};

TEST_F(LoopbackTest, SetupTimeFromCreateOfferToChannelOpen) {
  const int kRuns = 20;
  std::vector<double> ms;
  for (int i = 0; i < kRuns; i++) {
    int64_t start = Connect();
    ASSERT_TRUE(WaitOpen()) << a_.failure << b_.failure;
    int64_t open = std::max(a_.open_us, b_.open_us);
    ms.push_back((open - start) / 1000.0);
    // It carries data, too.
    Sync([&] {
      ASSERT_EQ(
          rtc_data_channel_send(a_.channel, false,
                                reinterpret_cast<const uint8_t*>("ping"), 4),
          RTC_OK);
    });
    ASSERT_TRUE(WaitFor([&] { return b_.messages.size() == 1; }, 5 * kSec));
    Sync([&] { EXPECT_EQ(b_.messages[0], "ping"); });
    Destroy();
  }
  std::sort(ms.begin(), ms.end());
  printf(
      "[ measure  ] loopback createOffer -> channel open over %d runs: "
      "median %.1f ms, min %.1f ms, max %.1f ms\n",
      kRuns, ms[kRuns / 2], ms.front(), ms.back());
}

TEST_F(LoopbackTest, EchoesAThousandMixedMessagesByteExact) {
  Connect();
  Sync([&] { b_.echo = true; });
  ASSERT_TRUE(WaitOpen()) << a_.failure << b_.failure;
  const int kCount = 1000;
  auto size_of = [](int i) -> size_t {
    if (i % 100 == 50)
      return 256 * 1024;  // our max-message-size
    return static_cast<size_t>(i) * 7919 % 65536;
  };
  auto payload = [&](int i) {
    std::string s(size_of(i), '\0');
    for (size_t j = 0; j < s.size(); j++)
      s[j] = static_cast<char>(i % 2 ? (i + j) & 0xff : 'a' + (i + j) % 26);
    return s;
  };
  int64_t start = rtc_time_monotonic_us();
  uint64_t bytes = 0;
  int next = 0;
  while (next < kCount) {
    Sync([&] {
      while (next < kCount &&
             rtc_data_channel_buffered_amount(a_.channel) < (1u << 20)) {
        std::string m = payload(next);
        ASSERT_EQ(rtc_data_channel_send(
                      a_.channel, next % 2 == 1,
                      reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                  RTC_OK);
        bytes += m.size();
        next++;
      }
    });
    ASSERT_TRUE(WaitFor(
        [&] {
          return rtc_data_channel_buffered_amount(a_.channel) < (1u << 19) ||
                 !b_.failure.empty();
        },
        10 * kSec));
  }
  ASSERT_TRUE(WaitFor([&] { return a_.messages.size() >= kCount; }, 30 * kSec));
  double seconds = (rtc_time_monotonic_us() - start) / 1e6;
  Sync([&] {
    ASSERT_EQ(a_.messages.size(), static_cast<size_t>(kCount));
    for (int i = 0; i < kCount; i++) {
      ASSERT_EQ(a_.messages[i], payload(i)) << "message " << i;
      EXPECT_EQ(a_.binary[i], i % 2 == 1) << "message " << i;
    }
    EXPECT_EQ(b_.failure, "");
  });
  printf(
      "[ measure  ] loopback echo of %d messages (%.1f MB each way) in "
      "%.2f s\n",
      kCount, bytes / 1e6, seconds);
}

TEST_F(LoopbackTest, DestroyGivesBackEveryDescriptorAndAllocation) {
  // A queue keeps its task array once it has held a task: use both queues
  // first, so that their arrays are not counted against the connections.
  Sync([] {});
  Sync([&] {
    rtc_task noop = {nullptr, nullptr, nullptr};
    ASSERT_EQ(rtc_task_queue_post(rtc_context_network_queue(context_), noop),
              RTC_OK);
  });
  Sync([] {});
  int fds = OpenFds();
  int64_t allocations = rtc_alloc_live_count();
  Connect();
  ASSERT_TRUE(WaitOpen()) << a_.failure << b_.failure;
  EXPECT_GT(OpenFds(), fds);
  Destroy();
  // The network half is freed on the network thread after destroy returns.
  int64_t deadline = rtc_time_monotonic_us() + 5 * kSec;
  while ((OpenFds() != fds || rtc_alloc_live_count() != allocations) &&
         rtc_time_monotonic_us() < deadline) {
    struct timespec ms = {0, 1000 * 1000};
    nanosleep(&ms, nullptr);
  }
  EXPECT_EQ(OpenFds(), fds);
  EXPECT_EQ(rtc_alloc_live_count(), allocations);
}

// api/rtc_peer_connection.h: once destroy returned, nothing more reaches
// the signaling queue, so the embedder may destroy it at once, while the
// network thread is still busy with the connections' packets (here: 8 MiB
// in flight). Before the fix, events posted in that window used the freed
// queue (ASan: heap-use-after-free in rtc_task_queue_post).
TEST_F(LoopbackTest, SignalingQueueMayGoRightAfterDestroy) {
  for (int run = 0; run < 10; run++) {
    Connect();
    ASSERT_TRUE(WaitOpen()) << a_.failure << b_.failure;
    Sync([&] {
      std::string chunk(256 * 1024, 'x');
      for (int i = 0; i < 32; i++)
        ASSERT_EQ(
            rtc_data_channel_send(
                a_.channel, true,
                reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()),
            RTC_OK);
    });
    ASSERT_TRUE(WaitFor([&] { return !b_.messages.empty(); }, 5 * kSec));
    Destroy();
    rtc_task_queue_destroy(signaling_);
    ASSERT_EQ(rtc_event_loop_create("signaling", &signaling_), RTC_OK);
  }
}

}  // namespace
