/*
 * RTCDataChannel (webrtc-pc §6.2) as a C API.
 *
 * A channel is reference-counted: the peer connection holds one reference
 * while the channel is not closed, the embedder holds its own. Calls and
 * callbacks happen on the peer connection's signaling queue.
 */
#ifndef API_RTC_DATA_CHANNEL_H_
#define API_RTC_DATA_CHANNEL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_data_channel rtc_data_channel;

/* RTCDataChannelState */
typedef enum rtc_data_channel_state {
  RTC_DATA_CHANNEL_CONNECTING = 0,
  RTC_DATA_CHANNEL_OPEN,
  RTC_DATA_CHANNEL_CLOSING,
  RTC_DATA_CHANNEL_CLOSED,
} rtc_data_channel_state;

const char* rtc_data_channel_state_name(rtc_data_channel_state state);

/* RTCDataChannelInit; -1 means "not present" for the optional numbers. */
typedef struct rtc_data_channel_init {
  bool ordered;                /* default true */
  int32_t max_packet_lifetime; /* [EnforceRange] unsigned short, or -1 */
  int32_t max_retransmits;     /* [EnforceRange] unsigned short, or -1 */
  const char* protocol;        /* default "" */
  bool negotiated;             /* default false */
  int32_t id;                  /* [EnforceRange] unsigned short, or -1 */
  /* RTCPriorityType: "very-low", "low" (default), "medium", "high". */
  const char* priority;
} rtc_data_channel_init;

void rtc_data_channel_init_defaults(rtc_data_channel_init* init);

typedef struct rtc_data_channel_observer {
  void (*on_open)(void* user);
  void (*on_message)(void* user, bool binary, const uint8_t* data, size_t size);
  void (*on_buffered_amount_low)(void* user);
  /* RTCErrorEvent with errorDetail "data-channel-failure" or
   * "sctp-failure". */
  void (*on_error)(void* user, const rtc_error_info* error);
  void (*on_closing)(void* user);
  void (*on_close)(void* user);
} rtc_data_channel_observer;

/* Sets (or clears, with NULL) the observer; events that happened before
 * are not replayed (except that a channel announced through
 * on_data_channel fires no event before the embedder can set one: they are
 * queued as tasks). */
void rtc_data_channel_set_observer(rtc_data_channel* channel,
                                   const rtc_data_channel_observer* observer,
                                   void* user);

void rtc_data_channel_ref(rtc_data_channel* channel);
void rtc_data_channel_unref(rtc_data_channel* channel);

/* Attributes. `label` and `protocol`: (transfer none) UTF-8, valid while
 * the channel lives. */
const char* rtc_data_channel_label(const rtc_data_channel* channel);
const char* rtc_data_channel_protocol(const rtc_data_channel* channel);
bool rtc_data_channel_ordered(const rtc_data_channel* channel);
int32_t rtc_data_channel_max_packet_lifetime(const rtc_data_channel* channel);
int32_t rtc_data_channel_max_retransmits(const rtc_data_channel* channel);
bool rtc_data_channel_negotiated(const rtc_data_channel* channel);
/* -1 while null (in-band channel before the DTLS role is known). */
int32_t rtc_data_channel_id(const rtc_data_channel* channel);
const char* rtc_data_channel_priority(const rtc_data_channel* channel);
rtc_data_channel_state rtc_data_channel_ready_state(
    const rtc_data_channel* channel);
uint64_t rtc_data_channel_buffered_amount(const rtc_data_channel* channel);
uint64_t rtc_data_channel_buffered_amount_low_threshold(
    const rtc_data_channel* channel);
void rtc_data_channel_set_buffered_amount_low_threshold(
    rtc_data_channel* channel,
    uint64_t threshold);

/* webrtc-pc send(). Errors: RTC_ERR_INVALID_STATE (InvalidStateError: not
 * open), RTC_ERR_INVALID_ARGUMENT (TypeError: larger than the SCTP
 * transport's maxMessageSize), RTC_ERR_OPERATION (OperationError: the send
 * buffer is full; the channel stays open). */
rtc_error rtc_data_channel_send(rtc_data_channel* channel,
                                bool binary,
                                const uint8_t* data,
                                size_t size);
/* The checks of send() for a message of `size` bytes without sending it,
 * as if `extra_buffered` more bytes were in bufferedAmount (bytes the
 * caller holds to send first, such as a Blob being read): the errors of
 * rtc_data_channel_send, RTC_OK when it would take the message. */
rtc_error rtc_data_channel_check_send(const rtc_data_channel* channel,
                                      uint64_t size,
                                      uint64_t extra_buffered);

/* webrtc-pc close(): closing, then closed once the stream is reset. */
void rtc_data_channel_close(rtc_data_channel* channel);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // API_RTC_DATA_CHANNEL_H_
