/*
 * Random numbers.
 *
 *   rtc_random_*   the kernel's CSPRNG (getrandom): for every value an
 *                  attacker must not guess (ICE ufrag/pwd, STUN transaction
 *                  ids, tie-breakers, mDNS names, certificate serials).
 *   rtc_prng       a small deterministic generator (xoshiro256**) for
 *                  simulations and jitter that tests need to repeat. Never
 *                  for secrets.
 *
 * Threads: rtc_random_* from any thread; an rtc_prng belongs to one thread.
 */
#ifndef RTC_BASE_RANDOM_H_
#define RTC_BASE_RANDOM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fills buf with n bytes from the kernel CSPRNG. Never fails: a kernel
 * without getrandom() is a fatal RTC_CHECK. */
void rtc_random_bytes(void* buf, size_t n);
uint32_t rtc_random_u32(void);
uint64_t rtc_random_u64(void);
/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint32_t rtc_random_below(uint32_t bound);
/* A random version-4 UUID, lowercase, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
 * (RFC 9562), NUL-terminated. */
void rtc_random_uuid_v4(char out[37]);
/* n random characters from `alphabet` (alphabet_len > 0), NUL-terminated
 * (out must hold n + 1 bytes). */
void rtc_random_string(char* out,
                       size_t n,
                       const char* alphabet,
                       size_t alphabet_len);

typedef struct rtc_prng {
  uint64_t s[4];
} rtc_prng;

void rtc_prng_seed(rtc_prng* prng, uint64_t seed);
uint64_t rtc_prng_next(rtc_prng* prng);
/* Uniform in [0, bound), bound > 0. */
uint32_t rtc_prng_below(rtc_prng* prng, uint32_t bound);
/* Uniform in [0, 1). */
double rtc_prng_uniform(rtc_prng* prng);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_RANDOM_H_
