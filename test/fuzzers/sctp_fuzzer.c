/*
 * Fuzzes SCTP packets into a live association (pc/sctp_transport.h:
 * usrsctp through AF_CONN, RFC 8261 without the DTLS, which the transport
 * never sees): two transports, a and b, are wired in memory on simulated
 * time; they connect (RFC 9260 §5.1), a opens a data channel (DCEP, RFC
 * 8832) and sends on it, then each input's packets go into b as if a had
 * sent them, while a and b keep talking (b echoes what it receives) and
 * timers run (SACK delay, retransmissions). The association is set up once
 * and serves inputs until it is gone (aborted or shut down by an input) or
 * has served RECYCLE_EVERY of them; then both transports are destroyed and
 * every rtc_malloc allocation made since it was set up must be gone.
 * Nothing may crash or hang. Since an input meets the state earlier inputs
 * left, a crash may need them: SCTP_FUZZER_FRESH=1 in the environment gives
 * every input a new association (and checks leaks after each).
 *
 * Input: a flags byte, then packets, each a 16-bit big-endian length and
 * that many bytes (the last one takes what is left). Flags:
 *   bit 0  write the CRC32c (RFC 9260 §6.8): usrsctp checks it, and a
 *          mutated packet would otherwise be dropped there;
 *   bit 1  write the live association's ports and verification tag (0 for
 *          a packet starting with INIT, RFC 9260 §8.5.1), or usrsctp drops
 *          the packet as out of the blue;
 *   bit 2  drop what b sends to a (a goes quiet: b's retransmissions and
 *          abort path run).
 * The seeds (corpus/sctp) are packets captured from a real association
 * between two of our transports: run this fuzzer with
 * SCTP_FUZZER_WRITE_SEEDS=<dir> to write them again (see
 * write_seeds()).
 *
 * usrsctp is process-wide: a third transport, created once and never
 * started, keeps it initialized between inputs (otherwise every input
 * would pay for usrsctp_init/usrsctp_finish).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "pc/dcep.h"
#include "pc/sctp_transport.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/sim_time.h"
#include "test/fuzzers/fuzz_wire.h"
#include "test/support/sim_wall_clock.h"

int LLVMFuzzerInitialize(int* argc, char*** argv);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define FLAG_FIX_CRC 0x01
#define FLAG_FIX_HEADER 0x02
#define FLAG_MUTE_B 0x04

#define MAX_PACKETS 32
#define RECYCLE_EVERY 500
#define SCTP_HEADER_SIZE 12

typedef struct side {
  rtc_sctp_transport* transport;
  int index;
  rtc_sctp_state state;
  size_t messages;
} side;

static struct {
  rtc_sim_time* time;
  rtc_task_queue* queue;
  rtc_sctp_transport* keeper;
  side sides[2];
  rtc_fuzz_wire wire; /* to 0: a, to 1: b */
  bool mute_b;
  /* The common header of a's last packet after its INIT: the ports and
   * the verification tag b expects. */
  uint8_t header[SCTP_HEADER_SIZE];
  bool have_header;
  /* The association lives across inputs (setting one up costs more than
   * most inputs); these track it. */
  bool connected;
  int64_t live_before_connect;
  int inputs;
  /* SCTP_FUZZER_FRESH set: a new association for every input (to
   * reproduce a crash that depends on no earlier input). */
  bool fresh_each_input;
  /* Seed writing: every packet both ways, in order. */
  FILE* capture[2]; /* packets to a, to b */
} g;

static void on_state(void* user, rtc_sctp_state state) {
  ((side*)user)->state = state;
}

/* b echoes what it receives, as a data channel peer often does. */
static void on_message(void* user,
                       uint16_t sid,
                       bool binary,
                       rtc_sctp_message* message) {
  side* s = user;
  s->messages++;
  size_t size = rtc_sctp_message_size(message);
  if (s->index == 1 && size <= 1024)
    (void)rtc_sctp_transport_send(s->transport, sid, binary,
                                  rtc_sctp_message_data(message), size);
  rtc_sctp_message_free(message);
}

static const rtc_sctp_transport_observer kObserver = {
    .on_state = on_state,
    .on_message = on_message,
};

static void capture(FILE* f, const uint8_t* data, size_t size) {
  if (!f)
    return;
  uint8_t len[2] = {(uint8_t)(size >> 8), (uint8_t)size};
  RTC_CHECK(fwrite(len, 1, 2, f) == 2 && fwrite(data, 1, size, f) == size);
}

/* The in-memory "DTLS": queued, delivered by pump(). */
static rtc_error send_packet(void* user, const uint8_t* data, size_t size) {
  side* from = user;
  if (from->index > 1 || (from->index == 1 && g.mute_b))
    return RTC_OK;
  int to = 1 - from->index;
  rtc_fuzz_wire_push(&g.wire, to, data, size);
  if (from->index == 0 && size >= SCTP_HEADER_SIZE &&
      (data[4] | data[5] | data[6] | data[7]) != 0) {
    memcpy(g.header, data, SCTP_HEADER_SIZE);
    g.have_header = true;
  }
  capture(g.capture[to], data, size);
  return RTC_OK;
}

static void receive(void* user, int to, const uint8_t* data, size_t size) {
  (void)user;
  side* s = &g.sides[to];
  if (s->transport)
    rtc_sctp_transport_receive(s->transport, data, size);
}

/* Runs fn(arg) on the transports' queue, now. */
static void on_queue(rtc_task_fn fn, void* arg) {
  rtc_fuzz_wire_on_queue(&g.wire, fn, arg);
}

/* Advances simulated time by `us`, delivering packets every 10 ms. */
static void run_for(int64_t us) {
  rtc_fuzz_wire_run_for(&g.wire, us);
}

static void drop_queued(void) {
  rtc_fuzz_wire_drop(&g.wire);
}

static rtc_sctp_transport_config config_for(side* s) {
  rtc_sctp_transport_config config;
  rtc_sctp_transport_config_init(&config);
  config.send = send_packet;
  config.send_user = s;
  return config;
}

static void create_sides(void* arg) {
  (void)arg;
  for (int i = 0; i < 2; i++) {
    side* s = &g.sides[i];
    memset(s, 0, sizeof(*s));
    s->index = i;
    rtc_sctp_transport_config config = config_for(s);
    RTC_CHECK(rtc_sctp_transport_create(g.queue, &config, &kObserver, s,
                                        &s->transport) == RTC_OK);
  }
  for (int i = 0; i < 2; i++)
    RTC_CHECK(rtc_sctp_transport_start(g.sides[i].transport,
                                       RTC_SCTP_DEFAULT_PORT,
                                       RTC_SCTP_MAX_MESSAGE_SIZE) == RTC_OK);
}

static void open_channel(void* arg) {
  (void)arg;
  rtc_data_channel_params params = {"fuzz", "", true, -1, -1, 256, false};
  RTC_CHECK(rtc_sctp_transport_open_channel(g.sides[0].transport, 2, &params) ==
            RTC_OK);
}

static void send_hello(void* arg) {
  (void)arg;
  static const uint8_t kHello[] = "hello";
  RTC_CHECK(rtc_sctp_transport_send(g.sides[0].transport, 2, false, kHello,
                                    sizeof(kHello) - 1) == RTC_OK);
}

static void destroy_sides(void* arg) {
  (void)arg;
  for (int i = 0; i < 2; i++) {
    rtc_sctp_transport_destroy(g.sides[i].transport);
    g.sides[i].transport = NULL;
  }
}

/* a and b connected, a's channel 2 open and a first message through. */
static void connect_sides(void) {
  g.have_header = false;
  on_queue(create_sides, NULL);
  for (int i = 0; i < 100 && !(g.sides[0].state == RTC_SCTP_CONNECTED &&
                               g.sides[1].state == RTC_SCTP_CONNECTED);
       i++)
    run_for(10 * RTC_US_PER_MS);
  RTC_CHECK_MSG(g.sides[0].state == RTC_SCTP_CONNECTED &&
                    g.sides[1].state == RTC_SCTP_CONNECTED,
                "the association did not come up");
  on_queue(open_channel, NULL);
  on_queue(send_hello, NULL);
  run_for(50 * RTC_US_PER_MS);
  RTC_CHECK(g.have_header);
}

typedef struct feed {
  uint8_t* data;
  size_t size;
} feed;

static void feed_b(void* arg) {
  feed* f = arg;
  if (g.sides[1].transport)
    rtc_sctp_transport_receive(g.sides[1].transport, f->data, f->size);
}

static void fix_up(uint8_t flags, uint8_t* p, size_t size) {
  if (size < SCTP_HEADER_SIZE)
    return;
  if (flags & FLAG_FIX_HEADER) {
    memcpy(p, g.header, 8);
    /* RFC 9260 §8.5.1: a packet with an INIT chunk has tag 0. */
    if (size > SCTP_HEADER_SIZE && p[SCTP_HEADER_SIZE] == 1)
      memset(p + 4, 0, 4);
  }
  if (flags & FLAG_FIX_CRC) {
    /* RFC 9260 §6.8: the CRC32c over the packet with the checksum field
     * zero, stored as usrsctp computes and compares it. */
    memset(p + 8, 0, 4);
    uint32_t crc = usrsctp_crc32c(p, size);
    memcpy(p + 8, &crc, 4);
  }
}

/* Ends the association (both transports destroyed): every rtc_malloc
 * allocation made since it was set up must be gone. */
static void disconnect_sides(void) {
  on_queue(destroy_sides, NULL);
  drop_queued();
  g.mute_b = false;
  /* What the aborted associations left scheduled runs out. */
  rtc_sim_time_advance_us(g.time, 10 * RTC_US_PER_SEC);
  RTC_CHECK_MSG(rtc_alloc_live_count() == g.live_before_connect,
                "the association leaked %lld blocks",
                (long long)(rtc_alloc_live_count() - g.live_before_connect));
  g.connected = false;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t flags = data[0];
  data++;
  size--;
  if (!g.connected) {
    g.live_before_connect = rtc_alloc_live_count();
    connect_sides();
    g.connected = true;
    g.inputs = 0;
  }
  g.mute_b = (flags & FLAG_MUTE_B) != 0;
  for (int n = 0; n < MAX_PACKETS && size > 0; n++) {
    size_t len = size;
    if (size >= 2) {
      len = ((size_t)data[0] << 8) | data[1];
      data += 2;
      size -= 2;
      if (len > size)
        len = size;
    }
    /* An exact-size copy, so ASan sees reads past its end. */
    feed f = {rtc_malloc(len ? len : 1), len};
    RTC_CHECK(f.data);
    memcpy(f.data, data, len);
    fix_up(flags, f.data, len);
    on_queue(feed_b, &f);
    rtc_free(f.data);
    data += len;
    size -= len;
    run_for(10 * RTC_US_PER_MS);
  }
  /* Timers: delayed SACKs (200 ms), what the input started. */
  run_for(250 * RTC_US_PER_MS);
  g.mute_b = false;
  /* A new association once this one is gone (aborted, shut down), and
   * every RECYCLE_EVERY inputs so that state does not drift for long. */
  if (g.sides[0].state != RTC_SCTP_CONNECTED ||
      g.sides[1].state != RTC_SCTP_CONNECTED || ++g.inputs >= RECYCLE_EVERY ||
      g.fresh_each_input)
    disconnect_sides();
  return 0;
}

/* The seeds: a real association's packets, as this fuzzer's inputs. */
static void write_seed(const char* dir,
                       const char* name,
                       uint8_t flags,
                       const uint8_t* packets,
                       size_t size) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE* f = fopen(path, "wb");
  RTC_CHECK_MSG(f, "cannot write %s", path);
  RTC_CHECK(fwrite(&flags, 1, 1, f) == 1);
  RTC_CHECK(fwrite(packets, 1, size, f) == size);
  fclose(f);
}

/* The steps of write_seeds() that run on the queue. */
static void seed_step(void* arg) {
  static const uint8_t kBig[3000] = {1};
  rtc_sctp_transport* a = g.sides[0].transport;
  switch ((uintptr_t)arg) {
    case 1: {
      RTC_CHECK(rtc_sctp_transport_send(a, 2, true, kBig, sizeof(kBig)) ==
                RTC_OK);
      RTC_CHECK(rtc_sctp_transport_send(a, 2, false, NULL, 0) == RTC_OK);
      rtc_data_channel_params unordered = {"u", "p", false, 0, -1, 512, false};
      RTC_CHECK(rtc_sctp_transport_open_channel(a, 4, &unordered) == RTC_OK);
      break;
    }
    case 2:
      RTC_CHECK(rtc_sctp_transport_send(a, 4, true, kBig, 100) == RTC_OK);
      break;
    case 3:
      RTC_CHECK(rtc_sctp_transport_close_channel(a, 2) == RTC_OK);
      break;
  }
}

/* Captures an association's life (a's packets to b): setup, a channel
 * opened and used, messages of each kind, a stream reset, the shutdown.
 * Writes the whole sequence and each packet apart, with the fix-up flags
 * set (the association the fuzzer feeds has other tags). */
static void write_seeds(const char* dir) {
  char* buf[2] = {NULL, NULL};
  size_t len[2] = {0, 0};
  g.capture[0] = open_memstream(&buf[0], &len[0]);
  g.capture[1] = open_memstream(&buf[1], &len[1]);
  connect_sides();
  on_queue(seed_step, (void*)1);
  run_for(300 * RTC_US_PER_MS);
  on_queue(seed_step, (void*)2);
  run_for(300 * RTC_US_PER_MS);
  on_queue(seed_step, (void*)3);
  run_for(1 * RTC_US_PER_SEC);
  on_queue(destroy_sides, NULL);
  drop_queued();
  fclose(g.capture[0]);
  fclose(g.capture[1]);
  g.capture[0] = g.capture[1] = NULL;
  /* to_b: what a sent, as one input and packet by packet. */
  write_seed(dir, "association_a_to_b", FLAG_FIX_CRC | FLAG_FIX_HEADER,
             (uint8_t*)buf[1], len[1]);
  write_seed(dir, "association_a_to_b_raw", 0, (uint8_t*)buf[1], len[1]);
  write_seed(dir, "association_b_to_a_as_b", FLAG_FIX_CRC | FLAG_FIX_HEADER,
             (uint8_t*)buf[0], len[0]);
  size_t off = 0;
  for (int n = 0; off + 2 <= len[1]; n++) {
    const uint8_t* p = (uint8_t*)buf[1] + off;
    size_t plen = ((size_t)p[0] << 8) | p[1];
    /* Named after the first chunk's type (RFC 9260 §3.2). */
    static const char* const kChunks[] = {
        "data",  "init",        "init_ack",
        "sack",  "heartbeat",   "heartbeat_ack",
        "abort", "shutdown",    "shutdown_ack",
        "error", "cookie_echo", "cookie_ack",
        "ecne",  "cwr",         "shutdown_complete"};
    uint8_t type = plen > SCTP_HEADER_SIZE ? p[2 + SCTP_HEADER_SIZE] : 255;
    char name[64];
    if (type < sizeof(kChunks) / sizeof(kChunks[0]))
      snprintf(name, sizeof(name), "packet_%02d_%s", n, kChunks[type]);
    else
      snprintf(name, sizeof(name), "packet_%02d_type_%u", n, type);
    write_seed(dir, name, FLAG_FIX_CRC | FLAG_FIX_HEADER, p, 2 + plen);
    off += 2 + plen;
  }
  free(buf[0]);
  free(buf[1]);
}

static void create_keeper(void* arg) {
  (void)arg;
  static side keeper_side = {.index = 2};
  rtc_sctp_transport_config config = config_for(&keeper_side);
  config.local_port = 5999;
  RTC_CHECK(rtc_sctp_transport_create(g.queue, &config, &kObserver,
                                      &keeper_side, &g.keeper) == RTC_OK);
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  /* Hostile input makes the library log at every input: quiet unless
   * RTCBOX_LOG asks otherwise. */
  /* The first check applies RTCBOX_LOG (once): after it, so that it does
   * not undo this. */
  (void)rtc_log_is_enabled(RTC_LOG_ERROR, __FILE__);
  if (!getenv("RTCBOX_LOG"))
    RTC_CHECK(rtc_log_configure("none", NULL) == RTC_OK);
  RTC_CHECK(rtc_sim_time_create(0, &g.time) == RTC_OK);
  rtc_test_wall_clock_follow(g.time);
  RTC_CHECK(rtc_sim_time_create_queue(g.time, "network", &g.queue) == RTC_OK);
  rtc_fuzz_wire_init(&g.wire, g.time, g.queue, receive, NULL);
  on_queue(create_keeper, NULL);
  g.fresh_each_input = getenv("SCTP_FUZZER_FRESH") != NULL;
  const char* dir = getenv("SCTP_FUZZER_WRITE_SEEDS");
  if (dir) {
    write_seeds(dir);
    exit(0);
  }
  return 0;
}
