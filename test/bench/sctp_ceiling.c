/*
 * The SCTP ceilings of make bench (test/bench/run.js): both ends of a data
 * channel's SCTP association in one thread and one process, joined in
 * memory: no ICE, no sockets, no task queues. rtcbox's bulk goodput is read
 * against them.
 *
 *   sctp_ceiling [--dtls] [--procs 1|2] [message bytes (65536)]
 *                [total bytes (268435456)]
 *
 * Without --dtls (CEIL-SCTP-64K, CEIL-SCTP-1K): usrsctp alone, each packet
 * it outputs handed to the other end's usrsctp_conninput. What rtcbox's
 * SCTP stack does on its own on this machine.
 *
 * With --dtls (CEIL-DTLS-SCTP-64K): the same with BoringSSL's DTLS 1.2 in
 * between. What any design that runs both ends of a data channel on one
 * network thread can reach: every byte is encrypted once and decrypted
 * once, and SCTP runs twice, on one core. The difference from the first is
 * the cost of DTLS.
 *
 * With --procs 2 (CEIL-SCTP-64K-2P, CEIL-DTLS-SCTP-64K-2P): each end in its
 * own process, as DC-BULK-64K-2P runs rtcbox's two peers: the sender here,
 * the receiver in a child (forked after the DTLS handshake, which still
 * runs in memory), each with its own usrsctp, joined by two connected,
 * non-blocking UDP sockets on 127.0.0.1 used as p2p/udp_socket.c uses its
 * own: datagrams flushed together with sendmmsg, runs of equal sizes as
 * one UDP GSO message, a full send buffer waiting for POLLOUT; received
 * with recvmmsg, 32 at a time (each slot a GRO buffer of up to 64 KiB),
 * up to 4 batches per wake-up, GRO buffers cut into their datagrams;
 * 1 MiB receive buffers.
 * Each process waits in poll() when it has nothing to do (usrsctp's timers
 * every 10 ms), so the CPU figure means something. What a design with one
 * network thread per process reaches on this machine, its two ends on two
 * cores, without rtcbox's own costs (JavaScript, task queues, ICE). The
 * receiver reports its end time (CLOCK_MONOTONIC, system-wide), bytes and
 * CPU seconds (from the end of its setup) through a pipe; the figures are
 * the sender's start to the receiver's last byte, and both processes' CPU.
 * Left out besides: a network (the loopback loses nothing and delays
 * nothing but by its sockets' queues).
 *
 * Both ends do what rtcbox's do and nothing more, in all modes:
 * - usrsctp is configured by rtcbox's own functions (pc/sctp_usrsctp.c
 *   and pc/sctp_transport.c: sysctls, CRC32c offload, socket options, MTU,
 *   streams, 1 MiB buffers), and the CRC32c of each outgoing packet is
 *   rtcbox's own (rtc_sctp_set_checksum, pc/sctp_crc32c.c). usrsctp's own
 *   CRC32c, which computes and checks the checksum of every packet in
 *   portable C, is not what rtcbox runs: with it the SCTP ceiling measured
 *   about half as much (the README's runs until 28 November 2026 used it).
 * - with --dtls each end has a BoringSSL DTLS 1.2 SSL configured as
 *   p2p/dtls_transport.c configures it (method, version, cipher suites,
 *   groups, SRTP profiles, MTU, mutual authentication with ECDSA P-256
 *   certificates, no session resumption), fed one datagram at a time
 *   through a custom BIO as rtcbox feeds it; each SCTP packet usrsctp
 *   outputs becomes one SSL_write, one record, one datagram, queued in
 *   memory to the other end (--procs 2: sent on the socket), whose
 *   SSL_read gives the SCTP packet back for usrsctp_conninput. The
 *   handshake runs first, in memory, before the SCTP association starts,
 *   and is not timed.
 * Not here (rtcbox's own costs, not DTLS's or SCTP's): the task queues and
 * the signaling thread, UDP sockets (--procs 1), usrsctp's lock and
 * upcalls, the checks of incoming SCTP packets, wiping the plaintext.
 *
 * Prints (--dtls) the negotiated cipher suite on stderr and one line of
 * JSON on stdout: {"mbps": goodput at the receiver (10^6 bytes/s, start of
 * sending to the last byte), "cpuPerGB": CPU seconds per 10^9 bytes,
 * "seconds": ...}; with --procs 2 also, on stderr, each process's CPU as
 * a share of the time (the one near 100% is the bottleneck). Exits 1 when
 * the handshake fails or negotiates another cipher suite than rtcbox does
 * with itself, on an SSL or allocation error, when the association does
 * not come up or the data does not all arrive (--procs 2: also when a
 * socket fails or the other process ends without its report; the child
 * dies with the parent); 2 on bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <usrsctp.h>

#include "pc/sctp_crc32c.h"
#include "pc/sctp_transport_internal.h"

#define CEILING_PORT 5000

/* As p2p/dtls_transport.c: its default MTU (what pc/pc_network.c uses) and
 * initial retransmission timeout, the record size limit, the BIO type. */
#define CEILING_DTLS_MTU 1200
#define CEILING_DTLS_TIMEOUT_MS 100
#define CEILING_RECORD_PLAINTEXT 16384
#define CEILING_BIO_TYPE ((BIO_TYPE_START + 0x52) | BIO_TYPE_SOURCE_SINK)
/* What rtcbox negotiates with itself: the first suite of its list, which
 * its ECDSA certificates allow. */
#define CEILING_CIPHER "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
/* Flights of a DTLS 1.2 handshake without loss: a handful. */
#define CEILING_HANDSHAKE_ROUNDS 16

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
/* --procs 2, as p2p/udp_socket.c: receive batches (each slot may hold a GRO
 * buffer), batches per wake-up, UDP GSO limits; the receive buffer ICE
 * asks for (RTC_ICE_UDP_RECEIVE_BUFFER). */
#define CEILING_RECV_BATCH 32
#define CEILING_RECV_SLOT 65536
#define CEILING_RECV_MAX_BATCHES 4
#define CEILING_SEND_BATCH 64
#define CEILING_GSO_MAX_BYTES 65000
#define CEILING_DATAGRAM_MAX 2048
#define CEILING_UDP_RECEIVE_BUFFER (1 << 20)

/* p2p/dtls_transport.c's lists and its default SRTP profiles. */
static const char kCipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
static const char kCurveList[] = "X25519:P-256:P-384";
static const char kSrtpProfiles[] =
    "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80";

/* An SCTP packet on its way to DTLS, or a DTLS datagram on its way to the
 * other end. */
typedef struct ceiling_buffer {
  struct ceiling_buffer* next;
  uintptr_t from; /* packets: the AF_CONN address of the sending end */
  size_t size;
  uint8_t data[];
} ceiling_buffer;

typedef struct ceiling_queue {
  ceiling_buffer* head;
  ceiling_buffer* tail;
} ceiling_queue;

/* One end: an SCTP socket over a DTLS SSL. */
typedef struct ceiling_end {
  uintptr_t addr; /* AF_CONN address: 1 or 2, as rtcbox's transport ids */
  struct ceiling_end* peer;
  SSL_CTX* ctx;
  SSL* ssl;
  struct socket* sock;
  ceiling_queue inbox; /* DTLS datagrams from the peer */
  /* The datagram being processed, handed to BoringSSL by the BIO once. */
  const uint8_t* in_data;
  size_t in_size;
} ceiling_end;

static ceiling_end g_ends[2];
static ceiling_queue g_packets; /* what usrsctp output, not yet in DTLS */
static BIO_METHOD* g_bio_method;
static bool g_out_of_memory; /* a datagram could not be queued */
static bool g_dtls;          /* --dtls */
static int g_procs = 1;      /* --procs */
/* --procs 2: this process's end and its UDP socket, connected to the
 * other's (-1 with --procs 1). */
static ceiling_end* g_self;
static int g_fd = -1;
static bool g_gso;       /* the kernel takes UDP_SEGMENT */
static bool g_udp_error; /* a datagram could not be sent (said why) */

static void push(ceiling_queue* q, ceiling_buffer* b) {
  b->next = NULL;
  if (q->tail)
    q->tail->next = b;
  else
    q->head = b;
  q->tail = b;
}

static ceiling_buffer* pop(ceiling_queue* q) {
  ceiling_buffer* b = q->head;
  if (b) {
    q->head = b->next;
    if (!q->head)
      q->tail = NULL;
  }
  return b;
}

static void drop_all(ceiling_queue* q) {
  ceiling_buffer* b;
  while ((b = pop(q)))
    free(b);
}

static ceiling_buffer* buffer_new(const void* data, size_t size) {
  ceiling_buffer* b = malloc(sizeof(*b) + size);
  if (!b)
    return NULL;
  b->next = NULL;
  b->from = 0;
  b->size = size;
  memcpy(b->data, data, size);
  return b;
}

/* --- SCTP --- */

/* usrsctp's output: copy the packet and put rtcbox's checksum in it
 * (pc/sctp_usrsctp.c conn_output), queue it for DTLS outside this callback,
 * as rtcbox does. `addr` is the sending end's AF_CONN address. */
static int conn_output(void* addr,
                       void* buffer,
                       size_t length,
                       uint8_t tos,
                       uint8_t set_df) {
  (void)tos;
  (void)set_df;
  ceiling_buffer* p = buffer_new(buffer, length);
  if (!p)
    return ENOMEM; /* usrsctp counts it lost and retransmits */
  p->from = (uintptr_t)addr;
  rtc_sctp_set_checksum(p->data, p->size);
  push(&g_packets, p);
  return 0;
}

/* As pc/sctp_usrsctp.c rtc_sctp_usrsctp_acquire, with this program's
 * packet output. */
static void usrsctp_start(void) {
  usrsctp_init_nothreads(0, conn_output, NULL);
  rtc_sctp_usrsctp_lock(NULL);
  rtc_sctp_configure_usrsctp();
  rtc_sctp_usrsctp_unlock(NULL);
}

/* As pc/sctp_transport.c conn_address: the end's own address on both
 * sides, the ports tell the ends apart. */
static struct sockaddr_conn conn_address(const ceiling_end* e) {
  struct sockaddr_conn a;
  memset(&a, 0, sizeof(a));
  a.sconn_family = AF_CONN;
  a.sconn_port = htons(CEILING_PORT);
  a.sconn_addr = (void*)e->addr;
  return a;
}

/* rtcbox's socket (pc/sctp_transport.c rtc_sctp_transport_create and
 * start, with its rtc_sctp_configure_socket and rtc_sctp_configure_path),
 * without the upcall: this loop polls. */
static bool open_end(ceiling_end* e) {
  usrsctp_register_address((void*)e->addr);
  e->sock =
      usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
  if (!e->sock)
    return false;
  struct socket* s = e->sock;
  rtc_sctp_usrsctp_lock(NULL);
  bool ok = rtc_sctp_configure_socket(s);
  rtc_sctp_usrsctp_unlock(NULL);
  if (!ok)
    return false;
  struct sockaddr_conn local = conn_address(e);
  struct sockaddr_conn remote = conn_address(e);
  if (usrsctp_bind(s, (struct sockaddr*)&local, sizeof(local)) < 0)
    return false;
  if (usrsctp_connect(s, (struct sockaddr*)&remote, sizeof(remote)) < 0 &&
      errno != EINPROGRESS)
    return false;
  rtc_sctp_usrsctp_lock(NULL);
  ok = rtc_sctp_configure_path(s, &remote);
  rtc_sctp_usrsctp_unlock(NULL);
  return ok;
}

/* --- UDP (--procs 2) --- */

/* Datagrams to send, flushed together as p2p/udp_socket.c flushes its send
 * queue: runs of equal sizes (the last of a run may be shorter) as one UDP
 * GSO message each, all messages in one sendmmsg. */
static uint8_t g_out[CEILING_SEND_BATCH][CEILING_DATAGRAM_MAX];
static size_t g_out_size[CEILING_SEND_BATCH];
static int g_out_count;

typedef union gso_control {
  struct cmsghdr align;
  uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
} gso_control;

static bool udp_flush(void) {
  struct mmsghdr msgs[CEILING_SEND_BATCH];
  struct iovec iov[CEILING_SEND_BATCH];
  gso_control control[CEILING_SEND_BATCH];
  int m = 0;
  memset(msgs, 0, sizeof(msgs));
  for (int i = 0; i < g_out_count;) {
    size_t segment = g_out_size[i];
    size_t total = segment;
    int j = i + 1;
    while (g_gso && j < g_out_count && g_out_size[j - 1] == segment &&
           g_out_size[j] <= segment &&
           total + g_out_size[j] <= CEILING_GSO_MAX_BYTES) {
      total += g_out_size[j];
      j++;
    }
    for (int k = i; k < j; k++) {
      iov[k].iov_base = g_out[k];
      iov[k].iov_len = g_out_size[k];
    }
    struct msghdr* h = &msgs[m].msg_hdr;
    h->msg_iov = &iov[i];
    h->msg_iovlen = (size_t)(j - i);
    if (j - i > 1) {
      memset(&control[m], 0, sizeof(control[m]));
      h->msg_control = control[m].bytes;
      h->msg_controllen = sizeof(control[m].bytes);
      struct cmsghdr* c = CMSG_FIRSTHDR(h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t size16 = (uint16_t)segment;
      memcpy(CMSG_DATA(c), &size16, sizeof(size16));
    }
    m++;
    i = j;
  }
  /* A full send buffer (EAGAIN, or ENOBUFS) waits for POLLOUT, as
   * rtcbox's sockets wait for writable, in poll (never more than a tick:
   * ENOBUFS does not always make the socket unwritable). */
  for (int sent = 0; sent < m;) {
    int n = sendmmsg(g_fd, msgs + sent, (unsigned)(m - sent), 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        struct pollfd pfd = {.fd = g_fd, .events = POLLOUT};
        poll(&pfd, 1, 10);
        continue;
      }
      if (errno == ECONNREFUSED) { /* as in udp_receive: one is dropped */
        sent++;
        continue;
      }
      fprintf(stderr, "sctp_ceiling: sendmmsg: %s\n", strerror(errno));
      g_udp_error = true;
      g_out_count = 0;
      return false;
    }
    sent += n;
  }
  g_out_count = 0;
  return true;
}

static bool udp_add(const void* data, size_t size) {
  if (size > CEILING_DATAGRAM_MAX) {
    fprintf(stderr, "sctp_ceiling: a %zu-byte datagram\n", size);
    g_udp_error = true;
    return false;
  }
  if (g_out_count == CEILING_SEND_BATCH && !udp_flush())
    return false;
  memcpy(g_out[g_out_count], data, size);
  g_out_size[g_out_count++] = size;
  return true;
}

/* --- The datagram BIO (as p2p/dtls_transport.c's) --- */

/* A datagram out of this end's SSL: queued to the other end (where a UDP
 * socket would copy it into the kernel). */
static int bio_write(BIO* bio, const char* data, int len) {
  BIO_clear_retry_flags(bio);
  ceiling_end* e = BIO_get_data(bio);
  if (len < 0)
    return -1;
  if (g_fd >= 0) /* --procs 2: to the socket */
    return udp_add(data, (size_t)len) ? len : -1;
  ceiling_buffer* d = buffer_new(data, (size_t)len);
  if (!d) {
    g_out_of_memory = true;
    return -1;
  }
  push(&e->peer->inbox, d);
  return len;
}

/* Returns the datagram being processed, once (one datagram per read, as a
 * UDP socket would). */
static int bio_read(BIO* bio, char* out, int len) {
  BIO_clear_retry_flags(bio);
  ceiling_end* e = BIO_get_data(bio);
  if (!e->in_data || len < 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = e->in_size < (size_t)len ? e->in_size : (size_t)len;
  memcpy(out, e->in_data, n);
  e->in_data = NULL;
  e->in_size = 0;
  return (int)n;
}

static long bio_ctrl(BIO* bio, int cmd, long num, void* ptr) {
  (void)num;
  (void)ptr;
  ceiling_end* e = BIO_get_data(bio);
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return e && e->in_data ? (long)e->in_size : 0;
    default:
      return 0;
  }
}

/* --- DTLS --- */

/* Prints what BoringSSL's error queue says, and empties it. */
static void print_ssl_error(const char* what, int ssl_error) {
  char reason[160] = "no reason given";
  uint32_t packed = ERR_get_error();
  if (packed)
    ERR_error_string_n(packed, reason, sizeof(reason));
  else if (g_out_of_memory)
    snprintf(reason, sizeof(reason), "out of memory for a datagram");
  ERR_clear_error();
  fprintf(stderr, "sctp_ceiling: %s failed (SSL error %d): %s\n", what,
          ssl_error, reason);
}

/* DTLS timers on the monotonic clock, as rtcbox's (its task queue's). */
static void current_time(const SSL* ssl, struct timeval* out) {
  (void)ssl;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  out->tv_sec = ts.tv_sec;
  out->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
}

/* rtcbox records alerts here; nothing to record without errors. */
static void info_callback(const SSL* ssl, int type, int value) {
  (void)ssl;
  (void)type;
  (void)value;
}

/* Mutual authentication: the peer must present a certificate, which is
 * accepted (rtcbox compares its digest with the remote a=fingerprint, once
 * per handshake). */
static enum ssl_verify_result_t verify_peer(SSL* ssl, uint8_t* out_alert) {
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(ssl);
  if (!chain || sk_CRYPTO_BUFFER_num(chain) == 0) {
    *out_alert = SSL_AD_BAD_CERTIFICATE;
    return ssl_verify_invalid;
  }
  return ssl_verify_ok;
}

/* A self-signed ECDSA P-256 certificate, as rtcbox's default
 * (p2p/certificate.c): its key in *key, its DER in the returned buffer. */
static CRYPTO_BUFFER* make_certificate(uint64_t serial, EVP_PKEY** key) {
  CRYPTO_BUFFER* leaf = NULL;
  uint8_t* der = NULL;
  X509* x509 = NULL;
  X509_NAME* name = NULL;
  EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  *key = EVP_PKEY_new();
  if (!ec || !*key || !EC_KEY_generate_key(ec) ||
      !EVP_PKEY_assign_EC_KEY(*key, ec))
    goto free_key;
  ec = NULL; /* the key owns it */
  x509 = X509_new();
  name = X509_NAME_new();
  static const char kName[] = "sctp_ceiling";
  if (!x509 || !name || !X509_set_version(x509, X509_VERSION_3) ||
      !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), serial) ||
      !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                  (const uint8_t*)kName, -1, -1, 0) ||
      !X509_set_subject_name(x509, name) || !X509_set_issuer_name(x509, name) ||
      !X509_gmtime_adj(X509_getm_notBefore(x509), -24 * 3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(x509), 30 * 24 * 3600) ||
      !X509_set_pubkey(x509, *key) || !X509_sign(x509, *key, EVP_sha256()))
    goto free_key;
  int len = i2d_X509(x509, &der);
  if (len <= 0)
    goto free_key;
  leaf = CRYPTO_BUFFER_new(der, (size_t)len, NULL);
  OPENSSL_free(der);
  if (leaf)
    goto free_x509;

free_key:
  EVP_PKEY_free(*key);
  *key = NULL;
free_x509:
  X509_NAME_free(name);
  X509_free(x509);
  EC_KEY_free(ec);
  return leaf;
}

/* p2p/dtls_transport.c setup_ssl, with this end's certificate. */
static bool setup_ssl(ceiling_end* e, uint64_t serial) {
  e->ctx = SSL_CTX_new(DTLS_with_buffers_method());
  if (!e->ctx)
    return false;
  EVP_PKEY* key = NULL;
  CRYPTO_BUFFER* leaf = make_certificate(serial, &key);
  if (!leaf)
    return false;
  bool ok = SSL_CTX_set_chain_and_key(e->ctx, &leaf, 1, key, NULL) &&
            SSL_CTX_set_min_proto_version(e->ctx, DTLS1_2_VERSION) &&
            SSL_CTX_set_max_proto_version(e->ctx, DTLS1_2_VERSION) &&
            SSL_CTX_set_strict_cipher_list(e->ctx, kCipherList) &&
            SSL_CTX_set1_curves_list(e->ctx, kCurveList) &&
            SSL_CTX_set_tlsext_use_srtp(e->ctx, kSrtpProfiles) == 0;
  CRYPTO_BUFFER_free(leaf);
  EVP_PKEY_free(key); /* the context holds its own references */
  if (!ok)
    return false;
  SSL_CTX_set_custom_verify(
      e->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_peer);
  SSL_CTX_set_current_time_cb(e->ctx, current_time);
  SSL_CTX_set_info_callback(e->ctx, info_callback);
  SSL_CTX_set_session_cache_mode(e->ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(e->ctx, SSL_OP_NO_TICKET);

  e->ssl = SSL_new(e->ctx);
  if (!e->ssl)
    return false;
  SSL_set_options(e->ssl, SSL_OP_NO_QUERY_MTU);
  if (!SSL_set_mtu(e->ssl, CEILING_DTLS_MTU))
    return false;
  DTLSv1_set_initial_timeout_duration(e->ssl, CEILING_DTLS_TIMEOUT_MS);
  SSL_set_renegotiate_mode(e->ssl, ssl_renegotiate_never);
  BIO* bio = BIO_new(g_bio_method);
  if (!bio)
    return false;
  BIO_set_data(bio, e);
  BIO_set_init(bio, 1);
  SSL_set_bio(e->ssl, bio, bio); /* takes the reference */
  return true;
}

/* The whole handshake, in memory: each end takes the datagrams the other
 * sent, until both are done (end 0 is the client, a=setup:active). */
static bool handshake(void) {
  SSL_set_connect_state(g_ends[0].ssl);
  SSL_set_accept_state(g_ends[1].ssl);
  bool done[2] = {false, false};
  for (int round = 0; round < CEILING_HANDSHAKE_ROUNDS; round++) {
    for (int i = 0; i < 2; i++) {
      ceiling_end* e = &g_ends[i];
      if (done[i])
        continue;
      do {
        ceiling_buffer* d = pop(&e->inbox);
        e->in_data = d ? d->data : NULL;
        e->in_size = d ? d->size : 0;
        int ret = SSL_do_handshake(e->ssl);
        int ssl_error = ret == 1 ? SSL_ERROR_NONE : SSL_get_error(e->ssl, ret);
        e->in_data = NULL;
        free(d);
        if (ret == 1) {
          done[i] = true;
        } else if (ssl_error != SSL_ERROR_WANT_READ &&
                   ssl_error != SSL_ERROR_WANT_WRITE) {
          print_ssl_error(i == 0 ? "client handshake" : "server handshake",
                          ssl_error);
          return false;
        }
      } while (!done[i] && e->inbox.head);
    }
    if (done[0] && done[1])
      return true;
  }
  fprintf(stderr, "sctp_ceiling: no handshake after %d flights\n",
          CEILING_HANDSHAKE_ROUNDS);
  return false;
}

/* Checks the handshake gave what rtcbox gets with itself, and says it. */
static bool check_negotiated(void) {
  for (int i = 0; i < 2; i++) {
    const SSL_CIPHER* cipher = SSL_get_current_cipher(g_ends[i].ssl);
    const char* name = cipher ? SSL_CIPHER_standard_name(cipher) : NULL;
    if (SSL_version(g_ends[i].ssl) != DTLS1_2_VERSION || !name ||
        strcmp(name, CEILING_CIPHER) != 0) {
      fprintf(stderr,
              "sctp_ceiling: negotiated %s, not DTLS 1.2 with %s as "
              "rtcbox does\n",
              name ? name : "no cipher suite", CEILING_CIPHER);
      return false;
    }
  }
  const SSL_CIPHER* cipher = SSL_get_current_cipher(g_ends[0].ssl);
  uint16_t group = SSL_get_curve_id(g_ends[0].ssl);
  const char* group_name = group ? SSL_get_curve_name(group) : NULL;
  fprintf(stderr, "sctp_ceiling: DTLS 1.2, %s (%s), %s\n",
          SSL_CIPHER_get_name(cipher), SSL_CIPHER_standard_name(cipher),
          group_name ? group_name : "no group");
  return true;
}

/* Decrypts the datagram `d` at `e` and gives the SCTP packet(s) in it to
 * usrsctp. */
static bool open_datagram(ceiling_end* e, const uint8_t* data, size_t size) {
  /* On the stack, as rtcbox's read_app_data. */
  uint8_t plain[CEILING_RECORD_PLAINTEXT];
  e->in_data = data;
  e->in_size = size;
  for (;;) {
    int n = SSL_read(e->ssl, plain, sizeof(plain));
    if (n > 0) {
      usrsctp_conninput((void*)e->addr, plain, (size_t)n, 0);
      /* The datagram is all read (rtcbox asks once more, to be told
       * SSL_ERROR_WANT_READ). */
      if (!e->in_data && !SSL_has_pending(e->ssl))
        break;
      continue;
    }
    int ssl_error = SSL_get_error(e->ssl, n);
    if (ssl_error == SSL_ERROR_WANT_READ)
      break;
    e->in_data = NULL;
    print_ssl_error("SSL_read", ssl_error);
    return false;
  }
  e->in_data = NULL;
  return true;
}

static bool open_inbox(ceiling_end* e) {
  ceiling_buffer* d;
  while ((d = pop(&e->inbox))) {
    bool ok = open_datagram(e, d->data, d->size);
    free(d);
    if (!ok)
      return false;
  }
  return true;
}

/* Moves every SCTP packet through DTLS to the other end, and what that
 * makes usrsctp send back, until nothing is left in flight. */
static bool deliver(void) {
  for (;;) {
    ceiling_buffer* p = pop(&g_packets);
    if (p && !g_dtls) {
      ceiling_end* e = &g_ends[p->from == g_ends[0].addr ? 0 : 1];
      usrsctp_conninput((void*)e->peer->addr, p->data, p->size, 0);
      free(p);
      continue;
    }
    if (p) {
      ceiling_end* e = &g_ends[p->from == g_ends[0].addr ? 0 : 1];
      /* One SCTP packet, one SSL_write, one record, one datagram. */
      int n = SSL_write(e->ssl, p->data, (int)p->size);
      free(p);
      if (n <= 0) {
        print_ssl_error("SSL_write", SSL_get_error(e->ssl, n));
        return false;
      }
      if (!open_inbox(e->peer))
        return false;
      continue;
    }
    /* Datagrams that no SCTP packet made (the handshake's last flight). */
    if (!g_ends[0].inbox.head && !g_ends[1].inbox.head)
      return true;
    if (!open_inbox(&g_ends[0]) || !open_inbox(&g_ends[1]))
      return false;
  }
}

/* --- The measurement --- */

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

static bool parse_size(const char* text, size_t* out) {
  char* end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || end == text || *end || v == 0)
    return false;
  *out = (size_t)v;
  return true;
}

/* Where a transfer is, at the sender and at the receiver. */
typedef struct ceiling_progress {
  size_t sent;     /* whole messages usrsctp took */
  size_t offset;   /* of the message usrsctp took in part */
  bool up;         /* usrsctp took a first message: the clock runs */
  double start;    /* when it did */
  double cpu0;     /* the process's CPU seconds then */
  size_t received; /* whole messages read */
  size_t bytes;    /* bytes read */
} ceiling_progress;

/* The sender: whole messages on stream 0 until the send buffer is full
 * (EWOULDBLOCK), or before the association is up (ENOTCONN). With
 * SCTP_EXPLICIT_EOR usrsctp may take part of a message: the rest goes in
 * the next calls (pc/sctp_transport.c push_pending). Whether usrsctp took
 * anything. */
static bool send_messages(struct socket* s,
                          const uint8_t* msg,
                          size_t size,
                          size_t count,
                          ceiling_progress* p) {
  bool took = false;
  while (p->sent < count) {
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_ppid = htonl(53); /* WebRTC Binary */
    spa.sendv_sndinfo.snd_flags = SCTP_EOR;
    ssize_t n = usrsctp_sendv(s, msg + p->offset, size - p->offset, NULL, 0,
                              &spa, (socklen_t)sizeof(spa), SCTP_SENDV_SPA, 0);
    if (n < 0)
      break;
    if (!p->up) {
      p->up = true;
      p->start = now_s();
      p->cpu0 = cpu_s();
    }
    took = true;
    p->offset += (size_t)n;
    if (p->offset < size)
      break;
    p->offset = 0;
    p->sent++;
  }
  return took;
}

/* The receiver: everything there is. */
static void read_messages(struct socket* s,
                          uint8_t* buf,
                          size_t size,
                          ceiling_progress* p) {
  for (;;) {
    struct sockaddr_conn from;
    socklen_t from_len = sizeof(from);
    struct sctp_rcvinfo rcv;
    socklen_t info_len = sizeof(rcv);
    unsigned int info_type = 0;
    int flags = 0;
    ssize_t n = usrsctp_recvv(s, buf, size + 1, (struct sockaddr*)&from,
                              &from_len, &rcv, &info_len, &info_type, &flags);
    if (n <= 0)
      break;
    if (flags & MSG_NOTIFICATION)
      continue;
    p->bytes += (size_t)n;
    if (flags & MSG_EOR)
      p->received++;
  }
}

/* Runs usrsctp's timers every 10 ms, as rtcbox's tick; the milliseconds
 * until the next one. */
static int tick(double* last_tick) {
  double t = now_s();
  if (t - *last_tick >= 0.01) {
    usrsctp_handle_timers((uint32_t)((t - *last_tick) * 1000));
    *last_tick = t;
  }
  int ms = (int)((*last_tick + 0.01 - t) * 1000) + 1;
  return ms < 1 ? 1 : ms > 10 ? 10 : ms;
}

/* The JSON line of the figures. */
static void format_figures(char* out,
                           size_t out_size,
                           size_t bytes,
                           double seconds,
                           double cpu) {
  snprintf(out, out_size,
           "{\"mbps\":%.3f,\"cpuPerGB\":%.3f,\"seconds\":%.3f}\n",
           (double)bytes / seconds / 1e6, cpu / ((double)bytes / 1e9), seconds);
}

/* Sends `count` messages of `size` bytes from end 0 to end 1 and prints the
 * figures. False (after saying why) when they do not all arrive. */
static bool transfer(uint8_t* msg, uint8_t* buf, size_t size, size_t count) {
  ceiling_progress p = {0};
  double last_tick = now_s();
  const double deadline = now_s() + 120;
  while (p.received < count) {
    if (!deliver())
      return false;
    tick(&last_tick);
    if (now_s() > deadline) {
      fprintf(stderr, "sctp_ceiling: %zu of %zu messages after 120 s\n",
              p.received, count);
      return false;
    }
    send_messages(g_ends[0].sock, msg, size, count, &p);
    read_messages(g_ends[1].sock, buf, size, &p);
  }
  double seconds = now_s() - p.start;
  double cpu = cpu_s() - p.cpu0;
  if (p.bytes != count * size) {
    fprintf(stderr, "sctp_ceiling: %zu bytes received, expected %zu\n", p.bytes,
            count * size);
    return false;
  }
  char figures[160];
  format_figures(figures, sizeof(figures), p.bytes, seconds, cpu);
  fputs(figures, stdout);
  return true;
}

/* --- Two processes (--procs 2) --- */

/* What the receiving process tells the sending one when it has it all. */
typedef struct ceiling_report {
  double end; /* CLOCK_MONOTONIC (the same clock in both processes) */
  double cpu; /* its CPU seconds from the end of its setup */
  size_t bytes;
} ceiling_report;

static uint8_t g_in[CEILING_RECV_BATCH][CEILING_RECV_SLOT];

/* One datagram from the other process: through DTLS or straight to
 * usrsctp. */
static bool take_datagram(const uint8_t* data, size_t size) {
  if (g_dtls)
    return open_datagram(g_self, data, size);
  usrsctp_conninput((void*)g_self->addr, data, size, 0);
  return true;
}

/* Reads what the socket has, in recvmmsg batches (at most
 * CEILING_RECV_MAX_BATCHES, as rtcbox per wake-up), cutting GRO buffers
 * into their datagrams. The number of datagrams read, -1 on an error. */
static int udp_receive(void) {
  struct mmsghdr msgs[CEILING_RECV_BATCH];
  struct iovec iov[CEILING_RECV_BATCH];
  union {
    struct cmsghdr align;
    uint8_t bytes[CMSG_SPACE(sizeof(int))];
  } control[CEILING_RECV_BATCH];
  int total = 0;
  for (int batch = 0; batch < CEILING_RECV_MAX_BATCHES; batch++) {
    memset(msgs, 0, sizeof(msgs));
    for (int i = 0; i < CEILING_RECV_BATCH; i++) {
      iov[i].iov_base = g_in[i];
      iov[i].iov_len = CEILING_RECV_SLOT;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = control[i].bytes;
      msgs[i].msg_hdr.msg_controllen = sizeof(control[i].bytes);
    }
    int n = recvmmsg(g_fd, msgs, CEILING_RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      /* ECONNREFUSED: a datagram found the other process gone (it
       * reported and ended): what it tells is the report's. */
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
          errno == ECONNREFUSED)
        break;
      fprintf(stderr, "sctp_ceiling: recvmmsg: %s\n", strerror(errno));
      return -1;
    }
    for (int i = 0; i < n; i++) {
      size_t size = msgs[i].msg_len;
      size_t segment = size;
      struct msghdr* h = &msgs[i].msg_hdr;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        int gro = 0;
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
          memcpy(&gro, CMSG_DATA(c), sizeof(gro));
          if (gro > 0)
            segment = (size_t)gro;
        }
      }
      for (size_t off = 0; off < size; off += segment) {
        size_t part = size - off < segment ? size - off : segment;
        if (!take_datagram(g_in[i] + off, part))
          return -1;
        total++;
      }
    }
    if (n < CEILING_RECV_BATCH)
      break;
  }
  return total;
}

/* Everything usrsctp output: through DTLS (whose BIO adds the datagrams)
 * or as it is, then to the socket. */
static bool udp_pump(void) {
  ceiling_buffer* p;
  while ((p = pop(&g_packets))) {
    bool ok;
    if (g_dtls) {
      int n = SSL_write(g_self->ssl, p->data, (int)p->size);
      ok = n > 0;
      if (!ok && !g_udp_error)
        print_ssl_error("SSL_write", SSL_get_error(g_self->ssl, n));
    } else {
      ok = udp_add(p->data, p->size);
    }
    free(p);
    if (!ok)
      return false;
  }
  return g_out_count == 0 || udp_flush();
}

/* The receiving process, its end open: reads until it has `count`
 * messages, then reports to `report_fd`. */
static bool receive_all(size_t size,
                        size_t count,
                        uint8_t* buf,
                        int report_fd) {
  ceiling_progress p = {0};
  double last_tick = now_s();
  const double deadline = now_s() + 120;
  const double cpu0 = cpu_s();
  while (p.received < count) {
    int got = udp_receive();
    if (got < 0)
      return false;
    int wait_ms = tick(&last_tick);
    read_messages(g_self->sock, buf, size, &p);
    if (!udp_pump())
      return false;
    if (now_s() > deadline) {
      fprintf(stderr, "sctp_ceiling: %zu of %zu messages after 120 s\n",
              p.received, count);
      return false;
    }
    if (got == 0 && p.received < count) {
      struct pollfd pfd = {.fd = g_fd, .events = POLLIN};
      poll(&pfd, 1, wait_ms);
    }
  }
  ceiling_report r = {.end = now_s(), .cpu = cpu_s() - cpu0, .bytes = p.bytes};
  if (write(report_fd, &r, sizeof(r)) != (ssize_t)sizeof(r)) {
    fprintf(stderr, "sctp_ceiling: cannot report: %s\n", strerror(errno));
    return false;
  }
  return true;
}

/* What the sending process prints once the receiving one has exited
 * cleanly. */
static char g_figures[160];

/* The sending process: sends `count` messages, until the receiver reports
 * (or fails: `report_fd` ends without a report), then puts the figures in
 * g_figures. */
static bool send_all(const uint8_t* msg,
                     size_t size,
                     size_t count,
                     int report_fd) {
  ceiling_progress p = {0};
  double last_tick = now_s();
  const double deadline = now_s() + 120;
  ceiling_report r;
  for (;;) {
    int got = udp_receive();
    if (got < 0)
      return false;
    int wait_ms = tick(&last_tick);
    bool progressed = send_messages(g_self->sock, msg, size, count, &p);
    progressed = progressed || got > 0;
    if (!udp_pump())
      return false;
    if (now_s() > deadline) {
      fprintf(stderr, "sctp_ceiling: %zu of %zu messages sent after 120 s\n",
              p.sent, count);
      return false;
    }
    struct pollfd pfd[2] = {{.fd = g_fd, .events = POLLIN},
                            {.fd = report_fd, .events = POLLIN}};
    if (poll(pfd, 2, progressed ? 0 : wait_ms) > 0 && pfd[1].revents)
      break;
  }
  ssize_t n = read(report_fd, &r, sizeof(r));
  if (n != (ssize_t)sizeof(r)) {
    fprintf(stderr,
            "sctp_ceiling: the receiving process ended without "
            "a report\n");
    return false;
  }
  double own_cpu = cpu_s() - p.cpu0;
  double cpu = own_cpu + r.cpu;
  double seconds = r.end - p.start;
  if (!p.up || r.bytes != count * size || seconds <= 0) {
    fprintf(stderr, "sctp_ceiling: %zu bytes received, expected %zu\n", r.bytes,
            count * size);
    return false;
  }
  /* Which process is the bottleneck: the one near 100%. */
  fprintf(stderr, "sctp_ceiling: CPU %.0f%% sending, %.0f%% receiving\n",
          100 * own_cpu / seconds, 100 * r.cpu / seconds);
  format_figures(g_figures, sizeof(g_figures), r.bytes, seconds, cpu);
  return true;
}

/* Two non-blocking UDP sockets on 127.0.0.1, each connected to the other,
 * with the receive buffer ICE asks for and GRO (best effort). */
static bool udp_pair(int fds[2]) {
  struct sockaddr_in addr[2];
  fds[0] = fds[1] = -1;
  for (int i = 0; i < 2; i++) {
    fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fds[i] < 0)
      return false;
    memset(&addr[i], 0, sizeof(addr[i]));
    addr[i].sin_family = AF_INET;
    addr[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr[i]);
    int buffer = CEILING_UDP_RECEIVE_BUFFER;
    int one = 1;
    if (bind(fds[i], (struct sockaddr*)&addr[i], sizeof(addr[i])) < 0 ||
        getsockname(fds[i], (struct sockaddr*)&addr[i], &len) < 0 ||
        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer)) < 0)
      return false;
    (void)setsockopt(fds[i], SOL_UDP, UDP_GRO, &one, sizeof(one));
  }
  for (int i = 0; i < 2; i++) {
    if (connect(fds[i], (struct sockaddr*)&addr[1 - i], sizeof(addr[i])) < 0)
      return false;
  }
  int segment = 0;
  socklen_t len = sizeof(segment);
  g_gso = getsockopt(fds[0], SOL_UDP, UDP_SEGMENT, &segment, &len) == 0;
  return true;
}

/* This process's end (0 sends, 1 receives) over its socket (the other's
 * SSL is freed already). */
static bool run_end(int i,
                    uint8_t* msg,
                    uint8_t* buf,
                    size_t size,
                    size_t count,
                    int report_fd) {
  bool ok = false;
  g_self = &g_ends[i];
  usrsctp_start();
  if (!open_end(g_self)) {
    fprintf(stderr, "sctp_ceiling: cannot open the association: %s\n",
            strerror(errno));
  } else {
    ok = i == 0 ? send_all(msg, size, count, report_fd)
                : receive_all(size, count, buf, report_fd);
  }
  if (g_self->sock)
    usrsctp_close(g_self->sock); /* SO_LINGER 0: an ABORT, not sent */
  usrsctp_deregister_address((void*)g_self->addr);
  drop_all(&g_packets);
  if (usrsctp_finish() != 0)
    fprintf(stderr, "sctp_ceiling: usrsctp_finish refused\n");
  return ok;
}

/* Frees an end's SSL (and its BIO) and context: after the fork, each
 * process frees the other's. */
static void free_end_ssl(ceiling_end* e) {
  SSL_free(e->ssl);
  SSL_CTX_free(e->ctx);
  e->ssl = NULL;
  e->ctx = NULL;
}

/* --procs 2: end 1 in a child process, end 0 here. */
static bool two_processes(uint8_t* msg,
                          uint8_t* buf,
                          size_t size,
                          size_t count) {
  int fds[2];
  int report[2] = {-1, -1};
  bool ok = false;
  if (!udp_pair(fds) || pipe2(report, O_CLOEXEC) < 0) {
    fprintf(stderr, "sctp_ceiling: sockets: %s\n", strerror(errno));
    goto close_fds;
  }
  fflush(NULL); /* nothing buffered is written twice */
  const pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "sctp_ceiling: fork: %s\n", strerror(errno));
    goto close_fds;
  }
  if (child == 0) {
    /* Ends with the parent, whatever happens to it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(1);
    close(fds[0]);
    close(report[0]);
    free_end_ssl(&g_ends[0]);
    g_fd = fds[1];
    bool child_ok = run_end(1, msg, buf, size, count, report[1]);
    close(g_fd);
    close(report[1]);
    free_end_ssl(&g_ends[1]);
    BIO_meth_free(g_bio_method);
    ERR_clear_error();
    free(msg);
    free(buf);
    /* exit, not _exit, so that LeakSanitizer checks this process too (its
     * stdout holds nothing: flushed before the fork). */
    exit(child_ok ? 0 : 1);
  }
  free_end_ssl(&g_ends[1]);
  close(fds[1]);
  fds[1] = -1;
  close(report[1]);
  report[1] = -1;
  g_fd = fds[0];
  ok = run_end(0, msg, buf, size, count, report[0]);
  g_fd = -1;
  if (!ok)
    kill(child, SIGKILL);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    fprintf(stderr, "sctp_ceiling: the receiving process failed\n");
    ok = false;
  }
  if (ok)
    fputs(g_figures, stdout);
close_fds:
  for (int i = 0; i < 2; i++) {
    if (fds[i] >= 0)
      close(fds[i]);
    if (report[i] >= 0)
      close(report[i]);
  }
  return ok;
}

int main(int argc, char** argv) {
  size_t size = 65536;
  size_t total = 268435456;
  int arg = 1;
  if (arg < argc && strcmp(argv[arg], "--dtls") == 0) {
    g_dtls = true;
    arg++;
  }
  if (arg + 1 < argc && strcmp(argv[arg], "--procs") == 0) {
    if (strcmp(argv[arg + 1], "1") == 0) {
      g_procs = 1;
    } else if (strcmp(argv[arg + 1], "2") == 0) {
      g_procs = 2;
    } else {
      fprintf(stderr, "sctp_ceiling: --procs is 1 or 2\n");
      return 2;
    }
    arg += 2;
  }
  if ((arg < argc && !parse_size(argv[arg], &size)) ||
      (arg + 1 < argc && !parse_size(argv[arg + 1], &total)) ||
      arg + 2 < argc) {
    fprintf(stderr,
            "usage: sctp_ceiling [--dtls] [--procs 1|2] [message bytes] "
            "[total bytes]\n");
    return 2;
  }
  int status = 1;
  size_t count = total / size;
  uint8_t* msg = calloc(1, size);
  uint8_t* buf = malloc(size + 1);
  if (!msg || !buf) {
    fprintf(stderr, "sctp_ceiling: out of memory\n");
    goto free_buffers;
  }

  for (int i = 0; i < 2; i++) {
    g_ends[i].addr = (uintptr_t)(i + 1);
    g_ends[i].peer = &g_ends[1 - i];
  }
  if (g_dtls) {
    g_bio_method = BIO_meth_new(CEILING_BIO_TYPE, "sctp_ceiling");
    if (!g_bio_method || !BIO_meth_set_write(g_bio_method, bio_write) ||
        !BIO_meth_set_read(g_bio_method, bio_read) ||
        !BIO_meth_set_ctrl(g_bio_method, bio_ctrl) ||
        !setup_ssl(&g_ends[0], 1) || !setup_ssl(&g_ends[1], 2)) {
      print_ssl_error("setting up DTLS", 0);
      goto free_ssl;
    }
    if (!handshake() || !check_negotiated())
      goto free_ssl;
    /* The handshake's last flight, which no SCTP packet carries. */
    while (g_ends[0].inbox.head || g_ends[1].inbox.head) {
      if (!open_inbox(&g_ends[0]) || !open_inbox(&g_ends[1]))
        goto free_ssl;
    }
  }

  if (g_procs == 2) {
    if (two_processes(msg, buf, size, count))
      status = 0;
    goto free_ssl;
  }

  usrsctp_start();
  if (!open_end(&g_ends[0]) || !open_end(&g_ends[1])) {
    fprintf(stderr, "sctp_ceiling: cannot open the associations: %s\n",
            strerror(errno));
    goto close_sctp;
  }
  if (transfer(msg, buf, size, count))
    status = 0;

close_sctp:
  for (int i = 0; i < 2; i++) {
    if (g_ends[i].sock)
      usrsctp_close(g_ends[i].sock); /* SO_LINGER 0: an ABORT */
    usrsctp_deregister_address((void*)g_ends[i].addr);
  }
  drop_all(&g_packets); /* the ABORTs: nobody is listening */
  if (usrsctp_finish() != 0)
    fprintf(stderr, "sctp_ceiling: usrsctp_finish refused\n");
free_ssl:
  for (int i = 0; i < 2; i++) {
    drop_all(&g_ends[i].inbox);
    SSL_free(g_ends[i].ssl); /* frees the BIO */
    SSL_CTX_free(g_ends[i].ctx);
  }
  BIO_meth_free(g_bio_method);
  ERR_clear_error();
free_buffers:
  free(msg);
  free(buf);
  return status;
}
