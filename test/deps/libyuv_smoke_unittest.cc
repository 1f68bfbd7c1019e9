// Smoke test of //third_party/libyuv: I420 to ARGB, the conversion rtcbox
// uses to hand decoded video to renderers. libyuv's "ARGB" is a little-endian
// 32-bit word, so the bytes in memory are B, G, R, A.

#include <libyuv/convert_argb.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

struct Colour {
  const char* name;
  uint8_t y, u, v;  // BT.601 limited range, as I420ToARGB expects.
  uint8_t b, g, r;  // The expected result.
};

// Reference values from the BT.601 equations (ITU-R BT.601-7, section 2.5.4),
// rounded.
constexpr Colour kColours[] = {
    {"white", 235, 128, 128, 255, 255, 255}, {"black", 16, 128, 128, 0, 0, 0},
    {"red", 82, 90, 240, 0, 0, 255},         {"green", 145, 54, 34, 0, 255, 0},
    {"blue", 41, 240, 110, 255, 0, 0},
};
constexpr int kColourCount = sizeof(kColours) / sizeof(kColours[0]);
// libyuv uses fixed-point coefficients; allow for their rounding.
constexpr int kTolerance = 4;

TEST(LibYuvSmoke, I420ToArgbConvertsReferenceColoursToBgraBytes) {
  // One vertical band of 4x4 pixels per colour: 20x4, a width that is not a
  // multiple of the SIMD row width, so both the vector and the tail code run.
  constexpr int kBand = 4;
  constexpr int kWidth = kBand * kColourCount;
  constexpr int kHeight = 4;
  constexpr int kChromaWidth = kWidth / 2;
  std::vector<uint8_t> y_plane(kWidth * kHeight);
  std::vector<uint8_t> u_plane(kChromaWidth * kHeight / 2);
  std::vector<uint8_t> v_plane(kChromaWidth * kHeight / 2);
  for (int row = 0; row < kHeight; ++row) {
    for (int x = 0; x < kWidth; ++x) {
      y_plane[row * kWidth + x] = kColours[x / kBand].y;
    }
  }
  for (int row = 0; row < kHeight / 2; ++row) {
    for (int x = 0; x < kChromaWidth; ++x) {
      u_plane[row * kChromaWidth + x] = kColours[2 * x / kBand].u;
      v_plane[row * kChromaWidth + x] = kColours[2 * x / kBand].v;
    }
  }

  std::vector<uint8_t> argb(kWidth * kHeight * 4, 0x5a);
  ASSERT_EQ(0, libyuv::I420ToARGB(y_plane.data(), kWidth, u_plane.data(),
                                  kChromaWidth, v_plane.data(), kChromaWidth,
                                  argb.data(), kWidth * 4, kWidth, kHeight));

  for (int row = 0; row < kHeight; ++row) {
    for (int x = 0; x < kWidth; ++x) {
      const Colour& colour = kColours[x / kBand];
      SCOPED_TRACE(testing::Message()
                   << colour.name << " at (" << x << ", " << row << ")");
      const uint8_t* pixel = &argb[(row * kWidth + x) * 4];
      EXPECT_LE(std::abs(pixel[0] - colour.b), kTolerance) << "B " << +pixel[0];
      EXPECT_LE(std::abs(pixel[1] - colour.g), kTolerance) << "G " << +pixel[1];
      EXPECT_LE(std::abs(pixel[2] - colour.r), kTolerance) << "R " << +pixel[2];
      EXPECT_EQ(255, pixel[3]);
    }
  }
}

}  // namespace
