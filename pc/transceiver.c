/*
 * RTCRtpTransceiver (webrtc-pc §5.4) and the codecs rtcbox negotiates for
 * it (Opus; VP8 and VP9 with RTX), with their header extensions.
 */
#include "api/rtc_rtp_transceiver.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pc/peer_connection_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/random.h"

const char* rtc_media_kind_name(rtc_media_kind kind) {
  return kind == RTC_MEDIA_VIDEO ? "video" : "audio";
}

const char* rtc_transceiver_direction_name(rtc_transceiver_direction d) {
  static const char* const names[] = {"sendrecv", "sendonly", "recvonly",
                                      "inactive", "stopped"};
  return (int)d >= 0 && d <= RTC_DIRECTION_STOPPED ? names[d] : "inactive";
}

rtc_error rtc_media_kind_from_name(const char* name, rtc_media_kind* out) {
  if (name && strcmp(name, "audio") == 0) {
    *out = RTC_MEDIA_AUDIO;
    return RTC_OK;
  }
  if (name && strcmp(name, "video") == 0) {
    *out = RTC_MEDIA_VIDEO;
    return RTC_OK;
  }
  return RTC_ERR_INVALID_ARGUMENT;
}

rtc_error rtc_transceiver_direction_from_name(const char* name,
                                              rtc_transceiver_direction* out) {
  for (int i = 0; i <= RTC_DIRECTION_STOPPED; i++) {
    if (name && strcmp(name, rtc_transceiver_direction_name(
                                 (rtc_transceiver_direction)i)) == 0) {
      *out = (rtc_transceiver_direction)i;
      return RTC_OK;
    }
  }
  return RTC_ERR_INVALID_ARGUMENT;
}

/* --- Codecs --- */

typedef struct codec_def {
  rtc_media_kind kind;
  uint8_t pt; /* our payload type */
  const char* name;
  uint32_t clock_rate;
  uint16_t channels;
  const char* fmtp; /* NULL: none */
  const char* const* feedback;
  uint8_t apt; /* RTX: the payload type it repairs; 0 otherwise */
} codec_def;

static const char* const kAudioFeedback[] = {"transport-cc", NULL};
static const char* const kVideoFeedback[] = {
    "goog-remb", "transport-cc", "ccm fir", "nack", "nack pli", NULL};
static const char* const kNoFeedback[] = {NULL};

static const codec_def kCodecs[] = {
    {RTC_MEDIA_AUDIO, 111, "opus", 48000, 2, "minptime=10;useinbandfec=1",
     kAudioFeedback, 0},
    {RTC_MEDIA_VIDEO, 96, "VP8", 90000, 0, NULL, kVideoFeedback, 0},
    {RTC_MEDIA_VIDEO, 97, "rtx", 90000, 0, "apt=96", kNoFeedback, 96},
    {RTC_MEDIA_VIDEO, 98, "VP9", 90000, 0, "profile-id=0", kVideoFeedback, 0},
    {RTC_MEDIA_VIDEO, 99, "rtx", 90000, 0, "apt=98", kNoFeedback, 98},
};
#define CODEC_COUNT (sizeof(kCodecs) / sizeof(kCodecs[0]))

typedef struct extension_def {
  rtc_media_kind kind;
  uint16_t id;
  const char* uri;
} extension_def;

/* RFC 8285 header extensions we offer (ids as Chrome uses them). */
static const extension_def kExtensions[] = {
    {RTC_MEDIA_AUDIO, 1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"},
    {RTC_MEDIA_AUDIO, 3,
     "http://www.ietf.org/id/"
     "draft-holmer-rmcat-transport-wide-cc-extensions-01"},
    {RTC_MEDIA_AUDIO, 4, "urn:ietf:params:rtp-hdrext:sdes:mid"},
    {RTC_MEDIA_VIDEO, 2, "urn:ietf:params:rtp-hdrext:toffset"},
    {RTC_MEDIA_VIDEO, 3,
     "http://www.ietf.org/id/"
     "draft-holmer-rmcat-transport-wide-cc-extensions-01"},
    {RTC_MEDIA_VIDEO, 4, "urn:ietf:params:rtp-hdrext:sdes:mid"},
    {RTC_MEDIA_VIDEO, 10, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"},
    {RTC_MEDIA_VIDEO, 11,
     "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"},
};
#define EXTENSION_COUNT (sizeof(kExtensions) / sizeof(kExtensions[0]))

static void codec_to_api(const codec_def* d, rtc_rtp_codec* out) {
  memset(out, 0, sizeof(*out));
  snprintf(out->mime_type, sizeof(out->mime_type), "%s/%s",
           rtc_media_kind_name(d->kind), d->name);
  out->clock_rate = d->clock_rate;
  out->channels = d->channels;
  if (d->fmtp)
    snprintf(out->sdp_fmtp_line, sizeof(out->sdp_fmtp_line), "%s", d->fmtp);
}

size_t rtc_rtp_capabilities_codecs(rtc_media_kind kind,
                                   rtc_rtp_codec* out,
                                   size_t capacity) {
  size_t n = 0;
  for (size_t i = 0; i < CODEC_COUNT; i++) {
    if (kCodecs[i].kind != kind)
      continue;
    if (n < capacity)
      codec_to_api(&kCodecs[i], &out[n]);
    n++;
  }
  return n;
}

/* The next "key=value" entry of an fmtp line in key-value form (RFC 4855
 * §3: entries separated by ';', blanks around them ignored): its key and
 * value, and where the next entry starts. False at the end of the line or
 * for an entry without '=' (then the line is not in key-value form). */
static bool fmtp_entry(const char** cursor,
                       const char** key,
                       size_t* key_len,
                       const char** value,
                       size_t* value_len) {
  const char* p = *cursor;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!*p)
    return false;
  const char* end = strchr(p, ';');
  if (!end)
    end = p + strlen(p);
  const char* eq = memchr(p, '=', (size_t)(end - p));
  if (!eq)
    return false;
  const char* k_end = eq;
  while (k_end > p && (k_end[-1] == ' ' || k_end[-1] == '\t'))
    k_end--;
  const char* v = eq + 1;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  const char* v_end = end;
  while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t'))
    v_end--;
  *key = p;
  *key_len = (size_t)(k_end - p);
  *value = v;
  *value_len = (size_t)(v_end - v);
  *cursor = *end ? end + 1 : end;
  return true;
}

/* The number of entries when `line` is in key-value form, else -1. */
static int fmtp_entries(const char* line) {
  const char* cursor = line;
  const char *k, *v;
  size_t kl, vl;
  int n = 0;
  while (fmtp_entry(&cursor, &k, &kl, &v, &vl))
    n++;
  /* A line that stopped early has an entry without '='. */
  while (*cursor == ' ' || *cursor == '\t')
    cursor++;
  return *cursor ? -1 : n;
}

/* webrtc-pc "codec dictionary match", for sdpFmtpLine ("" is absent): "If
 * either (but not both) ... are missing, return false"; lines not both in
 * key-value form compare as strings; otherwise as maps of parameters
 * (keys case-insensitive, rtc_sdp_fmtp_param), in any order. */
static bool fmtp_match(const char* a, const char* b) {
  if (!a[0] || !b[0])
    return !a[0] && !b[0];
  int na = fmtp_entries(a);
  int nb = fmtp_entries(b);
  if (na < 0 || nb < 0)
    return strcmp(a, b) == 0;
  if (na != nb)
    return false;
  const char* cursor = a;
  const char *k, *v;
  size_t kl, vl;
  while (fmtp_entry(&cursor, &k, &kl, &v, &vl)) {
    char key[64];
    if (kl == 0 || kl >= sizeof(key))
      return false;
    memcpy(key, k, kl);
    key[kl] = '\0';
    const char* other;
    size_t other_len;
    if (!rtc_sdp_fmtp_param(b, key, &other, &other_len) || other_len != vl ||
        memcmp(other, v, vl) != 0)
      return false;
  }
  return true;
}

/* webrtc-pc "codec dictionary match" (mimeType ASCII case-insensitive,
 * clockRate, channels present in both or neither and equal, sdpFmtpLine as
 * fmtp_match says). */
static bool codec_equal(const rtc_rtp_codec* a, const rtc_rtp_codec* b) {
  return strcasecmp(a->mime_type, b->mime_type) == 0 &&
         a->clock_rate == b->clock_rate && a->channels == b->channels &&
         fmtp_match(a->sdp_fmtp_line, b->sdp_fmtp_line);
}

/* Our codecs for t, in preference order (indexes into kCodecs). */
static size_t local_codecs(const rtc_rtp_transceiver* t, size_t* out) {
  size_t n = 0;
  if (t->preference_count == 0) {
    for (size_t i = 0; i < CODEC_COUNT; i++) {
      if (kCodecs[i].kind == t->kind)
        out[n++] = i;
    }
    return n;
  }
  for (size_t p = 0; p < t->preference_count; p++) {
    for (size_t i = 0; i < CODEC_COUNT; i++) {
      rtc_rtp_codec c;
      codec_to_api(&kCodecs[i], &c);
      if (kCodecs[i].kind == t->kind && codec_equal(&c, &t->preferences[p]))
        out[n++] = i;
    }
  }
  return n;
}

static bool in_list(const size_t* list, size_t n, size_t value) {
  for (size_t i = 0; i < n; i++) {
    if (list[i] == value)
      return true;
  }
  return false;
}

/* Does the remote rtpmap (with its fmtp) name our codec d? */
static bool matches(const codec_def* d,
                    const rtc_sdp_rtpmap* r,
                    const rtc_sdp_media* remote) {
  if (strcasecmp(d->name, r->encoding) != 0 || d->clock_rate != r->clock_rate)
    return false;
  uint32_t channels = r->channels ? r->channels : 1;
  if (d->kind == RTC_MEDIA_AUDIO && channels != (d->channels ? d->channels : 1))
    return false;
  if (strcasecmp(d->name, "VP9") == 0) {
    const rtc_sdp_fmtp* f = rtc_sdp_media_find_fmtp(remote, r->pt);
    const char* v;
    size_t len;
    /* Profile 0 only (our fmtp); absent means 0 (RFC 9628 §6). */
    if (f && rtc_sdp_fmtp_param(f->params, "profile-id", &v, &len) &&
        !(len == 1 && v[0] == '0'))
      return false;
  }
  return true;
}

static rtc_error write_codec(rtc_sdp_session* s,
                             rtc_sdp_media* m,
                             const codec_def* d,
                             uint8_t pt,
                             uint8_t apt) {
  if (rtc_sdp_media_add_codec(s, m, pt, d->name, d->clock_rate, d->channels) !=
      RTC_OK)
    return RTC_ERR_NO_MEMORY;
  for (size_t f = 0; d->feedback[f]; f++) {
    if (rtc_sdp_media_add_rtcp_fb(s, m, pt, d->feedback[f]) != RTC_OK)
      return RTC_ERR_NO_MEMORY;
  }
  if (d->apt) {
    char fmtp[16];
    snprintf(fmtp, sizeof(fmtp), "apt=%u", (unsigned)apt);
    return rtc_sdp_media_add_fmtp(s, m, pt, fmtp);
  }
  if (d->fmtp)
    return rtc_sdp_media_add_fmtp(s, m, pt, d->fmtp);
  return RTC_OK;
}

static rtc_error write_extensions(rtc_sdp_session* s,
                                  rtc_sdp_media* m,
                                  rtc_media_kind kind,
                                  const rtc_sdp_media* remote) {
  for (size_t i = 0; i < EXTENSION_COUNT; i++) {
    const extension_def* e = &kExtensions[i];
    if (e->kind != kind)
      continue;
    uint16_t id = e->id;
    if (remote) {
      /* An answer keeps the offer's ids, and only what it offered. */
      bool offered = false;
      for (size_t r = 0; r < remote->num_extmaps && !offered; r++) {
        if (strcmp(remote->extmaps[r].uri, e->uri) == 0) {
          offered = true;
          id = remote->extmaps[r].id;
        }
      }
      if (!offered)
        continue;
    }
    if (rtc_sdp_add_extmap(s, m, id, RTC_SDP_DIRECTION_NONE, e->uri, NULL) !=
        RTC_OK)
      return RTC_ERR_NO_MEMORY;
  }
  return RTC_OK;
}

rtc_error pc_transceiver_write_codecs(rtc_sdp_session* s,
                                      rtc_sdp_media* m,
                                      const rtc_rtp_transceiver* t,
                                      const rtc_sdp_media* remote) {
  size_t ours[CODEC_COUNT];
  size_t n = local_codecs(t, ours);
  rtc_error err = write_extensions(s, m, t->kind, remote);
  if (err != RTC_OK)
    return err;
  if (!remote) {
    for (size_t i = 0; i < n && err == RTC_OK; i++) {
      const codec_def* d = &kCodecs[ours[i]];
      /* RTX only with its codec. */
      if (d->apt) {
        bool base = false;
        for (size_t j = 0; j < n; j++)
          base |= kCodecs[ours[j]].pt == d->apt;
        if (!base)
          continue;
      }
      err = write_codec(s, m, d, d->pt, d->apt);
    }
    return err;
  }
  /* JSEP §5.3.1: the offer's codecs we support, with the offer's payload
   * types, and RTX only for a codec accepted with it (RFC 4588 §8.6: apt
   * names the codec it repairs). In the offer's order, or in that of the
   * transceiver's codec preferences when it has some (webrtc-pc
   * setCodecPreferences: createAnswer "MUST use the specified codecs in the
   * order of the codecs argument"; "an answerer that does not have any
   * codec preferences of their own defaults to using the same order for
   * its SDP answer"). */
  struct accepted_codec {
    size_t def;   /* index in kCodecs */
    size_t pref;  /* its place in ours */
    size_t place; /* its place on the offer's m= line */
    uint8_t pt;
    uint8_t apt; /* RTX: the payload type it repairs */
  } accepted[128];
  size_t count = 0;
  size_t primaries = 0;
  for (int pass = 0; pass < 2; pass++) {
    /* Pass 0 takes the media codecs, pass 1 the RTX that repair them. */
    for (size_t f = 0; f < remote->num_fmts && count < 128; f++) {
      const rtc_sdp_rtpmap* r = NULL;
      for (size_t k = 0; k < remote->num_rtpmaps && !r; k++) {
        char pt[8];
        snprintf(pt, sizeof(pt), "%u", remote->rtpmaps[k].pt);
        if (strcmp(pt, remote->fmts[f]) == 0)
          r = &remote->rtpmaps[k];
      }
      if (!r || (strcasecmp(r->encoding, "rtx") == 0) != (pass == 1))
        continue;
      const struct accepted_codec* repaired = NULL;
      if (pass == 1) {
        const rtc_sdp_fmtp* fmtp = rtc_sdp_media_find_fmtp(remote, r->pt);
        const char* v;
        size_t len;
        if (!fmtp || !rtc_sdp_fmtp_param(fmtp->params, "apt", &v, &len) ||
            len == 0 || len > 3)
          continue;
        unsigned apt = 0;
        for (size_t c = 0; c < len && v[c] >= '0' && v[c] <= '9'; c++)
          apt = apt * 10 + (unsigned)(v[c] - '0');
        for (size_t a = 0; a < primaries && !repaired; a++) {
          if (accepted[a].pt == apt)
            repaired = &accepted[a];
        }
        if (!repaired)
          continue;
      }
      for (size_t i = 0; i < n; i++) {
        const codec_def* d = &kCodecs[ours[i]];
        bool fits = pass == 0 ? !d->apt && matches(d, r, remote)
                              : d->apt && d->apt == kCodecs[repaired->def].pt;
        if (!fits)
          continue;
        accepted[count++] = (struct accepted_codec){
            ours[i], i, f, r->pt, repaired ? repaired->pt : 0};
        break;
      }
    }
    if (pass == 0)
      primaries = count;
  }
  if (primaries == 0)
    return RTC_ERR_NOT_FOUND;
  /* Insertion sort: by preference (when there are preferences), then by
   * the place in the offer. */
  bool by_preference = t->preference_count > 0;
  for (size_t i = 1; i < count; i++) {
    struct accepted_codec e = accepted[i];
    size_t j = i;
    while (j > 0 && (by_preference && accepted[j - 1].pref != e.pref
                         ? accepted[j - 1].pref > e.pref
                         : accepted[j - 1].place > e.place)) {
      accepted[j] = accepted[j - 1];
      j--;
    }
    accepted[j] = e;
  }
  for (size_t i = 0; i < count && err == RTC_OK; i++)
    err = write_codec(s, m, &kCodecs[accepted[i].def], accepted[i].pt,
                      accepted[i].apt);
  return err;
}

/* --- Transceivers --- */

void rtc_rtp_transceiver_init_defaults(rtc_rtp_transceiver_init* init) {
  memset(init, 0, sizeof(*init));
  init->direction = RTC_DIRECTION_SENDRECV;
}

rtc_rtp_transceiver* pc_transceiver_new(rtc_peer_connection* pc,
                                        rtc_media_kind kind,
                                        const rtc_rtp_transceiver_init* init) {
  rtc_rtp_transceiver* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return NULL;
  rtc_refcount_init(&t->refs);
  t->pc = pc;
  t->kind = kind;
  t->direction = init->direction;
  t->mline_index = -1;
  char uuid[37];
  rtc_random_uuid_v4(uuid);
  snprintf(t->sender_id, sizeof(t->sender_id), "%s", uuid);
  if (init->stream_id_count) {
    t->stream_ids = rtc_calloc(init->stream_id_count, sizeof(char*));
    if (!t->stream_ids) {
      rtc_free(t);
      return NULL;
    }
    for (size_t i = 0; i < init->stream_id_count; i++) {
      t->stream_ids[i] = rtc_strdup(init->stream_ids[i]);
      t->stream_id_count++;
      if (!t->stream_ids[i]) {
        rtc_rtp_transceiver_unref(t);
        return NULL;
      }
    }
  }
  return t;
}

rtc_error pc_transceiver_add(rtc_peer_connection* pc, rtc_rtp_transceiver* t) {
  if (pc->transceiver_count == pc->transceiver_capacity) {
    size_t cap = pc->transceiver_capacity ? pc->transceiver_capacity * 2 : 4;
    rtc_rtp_transceiver** grown =
        rtc_realloc_array(pc->transceivers, cap, sizeof(*grown));
    if (!grown)
      return RTC_ERR_NO_MEMORY;
    pc->transceivers = grown;
    pc->transceiver_capacity = cap;
  }
  pc->transceivers[pc->transceiver_count++] = t;
  t->pc = pc;
  return RTC_OK;
}

void pc_transceivers_release(rtc_peer_connection* pc) {
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    pc->transceivers[i]->pc = NULL;
    rtc_rtp_transceiver_unref(pc->transceivers[i]);
  }
  pc->transceiver_count = 0;
}

void rtc_rtp_transceiver_ref(rtc_rtp_transceiver* t) {
  rtc_refcount_inc(&t->refs);
}

void rtc_rtp_transceiver_unref(rtc_rtp_transceiver* t) {
  if (!t || !rtc_refcount_dec(&t->refs))
    return;
  for (size_t i = 0; i < t->stream_id_count; i++)
    rtc_free(t->stream_ids[i]);
  rtc_free(t->stream_ids);
  rtc_free(t);
}

rtc_media_kind rtc_rtp_transceiver_kind(const rtc_rtp_transceiver* t) {
  return t->kind;
}

const char* rtc_rtp_transceiver_mid(const rtc_rtp_transceiver* t) {
  return t->mid[0] ? t->mid : NULL;
}

rtc_transceiver_direction rtc_rtp_transceiver_direction(
    const rtc_rtp_transceiver* t) {
  return t->direction;
}

rtc_error rtc_rtp_transceiver_set_direction(rtc_rtp_transceiver* t,
                                            rtc_transceiver_direction d) {
  /* webrtc-pc §5.4 direction setter. */
  if (d == RTC_DIRECTION_STOPPED || (int)d < 0 || d > RTC_DIRECTION_STOPPED)
    return RTC_ERR_INVALID_ARGUMENT;
  if (t->stopping || t->stopped)
    return RTC_ERR_INVALID_STATE;
  if (t->direction == d)
    return RTC_OK;
  t->direction = d;
  if (t->pc)
    pc_update_negotiation_needed(t->pc);
  return RTC_OK;
}

bool rtc_rtp_transceiver_current_direction(const rtc_rtp_transceiver* t,
                                           rtc_transceiver_direction* out) {
  if (!t->has_current_direction)
    return false;
  *out = t->current_direction;
  return true;
}

void rtc_rtp_transceiver_stop(rtc_rtp_transceiver* t) {
  /* webrtc-pc §5.4 stop(): stopping until negotiated. */
  if (t->stopping || t->stopped)
    return;
  t->stopping = true;
  t->direction = RTC_DIRECTION_STOPPED;
  if (t->pc)
    pc_update_negotiation_needed(t->pc);
}

bool rtc_rtp_transceiver_stopped(const rtc_rtp_transceiver* t) {
  return t->stopped;
}

rtc_error rtc_rtp_transceiver_set_codec_preferences(rtc_rtp_transceiver* t,
                                                    const rtc_rtp_codec* codecs,
                                                    size_t count) {
  /* webrtc-pc §5.4.1 setCodecPreferences(). "If codecs is an empty list,
   * set transceiver.[[PreferredCodecs]] to codecs and abort these
   * steps." */
  if (count == 0) {
    t->preference_count = 0;
    return RTC_OK;
  }
  /* "Remove any duplicate values in codecs, ensuring that the first
   * occurrence of each value remains in place": each entry that matches a
   * capability is kept once, as that capability. */
  size_t kept[CODEC_COUNT];
  size_t n = 0;
  bool media_codec = false;
  for (size_t i = 0; i < count; i++) {
    size_t match = CODEC_COUNT;
    for (size_t k = 0; k < CODEC_COUNT && match == CODEC_COUNT; k++) {
      rtc_rtp_codec c;
      codec_to_api(&kCodecs[k], &c);
      if (kCodecs[k].kind == t->kind && codec_equal(&c, &codecs[i]))
        match = k;
    }
    /* "If codec does not match any codec in codecCapabilities, throw
     * InvalidModificationError." */
    if (match == CODEC_COUNT)
      return RTC_ERR_INVALID_MODIFICATION;
    if (in_list(kept, n, match))
      continue;
    kept[n++] = match;
    media_codec |= kCodecs[match].apt == 0;
  }
  /* "If codecs only contains entries for RTX, RED, FEC or Comfort Noise
   * or is an empty set, throw InvalidModificationError." */
  if (!media_codec)
    return RTC_ERR_INVALID_MODIFICATION;
  _Static_assert(
      CODEC_COUNT <= sizeof(t->preferences) / sizeof(t->preferences[0]),
      "every capability fits in the preferences");
  for (size_t i = 0; i < n; i++)
    codec_to_api(&kCodecs[kept[i]], &t->preferences[i]);
  t->preference_count = n;
  return RTC_OK;
}
