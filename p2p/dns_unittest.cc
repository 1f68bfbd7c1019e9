// Tests of name resolution (p2p/socket_factory.h, "Name resolution"):
// the checks of rtc_socket_factory_resolve(), the kernel factory's
// getaddrinfo() workers, and the simulated network's DNS.
//
// The kernel tests run a real event loop as the requests' queue and wait
// on condition variables, never sleep, with bounded waits. They need no
// network: "localhost" comes from /etc/hosts, ".invalid" names are
// answered without a lookup (RFC 6761 §6.4), and everything about the
// workers (limits, cancellation while getaddrinfo() runs) uses a fake
// getaddrinfo() that blocks until the test opens a gate.

#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "p2p/socket_factory.h"
#include "p2p/system_factory_internal.h"
#include "p2p/udp_socket.h"
#include "rtc_base/alloc.h"
#include "rtc_base/event_loop.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"
#include "test/network/sim_network.h"

namespace {

constexpr auto kWait = std::chrono::seconds(10);

rtc_socket_address Ip(const std::string& text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_ip_address_parse(text.data(), text.size(), &a), RTC_OK) << text;
  return a;
}

std::string Format(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_ip_address_format(&a, buf, sizeof(buf));
  return buf;
}

std::vector<std::string> Formatted(const rtc_resolve_result& r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r.count; i++)
    out.push_back(Format(r.addresses[i]));
  return out;
}

// Answers, collected from whichever thread delivers them.
struct Answers {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<rtc_resolve_result> results;
  std::vector<void*> users;
  rtc_task_queue* expected_queue = nullptr;
  bool wrong_queue = false;

  static void Callback(void* user, const rtc_resolve_result* result) {
    auto* self = static_cast<Answers*>(user);
    self->Add(self, result);
  }
  void Add(void* user, const rtc_resolve_result* result) {
    std::lock_guard<std::mutex> lock(mu);
    if (expected_queue && !rtc_task_queue_is_current(expected_queue))
      wrong_queue = true;
    results.push_back(*result);
    users.push_back(user);
    cv.notify_all();
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu);
    return results.size();
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kWait, [&] { return results.size() >= n; });
  }
};

// --- The checks (no lookup at all) ---

TEST(ResolveCheckHost, AcceptsHostNames) {
  rtc_resolve_host_kind kind;
  rtc_socket_address literal;
  std::string longest;  // 253 characters: 3 x 63 + 3 dots + 61
  for (int i = 0; i < 3; i++)
    longest += std::string(63, 'a') + ".";
  longest += std::string(61, 'b');
  ASSERT_EQ(longest.size(), 253u);
  for (const std::string& name :
       {std::string("turn.example.com"), std::string("TURN.Example.COM."),
        std::string("stun"), std::string("a-b.c-d.example"),
        std::string("3com.example"), std::string("x.123abc"),
        std::string(63, 'a') + ".example", longest, longest + "."}) {
    EXPECT_EQ(rtc_resolve_check_host(name.c_str(), &kind, &literal), RTC_OK)
        << name;
    EXPECT_EQ(kind, RTC_RESOLVE_HOST_NAME) << name;
    EXPECT_EQ(literal.family, RTC_AF_UNSPEC);
  }
}

TEST(ResolveCheckHost, RejectsWhatIsNotAHostName) {
  rtc_resolve_host_kind kind;
  rtc_socket_address literal;
  std::string too_long;  // 255 characters
  for (int i = 0; i < 3; i++)
    too_long += std::string(63, 'a') + ".";
  too_long += std::string(63, 'b');
  ASSERT_EQ(too_long.size(), 255u);
  for (const std::string& name :
       {std::string(""), std::string("."), std::string(".."),
        std::string("-a.example"), std::string("a-.example"),
        std::string("a..example"), std::string(".example"),
        std::string("a b.example"), std::string("under_score.example"),
        std::string("host:3478"), std::string("[2001:db8::1]"),
        std::string("ex%61mple.com"), std::string("caf\xc3\xa9.example"),
        std::string(64, 'a') + ".example", too_long, too_long.substr(0, 254),
        // Names that end in a number are IPv4 addresses to inet_aton().
        std::string("127.1"), std::string("0x7f000001"),
        std::string("0X7F.0.0.1"), std::string("1.2.3.4.5"),
        std::string("example.123"), std::string("example.0x")}) {
    EXPECT_EQ(rtc_resolve_check_host(name.c_str(), &kind, &literal),
              RTC_ERR_INVALID_ARGUMENT)
        << name;
  }
  EXPECT_EQ(rtc_resolve_check_host(nullptr, &kind, &literal),
            RTC_ERR_INVALID_ARGUMENT);
}

TEST(ResolveCheckHost, RefusesLocalNames) {
  rtc_resolve_host_kind kind;
  rtc_socket_address literal;
  for (const char* name : {"printer.local", "PRINTER.LOCAL.", "local",
                           "1f5b4ab6-0c1e-4d5e-9b1a-4b8c3f0e2d7a.local"}) {
    EXPECT_EQ(rtc_resolve_check_host(name, &kind, &literal),
              RTC_ERR_NOT_ALLOWED)
        << name;
  }
  // Only the last label counts.
  EXPECT_EQ(rtc_resolve_check_host("local.example", &kind, &literal), RTC_OK);
}

TEST(ResolveCheckHost, ClassesLiteralsAndInvalidNames) {
  rtc_resolve_host_kind kind;
  rtc_socket_address literal;
  ASSERT_EQ(rtc_resolve_check_host("192.0.2.1", &kind, &literal), RTC_OK);
  EXPECT_EQ(kind, RTC_RESOLVE_HOST_IP_LITERAL);
  EXPECT_EQ(Format(literal), "192.0.2.1");
  ASSERT_EQ(rtc_resolve_check_host("2001:DB8::1", &kind, &literal), RTC_OK);
  EXPECT_EQ(kind, RTC_RESOLVE_HOST_IP_LITERAL);
  EXPECT_EQ(Format(literal), "2001:db8::1");
  ASSERT_EQ(rtc_resolve_check_host("no-such.INVALID.", &kind, &literal),
            RTC_OK);
  EXPECT_EQ(kind, RTC_RESOLVE_HOST_INVALID_TLD);
}

// A factory that has no resolver.
TEST(SocketFactoryResolve, FactoryWithoutResolverIsNotSupported) {
  rtc_socket_factory_vtable vtable = {};
  rtc_socket_factory factory = {&vtable};
  rtc_sim_time* time;
  rtc_task_queue* queue;
  ASSERT_EQ(rtc_sim_time_create(0, &time), RTC_OK);
  ASSERT_EQ(rtc_sim_time_create_queue(time, "q", &queue), RTC_OK);
  Answers answers;
  rtc_resolve_request* req = reinterpret_cast<rtc_resolve_request*>(1);
  EXPECT_EQ(
      rtc_socket_factory_resolve(&factory, queue, "turn.example", RTC_AF_UNSPEC,
                                 Answers::Callback, &answers, &req),
      RTC_ERR_NOT_SUPPORTED);
  EXPECT_EQ(req, nullptr);
  rtc_sim_time_run_until_idle(time);
  EXPECT_EQ(answers.Count(), 0u);
  rtc_task_queue_destroy(queue);
  rtc_sim_time_destroy(time);
}

// --- The kernel factory ---

// A fake getaddrinfo(): "host-N.test" is 10.0.0.N; "dup.test" has
// duplicates and more than RTC_RESOLVE_MAX_ADDRESSES addresses;
// "eai-<code>.test" fails with that code. Blocks while the gate is closed.
struct FakeResolver {
  std::mutex mu;
  std::condition_variable cv;
  bool gate_open = true;
  int calls = 0;
  int inside = 0;
  int returned = 0;
  std::vector<int> families;
};

FakeResolver* g_fake = nullptr;

addrinfo* NewAddrinfo(const rtc_socket_address& a, addrinfo* next) {
  auto* ai = static_cast<addrinfo*>(calloc(1, sizeof(addrinfo)));
  auto* ss =
      static_cast<sockaddr_storage*>(calloc(1, sizeof(sockaddr_storage)));
  ai->ai_addrlen = rtc_socket_address_to_sockaddr(&a, ss);
  ai->ai_addr = reinterpret_cast<sockaddr*>(ss);
  ai->ai_family = ss->ss_family;
  ai->ai_socktype = SOCK_DGRAM;
  ai->ai_next = next;
  return ai;
}

int FakeGetaddrinfo(const char* node,
                    const char* /*service*/,
                    const addrinfo* hints,
                    addrinfo** res) {
  FakeResolver* f = g_fake;
  {
    std::unique_lock<std::mutex> lock(f->mu);
    f->calls++;
    f->inside++;
    f->families.push_back(hints->ai_family);
    f->cv.notify_all();
    f->cv.wait(lock, [&] { return f->gate_open; });
    f->inside--;
  }
  EXPECT_EQ(hints->ai_socktype, SOCK_DGRAM);
  EXPECT_EQ(hints->ai_flags, AI_ADDRCONFIG);
  std::string name(node);
  int n = 0;
  int rc = 0;
  *res = nullptr;
  if (sscanf(name.c_str(), "host-%d.test", &n) == 1) {
    *res = NewAddrinfo(Ip("10.0.0." + std::to_string(n)), nullptr);
  } else if (name == "dup.test") {
    const char* list[] = {"2001:db8::1", "192.0.2.1", "2001:db8::1",
                          "192.0.2.2",   "192.0.2.1", "192.0.2.3",
                          "192.0.2.4",   "192.0.2.5", "192.0.2.6",
                          "192.0.2.7",   "192.0.2.8", "192.0.2.9"};
    for (int i = 11; i >= 0; i--)
      *res = NewAddrinfo(Ip(list[i]), *res);
  } else if (sscanf(name.c_str(), "eai%d.test", &n) == 1) {
    rc = -n;
  } else {
    rc = EAI_NONAME;
  }
  {
    std::lock_guard<std::mutex> lock(f->mu);
    f->returned++;
    f->cv.notify_all();
  }
  return rc;
}

void FakeFreeaddrinfo(addrinfo* list) {
  while (list) {
    addrinfo* next = list->ai_next;
    free(list->ai_addr);
    free(list);
    list = next;
  }
}

class KernelResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_event_loop_create("dns-test", &queue_), RTC_OK);
    ASSERT_EQ(rtc_system_socket_factory_create(&factory_), RTC_OK);
    answers_.expected_queue = queue_;
  }
  void TearDown() override {
    // Joins the workers (a cancelled lookup may still be running).
    OpenGate();
    rtc_system_socket_factory_destroy(factory_);
    factory_ = nullptr;
    // Whatever the workers posted has run (or been dropped) once a task
    // posted now has run: nothing may have been answered after a cancel.
    RunOnQueue([] {});
    rtc_task_queue_destroy(queue_);
    g_fake = nullptr;
  }

  void UseFake() {
    g_fake = &fake_;
    rtc_system_socket_factory_set_getaddrinfo(factory_, FakeGetaddrinfo,
                                              FakeFreeaddrinfo);
  }
  void CloseGate() {
    std::lock_guard<std::mutex> lock(fake_.mu);
    fake_.gate_open = false;
  }
  void OpenGate() {
    std::lock_guard<std::mutex> lock(fake_.mu);
    fake_.gate_open = true;
    fake_.cv.notify_all();
  }
  bool WaitInside(int n) {
    std::unique_lock<std::mutex> lock(fake_.mu);
    return fake_.cv.wait_for(lock, kWait, [&] { return fake_.inside == n; });
  }
  bool WaitReturned(int n) {
    std::unique_lock<std::mutex> lock(fake_.mu);
    return fake_.cv.wait_for(lock, kWait, [&] { return fake_.returned == n; });
  }
  int FakeCalls() {
    std::lock_guard<std::mutex> lock(fake_.mu);
    return fake_.calls;
  }

  // Runs fn on the queue's thread and waits for it.
  void RunOnQueue(std::function<void()> fn) {
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
                       c->cv.notify_all();
                     },
                     nullptr, &call};
    ASSERT_EQ(rtc_task_queue_post(queue_, task), RTC_OK);
    std::unique_lock<std::mutex> lock(call.mu);
    ASSERT_TRUE(call.cv.wait_for(lock, kWait, [&] { return call.done; }));
  }

  rtc_error Resolve(const char* host,
                    rtc_address_family family,
                    rtc_resolve_request** req) {
    return rtc_socket_factory_resolve(factory_, queue_, host, family,
                                      Answers::Callback, &answers_, req);
  }

  rtc_resolve_result ResolveAndWait(const char* host,
                                    rtc_address_family family) {
    rtc_resolve_request* req = nullptr;
    size_t before = answers_.Count();
    EXPECT_EQ(Resolve(host, family, &req), RTC_OK) << host;
    EXPECT_NE(req, nullptr);
    EXPECT_TRUE(answers_.WaitFor(before + 1)) << host;
    std::lock_guard<std::mutex> lock(answers_.mu);
    return answers_.results.back();
  }

  rtc_system_resolver_stats Stats() {
    rtc_system_resolver_stats s;
    rtc_system_socket_factory_resolver_stats(factory_, &s);
    return s;
  }

  rtc_task_queue* queue_ = nullptr;
  rtc_socket_factory* factory_ = nullptr;
  Answers answers_;
  FakeResolver fake_;
};

TEST_F(KernelResolveTest, LocalhostResolvesToLoopbackOnTheQueue) {
  rtc_resolve_result r = ResolveAndWait("localhost", RTC_AF_UNSPEC);
  ASSERT_EQ(r.error, RTC_OK);
  ASSERT_GE(r.count, 1u);
  for (size_t i = 0; i < r.count; i++) {
    EXPECT_TRUE(rtc_socket_address_is_loopback(&r.addresses[i]))
        << Format(r.addresses[i]);
    EXPECT_EQ(r.addresses[i].port, 0);
    for (size_t j = 0; j < i; j++)
      EXPECT_FALSE(rtc_ip_address_equal(&r.addresses[i], &r.addresses[j]));
  }
  EXPECT_FALSE(answers_.wrong_queue);
  // Each family alone gives only that family: 127.0.0.1 and/or ::1,
  // whichever /etc/hosts lists.
  for (rtc_address_family family : {RTC_AF_INET, RTC_AF_INET6}) {
    r = ResolveAndWait("localhost", family);
    if (r.error == RTC_ERR_NOT_FOUND)
      continue;
    ASSERT_EQ(r.error, RTC_OK);
    for (size_t i = 0; i < r.count; i++) {
      EXPECT_EQ(r.addresses[i].family, family);
      EXPECT_TRUE(rtc_socket_address_is_loopback(&r.addresses[i]));
    }
  }
  EXPECT_EQ(Stats().requests, 0u);
}

TEST_F(KernelResolveTest, IpLiteralsResolveToThemselvesWithoutLookup) {
  UseFake();
  rtc_resolve_result r = ResolveAndWait("192.0.2.7", RTC_AF_UNSPEC);
  ASSERT_EQ(r.error, RTC_OK);
  EXPECT_EQ(Formatted(r), std::vector<std::string>{"192.0.2.7"});
  r = ResolveAndWait("2001:db8::7", RTC_AF_INET6);
  ASSERT_EQ(r.error, RTC_OK);
  EXPECT_EQ(Formatted(r), std::vector<std::string>{"2001:db8::7"});
  // Not of the family asked for.
  r = ResolveAndWait("192.0.2.7", RTC_AF_INET6);
  EXPECT_EQ(r.error, RTC_ERR_NOT_FOUND);
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(FakeCalls(), 0);
  EXPECT_EQ(Stats().threads, 0u);
  EXPECT_FALSE(answers_.wrong_queue);
}

TEST_F(KernelResolveTest, InvalidNamesAreRejectedWithoutCallback) {
  UseFake();
  for (const char* host : {"", "a..b", "-turn.example", "turn_1.example",
                           "127.1", "0x7f000001", "[::1]", "host:3478"}) {
    rtc_resolve_request* req = reinterpret_cast<rtc_resolve_request*>(1);
    EXPECT_EQ(Resolve(host, RTC_AF_UNSPEC, &req), RTC_ERR_INVALID_ARGUMENT)
        << host;
    EXPECT_EQ(req, nullptr);
  }
  rtc_resolve_request* req = nullptr;
  EXPECT_EQ(Resolve(nullptr, RTC_AF_UNSPEC, &req), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(Resolve("turn.example", static_cast<rtc_address_family>(5), &req),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_socket_factory_resolve(factory_, queue_, "turn.example",
                                       RTC_AF_UNSPEC, nullptr, nullptr, &req),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_socket_factory_resolve(factory_, nullptr, "turn.example",
                                       RTC_AF_UNSPEC, Answers::Callback,
                                       &answers_, &req),
            RTC_ERR_INVALID_ARGUMENT);
  RunOnQueue([] {});
  EXPECT_EQ(answers_.Count(), 0u);
  EXPECT_EQ(FakeCalls(), 0);
}

TEST_F(KernelResolveTest, LocalNamesAreRefused) {
  UseFake();
  rtc_resolve_request* req = nullptr;
  EXPECT_EQ(Resolve("1f5b4ab6-0c1e-4d5e-9b1a-4b8c3f0e2d7a.local", RTC_AF_UNSPEC,
                    &req),
            RTC_ERR_NOT_ALLOWED);
  EXPECT_EQ(Resolve("printer.LOCAL.", RTC_AF_INET, &req), RTC_ERR_NOT_ALLOWED);
  EXPECT_EQ(req, nullptr);
  RunOnQueue([] {});
  EXPECT_EQ(answers_.Count(), 0u);
  EXPECT_EQ(FakeCalls(), 0);
}

// With the real getaddrinfo(): ".invalid" names are answered NOT_FOUND
// without asking anyone (RFC 6761 §6.4), so the answer does not depend on
// resolv.conf or on a DNS server being reachable.
TEST_F(KernelResolveTest, InvalidTldIsNotFoundWithoutLookup) {
  rtc_resolve_result r = ResolveAndWait("no-such-host.invalid", RTC_AF_UNSPEC);
  EXPECT_EQ(r.error, RTC_ERR_NOT_FOUND);
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(Stats().threads, 0u);  // no worker was needed
  UseFake();
  r = ResolveAndWait("TURN.Example.INVALID.", RTC_AF_INET);
  EXPECT_EQ(r.error, RTC_ERR_NOT_FOUND);
  EXPECT_EQ(FakeCalls(), 0);
}

TEST_F(KernelResolveTest, PassesTheFamilyAndKeepsTheOrder) {
  UseFake();
  rtc_resolve_result r = ResolveAndWait("host-9.test", RTC_AF_INET);
  ASSERT_EQ(r.error, RTC_OK);
  EXPECT_EQ(Formatted(r), std::vector<std::string>{"10.0.0.9"});
  r = ResolveAndWait("dup.test", RTC_AF_UNSPEC);
  ASSERT_EQ(r.error, RTC_OK);
  // Duplicates dropped, order kept, at most RTC_RESOLVE_MAX_ADDRESSES.
  EXPECT_EQ(Formatted(r),
            (std::vector<std::string>{"2001:db8::1", "192.0.2.1", "192.0.2.2",
                                      "192.0.2.3", "192.0.2.4", "192.0.2.5",
                                      "192.0.2.6", "192.0.2.7"}));
  ResolveAndWait("host-1.test", RTC_AF_INET6);
  std::lock_guard<std::mutex> lock(fake_.mu);
  EXPECT_EQ(fake_.families, (std::vector<int>{AF_INET, AF_UNSPEC, AF_INET6}));
}

TEST_F(KernelResolveTest, GetaddrinfoErrorsBecomeResultCodes) {
  UseFake();
  struct {
    int eai;
    rtc_error error;
  } cases[] = {{EAI_NONAME, RTC_ERR_NOT_FOUND}, {EAI_NODATA, RTC_ERR_NOT_FOUND},
               {EAI_AGAIN, RTC_ERR_NETWORK},    {EAI_FAIL, RTC_ERR_NETWORK},
               {EAI_MEMORY, RTC_ERR_NO_MEMORY}, {EAI_SYSTEM, RTC_ERR_IO}};
  for (const auto& c : cases) {
    std::string name = "eai" + std::to_string(-c.eai) + ".test";
    rtc_resolve_result r = ResolveAndWait(name.c_str(), RTC_AF_UNSPEC);
    EXPECT_EQ(r.error, c.error) << name;
    EXPECT_EQ(r.count, 0u);
  }
}

// Cancelled while getaddrinfo() runs: the result is dropped, never
// delivered, and the request is freed once the worker is done (the test
// main checks that nothing leaks; run under ASan and TSan).
TEST_F(KernelResolveTest, CancelWhileLookingUpNeverCallsBack) {
  UseFake();
  CloseGate();
  rtc_resolve_request* req = nullptr;
  ASSERT_EQ(Resolve("host-1.test", RTC_AF_UNSPEC, &req), RTC_OK);
  ASSERT_TRUE(WaitInside(1));
  RunOnQueue([&] { rtc_resolve_request_cancel(req); });
  EXPECT_EQ(Stats().requests, 0u);
  EXPECT_EQ(Stats().running, 1u);  // getaddrinfo() cannot be stopped
  OpenGate();
  ASSERT_TRUE(WaitReturned(1));
  // A later lookup on the same worker is answered; the cancelled one not.
  rtc_resolve_result r = ResolveAndWait("host-2.test", RTC_AF_UNSPEC);
  EXPECT_EQ(Formatted(r), std::vector<std::string>{"10.0.0.2"});
  RunOnQueue([] {});
  EXPECT_EQ(answers_.Count(), 1u);
}

// Cancelled after the worker posted the answer but before it ran: the
// answer task finds the request cancelled.
TEST_F(KernelResolveTest, CancelAfterTheAnswerWasPostedNeverCallsBack) {
  UseFake();
  rtc_resolve_request* req = nullptr;
  // Hold the queue in a task while the lookup completes and posts.
  RunOnQueue([&] {
    ASSERT_EQ(Resolve("host-3.test", RTC_AF_UNSPEC, &req), RTC_OK);
    ASSERT_TRUE(WaitReturned(1));
    // The worker posts right after getaddrinfo() returns; wait until it
    // has let go of the request (no lookup waiting nor running).
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (Stats().running != 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    ASSERT_EQ(Stats().running, 0u);
    rtc_resolve_request_cancel(req);
  });
  RunOnQueue([] {});
  EXPECT_EQ(answers_.Count(), 0u);
}

TEST_F(KernelResolveTest, CancelWhileWaitingForAWorkerFreesAtOnce) {
  UseFake();
  CloseGate();
  std::vector<rtc_resolve_request*> reqs(RTC_SYSTEM_RESOLVER_THREADS + 1);
  for (size_t i = 0; i < reqs.size(); i++) {
    std::string name = "host-" + std::to_string(i + 1) + ".test";
    ASSERT_EQ(Resolve(name.c_str(), RTC_AF_UNSPEC, &reqs[i]), RTC_OK);
  }
  ASSERT_TRUE(WaitInside(RTC_SYSTEM_RESOLVER_THREADS));
  EXPECT_EQ(Stats().waiting, 1u);
  int64_t freed = 0;
  RunOnQueue([&] {
    int64_t live = rtc_alloc_live_count();
    rtc_resolve_request_cancel(reqs.back());
    freed = live - rtc_alloc_live_count();
  });
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(Stats().waiting, 0u);
  OpenGate();
  ASSERT_TRUE(answers_.WaitFor(RTC_SYSTEM_RESOLVER_THREADS));
  RunOnQueue([] {});
  EXPECT_EQ(answers_.Count(), size_t{RTC_SYSTEM_RESOLVER_THREADS});
  EXPECT_EQ(FakeCalls(), RTC_SYSTEM_RESOLVER_THREADS);
}

TEST_F(KernelResolveTest, ManyLookupsRespectTheLimits) {
  UseFake();
  CloseGate();
  const size_t n = RTC_SYSTEM_RESOLVER_MAX_LOOKUPS;
  struct Tagged {
    Answers* answers;
    static void Callback(void* user, const rtc_resolve_result* result) {
      static_cast<Tagged*>(user)->answers->Add(user, result);
    }
  };
  std::vector<rtc_resolve_request*> reqs(n);
  std::vector<Tagged> users(n, Tagged{&answers_});
  for (size_t i = 0; i < n; i++) {
    std::string name = "host-" + std::to_string(i + 1) + ".test";
    ASSERT_EQ(rtc_socket_factory_resolve(factory_, queue_, name.c_str(),
                                         RTC_AF_UNSPEC, Tagged::Callback,
                                         &users[i], &reqs[i]),
              RTC_OK);
  }
  rtc_resolve_request* extra = nullptr;
  EXPECT_EQ(Resolve("host-99.test", RTC_AF_UNSPEC, &extra),
            RTC_ERR_WOULD_BLOCK);
  EXPECT_EQ(extra, nullptr);
  ASSERT_TRUE(WaitInside(RTC_SYSTEM_RESOLVER_THREADS));
  rtc_system_resolver_stats s = Stats();
  EXPECT_EQ(s.running, size_t{RTC_SYSTEM_RESOLVER_THREADS});
  EXPECT_EQ(s.waiting, n - RTC_SYSTEM_RESOLVER_THREADS);
  EXPECT_EQ(s.threads, size_t{RTC_SYSTEM_RESOLVER_THREADS});
  EXPECT_EQ(s.requests, n);
  OpenGate();
  ASSERT_TRUE(answers_.WaitFor(n));
  s = Stats();
  EXPECT_EQ(s.peak_running, size_t{RTC_SYSTEM_RESOLVER_THREADS});
  EXPECT_EQ(s.threads, size_t{RTC_SYSTEM_RESOLVER_THREADS});
  EXPECT_EQ(s.requests, 0u);
  // Every answer went to its own request.
  std::lock_guard<std::mutex> lock(answers_.mu);
  for (size_t i = 0; i < answers_.results.size(); i++) {
    size_t index = static_cast<size_t>(static_cast<Tagged*>(answers_.users[i]) -
                                       users.data());
    ASSERT_LT(index, n);
    EXPECT_EQ(Formatted(answers_.results[i]),
              std::vector<std::string>{"10.0.0." + std::to_string(index + 1)});
  }
  EXPECT_FALSE(answers_.wrong_queue);
}

// The limit counts lookups, not requests: a cancelled lookup still
// holding its worker counts until getaddrinfo() returns.
TEST_F(KernelResolveTest, CancelledLookupsHoldTheirWorker) {
  UseFake();
  CloseGate();
  std::vector<rtc_resolve_request*> reqs(RTC_SYSTEM_RESOLVER_THREADS);
  for (size_t i = 0; i < reqs.size(); i++)
    ASSERT_EQ(Resolve("host-1.test", RTC_AF_UNSPEC, &reqs[i]), RTC_OK);
  ASSERT_TRUE(WaitInside(RTC_SYSTEM_RESOLVER_THREADS));
  RunOnQueue([&] {
    for (rtc_resolve_request* req : reqs)
      rtc_resolve_request_cancel(req);
  });
  rtc_resolve_request* req = nullptr;
  ASSERT_EQ(Resolve("host-5.test", RTC_AF_UNSPEC, &req), RTC_OK);
  EXPECT_EQ(Stats().waiting, 1u);
  EXPECT_EQ(Stats().running, size_t{RTC_SYSTEM_RESOLVER_THREADS});
  OpenGate();
  ASSERT_TRUE(answers_.WaitFor(1));
  RunOnQueue([] {});
  ASSERT_EQ(answers_.Count(), 1u);
  EXPECT_EQ(Formatted(answers_.results[0]),
            std::vector<std::string>{"10.0.0.5"});
}

struct CancelInCallback {
  rtc_resolve_request* req = nullptr;
  Answers* answers = nullptr;
  static void Callback(void* user, const rtc_resolve_result* result) {
    auto* self = static_cast<CancelInCallback*>(user);
    rtc_resolve_request_cancel(self->req);  // does nothing
    self->answers->Add(self, result);
  }
};

TEST_F(KernelResolveTest, CancelInsideTheCallbackDoesNothing) {
  UseFake();
  for (const char* host : {"host-4.test", "192.0.2.4"}) {
    CancelInCallback c;
    c.answers = &answers_;
    size_t before = answers_.Count();
    RunOnQueue([&] {
      ASSERT_EQ(
          rtc_socket_factory_resolve(factory_, queue_, host, RTC_AF_UNSPEC,
                                     CancelInCallback::Callback, &c, &c.req),
          RTC_OK);
    });
    ASSERT_TRUE(answers_.WaitFor(before + 1)) << host;
  }
  EXPECT_EQ(Stats().requests, 0u);
}

// --- The simulated network ---

class SimResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "net", &queue_), RTC_OK);
    ASSERT_EQ(rtc_sim_network_create(time_, 1, &net_), RTC_OK);
    rtc_socket_address ip = Ip("198.51.100.2");
    ASSERT_EQ(rtc_sim_network_add_host(net_, nullptr, &ip, &host_), RTC_OK);
    factory_ = rtc_sim_host_socket_factory(host_);
  }
  void TearDown() override {
    rtc_sim_time_run_until_idle(time_);
    EXPECT_EQ(rtc_sim_time_pending_count(time_), 0u);
    rtc_sim_network_destroy(net_);
    rtc_task_queue_destroy(queue_);
    rtc_sim_time_destroy(time_);
  }
  void AddName(const char* name, const char* ip) {
    rtc_socket_address a = Ip(ip);
    ASSERT_EQ(rtc_sim_network_add_dns_name(net_, name, &a), RTC_OK);
  }
  rtc_error Resolve(const char* host,
                    rtc_address_family family,
                    rtc_resolve_request** req) {
    return rtc_socket_factory_resolve(factory_, queue_, host, family,
                                      Answers::Callback, &answers_, req);
  }
  rtc_resolve_result ResolveAndRun(const char* host,
                                   rtc_address_family family) {
    rtc_resolve_request* req = nullptr;
    size_t before = answers_.Count();
    EXPECT_EQ(Resolve(host, family, &req), RTC_OK) << host;
    rtc_sim_time_advance_us(time_, 1000 * 1000);
    EXPECT_EQ(answers_.Count(), before + 1) << host;
    return answers_.results.back();
  }

  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* queue_ = nullptr;
  rtc_sim_network* net_ = nullptr;
  rtc_sim_host* host_ = nullptr;
  rtc_socket_factory* factory_ = nullptr;
  Answers answers_;
};

TEST_F(SimResolveTest, AnswersAfterTheDelayInTheOrderAdded) {
  AddName("turn.example", "2001:db8::3478");
  AddName("turn.example", "203.0.113.5");
  AddName("turn.example", "203.0.113.6");
  AddName("turn.example", "203.0.113.5");  // a repeat: answered once
  AddName("other.example", "203.0.113.9");
  rtc_resolve_request* req = nullptr;
  ASSERT_EQ(Resolve("turn.example", RTC_AF_UNSPEC, &req), RTC_OK);
  ASSERT_NE(req, nullptr);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(answers_.Count(), 0u);  // never inside the call, nor at once
  rtc_sim_time_advance_us(time_, 4999);
  EXPECT_EQ(answers_.Count(), 0u);
  rtc_sim_time_advance_us(time_, 1);
  ASSERT_EQ(answers_.Count(), 1u);
  EXPECT_EQ(answers_.results[0].error, RTC_OK);
  EXPECT_EQ(Formatted(answers_.results[0]),
            (std::vector<std::string>{"2001:db8::3478", "203.0.113.5",
                                      "203.0.113.6"}));
  EXPECT_EQ(rtc_sim_network_dns_query_count(net_), 1u);
}

TEST_F(SimResolveTest, FiltersByFamily) {
  AddName("turn.example", "2001:db8::1");
  AddName("turn.example", "203.0.113.5");
  AddName("v4only.example", "203.0.113.7");
  EXPECT_EQ(Formatted(ResolveAndRun("turn.example", RTC_AF_INET6)),
            std::vector<std::string>{"2001:db8::1"});
  EXPECT_EQ(Formatted(ResolveAndRun("turn.example", RTC_AF_INET)),
            std::vector<std::string>{"203.0.113.5"});
  EXPECT_EQ(ResolveAndRun("v4only.example", RTC_AF_INET6).error,
            RTC_ERR_NOT_FOUND);
}

TEST_F(SimResolveTest, UnknownNamesAreNotFound) {
  AddName("turn.example", "203.0.113.5");
  rtc_resolve_result r = ResolveAndRun("stun.example", RTC_AF_UNSPEC);
  EXPECT_EQ(r.error, RTC_ERR_NOT_FOUND);
  EXPECT_EQ(r.count, 0u);
}

TEST_F(SimResolveTest, NamesCompareWithoutCaseOrFinalDot) {
  AddName("Turn.Example.", "203.0.113.5");
  EXPECT_EQ(Formatted(ResolveAndRun("TURN.example", RTC_AF_UNSPEC)),
            std::vector<std::string>{"203.0.113.5"});
  EXPECT_EQ(Formatted(ResolveAndRun("turn.example.", RTC_AF_UNSPEC)),
            std::vector<std::string>{"203.0.113.5"});
}

TEST_F(SimResolveTest, AtMostMaxAddresses) {
  for (int i = 1; i <= 12; i++)
    AddName("many.example", ("203.0.113." + std::to_string(i)).c_str());
  rtc_resolve_result r = ResolveAndRun("many.example", RTC_AF_UNSPEC);
  ASSERT_EQ(r.count, size_t{RTC_RESOLVE_MAX_ADDRESSES});
  EXPECT_EQ(Format(r.addresses[7]), "203.0.113.8");
}

TEST_F(SimResolveTest, DelayIsConfigurable) {
  AddName("turn.example", "203.0.113.5");
  rtc_sim_network_set_dns_delay(net_, 250 * 1000);
  rtc_resolve_request* req = nullptr;
  ASSERT_EQ(Resolve("turn.example", RTC_AF_UNSPEC, &req), RTC_OK);
  rtc_sim_time_advance_us(time_, 249 * 1000);
  EXPECT_EQ(answers_.Count(), 0u);
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(answers_.Count(), 1u);
  // Zero: at the next turn of the queue, still never inside the call.
  rtc_sim_network_set_dns_delay(net_, 0);
  ASSERT_EQ(Resolve("turn.example", RTC_AF_UNSPEC, &req), RTC_OK);
  EXPECT_EQ(answers_.Count(), 1u);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(answers_.Count(), 2u);
}

TEST_F(SimResolveTest, CancelBeforeTheAnswerNeverCallsBack) {
  AddName("turn.example", "203.0.113.5");
  rtc_resolve_request* req = nullptr;
  ASSERT_EQ(Resolve("turn.example", RTC_AF_UNSPEC, &req), RTC_OK);
  rtc_sim_time_advance_us(time_, 1000);
  int64_t live = rtc_alloc_live_count();
  rtc_resolve_request_cancel(req);
  EXPECT_EQ(rtc_alloc_live_count(), live - 1);  // freed at once
  EXPECT_EQ(rtc_sim_time_pending_count(time_), 0u);
  rtc_sim_time_advance_us(time_, 1000 * 1000);
  EXPECT_EQ(answers_.Count(), 0u);
}

TEST_F(SimResolveTest, NegativeDelayHangsUntilCancelled) {
  AddName("turn.example", "203.0.113.5");
  rtc_sim_network_set_dns_delay(net_, -1);
  rtc_resolve_request* req = nullptr;
  ASSERT_EQ(Resolve("turn.example", RTC_AF_UNSPEC, &req), RTC_OK);
  rtc_sim_time_advance_us(time_, 3600LL * 1000 * 1000);
  EXPECT_EQ(answers_.Count(), 0u);
  rtc_resolve_request_cancel(req);
}

TEST_F(SimResolveTest, LiteralsAndInvalidNamesNeedNoQuery) {
  rtc_resolve_result r = ResolveAndRun("2001:db8::9", RTC_AF_UNSPEC);
  EXPECT_EQ(Formatted(r), std::vector<std::string>{"2001:db8::9"});
  EXPECT_EQ(ResolveAndRun("turn.invalid", RTC_AF_UNSPEC).error,
            RTC_ERR_NOT_FOUND);
  EXPECT_EQ(rtc_sim_network_dns_query_count(net_), 0u);
  // An immediate answer can be cancelled too.
  rtc_resolve_request* req = nullptr;
  ASSERT_EQ(Resolve("192.0.2.1", RTC_AF_UNSPEC, &req), RTC_OK);
  rtc_resolve_request_cancel(req);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(answers_.Count(), 2u);
}

TEST_F(SimResolveTest, LocalAndInvalidNamesAreRejected) {
  rtc_resolve_request* req = nullptr;
  EXPECT_EQ(Resolve("x.local", RTC_AF_UNSPEC, &req), RTC_ERR_NOT_ALLOWED);
  EXPECT_EQ(Resolve("bad..name", RTC_AF_UNSPEC, &req),
            RTC_ERR_INVALID_ARGUMENT);
  rtc_socket_address a = Ip("203.0.113.5");
  EXPECT_EQ(rtc_sim_network_add_dns_name(net_, "x.local", &a),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_sim_network_add_dns_name(net_, "192.0.2.1", &a),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_sim_network_add_dns_name(net_, "x.invalid", &a),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_sim_network_add_dns_name(net_, "turn.example", nullptr),
            RTC_ERR_INVALID_ARGUMENT);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(answers_.Count(), 0u);
  EXPECT_EQ(rtc_sim_network_dns_query_count(net_), 0u);
}

TEST_F(SimResolveTest, OutOfMemoryFailsWithoutCallback) {
  AddName("turn.example", "203.0.113.5");
  for (uint64_t n = 1;; n++) {
    rtc_resolve_request* req = nullptr;
    rtc_alloc_fail_nth(n, 0);
    rtc_error err = Resolve("turn.example", RTC_AF_UNSPEC, &req);
    rtc_alloc_clear_failure();
    if (err == RTC_OK) {
      rtc_sim_time_advance_us(time_, 1000 * 1000);
      EXPECT_EQ(answers_.Count(), 1u);
      break;
    }
    EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
    EXPECT_EQ(req, nullptr);
    rtc_sim_time_advance_us(time_, 1000 * 1000);
    EXPECT_EQ(answers_.Count(), 0u);
    ASSERT_LT(n, 10u);
  }
}

}  // namespace
