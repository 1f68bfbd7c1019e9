// Smoke test of //third_party/opus: 48 kHz stereo voice frames of 20 ms, the
// default WebRTC audio configuration (RFC 7587), survive an encode/decode
// round trip.

#include <opus.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

namespace {

constexpr int kSampleRate = 48000;
constexpr int kChannels = 2;
constexpr int kFrameSamples = kSampleRate / 50;  // 20 ms per channel.
constexpr int kFrames = 10;
// Frames the codec gets to settle (algorithmic delay, start-up) before the
// output energy is measured.
constexpr int kSettleFrames = 4;
constexpr double kFrequency = 440.0;
constexpr double kAmplitude = 10000.0;
constexpr double kPi = 3.14159265358979323846;

// Frame |index| of a continuous 440 Hz sine, the same on both channels.
std::vector<opus_int16> SineFrame(int index) {
  std::vector<opus_int16> pcm(kFrameSamples * kChannels);
  for (int i = 0; i < kFrameSamples; ++i) {
    const double t = static_cast<double>(index * kFrameSamples + i) /
                     static_cast<double>(kSampleRate);
    const auto sample = static_cast<opus_int16>(
        std::lround(kAmplitude * std::sin(2.0 * kPi * kFrequency * t)));
    pcm[kChannels * i] = sample;
    pcm[kChannels * i + 1] = sample;
  }
  return pcm;
}

double Rms(const std::vector<opus_int16>& pcm) {
  double sum = 0;
  for (opus_int16 sample : pcm) {
    sum += static_cast<double>(sample) * sample;
  }
  return std::sqrt(sum / static_cast<double>(pcm.size()));
}

TEST(OpusSmoke, VoipStereoFramesRoundTripWithComparableEnergy) {
  int error = OPUS_OK;
  std::unique_ptr<OpusEncoder, decltype(&opus_encoder_destroy)> encoder(
      opus_encoder_create(kSampleRate, kChannels, OPUS_APPLICATION_VOIP,
                          &error),
      opus_encoder_destroy);
  ASSERT_EQ(OPUS_OK, error);
  ASSERT_NE(nullptr, encoder);
  std::unique_ptr<OpusDecoder, decltype(&opus_decoder_destroy)> decoder(
      opus_decoder_create(kSampleRate, kChannels, &error),
      opus_decoder_destroy);
  ASSERT_EQ(OPUS_OK, error);
  ASSERT_NE(nullptr, decoder);
  ASSERT_EQ(OPUS_OK, opus_encoder_ctl(encoder.get(), OPUS_SET_BITRATE(64000)));

  double input_energy = 0;
  double output_energy = 0;
  for (int frame = 0; frame < kFrames; ++frame) {
    SCOPED_TRACE(frame);
    const std::vector<opus_int16> input = SineFrame(frame);
    unsigned char packet[1500];
    const opus_int32 bytes = opus_encode(encoder.get(), input.data(),
                                         kFrameSamples, packet, sizeof(packet));
    ASSERT_GT(bytes, 0) << opus_strerror(bytes);
    EXPECT_EQ(1, opus_packet_get_nb_frames(packet, bytes));
    EXPECT_EQ(kFrameSamples,
              opus_packet_get_nb_samples(packet, bytes, kSampleRate));
    EXPECT_EQ(kChannels, opus_packet_get_nb_channels(packet));

    std::vector<opus_int16> output(kFrameSamples * kChannels);
    const int samples = opus_decode(decoder.get(), packet, bytes, output.data(),
                                    kFrameSamples, /*decode_fec=*/0);
    ASSERT_EQ(kFrameSamples, samples) << opus_strerror(samples);
    if (frame >= kSettleFrames) {
      input_energy += Rms(input);
      output_energy += Rms(output);
    }
  }
  // A lossy codec at 64 kbit/s keeps a pure tone's level within a few dB.
  ASSERT_GT(input_energy, 0);
  const double ratio = output_energy / input_energy;
  EXPECT_GT(ratio, 0.5);
  EXPECT_LT(ratio, 2.0);
}

}  // namespace
