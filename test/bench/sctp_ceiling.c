/*
 * The SCTP ceiling of make bench (test/bench/run.js): usrsctp alone, two
 * associations in one thread joined over AF_CONN by in-memory queues, no
 * DTLS, no ICE, no sockets. The same usrsctp (Debian's libusrsctp) and the
 * same socket options and MTU as rtcbox's SCTP transport (pc/), so that
 * rtcbox's bulk goodput can be read against what its SCTP stack does on its
 * own on this machine.
 *
 *   sctp_ceiling [message bytes (65536)] [total bytes (268435456)]
 *
 * Prints one line of JSON: {"mbps": goodput at the receiver (10^6 bytes/s,
 * start of sending to the last byte), "cpuPerGB": CPU seconds per 10^9
 * bytes, "seconds": ...}. Exits 1 when the association does not come up or
 * the data does not all arrive.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <usrsctp.h>

/* As pc/sctp_transport.c: a 1280-byte IPv6 MTU minus IPv6, UDP, DTLS and
 * TURN ChannelData overheads, less SCTP's 12-byte common header. */
#define CEILING_SCTP_MTU 1191
#define CEILING_PORT 5000
#define CEILING_STREAMS 1024            /* RTC_SCTP_DEFAULT_STREAMS */
#define CEILING_SOCKET_BUFFER (1 << 20) /* RTC_SCTP_SOCKET_BUFFER */

/* A packet on its way from one association to the other. */
typedef struct ceiling_packet {
  struct ceiling_packet* next;
  uintptr_t to;
  size_t size;
  uint8_t data[];
} ceiling_packet;

static ceiling_packet* g_head;
static ceiling_packet* g_tail;

/* usrsctp's output: queue the packet, fed back into the same usrsctp stack
 * outside this callback (as rtcbox does), which hands it to the other end
 * by its port: both ends have AF_CONN address 1, ports 5000 and 5001. */
static int conn_output(void* addr,
                       void* buffer,
                       size_t length,
                       uint8_t tos,
                       uint8_t set_df) {
  (void)tos;
  (void)set_df;
  ceiling_packet* p = malloc(sizeof(*p) + length);
  if (!p)
    return ENOMEM;
  p->next = NULL;
  p->to = (uintptr_t)addr;
  p->size = length;
  memcpy(p->data, buffer, length);
  if (g_tail)
    g_tail->next = p;
  else
    g_head = p;
  g_tail = p;
  return 0;
}

static void deliver(void) {
  while (g_head) {
    ceiling_packet* p = g_head;
    g_head = p->next;
    if (!g_head)
      g_tail = NULL;
    usrsctp_conninput((void*)p->to, p->data, p->size, 0);
    free(p);
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static struct sockaddr_conn conn_address(uint16_t port) {
  struct sockaddr_conn a;
  memset(&a, 0, sizeof(a));
  a.sconn_family = AF_CONN;
  a.sconn_port = htons(port);
  a.sconn_addr = (void*)1;
  return a;
}

/* rtcbox's options (pc/sctp_transport.c configure_socket). */
static struct socket* open_end(uint16_t port, uint16_t remote_port) {
  struct socket* s =
      usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
  if (!s)
    return NULL;
  const uint32_t on = 1;
  const int int_on = 1;
  const struct sctp_initmsg init = {CEILING_STREAMS, CEILING_STREAMS, 0, 0};
  const int buffer = CEILING_SOCKET_BUFFER;
  if (usrsctp_set_non_blocking(s, 1) < 0 ||
      usrsctp_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer)) <
          0 ||
      usrsctp_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer)) <
          0 ||
      usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on)) < 0 ||
      usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &int_on,
                         sizeof(int_on)) < 0 ||
      usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) <
          0)
    return NULL;
  struct sockaddr_conn local = conn_address(port);
  struct sockaddr_conn remote = conn_address(remote_port);
  if (usrsctp_bind(s, (struct sockaddr*)&local, sizeof(local)) < 0)
    return NULL;
  if (usrsctp_connect(s, (struct sockaddr*)&remote, sizeof(remote)) < 0 &&
      errno != EINPROGRESS)
    return NULL;
  struct sctp_paddrparams params;
  memset(&params, 0, sizeof(params));
  memcpy(&params.spp_address, &remote, sizeof(remote));
  params.spp_flags = SPP_PMTUD_DISABLE;
  params.spp_pathmtu = CEILING_SCTP_MTU - 12;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &params,
                     sizeof(params));
  return s;
}

static bool parse_size(const char* text, size_t* out) {
  char* end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || end == text || *end || v == 0)
    return false;
  *out = (size_t)v;
  return true;
}

int main(int argc, char** argv) {
  size_t size = 65536;
  size_t total = 268435456;
  if ((argc > 1 && !parse_size(argv[1], &size)) ||
      (argc > 2 && !parse_size(argv[2], &total))) {
    fprintf(stderr, "usage: sctp_ceiling [message bytes] [total bytes]\n");
    return 2;
  }
  size_t count = total / size;
  uint8_t* msg = calloc(1, size);
  uint8_t* buf = malloc(size + 1);
  if (!msg || !buf)
    return 1;

  usrsctp_init_nothreads(0, conn_output, NULL);
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auth_enable(0);
  usrsctp_register_address((void*)1);
  struct socket* a = open_end(CEILING_PORT, CEILING_PORT + 1);
  struct socket* b = open_end(CEILING_PORT + 1, CEILING_PORT);
  if (!a || !b) {
    fprintf(stderr, "sctp_ceiling: cannot open the associations: %s\n",
            strerror(errno));
    return 1;
  }

  double last_tick = now_s();
  double start = 0;
  double cpu0 = 0;
  size_t sent = 0;
  size_t received = 0;
  size_t bytes = 0;
  bool up = false;
  const double deadline = now_s() + 120;
  while (received < count) {
    deliver();
    double t = now_s();
    if (t - last_tick >= 0.01) {
      usrsctp_handle_timers((uint32_t)((t - last_tick) * 1000));
      last_tick = t;
    }
    if (t > deadline) {
      fprintf(stderr, "sctp_ceiling: %zu of %zu messages after 120 s\n",
              received, count);
      return 1;
    }
    /* The sender: whole messages on stream 0 until the send buffer is
     * full (EWOULDBLOCK), or before the association is up (ENOTCONN). */
    while (sent < count) {
      struct sctp_sndinfo info;
      memset(&info, 0, sizeof(info));
      info.snd_ppid = htonl(53); /* WebRTC Binary */
      ssize_t n = usrsctp_sendv(a, msg, size, NULL, 0, &info, sizeof(info),
                                SCTP_SENDV_SNDINFO, 0);
      if (n < 0)
        break;
      if (!up) {
        up = true;
        start = now_s();
        cpu0 = cpu_s();
      }
      sent++;
    }
    /* The receiver: everything there is. */
    for (;;) {
      struct sockaddr_conn from;
      socklen_t from_len = sizeof(from);
      struct sctp_rcvinfo rcv;
      socklen_t info_len = sizeof(rcv);
      unsigned int info_type = 0;
      int flags = 0;
      ssize_t n = usrsctp_recvv(b, buf, size + 1, (struct sockaddr*)&from,
                                &from_len, &rcv, &info_len, &info_type, &flags);
      if (n <= 0)
        break;
      if (flags & MSG_NOTIFICATION)
        continue;
      bytes += (size_t)n;
      if (flags & MSG_EOR)
        received++;
    }
  }
  double seconds = now_s() - start;
  double cpu = cpu_s() - cpu0;
  if (bytes != count * size) {
    fprintf(stderr, "sctp_ceiling: %zu bytes received, expected %zu\n", bytes,
            count * size);
    return 1;
  }
  printf("{\"mbps\":%.3f,\"cpuPerGB\":%.3f,\"seconds\":%.3f}\n",
         (double)bytes / seconds / 1e6, cpu / ((double)bytes / 1e9), seconds);
  usrsctp_close(a);
  usrsctp_close(b);
  deliver();
  free(msg);
  free(buf);
  return 0;
}
