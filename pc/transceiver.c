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

static bool codec_equal(const rtc_rtp_codec* a, const rtc_rtp_codec* b) {
  return strcasecmp(a->mime_type, b->mime_type) == 0 &&
         a->clock_rate == b->clock_rate && a->channels == b->channels &&
         strcmp(a->sdp_fmtp_line, b->sdp_fmtp_line) == 0;
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
  /* JSEP §5.3.1: the offer's codecs we support, in the offer's order, with
   * the offer's payload types. */
  size_t written = 0;
  uint8_t accepted_pts[128];
  size_t accepted_defs[128];
  size_t accepted = 0;
  for (size_t f = 0; f < remote->num_fmts && err == RTC_OK; f++) {
    const rtc_sdp_rtpmap* r = NULL;
    for (size_t k = 0; k < remote->num_rtpmaps; k++) {
      char pt[8];
      snprintf(pt, sizeof(pt), "%u", remote->rtpmaps[k].pt);
      if (strcmp(pt, remote->fmts[f]) == 0)
        r = &remote->rtpmaps[k];
    }
    if (!r || strcasecmp(r->encoding, "rtx") == 0)
      continue;
    for (size_t i = 0; i < n; i++) {
      const codec_def* d = &kCodecs[ours[i]];
      if (d->apt || !matches(d, r, remote))
        continue;
      err = write_codec(s, m, d, r->pt, 0);
      if (accepted < 128) {
        accepted_pts[accepted] = r->pt;
        accepted_defs[accepted++] = ours[i];
      }
      written++;
      break;
    }
  }
  /* RTX for the accepted codecs (RFC 4588 §8.6: apt names the codec). */
  for (size_t k = 0; k < remote->num_rtpmaps && err == RTC_OK; k++) {
    const rtc_sdp_rtpmap* r = &remote->rtpmaps[k];
    if (strcasecmp(r->encoding, "rtx") != 0)
      continue;
    const rtc_sdp_fmtp* f = rtc_sdp_media_find_fmtp(remote, r->pt);
    const char* v;
    size_t len;
    if (!f || !rtc_sdp_fmtp_param(f->params, "apt", &v, &len))
      continue;
    unsigned apt = 0;
    for (size_t c = 0; c < len && v[c] >= '0' && v[c] <= '9'; c++)
      apt = apt * 10 + (unsigned)(v[c] - '0');
    for (size_t a = 0; a < accepted; a++) {
      if (accepted_pts[a] != apt)
        continue;
      for (size_t i = 0; i < n; i++) {
        const codec_def* d = &kCodecs[ours[i]];
        if (d->apt && d->apt == kCodecs[accepted_defs[a]].pt &&
            in_list(ours, n, ours[i]))
          err = write_codec(s, m, d, r->pt, (uint8_t)apt);
      }
    }
  }
  if (err != RTC_OK)
    return err;
  return written ? RTC_OK : RTC_ERR_NOT_FOUND;
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
  /* webrtc-pc §5.4.1 setCodecPreferences(). */
  if (count > sizeof(t->preferences) / sizeof(t->preferences[0]))
    return RTC_ERR_INVALID_MODIFICATION;
  bool media_codec = count == 0;
  for (size_t i = 0; i < count; i++) {
    bool known = false;
    for (size_t k = 0; k < CODEC_COUNT && !known; k++) {
      rtc_rtp_codec c;
      codec_to_api(&kCodecs[k], &c);
      if (kCodecs[k].kind == t->kind && codec_equal(&c, &codecs[i])) {
        known = true;
        media_codec |= kCodecs[k].apt == 0;
      }
    }
    if (!known)
      return RTC_ERR_INVALID_MODIFICATION;
  }
  /* Only RTX/RED/FEC is not a usable list. */
  if (!media_codec)
    return RTC_ERR_INVALID_MODIFICATION;
  memcpy(t->preferences, codecs, count * sizeof(*codecs));
  t->preference_count = count;
  return RTC_OK;
}
