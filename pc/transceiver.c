/*
 * RTCRtpTransceiver (webrtc-pc §5.4) and the codecs rtcbox negotiates for
 * it (Opus; VP8 and VP9 with RTX), with their header extensions.
 */
#include "api/rtc_rtp_transceiver.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pc/peer_connection_internal.h"
#include "pc/transceiver_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/arena.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
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

static const rtc_sdp_media* section_of(const rtc_sdp_session* s,
                                       const rtc_rtp_transceiver* t);
static bool section_rejected(const rtc_sdp_media* m);
static const rtc_sdp_session* answer_in_effect(const rtc_peer_connection* pc,
                                               bool* local);

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
    /* RFC 8834 §5.2.5: "Support for ... coordination of video
     * orientation (CVO) ... is REQUIRED" (urn:3gpp:video-orientation). */
    {RTC_MEDIA_VIDEO, 13, "urn:3gpp:video-orientation"},
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

size_t rtc_rtp_capabilities_header_extensions(rtc_media_kind kind,
                                              const char** out,
                                              size_t capacity) {
  size_t n = 0;
  for (size_t i = 0; i < EXTENSION_COUNT; i++) {
    if (kExtensions[i].kind != kind)
      continue;
    if (n < capacity)
      out[n] = kExtensions[i].uri;
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

/* The id `m` maps `uri` to, or 0. */
static uint16_t extmap_id(const rtc_sdp_media* m, const char* uri) {
  for (size_t i = 0; m && i < m->num_extmaps; i++) {
    if (strcmp(m->extmaps[i].uri, uri) == 0)
      return m->extmaps[i].id;
  }
  return 0;
}

/* The URI `m` maps `id` to, or NULL. */
static const char* extmap_uri(const rtc_sdp_media* m, uint16_t id) {
  for (size_t i = 0; m && i < m->num_extmaps; i++) {
    if (m->extmaps[i].id == id)
      return m->extmaps[i].uri;
  }
  return NULL;
}

/* `answered`: in an offer, t's section in the answer in effect (NULL for
 * a first offer). */
static rtc_error write_extensions(rtc_sdp_session* s,
                                  rtc_sdp_media* m,
                                  rtc_media_kind kind,
                                  const rtc_sdp_media* remote,
                                  const rtc_sdp_media* answered) {
  for (size_t i = 0; i < EXTENSION_COUNT; i++) {
    const extension_def* e = &kExtensions[i];
    if (e->kind != kind)
      continue;
    uint16_t id = e->id;
    if (!remote && answered) {
      /* RFC 8285 §6: "A session update MAY add or remove extension(s).
       * Identifier values in the valid range MUST NOT be altered
       * (remapped)": a subsequent offer keeps the ids the last answer
       * negotiated, and leaves out an extension whose id the answer gave
       * to another one. */
      uint16_t negotiated = extmap_id(answered, e->uri);
      if (negotiated)
        id = negotiated;
      else if (extmap_uri(answered, id))
        continue;
    }
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
  const rtc_sdp_media* answered = NULL;
  if (!remote && t->pc) {
    bool local;
    answered = section_of(answer_in_effect(t->pc, &local), t);
  }
  rtc_error err = write_extensions(s, m, t->kind, remote, answered);
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

rtc_error pc_transceiver_check_remote_rtp(const rtc_peer_connection* pc,
                                          const rtc_sdp_media* m,
                                          rtc_error_info* info) {
  /* RFC 5761 §4: with RTP and RTCP multiplexed (rtcpMuxPolicy "require"),
   * "payload type values in the range 64-95 MUST NOT be used" (they would
   * read as RTCP packet types 192-223). */
  for (size_t i = 0; i < m->num_fmts; i++) {
    const char* f = m->fmts[i];
    size_t len = strlen(f);
    if (len == 2 && f[0] >= '6' && f[0] <= '9' && f[1] >= '0' && f[1] <= '9') {
      int pt = (f[0] - '0') * 10 + (f[1] - '0');
      if (pt >= 64 && pt <= 95)
        return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                             "payload type %d of a=mid:%s collides with RTCP "
                             "(RFC 5761 §4)",
                             pt, m->mid ? m->mid : "");
    }
  }
  /* RFC 8285 §6: "Identifier values in the valid range MUST NOT be
   * altered (remapped)" by a session update: against what the answer in
   * effect negotiated for this mid, no id may name another URI, and no
   * URI may take another id. */
  bool local;
  const rtc_sdp_session* answer = answer_in_effect(pc, &local);
  const rtc_sdp_media* pm =
      answer && m->mid ? rtc_sdp_session_find_media(answer, m->mid) : NULL;
  if (pm && rtc_sdp_proto_is_rtp(pm->proto) && !section_rejected(pm)) {
    for (size_t i = 0; i < m->num_extmaps; i++) {
      const rtc_sdp_extmap* e = &m->extmaps[i];
      const char* was = extmap_uri(pm, e->id);
      uint16_t was_id = extmap_id(pm, e->uri);
      if ((was && strcmp(was, e->uri) != 0) || (was_id && was_id != e->id))
        return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                             "a=extmap:%u %s of a=mid:%s remaps a negotiated "
                             "header extension id (RFC 8285 §6)",
                             (unsigned)e->id, e->uri, m->mid);
    }
  }
  return RTC_OK;
}

/* --- Transceivers --- */

void pc_new_cname(char out[PC_CNAME_SIZE]) {
  /* RFC 7022 §4.2: "generate a new, unique identifier for each session
   * ... a 96-bit random number" or longer, base64-encoded: 22 base64
   * characters carry 132 random bits. webrtc-pc: one CNAME per
   * RTCPeerConnection ("rtcp.cname is set to the CNAME of the associated
   * RTCPeerConnection"). */
  static const char kBase64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  _Static_assert(PC_CNAME_SIZE > 22, "the CNAME fits");
  rtc_random_string(out, 22, kBase64, sizeof(kBase64) - 1);
}

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
  _Static_assert(sizeof(t->cname) == sizeof(pc->cname), "same CNAME size");
  memcpy(t->cname, pc->cname, sizeof(t->cname));
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

bool rtc_rtp_transceiver_stopping(const rtc_rtp_transceiver* t) {
  return t->stopping;
}

/* --- The sender --- */

bool rtc_rtp_transceiver_sender_has_track(const rtc_rtp_transceiver* t) {
  return t->sender_has_track;
}

void rtc_rtp_transceiver_set_sender_has_track(rtc_rtp_transceiver* t,
                                              bool has_track) {
  t->sender_has_track = has_track;
}

static bool has_send(rtc_transceiver_direction d) {
  return d == RTC_DIRECTION_SENDRECV || d == RTC_DIRECTION_SENDONLY;
}

static bool has_recv(rtc_transceiver_direction d) {
  return d == RTC_DIRECTION_SENDRECV || d == RTC_DIRECTION_RECVONLY;
}

/* Replaces t's [[AssociatedMediaStreamIds]] with `ids` without
 * duplicates ("add stream.id ... if it's not already there"); t keeps its
 * ids when out of memory. */
static rtc_error replace_stream_ids(rtc_rtp_transceiver* t,
                                    const char* const* ids,
                                    size_t count) {
  char** fresh = NULL;
  size_t n = 0;
  if (count) {
    fresh = rtc_calloc(count, sizeof(char*));
    if (!fresh)
      return RTC_ERR_NO_MEMORY;
  }
  for (size_t i = 0; i < count; i++) {
    bool seen = false;
    for (size_t k = 0; k < n && !seen; k++)
      seen = strcmp(fresh[k], ids[i]) == 0;
    if (seen)
      continue;
    fresh[n] = rtc_strdup(ids[i]);
    if (!fresh[n]) {
      for (size_t k = 0; k < n; k++)
        rtc_free(fresh[k]);
      rtc_free(fresh);
      return RTC_ERR_NO_MEMORY;
    }
    n++;
  }
  for (size_t i = 0; i < t->stream_id_count; i++)
    rtc_free(t->stream_ids[i]);
  rtc_free(t->stream_ids);
  t->stream_ids = fresh;
  t->stream_id_count = n;
  return RTC_OK;
}

static bool same_stream_ids(const rtc_rtp_transceiver* t,
                            const char* const* ids,
                            size_t count) {
  /* Both lists are sets: every id of one is in the other. */
  for (size_t i = 0; i < count; i++) {
    bool found = false;
    for (size_t k = 0; k < t->stream_id_count && !found; k++)
      found = strcmp(t->stream_ids[k], ids[i]) == 0;
    if (!found)
      return false;
  }
  for (size_t k = 0; k < t->stream_id_count; k++) {
    bool found = false;
    for (size_t i = 0; i < count && !found; i++)
      found = strcmp(t->stream_ids[k], ids[i]) == 0;
    if (!found)
      return false;
  }
  return true;
}

rtc_error rtc_rtp_transceiver_set_stream_ids(rtc_rtp_transceiver* t,
                                             const char* const* stream_ids,
                                             size_t count) {
  /* webrtc-pc §5.2 setStreams(): "If connection.[[IsClosed]] is true,
   * throw an InvalidStateError." */
  if (!t->pc || t->pc->closed)
    return RTC_ERR_INVALID_STATE;
  RTC_DCHECK(rtc_task_queue_is_current(t->pc->signaling));
  if (same_stream_ids(t, stream_ids, count))
    return RTC_OK;
  rtc_error err = replace_stream_ids(t, stream_ids, count);
  if (err != RTC_OK)
    return err;
  /* "Update the negotiation-needed flag for connection." */
  pc_update_negotiation_needed(t->pc);
  return RTC_OK;
}

rtc_error rtc_peer_connection_add_track(rtc_peer_connection* pc,
                                        rtc_media_kind kind,
                                        const char* const* stream_ids,
                                        size_t stream_id_count,
                                        rtc_rtp_transceiver** out,
                                        rtc_error_info* info) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  *out = NULL;
  /* webrtc-pc §5.1 addTrack(): "If connection.[[IsClosed]] is true, throw
   * an InvalidStateError." */
  if (pc->closed)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                         "the connection is closed");
  if (kind != RTC_MEDIA_AUDIO && kind != RTC_MEDIA_VIDEO)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "kind must be audio or video");
  /* "If any RTCRtpSender object in senders matches all the following
   * criteria, let sender be that object: The sender's track is null. The
   * transceiver kind ... matches kind. The [[Stopping]] slot ... is false.
   * The sender has never been used to send." CollectSenders skips
   * stopped transceivers. */
  rtc_rtp_transceiver* t = NULL;
  for (size_t i = 0; i < pc->transceiver_count && !t; i++) {
    rtc_rtp_transceiver* c = pc->transceivers[i];
    if (!c->stopped && !c->stopping && c->kind == kind &&
        !c->sender_has_track && !c->used_to_send)
      t = c;
  }
  if (t) {
    /* "Set sender.[[AssociatedMediaStreamIds]] to an empty set. For each
     * stream in streams, add stream.id ..." */
    rtc_error err = replace_stream_ids(t, stream_ids, stream_id_count);
    if (err != RTC_OK)
      return rtc_error_set(info, err, NULL);
    /* "If transceiver.[[Direction]] is "recvonly", set [it] to
     * "sendrecv". If ... "inactive", set [it] to "sendonly"." */
    if (t->direction == RTC_DIRECTION_RECVONLY)
      t->direction = RTC_DIRECTION_SENDRECV;
    else if (t->direction == RTC_DIRECTION_INACTIVE)
      t->direction = RTC_DIRECTION_SENDONLY;
  } else {
    /* "Create an RTCRtpTransceiver with sender, receiver and ...
     * "sendrecv"": one "added to the PeerConnection by addTrack", which
     * a remote offer may take over (RFC 9429 §5.10). */
    rtc_rtp_transceiver_init init;
    rtc_rtp_transceiver_init_defaults(&init);
    t = pc_transceiver_new(pc, kind, &init);
    if (!t)
      return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
    rtc_error err = replace_stream_ids(t, stream_ids, stream_id_count);
    if (err == RTC_OK)
      err = pc_transceiver_add(pc, t);
    if (err != RTC_OK) {
      rtc_rtp_transceiver_unref(t);
      return rtc_error_set(info, err, NULL);
    }
  }
  /* A track attached by addTrack: kept by a rollback of the remote offer
   * that created the transceiver (webrtc-pc §4.4.1.6), and open to a
   * remote offer's takeover while it has no mid (RFC 9429 §5.10). */
  t->created_by_add_track = true;
  t->sender_has_track = true;
  rtc_rtp_transceiver_ref(t);
  *out = t;
  /* "Update the negotiation-needed flag for connection." */
  pc_update_negotiation_needed(pc);
  return RTC_OK;
}

rtc_error rtc_peer_connection_remove_track(rtc_peer_connection* pc,
                                           rtc_rtp_transceiver* t,
                                           rtc_error_info* info) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  /* webrtc-pc §5.1 removeTrack(). */
  if (pc->closed)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                         "the connection is closed");
  /* "If sender was not created by connection, throw an
   * InvalidAccessError." A transceiver a rollback removed has no pc any
   * more: "If sender is not in senders ... abort these steps." */
  if (t->pc && t->pc != pc)
    return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                         "the sender was not created by this connection");
  /* "If transceiver.[[Stopping]] is true, abort these steps." Stopped
   * transceivers are not in CollectSenders' result. */
  if (!t->pc || t->stopping || t->stopped)
    return RTC_OK;
  /* "If sender.[[SenderTrack]] is null, abort these steps." */
  if (!t->sender_has_track)
    return RTC_OK;
  t->sender_has_track = false;
  if (t->direction == RTC_DIRECTION_SENDRECV)
    t->direction = RTC_DIRECTION_RECVONLY;
  else if (t->direction == RTC_DIRECTION_SENDONLY)
    t->direction = RTC_DIRECTION_INACTIVE;
  pc_update_negotiation_needed(pc);
  return RTC_OK;
}

/* --- Reading descriptions --- */

static bool msid_listed(const rtc_sdp_media* m, const char* id) {
  for (size_t i = 0; i < m->num_msids; i++) {
    if (m->msids[i].stream_id && strcmp(m->msids[i].stream_id, id) == 0)
      return true;
  }
  return false;
}

bool pc_transceiver_msids_match(const rtc_rtp_transceiver* t,
                                const rtc_sdp_media* m) {
  /* "doesn't contain a single a=msid line" */
  if (m->num_msids == 0)
    return false;
  for (size_t i = 0; i < t->stream_id_count; i++) {
    if (!msid_listed(m, t->stream_ids[i]))
      return false;
  }
  for (size_t i = 0; i < m->num_msids; i++) {
    const char* id = m->msids[i].stream_id;
    bool known = !id || !id[0] || strcmp(id, "-") == 0;
    for (size_t k = 0; k < t->stream_id_count && !known; k++)
      known = strcmp(t->stream_ids[k], id) == 0;
    if (!known)
      return false;
  }
  return true;
}

static bool section_rejected(const rtc_sdp_media* m) {
  return m->port == 0 && !m->bundle_only;
}

/* The direction of `m` in `s` (RFC 8866 §6.7: the media level, else the
 * session level, else sendrecv), seen from the side that wrote it. */
static rtc_transceiver_direction section_direction(const rtc_sdp_session* s,
                                                   const rtc_sdp_media* m) {
  rtc_sdp_direction d =
      m->direction != RTC_SDP_DIRECTION_NONE ? m->direction : s->direction;
  switch (d) {
    case RTC_SDP_DIRECTION_SENDONLY:
      return RTC_DIRECTION_SENDONLY;
    case RTC_SDP_DIRECTION_RECVONLY:
      return RTC_DIRECTION_RECVONLY;
    case RTC_SDP_DIRECTION_INACTIVE:
      return RTC_DIRECTION_INACTIVE;
    default:
      return RTC_DIRECTION_SENDRECV;
  }
}

static rtc_transceiver_direction reversed(rtc_transceiver_direction d) {
  bool send = has_recv(d), recv = has_send(d);
  if (send && recv)
    return RTC_DIRECTION_SENDRECV;
  if (send)
    return RTC_DIRECTION_SENDONLY;
  return recv ? RTC_DIRECTION_RECVONLY : RTC_DIRECTION_INACTIVE;
}

/* t's media section in `s`, or NULL (none, or not an RTP section). */
static const rtc_sdp_media* section_of(const rtc_sdp_session* s,
                                       const rtc_rtp_transceiver* t) {
  if (!s || !t->mid[0])
    return NULL;
  const rtc_sdp_media* m = rtc_sdp_session_find_media(s, t->mid);
  if (!m || !rtc_sdp_proto_is_rtp(m->proto))
    return NULL;
  return m;
}

/* The answer (or provisional answer) in effect, and whether it is ours. */
static const rtc_sdp_session* answer_in_effect(const rtc_peer_connection* pc,
                                               bool* local) {
  *local = false;
  if (pc->pending_local && pc->pending_local_type == RTC_SDP_PRANSWER) {
    *local = true;
    return pc->pending_local;
  }
  if (pc->pending_remote && pc->pending_remote_type == RTC_SDP_PRANSWER)
    return pc->pending_remote;
  if (pc->current_local && pc->current_local_type == RTC_SDP_ANSWER) {
    *local = true;
    return pc->current_local;
  }
  if (pc->current_remote && pc->current_remote_type == RTC_SDP_ANSWER)
    return pc->current_remote;
  return NULL;
}

/* The description webrtc-pc's "process remote tracks" last ran with for
 * the descriptions in effect: a remote offer or provisional answer while
 * one is pending (our provisional answer once we sent one), else the
 * answer that completed the last exchange (ours, which only narrows what
 * the remote offer said, or the remote one). Its direction is
 * [[FiredDirection]]; the stream ids come from the remote description
 * (an answer of ours carries our own a=msid lines). */
/* Whether any media section of `s` has an a=msid line. */
static bool any_msid(const rtc_sdp_session* s) {
  for (size_t i = 0; s && i < s->num_media; i++) {
    if (s->media[i]->num_msids)
      return true;
  }
  return false;
}

static const rtc_sdp_session* fired_description(const rtc_peer_connection* pc,
                                                bool* local,
                                                const rtc_sdp_session** msids) {
  *local = false;
  if (pc->pending_local && pc->pending_local_type == RTC_SDP_PRANSWER) {
    *local = true;
    *msids = pc->pending_remote;
    return pc->pending_local;
  }
  if (pc->pending_remote) {
    *msids = pc->pending_remote;
    return pc->pending_remote;
  }
  if (pc->current_local && pc->current_local_type == RTC_SDP_ANSWER) {
    *local = true;
    *msids = pc->current_remote;
    return pc->current_local;
  }
  *msids = pc->current_remote;
  return pc->current_remote;
}

/* --- Negotiated parameters (getParameters) --- */

/* Our codec for the description's rtpmap `r` in `m` (RTX only for a codec
 * that is listed before it), or NULL. */
static const codec_def* supported_codec(const rtc_sdp_media* m,
                                        const rtc_sdp_rtpmap* r,
                                        rtc_media_kind kind) {
  for (size_t i = 0; i < CODEC_COUNT; i++) {
    const codec_def* d = &kCodecs[i];
    if (d->kind != kind)
      continue;
    if (!d->apt) {
      if (matches(d, r, m))
        return d;
      continue;
    }
    if (strcasecmp(r->encoding, "rtx") != 0 || r->clock_rate != d->clock_rate)
      continue;
    return d;
  }
  return NULL;
}

static bool lists_fmt(const rtc_sdp_media* m, const char* fmt) {
  for (size_t i = 0; i < m->num_fmts; i++) {
    if (strcmp(m->fmts[i], fmt) == 0)
      return true;
  }
  return false;
}

/* The codecs and extensions of `m` that the answer's section `answer`
 * also lists (the same section when `m` is the answer). */
static void negotiated_from(const rtc_sdp_media* m,
                            const rtc_sdp_media* answer,
                            rtc_media_kind kind,
                            rtc_rtp_negotiated* out) {
  const size_t max_codecs = sizeof(out->codecs) / sizeof(out->codecs[0]);
  for (size_t f = 0; f < m->num_fmts && out->codec_count < max_codecs; f++) {
    if (!lists_fmt(answer, m->fmts[f]))
      continue;
    const rtc_sdp_rtpmap* r = NULL;
    for (size_t k = 0; k < m->num_rtpmaps && !r; k++) {
      char pt[8];
      snprintf(pt, sizeof(pt), "%u", m->rtpmaps[k].pt);
      if (strcmp(pt, m->fmts[f]) == 0)
        r = &m->rtpmaps[k];
    }
    const codec_def* d = r ? supported_codec(m, r, kind) : NULL;
    if (!d)
      continue;
    rtc_rtp_codec_parameters* c = &out->codecs[out->codec_count++];
    memset(c, 0, sizeof(*c));
    c->payload_type = r->pt;
    snprintf(c->codec.mime_type, sizeof(c->codec.mime_type), "%s/%s",
             rtc_media_kind_name(kind), d->name);
    c->codec.clock_rate = r->clock_rate;
    if (kind == RTC_MEDIA_AUDIO)
      c->codec.channels = (uint16_t)(r->channels ? r->channels : 1);
    const rtc_sdp_fmtp* fmtp = rtc_sdp_media_find_fmtp(m, r->pt);
    if (fmtp)
      snprintf(c->codec.sdp_fmtp_line, sizeof(c->codec.sdp_fmtp_line), "%s",
               fmtp->params);
  }
  /* RTX only where the codec it repairs was kept (RFC 4588 §8.6). */
  size_t kept = 0;
  for (size_t i = 0; i < out->codec_count; i++) {
    rtc_rtp_codec_parameters* c = &out->codecs[i];
    bool keep = true;
    if (strcasecmp(c->codec.mime_type + strlen(rtc_media_kind_name(kind)) + 1,
                   "rtx") == 0) {
      const char* v;
      size_t len;
      unsigned apt = 0;
      keep = false;
      if (rtc_sdp_fmtp_param(c->codec.sdp_fmtp_line, "apt", &v, &len) &&
          len > 0 && len <= 3) {
        for (size_t k = 0; k < len && v[k] >= '0' && v[k] <= '9'; k++)
          apt = apt * 10 + (unsigned)(v[k] - '0');
        for (size_t k = 0; k < out->codec_count && !keep; k++)
          keep = k != i && out->codecs[k].payload_type == apt;
      }
    }
    if (keep)
      out->codecs[kept++] = *c;
  }
  out->codec_count = kept;
  const size_t max_ext = sizeof(out->extensions) / sizeof(out->extensions[0]);
  for (size_t i = 0; i < m->num_extmaps && out->extension_count < max_ext;
       i++) {
    bool ours = false;
    for (size_t k = 0; k < EXTENSION_COUNT && !ours; k++)
      ours = kExtensions[k].kind == kind &&
             strcmp(kExtensions[k].uri, m->extmaps[i].uri) == 0;
    if (!ours || extmap_id(answer, m->extmaps[i].uri) != m->extmaps[i].id)
      continue;
    rtc_rtp_header_extension_parameters* e =
        &out->extensions[out->extension_count++];
    memset(e, 0, sizeof(*e));
    snprintf(e->uri, sizeof(e->uri), "%s", m->extmaps[i].uri);
    e->id = m->extmaps[i].id;
  }
  out->reduced_size = answer->rtcp_rsize;
}

void rtc_rtp_transceiver_negotiated(const rtc_rtp_transceiver* t,
                                    bool send,
                                    rtc_rtp_negotiated* out) {
  memset(out, 0, sizeof(*out));
  /* webrtc-pc §5.2 getParameters(): "rtcp.cname is set to the CNAME of
   * the associated RTCPeerConnection" (the receiver's is left undefined). */
  _Static_assert(sizeof(out->cname) >= sizeof(t->cname), "the CNAME fits");
  if (send)
    memcpy(out->cname, t->cname, sizeof(t->cname));
  const rtc_peer_connection* pc = t->pc;
  if (!pc || t->stopped)
    return;
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  bool local;
  const rtc_sdp_session* s;
  /* webrtc-pc §4.4.1.6, answer or pranswer: "Set
   * transceiver.[[Sender]].[[SendCodecs]] to the codecs that description
   * negotiates for sending". For every description: "Set ...
   * [[ReceiveCodecs]] to the codecs that description negotiates for
   * receiving ... If the direction is "sendonly" or "inactive", ... the
   * list will be empty." An offer on its own negotiates nothing (browsers
   * and WPT RTCRtpParameters-codecs: no receiver codecs in
   * have-local-offer or have-remote-offer), so both come from the answer
   * or provisional answer in effect; while a new offer is pending, the
   * last exchange's stay (a rollback restores them anyway). */
  s = answer_in_effect(pc, &local);
  const rtc_sdp_media* m = section_of(s, t);
  if (!m || section_rejected(m))
    return;
  if (!send) {
    rtc_transceiver_direction d = section_direction(s, m);
    if (!has_recv(local ? d : reversed(d)))
      return;
  }
  /* Each side's payload types and format parameters are what it receives
   * (RFC 3264 §5.1; RFC 7741 §6.1: max-fr and max-fs say what the
   * receiver can decode): the send codecs are the remote description's,
   * "in the priority order indicated by the remote description" (webrtc-pc
   * getParameters), the receive codecs the local description's, both
   * limited to what the answer kept. The offer paired with an answer is
   * the other side's description of the same exchange. */
  const rtc_sdp_session* offer =
      s == pc->pending_local || s == pc->pending_remote
          ? (local ? pc->pending_remote : pc->pending_local)
          : (local ? pc->current_remote : pc->current_local);
  const rtc_sdp_media* om = section_of(offer, t);
  const rtc_sdp_media* from = send == local && om ? om : m;
  negotiated_from(from, m, t->kind, out);
}

/* --- Remote tracks (transceiver_internal.h) --- */

typedef struct receiver_state {
  rtc_rtp_transceiver* t; /* referenced */
  bool receiving;         /* [[FiredDirection]] has recv */
  bool stopped;
  const char** stream_ids; /* in the arena */
  size_t stream_id_count;
} receiver_state;

struct pc_remote_tracks {
  rtc_arena arena;
  receiver_state* states;
  size_t count;
};

static bool has_stream(const receiver_state* s, const char* id) {
  for (size_t i = 0; i < s->stream_id_count; i++) {
    if (strcmp(s->stream_ids[i], id) == 0)
      return true;
  }
  return false;
}

/* Appends a copy of stream id `id` to out->stream_ids (room for it
 * allocated by the caller) unless it is there already. */
static rtc_error add_stream_id(rtc_arena* arena,
                               receiver_state* out,
                               const char* id) {
  if (has_stream(out, id))
    return RTC_OK;
  const char* copy = rtc_arena_strdup(arena, id);
  if (!copy)
    return RTC_ERR_NO_MEMORY;
  out->stream_ids[out->stream_id_count++] = copy;
  return RTC_OK;
}

/* The stream id of a source-level msid (a=ssrc:<ssrc> msid:<stream>
 * [<track>], the form of draft-ietf-mmusic-msid before RFC 8830, still sent
 * by Plan B era peers) into `id` (of `size` bytes), or false. */
static bool source_msid_stream(const rtc_sdp_ssrc* a, char* id, size_t size) {
  if (!a->attribute || strcmp(a->attribute, "msid") != 0 || !a->value)
    return false;
  size_t len = strcspn(a->value, " ");
  if (len == 0 || len >= size)
    return false;
  memcpy(id, a->value, len);
  id[len] = '\0';
  return strcmp(id, "-") != 0;
}

static bool has_source_level_msid(const rtc_sdp_media* m) {
  char id[256];
  for (size_t i = 0; i < m->num_ssrcs; i++) {
    if (source_msid_stream(&m->ssrcs[i], id, sizeof(id)))
      return true;
  }
  return false;
}

/* Chromium and Firefox read the streams from the source-level msid when a
 * media section has no media-level a=msid (RFC 8830 §2 replaced it, and
 * takes precedence when both are there). Each stream id once, in order. */
static rtc_error source_level_streams(const rtc_sdp_media* m,
                                      rtc_arena* arena,
                                      receiver_state* out) {
  out->stream_ids = rtc_arena_alloc_array(arena, m->num_ssrcs, sizeof(char*));
  if (!out->stream_ids)
    return RTC_ERR_NO_MEMORY;
  char id[256];
  for (size_t i = 0; i < m->num_ssrcs; i++) {
    if (!source_msid_stream(&m->ssrcs[i], id, sizeof(id)))
      continue;
    rtc_error err = add_stream_id(arena, out, id);
    if (err != RTC_OK)
      return err;
  }
  return RTC_OK;
}

/* t's state under the descriptions in effect (strings copied into
 * `arena`). Errors: RTC_ERR_NO_MEMORY. */
static rtc_error receiver_state_of(rtc_peer_connection* pc,
                                   rtc_rtp_transceiver* t,
                                   rtc_arena* arena,
                                   receiver_state* out) {
  memset(out, 0, sizeof(*out));
  out->t = t;
  out->stopped = t->stopped;
  if (!pc)
    return RTC_OK;
  bool local;
  const rtc_sdp_session* msid_source;
  const rtc_sdp_session* s = fired_description(pc, &local, &msid_source);
  const rtc_sdp_media* m = section_of(s, t);
  if (!m || section_rejected(m))
    return RTC_OK;
  rtc_transceiver_direction d = section_direction(s, m);
  if (!has_recv(local ? d : reversed(d)))
    return RTC_OK;
  out->receiving = true;
  /* webrtc-pc §4.4.1.6: "let msids be a list of the MSIDs that the media
   * description indicates transceiver.[[Receiver]].[[ReceiverTrack]] is
   * to be associated with" (RFC 8830 §2: "-" is no stream). */
  const rtc_sdp_media* mm = section_of(msid_source, t);
  size_t n = mm ? mm->num_msids : 0;
  if (n == 0 && mm && has_source_level_msid(mm))
    return source_level_streams(mm, arena, out);
  if (n == 0) {
    /* RFC 8830 §3.2 and JSEP §5.10 for a peer that signals no MSID at all
     * (no a=msid in any media section; a=msid:- is "no stream"): the
     * track belongs to a default MediaStream, one per connection, whose
     * id is random (as in Chromium), not to none. */
    if (!mm || any_msid(msid_source))
      return RTC_OK;
    if (!pc->default_stream_id[0])
      rtc_random_uuid_v4(pc->default_stream_id);
    out->stream_ids = rtc_arena_alloc_array(arena, 1, sizeof(char*));
    if (!out->stream_ids)
      return RTC_ERR_NO_MEMORY;
    out->stream_ids[0] = pc->default_stream_id;
    out->stream_id_count = 1;
    return RTC_OK;
  }
  out->stream_ids = rtc_arena_alloc_array(arena, n, sizeof(char*));
  if (!out->stream_ids)
    return RTC_ERR_NO_MEMORY;
  for (size_t i = 0; i < n; i++) {
    const char* id = mm->msids[i].stream_id;
    if (!id || !id[0] || strcmp(id, "-") == 0)
      continue;
    rtc_error err = add_stream_id(arena, out, id);
    if (err != RTC_OK)
      return err;
  }
  return RTC_OK;
}

static void free_remote_tracks(pc_remote_tracks* r) {
  for (size_t i = 0; i < r->count; i++)
    rtc_rtp_transceiver_unref(r->states[i].t);
  rtc_arena_reset(&r->arena);
  rtc_free(r);
}

rtc_error pc_remote_tracks_begin(rtc_peer_connection* pc,
                                 pc_remote_tracks** out) {
  *out = NULL;
  pc_remote_tracks* r = rtc_calloc(1, sizeof(*r));
  if (!r)
    return RTC_ERR_NO_MEMORY;
  rtc_arena_init(&r->arena, 0);
  if (pc->transceiver_count) {
    r->states = rtc_arena_alloc_array(&r->arena, pc->transceiver_count,
                                      sizeof(receiver_state));
    if (!r->states) {
      free_remote_tracks(r);
      return RTC_ERR_NO_MEMORY;
    }
  }
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    rtc_rtp_transceiver* t = pc->transceivers[i];
    rtc_error err = receiver_state_of(pc, t, &r->arena, &r->states[i]);
    r->states[i].t = NULL;
    if (err != RTC_OK) {
      free_remote_tracks(r);
      return err;
    }
    rtc_rtp_transceiver_ref(t);
    r->states[i].t = t;
    r->count++;
  }
  *out = r;
  return RTC_OK;
}

/* The update for a transceiver whose state went from `before` (NULL: it
 * is new) to `after`; false when nothing changed. */
static bool remote_track_update(const receiver_state* before,
                                const receiver_state* after,
                                rtc_remote_track_update* u) {
  static const receiver_state kNone = {0};
  if (!before)
    before = &kNone;
  memset(u, 0, sizeof(*u));
  u->transceiver = after->t;
  u->stream_ids = after->stream_ids;
  u->stream_id_count = after->stream_id_count;
  /* "Set the associated remote streams": the pairs of removeList and
   * addList. */
  bool removed_stream = false, added_stream = false;
  for (size_t i = 0; i < before->stream_id_count; i++)
    removed_stream |= !has_stream(after, before->stream_ids[i]);
  for (size_t i = 0; i < after->stream_id_count; i++)
    added_stream |= !has_stream(before, after->stream_ids[i]);
  /* webrtc-pc §5.1.1 "process remote tracks": "If direction is
   * "sendrecv" or "recvonly" and transceiver.[[FiredDirection]] is
   * neither "sendrecv" nor "recvonly", or the previous step increased the
   * length of addList, process the addition of a remote track". */
  u->add_track = after->receiving && (!before->receiving || added_stream);
  /* "If direction is "sendonly" or "inactive", and
   * transceiver.[[FiredDirection]] is either "sendrecv" or "recvonly",
   * process the removal of a remote track". */
  u->remove_track = !after->receiving && before->receiving;
  u->stopped = after->stopped && !before->stopped;
  return removed_stream || added_stream || u->add_track || u->remove_track ||
         u->stopped;
}

static void report_remote_tracks(rtc_peer_connection* pc,
                                 pc_remote_tracks* before) {
  size_t total = pc->transceiver_count + before->count;
  if (total == 0)
    return;
  receiver_state* after =
      rtc_arena_alloc_array(&before->arena, total, sizeof(receiver_state));
  rtc_remote_track_update* updates = rtc_arena_alloc_array(
      &before->arena, total, sizeof(rtc_remote_track_update));
  if (!after || !updates)
    goto no_memory;
  size_t n = 0;
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    rtc_rtp_transceiver* t = pc->transceivers[i];
    const receiver_state* was = NULL;
    for (size_t k = 0; k < before->count && !was; k++) {
      if (before->states[k].t == t)
        was = &before->states[k];
    }
    if (receiver_state_of(pc, t, &before->arena, &after[i]) != RTC_OK)
      goto no_memory;
    if (remote_track_update(was, &after[i], &updates[n]))
      n++;
  }
  /* Transceivers the description removed (a rolled-back remote offer's):
   * they receive nothing any more. */
  for (size_t k = 0; k < before->count; k++) {
    rtc_rtp_transceiver* t = before->states[k].t;
    bool kept = false;
    for (size_t i = 0; i < pc->transceiver_count && !kept; i++)
      kept = pc->transceivers[i] == t;
    if (kept)
      continue;
    receiver_state gone = {.t = t, .stopped = t->stopped};
    if (remote_track_update(&before->states[k], &gone, &updates[n]))
      n++;
  }
  if (n > 0)
    pc->observer->on_remote_tracks(pc->user, updates, n);
  return;
no_memory:
  RTC_LOG(WARNING, "out of memory: remote track changes not reported");
}

void pc_remote_tracks_finish(rtc_peer_connection* pc,
                             pc_remote_tracks* before,
                             bool applied) {
  /* webrtc-pc addTrack: "the [[CurrentDirection]] slot ... has never had
   * a value of "sendrecv" or "sendonly"": [[CurrentDirection]] only
   * changes when a description is applied. */
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    rtc_rtp_transceiver* t = pc->transceivers[i];
    if (t->has_current_direction && has_send(t->current_direction))
      t->used_to_send = true;
  }
  if (!before)
    return;
  if (applied && !pc->closed && pc->observer->on_remote_tracks)
    report_remote_tracks(pc, before);
  free_remote_tracks(before);
}
