/*
 * RFC 4571 framing: a packet socket over one stream connection, each
 * packet sent as a 16-bit length (network order) and the packet (RFC 4571
 * §2), as ICE-TCP candidates carry STUN, DTLS and RTP (RFC 6544 §3).
 *
 * The framed socket takes the stream socket over (its observer is
 * replaced) and destroys it with itself. Packets go only to the peer of
 * the connection; they arrive with the peer as their source. A length
 * frame of 0 carries nothing and is skipped. Sending never splits a
 * packet: when the stream takes part of a frame, the rest waits in the
 * framed socket and further sends are refused (RTC_ERR_WOULD_BLOCK) until
 * on_writable. The connection's end or failure is on_closed. The send
 * buffer is allocated as frames need it (a large frame's is freed once
 * the stream has taken it); without memory a send gives RTC_ERR_NO_MEMORY
 * and nothing of that packet goes out.
 *
 * Threads: the stream socket's queue.
 */
#ifndef P2P_FRAMED_SOCKET_H_
#define P2P_FRAMED_SOCKET_H_

#include "p2p/packet_socket.h"
#include "p2p/stream_socket.h"
#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest packet a frame holds. */
#define RTC_FRAMED_MAX_PACKET 65535

/* (stream: transfer full, also on failure; it must know its peer's
 * address: connected, or a simulated caller; observer: on_packets
 * required) Errors: RTC_ERR_INVALID_ARGUMENT, RTC_ERR_NO_MEMORY. */
rtc_error rtc_framed_socket_create(rtc_stream_socket* stream,
                                   const rtc_packet_socket_observer* observer,
                                   void* user,
                                   rtc_packet_socket** out);

/* The stream a framed socket runs on (transfer none). */
rtc_stream_socket* rtc_framed_socket_stream(rtc_packet_socket* socket);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_FRAMED_SOCKET_H_
