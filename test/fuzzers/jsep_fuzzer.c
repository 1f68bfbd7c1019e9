/*
 * Fuzzes JSEP on a live peer connection (api/rtc_peer_connection.h):
 * setRemoteDescription with offers, answers, provisional answers and
 * rollbacks, interleaved with createOffer/createAnswer, setLocalDescription,
 * createDataChannel, addTransceiver, restartIce and addIceCandidate, so that
 * renegotiation paths (RFC 9429 §5.10-§5.11, webrtc-pc §4.4.1.5-§4.4.1.6)
 * are reached with hostile descriptions.
 *
 * The input is a script: operations introduced by a line "==== <op>", each
 * followed by its text (a description, or a candidate line). Text before
 * the first such line is a remote offer. Operations (unknown names pick one
 * by their first byte):
 *   remote-offer remote-answer remote-pranswer remote-rollback  SRD
 *   offer       createOffer, then SLD(offer) with it
 *   answer      createAnswer, then SLD(answer) with it
 *   pranswer    createAnswer, then SLD(pranswer) with it
 *   implicit    parameterless SLD
 *   local-rollback                                             SLD(rollback)
 *   channel     createDataChannel (the text is the label)
 *   audio video addTransceiver
 *   restart     restartIce
 *   candidate   addIceCandidate (the text is the candidate, mid "0")
 *
 * Each input gets a new peer connection on a context, simulated time and a
 * simulated network made once (a certificate made once too, so that
 * creating the pc is cheap); nothing a previous input did is left once the
 * pc is destroyed and the queues have run idle. Every operation must
 * complete (its callback runs) within simulated seconds, every error must
 * be one webrtc-pc names, and no rtc_malloc allocation may outlive the
 * input. Any violated expectation aborts (RTC_CHECK). JSEP_FUZZER_VERBOSE
 * set in the environment prints each operation's result.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/rtc_context.h"
#include "api/rtc_data_channel.h"
#include "api/rtc_peer_connection.h"
#include "api/rtc_rtp_transceiver.h"
#include "p2p/certificate.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/socket_address.h"
#include "test/network/sim_network.h"

int LLVMFuzzerInitialize(int* argc, char*** argv);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

/* One input's operations at most (a cap on the time an input takes). */
#define MAX_OPS 24
/* Simulated time an operation may take before it is a hang. */
#define OP_TIMEOUT_US (10 * RTC_US_PER_SEC)

typedef enum op_kind {
  OP_REMOTE_OFFER,
  OP_REMOTE_ANSWER,
  OP_REMOTE_PRANSWER,
  OP_REMOTE_ROLLBACK,
  OP_OFFER,
  OP_ANSWER,
  OP_PRANSWER,
  OP_IMPLICIT,
  OP_LOCAL_ROLLBACK,
  OP_CHANNEL,
  OP_AUDIO,
  OP_VIDEO,
  OP_RESTART,
  OP_CANDIDATE,
  OP_COUNT
} op_kind;

static const char* const kOpNames[OP_COUNT] = {
    "remote-offer",   "remote-answer", "remote-pranswer", "remote-rollback",
    "offer",          "answer",        "pranswer",        "implicit",
    "local-rollback", "channel",       "audio",           "video",
    "restart",        "candidate",
};

static struct {
  /* Off for the warm-up input, which makes what is made once. */
  bool check_leaks;
  /* JSEP_FUZZER_VERBOSE set: each operation's result on stderr. */
  bool verbose;
  rtc_sim_time* time;
  rtc_sim_network* net;
  rtc_task_queue* signaling;
  rtc_task_queue* network;
  rtc_task_queue* worker;
  rtc_context* context;
  rtc_certificate* certificate;
} g;

/* One operation's completion. */
typedef struct result {
  bool done;
  rtc_error err;
  char* sdp; /* created description (rtc_malloc'd) */
} result;

/* The observer: events are ignored, channels the peer announces released. */
static void on_data_channel(void* user, rtc_data_channel* channel) {
  (void)user;
  rtc_data_channel_unref(channel);
}

static const rtc_peer_connection_observer kObserver = {
    .on_data_channel = on_data_channel,
};

/* Errors webrtc-pc lets these operations reject with (InvalidStateError,
 * InvalidAccessError, SyntaxError, OperationError, TypeError, RangeError,
 * InvalidModificationError), and those rtcbox adds for them. */
static bool is_spec_error(rtc_error err) {
  switch (err) {
    case RTC_ERR_INVALID_STATE:
    case RTC_ERR_INVALID_ACCESS:
    case RTC_ERR_SYNTAX:
    case RTC_ERR_SDP_SYNTAX:
    case RTC_ERR_OPERATION:
    case RTC_ERR_INVALID_ARGUMENT:
    case RTC_ERR_OUT_OF_RANGE:
    case RTC_ERR_INVALID_MODIFICATION:
    case RTC_ERR_NOT_SUPPORTED:
      return true;
    default:
      return false;
  }
}

static void on_void(void* user, rtc_error err, const rtc_error_info* info) {
  result* r = user;
  RTC_CHECK_MSG(err == RTC_OK || is_spec_error(err), "unexpected error %s: %s",
                rtc_error_name(err), info ? info->message : "");
  r->err = err;
  r->done = true;
}

static void on_description(void* user,
                           rtc_error err,
                           const rtc_error_info* info,
                           const rtc_session_description* d) {
  result* r = user;
  on_void(user, err, info);
  if (err == RTC_OK) {
    RTC_CHECK(d && d->sdp);
    size_t len = strlen(d->sdp);
    r->sdp = rtc_malloc(len + 1);
    RTC_CHECK(r->sdp);
    memcpy(r->sdp, d->sdp, len + 1);
  }
}

static bool is_done(void* arg) {
  return ((result*)arg)->done;
}

/* One call made on the signaling queue (the pc's thread). */
typedef struct call {
  rtc_peer_connection* pc;
  op_kind op;
  const char* text;
  rtc_sdp_type type; /* for set_description */
  bool local;
  result* r;
} call;

static void start_call(void* arg) {
  call* c = arg;
  rtc_error_info info;
  rtc_error err = RTC_OK;
  result* r = c->r;
  switch (c->op) {
    case OP_REMOTE_OFFER: {
      /* set_description: type, local and text say which */
      rtc_session_description d = {c->type, c->text ? c->text : ""};
      err = c->local ? rtc_peer_connection_set_local_description(c->pc, &d,
                                                                 on_void, r)
                     : rtc_peer_connection_set_remote_description(c->pc, &d,
                                                                  on_void, r);
      break;
    }
    case OP_OFFER:
      err = rtc_peer_connection_create_offer(c->pc, NULL, on_description, r);
      break;
    case OP_ANSWER:
      err = rtc_peer_connection_create_answer(c->pc, on_description, r);
      break;
    case OP_IMPLICIT:
      err = rtc_peer_connection_set_local_description(c->pc, NULL, on_void, r);
      break;
    case OP_CHANNEL: {
      rtc_data_channel* channel = NULL;
      err = rtc_peer_connection_create_data_channel(c->pc, c->text, NULL,
                                                    &channel, &info);
      rtc_data_channel_unref(channel);
      r->done = true;
      break;
    }
    case OP_AUDIO:
    case OP_VIDEO: {
      rtc_rtp_transceiver* t = NULL;
      err = rtc_peer_connection_add_transceiver(
          c->pc, c->op == OP_AUDIO ? RTC_MEDIA_AUDIO : RTC_MEDIA_VIDEO, NULL,
          &t, &info);
      rtc_rtp_transceiver_unref(t);
      r->done = true;
      break;
    }
    case OP_RESTART:
      rtc_peer_connection_restart_ice(c->pc);
      r->done = true;
      break;
    case OP_CANDIDATE: {
      rtc_ice_candidate_init init = {c->text, "0", -1, NULL};
      err = rtc_peer_connection_add_ice_candidate(c->pc, &init, on_void, r);
      break;
    }
    default:
      RTC_CHECK(false);
  }
  if (err != RTC_OK) {
    RTC_CHECK_MSG(is_spec_error(err), "unexpected error %s",
                  rtc_error_name(err));
    r->done = true;
    r->err = err;
  }
}

/* Makes the call on the signaling queue and waits for its completion. */
static void run_call(call* c) {
  RTC_CHECK(rtc_task_queue_post(g.signaling, (rtc_task){start_call, NULL, c}) ==
            RTC_OK);
  RTC_CHECK_MSG(rtc_sim_time_run_until(g.time, is_done, c->r, OP_TIMEOUT_US),
                "%s did not complete", kOpNames[c->op]);
  if (g.verbose)
    fprintf(
        stderr, "jsep_fuzzer: %s%s: %s\n",
        c->op == OP_REMOTE_OFFER ? (c->local ? "local " : "remote ") : "",
        c->op == OP_REMOTE_OFFER ? rtc_sdp_type_name(c->type) : kOpNames[c->op],
        rtc_error_name(c->r->err));
}

static void set_description(rtc_peer_connection* pc,
                            bool local,
                            rtc_sdp_type type,
                            const char* sdp) {
  result r = {0};
  call c = {pc, OP_REMOTE_OFFER, sdp, type, local, &r};
  run_call(&c);
}

static void create_and_set(rtc_peer_connection* pc,
                           bool offer,
                           rtc_sdp_type type) {
  result r = {0};
  call c = {pc, offer ? OP_OFFER : OP_ANSWER, NULL, type, true, &r};
  run_call(&c);
  if (r.err == RTC_OK)
    set_description(pc, true, type, r.sdp);
  rtc_free(r.sdp);
}

static void simple_call(rtc_peer_connection* pc, op_kind op, const char* text) {
  result r = {0};
  call c = {pc, op, text, RTC_SDP_OFFER, false, &r};
  run_call(&c);
}

static void run_op(rtc_peer_connection* pc, op_kind op, const char* text) {
  switch (op) {
    case OP_REMOTE_OFFER:
      set_description(pc, false, RTC_SDP_OFFER, text);
      break;
    case OP_REMOTE_ANSWER:
      set_description(pc, false, RTC_SDP_ANSWER, text);
      break;
    case OP_REMOTE_PRANSWER:
      set_description(pc, false, RTC_SDP_PRANSWER, text);
      break;
    case OP_REMOTE_ROLLBACK:
      set_description(pc, false, RTC_SDP_ROLLBACK, "");
      break;
    case OP_OFFER:
      create_and_set(pc, true, RTC_SDP_OFFER);
      break;
    case OP_ANSWER:
      create_and_set(pc, false, RTC_SDP_ANSWER);
      break;
    case OP_PRANSWER:
      create_and_set(pc, false, RTC_SDP_PRANSWER);
      break;
    case OP_LOCAL_ROLLBACK:
      set_description(pc, true, RTC_SDP_ROLLBACK, "");
      break;
    case OP_IMPLICIT:
    case OP_CHANNEL:
    case OP_AUDIO:
    case OP_VIDEO:
    case OP_RESTART:
    case OP_CANDIDATE:
      simple_call(pc, op, text);
      break;
    case OP_COUNT:
      break;
  }
  /* Let the network thread act on it (gathering, checks). */
  rtc_sim_time_advance_us(g.time, 20 * RTC_US_PER_MS);
}

static op_kind parse_op(const char* name, size_t len) {
  while (len > 0 && (name[len - 1] == '\r' || name[len - 1] == ' '))
    len--;
  for (int i = 0; i < OP_COUNT; i++) {
    if (strlen(kOpNames[i]) == len && memcmp(kOpNames[i], name, len) == 0)
      return (op_kind)i;
  }
  return (op_kind)((len ? (uint8_t)name[0] : 0) % OP_COUNT);
}

static const char kDelimiter[] = "==== ";

/* The line starting at text[at] is a delimiter line. */
static bool is_delimiter(const char* text, size_t size, size_t at) {
  return (at == 0 || text[at - 1] == '\n') &&
         size - at >= sizeof(kDelimiter) - 1 &&
         memcmp(text + at, kDelimiter, sizeof(kDelimiter) - 1) == 0;
}

/* Runs the script in `text` (NUL-terminated, `size` bytes; modified). */
static void run_script(rtc_peer_connection* pc, char* text, size_t size) {
  op_kind op = OP_REMOTE_OFFER;
  size_t start = 0;
  int ops = 0;
  while (ops < MAX_OPS) {
    size_t end = start;
    while (end < size && !is_delimiter(text, size, end))
      end++;
    size_t next = end;
    op_kind next_op = OP_COUNT;
    if (end < size) {
      size_t name = end + sizeof(kDelimiter) - 1;
      size_t eol = name;
      while (eol < size && text[eol] != '\n')
        eol++;
      next_op = parse_op(text + name, eol - name);
      next = eol < size ? eol + 1 : size;
    }
    /* The operation's text, without its delimiter line. */
    char saved = text[end];
    text[end] = '\0';
    if (end > start || op != OP_REMOTE_OFFER || start > 0) {
      run_op(pc, op, text + start);
      ops++;
    }
    text[end] = saved;
    if (next_op == OP_COUNT)
      break;
    op = next_op;
    start = next;
  }
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
  RTC_CHECK(rtc_sim_network_create(g.time, 7, &g.net) == RTC_OK);
  rtc_socket_address addr;
  RTC_CHECK(rtc_socket_address_parse("10.0.0.1", 8, &addr) == RTC_OK);
  rtc_sim_host* host;
  RTC_CHECK(rtc_sim_network_add_host(g.net, NULL, &addr, &host) == RTC_OK);
  RTC_CHECK(rtc_sim_time_create_queue(g.time, "signaling", &g.signaling) ==
            RTC_OK);
  RTC_CHECK(rtc_sim_time_create_queue(g.time, "network", &g.network) == RTC_OK);
  RTC_CHECK(rtc_sim_time_create_queue(g.time, "worker", &g.worker) == RTC_OK);
  rtc_context_config cc;
  rtc_context_config_init(&cc);
  cc.network_queue = g.network;
  cc.worker_queue = g.worker;
  cc.socket_factory = rtc_sim_host_socket_factory(host);
  RTC_CHECK(rtc_context_create(&cc, &g.context) == RTC_OK);
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  RTC_CHECK(rtc_certificate_generate(&params, (int64_t)time(NULL) * 1000,
                                     &g.certificate) == RTC_OK);
  /* Lazily made process-wide state (BoringSSL's, the library's) is made
   * by a first input, which is not checked for leaks. */
  g.verbose = getenv("JSEP_FUZZER_VERBOSE") != NULL;
  static const uint8_t kWarmUp[] = "==== channel\nx\n==== offer\n";
  LLVMFuzzerTestOneInput(kWarmUp, sizeof(kWarmUp));
  g.check_leaks = true;
  return 0;
}

typedef struct pc_call {
  rtc_peer_connection* pc;
} pc_call;

static void create_pc(void* arg) {
  pc_call* c = arg;
  rtc_configuration config;
  rtc_configuration_init(&config);
  config.obfuscate_host_addresses = false;
  config.certificates = &g.certificate;
  config.certificate_count = 1;
  rtc_error_info info;
  RTC_CHECK(rtc_peer_connection_create(g.context, g.signaling, &config,
                                       &kObserver, NULL, &c->pc,
                                       &info) == RTC_OK);
}

static void destroy_pc(void* arg) {
  rtc_peer_connection_destroy(((pc_call*)arg)->pc);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int64_t live = rtc_alloc_live_count();
  char* text = rtc_malloc(size + 1);
  RTC_CHECK(text);
  memcpy(text, data, size);
  text[size] = '\0';
  pc_call c = {NULL};
  RTC_CHECK(rtc_task_queue_post(g.signaling, (rtc_task){create_pc, NULL, &c}) ==
            RTC_OK);
  rtc_sim_time_run_until_idle(g.time);
  RTC_CHECK(c.pc);
  run_script(c.pc, text, size);
  RTC_CHECK(rtc_task_queue_post(g.signaling,
                                (rtc_task){destroy_pc, NULL, &c}) == RTC_OK);
  rtc_sim_time_run_until_idle(g.time);
  /* What the destroyed pc left scheduled runs out. */
  rtc_sim_time_advance_us(g.time, 60 * RTC_US_PER_SEC);
  rtc_free(text);
  RTC_CHECK_MSG(!g.check_leaks || rtc_alloc_live_count() == live,
                "input leaked %lld blocks",
                (long long)(rtc_alloc_live_count() - live));
  return 0;
}
