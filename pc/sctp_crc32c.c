/*
 * CRC32c for SCTP (see sctp_crc32c.h).
 */
#include "pc/sctp_crc32c.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/* The Castagnoli polynomial, reflected (RFC 9260 Appendix A). */
#define POLY 0x82f63b78u

static uint32_t table[8][256];
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
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc,
                                                            const uint8_t* p,
                                                            size_t n) {
  uint64_t c = crc;
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
