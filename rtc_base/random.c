#include "rtc_base/random.h"

#include <errno.h>
#include <sys/random.h>

#include "rtc_base/checks.h"

void rtc_random_bytes(void* buf, size_t n) {
  uint8_t* p = buf;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      RTC_CHECK_MSG(errno == EINTR, "getrandom failed: errno %d", errno);
      continue;
    }
    p += got;
    n -= (size_t)got;
  }
}

uint32_t rtc_random_u32(void) {
  uint32_t v;
  rtc_random_bytes(&v, sizeof(v));
  return v;
}

uint64_t rtc_random_u64(void) {
  uint64_t v;
  rtc_random_bytes(&v, sizeof(v));
  return v;
}

/* Lemire's method: the rejection keeps the result unbiased. */
static uint32_t below(uint32_t bound, uint64_t (*next)(void*), void* state) {
  RTC_CHECK(bound > 0);
  uint32_t threshold = (uint32_t)(-bound) % bound;
  for (;;) {
    uint64_t m = (uint64_t)(uint32_t)next(state) * bound;
    if ((uint32_t)m >= threshold)
      return (uint32_t)(m >> 32);
  }
}

static uint64_t next_random(void* state) {
  (void)state;
  return rtc_random_u32();
}

uint32_t rtc_random_below(uint32_t bound) {
  return below(bound, next_random, NULL);
}

void rtc_random_uuid_v4(char out[37]) {
  static const char hex[] = "0123456789abcdef";
  uint8_t b[16];
  rtc_random_bytes(b, sizeof(b));
  b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
  char* p = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      *p++ = '-';
    *p++ = hex[b[i] >> 4];
    *p++ = hex[b[i] & 0xf];
  }
  *p = '\0';
}

void rtc_random_string(char* out,
                       size_t n,
                       const char* alphabet,
                       size_t alphabet_len) {
  RTC_CHECK(alphabet_len > 0 && alphabet_len <= UINT32_MAX);
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[rtc_random_below((uint32_t)alphabet_len)];
  out[n] = '\0';
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

void rtc_prng_seed(rtc_prng* prng, uint64_t seed) {
  /* splitmix64 spreads the seed over the state (never all zero). */
  for (int i = 0; i < 4; i++) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    prng->s[i] = z ^ (z >> 31);
  }
}

uint64_t rtc_prng_next(rtc_prng* prng) {
  uint64_t* s = prng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

static uint64_t next_prng(void* state) {
  return rtc_prng_next(state) >> 32;
}

uint32_t rtc_prng_below(rtc_prng* prng, uint32_t bound) {
  return below(bound, next_prng, prng);
}

double rtc_prng_uniform(rtc_prng* prng) {
  return (double)(rtc_prng_next(prng) >> 11) * 0x1.0p-53;
}
