/*
 * How a custom browser (or any embedder) uses rtcbox's C API: two peer
 * connections on a signaling thread of the embedder's own, an offer/answer
 * exchange with trickle ICE over loopback, a data channel carrying messages
 * both ways, and close. `make test` builds and runs it.
 *
 * The embedder provides the signaling task queue (here an rtcbox event
 * loop; a browser would wrap its own main-thread task runner in an
 * rtc_task_queue, see rtc_base/task_queue.h) and calls everything on it.
 * rtcbox calls back on it, never from inside a call.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/rtc_peer_connection.h"
#include "rtc_base/alloc.h"
#include "rtc_base/event_loop.h"

typedef struct endpoint endpoint;

typedef struct app {
  rtc_task_queue* signaling;
  rtc_context* context;
  endpoint* a;
  endpoint* b;
  /* Completion, signaled to main(). */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  int status;
} app;

struct endpoint {
  const char* name;
  app* app;
  rtc_peer_connection* pc;
  endpoint* peer;
  rtc_data_channel* channel;
  int received;
};

static void finish(app* a, int status) {
  pthread_mutex_lock(&a->mu);
  a->done = true;
  a->status = status;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
}

/* --- Data channel events --- */

static void channel_open(void* user) {
  endpoint* e = user;
  printf("%s: data channel '%s' open\n", e->name,
         rtc_data_channel_label(e->channel));
  char text[64];
  int n = snprintf(text, sizeof(text), "hello from %s", e->name);
  rtc_data_channel_send(e->channel, false, (const uint8_t*)text, (size_t)n);
}

static void channel_message(void* user,
                            bool binary,
                            const uint8_t* data,
                            size_t size) {
  endpoint* e = user;
  printf("%s: received %s message: %.*s\n", e->name, binary ? "binary" : "text",
         (int)size, (const char*)data);
  e->received++;
  if (e->app->a->received == 1 && e->app->b->received == 1) {
    /* Both got their message: close (the other side sees it close). */
    rtc_data_channel_close(e->app->a->channel);
  }
}

static void channel_close(void* user) {
  endpoint* e = user;
  printf("%s: data channel closed\n", e->name);
  if (e == e->app->b)
    finish(e->app, 0);
}

static const rtc_data_channel_observer kChannelObserver = {
    .on_open = channel_open,
    .on_message = channel_message,
    .on_close = channel_close,
};

/* --- Signaling: in a real application this crosses the network --- */

typedef struct candidate_msg {
  endpoint* to;
  char candidate[512];
  char mid[64];
  int index;
} candidate_msg;

static void deliver_candidate(void* arg) {
  candidate_msg* m = arg;
  rtc_ice_candidate_init init = {m->candidate, m->mid, m->index, NULL};
  rtc_peer_connection_add_ice_candidate(m->to->pc, &init, NULL, NULL);
}

static void on_ice_candidate(void* user, const rtc_ice_candidate_event* e) {
  endpoint* self = user;
  if (!e->candidate || !e->candidate[0])
    return;
  candidate_msg* m = rtc_calloc(1, sizeof(*m));
  if (!m)
    return;
  m->to = self->peer;
  snprintf(m->candidate, sizeof(m->candidate), "%s", e->candidate);
  snprintf(m->mid, sizeof(m->mid), "%s", e->sdp_mid ? e->sdp_mid : "");
  m->index = e->sdp_mline_index;
  rtc_task task = {deliver_candidate, rtc_free, m};
  rtc_task_queue_post(self->app->signaling, task);
}

static void on_connection_state(void* user, rtc_peer_connection_state s) {
  endpoint* e = user;
  printf("%s: connection %s\n", e->name, rtc_peer_connection_state_name(s));
  if (s == RTC_PC_STATE_FAILED)
    finish(e->app, 1);
}

static void on_data_channel(void* user, rtc_data_channel* channel) {
  endpoint* e = user;
  e->channel = channel; /* the reference is ours */
  rtc_data_channel_set_observer(channel, &kChannelObserver, e);
}

static const rtc_peer_connection_observer kObserver = {
    .on_ice_candidate = on_ice_candidate,
    .on_connection_state_change = on_connection_state,
    .on_data_channel = on_data_channel,
};

static void check(rtc_error err, const rtc_error_info* info, const char* what) {
  if (err != RTC_OK) {
    fprintf(stderr, "%s failed: %s %s\n", what, rtc_error_name(err),
            info ? info->message : "");
    exit(1);
  }
}

static void remote_answer_set(void* user,
                              rtc_error err,
                              const rtc_error_info* info) {
  (void)user;
  check(err, info, "setRemoteDescription(answer)");
  printf("a: negotiation complete\n");
}

static void answer_created(void* user,
                           rtc_error err,
                           const rtc_error_info* info,
                           const rtc_session_description* answer) {
  app* a = user;
  check(err, info, "createAnswer");
  check(rtc_peer_connection_set_local_description(a->b->pc, answer, NULL, NULL),
        NULL, "setLocalDescription(answer)");
  check(rtc_peer_connection_set_remote_description(a->a->pc, answer,
                                                   remote_answer_set, a),
        NULL, "setRemoteDescription(answer)");
}

static void offer_created(void* user,
                          rtc_error err,
                          const rtc_error_info* info,
                          const rtc_session_description* offer) {
  app* a = user;
  check(err, info, "createOffer");
  printf("a: offer of %zu bytes\n", strlen(offer->sdp));
  check(rtc_peer_connection_set_local_description(a->a->pc, offer, NULL, NULL),
        NULL, "setLocalDescription(offer)");
  check(rtc_peer_connection_set_remote_description(a->b->pc, offer, NULL, NULL),
        NULL, "setRemoteDescription(offer)");
  check(rtc_peer_connection_create_answer(a->b->pc, answer_created, a), NULL,
        "createAnswer");
}

/* Runs on the signaling thread. */
static void start(void* arg) {
  app* a = arg;
  rtc_configuration config;
  rtc_configuration_init(&config);
  /* Loopback only, for a self-contained example: a browser keeps the
   * defaults (mDNS-hidden host candidates on real interfaces). */
  config.interfaces.include_loopback = true;
  config.obfuscate_host_addresses = false;
  rtc_error_info info;
  check(rtc_peer_connection_create(a->context, a->signaling, &config,
                                   &kObserver, a->a, &a->a->pc, &info),
        &info, "create a");
  check(rtc_peer_connection_create(a->context, a->signaling, &config,
                                   &kObserver, a->b, &a->b->pc, &info),
        &info, "create b");
  check(rtc_peer_connection_create_data_channel(a->a->pc, "chat", NULL,
                                                &a->a->channel, &info),
        &info, "createDataChannel");
  rtc_data_channel_set_observer(a->a->channel, &kChannelObserver, a->a);
  check(rtc_peer_connection_create_offer(a->a->pc, NULL, offer_created, a),
        NULL, "createOffer");
}

static void stop(void* arg) {
  app* a = arg;
  endpoint* ends[2] = {a->a, a->b};
  for (int i = 0; i < 2; i++) {
    rtc_data_channel_unref(ends[i]->channel);
    rtc_peer_connection_destroy(ends[i]->pc);
  }
  finish(a, a->status);
}

int main(void) {
  endpoint ea = {.name = "a"}, eb = {.name = "b"};
  app a = {.a = &ea, .b = &eb};
  ea.app = eb.app = &a;
  ea.peer = &eb;
  eb.peer = &ea;
  pthread_mutex_init(&a.mu, NULL);
  pthread_cond_init(&a.cv, NULL);
  if (rtc_event_loop_create("signaling", &a.signaling) != RTC_OK ||
      rtc_context_create(NULL, &a.context) != RTC_OK) {
    fprintf(stderr, "setup failed\n");
    return 1;
  }
  rtc_task task = {start, NULL, &a};
  rtc_task_queue_post(a.signaling, task);

  /* Wait (at most 20 s) for the exchange to end. */
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 20;
  pthread_mutex_lock(&a.mu);
  while (!a.done && pthread_cond_timedwait(&a.cv, &a.mu, &deadline) == 0) {
  }
  bool ok = a.done && a.status == 0;
  a.done = false;
  pthread_mutex_unlock(&a.mu);

  rtc_task stop_task = {stop, NULL, &a};
  rtc_task_queue_post(a.signaling, stop_task);
  pthread_mutex_lock(&a.mu);
  while (!a.done)
    pthread_cond_wait(&a.cv, &a.mu);
  pthread_mutex_unlock(&a.mu);
  rtc_task_queue_destroy(a.signaling);
  rtc_context_destroy(a.context);
  printf(ok ? "example: ok\n" : "example: FAILED\n");
  return ok ? 0 : 1;
}
