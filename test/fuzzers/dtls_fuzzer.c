/*
 * Fuzzes DTLS records into a live handshake (p2p/dtls_transport.h, RFC 6347
 * through BoringSSL, with the WebRTC rules of RFC 8827 §6.5): a transport
 * on simulated time is started as client or server and receives the
 * input's datagrams, with its retransmission timer running in between.
 * With a real peer (flag bit 1) the handshake with that peer completes
 * first and the datagrams then reach the connected transport (records of
 * the current epoch, alerts, close_notify, RTP/RTCP by RFC 7983's demux).
 * Nothing may crash, hang or leave an rtc_malloc allocation behind; a
 * failure must come with an error the header names.
 *
 * Input: a flags byte, then datagrams, each a 16-bit big-endian length and
 * that many bytes (the last takes what is left). Flags:
 *   bit 0  the fuzzed transport is the server (a=setup:passive), else the
 *          client;
 *   bit 1  a real peer completes the handshake first.
 * Both ends use the fixed certificates of dtls_fuzzer_certs.h, and the
 * fuzzed transport is given the peer's fingerprint, so captured flights
 * pass the fingerprint check. The seeds (corpus/dtls) are datagrams
 * captured from a real handshake between two transports: run this fuzzer
 * with DTLS_FUZZER_WRITE_SEEDS=<dir> to write them again (write_seeds()).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/certificate.h"
#include "p2p/dtls_transport.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/sim_time.h"
#include "test/fuzzers/dtls_fuzzer_certs.h"
#include "test/fuzzers/fuzz_wire.h"

int LLVMFuzzerInitialize(int* argc, char*** argv);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define FLAG_SERVER 0x01
#define FLAG_PEER 0x02

#define MAX_DATAGRAMS 32

/* 0: the fuzzed transport, 1: the real peer. */
typedef struct end {
  int index;
  rtc_dtls_transport* transport;
  rtc_dtls_state state;
} end;

static struct {
  /* Off for the warm-up input, which makes what is made once. */
  bool check_leaks;
  rtc_sim_time* time;
  rtc_task_queue* queue;
  rtc_certificate* client_cert;
  rtc_certificate* server_cert;
  end ends[2];
  bool peer_alive;
  rtc_fuzz_wire wire;
  FILE* capture[2]; /* datagrams to the client, to the server */
  bool capture_client_is_0;
} g;

static void on_state(void* user,
                     rtc_dtls_state state,
                     const rtc_error_info* error) {
  end* e = user;
  e->state = state;
  if (state == RTC_DTLS_FAILED) {
    RTC_CHECK(error);
    RTC_CHECK_MSG(error->code == RTC_ERR_DTLS_FAILURE ||
                      error->code == RTC_ERR_FINGERPRINT_FAILURE,
                  "failed with %s", rtc_error_name(error->code));
  }
}

static void on_data(void* user, const uint8_t* data, size_t size) {
  (void)user;
  RTC_CHECK(data || size == 0);
}

static void on_rtp(void* user, const uint8_t* data, size_t size) {
  end* e = user;
  /* RFC 7983: only while connected (SEC-02: no media before keys). */
  RTC_CHECK(e->state == RTC_DTLS_CONNECTED && data && size > 0);
}

static const rtc_dtls_transport_observer kObserver = {on_state, on_data,
                                                      on_rtp};

static void capture(FILE* f, const uint8_t* data, size_t size) {
  uint8_t len[2] = {(uint8_t)(size >> 8), (uint8_t)size};
  RTC_CHECK(fwrite(len, 1, 2, f) == 2 && fwrite(data, 1, size, f) == size);
}

static rtc_error send_datagram(void* user, const uint8_t* data, size_t size) {
  end* from = user;
  int to = 1 - from->index;
  if (g.capture[0]) {
    bool to_client = (to == 0) == g.capture_client_is_0;
    capture(g.capture[to_client ? 0 : 1], data, size);
  }
  /* The fuzzed transport's datagrams reach the peer, if there is one. */
  if (to == 1 && !g.peer_alive)
    return RTC_OK;
  rtc_fuzz_wire_push(&g.wire, to, data, size);
  return RTC_OK;
}

static void receive(void* user, int to, const uint8_t* data, size_t size) {
  (void)user;
  if (g.ends[to].transport)
    rtc_dtls_transport_receive(g.ends[to].transport, data, size);
}

static void on_queue(rtc_task_fn fn, void* arg) {
  rtc_fuzz_wire_on_queue(&g.wire, fn, arg);
}

static void pump(void) {
  rtc_fuzz_wire_pump(&g.wire);
}

static void run_for(int64_t us) {
  rtc_fuzz_wire_run_for(&g.wire, us);
}

static void drop_queued(void) {
  rtc_fuzz_wire_drop(&g.wire);
}

typedef struct setup {
  bool server; /* end 0's role */
  bool peer;
} setup;

static void create_end(int i, rtc_certificate* cert, rtc_certificate* remote) {
  end* e = &g.ends[i];
  memset(e, 0, sizeof(*e));
  e->index = i;
  rtc_dtls_transport_config config;
  rtc_dtls_transport_config_init(&config);
  config.certificate = cert;
  config.send = send_datagram;
  config.send_user = e;
  RTC_CHECK(rtc_dtls_transport_create(g.queue, &config, &kObserver, e,
                                      &e->transport) == RTC_OK);
  rtc_fingerprint fp;
  RTC_CHECK(rtc_certificate_fingerprint(remote, RTC_HASH_SHA256, &fp) ==
            RTC_OK);
  RTC_CHECK(rtc_dtls_transport_set_remote_fingerprints(e->transport, &fp, 1) ==
            RTC_OK);
}

static void create_ends(void* arg) {
  const setup* s = arg;
  rtc_certificate* mine = s->server ? g.server_cert : g.client_cert;
  rtc_certificate* theirs = s->server ? g.client_cert : g.server_cert;
  create_end(0, mine, theirs);
  if (s->peer)
    create_end(1, theirs, mine);
  g.peer_alive = s->peer;
  /* The server first, so that the client's hello finds it started. */
  rtc_dtls_role role0 = s->server ? RTC_DTLS_ROLE_SERVER : RTC_DTLS_ROLE_CLIENT;
  rtc_dtls_role role1 = s->server ? RTC_DTLS_ROLE_CLIENT : RTC_DTLS_ROLE_SERVER;
  if (s->peer && role1 == RTC_DTLS_ROLE_SERVER)
    RTC_CHECK(rtc_dtls_transport_start(g.ends[1].transport, role1) == RTC_OK);
  RTC_CHECK(rtc_dtls_transport_start(g.ends[0].transport, role0) == RTC_OK);
  if (s->peer && role1 == RTC_DTLS_ROLE_CLIENT)
    RTC_CHECK(rtc_dtls_transport_start(g.ends[1].transport, role1) == RTC_OK);
}

static void destroy_ends(void* arg) {
  (void)arg;
  for (int i = 0; i < 2; i++) {
    rtc_dtls_transport_destroy(g.ends[i].transport);
    g.ends[i].transport = NULL;
  }
}

/* The fuzzed end, connected, uses the connection. */
static void use_connection(void* arg) {
  (void)arg;
  rtc_dtls_transport* t = g.ends[0].transport;
  static const uint8_t kData[] = "sctp packet";
  static const uint8_t kRtp[12] = {0x80, 0x60};
  rtc_error err = rtc_dtls_transport_send(t, kData, sizeof(kData));
  RTC_CHECK(err == RTC_OK || err == RTC_ERR_INVALID_STATE);
  err = rtc_dtls_transport_send_rtp(t, kRtp, sizeof(kRtp));
  RTC_CHECK(err == RTC_OK || err == RTC_ERR_INVALID_STATE);
  rtc_srtp_keys keys;
  err = rtc_dtls_transport_srtp_keys(t, &keys);
  RTC_CHECK(err == RTC_OK || err == RTC_ERR_INVALID_STATE ||
            err == RTC_ERR_NOT_FOUND);
  rtc_dtls_info info;
  rtc_dtls_transport_info(t, &info);
  const uint8_t* der[4];
  size_t der_len[4];
  (void)rtc_dtls_transport_remote_certificates(t, der, der_len, 4);
}

static void close_fuzzed(void* arg) {
  (void)arg;
  rtc_dtls_transport_close(g.ends[0].transport);
}

typedef struct feed {
  uint8_t* data;
  size_t size;
} feed;

static void feed_fuzzed(void* arg) {
  feed* f = arg;
  rtc_dtls_transport_receive(g.ends[0].transport, f->data, f->size);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  int64_t live = rtc_alloc_live_count();
  setup s = {(data[0] & FLAG_SERVER) != 0, (data[0] & FLAG_PEER) != 0};
  data++;
  size--;
  on_queue(create_ends, &s);
  if (s.peer) {
    for (int i = 0; i < 100 && g.ends[0].state != RTC_DTLS_CONNECTED; i++)
      run_for(10 * RTC_US_PER_MS);
    RTC_CHECK_MSG(g.ends[0].state == RTC_DTLS_CONNECTED,
                  "the handshake with the real peer did not complete");
  } else {
    pump();
  }
  for (int n = 0; n < MAX_DATAGRAMS && size > 0; n++) {
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
    on_queue(feed_fuzzed, &f);
    rtc_free(f.data);
    data += len;
    size -= len;
    run_for(10 * RTC_US_PER_MS);
  }
  on_queue(use_connection, NULL);
  /* Retransmission timers (100 ms doubling) and what the input started. */
  run_for(1 * RTC_US_PER_SEC);
  on_queue(close_fuzzed, NULL);
  run_for(20 * RTC_US_PER_MS);
  on_queue(destroy_ends, NULL);
  drop_queued();
  rtc_sim_time_advance_us(g.time, 70 * RTC_US_PER_SEC);
  RTC_CHECK_MSG(!g.check_leaks || rtc_alloc_live_count() == live,
                "input leaked %lld blocks",
                (long long)(rtc_alloc_live_count() - live));
  return 0;
}

static void write_file(const char* dir,
                       const char* name,
                       uint8_t flags,
                       const uint8_t* datagrams,
                       size_t size) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE* f = fopen(path, "wb");
  RTC_CHECK_MSG(f, "cannot write %s", path);
  RTC_CHECK(fwrite(&flags, 1, 1, f) == 1);
  RTC_CHECK(fwrite(datagrams, 1, size, f) == size);
  fclose(f);
}

/* Per datagram: a seed of its own, named after its first record's content
 * type and handshake type (RFC 6347 §4.1, §4.2.2). */
static void write_each(const char* dir,
                       const char* prefix,
                       uint8_t flags,
                       const uint8_t* buf,
                       size_t len) {
  size_t off = 0;
  for (int n = 0; off + 2 <= len; n++) {
    const uint8_t* d = buf + off;
    size_t dlen = ((size_t)d[0] << 8) | d[1];
    char name[96];
    unsigned content = dlen > 0 ? d[2] : 0;
    unsigned hs = dlen > 13 && content == 22 ? d[2 + 13] : 0;
    snprintf(name, sizeof(name), "%s_%02d_content_%u_hs_%u", prefix, n, content,
             hs);
    write_file(dir, name, flags, d, 2 + dlen);
    off += 2 + dlen;
  }
}

/* A real handshake between a client and a server with the fixed
 * certificates, application data both ways, then close_notify; every
 * datagram captured. */
static void write_seeds(const char* dir) {
  char* buf[2] = {NULL, NULL};
  size_t len[2] = {0, 0};
  g.capture[0] = open_memstream(&buf[0], &len[0]);
  g.capture[1] = open_memstream(&buf[1], &len[1]);
  g.capture_client_is_0 = true;
  setup s = {false, true}; /* end 0 the client */
  on_queue(create_ends, &s);
  for (int i = 0; i < 100 && !(g.ends[0].state == RTC_DTLS_CONNECTED &&
                               g.ends[1].state == RTC_DTLS_CONNECTED);
       i++)
    run_for(10 * RTC_US_PER_MS);
  RTC_CHECK(g.ends[0].state == RTC_DTLS_CONNECTED &&
            g.ends[1].state == RTC_DTLS_CONNECTED);
  on_queue(use_connection, NULL);
  run_for(20 * RTC_US_PER_MS);
  on_queue(close_fuzzed, NULL);
  run_for(20 * RTC_US_PER_MS);
  on_queue(destroy_ends, NULL);
  drop_queued();
  fclose(g.capture[0]);
  fclose(g.capture[1]);
  g.capture[0] = g.capture[1] = NULL;
  /* buf[0]: what the server sent (to the client); buf[1]: the client's. */
  write_file(dir, "client_receives_server_flights", 0, (uint8_t*)buf[0],
             len[0]);
  write_file(dir, "server_receives_client_flights", FLAG_SERVER,
             (uint8_t*)buf[1], len[1]);
  write_each(dir, "to_client", 0, (uint8_t*)buf[0], len[0]);
  write_each(dir, "to_server", FLAG_SERVER, (uint8_t*)buf[1], len[1]);
  /* The same datagrams into a connected transport: old-epoch handshake
   * records, a stale Finished, application data of another session. */
  write_file(dir, "connected_client_replayed_flights", FLAG_PEER,
             (uint8_t*)buf[0], len[0]);
  write_file(dir, "connected_server_replayed_flights", FLAG_PEER | FLAG_SERVER,
             (uint8_t*)buf[1], len[1]);
  /* RTP and RTCP beside DTLS (RFC 7983 first bytes 128..191). */
  static const uint8_t kRtp[] = {0, 12, 0x80, 0x6f, 0, 1, 0,
                                 0, 0,  0,    0,    0, 0, 1};
  static const uint8_t kRtcp[] = {0, 8, 0x81, 0xc8, 0, 1, 0, 0, 0, 1};
  write_file(dir, "connected_rtp", FLAG_PEER, kRtp, sizeof(kRtp));
  write_file(dir, "connected_rtcp", FLAG_PEER | FLAG_SERVER, kRtcp,
             sizeof(kRtcp));
  free(buf[0]);
  free(buf[1]);
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
  RTC_CHECK(rtc_sim_time_create_queue(g.time, "network", &g.queue) == RTC_OK);
  rtc_fuzz_wire_init(&g.wire, g.time, g.queue, receive, NULL);
  RTC_CHECK(rtc_certificate_from_pem(kClientCertPem, kClientKeyPem,
                                     &g.client_cert) == RTC_OK);
  RTC_CHECK(rtc_certificate_from_pem(kServerCertPem, kServerKeyPem,
                                     &g.server_cert) == RTC_OK);
  const char* dir = getenv("DTLS_FUZZER_WRITE_SEEDS");
  if (dir) {
    write_seeds(dir);
    exit(0);
  }
  /* Lazily made process-wide state (BoringSSL's, the library's) is made
   * by a first input, which is not checked for leaks. */
  static const uint8_t kWarmUp[] = {FLAG_PEER};
  LLVMFuzzerTestOneInput(kWarmUp, sizeof(kWarmUp));
  g.check_leaks = true;
  return 0;
}
