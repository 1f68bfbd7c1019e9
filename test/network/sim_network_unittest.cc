#include "test/network/sim_network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "p2p/packet_socket.h"
#include "p2p/socket_factory.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/task_queue.h"

namespace {

constexpr int64_t kMs = 1000;
constexpr int64_t kSec = 1000 * 1000;

rtc_socket_address Addr(const char* text) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_parse(text, std::strlen(text), &a), RTC_OK)
      << text;
  return a;
}

std::string Str(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&a, buf, sizeof(buf));
  return buf;
}

// Socket calls are made on the socket's queue: this makes the test body
// count as running on `queue`.
class ScopedOnQueue {
 public:
  explicit ScopedOnQueue(rtc_task_queue* queue)
      : previous_(rtc_task_queue_set_current(queue)) {}
  ~ScopedOnQueue() { rtc_task_queue_set_current(previous_); }

 private:
  rtc_task_queue* previous_;
};

struct Received {
  std::string data;
  std::string source;
  std::string destination;
  int64_t arrival_us;
};

// A socket and what it received.
class Endpoint {
 public:
  explicit Endpoint(rtc_task_queue* queue) : queue_(queue) {}
  ~Endpoint() { Close(); }

  static const rtc_packet_socket_observer kObserver;

  void Close() {
    if (!socket_)
      return;
    ScopedOnQueue on(queue_);
    rtc_packet_socket_destroy(socket_);
    socket_ = nullptr;
  }

  rtc_error Send(const char* to, const std::string& data) {
    return SendTo(Addr(to), data);
  }
  rtc_error SendTo(const rtc_socket_address& to, const std::string& data) {
    ScopedOnQueue on(queue_);
    return rtc_packet_socket_send_to(
        socket_, reinterpret_cast<const uint8_t*>(data.data()), data.size(),
        &to);
  }

  std::string Local() {
    rtc_socket_address a;
    EXPECT_EQ(rtc_packet_socket_local_address(socket_, &a), RTC_OK);
    return Str(a);
  }
  uint16_t Port() {
    rtc_socket_address a;
    EXPECT_EQ(rtc_packet_socket_local_address(socket_, &a), RTC_OK);
    return a.port;
  }

  std::vector<std::string> Data() const {
    std::vector<std::string> out;
    for (const Received& r : received)
      out.push_back(r.data);
    return out;
  }

  rtc_packet_socket** socket_out() { return &socket_; }
  rtc_packet_socket* socket() { return socket_; }

  std::vector<Received> received;
  // Called for each packet after it is recorded (echo, close, ...).
  std::function<void(const rtc_received_packet&)> on_packet;
  int calls = 0;

 private:
  static void OnPackets(void* user,
                        rtc_packet_socket* socket,
                        const rtc_received_packet* packets,
                        size_t count) {
    auto* self = static_cast<Endpoint*>(user);
    EXPECT_EQ(socket, self->socket_);
    EXPECT_TRUE(rtc_task_queue_is_current(self->queue_));
    self->calls++;
    for (size_t i = 0; i < count; i++) {
      const rtc_received_packet& p = packets[i];
      self->received.push_back(
          {std::string(reinterpret_cast<const char*>(p.data), p.size),
           Str(p.source), Str(p.destination), p.arrival_us});
      if (self->on_packet)
        self->on_packet(p);
    }
  }

  rtc_task_queue* queue_;
  rtc_packet_socket* socket_ = nullptr;
};

const rtc_packet_socket_observer Endpoint::kObserver = {&Endpoint::OnPackets,
                                                        nullptr, nullptr};

// A simulated time, one queue for every socket, and a network.
class World {
 public:
  explicit World(uint64_t seed) {
    EXPECT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    EXPECT_EQ(rtc_sim_time_create_queue(time_, "sockets", &queue_), RTC_OK);
    EXPECT_EQ(rtc_sim_network_create(time_, seed, &net_), RTC_OK);
  }
  ~World() {
    endpoints_.clear();
    rtc_sim_network_destroy(net_);
    rtc_task_queue_destroy(queue_);
    rtc_sim_time_destroy(time_);
  }

  rtc_sim_nat* AddNat(const char* ip, rtc_sim_nat_type type) {
    rtc_sim_nat* nat = nullptr;
    rtc_socket_address a = Addr(ip);
    EXPECT_EQ(rtc_sim_network_add_nat(net_, &a, type, &nat), RTC_OK) << ip;
    return nat;
  }
  rtc_sim_host* AddHost(rtc_sim_nat* nat, const char* ip) {
    rtc_sim_host* host = nullptr;
    rtc_socket_address a = Addr(ip);
    EXPECT_EQ(rtc_sim_network_add_host(net_, nat, &a, &host), RTC_OK) << ip;
    return host;
  }

  rtc_error TryOpen(rtc_sim_host* host,
                    const char* local,
                    const rtc_udp_options* options,
                    Endpoint** out) {
    auto ep = std::make_unique<Endpoint>(queue_);
    rtc_socket_address a = Addr(local);
    rtc_error err = rtc_socket_factory_create_udp(
        rtc_sim_host_socket_factory(host), queue_, &a, options,
        &Endpoint::kObserver, ep.get(), ep->socket_out());
    *out = nullptr;
    if (err == RTC_OK) {
      *out = ep.get();
      endpoints_.push_back(std::move(ep));
    }
    return err;
  }
  Endpoint* Open(rtc_sim_host* host, const char* local) {
    Endpoint* ep = nullptr;
    EXPECT_EQ(TryOpen(host, local, nullptr, &ep), RTC_OK) << local;
    return ep;
  }
  rtc_error TryOpenMulticast(rtc_sim_host* host,
                             const char* group,
                             uint32_t if_index,
                             Endpoint** out) {
    auto ep = std::make_unique<Endpoint>(queue_);
    rtc_socket_address a = Addr(group);
    rtc_error err = rtc_socket_factory_create_multicast_udp(
        rtc_sim_host_socket_factory(host), queue_, &a, if_index,
        &Endpoint::kObserver, ep.get(), ep->socket_out());
    *out = nullptr;
    if (err == RTC_OK) {
      *out = ep.get();
      endpoints_.push_back(std::move(ep));
    }
    return err;
  }
  Endpoint* OpenMulticast(rtc_sim_host* host,
                          const char* group,
                          uint32_t if_index) {
    Endpoint* ep = nullptr;
    EXPECT_EQ(TryOpenMulticast(host, group, if_index, &ep), RTC_OK) << group;
    return ep;
  }

  int64_t Now() { return rtc_sim_time_now_us(time_); }
  void Advance(int64_t us) { rtc_sim_time_advance_us(time_, us); }
  // Runs until nothing is pending.
  void RunAll() {
    for (;;) {
      int64_t next = rtc_sim_time_next_deadline_us(time_);
      if (next == INT64_MAX)
        break;
      rtc_sim_time_advance_us(time_, std::max<int64_t>(0, next - Now()));
    }
  }

  rtc_sim_stats NetStats() {
    rtc_sim_stats s;
    rtc_sim_network_get_stats(net_, &s);
    return s;
  }

  rtc_sim_time* time() { return time_; }
  rtc_task_queue* queue() { return queue_; }
  rtc_sim_network* net() { return net_; }

 private:
  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* queue_ = nullptr;
  rtc_sim_network* net_ = nullptr;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
};

rtc_sim_stats HostStats(rtc_sim_host* host) {
  rtc_sim_stats s;
  rtc_sim_host_get_stats(host, &s);
  return s;
}

rtc_sim_link Link() {
  rtc_sim_link link;
  rtc_sim_link_init(&link);
  return link;
}

void SetUplink(rtc_sim_host* host, const rtc_sim_link& link) {
  rtc_sim_host_set_link(host, &link, nullptr);
}
void SetDownlink(rtc_sim_host* host, const rtc_sim_link& link) {
  rtc_sim_host_set_link(host, nullptr, &link);
}

// The index a numbered payload ("17" or "17:padding") carries.
int Index(const std::string& data) {
  return std::stoi(data.substr(0, data.find(':')));
}

std::string Numbered(int i, size_t size = 0) {
  std::string s = std::to_string(i) + ":";
  if (s.size() < size)
    s.resize(size, 'x');
  return s;
}

class SimNetworkTest : public testing::Test {
 protected:
  void SetUp() override { w_ = std::make_unique<World>(42); }
  void TearDown() override { w_.reset(); }

  std::unique_ptr<World> w_;
};

// --- Topology and sockets ---

TEST_F(SimNetworkTest, NatTypeNames) {
  EXPECT_STREQ(rtc_sim_nat_type_name(RTC_SIM_NAT_FULL_CONE), "full-cone");
  EXPECT_STREQ(rtc_sim_nat_type_name(RTC_SIM_NAT_ADDRESS_RESTRICTED),
               "address-restricted");
  EXPECT_STREQ(rtc_sim_nat_type_name(RTC_SIM_NAT_PORT_RESTRICTED),
               "port-restricted");
  EXPECT_STREQ(rtc_sim_nat_type_name(RTC_SIM_NAT_SYMMETRIC), "symmetric");
  EXPECT_STREQ(rtc_sim_nat_type_name(static_cast<rtc_sim_nat_type>(99)),
               "unknown");
}

TEST_F(SimNetworkTest, ListsEveryAddressAsAnEthernetInterface) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  rtc_socket_address v6 = Addr("2001:db8::1");
  rtc_socket_address v4 = Addr("198.51.100.2");
  ASSERT_EQ(rtc_sim_host_add_address(h, &v6), RTC_OK);
  ASSERT_EQ(rtc_sim_host_add_address(h, &v4), RTC_OK);
  rtc_socket_factory* f = rtc_sim_host_socket_factory(h);

  rtc_network_interface ifaces[8];
  size_t count = 0;
  ASSERT_EQ(f->vtable->list_interfaces(f, nullptr, 0, &count), RTC_OK);
  EXPECT_EQ(count, 3u);
  ASSERT_EQ(f->vtable->list_interfaces(f, ifaces, 2, &count), RTC_OK);
  EXPECT_EQ(count, 3u);
  ASSERT_EQ(rtc_socket_factory_list_interfaces(f, nullptr, ifaces, 8, &count),
            RTC_OK);
  ASSERT_EQ(count, 3u);
  const char* names[] = {"eth0", "eth1", "eth2"};
  const char* addrs[] = {"198.51.100.1:0", "[2001:db8::1]:0", "198.51.100.2:0"};
  const uint8_t prefixes[] = {24, 64, 24};
  for (size_t i = 0; i < 3; i++) {
    EXPECT_STREQ(ifaces[i].name, names[i]);
    EXPECT_EQ(ifaces[i].index, i + 1);
    EXPECT_EQ(ifaces[i].type, RTC_ADAPTER_ETHERNET);
    EXPECT_EQ(Str(ifaces[i].address), addrs[i]);
    EXPECT_EQ(ifaces[i].prefix_length, prefixes[i]);
    EXPECT_TRUE(ifaces[i].multicast);
    EXPECT_FALSE(ifaces[i].ipv6_temporary);
    EXPECT_FALSE(ifaces[i].ipv6_deprecated);
  }
}

TEST_F(SimNetworkTest, DefaultRouteIsTheFirstAddressOfTheFamily) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  rtc_socket_address v4 = Addr("198.51.100.2");
  ASSERT_EQ(rtc_sim_host_add_address(h, &v4), RTC_OK);
  rtc_socket_factory* f = rtc_sim_host_socket_factory(h);
  rtc_socket_address out;
  ASSERT_EQ(rtc_socket_factory_default_route_address(f, RTC_AF_INET, &out),
            RTC_OK);
  EXPECT_EQ(Str(out), "198.51.100.1:0");
  EXPECT_EQ(rtc_socket_factory_default_route_address(f, RTC_AF_INET6, &out),
            RTC_ERR_NOT_FOUND);
  rtc_socket_address v6 = Addr("2001:db8::7");
  ASSERT_EQ(rtc_sim_host_add_address(h, &v6), RTC_OK);
  ASSERT_EQ(rtc_socket_factory_default_route_address(f, RTC_AF_INET6, &out),
            RTC_OK);
  EXPECT_EQ(Str(out), "[2001:db8::7]:0");
}

TEST_F(SimNetworkTest, CountsTheOpenSocketsOfAHost) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* other = w_->AddHost(nullptr, "198.51.100.2");
  EXPECT_EQ(rtc_sim_host_socket_count(h), 0u);
  Endpoint* a = w_->Open(h, "0.0.0.0:0");
  Endpoint* b = w_->Open(h, "198.51.100.1:4000");
  w_->Open(other, "0.0.0.0:0");
  EXPECT_EQ(rtc_sim_host_socket_count(h), 2u);
  a->Close();
  EXPECT_EQ(rtc_sim_host_socket_count(h), 1u);
  b->Close();
  EXPECT_EQ(rtc_sim_host_socket_count(h), 0u);
  EXPECT_EQ(rtc_sim_host_socket_count(other), 1u);
}

TEST_F(SimNetworkTest, RejectsAddressesTakenOnTheSameSegment) {
  rtc_sim_nat* nat1 = w_->AddNat("203.0.113.1", RTC_SIM_NAT_FULL_CONE);
  rtc_sim_nat* nat2 = w_->AddNat("203.0.113.2", RTC_SIM_NAT_FULL_CONE);
  w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* host = nullptr;
  rtc_sim_nat* nat = nullptr;
  rtc_socket_address taken = Addr("198.51.100.1");
  rtc_socket_address nat_ip = Addr("203.0.113.1");
  rtc_socket_address lan = Addr("192.168.1.2");
  rtc_socket_address any = Addr("0.0.0.0");
  rtc_socket_address group = Addr("224.0.0.251");
  EXPECT_EQ(rtc_sim_network_add_host(w_->net(), nullptr, &taken, &host),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(host, nullptr);
  EXPECT_EQ(rtc_sim_network_add_host(w_->net(), nullptr, &nat_ip, &host),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(
      rtc_sim_network_add_nat(w_->net(), &taken, RTC_SIM_NAT_SYMMETRIC, &nat),
      RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(
      rtc_sim_network_add_nat(w_->net(), &nat_ip, RTC_SIM_NAT_SYMMETRIC, &nat),
      RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_sim_network_add_host(w_->net(), nullptr, &any, &host),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_sim_network_add_host(w_->net(), nullptr, &group, &host),
            RTC_ERR_INVALID_ARGUMENT);
  // The same private address on two LANs is fine, twice on one is not.
  EXPECT_EQ(rtc_sim_network_add_host(w_->net(), nat1, &lan, &host), RTC_OK);
  rtc_sim_host* on_nat2 = nullptr;
  ASSERT_EQ(rtc_sim_network_add_host(w_->net(), nat2, &lan, &on_nat2), RTC_OK);
  EXPECT_EQ(rtc_sim_network_add_host(w_->net(), nat2, &lan, &host),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(host, nullptr);
  EXPECT_EQ(rtc_sim_host_add_address(on_nat2, &lan), RTC_ERR_INVALID_ARGUMENT);
  rtc_socket_address other = Addr("192.168.1.3");
  EXPECT_EQ(rtc_sim_host_add_address(on_nat2, &other), RTC_OK);
}

TEST_F(SimNetworkTest, EphemeralPortsCountUpFrom49152WithoutImmediateReuse) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  Endpoint* a = w_->Open(h, "198.51.100.1:0");
  Endpoint* b = w_->Open(h, "0.0.0.0:0");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->Local(), "198.51.100.1:49152");
  EXPECT_EQ(b->Local(), "0.0.0.0:49153");
  a->Close();
  Endpoint* c = w_->Open(h, "198.51.100.1:0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->Port(), 49154);
  // IPv6 ports are separate.
  rtc_socket_address v6 = Addr("2001:db8::1");
  ASSERT_EQ(rtc_sim_host_add_address(h, &v6), RTC_OK);
  Endpoint* d = w_->Open(h, "[2001:db8::1]:49153");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->Local(), "[2001:db8::1]:49153");
}

TEST_F(SimNetworkTest, EphemeralPortsHonourTheOptionsRange) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  rtc_udp_options options = {};
  options.min_port = 5000;
  options.max_port = 5002;
  Endpoint* eps[3];
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(w_->TryOpen(h, "198.51.100.1:0", &options, &eps[i]), RTC_OK);
    EXPECT_EQ(eps[i]->Port(), 5000 + i);
  }
  Endpoint* none = nullptr;
  EXPECT_EQ(w_->TryOpen(h, "198.51.100.1:0", &options, &none),
            RTC_ERR_NOT_FOUND);
  EXPECT_EQ(none, nullptr);
  eps[1]->Close();
  Endpoint* again = nullptr;
  ASSERT_EQ(w_->TryOpen(h, "198.51.100.1:0", &options, &again), RTC_OK);
  EXPECT_EQ(again->Port(), 5001);

  options.min_port = 6000;
  options.max_port = 5999;
  EXPECT_EQ(w_->TryOpen(h, "198.51.100.1:0", &options, &none),
            RTC_ERR_INVALID_ARGUMENT);
}

TEST_F(SimNetworkTest, BindRejectsPortsInUseAndAddressesNotOnTheHost) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  rtc_socket_address second = Addr("198.51.100.2");
  ASSERT_EQ(rtc_sim_host_add_address(h, &second), RTC_OK);
  ASSERT_TRUE(w_->Open(h, "198.51.100.1:4000"));
  Endpoint* ep = nullptr;
  EXPECT_EQ(w_->TryOpen(h, "198.51.100.1:4000", nullptr, &ep), RTC_ERR_IO);
  EXPECT_EQ(w_->TryOpen(h, "0.0.0.0:4000", nullptr, &ep), RTC_ERR_IO);
  // Another address of the host may use the port.
  EXPECT_EQ(w_->TryOpen(h, "198.51.100.2:4000", nullptr, &ep), RTC_OK);
  ASSERT_TRUE(w_->Open(h, "0.0.0.0:4001"));
  EXPECT_EQ(w_->TryOpen(h, "198.51.100.2:4001", nullptr, &ep), RTC_ERR_IO);
  // Not this host's address, no IPv6 address for a wildcard.
  EXPECT_EQ(w_->TryOpen(h, "198.51.100.3:0", nullptr, &ep),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(w_->TryOpen(h, "[::]:0", nullptr, &ep), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(w_->TryOpen(h, "224.0.0.251:0", nullptr, &ep),
            RTC_ERR_INVALID_ARGUMENT);
}

TEST_F(SimNetworkTest, WildcardSocketReceivesOnEveryAddressAndSendsFromFirst) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* peer = w_->AddHost(nullptr, "198.51.100.9");
  rtc_socket_address second = Addr("198.51.100.2");
  ASSERT_EQ(rtc_sim_host_add_address(h, &second), RTC_OK);
  Endpoint* any = w_->Open(h, "0.0.0.0:4000");
  Endpoint* p = w_->Open(peer, "198.51.100.9:5000");
  ASSERT_TRUE(any && p);
  EXPECT_EQ(any->Local(), "0.0.0.0:4000");
  ASSERT_EQ(p->Send("198.51.100.1:4000", "one"), RTC_OK);
  ASSERT_EQ(p->Send("198.51.100.2:4000", "two"), RTC_OK);
  ASSERT_EQ(any->Send("198.51.100.9:5000", "reply"), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(any->received.size(), 2u);
  EXPECT_EQ(any->received[0].destination, "198.51.100.1:4000");
  EXPECT_EQ(any->received[1].destination, "198.51.100.2:4000");
  EXPECT_EQ(any->received[1].source, "198.51.100.9:5000");
  ASSERT_EQ(p->received.size(), 1u);
  EXPECT_EQ(p->received[0].source, "198.51.100.1:4000");
}

TEST_F(SimNetworkTest, SendRejectsOversizedPacketsAndTheWrongFamily) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  std::string big(RTC_MAX_PACKET_SIZE + 1, 'x');
  std::string max(RTC_MAX_PACKET_SIZE, 'y');
  EXPECT_EQ(ea->Send("198.51.100.2:2000", big), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ea->Send("[2001:db8::2]:2000", "v6"), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ea->Send("198.51.100.2:2000", max), RTC_OK);

  rtc_outgoing_packet packets[3] = {
      {reinterpret_cast<const uint8_t*>("a"), 1, Addr("198.51.100.2:2000")},
      {reinterpret_cast<const uint8_t*>("b"), 1, Addr("[2001:db8::2]:2000")},
      {reinterpret_cast<const uint8_t*>("c"), 1, Addr("198.51.100.2:2000")},
  };
  size_t sent = 99;
  {
    ScopedOnQueue on(w_->queue());
    EXPECT_EQ(rtc_packet_socket_send(ea->socket(), packets, 3, &sent),
              RTC_ERR_INVALID_ARGUMENT);
  }
  EXPECT_EQ(sent, 1u);
  w_->RunAll();
  ASSERT_EQ(eb->received.size(), 2u);
  EXPECT_EQ(eb->received[0].data.size(), max.size());
  EXPECT_EQ(eb->received[1].data, "a");
  EXPECT_EQ(HostStats(a).packets_sent, 2u);
}

// --- Delivery and link conditions ---

TEST_F(SimNetworkTest, DeliversAfterSendersUplinkPlusReceiversDownlinkDelay) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link a_up = Link(), a_down = Link(), b_up = Link(), b_down = Link();
  a_up.delay_us = 10 * kMs;
  a_down.delay_us = 2 * kMs;
  b_up.delay_us = 1 * kMs;
  b_down.delay_us = 5 * kMs;
  rtc_sim_host_set_link(a, &a_up, &a_down);
  rtc_sim_host_set_link(b, &b_up, &b_down);
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  eb->on_packet = [&](const rtc_received_packet& p) {
    rtc_packet_socket_send_to(eb->socket(), p.data, p.size, &p.source);
  };
  ASSERT_EQ(ea->Send("198.51.100.2:2000", "ping"), RTC_OK);
  w_->Advance(15 * kMs - 1);
  EXPECT_TRUE(eb->received.empty());
  w_->Advance(1);
  ASSERT_EQ(eb->received.size(), 1u);
  EXPECT_EQ(eb->received[0].data, "ping");
  EXPECT_EQ(eb->received[0].source, "198.51.100.1:1000");
  EXPECT_EQ(eb->received[0].destination, "198.51.100.2:2000");
  EXPECT_EQ(eb->received[0].arrival_us, 15 * kMs);
  w_->RunAll();
  ASSERT_EQ(ea->received.size(), 1u);
  EXPECT_EQ(ea->received[0].arrival_us, 15 * kMs + 3 * kMs);
  EXPECT_EQ(ea->received[0].source, "198.51.100.2:2000");
}

// The capture sees each datagram as it is sent (before the link), with its
// sender, source and destination, even one the link loses.
TEST_F(SimNetworkTest, CaptureSeesEverySentDatagram) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link lossy = Link();
  lossy.loss = 1.0;
  rtc_sim_host_set_link(a, &lossy, &lossy);
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  struct Seen {
    const rtc_sim_host* host;
    std::string source, destination, data;
  };
  std::vector<Seen> seen;
  rtc_sim_network_set_capture(
      w_->net(),
      [](void* user, const rtc_sim_host* host, const rtc_socket_address* src,
         const rtc_socket_address* dst, const uint8_t* data, size_t size) {
        static_cast<std::vector<Seen>*>(user)->push_back(
            {host, Str(*src), Str(*dst),
             std::string(reinterpret_cast<const char*>(data), size)});
      },
      &seen);
  ASSERT_EQ(ea->Send("198.51.100.2:2000", "lost"), RTC_OK);
  ASSERT_EQ(eb->Send("198.51.100.1:1000", "pong"), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].host, a);
  EXPECT_EQ(seen[0].source, "198.51.100.1:1000");
  EXPECT_EQ(seen[0].destination, "198.51.100.2:2000");
  EXPECT_EQ(seen[0].data, "lost");
  EXPECT_EQ(seen[1].host, b);
  EXPECT_EQ(seen[1].data, "pong");
  EXPECT_TRUE(eb->received.empty());  // the capture is before the link
  rtc_sim_network_set_capture(w_->net(), nullptr, nullptr);
  ASSERT_EQ(eb->Send("198.51.100.1:1000", "unseen"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(SimNetworkTest, LoopbackDeliversAtOnceWithoutLinkConditions) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_link bad = Link();
  bad.delay_us = 50 * kMs;
  bad.loss = 1.0;
  rtc_sim_host_set_link(h, &bad, &bad);
  Endpoint* a = w_->Open(h, "198.51.100.1:1000");
  Endpoint* b = w_->Open(h, "0.0.0.0:2000");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->Send("198.51.100.1:2000", "self"), RTC_OK);
  rtc_sim_time_run_until_idle(w_->time());
  ASSERT_EQ(b->received.size(), 1u);
  EXPECT_EQ(b->received[0].arrival_us, 0);
  EXPECT_EQ(b->received[0].source, "198.51.100.1:1000");
  EXPECT_EQ(HostStats(h).packets_lost, 0u);
}

TEST_F(SimNetworkTest, JitterStaysWithinBoundsAndKeepsOrder) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link up = Link();
  up.delay_us = 20 * kMs;
  up.jitter_us = 10 * kMs;
  SetUplink(a, up);
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  const int kCount = 1000;
  for (int i = 0; i < kCount; i++) {
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i)), RTC_OK);
    w_->Advance(1 * kMs);
  }
  w_->RunAll();
  ASSERT_EQ(eb->received.size(), static_cast<size_t>(kCount));
  int64_t min_latency = INT64_MAX, max_latency = 0, previous = 0;
  for (int i = 0; i < kCount; i++) {
    const Received& r = eb->received[i];
    EXPECT_EQ(Index(r.data), i);
    int64_t latency = r.arrival_us - i * kMs;
    EXPECT_GE(latency, 20 * kMs);
    EXPECT_LE(latency, 30 * kMs);
    EXPECT_GE(r.arrival_us, previous);
    previous = r.arrival_us;
    min_latency = std::min(min_latency, latency);
    max_latency = std::max(max_latency, latency);
  }
  // The jitter is really there.
  EXPECT_LT(min_latency, 21 * kMs);
  EXPECT_GT(max_latency, 29 * kMs);
}

// Packets received in an order other than the one they were sent in.
int CountInversions(const Endpoint& ep) {
  int inversions = 0;
  for (size_t i = 1; i < ep.received.size(); i++) {
    if (Index(ep.received[i].data) < Index(ep.received[i - 1].data))
      inversions++;
  }
  return inversions;
}

TEST_F(SimNetworkTest, ReordersOnlyWhenEnabled) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  rtc_sim_link up = Link();
  up.delay_us = 10 * kMs;
  up.jitter_us = 5 * kMs;
  up.reorder_delay_us = 20 * kMs;  // not used while reorder is 0
  SetUplink(a, up);
  for (int i = 0; i < 300; i++) {
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i)), RTC_OK);
    w_->Advance(1 * kMs);
  }
  w_->RunAll();
  ASSERT_EQ(eb->received.size(), 300u);
  EXPECT_EQ(CountInversions(*eb), 0);

  eb->received.clear();
  up.reorder = 0.1;
  SetUplink(a, up);
  const int64_t start = w_->Now();
  for (int i = 0; i < 300; i++) {
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i)), RTC_OK);
    w_->Advance(1 * kMs);
  }
  w_->RunAll();
  ASSERT_EQ(eb->received.size(), 300u);
  EXPECT_GT(CountInversions(*eb), 10);
  for (const Received& r : eb->received) {
    int64_t latency = r.arrival_us - start - Index(r.data) * kMs;
    EXPECT_GE(latency, 10 * kMs);
    EXPECT_LE(latency, 35 * kMs);
  }
}

TEST_F(SimNetworkTest, DuplicatesPackets) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i)), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(eb->received.size(), 100u);
  EXPECT_EQ(w_->NetStats().packets_duplicated, 0u);

  eb->received.clear();
  rtc_sim_link down = Link();
  down.delay_us = 3 * kMs;
  down.duplicate = 0.25;
  SetDownlink(b, down);
  for (int i = 0; i < 1000; i++)
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i)), RTC_OK);
  w_->RunAll();
  uint64_t duplicated = HostStats(b).packets_duplicated;
  EXPECT_GT(duplicated, 200u);
  EXPECT_LT(duplicated, 300u);
  EXPECT_EQ(eb->received.size(), 1000u + duplicated);
  // A duplicate follows its original.
  int expected = 0;
  for (size_t i = 0; i < eb->received.size(); i++) {
    int index = Index(eb->received[i].data);
    if (i > 0 && index == Index(eb->received[i - 1].data)) {
      EXPECT_EQ(eb->received[i].arrival_us, eb->received[i - 1].arrival_us);
      continue;
    }
    EXPECT_EQ(index, expected++);
  }
  EXPECT_EQ(expected, 1000);
}

// Indexes of the packets that arrived, out of 10000 sent through a lossy
// uplink.
std::vector<int> RunLossyTransfer(uint64_t seed, rtc_sim_stats* stats) {
  World w(seed);
  rtc_sim_host* a = w.AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w.AddHost(nullptr, "198.51.100.2");
  rtc_sim_link up = Link();
  up.loss = 0.3;
  up.delay_us = 5 * kMs;
  SetUplink(a, up);
  Endpoint* ea = w.Open(a, "198.51.100.1:1000");
  Endpoint* eb = w.Open(b, "198.51.100.2:2000");
  std::vector<int> got;
  if (!ea || !eb)
    return got;
  for (int i = 0; i < 10000; i++) {
    ea->Send("198.51.100.2:2000", Numbered(i));
    if (i % 100 == 99)
      w.Advance(1 * kMs);
  }
  w.RunAll();
  for (const Received& r : eb->received)
    got.push_back(Index(r.data));
  *stats = w.NetStats();
  return got;
}

TEST(SimNetworkLossTest, LosesTheConfiguredFraction) {
  rtc_sim_stats stats;
  std::vector<int> got = RunLossyTransfer(7, &stats);
  EXPECT_GT(got.size(), 6850u);
  EXPECT_LT(got.size(), 7150u);
  EXPECT_EQ(stats.packets_sent, 10000u);
  EXPECT_EQ(stats.packets_lost, 10000u - got.size());
  EXPECT_EQ(stats.packets_delivered, got.size());
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
}

TEST(SimNetworkLossTest, SameSeedLosesTheSamePacketsOtherSeedDoesNot) {
  rtc_sim_stats stats;
  std::vector<int> first = RunLossyTransfer(7, &stats);
  std::vector<int> second = RunLossyTransfer(7, &stats);
  std::vector<int> other = RunLossyTransfer(8, &stats);
  EXPECT_EQ(first, second);
  EXPECT_NE(first, other);
}

TEST_F(SimNetworkTest, BandwidthCapSerializesPackets) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link up = Link();
  up.bandwidth_bps = 1000000;
  up.queue_bytes = 200000;
  SetUplink(a, up);
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i, 1250)), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(eb->received.size(), 100u);
  for (int i = 0; i < 100; i++) {
    EXPECT_EQ(Index(eb->received[i].data), i);
    // 1250 bytes at 1 Mbit/s take 10 ms.
    EXPECT_EQ(eb->received[i].arrival_us, (i + 1) * 10 * kMs);
  }
  EXPECT_EQ(w_->NetStats().packets_queue_drop, 0u);
}

TEST_F(SimNetworkTest, FullQueueTailDrops) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link up = Link();
  up.bandwidth_bps = 1000000;
  up.queue_bytes = 12500;  // ten packets
  SetUplink(a, up);
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i, 1250)), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(eb->received.size(), 10u);
  for (int i = 0; i < 10; i++)
    EXPECT_EQ(Index(eb->received[i].data), i);
  EXPECT_EQ(HostStats(a).packets_queue_drop, 90u);
  EXPECT_EQ(w_->NetStats().packets_queue_drop, 90u);

  // The default queue is 64 KiB: 52 packets of 1250 bytes.
  eb->received.clear();
  up.queue_bytes = 0;
  SetUplink(a, up);
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i, 1250)), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(eb->received.size(), 52u);
}

TEST_F(SimNetworkTest, DownlinkQueuesPacketsInTheOrderTheyReachIt) {
  // The slow sender's packet leaves first but reaches the receiver's
  // bandwidth-limited downlink last.
  rtc_sim_host* slow = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* fast = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_host* r = w_->AddHost(nullptr, "198.51.100.3");
  rtc_sim_link up = Link();
  up.delay_us = 100 * kMs;
  SetUplink(slow, up);
  rtc_sim_link down = Link();
  down.bandwidth_bps = 1000000;
  SetDownlink(r, down);
  Endpoint* es = w_->Open(slow, "198.51.100.1:1000");
  Endpoint* ef = w_->Open(fast, "198.51.100.2:1000");
  Endpoint* er = w_->Open(r, "198.51.100.3:2000");
  ASSERT_TRUE(es && ef && er);
  ASSERT_EQ(es->Send("198.51.100.3:2000", Numbered(0, 1250)), RTC_OK);
  w_->Advance(50 * kMs);
  ASSERT_EQ(ef->Send("198.51.100.3:2000", Numbered(1, 1250)), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(er->received.size(), 2u);
  EXPECT_EQ(Index(er->received[0].data), 1);
  EXPECT_EQ(er->received[0].arrival_us, 60 * kMs);
  EXPECT_EQ(Index(er->received[1].data), 0);
  EXPECT_EQ(er->received[1].arrival_us, 110 * kMs);
}

TEST_F(SimNetworkTest, PacketsToAPortWithoutSocketAreFiltered) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  ASSERT_TRUE(ea);
  ASSERT_EQ(ea->Send("198.51.100.2:2000", "nobody"), RTC_OK);
  ASSERT_EQ(ea->Send("198.51.100.77:2000", "nowhere"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(HostStats(b).packets_filtered, 1u);  // no listener: the receiver
  EXPECT_EQ(HostStats(a).packets_filtered, 1u);  // no route: the sender
  EXPECT_EQ(w_->NetStats().packets_filtered, 2u);
  EXPECT_EQ(w_->NetStats().packets_delivered, 0u);
}

TEST_F(SimNetworkTest, SocketDestroyedWithPacketsInFlightIsNeverCalled) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link down = Link();
  down.delay_us = 10 * kMs;
  SetDownlink(b, down);
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  for (int i = 0; i < 10; i++)
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i)), RTC_OK);
  w_->Advance(5 * kMs);
  eb->Close();
  w_->RunAll();
  EXPECT_EQ(eb->calls, 0);
  EXPECT_EQ(HostStats(b).packets_filtered, 10u);
  EXPECT_EQ(HostStats(b).packets_delivered, 0u);
  // Nothing is left pending.
  EXPECT_EQ(rtc_sim_time_next_deadline_us(w_->time()), INT64_MAX);
}

TEST_F(SimNetworkTest, ObserverMayDestroyItsSocketInsideTheCallback) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "198.51.100.2:2000");
  ASSERT_TRUE(ea && eb);
  eb->on_packet = [&](const rtc_received_packet&) { eb->Close(); };
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(ea->Send("198.51.100.2:2000", Numbered(i)), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(eb->calls, 1);
  EXPECT_EQ(HostStats(b).packets_delivered, 1u);
  EXPECT_EQ(HostStats(b).packets_filtered, 2u);
}

// --- NATs ---

struct NatCase {
  rtc_sim_nat_type type;
  bool from_same_ip_other_port;  // passes the filter
  bool from_other_ip;            // passes the filter
  bool same_public_port;         // for a second destination
};

class SimNatTest : public testing::TestWithParam<NatCase> {
 protected:
  void SetUp() override { w_ = std::make_unique<World>(42); }
  void TearDown() override { w_.reset(); }

  std::unique_ptr<World> w_;
};

TEST_P(SimNatTest, MappingAndFilteringFollowTheNatType) {
  const NatCase& c = GetParam();
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", c.type);
  rtc_sim_host* alice = w_->AddHost(nat, "192.168.1.2");
  rtc_sim_host* s1 = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* s2 = w_->AddHost(nullptr, "198.51.100.2");
  Endpoint* ea = w_->Open(alice, "192.168.1.2:5000");
  Endpoint* s1a = w_->Open(s1, "198.51.100.1:3478");
  Endpoint* s1b = w_->Open(s1, "198.51.100.1:3479");
  Endpoint* s2a = w_->Open(s2, "198.51.100.2:3478");
  ASSERT_TRUE(ea && s1a && s1b && s2a);

  ASSERT_EQ(ea->Send("198.51.100.1:3478", "hello"), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(s1a->received.size(), 1u);
  // Port preservation: the first mapping keeps the private port.
  EXPECT_EQ(s1a->received[0].source, "203.0.113.1:5000");
  EXPECT_EQ(s1a->received[0].destination, "198.51.100.1:3478");

  // The reply from the contacted ip:port passes for every type.
  ASSERT_EQ(s1a->Send("203.0.113.1:5000", "reply"), RTC_OK);
  ASSERT_EQ(s1b->Send("203.0.113.1:5000", "same-ip"), RTC_OK);
  ASSERT_EQ(s2a->Send("203.0.113.1:5000", "other-ip"), RTC_OK);
  w_->RunAll();
  std::vector<std::string> expected = {"reply"};
  if (c.from_same_ip_other_port)
    expected.push_back("same-ip");
  if (c.from_other_ip)
    expected.push_back("other-ip");
  EXPECT_EQ(ea->Data(), expected);
  ASSERT_FALSE(ea->received.empty());
  EXPECT_EQ(ea->received[0].source, "198.51.100.1:3478");
  EXPECT_EQ(ea->received[0].destination, "192.168.1.2:5000");
  EXPECT_EQ(HostStats(s1).packets_filtered,
            c.from_same_ip_other_port ? 0u : 1u);
  EXPECT_EQ(HostStats(s2).packets_filtered, c.from_other_ip ? 0u : 1u);

  // A second destination: the same public port, or a new one (symmetric).
  ASSERT_EQ(ea->Send("198.51.100.2:3478", "second"), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(s2a->received.size(), 1u);
  rtc_socket_address seen = Addr(s2a->received[0].source.c_str());
  EXPECT_EQ(Str(seen).rfind("203.0.113.1:", 0), 0u);
  EXPECT_EQ(seen.port == 5000, c.same_public_port);
  // Now the second destination may answer on that mapping.
  ea->received.clear();
  ASSERT_EQ(s2a->SendTo(seen, "answer"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(ea->Data(), std::vector<std::string>{"answer"});
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes,
    SimNatTest,
    testing::Values(NatCase{RTC_SIM_NAT_FULL_CONE, true, true, true},
                    NatCase{RTC_SIM_NAT_ADDRESS_RESTRICTED, true, false, true},
                    NatCase{RTC_SIM_NAT_PORT_RESTRICTED, false, false, true},
                    NatCase{RTC_SIM_NAT_SYMMETRIC, false, false, false}),
    [](const testing::TestParamInfo<NatCase>& param_info) {
      std::string name = rtc_sim_nat_type_name(param_info.param.type);
      name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
      return name;
    });

TEST_F(SimNetworkTest, SymmetricNatGivesEachDestinationItsOwnPort) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_SYMMETRIC);
  rtc_sim_host* alice = w_->AddHost(nat, "192.168.1.2");
  rtc_sim_host* s = w_->AddHost(nullptr, "198.51.100.1");
  Endpoint* ea = w_->Open(alice, "192.168.1.2:5000");
  ASSERT_TRUE(ea);
  std::vector<Endpoint*> servers;
  for (int i = 0; i < 5; i++) {
    std::string local = "198.51.100.1:" + std::to_string(3000 + i);
    servers.push_back(w_->Open(s, local.c_str()));
    ASSERT_TRUE(servers.back());
    ASSERT_EQ(ea->Send(local.c_str(), "x"), RTC_OK);
    ASSERT_EQ(ea->Send(local.c_str(), "y"), RTC_OK);
  }
  w_->RunAll();
  std::vector<std::string> sources;
  for (Endpoint* e : servers) {
    ASSERT_EQ(e->received.size(), 2u);
    // The same destination keeps its mapping.
    EXPECT_EQ(e->received[0].source, e->received[1].source);
    sources.push_back(e->received[0].source);
  }
  std::sort(sources.begin(), sources.end());
  EXPECT_EQ(std::unique(sources.begin(), sources.end()), sources.end());
}

TEST_F(SimNetworkTest, StunLikeEchoServerSeesTheNatsPublicAddress) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_PORT_RESTRICTED);
  rtc_sim_host* alice = w_->AddHost(nat, "192.168.1.2");
  rtc_sim_host* bob = w_->AddHost(nat, "192.168.1.3");
  rtc_sim_host* stun = w_->AddHost(nullptr, "198.51.100.1");
  Endpoint* server = w_->Open(stun, "198.51.100.1:3478");
  Endpoint* ea = w_->Open(alice, "0.0.0.0:0");
  Endpoint* eb = w_->Open(bob, "192.168.1.3:0");
  ASSERT_TRUE(server && ea && eb);
  EXPECT_EQ(ea->Port(), 49152);
  EXPECT_EQ(eb->Port(), 49152);
  server->on_packet = [&](const rtc_received_packet& p) {
    std::string seen = Str(p.source);
    rtc_packet_socket_send_to(server->socket(),
                              reinterpret_cast<const uint8_t*>(seen.data()),
                              seen.size(), &p.source);
  };
  ASSERT_EQ(ea->Send("198.51.100.1:3478", "binding request"), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(eb->Send("198.51.100.1:3478", "binding request"), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(ea->received.size(), 1u);
  EXPECT_EQ(ea->received[0].data, "203.0.113.1:49152");
  EXPECT_EQ(ea->received[0].destination, "192.168.1.2:49152");
  ASSERT_EQ(eb->received.size(), 1u);
  // The port is taken: bob's mapping gets another one.
  rtc_socket_address bob_public = Addr(eb->received[0].data.c_str());
  EXPECT_EQ(Str(bob_public).rfind("203.0.113.1:", 0), 0u);
  EXPECT_NE(bob_public.port, 49152);
  EXPECT_GE(bob_public.port, 1024);
}

TEST_F(SimNetworkTest, UnsolicitedPacketToANatIsFiltered) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_FULL_CONE);
  rtc_sim_host* alice = w_->AddHost(nat, "192.168.1.2");
  rtc_sim_host* s = w_->AddHost(nullptr, "198.51.100.1");
  Endpoint* ea = w_->Open(alice, "192.168.1.2:5000");
  Endpoint* es = w_->Open(s, "198.51.100.1:3478");
  ASSERT_TRUE(ea && es);
  ASSERT_EQ(es->Send("203.0.113.1:5000", "knock"), RTC_OK);
  // Private addresses are not routed on the internet.
  ASSERT_EQ(es->Send("192.168.1.2:5000", "direct"), RTC_OK);
  w_->RunAll();
  EXPECT_TRUE(ea->received.empty());
  EXPECT_EQ(HostStats(s).packets_filtered, 2u);
  EXPECT_EQ(HostStats(alice).packets_filtered, 0u);
  EXPECT_EQ(w_->NetStats().packets_filtered, 2u);
}

TEST_F(SimNetworkTest, MappingExpiresWithoutOutboundTraffic) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_PORT_RESTRICTED);
  rtc_sim_nat_set_mapping_timeout(nat, 30 * kSec);
  rtc_sim_host* alice = w_->AddHost(nat, "192.168.1.2");
  rtc_sim_host* s = w_->AddHost(nullptr, "198.51.100.1");
  Endpoint* ea = w_->Open(alice, "192.168.1.2:5000");
  Endpoint* es = w_->Open(s, "198.51.100.1:3478");
  ASSERT_TRUE(ea && es);
  ASSERT_EQ(ea->Send("198.51.100.1:3478", "open"), RTC_OK);
  // Inbound traffic does not keep the mapping.
  w_->Advance(10 * kSec);
  ASSERT_EQ(es->Send("203.0.113.1:5000", "in"), RTC_OK);
  w_->Advance(19 * kSec);  // 29 s
  ASSERT_EQ(es->Send("203.0.113.1:5000", "in"), RTC_OK);
  w_->Advance(1 * kSec);
  EXPECT_EQ(ea->received.size(), 2u);
  w_->Advance(1 * kSec);  // 31 s
  ASSERT_EQ(es->Send("203.0.113.1:5000", "late"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(ea->Data(), (std::vector<std::string>{"in", "in"}));
  EXPECT_EQ(HostStats(s).packets_filtered, 1u);
}

TEST_F(SimNetworkTest, OutboundTrafficKeepsTheMapping) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_PORT_RESTRICTED);
  rtc_sim_nat_set_mapping_timeout(nat, 30 * kSec);
  rtc_sim_host* alice = w_->AddHost(nat, "192.168.1.2");
  rtc_sim_host* s = w_->AddHost(nullptr, "198.51.100.1");
  Endpoint* ea = w_->Open(alice, "192.168.1.2:5000");
  Endpoint* es = w_->Open(s, "198.51.100.1:3478");
  ASSERT_TRUE(ea && es);
  ASSERT_EQ(ea->Send("198.51.100.1:3478", "open"), RTC_OK);
  w_->Advance(20 * kSec);
  ASSERT_EQ(ea->Send("198.51.100.1:3478", "keepalive"), RTC_OK);
  w_->Advance(29 * kSec);  // 49 s: 29 s after the last outbound packet
  ASSERT_EQ(es->Send("203.0.113.1:5000", "in"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(ea->Data(), std::vector<std::string>{"in"});
  w_->Advance(1 * kSec);  // 50 s: expired
  ASSERT_EQ(es->Send("203.0.113.1:5000", "late"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(ea->received.size(), 1u);
}

// Bob, behind the same NAT as alice, opens a mapping; alice sends to its
// public address.
class HairpinTest : public SimNetworkTest {
 protected:
  void Run(bool hairpinning) {
    rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_FULL_CONE);
    rtc_sim_nat_set_hairpinning(nat, hairpinning);
    alice_ = w_->AddHost(nat, "192.168.1.2");
    rtc_sim_host* bob = w_->AddHost(nat, "192.168.1.3");
    rtc_sim_host* s = w_->AddHost(nullptr, "198.51.100.1");
    ea_ = w_->Open(alice_, "192.168.1.2:5000");
    eb_ = w_->Open(bob, "192.168.1.3:6000");
    Endpoint* es = w_->Open(s, "198.51.100.1:3478");
    ASSERT_TRUE(ea_ && eb_ && es);
    ASSERT_EQ(eb_->Send("198.51.100.1:3478", "open"), RTC_OK);
    w_->RunAll();
    ASSERT_EQ(es->received.size(), 1u);
    ASSERT_EQ(es->received[0].source, "203.0.113.1:6000");
    ASSERT_EQ(ea_->Send("203.0.113.1:6000", "hairpin"), RTC_OK);
    w_->RunAll();
  }

  rtc_sim_host* alice_ = nullptr;
  Endpoint* ea_ = nullptr;
  Endpoint* eb_ = nullptr;
};

TEST_F(HairpinTest, OffByDefaultDropsPacketsToTheOwnPublicAddress) {
  Run(false);
  EXPECT_TRUE(eb_->received.empty());
  EXPECT_EQ(HostStats(alice_).packets_filtered, 1u);
}

TEST_F(HairpinTest, WhenEnabledTranslatesBothAddresses) {
  Run(true);
  ASSERT_EQ(eb_->received.size(), 1u);
  EXPECT_EQ(eb_->received[0].source, "203.0.113.1:5000");
  EXPECT_EQ(eb_->received[0].destination, "192.168.1.3:6000");
  // And back.
  ASSERT_EQ(eb_->Send("203.0.113.1:5000", "back"), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(ea_->received.size(), 1u);
  EXPECT_EQ(ea_->received[0].source, "203.0.113.1:6000");
}

TEST_F(SimNetworkTest, HostsOnOneLanTalkDirectlyWithPrivateAddresses) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_FULL_CONE);
  rtc_sim_host* alice = w_->AddHost(nat, "192.168.1.2");
  rtc_sim_host* bob = w_->AddHost(nat, "192.168.1.3");
  rtc_sim_host* s = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_link up = Link();
  up.delay_us = 4 * kMs;
  SetUplink(alice, up);
  rtc_sim_link down = Link();
  down.delay_us = 3 * kMs;
  SetDownlink(bob, down);
  Endpoint* ea = w_->Open(alice, "192.168.1.2:5000");
  Endpoint* eb = w_->Open(bob, "192.168.1.3:6000");
  Endpoint* es = w_->Open(s, "198.51.100.1:3478");
  ASSERT_TRUE(ea && eb && es);
  ASSERT_EQ(ea->Send("192.168.1.3:6000", "lan"), RTC_OK);
  w_->RunAll();
  ASSERT_EQ(eb->received.size(), 1u);
  EXPECT_EQ(eb->received[0].source, "192.168.1.2:5000");
  EXPECT_EQ(eb->received[0].arrival_us, 7 * kMs);
  // No mapping was made: even a full cone NAT filters this.
  ASSERT_EQ(es->Send("203.0.113.1:5000", "in"), RTC_OK);
  w_->RunAll();
  EXPECT_TRUE(ea->received.empty());
}

TEST_F(SimNetworkTest, HostsBehindTwoNatsReachEachOtherThroughMappings) {
  rtc_sim_nat* n1 = w_->AddNat("203.0.113.1", RTC_SIM_NAT_PORT_RESTRICTED);
  rtc_sim_nat* n2 = w_->AddNat("203.0.113.2", RTC_SIM_NAT_ADDRESS_RESTRICTED);
  rtc_sim_host* alice = w_->AddHost(n1, "192.168.1.2");
  rtc_sim_host* bob = w_->AddHost(n2, "192.168.1.2");  // same private IP
  Endpoint* ea = w_->Open(alice, "192.168.1.2:5000");
  Endpoint* eb = w_->Open(bob, "192.168.1.2:6000");
  ASSERT_TRUE(ea && eb);
  // Hole punching: the first packet opens alice's mapping and is filtered
  // at bob's NAT; then both directions work.
  ASSERT_EQ(ea->Send("203.0.113.2:6000", "1"), RTC_OK);
  w_->RunAll();
  EXPECT_TRUE(eb->received.empty());
  ASSERT_EQ(eb->Send("203.0.113.1:5000", "2"), RTC_OK);
  ASSERT_EQ(ea->Send("203.0.113.2:6000", "3"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(ea->Data(), std::vector<std::string>{"2"});
  EXPECT_EQ(ea->received[0].source, "203.0.113.2:6000");
  EXPECT_EQ(eb->Data(), std::vector<std::string>{"3"});
  EXPECT_EQ(eb->received[0].source, "203.0.113.1:5000");
}

// --- Multicast ---

TEST_F(SimNetworkTest, MulticastReachesTheLanAndNotOtherSegments) {
  rtc_sim_nat* n1 = w_->AddNat("203.0.113.1", RTC_SIM_NAT_FULL_CONE);
  rtc_sim_nat* n2 = w_->AddNat("203.0.113.2", RTC_SIM_NAT_FULL_CONE);
  rtc_sim_host* alice = w_->AddHost(n1, "192.168.1.2");
  rtc_sim_host* bob = w_->AddHost(n1, "192.168.1.3");
  rtc_sim_host* carol = w_->AddHost(n2, "192.168.1.4");
  rtc_sim_host* dave = w_->AddHost(nullptr, "198.51.100.1");
  Endpoint* a1 = w_->OpenMulticast(alice, "224.0.0.251:5353", 1);
  Endpoint* a2 = w_->OpenMulticast(alice, "224.0.0.251:5353", 1);
  Endpoint* b = w_->OpenMulticast(bob, "224.0.0.251:5353", 1);
  Endpoint* b_other_port = w_->OpenMulticast(bob, "224.0.0.251:5354", 1);
  Endpoint* c = w_->OpenMulticast(carol, "224.0.0.251:5353", 1);
  Endpoint* d = w_->OpenMulticast(dave, "224.0.0.251:5353", 1);
  ASSERT_TRUE(a1 && a2 && b && b_other_port && c && d);
  EXPECT_EQ(a1->Local(), "0.0.0.0:5353");
  rtc_sim_link down = Link();
  down.delay_us = 2 * kMs;
  SetDownlink(bob, down);

  ASSERT_EQ(a1->Send("224.0.0.251:5353", "query"), RTC_OK);
  w_->RunAll();
  // The sending socket itself and the other member on its host get it
  // (IP_MULTICAST_LOOP), at once.
  ASSERT_EQ(a1->received.size(), 1u);
  EXPECT_EQ(a1->received[0].arrival_us, 0);
  EXPECT_EQ(a2->received.size(), 1u);
  ASSERT_EQ(b->received.size(), 1u);
  EXPECT_EQ(b->received[0].source, "192.168.1.2:5353");
  EXPECT_EQ(b->received[0].destination, "224.0.0.251:5353");
  EXPECT_EQ(b->received[0].arrival_us, 2 * kMs);
  EXPECT_TRUE(b_other_port->received.empty());
  EXPECT_TRUE(c->received.empty());
  EXPECT_TRUE(d->received.empty());

  // A unicast reply to the multicast socket's port.
  ASSERT_EQ(b->Send("192.168.1.2:5353", "answer"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(a1->Data(), (std::vector<std::string>{"query", "answer"}));
  EXPECT_EQ(a1->received[1].destination, "192.168.1.2:5353");
  EXPECT_EQ(a2->received.size(), 1u);
}

TEST_F(SimNetworkTest, InternetHostsShareOneMulticastSegment) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_socket_address v6a = Addr("fe80::1");
  rtc_socket_address v6b = Addr("fe80::2");
  ASSERT_EQ(rtc_sim_host_add_address(a, &v6a), RTC_OK);
  ASSERT_EQ(rtc_sim_host_add_address(b, &v6b), RTC_OK);
  Endpoint* ea = w_->OpenMulticast(a, "[ff02::fb]:5353", 2);
  Endpoint* eb = w_->OpenMulticast(b, "[ff02::fb]:5353", 2);
  Endpoint* eb4 = w_->OpenMulticast(b, "224.0.0.251:5353", 1);
  // An ordinary socket may send to the group too (one-shot queries).
  Endpoint* plain = w_->Open(a, "198.51.100.1:0");
  ASSERT_TRUE(ea && eb && eb4 && plain);
  ASSERT_EQ(ea->Send("[ff02::fb]:5353", "v6"), RTC_OK);
  ASSERT_EQ(plain->Send("224.0.0.251:5353", "v4"), RTC_OK);
  w_->RunAll();
  EXPECT_EQ(eb->Data(), std::vector<std::string>{"v6"});
  EXPECT_EQ(Addr(eb->received[0].source.c_str()).port, 5353);
  EXPECT_EQ(eb4->Data(), std::vector<std::string>{"v4"});
  EXPECT_EQ(eb4->received[0].source, "198.51.100.1:49152");
}

TEST_F(SimNetworkTest, MulticastSocketsShareTheirPortOnlyWithEachOther) {
  rtc_sim_host* h = w_->AddHost(nullptr, "198.51.100.1");
  rtc_socket_address v6 = Addr("2001:db8::1");
  ASSERT_EQ(rtc_sim_host_add_address(h, &v6), RTC_OK);
  Endpoint* ep = nullptr;
  ASSERT_TRUE(w_->OpenMulticast(h, "224.0.0.251:5353", 1));
  ASSERT_TRUE(w_->OpenMulticast(h, "224.0.0.251:5353", 1));
  EXPECT_EQ(w_->TryOpen(h, "198.51.100.1:5353", nullptr, &ep), RTC_ERR_IO);
  ASSERT_TRUE(w_->Open(h, "198.51.100.1:5000"));
  EXPECT_EQ(w_->TryOpenMulticast(h, "224.0.0.251:5000", 1, &ep), RTC_ERR_IO);
  // The interface must exist and have an address of the group's family.
  EXPECT_EQ(w_->TryOpenMulticast(h, "224.0.0.251:5353", 3, &ep),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(w_->TryOpenMulticast(h, "224.0.0.251:5353", 0, &ep),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(w_->TryOpenMulticast(h, "[ff02::fb]:5353", 1, &ep),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(w_->TryOpenMulticast(h, "[ff02::fb]:5353", 2, &ep), RTC_OK);
  EXPECT_EQ(w_->TryOpenMulticast(h, "198.51.100.1:5353", 1, &ep),
            RTC_ERR_INVALID_ARGUMENT);
}

// --- Stats, determinism, memory ---

TEST_F(SimNetworkTest, StatsCountEveryOutcome) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_PORT_RESTRICTED);
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nat, "192.168.1.2");
  Endpoint* ea = w_->Open(a, "198.51.100.1:1000");
  Endpoint* eb = w_->Open(b, "192.168.1.2:2000");
  ASSERT_TRUE(ea && eb);
  ASSERT_EQ(eb->Send("198.51.100.1:1000", "12345"), RTC_OK);      // delivered
  ASSERT_EQ(ea->Send("203.0.113.1:2000", "abc"), RTC_OK);         // delivered
  ASSERT_EQ(ea->Send("203.0.113.1:2001", "no mapping"), RTC_OK);  // filtered
  w_->RunAll();
  rtc_sim_link lossy = Link();
  lossy.loss = 1.0;
  SetUplink(a, lossy);
  ASSERT_EQ(ea->Send("203.0.113.1:2000", "lost"), RTC_OK);
  w_->RunAll();

  rtc_sim_stats sa = HostStats(a), sb = HostStats(b), net = w_->NetStats();
  EXPECT_EQ(sa.packets_sent, 3u);
  EXPECT_EQ(sa.packets_delivered, 1u);
  EXPECT_EQ(sa.bytes_delivered, 5u);
  EXPECT_EQ(sa.packets_filtered, 1u);
  EXPECT_EQ(sa.packets_lost, 1u);
  EXPECT_EQ(sb.packets_sent, 1u);
  EXPECT_EQ(sb.packets_delivered, 1u);
  EXPECT_EQ(sb.bytes_delivered, 3u);
  EXPECT_EQ(sb.packets_lost, 0u);
  EXPECT_EQ(net.packets_sent, 4u);
  EXPECT_EQ(net.packets_delivered, 2u);
  EXPECT_EQ(net.bytes_delivered, 8u);
  EXPECT_EQ(net.packets_filtered, 1u);
  EXPECT_EQ(net.packets_lost, 1u);
  EXPECT_EQ(net.packets_queue_drop, 0u);
  EXPECT_EQ(net.packets_duplicated, 0u);
}

// Everything alice's socket received (data, source, arrival) in a busy
// scenario with every random feature on.
std::vector<std::string> RunRandomScenario(uint64_t seed) {
  World w(seed);
  rtc_sim_nat* nat = w.AddNat("203.0.113.1", RTC_SIM_NAT_SYMMETRIC);
  rtc_sim_host* alice = w.AddHost(nat, "192.168.1.2");
  rtc_sim_host* bob = w.AddHost(nat, "192.168.1.3");
  rtc_sim_host* s = w.AddHost(nullptr, "198.51.100.1");
  rtc_sim_link link = Link();
  link.delay_us = 10 * kMs;
  link.jitter_us = 8 * kMs;
  link.loss = 0.1;
  link.duplicate = 0.1;
  link.reorder = 0.1;
  link.reorder_delay_us = 15 * kMs;
  link.bandwidth_bps = 2000000;
  rtc_sim_host_set_link(alice, &link, &link);
  rtc_sim_host_set_link(s, &link, &link);
  Endpoint* ea = w.Open(alice, "192.168.1.2:5000");
  Endpoint* eb = w.Open(bob, "192.168.1.3:5000");
  Endpoint* echo = w.Open(s, "198.51.100.1:3478");
  std::vector<std::string> log;
  if (!ea || !eb || !echo)
    return log;
  echo->on_packet = [&](const rtc_received_packet& p) {
    rtc_packet_socket_send_to(echo->socket(), p.data, p.size, &p.source);
  };
  for (int i = 0; i < 200; i++) {
    ea->Send("198.51.100.1:3478", Numbered(i, 200 + i));
    eb->Send("198.51.100.1:3478", Numbered(i));
    w.Advance(2 * kMs);
  }
  w.RunAll();
  for (const Received& r : ea->received) {
    log.push_back(r.data.substr(0, r.data.find(':')) + " " + r.source + " " +
                  std::to_string(r.arrival_us));
  }
  for (const Received& r : echo->received)
    log.push_back(r.source);
  return log;
}

TEST(SimNetworkDeterminismTest, SameSeedGivesSameDeliveriesAtSameTimes) {
  std::vector<std::string> first = RunRandomScenario(1234);
  std::vector<std::string> second = RunRandomScenario(1234);
  std::vector<std::string> other = RunRandomScenario(4321);
  EXPECT_GT(first.size(), 200u);
  EXPECT_EQ(first, second);
  EXPECT_NE(first, other);
}

// Calls `create` with the n-th allocation failing, for n = 1, 2, ... until
// it succeeds; every failure must report RTC_ERR_NO_MEMORY and leave the
// allocation count as it was.
void ExpectCleanOutOfMemory(const std::function<rtc_error()>& create,
                            const char* what,
                            bool always_allocates = true) {
  for (uint64_t n = 1;; n++) {
    int64_t before = rtc_alloc_live_count();
    rtc_alloc_fail_nth(n, 0);
    rtc_error err = create();
    rtc_alloc_clear_failure();
    if (err == RTC_OK) {
      if (always_allocates) {
        EXPECT_GT(n, 1u) << what << " allocates nothing";
      }
      return;
    }
    EXPECT_EQ(err, RTC_ERR_NO_MEMORY) << what << " n=" << n;
    EXPECT_EQ(rtc_alloc_live_count(), before) << what << " n=" << n;
    ASSERT_LT(n, 20u) << what;
  }
}

TEST(SimNetworkOomTest, CreateFunctionsFailCleanlyWhenOutOfMemory) {
  rtc_sim_time* time = nullptr;
  ASSERT_EQ(rtc_sim_time_create(0, &time), RTC_OK);
  rtc_task_queue* queue = nullptr;
  ASSERT_EQ(rtc_sim_time_create_queue(time, "sockets", &queue), RTC_OK);
  rtc_sim_network* net = nullptr;
  ExpectCleanOutOfMemory([&] { return rtc_sim_network_create(time, 1, &net); },
                         "network");
  ASSERT_TRUE(net);
  rtc_sim_nat* nat = nullptr;
  rtc_socket_address nat_ip = Addr("203.0.113.1");
  ExpectCleanOutOfMemory(
      [&] {
        return rtc_sim_network_add_nat(net, &nat_ip, RTC_SIM_NAT_SYMMETRIC,
                                       &nat);
      },
      "nat");
  rtc_sim_host* host = nullptr;
  rtc_socket_address ip = Addr("192.168.1.2");
  ExpectCleanOutOfMemory(
      [&] { return rtc_sim_network_add_host(net, nat, &ip, &host); }, "host");
  ASSERT_TRUE(host);
  for (int i = 0; i < 6; i++) {  // grows the address array
    std::string text = "10.0.0." + std::to_string(i + 1);
    rtc_socket_address more = Addr(text.c_str());
    ExpectCleanOutOfMemory(
        [&] { return rtc_sim_host_add_address(host, &more); }, "address",
        /*always_allocates=*/false);
  }
  rtc_sim_host* server = nullptr;
  rtc_socket_address server_ip = Addr("198.51.100.1");
  ASSERT_EQ(rtc_sim_network_add_host(net, nullptr, &server_ip, &server),
            RTC_OK);

  Endpoint udp(queue), mcast(queue), echo(queue);
  rtc_socket_address local = Addr("0.0.0.0:0");
  rtc_socket_factory* f = rtc_sim_host_socket_factory(host);
  ExpectCleanOutOfMemory(
      [&] {
        return rtc_socket_factory_create_udp(f, queue, &local, nullptr,
                                             &Endpoint::kObserver, &udp,
                                             udp.socket_out());
      },
      "udp");
  rtc_socket_address group = Addr("224.0.0.251:5353");
  ExpectCleanOutOfMemory(
      [&] {
        return rtc_socket_factory_create_multicast_udp(
            f, queue, &group, 1, &Endpoint::kObserver, &mcast,
            mcast.socket_out());
      },
      "multicast");
  rtc_socket_address server_local = Addr("198.51.100.1:3478");
  ASSERT_EQ(rtc_socket_factory_create_udp(
                rtc_sim_host_socket_factory(server), queue, &server_local,
                nullptr, &Endpoint::kObserver, &echo, echo.socket_out()),
            RTC_OK);

  // Allocation failures while packets travel drop them (counted as lost).
  for (uint64_t n = 1; n <= 6; n++) {
    rtc_alloc_fail_nth(n, 0);
    EXPECT_EQ(udp.Send("198.51.100.1:3478", "x"), RTC_OK);
    rtc_sim_time_run_until_idle(time);
    rtc_alloc_clear_failure();
  }
  EXPECT_EQ(udp.Send("198.51.100.1:3478", "ok"), RTC_OK);
  rtc_sim_time_run_until_idle(time);
  rtc_sim_stats stats;
  rtc_sim_network_get_stats(net, &stats);
  EXPECT_EQ(stats.packets_sent, 7u);
  EXPECT_EQ(stats.packets_delivered + stats.packets_lost, 7u);
  EXPECT_GE(stats.packets_lost, 1u);
  ASSERT_FALSE(echo.received.empty());
  EXPECT_EQ(echo.received.back().data, "ok");

  udp.Close();
  mcast.Close();
  echo.Close();
  rtc_sim_network_destroy(net);
  rtc_task_queue_destroy(queue);
  rtc_sim_time_destroy(time);
}

TEST(SimNetworkMemoryTest, DestroyReleasesEverythingWithPacketsInFlight) {
  int64_t baseline = rtc_alloc_live_count();
  {
    World w(3);
    rtc_sim_nat* nat = w.AddNat("203.0.113.1", RTC_SIM_NAT_PORT_RESTRICTED);
    rtc_sim_host* alice = w.AddHost(nat, "192.168.1.2");
    rtc_sim_host* s = w.AddHost(nullptr, "198.51.100.1");
    rtc_sim_link slow = Link();
    slow.delay_us = 50 * kMs;
    rtc_sim_host_set_link(alice, &slow, &slow);
    rtc_sim_host_set_link(s, &slow, &slow);
    Endpoint* ea = w.Open(alice, "192.168.1.2:5000");
    Endpoint* es = w.Open(s, "198.51.100.1:3478");
    ASSERT_TRUE(ea && es);
    for (int i = 0; i < 20; i++) {
      ASSERT_EQ(ea->Send("198.51.100.1:3478", Numbered(i)), RTC_OK);
      ASSERT_EQ(es->Send("203.0.113.1:5000", Numbered(i)), RTC_OK);
      w.Advance(10 * kMs);
    }
    // Packets are now in every step: on uplinks, in the core, on
    // downlinks, and mappings with permissions exist.
    EXPECT_NE(rtc_sim_time_next_deadline_us(w.time()), INT64_MAX);
  }
  EXPECT_EQ(rtc_alloc_live_count(), baseline);
}

TEST(SimNetworkDeathTest, DestroyingTheNetworkWithSocketsLeftCrashes) {
  EXPECT_DEATH(
      {
        rtc_sim_time* time = nullptr;
        rtc_sim_time_create(0, &time);
        rtc_task_queue* queue = nullptr;
        rtc_sim_time_create_queue(time, "q", &queue);
        rtc_sim_network* net = nullptr;
        rtc_sim_network_create(time, 1, &net);
        rtc_sim_host* host = nullptr;
        rtc_socket_address ip = Addr("198.51.100.1");
        rtc_sim_network_add_host(net, nullptr, &ip, &host);
        Endpoint ep(queue);
        rtc_socket_address local = Addr("198.51.100.1:0");
        rtc_socket_factory_create_udp(rtc_sim_host_socket_factory(host), queue,
                                      &local, nullptr, &Endpoint::kObserver,
                                      &ep, ep.socket_out());
        rtc_sim_network_destroy(net);
      },
      "still has sockets");
}

#if RTC_DCHECK_IS_ON
TEST(SimNetworkDeathTest, SocketsMustLiveOnAQueueOfTheNetworksTime) {
  EXPECT_DEATH(
      {
        rtc_sim_time* time = nullptr;
        rtc_sim_time* other_time = nullptr;
        rtc_sim_time_create(0, &time);
        rtc_sim_time_create(0, &other_time);
        rtc_task_queue* other = nullptr;
        rtc_sim_time_create_queue(other_time, "other", &other);
        rtc_sim_network* net = nullptr;
        rtc_sim_network_create(time, 1, &net);
        rtc_sim_host* host = nullptr;
        rtc_socket_address ip = Addr("198.51.100.1");
        rtc_sim_network_add_host(net, nullptr, &ip, &host);
        Endpoint ep(other);
        rtc_socket_address local = Addr("198.51.100.1:0");
        rtc_socket_factory_create_udp(rtc_sim_host_socket_factory(host), other,
                                      &local, nullptr, &Endpoint::kObserver,
                                      &ep, ep.socket_out());
      },
      "rtc_sim_time");
}
#endif  // RTC_DCHECK_IS_ON

// --- TCP ---

// One end of a simulated TCP connection and what it saw, with times.
struct TcpEnd {
  rtc_stream_socket* socket = nullptr;
  int64_t connected_at = -1;
  int64_t closed_at = -1;
  rtc_error close_error = RTC_OK;
  std::string data;
  std::vector<int64_t> data_at;
  int writable = 0;
  rtc_sim_time* time = nullptr;
  static const rtc_stream_socket_observer kObserver;
  ~TcpEnd() { rtc_stream_socket_destroy(socket); }
};

TcpEnd* T(void* u) {
  return static_cast<TcpEnd*>(u);
}

const rtc_stream_socket_observer TcpEnd::kObserver = {
    [](void* u, rtc_stream_socket*) {
      T(u)->connected_at = rtc_sim_time_now_us(T(u)->time);
    },
    [](void* u, rtc_stream_socket*, const uint8_t* d, size_t n) {
      T(u)->data.append(reinterpret_cast<const char*>(d), n);
      T(u)->data_at.push_back(rtc_sim_time_now_us(T(u)->time));
    },
    [](void* u, rtc_stream_socket*) { T(u)->writable++; },
    [](void* u, rtc_stream_socket*, rtc_error e) {
      T(u)->closed_at = rtc_sim_time_now_us(T(u)->time);
      T(u)->close_error = e;
    },
};

class SimTcpTest : public SimNetworkTest {
 protected:
  void TearDown() override {
    {
      ScopedOnQueue on(w_->queue());
      client_.reset();
      server_.reset();
      rtc_stream_listener_destroy(listener_);
    }
    SimNetworkTest::TearDown();
  }

  static void OnAccept(void* user,
                       rtc_stream_listener*,
                       rtc_stream_socket* socket) {
    auto* self = static_cast<SimTcpTest*>(user);
    self->server_ = std::make_unique<TcpEnd>();
    self->server_->time = self->w_->time();
    self->server_->socket = socket;
    self->server_->connected_at = rtc_sim_time_now_us(self->w_->time());
    rtc_stream_socket_set_observer(socket, &TcpEnd::kObserver,
                                   self->server_.get());
  }

  void Listen(rtc_sim_host* host, const char* at) {
    static const rtc_stream_listener_observer kListener = {OnAccept};
    ScopedOnQueue on(w_->queue());
    rtc_socket_address a = Addr(at);
    ASSERT_EQ(rtc_socket_factory_listen_tcp(rtc_sim_host_socket_factory(host),
                                            w_->queue(), &a, &kListener, this,
                                            &listener_),
              RTC_OK);
  }

  void Connect(rtc_sim_host* host, const char* from, const char* to) {
    ScopedOnQueue on(w_->queue());
    client_ = std::make_unique<TcpEnd>();
    client_->time = w_->time();
    rtc_socket_address a = Addr(from), b = Addr(to);
    ASSERT_EQ(rtc_socket_factory_connect_tcp(
                  rtc_sim_host_socket_factory(host), w_->queue(), &a, &b,
                  &TcpEnd::kObserver, client_.get(), &client_->socket),
              RTC_OK);
  }

  size_t Send(TcpEnd& e, const std::string& data) {
    ScopedOnQueue on(w_->queue());
    size_t accepted = 0;
    EXPECT_EQ(rtc_stream_socket_send(
                  e.socket, reinterpret_cast<const uint8_t*>(data.data()),
                  data.size(), &accepted),
              RTC_OK);
    return accepted;
  }

  std::string Remote(TcpEnd& e) {
    rtc_socket_address a;
    EXPECT_EQ(rtc_stream_socket_remote_address(e.socket, &a), RTC_OK);
    return Str(a);
  }

  rtc_stream_listener* listener_ = nullptr;
  std::unique_ptr<TcpEnd> client_, server_;
};

// A round trip to set up (accepted after one way, connected after two),
// then each write one way later, in order, both ways.
TEST_F(SimTcpTest, ConnectsInARoundTripAndCarriesBytesOneWayLater) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link up = Link();
  up.delay_us = 10 * kMs;
  SetUplink(a, up);
  SetUplink(b, up);
  Listen(b, "198.51.100.2:3478");
  Connect(a, "198.51.100.1", "198.51.100.2:3478");
  w_->Advance(10 * kMs);
  ASSERT_TRUE(server_);
  EXPECT_EQ(server_->connected_at, 10 * kMs);
  EXPECT_EQ(Remote(*server_).rfind("198.51.100.1:", 0), 0u);
  EXPECT_EQ(client_->connected_at, -1);
  w_->Advance(10 * kMs);
  EXPECT_EQ(client_->connected_at, 20 * kMs);
  EXPECT_EQ(Send(*client_, "hello"), 5u);
  EXPECT_EQ(Send(*client_, " world"), 6u);
  w_->Advance(10 * kMs);
  EXPECT_EQ(server_->data, "hello world");
  EXPECT_EQ(server_->data_at.back(), 30 * kMs);
  EXPECT_EQ(Send(*server_, "back"), 4u);
  w_->RunAll();
  EXPECT_EQ(client_->data, "back");
  EXPECT_EQ(client_->data_at.back(), 40 * kMs);
}

// Behind a NAT a host reaches an internet server, which sees the NAT's
// public address; nothing from the internet reaches into the NAT: that
// connection times out.
TEST_F(SimTcpTest, NatLetsConnectionsOutAndNoneIn) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_PORT_RESTRICTED);
  rtc_sim_host* inside = w_->AddHost(nat, "192.168.1.10");
  rtc_sim_host* server = w_->AddHost(nullptr, "198.51.100.2");
  Listen(server, "0.0.0.0:443");
  Connect(inside, "192.168.1.10", "198.51.100.2:443");
  w_->RunAll();
  ASSERT_TRUE(server_);
  EXPECT_EQ(Remote(*server_).rfind("203.0.113.1:", 0), 0u);
  EXPECT_GE(client_->connected_at, 0);
  {
    ScopedOnQueue on(w_->queue());
    client_.reset();
    server_.reset();
    rtc_stream_listener_destroy(listener_);
    listener_ = nullptr;
  }
  Listen(inside, "192.168.1.10:5000");
  int64_t start = w_->Now();
  Connect(server, "198.51.100.2", "203.0.113.1:5000");
  w_->RunAll();
  EXPECT_FALSE(server_);
  EXPECT_EQ(client_->close_error, RTC_ERR_NETWORK);
  EXPECT_EQ(client_->closed_at - start, 5 * kSec);
  EXPECT_EQ(client_->connected_at, -1);
}

TEST_F(SimTcpTest, NoListenerIsAResetAfterARoundTrip) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link up = Link();
  up.delay_us = 7 * kMs;
  SetUplink(a, up);
  Connect(a, "198.51.100.1", "198.51.100.2:80");
  w_->RunAll();
  EXPECT_EQ(client_->close_error, RTC_ERR_NETWORK);
  EXPECT_EQ(client_->closed_at, 14 * kMs);
}

// The firewall case of issue 10: UDP does not cross the NAT, TCP does.
TEST_F(SimTcpTest, BlockedUdpStillLetsTcpThrough) {
  rtc_sim_nat* nat = w_->AddNat("203.0.113.1", RTC_SIM_NAT_FULL_CONE);
  rtc_sim_nat_set_udp_blocked(nat, true);
  rtc_sim_host* inside = w_->AddHost(nat, "192.168.1.10");
  rtc_sim_host* lan = w_->AddHost(nat, "192.168.1.11");
  rtc_sim_host* server = w_->AddHost(nullptr, "198.51.100.2");
  Endpoint* u = w_->Open(inside, "192.168.1.10:1000");
  Endpoint* s = w_->Open(server, "198.51.100.2:2000");
  Endpoint* l = w_->Open(lan, "192.168.1.11:3000");
  ASSERT_EQ(u->Send("198.51.100.2:2000", "out"), RTC_OK);
  ASSERT_EQ(u->Send("192.168.1.11:3000", "lan"), RTC_OK);
  ASSERT_EQ(s->Send("203.0.113.1:1000", "in"), RTC_OK);
  w_->RunAll();
  EXPECT_TRUE(s->received.empty());
  EXPECT_TRUE(u->received.empty());
  ASSERT_EQ(l->received.size(), 1u);  // inside the LAN: no firewall
  Listen(server, "198.51.100.2:443");
  Connect(inside, "192.168.1.10", "198.51.100.2:443");
  w_->RunAll();
  ASSERT_TRUE(server_);
  EXPECT_EQ(Send(*client_, "tcp"), 3u);
  w_->RunAll();
  EXPECT_EQ(server_->data, "tcp");
}

// Up to RTC_STREAM_SEND_BUFFER bytes on the way; a fuller write is taken
// in part, on_writable says when the acknowledgements made room, and the
// bytes arrive whole and in order.
TEST_F(SimTcpTest, SendBufferFillsAndDrainsInOrder) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link up = Link();
  up.delay_us = 20 * kMs;
  SetUplink(a, up);
  Listen(b, "198.51.100.2:3478");
  Connect(a, "198.51.100.1", "198.51.100.2:3478");
  w_->RunAll();
  std::string data(RTC_STREAM_SEND_BUFFER * 3, '\0');
  for (size_t i = 0; i < data.size(); i++)
    data[i] = static_cast<char>(i * 31 + i / 7);
  size_t sent = Send(*client_, data);
  EXPECT_EQ(sent, size_t{RTC_STREAM_SEND_BUFFER});
  int rounds = 0;
  while (sent < data.size() && rounds++ < 100) {
    int writable = client_->writable;
    while (client_->writable == writable)
      w_->Advance(kMs);
    sent += Send(*client_, data.substr(sent));
  }
  w_->RunAll();
  EXPECT_TRUE(server_->data == data);
  EXPECT_GE(client_->writable, 2);
}

// Closing reaches the other end after the last bytes; a listener gone
// before the connection arrives resets it.
TEST_F(SimTcpTest, CloseFollowsTheLastBytesAndAGoneListenerResets) {
  rtc_sim_host* a = w_->AddHost(nullptr, "198.51.100.1");
  rtc_sim_host* b = w_->AddHost(nullptr, "198.51.100.2");
  rtc_sim_link up = Link();
  up.delay_us = 5 * kMs;
  SetUplink(a, up);
  Listen(b, "198.51.100.2:3478");
  Connect(a, "198.51.100.1", "198.51.100.2:3478");
  w_->RunAll();
  Send(*client_, "bye");
  {
    ScopedOnQueue on(w_->queue());
    client_.reset();
  }
  w_->RunAll();
  EXPECT_EQ(server_->data, "bye");
  EXPECT_EQ(server_->close_error, RTC_OK);
  EXPECT_GE(server_->closed_at, server_->data_at.back());
  {
    ScopedOnQueue on(w_->queue());
    server_.reset();
  }
  Connect(a, "198.51.100.1", "198.51.100.2:3478");
  {
    ScopedOnQueue on(w_->queue());
    rtc_stream_listener_destroy(listener_);
    listener_ = nullptr;
  }
  w_->RunAll();
  EXPECT_FALSE(server_);
  EXPECT_EQ(client_->close_error, RTC_ERR_NETWORK);
}

}  // namespace
