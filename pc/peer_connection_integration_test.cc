// Two peer connections over the kernel's loopback interface, on real
// threads: the context's network thread and a signaling event loop of the
// test's own. Measures connection setup (createOffer to both ends of a data
// channel open) and checks that destroying the connections gives back
// every file descriptor and allocation.

#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/rtc_context.h"
#include "api/rtc_data_channel.h"
#include "api/rtc_peer_connection.h"
#include "api/rtc_transports.h"
#include "rtc_base/alloc.h"
#include "rtc_base/clock.h"
#include "rtc_base/event_loop.h"
#include "test/support/coturn.h"

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
  // When the ICE connection state first became checking and connected.
  int64_t checking_us = 0;
  int64_t connected_us = 0;
  bool channel_closed = false;
  // pc.sctp.state when the channel fired error and close.
  int sctp_at_error = -1;
  int sctp_at_close = -1;
  // Local candidates (RTCIceCandidate.candidate) and icecandidateerror
  // events ("<code> <url> <text>").
  std::vector<std::string> candidates;
  std::vector<std::string> candidate_errors;
  bool gathering_complete = false;

  int SctpState() const {
    rtc_pc_sctp_transport* sctp = pc ? rtc_peer_connection_sctp(pc) : nullptr;
    return sctp ? static_cast<int>(rtc_pc_sctp_transport_state(sctp)) : -1;
  }

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
      End* e = static_cast<End*>(u);
      e->Fail(std::string("channel error: ") + info->message);
      e->sctp_at_error = e->SctpState();
    },
    nullptr,
    [](void* u) {
      End* e = static_cast<End*>(u);
      e->channel_closed = true;
      e->sctp_at_close = e->SctpState();
    },
};

const rtc_peer_connection_observer kObserver = {
    nullptr,
    [](void* u, const rtc_ice_candidate_event* e) {
      End* self = static_cast<End*>(u);
      if (e->candidate && e->candidate[0])
        self->candidates.push_back(e->candidate);
      if (!e->candidate || !self->other || !self->other->pc)
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
    [](void* u, const rtc_ice_candidate_error_event* e) {
      static_cast<End*>(u)->candidate_errors.push_back(
          std::to_string(e->error_code) + " " + e->url + " " + e->error_text);
    },
    nullptr,
    [](void* u, rtc_ice_gathering_state s) {
      if (s == RTC_ICE_GATHERING_COMPLETE)
        static_cast<End*>(u)->gathering_complete = true;
    },
    [](void* u, rtc_ice_connection_state s) {
      End* e = static_cast<End*>(u);
      int64_t now = rtc_time_monotonic_us();
      if (s == RTC_ICE_TRANSPORT_CHECKING && !e->checking_us)
        e->checking_us = now;
      if (s == RTC_ICE_TRANSPORT_CONNECTED && !e->connected_us)
        e->connected_us = now;
    },
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

// A socket factory over another one whose UDP sockets drop every outgoing
// DTLS application_data record (content type 23, RFC 6347 §4.1) while
// `drop` is set: the DTLS handshake and alerts (close_notify) pass, SCTP
// does not.
struct AppDataFilter {
  rtc_socket_factory base;  // first: the vtable functions cast back
  rtc_socket_factory* inner = nullptr;
  std::atomic<bool> drop{true};

  struct Socket {
    rtc_packet_socket base;  // first
    rtc_packet_socket* inner = nullptr;
    AppDataFilter* filter = nullptr;
  };

  static AppDataFilter* Of(rtc_socket_factory* f) {
    return reinterpret_cast<AppDataFilter*>(f);
  }
  static Socket* Of(rtc_packet_socket* s) {
    return reinterpret_cast<Socket*>(s);
  }

  static rtc_error Send(rtc_packet_socket* socket,
                        const rtc_outgoing_packet* packets,
                        size_t count,
                        size_t* sent) {
    Socket* s = Of(socket);
    for (size_t i = 0; i < count; i++) {
      bool app_data = packets[i].size > 0 && packets[i].data[0] == 23;
      if (app_data && s->filter->drop)
        continue;
      size_t one = 0;
      rtc_error err = rtc_packet_socket_send(s->inner, &packets[i], 1, &one);
      if (err != RTC_OK) {
        if (sent)
          *sent = i;
        return err;
      }
    }
    if (sent)
      *sent = count;
    return RTC_OK;
  }
  static rtc_error LocalAddress(rtc_packet_socket* socket,
                                rtc_socket_address* out) {
    return rtc_packet_socket_local_address(Of(socket)->inner, out);
  }
  static void Destroy(rtc_packet_socket* socket) {
    Socket* s = Of(socket);
    rtc_packet_socket_destroy(s->inner);
    delete s;
  }
  static constexpr rtc_packet_socket_vtable kSocketVtable = {Send, LocalAddress,
                                                             Destroy};

  // The inner socket's events, passed on as the outer socket's.
  static void OnPackets(void* user,
                        rtc_packet_socket*,
                        const rtc_received_packet* packets,
                        size_t count) {
    Socket* s = static_cast<Socket*>(user);
    s->base.observer->on_packets(s->base.observer_user, &s->base, packets,
                                 count);
  }
  static void OnWritable(void* user, rtc_packet_socket*) {
    Socket* s = static_cast<Socket*>(user);
    if (s->base.observer->on_writable)
      s->base.observer->on_writable(s->base.observer_user, &s->base);
  }
  static void OnClosed(void* user, rtc_packet_socket*, rtc_error error) {
    Socket* s = static_cast<Socket*>(user);
    if (s->base.observer->on_closed)
      s->base.observer->on_closed(s->base.observer_user, &s->base, error);
  }
  static constexpr rtc_packet_socket_observer kRelay = {OnPackets, OnWritable,
                                                        OnClosed};

  static rtc_error ListInterfaces(rtc_socket_factory* f,
                                  rtc_network_interface* out,
                                  size_t capacity,
                                  size_t* count) {
    rtc_socket_factory* inner = Of(f)->inner;
    return inner->vtable->list_interfaces(inner, out, capacity, count);
  }
  static rtc_error DefaultRoute(rtc_socket_factory* f,
                                rtc_address_family family,
                                rtc_socket_address* out) {
    return rtc_socket_factory_default_route_address(Of(f)->inner, family, out);
  }
  static rtc_error CreateUdp(rtc_socket_factory* f,
                             rtc_task_queue* queue,
                             const rtc_socket_address* local,
                             const rtc_udp_options* options,
                             const rtc_packet_socket_observer* observer,
                             void* user,
                             rtc_packet_socket** out) {
    Socket* s = new Socket;
    s->filter = Of(f);
    s->base.vtable = &kSocketVtable;
    s->base.queue = queue;
    s->base.observer = observer;
    s->base.observer_user = user;
    rtc_error err = rtc_socket_factory_create_udp(
        Of(f)->inner, queue, local, options, &kRelay, s, &s->inner);
    if (err != RTC_OK) {
      delete s;
      return err;
    }
    *out = &s->base;
    return RTC_OK;
  }
  static rtc_error CreateMulticastUdp(rtc_socket_factory* f,
                                      rtc_task_queue* queue,
                                      const rtc_socket_address* group,
                                      uint32_t if_index,
                                      const rtc_packet_socket_observer* obs,
                                      void* user,
                                      rtc_packet_socket** out) {
    return rtc_socket_factory_create_multicast_udp(Of(f)->inner, queue, group,
                                                   if_index, obs, user, out);
  }
  static constexpr rtc_socket_factory_vtable kFactoryVtable = {
      ListInterfaces,     DefaultRoute, CreateUdp,
      CreateMulticastUdp, nullptr,      nullptr};

  explicit AppDataFilter(rtc_socket_factory* over) : inner(over) {
    base.vtable = &kFactoryVtable;
  }
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

  // Loopback only: a browser keeps the defaults (mDNS names on the real
  // interfaces).
  static rtc_configuration LoopbackConfig() {
    rtc_configuration config;
    rtc_configuration_init(&config);
    config.interfaces.include_loopback = true;
    config.obfuscate_host_addresses = false;
    return config;
  }

  // Creates both connections and a data channel on a, then runs the whole
  // offer/answer from one task: returns the time createOffer was called.
  int64_t Connect(const rtc_data_channel_init* init = nullptr) {
    return Connect(a_, b_, LoopbackConfig(), init);
  }

  // On `context` (NULL: the fixture's); `munge_answer` changes the answer
  // a applies.
  int64_t Connect(End& a_end,
                  End& b_end,
                  const rtc_configuration& config,
                  const rtc_data_channel_init* init = nullptr,
                  rtc_context* context = nullptr,
                  std::function<void(std::string&)> munge_answer = nullptr) {
    if (!context)
      context = context_;
    int64_t start = 0;
    a_end = End();
    b_end = End();
    a_end.name = "a";
    b_end.name = "b";
    a_end.other = &b_end;
    b_end.other = &a_end;
    Sync([&] {
      rtc_error_info info;
      for (End* e : {&a_end, &b_end}) {
        if (rtc_peer_connection_create(context, signaling_, &config, &kObserver,
                                       e, &e->pc, &info) != RTC_OK) {
          e->Fail(info.message);
          return;
        }
      }
      if (rtc_peer_connection_create_data_channel(
              a_end.pc, "chat", init, &a_end.channel, &info) != RTC_OK) {
        a_end.Fail(info.message);
        return;
      }
      rtc_data_channel_set_observer(a_end.channel, &kChannelObserver, &a_end);
      start = rtc_time_monotonic_us();
      End* a = &a_end;
      End* b = &b_end;
      rtc_peer_connection_create_offer(
          a->pc, nullptr, DescThunk,
          new DescFn([a, b, munge_answer](
                         rtc_error err, const rtc_error_info* offer_info,
                         const rtc_session_description* offer) {
            if (err != RTC_OK)
              return a->Fail(offer_info->message);
            rtc_peer_connection_set_local_description(a->pc, offer, VoidThunk,
                                                      new VoidFn(Check(a)));
            rtc_peer_connection_set_remote_description(b->pc, offer, VoidThunk,
                                                       new VoidFn(Check(b)));
            rtc_peer_connection_create_answer(
                b->pc, DescThunk,
                new DescFn([a, b, munge_answer](
                               rtc_error err2, const rtc_error_info* info2,
                               const rtc_session_description* answer) {
                  if (err2 != RTC_OK)
                    return b->Fail(info2->message);
                  rtc_peer_connection_set_local_description(
                      b->pc, answer, VoidThunk, new VoidFn(Check(b)));
                  std::string sdp = answer->sdp;
                  if (munge_answer)
                    munge_answer(sdp);
                  rtc_session_description munged = {answer->type, sdp.c_str()};
                  rtc_peer_connection_set_remote_description(
                      a->pc, &munged, VoidThunk, new VoidFn(Check(a)));
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

  bool WaitOpen() { return WaitOpen(a_, b_); }

  bool WaitOpen(End& a, End& b) {
    return WaitFor(
               [&] {
                 return (a.open_us && b.open_us) || !a.failure.empty() ||
                        !b.failure.empty();
               },
               10 * kSec) &&
           a.failure.empty() && b.failure.empty();
  }

  void Destroy() { Destroy({&a_, &b_, &c_, &d_}); }

  void Destroy(std::initializer_list<End*> ends) {
    Sync([&] {
      for (End* e : ends) {
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
  End c_, d_;  // a second pair
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

// ICE checking -> connected of the slower end of a pair, in ms.
double CheckingToConnectedMs(const End& a, const End& b) {
  return (std::max(a.connected_us - a.checking_us,
                   b.connected_us - b.checking_us)) /
         1000.0;
}

// The browser defaults: host candidates are mDNS names, on the real
// interfaces. A pair that stays connected must not slow down the pairs
// that come after it in the same context (the JS bindings share one
// context per process): each new pair used to wait a second in ICE
// checking, for the retransmission of an mDNS query (RFC 6762 §5.2) whose
// unicast answer had gone to the first pair's socket on port 5353.
TEST_F(LoopbackTest, SecondPairWithMdnsNamesConnectsAsFastAsTheFirst) {
  rtc_network_interface ifaces[32];
  size_t count = 0;
  rtc_interface_filter filter;
  rtc_interface_filter_init(&filter);
  ASSERT_EQ(
      rtc_socket_factory_list_interfaces(rtc_context_socket_factory(context_),
                                         &filter, ifaces, 32, &count),
      RTC_OK);
  if (!std::any_of(ifaces, ifaces + std::min<size_t>(count, 32),
                   [](const rtc_network_interface& i) { return i.multicast; }))
    GTEST_SKIP() << "no multicast interface: mDNS names cannot resolve";
  rtc_configuration config;
  rtc_configuration_init(&config);
  ASSERT_TRUE(config.obfuscate_host_addresses);
  Connect(a_, b_, config);
  ASSERT_TRUE(WaitOpen(a_, b_)) << a_.failure << b_.failure;
  double first = CheckingToConnectedMs(a_, b_);
  const int kRuns = 5;
  std::vector<double> ms;
  for (int i = 0; i < kRuns; i++) {
    Connect(c_, d_, config);
    ASSERT_TRUE(WaitOpen(c_, d_)) << c_.failure << d_.failure;
    ms.push_back(CheckingToConnectedMs(c_, d_));
    EXPECT_LT(ms.back(), 300) << "run " << i;
    Destroy({&c_, &d_});
  }
  // The first pair is still up.
  Sync([&] {
    EXPECT_EQ(rtc_data_channel_ready_state(a_.channel), RTC_DATA_CHANNEL_OPEN);
  });
  std::sort(ms.begin(), ms.end());
  printf(
      "[ measure  ] mDNS candidates, ICE checking -> connected: first pair "
      "%.1f ms; next pairs while it stays open over %d runs: median %.1f ms, "
      "min %.1f ms, max %.1f ms\n",
      first, kRuns, ms[kRuns / 2], ms.front(), ms.back());
}

// webrtc-pc §6.1.1: "When the SCTP association is closed ... set the
// [[SctpTransportState]] slot to "closed"". The peer's close() aborts the
// association (and sends close_notify): our channels get error and close,
// and pc.sctp must say "closed" too, as must its DTLS transport.
TEST_F(LoopbackTest, PeerCloseClosesTheSctpAndDtlsTransports) {
  Connect();
  ASSERT_TRUE(WaitOpen()) << a_.failure << b_.failure;
  Sync([&] {
    rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(a_.pc);
    ASSERT_NE(sctp, nullptr);
    EXPECT_EQ(rtc_pc_sctp_transport_state(sctp), RTC_PC_SCTP_CONNECTED);
    rtc_peer_connection_close(b_.pc);
  });
  ASSERT_TRUE(WaitFor([&] { return a_.channel_closed; }, 5 * kSec));
  // The ABORT's error reached the channel first.
  Sync([&] { EXPECT_NE(a_.failure.find("channel error"), std::string::npos); });
  ASSERT_TRUE(WaitFor(
      [&] {
        rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(a_.pc);
        return rtc_pc_sctp_transport_state(sctp) == RTC_PC_SCTP_CLOSED &&
               rtc_pc_dtls_transport_state(
                   rtc_pc_sctp_transport_transport(sctp)) == RTC_DTLS_CLOSED;
      },
      5 * kSec));
}

// ... and by the time the channels fire error and close, pc.sctp says
// "closed" already: the association's end is why they close.
TEST_F(LoopbackTest, ChannelsSeeTheSctpTransportClosedWhenThePeerAborts) {
  Connect();
  ASSERT_TRUE(WaitOpen()) << a_.failure << b_.failure;
  Sync([&] { rtc_peer_connection_close(b_.pc); });
  ASSERT_TRUE(WaitFor([&] { return a_.channel_closed; }, 5 * kSec));
  Sync([&] {
    EXPECT_EQ(a_.sctp_at_error, RTC_PC_SCTP_CLOSED);
    EXPECT_EQ(a_.sctp_at_close, RTC_PC_SCTP_CLOSED);
  });
}

// libwebrtc's SctpTransport::OnDtlsStateChange does the same: the SCTP
// association rides the DTLS one, and DTLS is over.
class DtlsEndTest : public LoopbackTest {
 protected:
  void SetUp() override {
    LoopbackTest::SetUp();
    filter_ =
        std::make_unique<AppDataFilter>(rtc_context_socket_factory(context_));
    rtc_context_config cc;
    rtc_context_config_init(&cc);
    cc.socket_factory = &filter_->base;
    ASSERT_EQ(rtc_context_create(&cc, &filtered_), RTC_OK);
  }
  void TearDown() override {
    Destroy();
    rtc_context_destroy(filtered_);
    LoopbackTest::TearDown();
  }

  rtc_dtls_state DtlsState(End& e) {
    rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(e.pc);
    return sctp ? rtc_pc_dtls_transport_state(
                      rtc_pc_sctp_transport_transport(sctp))
                : RTC_DTLS_NEW;
  }

  std::unique_ptr<AppDataFilter> filter_;
  rtc_context* filtered_ = nullptr;
};

// DTLS is up, SCTP never got through (its packets are dropped), and the
// peer closes: only its close_notify arrives (RFC 5246 §7.2.1). The SCTP
// transport must not stay "connecting", nor the channel "connecting".
TEST_F(DtlsEndTest, PeerCloseNotifyClosesTheSctpTransportThatNeverConnected) {
  Connect(a_, b_, LoopbackConfig(), nullptr, filtered_);
  ASSERT_TRUE(WaitFor(
      [&] {
        return DtlsState(a_) == RTC_DTLS_CONNECTED &&
               DtlsState(b_) == RTC_DTLS_CONNECTED;
      },
      5 * kSec));
  Sync([&] {
    EXPECT_EQ(a_.SctpState(), RTC_PC_SCTP_CONNECTING);
    rtc_peer_connection_close(b_.pc);
  });
  ASSERT_TRUE(
      WaitFor([&] { return DtlsState(a_) == RTC_DTLS_CLOSED; }, 5 * kSec));
  EXPECT_TRUE(
      WaitFor([&] { return a_.SctpState() == RTC_PC_SCTP_CLOSED; }, 2 * kSec));
  // The channel that waited for the association is closed, with the
  // error of the failed transport.
  EXPECT_TRUE(WaitFor([&] { return a_.channel_closed; }, 2 * kSec));
  Sync([&] {
    EXPECT_EQ(rtc_data_channel_ready_state(a_.channel),
              RTC_DATA_CHANNEL_CLOSED);
    EXPECT_EQ(a_.sctp_at_close, RTC_PC_SCTP_CLOSED);
  });
}

// The same when the association was up and its ABORT was lost: only the
// close_notify arrives.
TEST_F(DtlsEndTest, PeerCloseNotifyClosesAConnectedSctpTransport) {
  filter_->drop = false;
  Connect(a_, b_, LoopbackConfig(), nullptr, filtered_);
  ASSERT_TRUE(WaitOpen()) << a_.failure << b_.failure;
  filter_->drop = true;
  Sync([&] { rtc_peer_connection_close(b_.pc); });
  ASSERT_TRUE(
      WaitFor([&] { return DtlsState(a_) == RTC_DTLS_CLOSED; }, 5 * kSec));
  EXPECT_TRUE(
      WaitFor([&] { return a_.SctpState() == RTC_PC_SCTP_CLOSED; }, 2 * kSec));
  EXPECT_TRUE(WaitFor([&] { return a_.channel_closed; }, 2 * kSec));
  Sync([&] { EXPECT_EQ(a_.sctp_at_close, RTC_PC_SCTP_CLOSED); });
}

// A DTLS failure (here: the answer names another certificate) leaves no
// way for SCTP to connect either.
TEST_F(LoopbackTest, DtlsFailureClosesTheSctpTransport) {
  Connect(a_, b_, LoopbackConfig(), nullptr, nullptr, [](std::string& sdp) {
    size_t at = sdp.find("a=fingerprint:sha-256 ");
    ASSERT_NE(at, std::string::npos);
    char& digit = sdp[at + strlen("a=fingerprint:sha-256 ")];
    digit = digit == '0' ? '1' : '0';
  });
  ASSERT_TRUE(WaitFor(
      [&] {
        rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(a_.pc);
        return sctp &&
               rtc_pc_dtls_transport_state(
                   rtc_pc_sctp_transport_transport(sctp)) == RTC_DTLS_FAILED;
      },
      5 * kSec));
  EXPECT_TRUE(
      WaitFor([&] { return a_.SctpState() == RTC_PC_SCTP_CLOSED; }, 2 * kSec));
  EXPECT_TRUE(WaitFor([&] { return a_.channel_closed; }, 2 * kSec));
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

// --- TURN: a real coturn on loopback ---

// Relay-only connections (iceTransportPolicy "relay") through coturn, with
// the context trusting the CA that signed coturn's TLS certificate.
class TurnLoopbackTest : public LoopbackTest {
 protected:
  static void SetUpTestSuite() {
    coturn_ = new rtc_test::Coturn;
    if (!coturn_->Start(&why_)) {
      delete coturn_;
      coturn_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete coturn_;
    coturn_ = nullptr;
  }
  void SetUp() override {
    if (!coturn_)
      GTEST_SKIP() << why_;
    LoopbackTest::SetUp();
    rtc_context_config cc;
    rtc_context_config_init(&cc);
    ca_ = coturn_->ca_file();
    cc.tls_ca_file = ca_.c_str();
    ASSERT_EQ(rtc_context_create(&cc, &turn_context_), RTC_OK);
  }
  void TearDown() override {
    if (!coturn_)
      return;
    Destroy();
    rtc_context_destroy(turn_context_);
    LoopbackTest::TearDown();
  }

  // "turn:127.0.0.1:<port>?transport=udp", "...tcp", or
  // "turns:127.0.0.1:<tls port>".
  static std::string Url(const std::string& transport) {
    if (transport == "tls")
      return "turns:127.0.0.1:" + std::to_string(coturn_->tls_port());
    return "turn:127.0.0.1:" + std::to_string(coturn_->port()) +
           "?transport=" + transport;
  }

  // A relay-only configuration with one TURN server (url_ must stay).
  rtc_configuration RelayConfig(const std::string& transport,
                                const char* credential) {
    url_ = Url(transport);
    url_ptr_ = url_.c_str();
    server_ = {&url_ptr_, 1, rtc_test::kTurnUser, credential};
    rtc_configuration config = LoopbackConfig();
    config.ice_servers = &server_;
    config.ice_server_count = 1;
    config.ice_transport_policy = RTC_ICE_POLICY_RELAY;
    return config;
  }

  void RunRelayOnly(const std::string& transport) {
    rtc_configuration config = RelayConfig(transport, rtc_test::kTurnPassword);
    const int kRuns = 5;
    std::vector<double> ms;
    for (int run = 0; run < kRuns; run++) {
      int64_t start = Connect(a_, b_, config, nullptr, turn_context_);
      ASSERT_TRUE(WaitOpen()) << a_.failure << b_.failure;
      ms.push_back((std::max(a_.open_us, b_.open_us) - start) / 1000.0);
      Sync([&] {
        for (End* e : {&a_, &b_}) {
          EXPECT_FALSE(e->candidates.empty());
          for (const std::string& c : e->candidates) {
            EXPECT_NE(c.find(" typ relay raddr 0.0.0.0 rport 0"),
                      std::string::npos)
                << c;
          }
          EXPECT_TRUE(e->candidate_errors.empty());
        }
        for (int i = 0; i < 20; i++) {
          std::string m = "a to b " + std::to_string(i);
          EXPECT_EQ(rtc_data_channel_send(
                        a_.channel, false,
                        reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                    RTC_OK);
          m = "b to a " + std::to_string(i);
          EXPECT_EQ(rtc_data_channel_send(
                        b_.channel, false,
                        reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                    RTC_OK);
        }
      });
      ASSERT_TRUE(WaitFor(
          [&] { return a_.messages.size() == 20 && b_.messages.size() == 20; },
          5 * kSec));
      // webrtc-stats: the local relayed candidate names its server and the
      // protocol that reaches it.
      std::string stats;
      Sync([&] {
        rtc_peer_connection_get_stats(
            a_.pc,
            [](void* u, const char* json) {
              *static_cast<std::string*>(u) = json;
            },
            &stats);
      });
      ASSERT_TRUE(WaitFor([&] { return !stats.empty(); }, 5 * kSec));
      std::string protocol = transport == "tls" ? "tls" : transport;
      EXPECT_NE(stats.find("\"url\":\"" + Url(transport) + "\""),
                std::string::npos)
          << stats;
      EXPECT_NE(stats.find("\"relayProtocol\":\"" + protocol + "\""),
                std::string::npos)
          << stats;
      Sync([&] {
        for (int i = 0; i < 20; i++) {
          EXPECT_EQ(b_.messages[i], "a to b " + std::to_string(i));
          EXPECT_EQ(a_.messages[i], "b to a " + std::to_string(i));
        }
      });
      Destroy();
    }
    std::sort(ms.begin(), ms.end());
    printf(
        "[ measure  ] relay-only (TURN over %s, coturn on loopback) "
        "createOffer -> channel open over %d runs: median %.1f ms, min %.1f "
        "ms, max %.1f ms\n",
        transport.c_str(), kRuns, ms[kRuns / 2], ms.front(), ms.back());
  }

  static rtc_test::Coturn* coturn_;
  static std::string why_;
  rtc_context* turn_context_ = nullptr;
  std::string ca_, url_;
  const char* url_ptr_ = nullptr;
  rtc_ice_server server_{};
};

rtc_test::Coturn* TurnLoopbackTest::coturn_ = nullptr;
std::string TurnLoopbackTest::why_;

TEST_F(TurnLoopbackTest, RelayOnlyDataChannelOverUdp) {
  RunRelayOnly("udp");
}

TEST_F(TurnLoopbackTest, RelayOnlyDataChannelOverTcp) {
  RunRelayOnly("tcp");
}

TEST_F(TurnLoopbackTest, RelayOnlyDataChannelOverTls) {
  RunRelayOnly("tls");
}

// Wrong credentials: coturn's 401 to the authenticated Allocate ends in an
// icecandidateerror with errorCode 401 and the server's URL; gathering
// still completes, with no candidate.
TEST_F(TurnLoopbackTest, WrongCredentialsFireIceCandidateError401) {
  for (const char* transport : {"udp", "tcp", "tls"}) {
    rtc_configuration config = RelayConfig(transport, "not-the-password");
    a_ = End();
    a_.name = "a";
    Sync([&] {
      rtc_error_info info;
      ASSERT_EQ(rtc_peer_connection_create(turn_context_, signaling_, &config,
                                           &kObserver, &a_, &a_.pc, &info),
                RTC_OK);
      ASSERT_EQ(rtc_peer_connection_create_data_channel(a_.pc, "chat", nullptr,
                                                        &a_.channel, &info),
                RTC_OK);
      End* a = &a_;
      rtc_peer_connection_create_offer(
          a->pc, nullptr, DescThunk,
          new DescFn([a](rtc_error err, const rtc_error_info* i,
                         const rtc_session_description* offer) {
            if (err != RTC_OK)
              return a->Fail(i->message);
            rtc_peer_connection_set_local_description(a->pc, offer, VoidThunk,
                                                      new VoidFn(Check(a)));
          }));
    });
    ASSERT_TRUE(WaitFor([&] { return a_.gathering_complete; }, 10 * kSec))
        << transport;
    Sync([&] {
      EXPECT_TRUE(a_.candidates.empty());
      ASSERT_EQ(a_.candidate_errors.size(), 1u) << transport;
      EXPECT_EQ(a_.candidate_errors[0].rfind("401 " + Url(transport) + " ", 0),
                0u)
          << a_.candidate_errors[0];
    });
    Destroy({&a_});
  }
}

}  // namespace
