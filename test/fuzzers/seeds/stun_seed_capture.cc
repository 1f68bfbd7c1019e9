// Captures the STUN messages of a real ICE exchange for the stun_fuzzer
// seed corpus: two rtcbox peer connections on the simulated network
// negotiate a data channel and connect; every UDP datagram they send goes
// through a socket whose send is tapped, and the STUN ones (Binding
// requests with USERNAME, PRIORITY, ICE-CONTROLLING/-CONTROLLED,
// USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT, and their success
// responses) are written to $STUN_SEED_DIR (default
// test/fuzzers/corpus/stun) as captured_<n>_<kind>.bin, one of each kind.
//
//   out/clang/stun_seed_capture   (from the source root)
//
// Built with the tests, not run by make test (it writes files).

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "p2p/packet_socket.h"
#include "p2p/socket_factory.h"
#include "p2p/stun.h"
#include "test/pc/pc_test_util.h"

namespace rtc_test {
namespace {

// The tap: every socket the wrapped factory makes gets this vtable, which
// records and forwards to the socket's own (the simulated network's
// sockets all share one).
const rtc_packet_socket_vtable* g_inner_vtable = nullptr;
std::vector<std::string> g_sent;

rtc_error TapSend(rtc_packet_socket* s,
                  const rtc_outgoing_packet* packets,
                  size_t count,
                  size_t* sent) {
  rtc_error err = g_inner_vtable->send(s, packets, count, sent);
  for (size_t i = 0; i < *sent; i++)
    g_sent.emplace_back(reinterpret_cast<const char*>(packets[i].data),
                        packets[i].size);
  return err;
}

rtc_error TapLocalAddress(rtc_packet_socket* s, rtc_socket_address* out) {
  return g_inner_vtable->local_address(s, out);
}

void TapDestroy(rtc_packet_socket* s) {
  g_inner_vtable->destroy(s);
}

const rtc_packet_socket_vtable kTapVtable = {TapSend, TapLocalAddress,
                                             TapDestroy};

struct TapFactory {
  rtc_socket_factory base;
  rtc_socket_factory* inner;
};

rtc_socket_factory* Inner(rtc_socket_factory* f) {
  return reinterpret_cast<TapFactory*>(f)->inner;
}

const rtc_socket_factory_vtable kTapFactoryVtable = {
    [](rtc_socket_factory* f,
       rtc_network_interface* out,
       size_t capacity,
       size_t* count) {
      return Inner(f)->vtable->list_interfaces(Inner(f), out, capacity, count);
    },
    [](rtc_socket_factory* f,
       rtc_address_family family,
       rtc_socket_address* out) {
      return Inner(f)->vtable->default_route_address(Inner(f), family, out);
    },
    [](rtc_socket_factory* f,
       rtc_task_queue* q,
       const rtc_socket_address* local,
       const rtc_udp_options* options,
       const rtc_packet_socket_observer* observer,
       void* user,
       rtc_packet_socket** out) {
      rtc_error err = Inner(f)->vtable->create_udp(Inner(f), q, local, options,
                                                   observer, user, out);
      if (err == RTC_OK) {
        g_inner_vtable = (*out)->vtable;
        (*out)->vtable = &kTapVtable;
      }
      return err;
    },
    [](rtc_socket_factory* f,
       rtc_task_queue* q,
       const rtc_socket_address* group,
       uint32_t if_index,
       const rtc_packet_socket_observer* observer,
       void* user,
       rtc_packet_socket** out) {
      return Inner(f)->vtable->create_multicast_udp(
          Inner(f), q, group, if_index, observer, user, out);
    },
    nullptr,  // no TCP
    nullptr,
};

class StunSeedCapture : public PeerConnectionTest {
 protected:
  void MakeTappedPeer(Peer& p,
                      TapFactory& tap,
                      const char* name,
                      const char* ip) {
    p.name = name;
    rtc_socket_address addr;
    ASSERT_EQ(rtc_socket_address_parse(ip, strlen(ip), &addr), RTC_OK);
    ASSERT_EQ(rtc_sim_network_add_host(net_, nullptr, &addr, &p.host), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "signaling", &p.signaling),
              RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "network", &p.network), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "worker", &p.worker), RTC_OK);
    tap.base.vtable = &kTapFactoryVtable;
    tap.inner = rtc_sim_host_socket_factory(p.host);
    rtc_context_config cc;
    rtc_context_config_init(&cc);
    cc.network_queue = p.network;
    cc.worker_queue = p.worker;
    cc.socket_factory = &tap.base;
    ASSERT_EQ(rtc_context_create(&cc, &p.context), RTC_OK);
    CreatePc(p);
  }

  TapFactory tap_a_, tap_b_;
};

// What a STUN message is, for its file name.
std::string Kind(const rtc_stun_message& m) {
  std::string kind;
  switch (m.type) {
    case 0x0001:
      kind = "binding_request";
      break;
    case 0x0101:
      kind = "binding_success";
      break;
    case 0x0111:
      kind = "binding_error";
      break;
    case 0x0011:
      kind = "binding_indication";
      break;
    default:
      kind = "type_" + std::to_string(m.type);
  }
  if (m.type == 0x0001) {
    if (rtc_stun_find(&m, RTC_STUN_ATTR_ICE_CONTROLLING))
      kind += "_controlling";
    if (rtc_stun_find(&m, RTC_STUN_ATTR_ICE_CONTROLLED))
      kind += "_controlled";
    if (rtc_stun_has_use_candidate(&m))
      kind += "_use_candidate";
  }
  if (rtc_stun_find(&m, RTC_STUN_ATTR_MESSAGE_INTEGRITY))
    kind += "_integrity";
  if (m.has_fingerprint)
    kind += "_fingerprint";
  return kind;
}

TEST_F(StunSeedCapture, WritesTheStunMessagesOfARealIceExchange) {
  MakeTappedPeer(a_, tap_a_, "a", "10.0.0.1");
  MakeTappedPeer(b_, tap_b_, "b", "10.0.0.2");
  auto ch = CreateChannel(a_, "seed", nullptr);
  Negotiate(a_, b_);
  ASSERT_NE(WaitOpen(*ch, b_, 0, 30 * kSec), nullptr);
  // Consent freshness: a few more checks on the selected pair.
  rtc_sim_time_advance_us(time_, 12 * kSec);

  const char* dir = getenv("STUN_SEED_DIR");
  std::string out = dir ? dir : "test/fuzzers/corpus/stun";
  std::map<std::string, std::string> one_of_each;
  for (const std::string& d : g_sent) {
    const uint8_t* data = reinterpret_cast<const uint8_t*>(d.data());
    rtc_stun_message m;
    if (!rtc_stun_looks_like_stun(data, d.size()) ||
        rtc_stun_parse(data, d.size(), &m) != RTC_OK)
      continue;
    one_of_each.emplace(Kind(m), d);
  }
  ASSERT_GE(one_of_each.size(), 3u);
  int n = 0;
  for (const auto& [kind, bytes] : one_of_each) {
    char name[32];
    snprintf(name, sizeof(name), "captured_%02d_", n++);
    std::string path = out + "/" + name + kind + ".bin";
    FILE* f = fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr) << path;
    ASSERT_EQ(fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    fclose(f);
    printf("wrote %s (%zu bytes)\n", path.c_str(), bytes.size());
  }
}

}  // namespace
}  // namespace rtc_test
