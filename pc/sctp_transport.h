/*
 * SCTP over DTLS (RFC 8261) with usrsctp, and the data channels on it
 * (RFC 8831, DCEP RFC 8832): the network-thread half of RTCSctpTransport
 * and RTCDataChannel. The peer connection keeps the JavaScript-facing
 * objects on the signaling thread and talks to this through tasks.
 *
 * usrsctp is used with AF_CONN sockets and without its own threads
 * (usrsctp_init_nothreads): its timers are driven from task queues through
 * one process-wide timer, and every callback it makes is handed to the
 * owning transport's queue. One association per transport.
 *
 * Channels: a stream id per channel; ids are chosen by the caller (the
 * peer connection picks even ids as DTLS client, odd as server, RFC 8832
 * §6). In-band channels send DATA_CHANNEL_OPEN and are open when the ACK
 * comes; the peer's OPEN is answered with an ACK at once. Negotiated
 * channels are open as soon as the association is. Channels opened before
 * the association exists wait and are announced once it does.
 *
 * Messages: PPID 51/53 for strings/binary, 56/57 for empty ones (RFC 8831
 * §6.6), sent as one SCTP message each (explicit EOR), up to the smaller of
 * our and the peer's max-message-size; ordered or not, with partial
 * reliability (PR-SCTP rtx or ttl) as the channel says. Closing resets the
 * outgoing stream (RFC 8831 §6.7); when the peer resets its stream we reset
 * ours and the channel is closed.
 *
 * Threads: one task queue (the network thread).
 */
#ifndef PC_SCTP_TRANSPORT_H_
#define PC_SCTP_TRANSPORT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_sctp_transport rtc_sctp_transport;

/* RTCSctpTransportState */
typedef enum rtc_sctp_state {
  RTC_SCTP_NEW = 0, /* not started (not a webrtc-pc state: "connecting") */
  RTC_SCTP_CONNECTING,
  RTC_SCTP_CONNECTED,
  RTC_SCTP_CLOSED,
} rtc_sctp_state;

#define RTC_SCTP_DEFAULT_PORT 5000
/* What we advertise in a=max-message-size. */
#define RTC_SCTP_MAX_MESSAGE_SIZE (256 * 1024)
/* The largest stream id + 1 (RFC 8831: 65535 is reserved). */
#define RTC_SCTP_MAX_STREAMS 65535
/* The streams we announce each way (the INIT's OS and MIS) unless a channel
 * made before the association starts needs more: then its id + 1, up to
 * RTC_SCTP_MAX_STREAMS. usrsctp allocates about 104 bytes per stream pair
 * up front, whatever is used: 65,535 streams cost 6.7 MiB and half of the
 * setup time of an association, 1,024 streams 104 KiB. libwebrtc announced
 * 1,024 for as long as it used usrsctp, as libdatachannel does; RFC 8831
 * §6.2 asks for 65,535 with a SHOULD. The association keeps what was
 * negotiated: channels with a higher id are closed when it comes up
 * (webrtc-pc: RTCSctpTransport.maxChannels). */
#define RTC_SCTP_DEFAULT_STREAMS 1024
/* SO_SNDBUF and SO_RCVBUF of the usrsctp socket. */
#define RTC_SCTP_SOCKET_BUFFER (1 << 20)

typedef struct rtc_data_channel_params {
  const char* label;    /* UTF-8, may be empty */
  const char* protocol; /* UTF-8, may be empty */
  bool ordered;
  int32_t max_retransmits;     /* -1: not set */
  int32_t max_packet_lifetime; /* ms, -1: not set */
  uint16_t priority;           /* RFC 8832 priority value; 256 = normal */
  bool negotiated;
} rtc_data_channel_params;

/* A data channel message: rtc_sctp_message_new below. */
typedef struct rtc_sctp_pending rtc_sctp_message;

/* What the taker of a received message keeps with it on its way on
 * (pc/peer_connection.c: its bridge, the stream and the type, to the
 * signaling thread), in the message itself: handing it on then needs no
 * memory, whose lack would lose the message (rtc_sctp_message_tag_of). */
typedef struct rtc_sctp_message_tag {
  void* owner;
  uint16_t stream_id;
  bool binary;
} rtc_sctp_message_tag;

typedef struct rtc_sctp_transport_observer {
  void (*on_state)(void* user, rtc_sctp_state state);
  /* The peer opened a channel in-band (we have already ACKed it).
   * `params` strings are valid during the call. */
  void (*on_channel_opened_by_peer)(void* user,
                                    uint16_t stream_id,
                                    const rtc_data_channel_params* params);
  /* A channel we opened is open (ACK received, or negotiated and the
   * association is up). */
  void (*on_channel_open)(void* user, uint16_t stream_id);
  /* A whole message from the peer, which the observer takes (and frees
   * with rtc_sctp_message_free, on any thread): its bytes are copied once on
   * the network thread, out of usrsctp. */
  void (*on_message)(void* user,
                     uint16_t stream_id,
                     bool binary,
                     rtc_sctp_message* message);
  /* The channel's bytes queued for sending went down (to `amount`). */
  void (*on_buffered_amount)(void* user, uint16_t stream_id, size_t amount);
  /* Both directions of the stream are reset: the channel is closed. */
  void (*on_channel_closed)(void* user, uint16_t stream_id);
  /* The association failed or was aborted (RTCError sctp-failure). */
  void (*on_error)(void* user, const rtc_error_info* error);
} rtc_sctp_transport_observer;

/* Sends one packet inside DTLS. */
typedef rtc_error (*rtc_sctp_send_fn)(void* user,
                                      const uint8_t* data,
                                      size_t size);

typedef struct rtc_sctp_transport_config {
  rtc_sctp_send_fn send;
  void* send_user;
  uint16_t local_port;       /* a=sctp-port, default 5000 */
  uint32_t max_message_size; /* ours, default 256 KiB */
  /* Per-channel send buffer limit beyond which sends are refused
   * (webrtc-pc "bufferedAmount would exceed": the caller throws); default
   * 16 MiB. */
  size_t max_buffered_amount;
} rtc_sctp_transport_config;

void rtc_sctp_transport_config_init(rtc_sctp_transport_config* config);

/* Errors: RTC_ERR_INVALID_ARGUMENT, RTC_ERR_NO_MEMORY, RTC_ERR_SCTP_FAILURE
 * (usrsctp refused). */
rtc_error rtc_sctp_transport_create(rtc_task_queue* queue,
                                    const rtc_sctp_transport_config* config,
                                    const rtc_sctp_transport_observer* observer,
                                    void* user,
                                    rtc_sctp_transport** out);
/* Aborts the association if up; no callback after it returns. */
void rtc_sctp_transport_destroy(rtc_sctp_transport* transport);

/* Starts the association once DTLS is connected. remote_max_message_size:
 * the peer's a=max-message-size (0: the peer said nothing: 64 KiB, RFC
 * 8841 §6.1). Errors: RTC_ERR_INVALID_STATE (already started). */
rtc_error rtc_sctp_transport_start(rtc_sctp_transport* transport,
                                   uint16_t remote_port,
                                   uint64_t remote_max_message_size);
/* The DTLS role of the connection under the association, once known
 * (before rtc_sctp_transport_start): RFC 8832 §6, "the DTLS client MUST
 * use streams with an even stream identifier, the DTLS server MUST use
 * streams with an odd stream identifier". From then on, an OPEN from the
 * peer on a stream of our parity is refused (the stream is reset). Without
 * it, OPENs on any stream are accepted. Owner queue. */
void rtc_sctp_transport_set_dtls_role(rtc_sctp_transport* transport,
                                      bool dtls_client);
/* A packet from DTLS. */
void rtc_sctp_transport_receive(rtc_sctp_transport* transport,
                                const uint8_t* data,
                                size_t size);

rtc_sctp_state rtc_sctp_transport_state(const rtc_sctp_transport* transport);
/* min(ours, peer's) once started; ours before. */
uint64_t rtc_sctp_transport_max_message_size(
    const rtc_sctp_transport* transport);
/* The negotiated number of outgoing streams (RTCSctpTransport.maxChannels),
 * 0 before connecting. */
uint16_t rtc_sctp_transport_max_channels(const rtc_sctp_transport* transport);

/* Opens a channel on stream_id (in-band unless params->negotiated).
 * Errors: RTC_ERR_INVALID_ARGUMENT (both max_retransmits and
 * max_packet_lifetime set), RTC_ERR_INVALID_STATE (stream in use),
 * RTC_ERR_NO_MEMORY. */
rtc_error rtc_sctp_transport_open_channel(
    rtc_sctp_transport* transport,
    uint16_t stream_id,
    const rtc_data_channel_params* params);
/* A message to send whose bytes the caller writes in place, on any thread
 * (the signaling thread, where the application's bytes are), so that the
 * network thread does not copy them again: rtc_sctp_transport_send_message
 * takes it. `size` may be 0 (an empty message). Made, written and freed
 * (rtc_sctp_message_free, if it is not sent) on any thread; NULL without
 * memory. (transfer full) */
rtc_sctp_message* rtc_sctp_message_new(size_t size);
/* Its `size` bytes, to be written before it is sent. */
uint8_t* rtc_sctp_message_data(rtc_sctp_message* message);
/* The `size` it was made with. */
size_t rtc_sctp_message_size(const rtc_sctp_message* message);
void rtc_sctp_message_free(rtc_sctp_message* message);
/* The message's tag, zeroed when it is made, for its taker's use. */
rtc_sctp_message_tag* rtc_sctp_message_tag_of(rtc_sctp_message* message);
/* The transport's queue. rtc_sctp_transport_send for a message made by
 * rtc_sctp_message_new (transfer full: taken whatever it returns; NULL is
 * RTC_ERR_INVALID_ARGUMENT). */
rtc_error rtc_sctp_transport_send_message(rtc_sctp_transport* transport,
                                          uint16_t stream_id,
                                          bool binary,
                                          rtc_sctp_message* message);
/* Queues a message (a copy of `data`). Errors: RTC_ERR_INVALID_STATE (channel
 * not open), RTC_ERR_INVALID_ARGUMENT (larger than the max message size),
 * RTC_ERR_OPERATION (the channel's buffer is full). */
rtc_error rtc_sctp_transport_send(rtc_sctp_transport* transport,
                                  uint16_t stream_id,
                                  bool binary,
                                  const uint8_t* data,
                                  size_t size);
/* Holds the messages queued from now on until rtc_sctp_transport_uncork,
 * which hands them to usrsctp together: small messages then share SCTP
 * packets (and DTLS records, datagrams, SACKs) where each went in its own
 * when handed over one by one. The last of them goes with SCTP_NODELAY, so
 * nothing waits once uncorked. For a run of sends made in one task.
 * Uncork calls the observer for the events pending (among them the
 * buffered amounts these sends brought down) before it returns, as
 * receiving a packet does; the observer may destroy the transport there. */
void rtc_sctp_transport_cork(rtc_sctp_transport* transport);
void rtc_sctp_transport_uncork(rtc_sctp_transport* transport);
/* Bytes queued on the channel and not yet handed to SCTP. */
size_t rtc_sctp_transport_buffered_amount(const rtc_sctp_transport* transport,
                                          uint16_t stream_id);
/* The channel's user bytes handed to SCTP since it was opened (0: no such
 * channel). Its bytes queued so far, less this, are the buffered amount. */
uint64_t rtc_sctp_transport_bytes_sent(const rtc_sctp_transport* transport,
                                       uint16_t stream_id);
/* Starts closing: resets the outgoing stream once the queue drained
 * (RFC 8831 §6.7). on_channel_closed follows. */
rtc_error rtc_sctp_transport_close_channel(rtc_sctp_transport* transport,
                                           uint16_t stream_id);

/* A check rtc_sctp_transport_receive() makes (exposed for its tests):
 * false when a packet from the peer has an INIT or INIT ACK chunk with a
 * parameter shorter than its own 4-byte header or running past its chunk
 * (RFC 9260 §3.2.1): such a packet is dropped before usrsctp sees it
 * (usrsctp 0.9.5 loops forever on a zero-length one). Other malformations
 * are left to usrsctp. Any thread. */
bool rtc_sctp_packet_params_valid(const uint8_t* data, size_t size);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_SCTP_TRANSPORT_H_
