/*
 * MediaStream and MediaStreamTrack (mediacapture-main) for the JavaScript
 * bindings. rtcbox has no capture yet: tracks come from RTCRtpReceivers
 * (rtp.c) and from clone(); JS cannot construct a MediaStreamTrack (no IDL
 * constructor). A track here has no source: no constrainable property
 * exists, so getCapabilities() and getSettings() are empty, and
 * applyConstraints() accepts exactly the constraint sets that require
 * nothing (mediacapture-main "fitness distance": a required constraint
 * whose setting does not exist is infinitely far).
 *
 * Events: a receiver's track fires mute/unmute/ended as rtp.c drives it;
 * remote streams fire addtrack/removetrack when a description moves the
 * receiver's track between them (webrtc-pc §4.4.1.6 "add the track",
 * "remove the track"); nothing fires for what script does itself.
 */
#include <string.h>

#include "api/js/impl/impl.h"
#include "api/js/runtime/napi_task_queue.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

/* ------------------------------------------------------------------------
 * Tasks
 * --------------------------------------------------------------------- */

typedef struct held_task {
  rtc_task task;
  rtc_task_queue* queue;
} held_task;

static void held_run(void* arg) {
  held_task* h = arg;
  if (h->task.run)
    h->task.run(h->task.arg);
  h->task.run = NULL;
}

static void held_destroy(void* arg) {
  held_task* h = arg;
  /* After run, or dropped (env teardown): the inner destroy either way. */
  rtc_task_drop(&h->task);
  rtcbox_napi_queue_keep_alive(h->queue, -1);
  rtc_free(h);
}

rtc_error rtcbox_media_post_task(napi_env env, rtc_task task) {
  rtcbox_impl_env* ienv = rtcbox_impl_env_get(env);
  if (!ienv || ienv->tearing_down) {
    rtc_task_drop(&task);
    return RTC_ERR_INVALID_STATE;
  }
  held_task* h = rtc_calloc(1, sizeof(*h));
  if (!h) {
    rtc_task_drop(&task);
    return RTC_ERR_NO_MEMORY;
  }
  h->task = task;
  h->queue = ienv->queue;
  /* A promise waits on the task: keep the host's loop alive until it ran
   * (napi_task_queue.h). */
  rtcbox_napi_queue_keep_alive(h->queue, 1);
  rtc_task outer = {held_run, held_destroy, h};
  return rtc_task_queue_post(h->queue, outer);
}

/* ------------------------------------------------------------------------
 * MediaStreamTrack
 * --------------------------------------------------------------------- */

static void track_free(rtcbox_impl_header* h) {
  rtcbox_MediaStreamTrack* t = (rtcbox_MediaStreamTrack*)h;
  rtc_arena_reset(&t->constraints_arena);
  rtc_free(t->label);
  rtc_free(t);
}

rtcbox_MediaStreamTrack* rtcbox_track_new(bool is_video,
                                          const char* label,
                                          bool remote) {
  rtcbox_MediaStreamTrack* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return NULL;
  rtcbox_impl_init(&t->h, RTCBOX_CLASS_MediaStreamTrack, track_free);
  rtcbox_impl_uuid(t->id);
  t->label = rtc_strdup(label ? label : t->id);
  if (!t->label) {
    rtc_free(t);
    return NULL;
  }
  t->is_video = is_video;
  t->enabled = true;
  t->remote = remote;
  rtc_arena_init(&t->constraints_arena, 0);
  return t;
}

void rtcbox_MediaStreamTrack_finalize(rtcbox_MediaStreamTrack* self) {
  rtcbox_impl_unref(&self->h);
}

void rtcbox_track_end(rtcbox_MediaStreamTrack* track, bool fire) {
  if (!track || track->ended)
    return;
  /* mediacapture-main "track ended by the User Agent": readyState
   * "ended", then an `ended` event (none for a connection that closed:
   * webrtc-pc "stop the RTCRtpTransceiver" with disappear). */
  track->ended = true;
  rtcbox_impl_ref(&track->h);
  if (fire)
    rtcbox_fire_event(&track->h.wrapper, "ended", false, false);
  rtcbox_wrapper_set_strong(&track->h.wrapper, false);
  rtcbox_impl_unref(&track->h);
}

void rtcbox_track_set_muted(rtcbox_MediaStreamTrack* track, bool muted) {
  /* mediacapture-main "set a track's muted state": "If track.[[Muted]]
   * is already newState, abort these steps. Set track.[[Muted]] to
   * newState. ... fire an event named eventName on track." An ended
   * track's source is gone: nothing to tell. */
  if (!track || track->muted == muted)
    return;
  track->muted = muted;
  if (!track->ended)
    rtcbox_fire_event(&track->h.wrapper, muted ? "mute" : "unmute", false,
                      false);
}

rtc_error rtcbox_MediaStreamTrack_get_kind(rtcbox_ctx* ctx,
                                           rtcbox_MediaStreamTrack* self,
                                           rtcbox_string* result) {
  (void)ctx;
  *result = self->is_video ? RTCBOX_STRING_LITERAL("video")
                           : RTCBOX_STRING_LITERAL("audio");
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_get_id(rtcbox_ctx* ctx,
                                         rtcbox_MediaStreamTrack* self,
                                         rtcbox_string* result) {
  (void)ctx;
  *result = rtcbox_string_from_cstr(self->id);
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_get_label(rtcbox_ctx* ctx,
                                            rtcbox_MediaStreamTrack* self,
                                            rtcbox_string* result) {
  (void)ctx;
  *result = rtcbox_string_from_cstr(self->label);
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_get_enabled(rtcbox_ctx* ctx,
                                              rtcbox_MediaStreamTrack* self,
                                              bool* result) {
  (void)ctx;
  *result = self->enabled;
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_set_enabled(rtcbox_ctx* ctx,
                                              rtcbox_MediaStreamTrack* self,
                                              bool value) {
  (void)ctx;
  self->enabled = value;
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_get_muted(rtcbox_ctx* ctx,
                                            rtcbox_MediaStreamTrack* self,
                                            bool* result) {
  (void)ctx;
  *result = self->muted;
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_get_readyState(
    rtcbox_ctx* ctx,
    rtcbox_MediaStreamTrack* self,
    rtcbox_MediaStreamTrackState* result) {
  (void)ctx;
  *result = self->ended ? RTCBOX_MediaStreamTrackState_ended
                        : RTCBOX_MediaStreamTrackState_live;
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_stop(rtcbox_ctx* ctx,
                                       rtcbox_MediaStreamTrack* self) {
  (void)ctx;
  /* mediacapture-main stop(): "If track.[[ReadyState]] is "ended",
   * abort these steps. ... Set track.[[ReadyState]] to "ended"." No event
   * (the application ended it). A receiver's track stops alone: the
   * receiver goes on (webrtc-pc RTCRtpReceiver.track). */
  rtcbox_track_end(self, false);
  return RTC_OK;
}

/* --- Constraints: deep copies into a track's arena --- */

static bool copy_string(rtc_arena* a, rtcbox_string* s) {
  if (!s->data)
    return true;
  char* copy = rtc_arena_memdup(a, s->data, s->length + 1);
  if (!copy)
    return false;
  s->data = copy;
  return true;
}

static bool copy_seq_string(rtc_arena* a, rtcbox_seq_string* s) {
  if (!s->length)
    return true;
  rtcbox_string* items =
      rtc_arena_memdup(a, s->items, s->length * sizeof(*items));
  if (!items)
    return false;
  s->items = items;
  for (size_t i = 0; i < s->length; i++) {
    if (!copy_string(a, &items[i]))
      return false;
  }
  return true;
}

static bool copy_string_or_seq(rtc_arena* a, rtcbox_string_or_seq_string* v) {
  return v->type == RTCBOX_string_or_seq_string_string
             ? copy_string(a, &v->as_string)
             : copy_seq_string(a, &v->as_seq_string);
}

static bool copy_dom_string(rtc_arena* a, rtcbox_ConstrainDOMString* c) {
  switch (c->type) {
    case RTCBOX_ConstrainDOMString_string:
      return copy_string(a, &c->as_string);
    case RTCBOX_ConstrainDOMString_seq_string:
      return copy_seq_string(a, &c->as_seq_string);
    case RTCBOX_ConstrainDOMString_ConstrainDOMStringParameters: {
      rtcbox_ConstrainDOMStringParameters* p =
          &c->as_ConstrainDOMStringParameters;
      return (!p->has_exact || copy_string_or_seq(a, &p->exact)) &&
             (!p->has_ideal || copy_string_or_seq(a, &p->ideal));
    }
  }
  return true;
}

static bool copy_bool_or_string(rtc_arena* a, rtcbox_boolean_or_string* v) {
  return v->type != RTCBOX_boolean_or_string_string ||
         copy_string(a, &v->as_string);
}

static bool copy_bool_or_dom_string(rtc_arena* a,
                                    rtcbox_ConstrainBooleanOrDOMString* c) {
  switch (c->type) {
    case RTCBOX_ConstrainBooleanOrDOMString_boolean:
      return true;
    case RTCBOX_ConstrainBooleanOrDOMString_string:
      return copy_string(a, &c->as_string);
    case RTCBOX_ConstrainBooleanOrDOMString_ConstrainBooleanOrDOMStringParameters: {
      rtcbox_ConstrainBooleanOrDOMStringParameters* p =
          &c->as_ConstrainBooleanOrDOMStringParameters;
      return (!p->has_exact || copy_bool_or_string(a, &p->exact)) &&
             (!p->has_ideal || copy_bool_or_string(a, &p->ideal));
    }
  }
  return true;
}

/* The members holding strings, in a MediaTrackConstraintSet or a
 * MediaTrackConstraints (the same members). */
#define COPY_SET_STRINGS(a, s)                                         \
  ((!(s)->has_deviceId || copy_dom_string((a), &(s)->deviceId)) &&     \
   (!(s)->has_groupId || copy_dom_string((a), &(s)->groupId)) &&       \
   (!(s)->has_facingMode || copy_dom_string((a), &(s)->facingMode)) && \
   (!(s)->has_resizeMode || copy_dom_string((a), &(s)->resizeMode)) && \
   (!(s)->has_echoCancellation ||                                      \
    copy_bool_or_dom_string((a), &(s)->echoCancellation)))

static rtcbox_MediaTrackConstraints* copy_constraints(
    rtc_arena* a,
    const rtcbox_MediaTrackConstraints* in) {
  rtcbox_MediaTrackConstraints* c = rtc_arena_memdup(a, in, sizeof(*in));
  if (!c || !COPY_SET_STRINGS(a, c))
    return NULL;
  if (c->has_advanced && c->advanced.length) {
    rtcbox_MediaTrackConstraintSet* sets = rtc_arena_memdup(
        a, c->advanced.items, c->advanced.length * sizeof(*sets));
    if (!sets)
      return NULL;
    c->advanced.items = sets;
    for (size_t i = 0; i < c->advanced.length; i++) {
      if (!COPY_SET_STRINGS(a, &sets[i]))
        return NULL;
    }
  }
  return c;
}

/* Replaces the track's constraints with a copy of `in` (NULL: none).
 * Errors: RTC_ERR_NO_MEMORY (the old ones stay). */
static rtc_error set_constraints(rtcbox_MediaStreamTrack* t,
                                 const rtcbox_MediaTrackConstraints* in) {
  rtc_arena fresh;
  rtc_arena_init(&fresh, 0);
  rtcbox_MediaTrackConstraints* copy = NULL;
  if (in) {
    copy = copy_constraints(&fresh, in);
    if (!copy) {
      rtc_arena_reset(&fresh);
      return RTC_ERR_NO_MEMORY;
    }
  }
  rtc_arena_reset(&t->constraints_arena);
  t->constraints_arena = fresh;
  t->constraints = copy;
  return RTC_OK;
}

/* Does the constraint require something (mediacapture-main: "one or more
 * members named 'min', 'max', or 'exact'")? Bare values are ideal. */
static bool ulong_required(const rtcbox_ConstrainULong* c) {
  const rtcbox_ConstrainULongRange* r = &c->as_ConstrainULongRange;
  return c->type == RTCBOX_ConstrainULong_ConstrainULongRange &&
         (r->has_exact || r->has_min || r->has_max);
}

static bool double_required(const rtcbox_ConstrainDouble* c) {
  const rtcbox_ConstrainDoubleRange* r = &c->as_ConstrainDoubleRange;
  return c->type == RTCBOX_ConstrainDouble_ConstrainDoubleRange &&
         (r->has_exact || r->has_min || r->has_max);
}

static bool bool_required(const rtcbox_ConstrainBoolean* c) {
  return c->type == RTCBOX_ConstrainBoolean_ConstrainBooleanParameters &&
         c->as_ConstrainBooleanParameters.has_exact;
}

static bool dom_string_required(const rtcbox_ConstrainDOMString* c) {
  return c->type == RTCBOX_ConstrainDOMString_ConstrainDOMStringParameters &&
         c->as_ConstrainDOMStringParameters.has_exact;
}

static bool bool_or_string_required(
    const rtcbox_ConstrainBooleanOrDOMString* c) {
  return c->type ==
             RTCBOX_ConstrainBooleanOrDOMString_ConstrainBooleanOrDOMStringParameters &&
         c->as_ConstrainBooleanOrDOMStringParameters.has_exact;
}

/* The first required constraint of the basic set, or NULL. */
static const char* first_required(const rtcbox_MediaTrackConstraints* c) {
#define REQUIRED(name, test)           \
  if (c->has_##name && test(&c->name)) \
    return #name;
  REQUIRED(width, ulong_required)
  REQUIRED(height, ulong_required)
  REQUIRED(aspectRatio, double_required)
  REQUIRED(frameRate, double_required)
  REQUIRED(facingMode, dom_string_required)
  REQUIRED(resizeMode, dom_string_required)
  REQUIRED(sampleRate, ulong_required)
  REQUIRED(sampleSize, ulong_required)
  REQUIRED(echoCancellation, bool_or_string_required)
  REQUIRED(autoGainControl, bool_required)
  REQUIRED(noiseSuppression, bool_required)
  REQUIRED(latency, double_required)
  REQUIRED(channelCount, ulong_required)
  REQUIRED(deviceId, dom_string_required)
  REQUIRED(groupId, dom_string_required)
  REQUIRED(backgroundBlur, bool_required)
#undef REQUIRED
  return NULL;
}

rtc_error rtcbox_MediaStreamTrack_getCapabilities(
    rtcbox_ctx* ctx,
    rtcbox_MediaStreamTrack* self,
    rtcbox_MediaTrackCapabilities* result) {
  (void)ctx;
  (void)self;
  /* No source: no constrainable property. */
  rtcbox_MediaTrackCapabilities_init(result);
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_getSettings(
    rtcbox_ctx* ctx,
    rtcbox_MediaStreamTrack* self,
    rtcbox_MediaTrackSettings* result) {
  (void)ctx;
  (void)self;
  rtcbox_MediaTrackSettings_init(result);
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_getConstraints(
    rtcbox_ctx* ctx,
    rtcbox_MediaStreamTrack* self,
    rtcbox_MediaTrackConstraints* result) {
  (void)ctx;
  /* mediacapture-main getConstraints(): "the constraints that were the
   * argument to the most recent successful invocation of the
   * ApplyConstraints algorithm". The copy lives in the track until the
   * next applyConstraints(); the glue converts it before. */
  if (self->constraints)
    *result = *self->constraints;
  else
    rtcbox_MediaTrackConstraints_init(result);
  return RTC_OK;
}

typedef struct apply_task {
  rtcbox_MediaStreamTrack* track; /* referenced */
  rtcbox_promise* promise;
  rtc_arena arena; /* holds `constraints` */
  rtcbox_MediaTrackConstraints* constraints;
} apply_task;

static void apply_run(void* arg) {
  apply_task* a = arg;
  rtcbox_MediaStreamTrack* t = a->track;
  /* The copy moves into the track. */
  rtc_arena_reset(&t->constraints_arena);
  t->constraints_arena = a->arena;
  t->constraints = a->constraints;
  rtc_arena_init(&a->arena, 0);
  rtcbox_promise_resolve_undefined(a->promise);
  a->promise = NULL;
}

static void apply_destroy(void* arg) {
  apply_task* a = arg;
  if (a->promise)
    rtcbox_promise_drop(a->promise);
  rtc_arena_reset(&a->arena);
  rtcbox_impl_unref(&a->track->h);
  rtc_free(a);
}

rtc_error rtcbox_MediaStreamTrack_applyConstraints(
    rtcbox_ctx* ctx,
    rtcbox_MediaStreamTrack* self,
    const rtcbox_MediaTrackConstraints* constraints,
    rtcbox_promise* promise) {
  /* mediacapture-main applyConstraints() and SelectSettings: the fitness
   * distance of a required constraint is infinite when "the settings
   * dictionary's constraintName member ... doesn't exist"; without a
   * source no setting exists, so any required constraint of the basic set
   * fails (OverconstrainedError naming it), while ideal ones and the
   * advanced sets (dropped when they cannot be satisfied) pass. An ended
   * track takes the constraints too. */
  const char* failed = first_required(constraints);
  if (failed)
    return rtcbox_ctx_fail(ctx, RTC_ERR_OVERCONSTRAINED,
                           "Cannot satisfy constraint %s: the track has no "
                           "source",
                           failed);
  apply_task* a = rtc_calloc(1, sizeof(*a));
  if (!a)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtc_arena_init(&a->arena, 0);
  a->constraints = copy_constraints(&a->arena, constraints);
  if (!a->constraints) {
    rtc_arena_reset(&a->arena);
    rtc_free(a);
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  rtcbox_impl_ref(&self->h);
  a->track = self;
  /* "queue a task to run the following steps: ... Resolve p." */
  a->promise = promise;
  rtc_task task = {apply_run, apply_destroy, a};
  /* A failed post dropped the task and the promise with it (env
   * teardown). */
  rtcbox_media_post_task(ctx->env, task);
  return RTC_OK;
}

rtc_error rtcbox_MediaStreamTrack_clone(rtcbox_ctx* ctx,
                                        rtcbox_MediaStreamTrack* self,
                                        rtcbox_MediaStreamTrack** result) {
  /* mediacapture-main "clone a track": a new id; kind, label, readyState,
   * enabled and muted as the original; its constraints. A clone is not
   * the receiver's: nothing fires on it. */
  rtcbox_MediaStreamTrack* c =
      rtcbox_track_new(self->is_video, self->label, false);
  if (!c)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  c->enabled = self->enabled;
  c->muted = self->muted;
  c->ended = self->ended;
  if (set_constraints(c, self->constraints) != RTC_OK) {
    rtcbox_impl_unref(&c->h);
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  *result = RTCBOX_OUT(c);
  rtcbox_impl_unref(&c->h);
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * MediaStream
 * --------------------------------------------------------------------- */

static void stream_free(rtcbox_impl_header* h) {
  rtcbox_MediaStream* s = (rtcbox_MediaStream*)h;
  for (size_t i = 0; i < s->track_count; i++)
    rtcbox_impl_unref(&s->tracks[i]->h);
  rtc_free(s->tracks);
  rtc_free(s->id);
  rtc_free(s);
}

rtcbox_MediaStream* rtcbox_media_stream_new(const char* id) {
  rtcbox_MediaStream* s = rtc_calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  rtcbox_impl_init(&s->h, RTCBOX_CLASS_MediaStream, stream_free);
  char uuid[37];
  if (!id) {
    rtcbox_impl_uuid(uuid);
    id = uuid;
  }
  s->id = rtc_strdup(id);
  if (!s->id) {
    rtc_free(s);
    return NULL;
  }
  return s;
}

void rtcbox_MediaStream_finalize(rtcbox_MediaStream* self) {
  rtcbox_impl_unref(&self->h);
}

static bool stream_has(const rtcbox_MediaStream* s,
                       const rtcbox_MediaStreamTrack* t) {
  for (size_t i = 0; i < s->track_count; i++) {
    if (s->tracks[i] == t)
      return true;
  }
  return false;
}

/* addtrack/removetrack: MediaStreamTrackEvent is not in the IDL yet, so an
 * Event of the realm with a read-only `track` property. */
static void fire_track_event(rtcbox_MediaStream* s,
                             const char* type,
                             rtcbox_MediaStreamTrack* track) {
  napi_env env = rtcbox_wrapper_env(&s->h.wrapper);
  if (!env)
    return;
  rtcbox_scope scope;
  if (!rtcbox_scope_open(&scope, env))
    return;
  rtcbox_ctx ctx;
  rtcbox_ctx_init(&ctx, env, RTCBOX_CALL_OTHER, "MediaStream", type);
  napi_value global, ctor, argv[1], event, value;
  bool ok = rtcbox_wrapper_object(&s->h.wrapper) != NULL &&
            napi_get_global(env, &global) == napi_ok &&
            napi_get_named_property(env, global, "Event", &ctor) == napi_ok &&
            rtcbox_to_js_string(&ctx, rtcbox_string_from_cstr(type),
                                RTCBOX_DOMSTRING, &argv[0]) &&
            napi_new_instance(env, ctor, 1, argv, &event) == napi_ok &&
            rtcbox_to_js_wrapper(&ctx, &RTCBOX_OUT(track)->h.wrapper,
                                 RTCBOX_CLASS_MediaStreamTrack, &value);
  if (ok) {
    napi_property_descriptor d = {
        "track", NULL, NULL, NULL, NULL, value, napi_enumerable, NULL};
    ok = napi_define_properties(env, event, 1, &d) == napi_ok &&
         rtcbox_dispatch_event(&s->h.wrapper, event) == RTC_OK;
  }
  if (!ok)
    rtcbox_clear_exception(env);
  rtcbox_ctx_finish(&ctx);
  rtcbox_scope_close(&scope);
}

rtc_error rtcbox_media_stream_add(rtcbox_MediaStream* stream,
                                  rtcbox_MediaStreamTrack* track,
                                  bool fire) {
  /* mediacapture-main "add a track": "If track is already in stream's
   * track set, abort these steps." */
  if (stream_has(stream, track))
    return RTC_OK;
  if (stream->track_count == stream->track_capacity) {
    size_t cap = stream->track_capacity ? stream->track_capacity * 2 : 4;
    rtcbox_MediaStreamTrack** grown =
        rtc_realloc_array(stream->tracks, cap, sizeof(*grown));
    if (!grown)
      return RTC_ERR_NO_MEMORY;
    stream->tracks = grown;
    stream->track_capacity = cap;
  }
  rtcbox_impl_ref(&track->h);
  stream->tracks[stream->track_count++] = track;
  /* "Fire a track event named addtrack with track at stream." */
  if (fire)
    fire_track_event(stream, "addtrack", track);
  return RTC_OK;
}

void rtcbox_media_stream_remove(rtcbox_MediaStream* stream,
                                rtcbox_MediaStreamTrack* track,
                                bool fire) {
  for (size_t i = 0; i < stream->track_count; i++) {
    if (stream->tracks[i] != track)
      continue;
    memmove(&stream->tracks[i], &stream->tracks[i + 1],
            (stream->track_count - i - 1) * sizeof(stream->tracks[0]));
    stream->track_count--;
    if (fire)
      fire_track_event(stream, "removetrack", track);
    rtcbox_impl_unref(&track->h);
    return;
  }
}

rtc_error rtcbox_MediaStream_constructor(rtcbox_ctx* ctx,
                                         rtcbox_MediaStream** result) {
  /* mediacapture-main MediaStream(): a new id, no tracks. */
  rtcbox_MediaStream* s = rtcbox_media_stream_new(NULL);
  if (!s)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  *result = RTCBOX_OUT(s);
  rtcbox_impl_unref(&s->h);
  return RTC_OK;
}

static rtc_error new_with_tracks(rtcbox_ctx* ctx,
                                 rtcbox_MediaStreamTrack* const* tracks,
                                 size_t count,
                                 rtcbox_MediaStream** result) {
  /* "If the constructor's argument is present, run the following steps:
   * Construct a set of tracks ... For each MediaStreamTrack, track, in
   * tracks: If track is already in tracks, skip track. Otherwise add
   * track to tracks." */
  rtcbox_MediaStream* s = rtcbox_media_stream_new(NULL);
  if (!s)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (size_t i = 0; i < count; i++) {
    if (rtcbox_media_stream_add(s, tracks[i], false) != RTC_OK) {
      rtcbox_impl_unref(&s->h);
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    }
  }
  *result = RTCBOX_OUT(s);
  rtcbox_impl_unref(&s->h);
  return RTC_OK;
}

rtc_error rtcbox_MediaStream_constructor_MediaStream(
    rtcbox_ctx* ctx,
    rtcbox_MediaStream* stream,
    rtcbox_MediaStream** result) {
  return new_with_tracks(ctx, stream->tracks, stream->track_count, result);
}

rtc_error rtcbox_MediaStream_constructor_sequence_MediaStreamTrack(
    rtcbox_ctx* ctx,
    rtcbox_seq_MediaStreamTrack tracks,
    rtcbox_MediaStream** result) {
  return new_with_tracks(ctx, tracks.items, tracks.length, result);
}

rtc_error rtcbox_MediaStream_get_id(rtcbox_ctx* ctx,
                                    rtcbox_MediaStream* self,
                                    rtcbox_string* result) {
  (void)ctx;
  *result = rtcbox_string_from_cstr(self->id);
  return RTC_OK;
}

rtc_error rtcbox_MediaStream_get_active(rtcbox_ctx* ctx,
                                        rtcbox_MediaStream* self,
                                        bool* result) {
  (void)ctx;
  /* "active: true if ... at least one MediaStreamTrack that has not
   * ended". */
  *result = false;
  for (size_t i = 0; i < self->track_count; i++)
    *result |= !self->tracks[i]->ended;
  return RTC_OK;
}

/* Tracks of one kind (0 audio, 1 video, -1 both: audio first, as Chrome
 * lists them), in the order they were added. */
static rtc_error list_tracks(rtcbox_ctx* ctx,
                             rtcbox_MediaStream* self,
                             int kind,
                             rtcbox_seq_MediaStreamTrack* result) {
  result->items = NULL;
  result->length = 0;
  if (!self->track_count)
    return RTC_OK;
  result->items =
      rtcbox_ctx_alloc(ctx, self->track_count * sizeof(*result->items));
  if (!result->items)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (int pass = 0; pass < 2; pass++) {
    if (kind >= 0 && kind != pass)
      continue;
    for (size_t i = 0; i < self->track_count; i++) {
      rtcbox_MediaStreamTrack* t = self->tracks[i];
      if ((int)t->is_video == pass)
        result->items[result->length++] = RTCBOX_OUT(t);
    }
  }
  return RTC_OK;
}

rtc_error rtcbox_MediaStream_getTracks(rtcbox_ctx* ctx,
                                       rtcbox_MediaStream* self,
                                       rtcbox_seq_MediaStreamTrack* result) {
  return list_tracks(ctx, self, -1, result);
}

rtc_error rtcbox_MediaStream_getAudioTracks(
    rtcbox_ctx* ctx,
    rtcbox_MediaStream* self,
    rtcbox_seq_MediaStreamTrack* result) {
  return list_tracks(ctx, self, 0, result);
}

rtc_error rtcbox_MediaStream_getVideoTracks(
    rtcbox_ctx* ctx,
    rtcbox_MediaStream* self,
    rtcbox_seq_MediaStreamTrack* result) {
  return list_tracks(ctx, self, 1, result);
}

rtc_error rtcbox_MediaStream_getTrackById(rtcbox_ctx* ctx,
                                          rtcbox_MediaStream* self,
                                          rtcbox_string trackId,
                                          rtcbox_MediaStreamTrack** result) {
  (void)ctx;
  *result = NULL;
  for (size_t i = 0; i < self->track_count; i++) {
    rtcbox_MediaStreamTrack* t = self->tracks[i];
    if (strlen(t->id) == trackId.length &&
        memcmp(t->id, trackId.data, trackId.length) == 0) {
      *result = RTCBOX_OUT(t);
      break;
    }
  }
  return RTC_OK;
}

rtc_error rtcbox_MediaStream_addTrack(rtcbox_ctx* ctx,
                                      rtcbox_MediaStream* self,
                                      rtcbox_MediaStreamTrack* track) {
  /* mediacapture-main addTrack(): "add track to stream's track set" (no
   * event: script did it). */
  if (rtcbox_media_stream_add(self, track, false) != RTC_OK)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  return RTC_OK;
}

rtc_error rtcbox_MediaStream_removeTrack(rtcbox_ctx* ctx,
                                         rtcbox_MediaStream* self,
                                         rtcbox_MediaStreamTrack* track) {
  (void)ctx;
  rtcbox_media_stream_remove(self, track, false);
  return RTC_OK;
}

rtc_error rtcbox_MediaStream_clone(rtcbox_ctx* ctx,
                                   rtcbox_MediaStream* self,
                                   rtcbox_MediaStream** result) {
  /* mediacapture-main clone(): a new stream with a new id whose tracks
   * are clones of this stream's tracks. */
  rtcbox_MediaStream* s = rtcbox_media_stream_new(NULL);
  if (!s)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (size_t i = 0; i < self->track_count; i++) {
    rtcbox_MediaStreamTrack* t = self->tracks[i];
    rtcbox_MediaStreamTrack* c = rtcbox_track_new(t->is_video, t->label, false);
    rtc_error err = c ? RTC_OK : RTC_ERR_NO_MEMORY;
    if (c) {
      c->enabled = t->enabled;
      c->muted = t->muted;
      c->ended = t->ended;
      err = set_constraints(c, t->constraints);
      if (err == RTC_OK)
        err = rtcbox_media_stream_add(s, c, false);
      rtcbox_impl_unref(&c->h);
    }
    if (err != RTC_OK) {
      rtcbox_impl_unref(&s->h);
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    }
  }
  *result = RTCBOX_OUT(s);
  rtcbox_impl_unref(&s->h);
  return RTC_OK;
}
