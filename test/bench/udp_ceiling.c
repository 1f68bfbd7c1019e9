/*
 * The UDP ceiling of make bench (test/bench/run.js): datagrams per second
 * over the loopback from one socket to another, the sender sending as fast
 * as the kernel takes them with send() (one syscall per datagram),
 * sendmmsg() (a batch per syscall) or UDP GSO (one syscall per 64
 * segments of a UDP_SEGMENT buffer), the receiver draining with recvmmsg()
 * on a thread of its own.
 *
 *   udp_ceiling <send|sendmmsg|gso> [seconds (2)] [datagram bytes (1200)]
 *
 * Prints one line of JSON: {"sentPerSec", "receivedPerSec", "mbps" (bytes
 * received, 10^6/s), "cpuPerGB" (both threads)}. Exits 1 when it cannot
 * set up (no GSO: the kernel says so).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define CEILING_BATCH 64
#define CEILING_MAX_DATAGRAM 9000

static atomic_bool g_stop;
static atomic_ullong g_received;

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

static void* receiver(void* arg) {
  int fd = *(int*)arg;
  static uint8_t bufs[CEILING_BATCH][CEILING_MAX_DATAGRAM];
  struct iovec iov[CEILING_BATCH];
  struct mmsghdr msgs[CEILING_BATCH];
  memset(msgs, 0, sizeof(msgs));
  for (int i = 0; i < CEILING_BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof(bufs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (!atomic_load(&g_stop)) {
    int n = recvmmsg(fd, msgs, CEILING_BATCH, 0, NULL);
    if (n > 0)
      atomic_fetch_add(&g_received, (unsigned long long)n);
  }
  return NULL;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "send";
  double seconds = argc > 2 ? strtod(argv[2], NULL) : 2;
  long size = argc > 3 ? strtol(argv[3], NULL, 10) : 1200;
  bool gso = strcmp(mode, "gso") == 0;
  bool mmsg = strcmp(mode, "sendmmsg") == 0;
  if ((!gso && !mmsg && strcmp(mode, "send") != 0) || seconds <= 0 ||
      size < 1 || size > CEILING_MAX_DATAGRAM) {
    fprintf(stderr,
            "usage: udp_ceiling <send|sendmmsg|gso> [seconds] [bytes]\n");
    return 2;
  }
  int rx = socket(AF_INET, SOCK_DGRAM, 0);
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int rcvbuf = 4 << 20;
  struct timeval tick = {0, 100000};
  if (rx < 0 || tx < 0 ||
      setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
      setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) < 0 ||
      bind(rx, (struct sockaddr*)&addr, sizeof(addr)) < 0 ||
      getsockname(rx, (struct sockaddr*)&addr, &len) < 0 ||
      connect(tx, (struct sockaddr*)&addr, sizeof(addr)) < 0) {
    perror("udp_ceiling: sockets");
    return 1;
  }
  if (gso) {
    int segment = (int)size;
    if (setsockopt(tx, IPPROTO_UDP, UDP_SEGMENT, &segment, sizeof(segment)) <
        0) {
      perror("udp_ceiling: UDP_SEGMENT");
      return 1;
    }
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, receiver, &rx) != 0)
    return 1;

  /* GSO: one buffer of up to 64 segments (at most 64 KiB in all). */
  long per_gso = 65000 / size < CEILING_BATCH ? 65000 / size : CEILING_BATCH;
  if (per_gso < 1)
    per_gso = 1;
  uint8_t* data = calloc(1, (size_t)(size * CEILING_BATCH));
  if (!data)
    return 1;
  struct iovec iov[CEILING_BATCH];
  struct mmsghdr msgs[CEILING_BATCH];
  memset(msgs, 0, sizeof(msgs));
  for (int i = 0; i < CEILING_BATCH; i++) {
    iov[i].iov_base = data + (size_t)size * (size_t)i;
    iov[i].iov_len = (size_t)size;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0;
  unsigned long long failed = 0;
  double cpu0 = cpu_s();
  double start = now_s();
  double end = start + seconds;
  while (now_s() < end) {
    for (int k = 0; k < 16; k++) {
      if (gso) {
        ssize_t n = send(tx, data, (size_t)(size * per_gso), 0);
        if (n > 0)
          sent += (unsigned long long)(n / size);
        else
          failed++;
      } else if (mmsg) {
        int n = sendmmsg(tx, msgs, CEILING_BATCH, 0);
        if (n > 0)
          sent += (unsigned long long)n;
        else
          failed++;
      } else {
        if (send(tx, data, (size_t)size, 0) == size)
          sent++;
        else
          failed++;
      }
    }
  }
  double elapsed = now_s() - start;
  /* What is in the receive buffer still counts. */
  usleep(200000);
  atomic_store(&g_stop, true);
  pthread_join(thread, NULL);
  double cpu = cpu_s() - cpu0;
  unsigned long long received = atomic_load(&g_received);
  double bytes = (double)received * (double)size;
  printf(
      "{\"sentPerSec\":%.0f,\"receivedPerSec\":%.0f,\"mbps\":%.1f,"
      "\"cpuPerGB\":%.2f,\"failedSends\":%llu}\n",
      (double)sent / elapsed, (double)received / elapsed, bytes / elapsed / 1e6,
      bytes > 0 ? cpu / (bytes / 1e9) : 0.0, failed);
  free(data);
  close(tx);
  close(rx);
  return 0;
}
