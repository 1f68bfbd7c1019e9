#include "p2p/packet_socket.h"

#include "rtc_base/checks.h"

rtc_error rtc_packet_socket_send(rtc_packet_socket* socket,
                                 const rtc_outgoing_packet* packets,
                                 size_t count,
                                 size_t* sent) {
  size_t ignored;
  RTC_DCHECK(rtc_task_queue_is_current(socket->queue));
  return socket->vtable->send(socket, packets, count, sent ? sent : &ignored);
}

rtc_error rtc_packet_socket_send_to(rtc_packet_socket* socket,
                                    const uint8_t* data,
                                    size_t size,
                                    const rtc_socket_address* destination) {
  rtc_outgoing_packet packet = {data, size, *destination};
  return rtc_packet_socket_send(socket, &packet, 1, NULL);
}

rtc_error rtc_packet_socket_local_address(rtc_packet_socket* socket,
                                          rtc_socket_address* out) {
  return socket->vtable->local_address(socket, out);
}

void rtc_packet_socket_destroy(rtc_packet_socket* socket) {
  if (!socket)
    return;
  RTC_DCHECK(rtc_task_queue_is_current(socket->queue));
  socket->vtable->destroy(socket);
}
