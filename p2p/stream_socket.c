/*
 * The stream socket interface's dispatch (see stream_socket.h).
 */
#include "p2p/stream_socket.h"

#include "rtc_base/checks.h"

rtc_error rtc_stream_socket_send(rtc_stream_socket* socket,
                                 const uint8_t* data,
                                 size_t size,
                                 size_t* accepted) {
  RTC_DCHECK(rtc_task_queue_is_current(socket->queue));
  size_t ignored;
  if (!accepted)
    accepted = &ignored;
  *accepted = 0;
  if (!data && size > 0)
    return RTC_ERR_INVALID_ARGUMENT;
  return socket->vtable->send(socket, data, size, accepted);
}

rtc_error rtc_stream_socket_local_address(rtc_stream_socket* socket,
                                          rtc_socket_address* out) {
  return socket->vtable->local_address(socket, out);
}

rtc_error rtc_stream_socket_remote_address(rtc_stream_socket* socket,
                                           rtc_socket_address* out) {
  return socket->vtable->remote_address(socket, out);
}

void rtc_stream_socket_set_observer(rtc_stream_socket* socket,
                                    const rtc_stream_socket_observer* observer,
                                    void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(socket->queue));
  RTC_CHECK(observer && observer->on_data && observer->on_closed);
  socket->observer = observer;
  socket->observer_user = user;
}

void rtc_stream_socket_destroy(rtc_stream_socket* socket) {
  if (socket)
    socket->vtable->destroy(socket);
}

rtc_error rtc_stream_listener_local_address(rtc_stream_listener* listener,
                                            rtc_socket_address* out) {
  return listener->vtable->local_address(listener, out);
}

void rtc_stream_listener_destroy(rtc_stream_listener* listener) {
  if (listener)
    listener->vtable->destroy(listener);
}
