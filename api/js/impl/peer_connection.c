/*
 * RTCPeerConnection, RTCSessionDescription, RTCCertificate and
 * RTCStatsReport (webrtc-pc §4, §4.9, §8) for the JavaScript bindings, on
 * top of api/rtc_peer_connection.h. See impl.h for the object lifetime
 * rules and api/js/DESIGN.md for the C contract.
 *
 * Operations (createOffer, createAnswer, setLocalDescription,
 * setRemoteDescription, addIceCandidate, getStats) are records on the peer
 * connection's list of pending operations (pc_op) until the core calls
 * back. close() drops the promises of the operations on the core's chain
 * (webrtc-pc: they never settle, and the core never calls them back after
 * close); getStats still settles after close(). Destroying the core peer
 * connection (finalize, env teardown) drops every promise left.
 *
 * The legacy callback forms (webrtc-pc §11.1.1) run the promise form on an
 * inner promise p, attach successCallback and failureCallback to it with
 * the realm's Promise.prototype.then, and resolve the returned promise
 * with undefined at once, as the spec's steps say.
 *
 * Keep-alive: one count on the env's signaling queue while any operation
 * is pending, one while the connection is in use (after its first
 * setLocalDescription/setRemoteDescription) and not closed, one per
 * generateCertificate() in progress, and one for a negotiation probe (see
 * rtcbox_pc_negotiation_probe): until negotiationneeded has had its chance
 * to fire after a change that may need negotiation. A connection nobody
 * uses keeps nothing alive.
 *
 * Threads: the JS thread of the env, except the certificate generation,
 * which runs on the context's worker queue.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/js/impl/impl.h"
#include "api/js/runtime/napi_task_queue.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/clock.h"
#include "rtc_base/logging.h"
#include "rtc_base/mutex.h"
#include "rtc_base/refcount.h"

/* ------------------------------------------------------------------------
 * Private state
 * --------------------------------------------------------------------- */

typedef struct pc_impl pc_impl;

typedef enum pc_op_kind {
  PC_OP_DESCRIPTION, /* createOffer, createAnswer: on the chain */
  PC_OP_VOID,        /* set*Description, addIceCandidate: on the chain */
  PC_OP_STATS,       /* getStats: not on the chain, settles after close */
  PC_OP_CHAINED,     /* rtcbox_pc_chain_operation: on the chain */
} pc_op_kind;

/* A pending operation: its promise and the list links. The core holds the
 * pointer as its `user` until it calls back (never after close() for the
 * chain's operations, never after destroy for any). */
typedef struct pc_op {
  struct pc_op* prev;
  struct pc_op* next;
  pc_impl* pc;
  pc_op_kind kind;
  const char* name; /* the operation, for messages (a literal) */
  rtcbox_promise* promise;
  /* PC_OP_CHAINED */
  void (*run)(void* arg, rtcbox_promise* promise);
  void (*destroy)(void* arg);
  void* arg;
} pc_op;

/* The C object of an RTCPeerConnection: the shared struct of impl.h
 * first, then what only this file uses. */
struct pc_impl {
  rtcbox_RTCPeerConnection pub;
  pc_op* ops; /* pending operations, newest first */
  /* setLocalDescription or setRemoteDescription was called: from then on
   * the connection fires events until close(). */
  bool started;
  bool hold_pending; /* a keep-alive count for `ops` */
  bool hold_active;  /* a keep-alive count for `started` */
  int probes;        /* keep-alive counts of negotiation probes */
  /* RTCCertificate objects of the configuration (referenced), so that
   * getConfiguration() returns the same objects. */
  rtcbox_RTCCertificate** certs;
  size_t cert_count, cert_capacity;
};

static pc_impl* impl_of(rtcbox_RTCPeerConnection* pc) {
  return (pc_impl*)pc;
}

/* Grows the array whose pointer is at `array_ptr` (of `count` items of
 * `size` bytes) to hold one more. False when out of memory (the array is
 * unchanged). The pointer is read and written with memcpy: it may be of
 * any object pointer type. */
static bool reserve_one(void* array_ptr,
                        size_t count,
                        size_t* capacity,
                        size_t size) {
  if (count < *capacity)
    return true;
  void* items;
  memcpy(&items, array_ptr, sizeof(items));
  size_t capacity_new = *capacity ? *capacity * 2 : 4;
  void* grown = rtc_realloc_array(items, capacity_new, size);
  if (!grown)
    return false;
  memcpy(array_ptr, &grown, sizeof(grown));
  *capacity = capacity_new;
  return true;
}

#define RESERVE_ONE(array, count, capacity) \
  reserve_one(&(array), (count), &(capacity), sizeof(*(array)))

/* ------------------------------------------------------------------------
 * Enum mappings (core value -> generated value; the core's are dense)
 * --------------------------------------------------------------------- */

#define MAP(table, value, fallback)                                      \
  ((size_t)(value) < sizeof(table) / sizeof((table)[0]) ? (table)[value] \
                                                        : (fallback))

static const rtcbox_RTCSdpType kSdpTypes[] = {
    [RTC_SDP_OFFER] = RTCBOX_RTCSdpType_offer,
    [RTC_SDP_PRANSWER] = RTCBOX_RTCSdpType_pranswer,
    [RTC_SDP_ANSWER] = RTCBOX_RTCSdpType_answer,
    [RTC_SDP_ROLLBACK] = RTCBOX_RTCSdpType_rollback,
};

static const rtcbox_RTCSignalingState kSignalingStates[] = {
    [RTC_SIGNALING_STABLE] = RTCBOX_RTCSignalingState_stable,
    [RTC_SIGNALING_HAVE_LOCAL_OFFER] =
        RTCBOX_RTCSignalingState_have_local_offer,
    [RTC_SIGNALING_HAVE_REMOTE_OFFER] =
        RTCBOX_RTCSignalingState_have_remote_offer,
    [RTC_SIGNALING_HAVE_LOCAL_PRANSWER] =
        RTCBOX_RTCSignalingState_have_local_pranswer,
    [RTC_SIGNALING_HAVE_REMOTE_PRANSWER] =
        RTCBOX_RTCSignalingState_have_remote_pranswer,
    [RTC_SIGNALING_CLOSED] = RTCBOX_RTCSignalingState_closed,
};

static const rtcbox_RTCIceGatheringState kGatheringStates[] = {
    [RTC_ICE_GATHERING_NEW] = RTCBOX_RTCIceGatheringState_new,
    [RTC_ICE_GATHERING_GATHERING] = RTCBOX_RTCIceGatheringState_gathering,
    [RTC_ICE_GATHERING_COMPLETE] = RTCBOX_RTCIceGatheringState_complete,
};

static const rtcbox_RTCIceConnectionState kIceConnectionStates[] = {
    [RTC_ICE_TRANSPORT_NEW] = RTCBOX_RTCIceConnectionState_new,
    [RTC_ICE_TRANSPORT_CHECKING] = RTCBOX_RTCIceConnectionState_checking,
    [RTC_ICE_TRANSPORT_CONNECTED] = RTCBOX_RTCIceConnectionState_connected,
    [RTC_ICE_TRANSPORT_COMPLETED] = RTCBOX_RTCIceConnectionState_completed,
    [RTC_ICE_TRANSPORT_DISCONNECTED] =
        RTCBOX_RTCIceConnectionState_disconnected,
    [RTC_ICE_TRANSPORT_FAILED] = RTCBOX_RTCIceConnectionState_failed,
    [RTC_ICE_TRANSPORT_CLOSED] = RTCBOX_RTCIceConnectionState_closed,
};

static const rtcbox_RTCPeerConnectionState kConnectionStates[] = {
    [RTC_PC_STATE_NEW] = RTCBOX_RTCPeerConnectionState_new,
    [RTC_PC_STATE_CONNECTING] = RTCBOX_RTCPeerConnectionState_connecting,
    [RTC_PC_STATE_CONNECTED] = RTCBOX_RTCPeerConnectionState_connected,
    [RTC_PC_STATE_DISCONNECTED] = RTCBOX_RTCPeerConnectionState_disconnected,
    [RTC_PC_STATE_FAILED] = RTCBOX_RTCPeerConnectionState_failed,
    [RTC_PC_STATE_CLOSED] = RTCBOX_RTCPeerConnectionState_closed,
};

static const rtcbox_RTCBundlePolicy kBundlePolicies[] = {
    [RTC_BUNDLE_POLICY_BALANCED] = RTCBOX_RTCBundlePolicy_balanced,
    [RTC_BUNDLE_POLICY_MAX_COMPAT] = RTCBOX_RTCBundlePolicy_max_compat,
    [RTC_BUNDLE_POLICY_MAX_BUNDLE] = RTCBOX_RTCBundlePolicy_max_bundle,
};

/* The other way, by scanning the table above. */
static rtc_sdp_type sdp_type_from_js(rtcbox_RTCSdpType type) {
  for (size_t i = 0; i < sizeof(kSdpTypes) / sizeof(kSdpTypes[0]); i++) {
    if (kSdpTypes[i] == type)
      return (rtc_sdp_type)i;
  }
  return RTC_SDP_OFFER;
}

static rtc_bundle_policy bundle_policy_from_js(rtcbox_RTCBundlePolicy p) {
  for (size_t i = 0; i < sizeof(kBundlePolicies) / sizeof(kBundlePolicies[0]);
       i++) {
    if (kBundlePolicies[i] == p)
      return (rtc_bundle_policy)i;
  }
  return RTC_BUNDLE_POLICY_BALANCED;
}

/* ------------------------------------------------------------------------
 * RTCSessionDescription
 * --------------------------------------------------------------------- */

static void description_free(rtcbox_impl_header* h) {
  rtcbox_RTCSessionDescription* d = (rtcbox_RTCSessionDescription*)h;
  rtc_free(d->sdp);
  rtc_free(d);
}

/* A new description (refs 1) that takes over `sdp` (rtc_malloc'd), also
 * when it fails (NULL: out of memory). */
static rtcbox_RTCSessionDescription* description_new(rtcbox_RTCSdpType type,
                                                     char* sdp) {
  rtcbox_RTCSessionDescription* d = rtc_calloc(1, sizeof(*d));
  if (!d) {
    rtc_free(sdp);
    return NULL;
  }
  rtcbox_impl_init(&d->h, RTCBOX_CLASS_RTCSessionDescription, description_free);
  d->type = type;
  d->sdp = sdp;
  return d;
}

rtc_error rtcbox_RTCSessionDescription_constructor(
    rtcbox_ctx* ctx,
    const rtcbox_RTCSessionDescriptionInit* init,
    rtcbox_RTCSessionDescription** result) {
  /* webrtc-pc §4.8.1.1: type and sdp from the dictionary, no validation. */
  char* sdp = rtcbox_impl_strdup(init->sdp.data ? init->sdp
                                                : RTCBOX_STRING_LITERAL(""));
  if (!sdp)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  *result = description_new(init->type, sdp);
  return *result ? RTC_OK : rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
}

void rtcbox_RTCSessionDescription_finalize(rtcbox_RTCSessionDescription* self) {
  rtcbox_impl_unref(&self->h);
}

rtc_error rtcbox_RTCSessionDescription_get_type(
    rtcbox_ctx* ctx,
    rtcbox_RTCSessionDescription* self,
    rtcbox_RTCSdpType* result) {
  (void)ctx;
  *result = self->type;
  return RTC_OK;
}

rtc_error rtcbox_RTCSessionDescription_get_sdp(
    rtcbox_ctx* ctx,
    rtcbox_RTCSessionDescription* self,
    rtcbox_string* result) {
  (void)ctx;
  *result = rtcbox_string_from_cstr(self->sdp);
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * RTCCertificate
 * --------------------------------------------------------------------- */

static void certificate_free(rtcbox_impl_header* h) {
  rtcbox_RTCCertificate* c = (rtcbox_RTCCertificate*)h;
  rtc_certificate_unref(c->certificate);
  rtc_free(c);
}

/* A new RTCCertificate (refs 1) over `certificate` (referenced); NULL when
 * out of memory. */
static rtcbox_RTCCertificate* certificate_new(rtc_certificate* certificate) {
  rtcbox_RTCCertificate* c = rtc_calloc(1, sizeof(*c));
  if (!c)
    return NULL;
  rtcbox_impl_init(&c->h, RTCBOX_CLASS_RTCCertificate, certificate_free);
  rtc_certificate_ref(certificate);
  c->certificate = certificate;
  return c;
}

void rtcbox_RTCCertificate_finalize(rtcbox_RTCCertificate* self) {
  rtcbox_impl_unref(&self->h);
}

rtc_error rtcbox_RTCCertificate_get_expires(rtcbox_ctx* ctx,
                                            rtcbox_RTCCertificate* self,
                                            uint64_t* result) {
  (void)ctx;
  /* webrtc-pc §4.9.1 expires: the absolute time, ms since the epoch. */
  int64_t expires = rtc_certificate_expires_ms(self->certificate);
  *result = expires > 0 ? (uint64_t)expires : 0;
  return RTC_OK;
}

rtc_error rtcbox_RTCCertificate_getFingerprints(
    rtcbox_ctx* ctx,
    rtcbox_RTCCertificate* self,
    rtcbox_seq_RTCDtlsFingerprint* result) {
  /* webrtc-pc §4.9.1 getFingerprints(): the fingerprint with the algorithm
   * the certificate's signature uses (SHA-256); value: "the value of the
   * certificate fingerprint in lowercase hex string as expressed utilizing
   * the syntax of 'fingerprint' in [RFC4572] Section 5". */
  rtc_fingerprint fp;
  rtc_error err =
      rtc_certificate_fingerprint(self->certificate, RTC_HASH_SHA256, &fp);
  if (err != RTC_OK)
    return rtcbox_ctx_fail(ctx, err, NULL);
  char value[RTC_FINGERPRINT_TEXT_SIZE];
  if (rtc_fingerprint_format_value(&fp, value, sizeof(value)) == 0)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INTERNAL, "cannot format");
  for (char* p = value; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  rtcbox_RTCDtlsFingerprint* item = rtcbox_ctx_alloc(ctx, sizeof(*item));
  if (!item)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  item->has_algorithm = true;
  item->algorithm =
      rtcbox_ctx_strdup(ctx, rtc_hash_algorithm_name(RTC_HASH_SHA256));
  item->has_value = true;
  item->value = rtcbox_ctx_strdup(ctx, value);
  if (!item->algorithm.data || !item->value.data)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  result->items = item;
  result->length = 1;
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * RTCStatsReport
 * --------------------------------------------------------------------- */

static void stats_report_free(rtcbox_impl_header* h) {
  rtcbox_RTCStatsReport* r = (rtcbox_RTCStatsReport*)h;
  rtc_free(r->json);
  rtc_free(r);
}

rtcbox_RTCStatsReport* rtcbox_stats_report_new(const char* json) {
  rtcbox_RTCStatsReport* r = rtc_calloc(1, sizeof(*r));
  if (!r)
    return NULL;
  rtcbox_impl_init(&r->h, RTCBOX_CLASS_RTCStatsReport, stats_report_free);
  r->json = rtc_strdup(json ? json : "{}");
  if (!r->json) {
    rtc_free(r);
    return NULL;
  }
  return r;
}

void rtcbox_RTCStatsReport_finalize(rtcbox_RTCStatsReport* self) {
  rtcbox_impl_unref(&self->h);
}

/* A Node-API call that failed: its exception stays pending (the glue
 * rethrows it), else an internal error. */
#define NAPI_OR_FAIL(ctx, call)                                     \
  do {                                                              \
    if ((call) != napi_ok)                                          \
      return rtcbox_ctx_fail((ctx), RTC_ERR_INTERNAL, "%s", #call); \
  } while (0)

rtc_error rtcbox_RTCStatsReport_entries(rtcbox_ctx* ctx,
                                        rtcbox_RTCStatsReport* self,
                                        rtcbox_record_value* result) {
  /* The realm's JSON.parse (webrtc-stats dictionaries are plain JSON). */
  napi_env env = ctx->env;
  napi_value global, json, parse, text, parsed, keys;
  NAPI_OR_FAIL(ctx, napi_get_global(env, &global));
  NAPI_OR_FAIL(ctx, napi_get_named_property(env, global, "JSON", &json));
  NAPI_OR_FAIL(ctx, napi_get_named_property(env, json, "parse", &parse));
  NAPI_OR_FAIL(
      ctx, napi_create_string_utf8(env, self->json, NAPI_AUTO_LENGTH, &text));
  NAPI_OR_FAIL(ctx, napi_call_function(env, json, parse, 1, &text, &parsed));
  if (!rtcbox_is_object(ctx, parsed))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INTERNAL, "the report is no object");
  /* Own enumerable string keys, in order (not those of a prototype a
   * script may have given enumerable properties). */
  NAPI_OR_FAIL(ctx, napi_get_all_property_names(
                        env, parsed, napi_key_own_only,
                        napi_key_enumerable | napi_key_skip_symbols,
                        napi_key_numbers_to_strings, &keys));
  uint32_t count = 0;
  NAPI_OR_FAIL(ctx, napi_get_array_length(env, keys, &count));
  if (count == 0) {
    result->entries = NULL;
    result->length = 0;
    return RTC_OK;
  }
  rtcbox_record_value_entry* entries =
      rtcbox_ctx_alloc(ctx, (size_t)count * sizeof(*entries));
  if (!entries)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (uint32_t i = 0; i < count; i++) {
    napi_value key, value;
    size_t length = 0;
    NAPI_OR_FAIL(ctx, napi_get_element(env, keys, i, &key));
    NAPI_OR_FAIL(ctx, napi_get_value_string_utf8(env, key, NULL, 0, &length));
    char* data = rtcbox_ctx_alloc(ctx, length + 1);
    if (!data)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    NAPI_OR_FAIL(
        ctx, napi_get_value_string_utf8(env, key, data, length + 1, &length));
    NAPI_OR_FAIL(ctx, napi_get_property(env, parsed, key, &value));
    entries[i].key.data = data;
    entries[i].key.length = length;
    entries[i].value = value;
  }
  result->entries = entries;
  result->length = count;
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * Keep-alive, strong/weak, pending operations
 * --------------------------------------------------------------------- */

static void hold(pc_impl* pc, bool* held, bool want) {
  if (*held == want)
    return;
  *held = want;
  int delta = want ? 1 : -1;
  pc->pub.keep_alive += delta;
  if (pc->pub.ienv)
    rtcbox_napi_queue_keep_alive(pc->pub.ienv->queue, delta);
}

/* Brings the keep-alive counts and the wrapper's strength in line with the
 * state: the JS object stays alive while it can still fire events or an
 * operation can still settle. */
static void update_holds(pc_impl* pc) {
  bool alive = pc->pub.pc && !pc->pub.closed;
  hold(pc, &pc->hold_pending, pc->ops != NULL && pc->pub.ienv);
  hold(pc, &pc->hold_active, alive && pc->started && pc->pub.ienv);
  rtcbox_wrapper_set_strong(&pc->pub.h.wrapper, alive || pc->ops != NULL);
}

/* --- Negotiation probes ---
 *
 * The core checks whether negotiation is needed in a task it posts to the
 * signaling queue (webrtc-pc §4.7.3 "update the negotiation-needed flag"
 * queues a task), after the change or once the operations chain is empty.
 * A probe holds a keep-alive count across two tasks posted behind it, so
 * that the check (and the negotiationneeded event a script may be waiting
 * for) happens before Node may exit. Each probe task holds a reference on
 * the pc; the env's teardown releases the counts (the queue then drops the
 * tasks). */

static void probe_release(pc_impl* pc) {
  if (pc->probes <= 0)
    return;
  pc->probes--;
  pc->pub.keep_alive--;
  if (pc->pub.ienv)
    rtcbox_napi_queue_keep_alive(pc->pub.ienv->queue, -1);
}

static void probe_done(void* arg) {
  pc_impl* pc = arg;
  probe_release(pc);
  rtcbox_impl_unref(&pc->pub.h);
}

static void probe_post(pc_impl* pc, rtc_task_fn run) {
  if (!pc->pub.pc || pc->pub.closed || !pc->pub.ienv)
    return;
  rtcbox_impl_ref(&pc->pub.h);
  pc->probes++;
  pc->pub.keep_alive++;
  rtcbox_napi_queue_keep_alive(pc->pub.ienv->queue, 1);
  rtc_task task = {run, probe_done, pc};
  /* On failure the task was dropped: probe_done released it. */
  if (rtc_task_queue_post(pc->pub.ienv->queue, task) != RTC_OK)
    RTC_LOG(WARNING, "cannot post a negotiation probe");
}

/* The first hop: a task the core posted while this one was queued (the
 * check after an operation ends) is still ahead of a second one. */
static void probe_first_hop(void* arg) {
  probe_post(arg, NULL);
}

void rtcbox_pc_negotiation_probe(rtcbox_RTCPeerConnection* pc) {
  if (pc) /* NULL: a child whose peer connection is gone */
    probe_post(impl_of(pc), probe_first_hop);
}

static pc_op* op_new(pc_impl* pc,
                     pc_op_kind kind,
                     const char* name,
                     rtcbox_promise* promise) {
  pc_op* op = rtc_calloc(1, sizeof(*op));
  if (!op)
    return NULL;
  op->pc = pc;
  op->kind = kind;
  op->name = name;
  op->promise = promise;
  op->next = pc->ops;
  if (pc->ops)
    pc->ops->prev = op;
  pc->ops = op;
  update_holds(pc);
  return op;
}

/* Takes `op` off its list and frees it; returns its promise (transfer
 * full) for the caller to settle, and its name (may be NULL). */
static rtcbox_promise* op_finish(pc_op* op, const char** name) {
  pc_impl* pc = op->pc;
  if (op->prev)
    op->prev->next = op->next;
  else
    pc->ops = op->next;
  if (op->next)
    op->next->prev = op->prev;
  rtcbox_promise* promise = op->promise;
  if (name)
    *name = op->name;
  void (*destroy)(void* arg) = op->destroy;
  void* arg = op->arg;
  rtc_free(op);
  update_holds(pc);
  if (destroy)
    destroy(arg);
  return promise;
}

/* Drops the promises of the pending operations: those on the core's chain
 * (close(): they never settle), or all of them (the core is destroyed). */
static void drop_ops(pc_impl* pc, bool all) {
  pc_op* op = pc->ops;
  while (op) {
    pc_op* next = op->next;
    if (all)
      rtcbox_promise_drop(op_finish(op, NULL));
    else if (op->kind != PC_OP_STATS)
      rtcbox_promise_abandon(op_finish(op, NULL));
    op = next;
  }
}

/* ------------------------------------------------------------------------
 * The registry (impl.h) and close
 * --------------------------------------------------------------------- */

rtcbox_rtp_group* rtcbox_pc_rtp_group(rtcbox_RTCPeerConnection* pc,
                                      rtc_rtp_transceiver* transceiver) {
  if (!pc || !transceiver)
    return NULL;
  for (size_t i = 0; i < pc->rtp_count; i++) {
    if (pc->rtp[i]->transceiver == transceiver)
      return pc->rtp[i];
  }
  if (!RESERVE_ONE(pc->rtp, pc->rtp_count, pc->rtp_capacity))
    return NULL;
  rtcbox_rtp_group* group = rtcbox_rtp_group_new(pc, transceiver, NULL);
  if (!group)
    return NULL;
  pc->rtp[pc->rtp_count++] = group;
  if (pc->closed)
    rtcbox_rtp_group_pc_closed(group);
  return group;
}

rtcbox_RTCDtlsTransport* rtcbox_pc_dtls_transport(rtcbox_RTCPeerConnection* pc,
                                                  rtc_pc_dtls_transport* t) {
  if (!pc || !t)
    return NULL;
  for (size_t i = 0; i < pc->dtls_count; i++) {
    if (pc->dtls[i]->transport == t)
      return pc->dtls[i];
  }
  if (!RESERVE_ONE(pc->dtls, pc->dtls_count, pc->dtls_capacity))
    return NULL;
  rtcbox_RTCDtlsTransport* dtls = rtcbox_dtls_transport_new(t);
  if (!dtls)
    return NULL;
  pc->dtls[pc->dtls_count++] = dtls;
  if (pc->closed)
    rtcbox_dtls_transport_pc_closed(dtls);
  return dtls;
}

void rtcbox_pc_forget_channel(rtcbox_RTCPeerConnection* pc,
                              rtcbox_RTCDataChannel* channel) {
  if (!pc)
    return;
  for (size_t i = 0; i < pc->channel_count; i++) {
    if (pc->channels[i] == channel) {
      memmove(&pc->channels[i], &pc->channels[i + 1],
              (pc->channel_count - i - 1) * sizeof(pc->channels[0]));
      pc->channel_count--;
      return;
    }
  }
}

/* What close() does to the objects around the connection: no more events
 * from them (webrtc-pc §4.4.1.3 close the connection). Backwards, as a
 * channel may take itself out of the list meanwhile. */
static void children_pc_closed(rtcbox_RTCPeerConnection* pc) {
  for (size_t i = pc->channel_count; i-- > 0;) {
    if (i < pc->channel_count)
      rtcbox_data_channel_pc_closed(pc->channels[i]);
  }
  for (size_t i = 0; i < pc->dtls_count; i++)
    rtcbox_dtls_transport_pc_closed(pc->dtls[i]);
  if (pc->sctp)
    rtcbox_sctp_transport_pc_closed(pc->sctp);
  for (size_t i = 0; i < pc->rtp_count; i++)
    rtcbox_rtp_group_pc_closed(pc->rtp[i]);
}

/* close(), and with `destroy` the end of the core object (finalize, env
 * teardown). */
static void pc_shut(pc_impl* pc, bool destroy) {
  rtcbox_RTCPeerConnection* p = &pc->pub;
  if (!p->closed) {
    /* webrtc-pc §4.4.1.3: [[IsClosed]] true, then the states, transports
     * and channels close without events. */
    p->closed = true;
    if (p->pc)
      rtc_peer_connection_close(p->pc);
    children_pc_closed(p);
    drop_ops(pc, false);
  }
  if (destroy && p->pc) {
    rtc_peer_connection_destroy(p->pc);
    p->pc = NULL;
    drop_ops(pc, true);
  }
  update_holds(pc);
}

static void env_unlink(rtcbox_RTCPeerConnection* pc) {
  rtcbox_impl_env* ienv = pc->ienv;
  if (!ienv)
    return;
  if (pc->env_prev)
    pc->env_prev->env_next = pc->env_next;
  else
    ienv->pcs = pc->env_next;
  if (pc->env_next)
    pc->env_next->env_prev = pc->env_prev;
  pc->env_prev = pc->env_next = NULL;
}

/* What a peer connection holds natively until its JS object is collected
 * (measured: ~60 KB of RSS for a closed one, more while it runs), reported
 * to V8 (napi_adjust_external_memory) so that closed peer connections
 * create the GC pressure their memory is: otherwise V8 sees small JS
 * objects and may keep thousands of them. */
#define PC_EXTERNAL_BYTES (64 * 1024)

static void pc_free(rtcbox_impl_header* h) {
  pc_impl* pc = (pc_impl*)h;
  rtcbox_RTCPeerConnection* p = &pc->pub;
  /* (Not once the env is gone: p->ienv is NULL after its teardown.) */
  if (p->ienv) {
    int64_t total;
    napi_adjust_external_memory(p->ienv->env, -PC_EXTERNAL_BYTES, &total);
  }
  pc_shut(pc, true);
  /* The registry: children keep their core objects, lose the pc. */
  for (size_t i = 0; i < p->rtp_count; i++) {
    p->rtp[i]->pc = NULL;
    rtcbox_impl_unref(&p->rtp[i]->h);
  }
  rtc_free(p->rtp);
  for (size_t i = 0; i < p->dtls_count; i++)
    rtcbox_impl_unref(&p->dtls[i]->h);
  rtc_free(p->dtls);
  if (p->sctp)
    rtcbox_impl_unref(&p->sctp->h);
  for (size_t i = 0; i < p->channel_count; i++)
    p->channels[i]->pc = NULL;
  rtc_free(p->channels);
  for (size_t i = 0; i < sizeof(p->descriptions) / sizeof(p->descriptions[0]);
       i++) {
    if (p->descriptions[i])
      rtcbox_impl_unref(&p->descriptions[i]->h);
  }
  for (size_t i = 0; i < p->remote_stream_count; i++)
    rtcbox_impl_unref(&p->remote_streams[i]->h);
  rtc_free(p->remote_streams);
  for (size_t i = 0; i < pc->cert_count; i++)
    rtcbox_impl_unref(&pc->certs[i]->h);
  rtc_free(pc->certs);
  env_unlink(p);
  rtcbox_impl_context_release(p->context);
  rtc_free(pc);
}

void rtcbox_RTCPeerConnection_finalize(rtcbox_RTCPeerConnection* self) {
  rtcbox_impl_unref(&self->h);
}

/* ------------------------------------------------------------------------
 * The core's observer: events, in the order the core reports them
 * --------------------------------------------------------------------- */

static void on_negotiation_needed(void* user) {
  pc_impl* pc = user;
  if (pc->pub.closed)
    return;
  rtcbox_fire_event(&pc->pub.h.wrapper, "negotiationneeded", false, false);
}

static void on_ice_candidate(void* user, const rtc_ice_candidate_event* e) {
  pc_impl* pc = user;
  if (pc->pub.closed)
    return;
  /* webrtc-pc §4.4.1.4 (surfacing a candidate): an RTCIceCandidate, or
   * null once gathering has finished everywhere. */
  rtcbox_RTCIceCandidate* candidate = NULL;
  if (e->candidate) {
    candidate =
        rtcbox_ice_candidate_new(e->candidate, e->sdp_mid, e->sdp_mline_index,
                                 e->username_fragment, e->url);
    if (!candidate) {
      RTC_LOG(ERROR, "icecandidate: out of memory, event not fired");
      return;
    }
  }
  rtcbox_RTCPeerConnectionIceEventInit init;
  rtcbox_RTCPeerConnectionIceEventInit_init(&init);
  init.has_candidate = true;
  init.candidate = RTCBOX_OUT(candidate);
  init.has_url = true;
  init.url = rtcbox_string_from_cstr(e->candidate ? e->url : NULL);
  rtcbox_fire_RTCPeerConnectionIceEvent(&pc->pub.h.wrapper, "icecandidate",
                                        &init);
  if (candidate) {
    rtcbox_impl_out_unused(&candidate->h, false);
    rtcbox_impl_unref(&candidate->h);
  }
}

static void on_ice_candidate_error(void* user,
                                   const rtc_ice_candidate_error_event* e) {
  pc_impl* pc = user;
  if (pc->pub.closed)
    return;
  rtcbox_RTCPeerConnectionIceErrorEventInit init;
  rtcbox_RTCPeerConnectionIceErrorEventInit_init(&init);
  init.has_address = true;
  init.address = rtcbox_string_from_cstr(e->address);
  init.has_port = true;
  init.port.is_null = e->port < 0 || e->port > 65535;
  init.port.value = init.port.is_null ? 0 : (uint16_t)e->port;
  init.has_url = true;
  init.url = rtcbox_string_from_cstr(e->url ? e->url : "");
  init.errorCode = e->error_code;
  init.has_errorText = true;
  init.errorText = rtcbox_string_from_cstr(e->error_text ? e->error_text : "");
  rtcbox_fire_RTCPeerConnectionIceErrorEvent(&pc->pub.h.wrapper,
                                             "icecandidateerror", &init);
}

static void fire_state_event(pc_impl* pc, const char* type) {
  if (pc->pub.closed)
    return;
  rtcbox_fire_event(&pc->pub.h.wrapper, type, false, false);
}

static void on_signaling_state_change(void* user, rtc_signaling_state state) {
  (void)state;
  fire_state_event(user, "signalingstatechange");
}

static void on_ice_gathering_state_change(void* user,
                                          rtc_ice_gathering_state state) {
  (void)state;
  fire_state_event(user, "icegatheringstatechange");
}

static void on_ice_connection_state_change(void* user,
                                           rtc_ice_connection_state state) {
  (void)state;
  fire_state_event(user, "iceconnectionstatechange");
}

static void on_connection_state_change(void* user,
                                       rtc_peer_connection_state state) {
  (void)state;
  fire_state_event(user, "connectionstatechange");
}

/* A new RTCDataChannel for a core channel, registered with the pc (the
 * list has room first, so that a registered channel is never missed by
 * close()). The caller keeps its reference on `channel`. NULL when out of
 * memory. */
static rtcbox_RTCDataChannel* channel_wrap(pc_impl* pc,
                                           rtc_data_channel* channel) {
  rtcbox_RTCPeerConnection* p = &pc->pub;
  if (!RESERVE_ONE(p->channels, p->channel_count, p->channel_capacity))
    return NULL;
  rtcbox_RTCDataChannel* dc = rtcbox_data_channel_new(p, channel);
  if (!dc)
    return NULL;
  bool listed = false;
  for (size_t i = 0; i < p->channel_count; i++)
    listed = listed || p->channels[i] == dc;
  if (!listed)
    p->channels[p->channel_count++] = dc;
  return dc;
}

static void on_data_channel(void* user, rtc_data_channel* channel) {
  pc_impl* pc = user;
  if (pc->pub.closed) {
    rtc_data_channel_unref(channel);
    return;
  }
  /* webrtc-pc §6.2.3 announcing a data channel: RTCDataChannelEvent
   * "datachannel" with the new channel. */
  rtcbox_RTCDataChannel* dc = channel_wrap(pc, channel);
  rtc_data_channel_unref(channel);
  if (!dc) {
    RTC_LOG(ERROR, "datachannel: out of memory, event not fired");
    return;
  }
  rtcbox_RTCDataChannelEventInit init;
  memset(&init, 0, sizeof(init));
  init.channel = RTCBOX_OUT(dc);
  rtcbox_fire_RTCDataChannelEvent(&pc->pub.h.wrapper, "datachannel", &init);
  rtcbox_impl_out_unused(&dc->h, false);
  rtcbox_impl_unref(&dc->h);
}

static const rtc_peer_connection_observer kObserver = {
    .on_negotiation_needed = on_negotiation_needed,
    .on_ice_candidate = on_ice_candidate,
    .on_ice_candidate_error = on_ice_candidate_error,
    .on_signaling_state_change = on_signaling_state_change,
    .on_ice_gathering_state_change = on_ice_gathering_state_change,
    .on_ice_connection_state_change = on_ice_connection_state_change,
    .on_connection_state_change = on_connection_state_change,
    .on_data_channel = on_data_channel,
    .on_remote_tracks = rtcbox_rtp_on_track, /* rtp.c: `track` events */
};

/* ------------------------------------------------------------------------
 * Configuration
 * --------------------------------------------------------------------- */

/* RTCConfiguration to rtc_configuration; the arrays live in the call's
 * arena, the strings are the call's. */
static rtc_error config_from_js(rtcbox_ctx* ctx,
                                const rtcbox_RTCConfiguration* in,
                                rtc_configuration* out) {
  rtc_configuration_init(out);
  size_t server_count = in->iceServers.length;
  if (server_count) {
    rtc_ice_server* servers =
        rtcbox_ctx_alloc(ctx, server_count * sizeof(*servers));
    if (!servers)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < server_count; i++) {
      const rtcbox_RTCIceServer* s = &in->iceServers.items[i];
      bool single = s->urls.type == RTCBOX_string_or_seq_string_string;
      size_t url_count = single ? 1 : s->urls.as_seq_string.length;
      const char** urls =
          rtcbox_ctx_alloc(ctx, (url_count ? url_count : 1) * sizeof(*urls));
      if (!urls)
        return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
      for (size_t u = 0; u < url_count; u++) {
        rtcbox_string url =
            single ? s->urls.as_string : s->urls.as_seq_string.items[u];
        /* A NUL would cut the URL short where the core reads it: such a
         * string is no URL at all (webrtc-pc: parsing fails, SyntaxError). */
        if (!url.data || memchr(url.data, '\0', url.length))
          return rtcbox_ctx_fail(ctx, RTC_ERR_SYNTAX,
                                 "Invalid URL: it contains a NUL character");
        urls[u] = url.data;
      }
      servers[i].urls = urls;
      servers[i].url_count = url_count;
      servers[i].username = s->has_username ? s->username.data : NULL;
      servers[i].credential = s->has_credential ? s->credential.data : NULL;
    }
    out->ice_servers = servers;
    out->ice_server_count = server_count;
  }
  out->ice_transport_policy =
      in->iceTransportPolicy == RTCBOX_RTCIceTransportPolicy_relay
          ? RTC_ICE_POLICY_RELAY
          : RTC_ICE_POLICY_ALL;
  out->bundle_policy = bundle_policy_from_js(in->bundlePolicy);
  out->rtcp_mux_policy = RTC_RTCP_MUX_POLICY_REQUIRE;
  out->ice_candidate_pool_size = in->iceCandidatePoolSize;
  size_t cert_count = in->certificates.length;
  if (cert_count) {
    rtc_certificate** certs =
        rtcbox_ctx_alloc(ctx, cert_count * sizeof(*certs));
    if (!certs)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < cert_count; i++)
      certs[i] = in->certificates.items[i]->certificate;
    out->certificates = (rtc_certificate* const*)certs;
    out->certificate_count = cert_count;
  }
  return RTC_OK;
}

/* The RTCCertificate of a core certificate: the one of the configuration,
 * or a new one remembered for the next time. (transfer none) NULL when out
 * of memory. */
static rtcbox_RTCCertificate* certificate_for(pc_impl* pc,
                                              rtc_certificate* certificate) {
  for (size_t i = 0; i < pc->cert_count; i++) {
    if (pc->certs[i]->certificate == certificate)
      return pc->certs[i];
  }
  if (!RESERVE_ONE(pc->certs, pc->cert_count, pc->cert_capacity))
    return NULL;
  rtcbox_RTCCertificate* c = certificate_new(certificate);
  if (c)
    pc->certs[pc->cert_count++] = c;
  return c;
}

/* Remembers the RTCCertificate objects of an accepted configuration. */
static rtc_error remember_config(pc_impl* pc,
                                 const rtcbox_RTCConfiguration* in) {
  for (size_t i = 0; i < in->certificates.length; i++) {
    rtcbox_RTCCertificate* c = in->certificates.items[i];
    bool known = false;
    for (size_t k = 0; k < pc->cert_count; k++)
      known = known || pc->certs[k] == c;
    if (known)
      continue;
    if (!RESERVE_ONE(pc->certs, pc->cert_count, pc->cert_capacity))
      return RTC_ERR_NO_MEMORY;
    rtcbox_impl_ref(&c->h);
    pc->certs[pc->cert_count++] = c;
  }
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * RTCPeerConnection: constructor and state
 * --------------------------------------------------------------------- */

static const char kClosedMessage[] =
    "The RTCPeerConnection's signalingState is 'closed'.";

rtc_error rtcbox_RTCPeerConnection_constructor(
    rtcbox_ctx* ctx,
    const rtcbox_RTCConfiguration* configuration,
    rtcbox_RTCPeerConnection** result) {
  rtcbox_impl_env* ienv = rtcbox_impl_env_get(ctx->env);
  if (!ienv)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INTERNAL, "rtcbox is not initialized");
  rtc_configuration config;
  rtc_error err = config_from_js(ctx, configuration, &config);
  if (err != RTC_OK)
    return err;
  pc_impl* pc = rtc_calloc(1, sizeof(*pc));
  if (!pc)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtcbox_impl_init(&pc->pub.h, RTCBOX_CLASS_RTCPeerConnection, pc_free);
  err = remember_config(pc, configuration);
  if (err != RTC_OK) {
    rtcbox_ctx_fail(ctx, err, NULL);
    goto free_pc;
  }
  err = rtcbox_impl_context_acquire(&pc->pub.context);
  if (err != RTC_OK) {
    rtcbox_ctx_fail(ctx, err, "cannot start the network thread");
    goto free_pc;
  }
  /* webrtc-pc §4.4.1.1 constructor: the configuration is validated by the
   * core (SyntaxError, InvalidAccessError, NotSupportedError). */
  err = rtc_peer_connection_create(pc->pub.context, ienv->queue, &config,
                                   &kObserver, pc, &pc->pub.pc, &ctx->error);
  if (err != RTC_OK)
    goto free_pc;
  pc->pub.ienv = ienv;
  pc->pub.env_next = ienv->pcs;
  if (ienv->pcs)
    ienv->pcs->env_prev = &pc->pub;
  ienv->pcs = &pc->pub;
  int64_t external;
  napi_adjust_external_memory(ctx->env, PC_EXTERNAL_BYTES, &external);
  /* Strong until close(): it can fire events. */
  rtcbox_wrapper_set_strong(&pc->pub.h.wrapper, true);
  *result = &pc->pub;
  return RTC_OK;

free_pc:
  /* Nothing of the pc is registered anywhere yet. */
  pc_free(&pc->pub.h);
  return err;
}

rtc_error rtcbox_RTCPeerConnection_get_signalingState(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCSignalingState* result) {
  (void)ctx;
  *result =
      self->pc && !self->closed
          ? MAP(kSignalingStates, rtc_peer_connection_signaling_state(self->pc),
                RTCBOX_RTCSignalingState_closed)
          : RTCBOX_RTCSignalingState_closed;
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_get_iceGatheringState(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCIceGatheringState* result) {
  (void)ctx;
  *result = self->pc ? MAP(kGatheringStates,
                           rtc_peer_connection_ice_gathering_state(self->pc),
                           RTCBOX_RTCIceGatheringState_new)
                     : RTCBOX_RTCIceGatheringState_new;
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_get_iceConnectionState(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCIceConnectionState* result) {
  (void)ctx;
  *result = self->pc && !self->closed
                ? MAP(kIceConnectionStates,
                      rtc_peer_connection_ice_connection_state(self->pc),
                      RTCBOX_RTCIceConnectionState_closed)
                : RTCBOX_RTCIceConnectionState_closed;
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_get_connectionState(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCPeerConnectionState* result) {
  (void)ctx;
  *result = self->pc && !self->closed
                ? MAP(kConnectionStates,
                      rtc_peer_connection_connection_state(self->pc),
                      RTCBOX_RTCPeerConnectionState_closed)
                : RTCBOX_RTCPeerConnectionState_closed;
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_get_canTrickleIceCandidates(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_nullable_boolean* result) {
  (void)ctx;
  int v =
      self->pc ? rtc_peer_connection_can_trickle_ice_candidates(self->pc) : -1;
  result->is_null = v < 0;
  result->value = v > 0;
  return RTC_OK;
}

/* The description of `kind`: the cached object while the SDP and type are
 * unchanged, else a new one. */
static rtc_error get_description(rtcbox_ctx* ctx,
                                 rtcbox_RTCPeerConnection* self,
                                 rtc_description_kind kind,
                                 rtcbox_RTCSessionDescription** result) {
  rtcbox_RTCSessionDescription** slot = &self->descriptions[kind];
  if (!self->pc) {
    *result = RTCBOX_OUT(*slot);
    return RTC_OK;
  }
  rtc_session_description d;
  rtc_error err = rtc_peer_connection_description(self->pc, kind, &d);
  if (err == RTC_ERR_NOT_FOUND) {
    if (*slot)
      rtcbox_impl_unref(&(*slot)->h);
    *slot = NULL;
    *result = NULL;
    return RTC_OK;
  }
  if (err != RTC_OK)
    return rtcbox_ctx_fail(ctx, err, NULL);
  rtcbox_RTCSdpType type = MAP(kSdpTypes, d.type, RTCBOX_RTCSdpType_offer);
  if (*slot && (*slot)->type == type && strcmp((*slot)->sdp, d.sdp) == 0) {
    rtc_free((char*)d.sdp);
    *result = RTCBOX_OUT(*slot);
    return RTC_OK;
  }
  rtcbox_RTCSessionDescription* fresh = description_new(type, (char*)d.sdp);
  if (!fresh)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  if (*slot)
    rtcbox_impl_unref(&(*slot)->h);
  *slot = fresh;
  *result = RTCBOX_OUT(fresh);
  return RTC_OK;
}

/* localDescription and remoteDescription: "pendingLocalDescription if it
 * is not null, otherwise currentLocalDescription" (webrtc-pc §4.4.3), the
 * same object as that attribute. */
static rtc_error get_pending_or_current(rtcbox_ctx* ctx,
                                        rtcbox_RTCPeerConnection* self,
                                        rtc_description_kind pending,
                                        rtc_description_kind current,
                                        rtcbox_RTCSessionDescription** result) {
  rtc_error err = get_description(ctx, self, pending, result);
  if (err != RTC_OK || *result)
    return err;
  return get_description(ctx, self, current, result);
}

rtc_error rtcbox_RTCPeerConnection_get_localDescription(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCSessionDescription** result) {
  return get_pending_or_current(ctx, self, RTC_DESCRIPTION_PENDING_LOCAL,
                                RTC_DESCRIPTION_CURRENT_LOCAL, result);
}

rtc_error rtcbox_RTCPeerConnection_get_currentLocalDescription(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCSessionDescription** result) {
  return get_description(ctx, self, RTC_DESCRIPTION_CURRENT_LOCAL, result);
}

rtc_error rtcbox_RTCPeerConnection_get_pendingLocalDescription(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCSessionDescription** result) {
  return get_description(ctx, self, RTC_DESCRIPTION_PENDING_LOCAL, result);
}

rtc_error rtcbox_RTCPeerConnection_get_remoteDescription(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCSessionDescription** result) {
  return get_pending_or_current(ctx, self, RTC_DESCRIPTION_PENDING_REMOTE,
                                RTC_DESCRIPTION_CURRENT_REMOTE, result);
}

rtc_error rtcbox_RTCPeerConnection_get_currentRemoteDescription(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCSessionDescription** result) {
  return get_description(ctx, self, RTC_DESCRIPTION_CURRENT_REMOTE, result);
}

rtc_error rtcbox_RTCPeerConnection_get_pendingRemoteDescription(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCSessionDescription** result) {
  return get_description(ctx, self, RTC_DESCRIPTION_PENDING_REMOTE, result);
}

rtc_error rtcbox_RTCPeerConnection_get_sctp(rtcbox_ctx* ctx,
                                            rtcbox_RTCPeerConnection* self,
                                            rtcbox_RTCSctpTransport** result) {
  *result = NULL;
  if (!self->pc) {
    *result = RTCBOX_OUT(self->sctp);
    return RTC_OK;
  }
  rtc_pc_sctp_transport* core = rtc_peer_connection_sctp(self->pc);
  if (!core)
    return RTC_OK;
  if (!self->sctp || self->sctp->transport != core) {
    rtcbox_RTCDtlsTransport* dtls =
        rtcbox_pc_dtls_transport(self, rtc_pc_sctp_transport_transport(core));
    if (!dtls)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    rtcbox_RTCSctpTransport* sctp = rtcbox_sctp_transport_new(dtls, core);
    if (!sctp)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    if (self->closed)
      rtcbox_sctp_transport_pc_closed(sctp);
    if (self->sctp) {
      /* The core dropped that association: its wrapper fires no more
       * events and need not stay strong. */
      rtcbox_sctp_transport_pc_closed(self->sctp);
      rtcbox_impl_unref(&self->sctp->h);
    }
    self->sctp = sctp;
  }
  *result = RTCBOX_OUT(self->sctp);
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * Operations
 * --------------------------------------------------------------------- */

/* Rejects `promise` with `result` and the details of `info` (may be NULL,
 * or for another code), its message prefixed as Chromium words an
 * operation's failure. */
static void reject_operation(rtcbox_promise* promise,
                             const char* operation,
                             rtc_error result,
                             const rtc_error_info* info) {
  rtc_error_info copy;
  if (info && (info->code == result || info->code == RTC_OK)) {
    copy = *info;
  } else {
    rtc_error_info_init(&copy);
  }
  copy.code = result != RTC_OK ? result : RTC_ERR_OPERATION;
  char message[sizeof(copy.message) + 128];
  snprintf(message, sizeof(message),
           "Failed to execute '%s' on 'RTCPeerConnection': %s",
           operation ? operation : "",
           copy.message[0] ? copy.message : rtc_error_description(copy.code));
  size_t n = strlen(message);
  if (n >= sizeof(copy.message))
    n = sizeof(copy.message) - 1;
  memcpy(copy.message, message, n);
  copy.message[n] = '\0';
  rtcbox_promise_reject_info(promise, &copy);
}

/* A chain operation ended: unless the connection is in use anyway, the
 * core's negotiation check that follows keeps Node alive. */
static void chain_op_ended(pc_impl* pc) {
  if (!pc->started)
    rtcbox_pc_negotiation_probe(&pc->pub);
}

static void on_description_done(void* user,
                                rtc_error result,
                                const rtc_error_info* info,
                                const rtc_session_description* sdp) {
  const char* name = NULL;
  chain_op_ended(((pc_op*)user)->pc);
  rtcbox_promise* promise = op_finish(user, &name);
  if (result != RTC_OK || !sdp) {
    reject_operation(promise, name, result, info);
    return;
  }
  rtcbox_RTCSessionDescriptionInit init;
  init.type = MAP(kSdpTypes, sdp->type, RTCBOX_RTCSdpType_offer);
  init.sdp = rtcbox_string_from_cstr(sdp->sdp ? sdp->sdp : "");
  rtcbox_promise_resolve_RTCSessionDescriptionInit(promise, &init);
}

static void on_void_done(void* user,
                         rtc_error result,
                         const rtc_error_info* info) {
  const char* name = NULL;
  chain_op_ended(((pc_op*)user)->pc);
  rtcbox_promise* promise = op_finish(user, &name);
  if (result != RTC_OK) {
    reject_operation(promise, name, result, info);
    return;
  }
  rtcbox_promise_resolve_undefined(promise);
}

static void on_chained_run(void* user,
                           rtc_error result,
                           const rtc_error_info* info) {
  (void)result;
  (void)info;
  pc_op* op = user;
  chain_op_ended(op->pc);
  void (*run)(void* arg, rtcbox_promise* promise) = op->run;
  void (*destroy)(void* arg) = op->destroy;
  void* arg = op->arg;
  op->destroy = NULL;
  rtcbox_promise* promise = op_finish(op, NULL);
  run(arg, promise);
  destroy(arg);
}

rtc_error rtcbox_pc_chain_operation(rtcbox_RTCPeerConnection* self,
                                    const char* name,
                                    rtcbox_promise* promise,
                                    void (*run)(void* arg,
                                                rtcbox_promise* promise),
                                    void (*destroy)(void* arg),
                                    void* arg) {
  if (!self->pc || self->closed)
    return RTC_ERR_INVALID_STATE;
  pc_op* op = op_new(impl_of(self), PC_OP_CHAINED, name, promise);
  if (!op)
    return RTC_ERR_NO_MEMORY;
  rtc_error err =
      rtc_peer_connection_chain_operation(self->pc, on_chained_run, op);
  if (err != RTC_OK) {
    op_finish(op, NULL);
    return err;
  }
  op->run = run;
  op->destroy = destroy;
  op->arg = arg;
  return RTC_OK;
}

/* An operation may start: the connection is not closed (webrtc-pc
 * "chain an operation": InvalidStateError when [[IsClosed]]). */
static rtc_error check_open(rtcbox_ctx* ctx, rtcbox_RTCPeerConnection* self) {
  if (!self->pc || self->closed)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosedMessage);
  return RTC_OK;
}

/* An operation the core refused within the call: closed, or (on an empty
 * operations chain, webrtc-pc §4.4.1.2) its first steps rejected it with
 * `err`; `why` says what those steps check. */
static rtc_error chain_refused(rtcbox_ctx* ctx,
                               rtcbox_RTCPeerConnection* self,
                               rtc_error err,
                               const char* why) {
  if (err != RTC_ERR_INVALID_STATE)
    return rtcbox_ctx_fail(ctx, err, NULL);
  if (!self->pc || self->closed ||
      rtc_peer_connection_signaling_state(self->pc) == RTC_SIGNALING_CLOSED)
    return rtcbox_ctx_fail(ctx, err, kClosedMessage);
  return rtcbox_ctx_fail(
      ctx, err, "%s (signaling state %s)", why,
      rtc_signaling_state_name(rtc_peer_connection_signaling_state(self->pc)));
}

/* The legacy offerToReceiveAudio/Video (webrtc-pc §11.1.2 legacy
 * configuration extensions), for one kind: false stops receiving on every
 * transceiver of that kind; true adds a recvonly transceiver unless one
 * already receives. */
static rtc_error offer_to_receive(rtcbox_ctx* ctx,
                                  rtcbox_RTCPeerConnection* self,
                                  rtc_media_kind kind,
                                  bool receive) {
  enum { kMaxTransceivers = 64 };
  rtc_rtp_transceiver* list[kMaxTransceivers];
  size_t n = rtc_peer_connection_transceivers(self->pc, list, kMaxTransceivers);
  if (n > kMaxTransceivers) {
    for (size_t i = 0; i < kMaxTransceivers; i++)
      rtc_rtp_transceiver_unref(list[i]);
    return rtcbox_ctx_fail(ctx, RTC_ERR_OPERATION, "too many transceivers");
  }
  bool receiving = false;
  for (size_t i = 0; i < n; i++) {
    rtc_rtp_transceiver* t = list[i];
    if (rtc_rtp_transceiver_kind(t) == kind &&
        !rtc_rtp_transceiver_stopped(t)) {
      rtc_transceiver_direction d = rtc_rtp_transceiver_direction(t);
      if (!receive) {
        /* "If offerToReceiveAudio is false: sendrecv becomes sendonly,
         * recvonly becomes inactive." */
        if (d == RTC_DIRECTION_SENDRECV)
          rtc_rtp_transceiver_set_direction(t, RTC_DIRECTION_SENDONLY);
        else if (d == RTC_DIRECTION_RECVONLY)
          rtc_rtp_transceiver_set_direction(t, RTC_DIRECTION_INACTIVE);
      } else if (d == RTC_DIRECTION_SENDRECV || d == RTC_DIRECTION_RECVONLY) {
        receiving = true;
      }
    }
    rtc_rtp_transceiver_unref(t);
  }
  if (!receive || receiving)
    return RTC_OK;
  /* "... createOffer() will behave as if addTransceiver(kind,
   * {direction: 'recvonly'}) had been called once prior." */
  rtc_rtp_transceiver_init init;
  rtc_rtp_transceiver_init_defaults(&init);
  init.direction = RTC_DIRECTION_RECVONLY;
  rtc_rtp_transceiver* added = NULL;
  rtc_error err = rtc_peer_connection_add_transceiver(self->pc, kind, &init,
                                                      &added, &ctx->error);
  if (err != RTC_OK)
    return err;
  rtc_rtp_transceiver_unref(added);
  return RTC_OK;
}

/* The start of each operation: RTC_OK and `promise` is the operation's,
 * or an error and `promise` is untouched. */
typedef rtc_error (*start_fn)(rtcbox_ctx* ctx,
                              rtcbox_RTCPeerConnection* self,
                              const void* arg,
                              rtcbox_promise* promise);

static rtc_error start_create_offer(rtcbox_ctx* ctx,
                                    rtcbox_RTCPeerConnection* self,
                                    const void* arg,
                                    rtcbox_promise* promise) {
  const rtcbox_RTCOfferOptions* options = arg;
  rtc_error err = check_open(ctx, self);
  if (err != RTC_OK)
    return err;
  if (options->has_offerToReceiveAudio) {
    err = offer_to_receive(ctx, self, RTC_MEDIA_AUDIO,
                           options->offerToReceiveAudio);
    if (err != RTC_OK)
      return err;
  }
  if (options->has_offerToReceiveVideo) {
    err = offer_to_receive(ctx, self, RTC_MEDIA_VIDEO,
                           options->offerToReceiveVideo);
    if (err != RTC_OK)
      return err;
  }
  pc_op* op = op_new(impl_of(self), PC_OP_DESCRIPTION, "createOffer", promise);
  if (!op)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtc_offer_options o = {.ice_restart = options->iceRestart};
  err = rtc_peer_connection_create_offer(self->pc, &o, on_description_done, op);
  if (err != RTC_OK) {
    op_finish(op, NULL);
    return chain_refused(ctx, self, err, "Cannot create an offer");
  }
  return RTC_OK;
}

static rtc_error start_create_answer(rtcbox_ctx* ctx,
                                     rtcbox_RTCPeerConnection* self,
                                     const void* arg,
                                     rtcbox_promise* promise) {
  (void)arg;
  rtc_error err = check_open(ctx, self);
  if (err != RTC_OK)
    return err;
  pc_op* op = op_new(impl_of(self), PC_OP_DESCRIPTION, "createAnswer", promise);
  if (!op)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  err = rtc_peer_connection_create_answer(self->pc, on_description_done, op);
  if (err != RTC_OK) {
    op_finish(op, NULL);
    return chain_refused(ctx, self, err,
                         "Cannot create an answer without a remote offer");
  }
  return RTC_OK;
}

/* setLocalDescription and setRemoteDescription once their description is
 * known (NULL: the parameterless form). */
static rtc_error start_set_description(rtcbox_ctx* ctx,
                                       rtcbox_RTCPeerConnection* self,
                                       bool local,
                                       const rtc_session_description* d,
                                       rtcbox_promise* promise) {
  rtc_error err = check_open(ctx, self);
  if (err != RTC_OK)
    return err;
  pc_op* op =
      op_new(impl_of(self), PC_OP_VOID,
             local ? "setLocalDescription" : "setRemoteDescription", promise);
  if (!op)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  err = local ? rtc_peer_connection_set_local_description(self->pc, d,
                                                          on_void_done, op)
              : rtc_peer_connection_set_remote_description(self->pc, d,
                                                           on_void_done, op);
  if (err != RTC_OK) {
    op_finish(op, NULL);
    return chain_refused(ctx, self, err, "Cannot roll back");
  }
  /* From now on the connection works: ICE gathers, events come. */
  impl_of(self)->started = true;
  update_holds(impl_of(self));
  return RTC_OK;
}

static rtc_error start_set_local(rtcbox_ctx* ctx,
                                 rtcbox_RTCPeerConnection* self,
                                 const void* arg,
                                 rtcbox_promise* promise) {
  const rtcbox_RTCLocalSessionDescriptionInit* init = arg;
  rtc_session_description d;
  const rtc_session_description* dp = &d;
  d.sdp = init->sdp.data ? init->sdp.data : "";
  if (init->has_type) {
    /* A type with an empty sdp: the core creates the offer or answer of
     * that type (webrtc-pc §4.4.1.5 setLocalDescription). */
    d.type = sdp_type_from_js(init->type);
  } else if (d.sdp[0]) {
    /* "Let type be description.type if present, or "offer" if not present
     * and [[SignalingState]] is either "stable", "have-local-offer", or
     * "have-remote-pranswer"; otherwise "answer"." */
    rtc_signaling_state s = self->pc
                                ? rtc_peer_connection_signaling_state(self->pc)
                                : RTC_SIGNALING_CLOSED;
    d.type = s == RTC_SIGNALING_STABLE || s == RTC_SIGNALING_HAVE_LOCAL_OFFER ||
                     s == RTC_SIGNALING_HAVE_REMOTE_PRANSWER
                 ? RTC_SDP_OFFER
                 : RTC_SDP_ANSWER;
  } else {
    /* Neither type nor sdp: the parameterless setLocalDescription(). */
    dp = NULL;
  }
  return start_set_description(ctx, self, true, dp, promise);
}

static rtc_error start_set_remote(rtcbox_ctx* ctx,
                                  rtcbox_RTCPeerConnection* self,
                                  const void* arg,
                                  rtcbox_promise* promise) {
  const rtcbox_RTCSessionDescriptionInit* init = arg;
  rtc_session_description d = {
      .type = sdp_type_from_js(init->type),
      .sdp = init->sdp.data ? init->sdp.data : "",
  };
  return start_set_description(ctx, self, false, &d, promise);
}

static rtc_error start_add_ice_candidate(rtcbox_ctx* ctx,
                                         rtcbox_RTCPeerConnection* self,
                                         const void* arg,
                                         rtcbox_promise* promise) {
  const rtcbox_RTCIceCandidateInit* init = arg;
  const char* candidate = init->candidate.data ? init->candidate.data : "";
  /* webrtc-pc §4.4.1.6 addIceCandidate step: "If candidate.candidate is not
   * an empty string and both candidate.sdpMid and candidate.sdpMLineIndex
   * are null, return a promise rejected with a newly created TypeError."
   * (before the operations chain, so also when closed) */
  if (candidate[0] && !init->sdpMid.data && init->sdpMLineIndex.is_null)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ARGUMENT,
                           "Candidate missing values for both sdpMid and "
                           "sdpMLineIndex");
  rtc_error err = check_open(ctx, self);
  if (err != RTC_OK)
    return err;
  rtc_ice_candidate_init c = {
      .candidate = candidate,
      .sdp_mid = init->sdpMid.data,
      .sdp_mline_index =
          init->sdpMLineIndex.is_null ? -1 : init->sdpMLineIndex.value,
      .username_fragment = init->usernameFragment.data,
  };
  pc_op* op = op_new(impl_of(self), PC_OP_VOID, "addIceCandidate", promise);
  if (!op)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  err = rtc_peer_connection_add_ice_candidate(self->pc, &c, on_void_done, op);
  if (err != RTC_OK) {
    op_finish(op, NULL);
    return chain_refused(ctx, self, err, "The remote description is null");
  }
  return RTC_OK;
}

/* The legacy forms (webrtc-pc §11.1.1 "Method extensions"): "Let p be the
 * result of [the promise-based method]. Upon fulfillment of p with value
 * v, invoke successCallback with v. Upon rejection of p with reason r,
 * invoke failureCallback with r. Return a promise resolved with
 * undefined." Both reactions go on p with the realm's
 * Promise.prototype.then. */
static rtc_error run_legacy(rtcbox_ctx* ctx,
                            rtcbox_RTCPeerConnection* self,
                            start_fn start,
                            const void* arg,
                            rtcbox_callback* success,
                            rtcbox_callback* failure,
                            rtcbox_promise* promise) {
  napi_env env = ctx->env;
  napi_value p_value, global, promise_ctor, proto, then, ignored;
  napi_value reactions[2];
  rtcbox_promise* p = NULL;
  if (!rtcbox_promise_create(ctx, &p_value, &p))
    return RTC_ERR_INTERNAL; /* its exception is pending */
  reactions[0] = rtcbox_callback_value(success);
  reactions[1] = rtcbox_callback_value(failure);
  if (!reactions[0] || !reactions[1] ||
      napi_get_global(env, &global) != napi_ok ||
      napi_get_named_property(env, global, "Promise", &promise_ctor) !=
          napi_ok ||
      napi_get_named_property(env, promise_ctor, "prototype", &proto) !=
          napi_ok ||
      napi_get_named_property(env, proto, "then", &then) != napi_ok ||
      napi_call_function(env, p_value, then, 2, reactions, &ignored) !=
          napi_ok) {
    rtcbox_promise_drop(p);
    return rtcbox_ctx_fail(ctx, RTC_ERR_INTERNAL,
                           "cannot attach the callbacks");
  }
  rtc_error err = start(ctx, self, arg, p);
  if (err != RTC_OK) {
    /* p is rejected with what the promise form would have rejected. */
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending)
      rtcbox_promise_reject_value(p, rtcbox_take_exception(env));
    else
      reject_operation(p, ctx->member_name, err, &ctx->error);
  }
  rtcbox_promise_resolve_undefined(promise);
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_createOffer(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCOfferOptions* options,
    rtcbox_promise* promise) {
  return start_create_offer(ctx, self, options, promise);
}

rtc_error rtcbox_RTCPeerConnection_createOffer_RTCSessionDescriptionCallback(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_callback* successCallback,
    rtcbox_callback* failureCallback,
    const rtcbox_RTCOfferOptions* options,
    rtcbox_promise* promise) {
  return run_legacy(ctx, self, start_create_offer, options, successCallback,
                    failureCallback, promise);
}

rtc_error rtcbox_RTCPeerConnection_createAnswer(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCAnswerOptions* options,
    rtcbox_promise* promise) {
  return start_create_answer(ctx, self, options, promise);
}

rtc_error rtcbox_RTCPeerConnection_createAnswer_RTCSessionDescriptionCallback(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_callback* successCallback,
    rtcbox_callback* failureCallback,
    rtcbox_promise* promise) {
  return run_legacy(ctx, self, start_create_answer, NULL, successCallback,
                    failureCallback, promise);
}

rtc_error rtcbox_RTCPeerConnection_setLocalDescription(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCLocalSessionDescriptionInit* description,
    rtcbox_promise* promise) {
  return start_set_local(ctx, self, description, promise);
}

rtc_error
rtcbox_RTCPeerConnection_setLocalDescription_RTCLocalSessionDescriptionInit_VoidFunction(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCLocalSessionDescriptionInit* description,
    rtcbox_callback* successCallback,
    rtcbox_callback* failureCallback,
    rtcbox_promise* promise) {
  return run_legacy(ctx, self, start_set_local, description, successCallback,
                    failureCallback, promise);
}

rtc_error rtcbox_RTCPeerConnection_setRemoteDescription(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCSessionDescriptionInit* description,
    rtcbox_promise* promise) {
  return start_set_remote(ctx, self, description, promise);
}

rtc_error
rtcbox_RTCPeerConnection_setRemoteDescription_RTCSessionDescriptionInit_VoidFunction(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCSessionDescriptionInit* description,
    rtcbox_callback* successCallback,
    rtcbox_callback* failureCallback,
    rtcbox_promise* promise) {
  return run_legacy(ctx, self, start_set_remote, description, successCallback,
                    failureCallback, promise);
}

rtc_error rtcbox_RTCPeerConnection_addIceCandidate(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCIceCandidateInit* candidate,
    rtcbox_promise* promise) {
  return start_add_ice_candidate(ctx, self, candidate, promise);
}

rtc_error
rtcbox_RTCPeerConnection_addIceCandidate_RTCIceCandidateInit_VoidFunction(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCIceCandidateInit* candidate,
    rtcbox_callback* successCallback,
    rtcbox_callback* failureCallback,
    rtcbox_promise* promise) {
  return run_legacy(ctx, self, start_add_ice_candidate, candidate,
                    successCallback, failureCallback, promise);
}

rtc_error rtcbox_RTCPeerConnection_restartIce(rtcbox_ctx* ctx,
                                              rtcbox_RTCPeerConnection* self) {
  (void)ctx;
  /* webrtc-pc §4.4.1.6 restartIce(): nothing once closed. */
  if (self->pc && !self->closed) {
    rtc_peer_connection_restart_ice(self->pc);
    rtcbox_pc_negotiation_probe(self);
  }
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_getConfiguration(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_RTCConfiguration* result) {
  pc_impl* pc = impl_of(self);
  if (!self->pc)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosedMessage);
  rtc_configuration* c = NULL;
  rtc_error err = rtc_peer_connection_get_configuration(self->pc, &c);
  if (err != RTC_OK)
    return rtcbox_ctx_fail(ctx, err, NULL);
  rtcbox_RTCConfiguration_init(result);
  result->bundlePolicy =
      MAP(kBundlePolicies, c->bundle_policy, RTCBOX_RTCBundlePolicy_balanced);
  result->iceTransportPolicy = c->ice_transport_policy == RTC_ICE_POLICY_RELAY
                                   ? RTCBOX_RTCIceTransportPolicy_relay
                                   : RTCBOX_RTCIceTransportPolicy_all;
  result->rtcpMuxPolicy = RTCBOX_RTCRtcpMuxPolicy_require;
  result->iceCandidatePoolSize = c->ice_candidate_pool_size;
  err = RTC_ERR_NO_MEMORY;
  if (c->ice_server_count) {
    rtcbox_RTCIceServer* servers =
        rtcbox_ctx_alloc(ctx, c->ice_server_count * sizeof(*servers));
    if (!servers)
      goto free_config;
    for (size_t i = 0; i < c->ice_server_count; i++) {
      const rtc_ice_server* from = &c->ice_servers[i];
      rtcbox_RTCIceServer* to = &servers[i];
      /* webrtc-pc, set a configuration: "If urls is a string, set urls
       * to a list consisting of just that string." The configuration
       * stored (and given back by getConfiguration()) holds the list, as
       * in browsers. */
      to->urls.type = RTCBOX_string_or_seq_string_seq_string;
      rtcbox_string* urls = rtcbox_ctx_alloc(
          ctx, (from->url_count ? from->url_count : 1) * sizeof(*urls));
      if (!urls)
        goto free_config;
      for (size_t u = 0; u < from->url_count; u++) {
        urls[u] = rtcbox_ctx_strdup(ctx, from->urls[u]);
        if (!urls[u].data)
          goto free_config;
      }
      to->urls.as_seq_string.items = urls;
      to->urls.as_seq_string.length = from->url_count;
      if (from->username) {
        to->has_username = true;
        to->username = rtcbox_ctx_strdup(ctx, from->username);
        if (!to->username.data)
          goto free_config;
      }
      if (from->credential) {
        to->has_credential = true;
        to->credential = rtcbox_ctx_strdup(ctx, from->credential);
        if (!to->credential.data)
          goto free_config;
      }
    }
    result->iceServers.items = servers;
    result->iceServers.length = c->ice_server_count;
  }
  if (c->certificate_count) {
    rtcbox_RTCCertificate** certs =
        rtcbox_ctx_alloc(ctx, c->certificate_count * sizeof(*certs));
    if (!certs)
      goto free_config;
    for (size_t i = 0; i < c->certificate_count; i++) {
      certs[i] = certificate_for(pc, c->certificates[i]);
      if (!certs[i])
        goto free_config;
    }
    /* The JS object's reference, once per object (the glue makes one JS
     * object for an object listed twice). */
    for (size_t i = 0; i < c->certificate_count; i++) {
      bool seen = false;
      for (size_t k = 0; k < i; k++)
        seen = seen || certs[k] == certs[i];
      if (!seen)
        RTCBOX_OUT(certs[i]);
    }
    result->certificates.items = certs;
    result->certificates.length = c->certificate_count;
  }
  err = RTC_OK;

free_config:
  rtc_configuration_free(c);
  return err == RTC_OK ? RTC_OK : rtcbox_ctx_fail(ctx, err, NULL);
}

rtc_error rtcbox_RTCPeerConnection_setConfiguration(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_RTCConfiguration* configuration) {
  /* webrtc-pc §4.4.1.6 set a configuration: InvalidStateError when
   * closed; the rest (what may not change, the servers) the core checks. */
  rtc_error err = check_open(ctx, self);
  if (err != RTC_OK)
    return rtcbox_ctx_fail(ctx, err, "The RTCPeerConnection is closed.");
  rtc_configuration config;
  err = config_from_js(ctx, configuration, &config);
  if (err != RTC_OK)
    return err;
  err = rtc_peer_connection_set_configuration(self->pc, &config, &ctx->error);
  if (err != RTC_OK)
    return err;
  err = remember_config(impl_of(self), configuration);
  return err == RTC_OK ? RTC_OK : rtcbox_ctx_fail(ctx, err, NULL);
}

rtc_error rtcbox_RTCPeerConnection_close(rtcbox_ctx* ctx,
                                         rtcbox_RTCPeerConnection* self) {
  (void)ctx;
  pc_shut(impl_of(self), false);
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_createDataChannel(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_string label,
    const rtcbox_RTCDataChannelInit* dict,
    rtcbox_RTCDataChannel** result) {
  /* webrtc-pc §6.1.1 createDataChannel(): InvalidStateError when closed;
   * the core checks the rest (TypeError, OperationError). */
  if (!self->pc || self->closed)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                           "The RTCPeerConnection is closed.");
  rtc_data_channel_init init;
  rtc_data_channel_init_defaults(&init);
  init.ordered = dict->ordered;
  init.max_packet_lifetime =
      dict->has_maxPacketLifeTime ? dict->maxPacketLifeTime : -1;
  init.max_retransmits = dict->has_maxRetransmits ? dict->maxRetransmits : -1;
  init.protocol = dict->protocol.data ? dict->protocol.data : "";
  init.negotiated = dict->negotiated;
  init.id = dict->has_id ? dict->id : -1;
  rtc_data_channel* channel = NULL;
  rtc_error err = rtc_peer_connection_create_data_channel(
      self->pc, label.data ? label.data : "", &init, &channel, &ctx->error);
  if (err != RTC_OK)
    return err;
  /* The first channel makes negotiation needed. */
  rtcbox_pc_negotiation_probe(self);
  rtcbox_RTCDataChannel* dc = channel_wrap(impl_of(self), channel);
  rtc_data_channel_unref(channel);
  if (!dc)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  *result = RTCBOX_OUT(dc);
  rtcbox_impl_unref(&dc->h);
  return RTC_OK;
}

/* --- getStats --- */

static void on_stats_done(void* user, const char* json) {
  rtcbox_promise* promise = op_finish(user, NULL);
  rtcbox_RTCStatsReport* report = rtcbox_stats_report_new(json);
  if (!report) {
    rtcbox_promise_reject(promise, RTC_ERR_NO_MEMORY, NULL);
    return;
  }
  rtcbox_promise_resolve_RTCStatsReport(promise, RTCBOX_OUT(report));
  rtcbox_impl_out_unused(&report->h, false);
  rtcbox_impl_unref(&report->h);
}

rtc_error rtcbox_RTCPeerConnection_getStats(rtcbox_ctx* ctx,
                                            rtcbox_RTCPeerConnection* self,
                                            rtcbox_MediaStreamTrack* selector,
                                            rtcbox_promise* promise) {
  if (!self->pc)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosedMessage);
  if (selector) {
    /* webrtc-pc §8.2 getStats(selector): InvalidAccessError unless exactly
     * one sender or receiver has the track. The report then covers the
     * whole connection (rtcbox: the core has no per-track selection). */
    size_t matches = 0;
    for (size_t i = 0; i < self->rtp_count; i++) {
      rtcbox_rtp_group* g = self->rtp[i];
      matches += g->sender_track == selector;
      matches += g->receiver_track == selector;
    }
    if (matches != 1)
      return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ACCESS,
                             "There is no sender or receiver for the track.");
  }
  pc_op* op = op_new(impl_of(self), PC_OP_STATS, "getStats", promise);
  if (!op)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtc_error err = rtc_peer_connection_get_stats(self->pc, on_stats_done, op);
  if (err != RTC_OK) {
    op_finish(op, NULL);
    return rtcbox_ctx_fail(ctx, err, NULL);
  }
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * generateCertificate (webrtc-pc §4.10.1)
 *
 * The key is made on the context's worker queue; the result comes back to
 * the env's signaling queue. A job is listed (g_jobs) while its env may
 * still want the result, so that the env's teardown can cut it off: the
 * worker posts back only while job->queue is set.
 * --------------------------------------------------------------------- */

typedef struct cert_job cert_job;

static rtc_mutex g_jobs_mu = RTC_MUTEX_INIT;
static cert_job* g_jobs RTC_GUARDED_BY(g_jobs_mu);

struct cert_job {
  rtc_refcount refs; /* the env's side, the worker task, the reply task */
  cert_job* next RTC_GUARDED_BY(g_jobs_mu);
  bool listed RTC_GUARDED_BY(g_jobs_mu);
  /* Where the result goes; NULL once the env is torn down. */
  rtc_task_queue* queue RTC_GUARDED_BY(g_jobs_mu);
  /* JS thread: */
  rtcbox_impl_env* ienv;
  rtc_context* context; /* acquired */
  rtcbox_promise* promise;
  /* Set before the worker task is posted: */
  rtc_certificate_params params;
  int64_t now_ms;
  /* Written by the worker before it posts the reply: */
  rtc_error result;
  rtc_certificate* certificate;
};

static void job_unref(void* arg) {
  cert_job* job = arg;
  if (!rtc_refcount_dec(&job->refs))
    return;
  rtc_certificate_unref(job->certificate);
  rtc_free(job);
}

/* Takes the job off g_jobs; false if it was not listed any more (its env
 * is gone). */
static bool job_unlist(cert_job* job) {
  bool was_listed = false;
  rtc_mutex_lock(&g_jobs_mu);
  if (job->listed) {
    for (cert_job** p = &g_jobs; *p; p = &(*p)->next) {
      if (*p == job) {
        *p = job->next;
        break;
      }
    }
    job->listed = false;
    job->queue = NULL;
    was_listed = true;
  }
  rtc_mutex_unlock(&g_jobs_mu);
  return was_listed;
}

/* The env's side of a job ends: keep-alive and context released. */
static void job_release_env_side(cert_job* job) {
  rtcbox_napi_queue_keep_alive(job->ienv->queue, -1);
  rtcbox_impl_context_release(job->context);
  job->context = NULL;
  job_unref(job);
}

/* On the env's signaling queue. */
static void job_reply(void* arg) {
  cert_job* job = arg;
  if (!job_unlist(job))
    return;
  rtcbox_promise* promise = job->promise;
  job->promise = NULL;
  if (job->result != RTC_OK || !job->certificate) {
    rtcbox_promise_reject(
        promise, job->result != RTC_OK ? job->result : RTC_ERR_OPERATION, NULL);
  } else {
    rtcbox_RTCCertificate* c = certificate_new(job->certificate);
    if (!c) {
      rtcbox_promise_reject(promise, RTC_ERR_NO_MEMORY, NULL);
    } else {
      rtcbox_promise_resolve_RTCCertificate(promise, RTCBOX_OUT(c));
      rtcbox_impl_out_unused(&c->h, false);
      rtcbox_impl_unref(&c->h);
    }
  }
  job_release_env_side(job);
}

/* On the worker queue. */
static void job_generate(void* arg) {
  cert_job* job = arg;
  job->result =
      rtc_certificate_generate(&job->params, job->now_ms, &job->certificate);
  rtc_mutex_lock(&g_jobs_mu);
  if (job->queue) {
    rtc_refcount_inc(&job->refs);
    rtc_task reply = {job_reply, job_unref, job};
    if (rtc_task_queue_post(job->queue, reply) != RTC_OK)
      RTC_LOG(ERROR, "generateCertificate: cannot post the result");
  }
  rtc_mutex_unlock(&g_jobs_mu);
}

/* Ends the jobs of a torn-down env: their promises are dropped, and the
 * worker does not post to the env's queue any more. */
static void jobs_env_teardown(rtcbox_impl_env* ienv) {
  for (;;) {
    cert_job* job = NULL;
    rtc_mutex_lock(&g_jobs_mu);
    for (cert_job* j = g_jobs; j; j = j->next) {
      if (j->ienv == ienv) {
        job = j;
        break;
      }
    }
    rtc_mutex_unlock(&g_jobs_mu);
    if (!job || !job_unlist(job))
      return;
    rtcbox_promise_drop(job->promise);
    job->promise = NULL;
    job_release_env_side(job);
  }
}

static bool string_equals_ci(rtcbox_string s, const char* literal) {
  size_t n = strlen(literal);
  if (s.length != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (tolower((unsigned char)s.data[i]) != tolower((unsigned char)literal[i]))
      return false;
  }
  return true;
}

static bool string_equals(rtcbox_string s, const char* literal) {
  return s.length == strlen(literal) && memcmp(s.data, literal, s.length) == 0;
}

/* Reads member `name` of `obj` as a DOMString; *present false when it is
 * undefined. False with an exception pending. */
static bool get_string_member(rtcbox_ctx* ctx,
                              napi_value obj,
                              const char* name,
                              bool* present,
                              rtcbox_string* out) {
  napi_value v = NULL;
  *present = false;
  if (!obj)
    return true;
  if (!rtcbox_dict_get(ctx, obj, name, &v))
    return false;
  if (!v)
    return true;
  *present = true;
  return rtcbox_from_js_string(ctx, v, RTCBOX_DOMSTRING, false, name, out);
}

static const char kNotSupported[] =
    "The 1st argument provided is an AlgorithmIdentifier with a supported "
    "algorithm name, but the parameters are not supported.";

/* WebCrypto's normalization, reduced to what webrtc-pc needs
 * (§4.10.1 generateCertificate: "at least ECDSA with namedCurve P-256 and
 * RSASSA-PKCS1-v1_5 with modulusLength 2048, publicExponent 65537 and
 * hash SHA-256"), plus RTCCertificateExpiration's expires. Errors: a
 * pending exception (RTC_ERR_INTERNAL) or RTC_ERR_NOT_SUPPORTED. */
static rtc_error normalize_algorithm(rtcbox_ctx* ctx,
                                     const rtcbox_AlgorithmIdentifier* alg,
                                     rtc_certificate_params* params) {
  rtc_certificate_params_init(params);
  napi_value obj = NULL;
  rtcbox_string name = RTCBOX_STRING_LITERAL("");
  bool present = false;
  if (alg->type == RTCBOX_AlgorithmIdentifier_string) {
    name = alg->as_string;
  } else {
    obj = alg->as_value;
    if (!get_string_member(ctx, obj, "name", &present, &name))
      return RTC_ERR_INTERNAL;
    if (!present)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NOT_SUPPORTED,
                             "The algorithm has no name.");
  }
  if (string_equals_ci(name, "ECDSA")) {
    rtcbox_string curve = RTCBOX_STRING_LITERAL("");
    if (!get_string_member(ctx, obj, "namedCurve", &present, &curve))
      return RTC_ERR_INTERNAL;
    if (!present || !string_equals(curve, "P-256"))
      return rtcbox_ctx_fail(ctx, RTC_ERR_NOT_SUPPORTED, kNotSupported);
    params->type = RTC_KEY_ECDSA_P256;
  } else if (string_equals_ci(name, "RSASSA-PKCS1-v1_5")) {
    napi_value v = NULL;
    uint32_t bits = 0;
    if (!obj || !rtcbox_dict_get(ctx, obj, "modulusLength", &v))
      return obj ? RTC_ERR_INTERNAL
                 : rtcbox_ctx_fail(ctx, RTC_ERR_NOT_SUPPORTED, kNotSupported);
    if (!v)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NOT_SUPPORTED, kNotSupported);
    if (!rtcbox_from_js_uint32(ctx, v, RTCBOX_INT_ENFORCE_RANGE,
                               "modulusLength", &bits))
      return RTC_ERR_INTERNAL;
    if (!rtcbox_dict_get(ctx, obj, "publicExponent", &v))
      return RTC_ERR_INTERNAL;
    if (!v)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NOT_SUPPORTED, kNotSupported);
    rtcbox_bytes exponent;
    if (!rtcbox_from_js_bytes(ctx, v, RTCBOX_BUFFER_UINT8, "publicExponent",
                              "Uint8Array", &exponent))
      return RTC_ERR_INTERNAL;
    /* BigInteger: big-endian, leading zeros allowed. */
    uint64_t e = 0;
    for (size_t i = 0; i < exponent.length; i++) {
      if (e > (UINT64_C(1) << 40))
        return rtcbox_ctx_fail(ctx, RTC_ERR_NOT_SUPPORTED, kNotSupported);
      e = (e << 8) | exponent.data[i];
    }
    /* hash: a string or an object with a name. */
    if (!rtcbox_dict_get(ctx, obj, "hash", &v))
      return RTC_ERR_INTERNAL;
    rtcbox_string hash = RTCBOX_STRING_LITERAL("");
    if (v && rtcbox_is_object(ctx, v)) {
      if (!get_string_member(ctx, v, "name", &present, &hash))
        return RTC_ERR_INTERNAL;
    } else if (v) {
      if (!rtcbox_from_js_string(ctx, v, RTCBOX_DOMSTRING, false, "hash",
                                 &hash))
        return RTC_ERR_INTERNAL;
    }
    if (!string_equals_ci(hash, "SHA-256") || e != 65537 || bits < 2048 ||
        bits > 8192)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NOT_SUPPORTED, kNotSupported);
    params->type = RTC_KEY_RSA;
    params->rsa_modulus_bits = bits;
    params->rsa_public_exponent = (uint32_t)e;
  } else {
    return rtcbox_ctx_fail(ctx, RTC_ERR_NOT_SUPPORTED,
                           "The 1st argument provided is an "
                           "AlgorithmIdentifier, but the algorithm is not "
                           "supported.");
  }
  /* RTCCertificateExpiration: "If expires is greater than 31536000000, it
   * will be set to 31536000000" (365 days: the core caps it). */
  if (obj) {
    napi_value v = NULL;
    uint64_t expires = 0;
    if (!rtcbox_dict_get(ctx, obj, "expires", &v))
      return RTC_ERR_INTERNAL;
    if (v) {
      if (!rtcbox_from_js_uint64(ctx, v, RTCBOX_INT_ENFORCE_RANGE, "expires",
                                 &expires))
        return RTC_ERR_INTERNAL;
      if (expires > (uint64_t)RTC_CERTIFICATE_MAX_EXPIRES_MS)
        expires = (uint64_t)RTC_CERTIFICATE_MAX_EXPIRES_MS;
      /* 0: expired at once, cert.expires being the time of generation
       * (the clock Date.now() reads), so never later than Date.now()
       * afterwards. */
      params->expires_ms = (int64_t)expires;
    }
  }
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_generateCertificate(
    rtcbox_ctx* ctx,
    const rtcbox_AlgorithmIdentifier* keygenAlgorithm,
    rtcbox_promise* promise) {
  rtcbox_impl_env* ienv = rtcbox_impl_env_get(ctx->env);
  if (!ienv)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INTERNAL, "rtcbox is not initialized");
  cert_job* job = rtc_calloc(1, sizeof(*job));
  if (!job)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtc_refcount_init(&job->refs);
  rtc_error err = normalize_algorithm(ctx, keygenAlgorithm, &job->params);
  if (err != RTC_OK)
    goto free_job;
  job->now_ms = rtc_time_utc_us() / 1000;
  job->ienv = ienv;
  job->promise = promise;
  err = rtcbox_impl_context_acquire(&job->context);
  if (err != RTC_OK) {
    rtcbox_ctx_fail(ctx, err, "cannot start the worker thread");
    goto free_job;
  }
  rtcbox_napi_queue_keep_alive(ienv->queue, 1);
  rtc_mutex_lock(&g_jobs_mu);
  job->queue = ienv->queue;
  job->listed = true;
  job->next = g_jobs;
  g_jobs = job;
  rtc_mutex_unlock(&g_jobs_mu);
  rtc_refcount_inc(&job->refs); /* the worker task's */
  rtc_task task = {job_generate, job_unref, job};
  err = rtc_task_queue_post(rtc_context_worker_queue(job->context), task);
  if (err != RTC_OK) {
    /* The task was dropped (its reference with it); the promise is the
     * glue's again. */
    job_unlist(job);
    job->promise = NULL;
    job_release_env_side(job);
    return rtcbox_ctx_fail(ctx, err, "cannot post to the worker thread");
  }
  return RTC_OK;

free_job:
  job_unref(job);
  return err;
}

/* ------------------------------------------------------------------------
 * Env teardown
 * --------------------------------------------------------------------- */

void rtcbox_pc_env_teardown(rtcbox_impl_env* ienv) {
  /* Every core peer connection goes now, while the signaling queue still
   * exists: nothing is posted to it afterwards. The C objects stay until
   * Node-API finalizes their JS objects; they no longer belong to the env
   * (which is freed after this). */
  while (ienv->pcs) {
    rtcbox_RTCPeerConnection* p = ienv->pcs;
    pc_shut(impl_of(p), true);
    hold(impl_of(p), &impl_of(p)->hold_pending, false);
    hold(impl_of(p), &impl_of(p)->hold_active, false);
    while (impl_of(p)->probes > 0)
      probe_release(impl_of(p));
    env_unlink(p);
    p->ienv = NULL;
  }
  jobs_env_teardown(ienv);
}
