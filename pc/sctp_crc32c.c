/*
 * CRC32c for SCTP (see sctp_crc32c.h).
 */
#include "pc/sctp_crc32c.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/* The Castagnoli polynomial, reflected (RFC 9260 Appendix A). */
#define POLY 0x82f63b78u

/* The crc32 instruction takes 3 cycles and can start one a cycle: three
 * independent CRCs, one over each third of a chunk of 3 * STREAM_BYTES,
 * run three times faster than one, and are then joined (the CRC register
 * is linear: the CRC of A then B is that of A moved past |B| zero bytes,
 * xor the CRC of B from zero). 128: a 1,200-byte packet is 3 chunks. */
#define STREAM_BYTES 128

static uint32_t table[8][256];
/* past[k][b]: the register holding byte b in its byte k, moved past
 * STREAM_BYTES zero bytes. */
static uint32_t past[4][256];
static bool use_sse42;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Slicing by 8: table[k][b] is the CRC of byte b followed by k zero
 * bytes. */
static void init(void) {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t crc = b;
    for (int i = 0; i < 8; i++)
      crc = (crc >> 1) ^ (POLY & (0u - (crc & 1u)));
    table[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; b++) {
    for (int k = 1; k < 8; k++)
      table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xff];
  }
  for (int k = 0; k < 4; k++) {
    for (uint32_t b = 0; b < 256; b++) {
      uint32_t crc = b << (8 * k);
      for (int i = 0; i < STREAM_BYTES; i++)
        crc = (crc >> 8) ^ table[0][crc & 0xff];
      past[k][b] = crc;
    }
  }
#if defined(__x86_64__)
  __builtin_cpu_init();
  use_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t crc_table(uint32_t crc, const uint8_t* p, size_t n) {
  while (n >= 8) {
    uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                         (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
          table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^ table[3][p[4]] ^
          table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--)
    crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
  return crc;
}

#if defined(__x86_64__)
/* SSE 4.2's crc32 computes exactly this CRC (the Castagnoli polynomial,
 * reflected), 8 bytes an instruction. */
static uint32_t move_past_stream(uint32_t crc) {
  return past[0][crc & 0xff] ^ past[1][(crc >> 8) & 0xff] ^
         past[2][(crc >> 16) & 0xff] ^ past[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc,
                                                            const uint8_t* p,
                                                            size_t n) {
  uint64_t c = crc;
  while (n >= 3 * STREAM_BYTES) {
    uint64_t c1 = 0;
    uint64_t c2 = 0;
    for (size_t i = 0; i < STREAM_BYTES; i += 8) {
      uint64_t v0, v1, v2;
      memcpy(&v0, p + i, 8);
      memcpy(&v1, p + STREAM_BYTES + i, 8);
      memcpy(&v2, p + 2 * STREAM_BYTES + i, 8);
      c = __builtin_ia32_crc32di(c, v0);
      c1 = __builtin_ia32_crc32di(c1, v1);
      c2 = __builtin_ia32_crc32di(c2, v2);
    }
    c = move_past_stream((uint32_t)c) ^ (uint32_t)c1;
    c = move_past_stream((uint32_t)c) ^ (uint32_t)c2;
    p += 3 * STREAM_BYTES;
    n -= 3 * STREAM_BYTES;
  }
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    n -= 8;
  }
  crc = (uint32_t)c;
  while (n--)
    crc = __builtin_ia32_crc32qi(crc, *p++);
  return crc;
}
#endif

uint32_t rtc_crc32c(const uint8_t* data, size_t size) {
  uint32_t crc = 0xffffffffu;
  pthread_once(&init_once, init);
#if defined(__x86_64__)
  if (use_sse42)
    return ~crc_sse42(crc, data, size);
#endif
  return ~crc_table(crc, data, size);
}

uint32_t rtc_crc32c_portable(const uint8_t* data, size_t size) {
  pthread_once(&init_once, init);
  return ~crc_table(0xffffffffu, data, size);
}

void rtc_sctp_set_checksum(uint8_t* packet, size_t size) {
  if (size < 12)
    return;
  /* RFC 9260 §6.8: computed over the whole packet with the checksum
   * field zero; Appendix A stores the CRC's bytes least significant
   * first (the reflected algorithm's natural order). */
  memset(packet + 8, 0, 4);
  uint32_t crc = rtc_crc32c(packet, size);
  packet[8] = (uint8_t)crc;
  packet[9] = (uint8_t)(crc >> 8);
  packet[10] = (uint8_t)(crc >> 16);
  packet[11] = (uint8_t)(crc >> 24);
}
