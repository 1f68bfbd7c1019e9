// Smoke test of //third_party/libvpx: a VP8 key frame (RFC 6386), encoded
// with the real-time settings WebRTC uses, decodes to a close copy of the
// input.

#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_image.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace {

constexpr unsigned kWidth = 320;
constexpr unsigned kHeight = 240;

// A codec context that is destroyed when it goes out of scope.
struct Codec {
  Codec() = default;
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;
  ~Codec() {
    if (initialized) {
      vpx_codec_destroy(&ctx);
    }
  }

  vpx_codec_ctx_t ctx = {};
  bool initialized = false;
};

struct ImageDeleter {
  void operator()(vpx_image_t* img) const { vpx_img_free(img); }
};

// A diagonal luma gradient with horizontal and vertical chroma ramps.
void FillGradient(vpx_image_t* img) {
  for (unsigned y = 0; y < kHeight; ++y) {
    uint8_t* row = img->planes[VPX_PLANE_Y] + y * img->stride[VPX_PLANE_Y];
    for (unsigned x = 0; x < kWidth; ++x) {
      row[x] = static_cast<uint8_t>(16 + (x + y) * 219 / (kWidth + kHeight));
    }
  }
  for (unsigned y = 0; y < kHeight / 2; ++y) {
    uint8_t* u = img->planes[VPX_PLANE_U] + y * img->stride[VPX_PLANE_U];
    uint8_t* v = img->planes[VPX_PLANE_V] + y * img->stride[VPX_PLANE_V];
    for (unsigned x = 0; x < kWidth / 2; ++x) {
      u[x] = static_cast<uint8_t>(64 + x * 128 / (kWidth / 2));
      v[x] = static_cast<uint8_t>(64 + y * 128 / (kHeight / 2));
    }
  }
}

TEST(LibVpxSmoke, Vp8RealtimeKeyFrameDecodesCloseToInput) {
  vpx_codec_enc_cfg_t cfg;
  ASSERT_EQ(VPX_CODEC_OK,
            vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0));
  cfg.g_w = kWidth;
  cfg.g_h = kHeight;
  cfg.g_timebase.num = 1;
  cfg.g_timebase.den = 90000;    // The RTP video clock.
  cfg.rc_target_bitrate = 1000;  // kbit/s
  cfg.rc_end_usage = VPX_CBR;
  cfg.g_lag_in_frames = 0;
  cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
  cfg.g_threads = 1;

  std::unique_ptr<vpx_image_t, ImageDeleter> input(
      vpx_img_alloc(nullptr, VPX_IMG_FMT_I420, kWidth, kHeight, /*align=*/16));
  ASSERT_NE(nullptr, input);
  FillGradient(input.get());

  Codec encoder;
  ASSERT_EQ(VPX_CODEC_OK,
            vpx_codec_enc_init(&encoder.ctx, vpx_codec_vp8_cx(), &cfg, 0));
  encoder.initialized = true;
  EXPECT_EQ(VPX_CODEC_OK,
            vpx_codec_control(&encoder.ctx, VP8E_SET_CPUUSED, -6));
  EXPECT_EQ(VPX_CODEC_OK, vpx_codec_encode(&encoder.ctx, input.get(), /*pts=*/0,
                                           /*duration=*/3000,
                                           VPX_EFLAG_FORCE_KF, VPX_DL_REALTIME))
      << vpx_codec_error_detail(&encoder.ctx);

  std::vector<uint8_t> frame;
  bool is_key_frame = false;
  int frames = 0;
  vpx_codec_iter_t iter = nullptr;
  while (const vpx_codec_cx_pkt_t* pkt =
             vpx_codec_get_cx_data(&encoder.ctx, &iter)) {
    if (pkt->kind == VPX_CODEC_CX_FRAME_PKT) {
      const auto* data = static_cast<const uint8_t*>(pkt->data.frame.buf);
      frame.assign(data, data + pkt->data.frame.sz);
      is_key_frame = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
      frames++;
    }
  }
  ASSERT_EQ(1, frames);
  ASSERT_FALSE(frame.empty());
  EXPECT_TRUE(is_key_frame);
  // RFC 6386 section 9.1: a key frame has the P bit clear and the start code
  // 9d 01 2a after the 3-byte frame tag.
  ASSERT_GE(frame.size(), 10u);
  EXPECT_EQ(0, frame[0] & 0x01);
  EXPECT_EQ(0x9d, frame[3]);
  EXPECT_EQ(0x01, frame[4]);
  EXPECT_EQ(0x2a, frame[5]);

  Codec decoder;
  ASSERT_EQ(VPX_CODEC_OK,
            vpx_codec_dec_init(&decoder.ctx, vpx_codec_vp8_dx(), nullptr, 0));
  decoder.initialized = true;
  EXPECT_EQ(VPX_CODEC_OK,
            vpx_codec_decode(&decoder.ctx, frame.data(),
                             static_cast<unsigned>(frame.size()), nullptr, 0))
      << vpx_codec_error_detail(&decoder.ctx);
  iter = nullptr;
  const vpx_image_t* output = vpx_codec_get_frame(&decoder.ctx, &iter);
  ASSERT_NE(nullptr, output);
  EXPECT_EQ(VPX_IMG_FMT_I420, output->fmt);
  ASSERT_EQ(kWidth, output->d_w);
  ASSERT_EQ(kHeight, output->d_h);

  long total_difference = 0;
  for (unsigned y = 0; y < kHeight; ++y) {
    const uint8_t* in =
        input->planes[VPX_PLANE_Y] + y * input->stride[VPX_PLANE_Y];
    const uint8_t* out =
        output->planes[VPX_PLANE_Y] + y * output->stride[VPX_PLANE_Y];
    for (unsigned x = 0; x < kWidth; ++x) {
      total_difference += std::abs(static_cast<int>(in[x]) - out[x]);
    }
  }
  const double mean_difference =
      static_cast<double>(total_difference) / (kWidth * kHeight);
  EXPECT_LT(mean_difference, 10.0);
  EXPECT_EQ(nullptr, vpx_codec_get_frame(&decoder.ctx, &iter));
}

}  // namespace
