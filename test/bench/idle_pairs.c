/*
 * IDLE in C: what an idle peer connection costs rtcbox itself, without
 * JavaScript. Makes `pairs` connected pairs over loopback (one after the
 * other, each with a data channel open at both ends), then prints one line
 * of JSON: RSS, threads and fds per peer connection (the growth since a
 * first pair, kept open, divided by 2 * pairs) and the fds left once the
 * pairs are closed.
 *
 *   idle_pairs [pairs]   (default 50)
 *
 * IDLE_NO_TCP set: without ICE-TCP candidates (rtc_configuration
 * tcp_candidates false), to see what they cost. IDLE_DEFAULTS set: the
 * default configuration, as the JavaScript IDLE (mDNS names, no loopback);
 * otherwise loopback addresses without mDNS.
 *
 * A plain C program, so heap profilers work on it (heaptrack, valgrind
 * --tool=massif): the Node addon is loaded with RTLD_DEEPBIND, which keeps
 * its malloc calls away from preloaded allocators.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/rtc_peer_connection.h"
#include "rtc_base/alloc.h"
#include "rtc_base/event_loop.h"

typedef struct pair pair;

typedef struct endpoint {
  pair* pair;
  struct endpoint* peer;
  rtc_peer_connection* pc;
  rtc_data_channel* channel;
  bool open;
} endpoint;

struct pair {
  endpoint a, b;
};

static rtc_task_queue* g_signaling;
static rtc_context* g_context;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_opened; /* channels open at both ends, counted per end */
static bool g_failed;

static void signal_change(bool failed) {
  pthread_mutex_lock(&g_mu);
  if (failed)
    g_failed = true;
  else
    g_opened++;
  pthread_cond_signal(&g_cv);
  pthread_mutex_unlock(&g_mu);
}

static void channel_open(void* user) {
  endpoint* e = user;
  if (!e->open) {
    e->open = true;
    signal_change(false);
  }
}

static const rtc_data_channel_observer kChannelObserver = {
    .on_open = channel_open,
};

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
  rtc_task_queue_post(g_signaling, task);
}

static void on_connection_state(void* user, rtc_peer_connection_state s) {
  (void)user;
  if (s == RTC_PC_STATE_FAILED)
    signal_change(true);
}

static void on_data_channel(void* user, rtc_data_channel* channel) {
  endpoint* e = user;
  e->channel = channel; /* the reference is ours */
  rtc_data_channel_set_observer(channel, &kChannelObserver, e);
  if (rtc_data_channel_ready_state(channel) == RTC_DATA_CHANNEL_OPEN)
    channel_open(e);
}

static const rtc_peer_connection_observer kObserver = {
    .on_ice_candidate = on_ice_candidate,
    .on_connection_state_change = on_connection_state,
    .on_data_channel = on_data_channel,
};

static void check(rtc_error err, const rtc_error_info* info, const char* what) {
  if (err != RTC_OK) {
    fprintf(stderr, "idle_pairs: %s failed: %s %s\n", what, rtc_error_name(err),
            info ? info->message : "");
    exit(1);
  }
}

static void answer_created(void* user,
                           rtc_error err,
                           const rtc_error_info* info,
                           const rtc_session_description* answer) {
  pair* p = user;
  check(err, info, "createAnswer");
  check(rtc_peer_connection_set_local_description(p->b.pc, answer, NULL, NULL),
        NULL, "setLocalDescription(answer)");
  check(rtc_peer_connection_set_remote_description(p->a.pc, answer, NULL, NULL),
        NULL, "setRemoteDescription(answer)");
}

static void offer_created(void* user,
                          rtc_error err,
                          const rtc_error_info* info,
                          const rtc_session_description* offer) {
  pair* p = user;
  check(err, info, "createOffer");
  check(rtc_peer_connection_set_local_description(p->a.pc, offer, NULL, NULL),
        NULL, "setLocalDescription(offer)");
  check(rtc_peer_connection_set_remote_description(p->b.pc, offer, NULL, NULL),
        NULL, "setRemoteDescription(offer)");
  check(rtc_peer_connection_create_answer(p->b.pc, answer_created, p), NULL,
        "createAnswer");
}

/* On the signaling thread. */
static void start_pair(void* arg) {
  pair* p = arg;
  rtc_configuration config;
  rtc_configuration_init(&config);
  if (!getenv("IDLE_DEFAULTS")) {
    config.interfaces.include_loopback = true;
    config.obfuscate_host_addresses = false;
  }
  if (getenv("IDLE_NO_TCP"))
    config.tcp_candidates = false;
  rtc_error_info info;
  endpoint* ends[2] = {&p->a, &p->b};
  for (int i = 0; i < 2; i++)
    check(rtc_peer_connection_create(g_context, g_signaling, &config,
                                     &kObserver, ends[i], &ends[i]->pc, &info),
          &info, "create");
  check(rtc_peer_connection_create_data_channel(p->a.pc, "idle", NULL,
                                                &p->a.channel, &info),
        &info, "createDataChannel");
  rtc_data_channel_set_observer(p->a.channel, &kChannelObserver, &p->a);
  check(rtc_peer_connection_create_offer(p->a.pc, NULL, offer_created, p), NULL,
        "createOffer");
}

static void destroy_pair(void* arg) {
  pair* p = arg;
  endpoint* ends[2] = {&p->a, &p->b};
  for (int i = 0; i < 2; i++) {
    rtc_data_channel_set_observer(ends[i]->channel, NULL, NULL);
    rtc_data_channel_unref(ends[i]->channel);
    rtc_peer_connection_destroy(ends[i]->pc);
  }
  free(p);
}

/* Runs fn(arg) on the signaling thread and waits for it. */
typedef struct sync_call {
  void (*fn)(void*);
  void* arg;
  bool done;
} sync_call;

static void run_sync_task(void* arg) {
  sync_call* c = arg;
  c->fn(c->arg);
  pthread_mutex_lock(&g_mu);
  c->done = true;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
}

static void run_sync(void (*fn)(void*), void* arg) {
  sync_call c = {fn, arg, false};
  rtc_task task = {run_sync_task, NULL, &c};
  rtc_task_queue_post(g_signaling, task);
  pthread_mutex_lock(&g_mu);
  while (!c.done)
    pthread_cond_wait(&g_cv, &g_mu);
  pthread_mutex_unlock(&g_mu);
}

/* Makes a pair and waits until its channel is open at both ends. */
static pair* make_pair(void) {
  pair* p = calloc(1, sizeof(*p));
  if (!p)
    exit(1);
  p->a.pair = p->b.pair = p;
  p->a.peer = &p->b;
  p->b.peer = &p->a;
  pthread_mutex_lock(&g_mu);
  int target = g_opened + 2;
  pthread_mutex_unlock(&g_mu);
  run_sync(start_pair, p);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 20;
  pthread_mutex_lock(&g_mu);
  while (g_opened < target && !g_failed &&
         pthread_cond_timedwait(&g_cv, &g_mu, &deadline) == 0) {
  }
  bool ok = g_opened >= target && !g_failed;
  pthread_mutex_unlock(&g_mu);
  if (!ok) {
    fprintf(stderr, "idle_pairs: a pair did not connect in 20 s\n");
    exit(1);
  }
  return p;
}

static long rss_kib(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2)
    resident = 0;
  if (f)
    fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int count_entries(const char* dir) {
  DIR* d = opendir(dir);
  if (!d)
    return 0;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)))
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

int main(int argc, char** argv) {
  int pairs = argc > 1 ? atoi(argv[1]) : 50;
  if (pairs <= 0) {
    fprintf(stderr, "usage: idle_pairs [pairs]\n");
    return 2;
  }
  if (rtc_event_loop_create("signaling", &g_signaling) != RTC_OK ||
      rtc_context_create(NULL, &g_context) != RTC_OK) {
    fprintf(stderr, "idle_pairs: setup failed\n");
    return 1;
  }
  /* The baseline: rtcbox in use, one pair connected and kept open (not
   * counted: what the process pays once, threads and per-thread buffers,
   * is in it), as the JavaScript IDLE of test/bench/worker.js. */
  pair* first = make_pair();
  usleep(200 * 1000);
  long rss0 = rss_kib();
  int threads0 = count_entries("/proc/self/task");
  int fds0 = count_entries("/proc/self/fd");
  pair** all = calloc((size_t)pairs, sizeof(*all));
  if (!all)
    return 1;
  for (int i = 0; i < pairs; i++)
    all[i] = make_pair();
  usleep(500 * 1000);
  double pcs = 2.0 * pairs;
  long rss = rss_kib();
  int threads = count_entries("/proc/self/task");
  int fds = count_entries("/proc/self/fd");
  for (int i = 0; i < pairs; i++)
    run_sync(destroy_pair, all[i]);
  free(all);
  /* The network thread releases sockets after destroy returns. */
  int fds_left = count_entries("/proc/self/fd") - fds0;
  for (int i = 0; i < 100 && fds_left > 0; i++) {
    usleep(20 * 1000);
    fds_left = count_entries("/proc/self/fd") - fds0;
  }
  printf(
      "{\"pairs\":%d,\"rssKiBPerPc\":%.1f,\"threadsPerPc\":%.2f,"
      "\"fdsPerPc\":%.2f,\"fdsLeftAfterClose\":%d}\n",
      pairs, (double)(rss - rss0) / pcs, (threads - threads0) / pcs,
      (fds - fds0) / pcs, fds_left);
  fflush(stdout);
  run_sync(destroy_pair, first);
  rtc_task_queue_destroy(g_signaling);
  rtc_context_destroy(g_context);
  if (fds_left > 0) {
    fprintf(stderr, "idle_pairs: %d fds left after closing\n", fds_left);
    return 1;
  }
  return 0;
}
