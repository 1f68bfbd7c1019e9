#include "rtc_base/random.h"

#include <gtest/gtest.h>

#include <cstring>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

TEST(Random, BytesDifferBetweenCalls) {
  uint8_t a[32], b[32];
  rtc_random_bytes(a, sizeof(a));
  rtc_random_bytes(b, sizeof(b));
  EXPECT_NE(std::memcmp(a, b, sizeof(a)), 0);
}

TEST(Random, NoRepeatsAmong100kValues) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 100000; i++)
    EXPECT_TRUE(seen.insert(rtc_random_u64()).second);
}

TEST(Random, BelowStaysInRangeAndCoversIt) {
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; i++) {
    uint32_t v = rtc_random_below(10);
    ASSERT_LT(v, 10u);
    counts[v]++;
  }
  // Each bucket expects 10000; 5 standard deviations is ~475.
  for (int c : counts) {
    EXPECT_GT(c, 9500);
    EXPECT_LT(c, 10500);
  }
  EXPECT_EQ(rtc_random_below(1), 0u);
}

TEST(Random, UuidIsVersion4) {
  const std::regex uuid(
      "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; i++) {
    char out[37];
    rtc_random_uuid_v4(out);
    EXPECT_TRUE(std::regex_match(out, uuid)) << out;
    EXPECT_TRUE(seen.insert(out).second);
  }
}

TEST(Random, StringUsesOnlyTheAlphabet) {
  char out[65];
  rtc_random_string(out, 64, "ab", 2);
  EXPECT_EQ(std::strlen(out), 64u);
  EXPECT_EQ(std::string(out).find_first_not_of("ab"), std::string::npos);
}

TEST(Prng, SameSeedSameSequence) {
  rtc_prng a, b, c;
  rtc_prng_seed(&a, 42);
  rtc_prng_seed(&b, 42);
  rtc_prng_seed(&c, 43);
  bool differs = false;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = rtc_prng_next(&a);
    EXPECT_EQ(x, rtc_prng_next(&b));
    differs |= x != rtc_prng_next(&c);
  }
  EXPECT_TRUE(differs);
}

TEST(Prng, UniformAndBelowStayInRange) {
  rtc_prng p;
  rtc_prng_seed(&p, 0);
  double sum = 0;
  for (int i = 0; i < 100000; i++) {
    double u = rtc_prng_uniform(&p);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    ASSERT_LT(rtc_prng_below(&p, 7), 7u);
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.01);
}

}  // namespace
