/*
 * Fuzzes the mDNS codec (p2p/mdns_message.h) and rtc_mdns's handling of
 * received packets (p2p/mdns.h).
 *
 * 1. Codec: hostile bytes never crash the reader. When a message parses,
 *    queries and responses rebuilt from its names and addresses parse back
 *    to the same names and addresses, and so does a copy of the whole
 *    message rebuilt with the writer.
 * 2. rtc_mdns: the bytes arrive as a packet on the multicast socket of an
 *    rtc_mdns (a fake socket factory, simulated time) that has a
 *    registered name and lookups pending for "fuzz.local" and
 *    "printer.local"; once from port 5353, once from a legacy port. The
 *    36-byte UUID "00000000-0000-4000-8000-000000000000" in the input is
 *    replaced by the registered name so that queries can reach it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "p2p/mdns.h"
#include "p2p/mdns_message.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/task_queue.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define MAX_ITEMS 64
#define PLACEHOLDER "00000000-0000-4000-8000-000000000000"
#define PLACEHOLDER_LEN 36

/* --- 1. The codec --- */

static void check_query_round_trip(const rtc_mdns_name* name) {
  uint8_t buf[600];
  size_t len;
  RTC_CHECK(rtc_mdns_build_query(name, true, buf, sizeof(buf), &len) == RTC_OK);
  rtc_mdns_reader reader;
  RTC_CHECK(rtc_mdns_reader_init(&reader, buf, len) == RTC_OK);
  for (int i = 0; i < 2; i++) {
    rtc_mdns_question q;
    RTC_CHECK(rtc_mdns_reader_next_question(&reader, &q) == RTC_OK);
    RTC_CHECK(q.name.length == name->length &&
              memcmp(q.name.wire, name->wire, name->length) == 0);
    RTC_CHECK(q.unicast_response);
    RTC_CHECK(q.type == (i == 0 ? RTC_MDNS_TYPE_A : RTC_MDNS_TYPE_AAAA));
  }
  RTC_CHECK(rtc_mdns_message_validate(buf, len, NULL) == RTC_OK);
}

static void check_response_round_trip(const rtc_mdns_answer* answers,
                                      size_t count,
                                      uint32_t ttl) {
  /* Each answer takes at most 255 + 10 + 16 bytes, its NSEC 255 + 10 +
   * 255 + 6. */
  static uint8_t buf[12 + MAX_ITEMS * (281 + 526)];
  size_t len;
  RTC_CHECK(rtc_mdns_build_response(answers, count, ttl, buf, sizeof(buf),
                                    &len) == RTC_OK);
  rtc_mdns_reader reader;
  RTC_CHECK(rtc_mdns_reader_init(&reader, buf, len) == RTC_OK);
  RTC_CHECK(reader.header.answer_count == count);
  for (size_t i = 0; i < count; i++) {
    rtc_mdns_record r;
    RTC_CHECK(rtc_mdns_reader_next_record(&reader, &r) == RTC_OK);
    RTC_CHECK(rtc_mdns_name_equal(&r.name, answers[i].name));
    RTC_CHECK(rtc_ip_address_equal(&r.address, &answers[i].address));
    RTC_CHECK(r.ttl == ttl && r.cache_flush);
  }
  RTC_CHECK(rtc_mdns_message_validate(buf, len, NULL) == RTC_OK);
}

static void fuzz_codec(const uint8_t* data, size_t size) {
  rtc_mdns_header header;
  if (rtc_mdns_message_validate(data, size, &header) != RTC_OK) {
    /* The reader fails the same way, never past the end. */
    rtc_mdns_reader reader;
    if (rtc_mdns_reader_init(&reader, data, size) == RTC_OK) {
      rtc_mdns_question q;
      while (rtc_mdns_reader_next_question(&reader, &q) == RTC_OK) {
      }
      rtc_mdns_record r;
      while (rtc_mdns_reader_next_record(&reader, &r) == RTC_OK) {
      }
      RTC_CHECK(reader.malformed);
    }
    return;
  }

  static rtc_mdns_question questions[MAX_ITEMS];
  static rtc_mdns_record records[MAX_ITEMS];
  size_t question_count = 0, record_count = 0;
  rtc_mdns_reader reader;
  RTC_CHECK(rtc_mdns_reader_init(&reader, data, size) == RTC_OK);
  rtc_mdns_question q;
  while (rtc_mdns_reader_next_question(&reader, &q) == RTC_OK) {
    if (question_count < MAX_ITEMS)
      questions[question_count++] = q;
  }
  rtc_mdns_record r;
  while (rtc_mdns_reader_next_record(&reader, &r) == RTC_OK) {
    if (record_count < MAX_ITEMS)
      records[record_count++] = r;
  }
  RTC_CHECK(!reader.malformed);

  char text[4 * RTC_MDNS_MAX_NAME_LENGTH + 1];
  for (size_t i = 0; i < question_count; i++) {
    RTC_CHECK(rtc_mdns_name_to_text(&questions[i].name, text, sizeof(text)) <
              sizeof(text));
    RTC_CHECK(rtc_mdns_name_equal(&questions[i].name, &questions[i].name));
    check_query_round_trip(&questions[i].name);
  }

  rtc_mdns_answer answers[MAX_ITEMS];
  size_t answer_count = 0;
  for (size_t i = 0; i < record_count; i++) {
    if (records[i].address.family == RTC_AF_UNSPEC)
      continue;
    answers[answer_count].name = &records[i].name;
    answers[answer_count].address = records[i].address;
    answer_count++;
  }
  if (answer_count > 0) {
    check_response_round_trip(answers, answer_count, records[0].ttl);
    check_response_round_trip(answers, answer_count, 0);
  }

  /* The whole message again, through the writer: questions, then every
   * record that has an address, in its section. */
  static uint8_t buf[12 + MAX_ITEMS * 600];
  rtc_mdns_writer w;
  rtc_mdns_writer_init(&w, buf, sizeof(buf), header.id, header.flags);
  for (size_t i = 0; i < question_count; i++) {
    rtc_mdns_writer_add_question(&w, &questions[i].name, questions[i].type,
                                 questions[i].unicast_response);
  }
  size_t rewritten = 0;
  for (size_t i = 0; i < record_count; i++) {
    if (records[i].address.family == RTC_AF_UNSPEC)
      continue;
    rtc_mdns_writer_add_address(&w, records[i].section, &records[i].name,
                                &records[i].address, records[i].ttl,
                                records[i].cache_flush);
    rewritten++;
  }
  size_t len;
  RTC_CHECK(rtc_mdns_writer_finish(&w, &len) == RTC_OK);
  rtc_mdns_reader again;
  RTC_CHECK(rtc_mdns_reader_init(&again, buf, len) == RTC_OK);
  RTC_CHECK(again.header.id == header.id && again.header.flags == header.flags);
  for (size_t i = 0; i < question_count; i++) {
    RTC_CHECK(rtc_mdns_reader_next_question(&again, &q) == RTC_OK);
    RTC_CHECK(rtc_mdns_name_equal(&q.name, &questions[i].name));
    RTC_CHECK(q.type == questions[i].type &&
              q.unicast_response == questions[i].unicast_response);
  }
  size_t j = 0;
  for (size_t i = 0; i < record_count; i++) {
    if (records[i].address.family == RTC_AF_UNSPEC)
      continue;
    RTC_CHECK(rtc_mdns_reader_next_record(&again, &r) == RTC_OK);
    RTC_CHECK(r.section == records[i].section);
    RTC_CHECK(rtc_mdns_name_equal(&r.name, &records[i].name));
    RTC_CHECK(rtc_ip_address_equal(&r.address, &records[i].address));
    RTC_CHECK(r.ttl == records[i].ttl &&
              r.cache_flush == records[i].cache_flush);
    j++;
  }
  RTC_CHECK(j == rewritten);
  RTC_CHECK(rtc_mdns_reader_next_record(&again, &r) == RTC_ERR_NOT_FOUND);
}

/* --- 2. rtc_mdns with a fake socket --- */

typedef struct fake_socket {
  rtc_packet_socket base;
  bool in_use;
} fake_socket;

static fake_socket g_socket;
static size_t g_sent;

static rtc_error fake_send(rtc_packet_socket* socket,
                           const rtc_outgoing_packet* packets,
                           size_t count,
                           size_t* sent) {
  (void)socket;
  for (size_t i = 0; i < count; i++) {
    /* What rtc_mdns sends must parse. */
    RTC_CHECK(rtc_mdns_message_validate(packets[i].data, packets[i].size,
                                        NULL) == RTC_OK);
  }
  g_sent += count;
  *sent = count;
  return RTC_OK;
}

static rtc_error fake_local_address(rtc_packet_socket* socket,
                                    rtc_socket_address* out) {
  (void)socket;
  rtc_socket_address_set_ipv4(out, 0, 5353);
  return RTC_OK;
}

static void fake_destroy(rtc_packet_socket* socket) {
  ((fake_socket*)socket)->in_use = false;
}

static const rtc_packet_socket_vtable kFakeSocketVtable = {
    fake_send,
    fake_local_address,
    fake_destroy,
};

static rtc_error fake_list_interfaces(rtc_socket_factory* factory,
                                      rtc_network_interface* out,
                                      size_t capacity,
                                      size_t* count) {
  (void)factory;
  *count = 1;
  if (capacity < 1)
    return RTC_OK;
  memset(out, 0, sizeof(*out));
  memcpy(out->name, "eth0", 5);
  out->index = 1;
  out->type = RTC_ADAPTER_ETHERNET;
  rtc_socket_address_set_ipv4(&out->address, 0xc0a8010a, 0); /* .1.10 */
  out->prefix_length = 24;
  out->multicast = true;
  return RTC_OK;
}

static rtc_error fake_default_route(rtc_socket_factory* factory,
                                    rtc_address_family family,
                                    rtc_socket_address* out) {
  (void)factory;
  (void)family;
  (void)out;
  return RTC_ERR_NOT_FOUND;
}

static rtc_error fake_create_udp(rtc_socket_factory* factory,
                                 rtc_task_queue* queue,
                                 const rtc_socket_address* local,
                                 const rtc_udp_options* options,
                                 const rtc_packet_socket_observer* observer,
                                 void* user,
                                 rtc_packet_socket** out) {
  (void)factory;
  (void)queue;
  (void)local;
  (void)options;
  (void)observer;
  (void)user;
  (void)out;
  return RTC_ERR_NOT_SUPPORTED;
}

static rtc_error fake_create_multicast_udp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* group,
    uint32_t if_index,
    const rtc_packet_socket_observer* observer,
    void* user,
    rtc_packet_socket** out) {
  (void)factory;
  (void)group;
  (void)if_index;
  RTC_CHECK(!g_socket.in_use);
  g_socket.in_use = true;
  g_socket.base.vtable = &kFakeSocketVtable;
  g_socket.base.queue = queue;
  g_socket.base.observer = observer;
  g_socket.base.observer_user = user;
  *out = &g_socket.base;
  return RTC_OK;
}

static const rtc_socket_factory_vtable kFakeFactoryVtable = {
    .list_interfaces = fake_list_interfaces,
    .default_route_address = fake_default_route,
    .create_udp = fake_create_udp,
    .create_multicast_udp = fake_create_multicast_udp,
};

static void on_resolved(void* user,
                        rtc_error result,
                        const rtc_socket_address* address) {
  int* calls = user;
  (*calls)++;
  RTC_CHECK(result != RTC_OK || address != NULL);
}

static void deliver(const uint8_t* data, size_t size, uint16_t port) {
  rtc_received_packet packet;
  memset(&packet, 0, sizeof(packet));
  packet.data = data;
  packet.size = size;
  rtc_socket_address_set_ipv4(&packet.source, 0xc0a80114, port); /* .1.20 */
  rtc_socket_address_set_ipv4(&packet.destination, 0xe00000fb, 5353);
  g_socket.base.observer->on_packets(g_socket.base.observer_user,
                                     &g_socket.base, &packet, 1);
}

static void fuzz_mdns(const uint8_t* data, size_t size) {
  int64_t live = rtc_alloc_live_count();
  rtc_sim_time* time;
  rtc_task_queue* queue;
  RTC_CHECK(rtc_sim_time_create(0, &time) == RTC_OK);
  RTC_CHECK(rtc_sim_time_create_queue(time, "network", &queue) == RTC_OK);
  rtc_task_queue* previous = rtc_task_queue_set_current(queue);
  rtc_socket_factory factory = {&kFakeFactoryVtable};
  rtc_mdns* mdns;
  RTC_CHECK(rtc_mdns_create(&factory, queue, NULL, &mdns) == RTC_OK);

  char name[RTC_MDNS_NAME_SIZE];
  rtc_socket_address ip;
  rtc_socket_address_set_ipv4(&ip, 0xc0a8010a, 0);
  RTC_CHECK(rtc_mdns_register(mdns, &ip, name) == RTC_OK);
  int calls = 0;
  RTC_CHECK(rtc_mdns_resolve(mdns, "fuzz.local", 10, 0, on_resolved, &calls,
                             NULL) == RTC_OK);
  RTC_CHECK(rtc_mdns_resolve(mdns, "printer.local", 13, 0, on_resolved, &calls,
                             NULL) == RTC_OK);
  rtc_sim_time_run_until_idle(time); /* the queries go out */

  uint8_t* copy = rtc_malloc(size);
  RTC_CHECK(copy);
  if (size > 0)
    memcpy(copy, data, size);
  for (size_t i = 0; i + PLACEHOLDER_LEN <= size; i++) {
    if (memcmp(copy + i, PLACEHOLDER, PLACEHOLDER_LEN) == 0)
      memcpy(copy + i, name, PLACEHOLDER_LEN);
  }
  deliver(copy, size, 5353);
  deliver(copy, size, 40000);
  rtc_free(copy);
  rtc_sim_time_advance_us(time, 10 * RTC_US_PER_SEC);
  RTC_CHECK(calls == 2); /* answered or timed out, once each */

  rtc_mdns_destroy(mdns);
  RTC_CHECK(!g_socket.in_use);
  rtc_task_queue_set_current(previous);
  rtc_task_queue_destroy(queue);
  rtc_sim_time_destroy(time);
  RTC_CHECK(rtc_alloc_live_count() == live); /* everything freed */
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_codec(data, size);
  fuzz_mdns(data, size);
  return 0;
}
