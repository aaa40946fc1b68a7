//===- InitTest.cpp - Tests of the deterministic initialisers -------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Init.h"
#include "TestUtil.h"

#include "modrt/runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace modrt_test;

namespace {

const float *floats(modrt_model *M, int32_t I) {
  return static_cast<const float *>(modrt_param_data(M, I));
}

uint32_t bitsOf(float F) {
  uint32_t Bits;
  std::memcpy(&Bits, &F, sizeof(Bits));
  return Bits;
}

float floatOf(uint32_t Bits) {
  float F;
  std::memcpy(&F, &Bits, sizeof(F));
  return F;
}

/// The contract of Init.cpp written out again, independently, with libm's
/// log and cos: what a user would write from the documentation.
struct Reference {
  static uint64_t splitmix(uint64_t X) {
    X += 0x9e3779b97f4a7c15ULL;
    X = (X ^ (X >> 30)) * 0xbf58476d1ce4e5b9ULL;
    X = (X ^ (X >> 27)) * 0x94d049bb133111ebULL;
    return X ^ (X >> 31);
  }
  explicit Reference(uint64_t Seed, const std::string &Name) {
    uint64_t Hash = 0xcbf29ce484222325ULL;
    for (unsigned char C : Name)
      Hash = (Hash ^ C) * 0x100000001b3ULL;
    Key = splitmix(Seed ^ Hash);
  }
  double u(uint64_t I) const {
    return (double(splitmix(Key + I) >> 40) + 0.5) / 16777216.0;
  }
  double normal(uint64_t J, double Mean, double Std) const {
    const double Pi = 3.14159265358979323846;
    return Mean + Std * (std::sqrt(-2.0 * std::log(u(2 * J))) *
                         std::cos(2.0 * Pi * u(2 * J + 1)));
  }
  uint64_t Key;
};

TEST(InitTest, HashAndGeneratorMatchPublishedValues) {
  // splitmix64's first output for state 0, and FNV-1a's test vectors.
  EXPECT_EQ(modrt::detail::splitmix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(modrt::fnv1a64("", 0), 0xcbf29ce484222325ULL);
  EXPECT_EQ(modrt::fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(modrt::detail::streamKey(7, "a"),
            modrt::detail::splitmix64(7 ^ 0xaf63dc4c8601ec8cULL));
}

TEST(InitTest, DrawsAreOddMultiplesOfTwoToTheMinus25) {
  uint64_t Key = modrt::detail::streamKey(1, "w");
  for (uint64_t I = 0; I < 10000; ++I) {
    double U = modrt::detail::uniformDraw(Key, I);
    ASSERT_GT(U, 0.0);
    ASSERT_LT(U, 1.0);
    double Scaled = U * 33554432.0;
    ASSERT_EQ(Scaled, std::floor(Scaled));
    ASSERT_EQ(std::fmod(Scaled, 2.0), 1.0);
  }
}

double ulp(double X) {
  X = std::fabs(X);
  return std::nextafter(X, INFINITY) - X;
}

TEST(InitTest, LogMatchesLibmClosely) {
  std::vector<double> Points = {0x1p-25,  0x1.000002p-25,     0.25,
                                0.5,      0.7071067811865476, 0.75,
                                0.999999, 1.0 - 0x1p-25,      1.0};
  uint64_t Key = modrt::detail::streamKey(3, "log");
  for (uint64_t I = 0; I < 200000; ++I)
    Points.push_back(modrt::detail::uniformDraw(Key, I));
  for (double X : Points) {
    double Mine = modrt::detail::logPositive(X);
    double Libm = std::log(X);
    ASSERT_LE(std::fabs(Mine - Libm), 2 * ulp(Libm)) << X;
  }
  EXPECT_EQ(modrt::detail::logPositive(1.0), 0.0);
  EXPECT_EQ(modrt::detail::logPositive(0.5), -0x1.62e42fefa39efp-1);
}

TEST(InitTest, CosineMatchesLibmClosely) {
  EXPECT_EQ(modrt::detail::cosTwoPi(0.0), 1.0);
  EXPECT_EQ(modrt::detail::cosTwoPi(0.25), 0.0);
  EXPECT_EQ(modrt::detail::cosTwoPi(0.5), -1.0);
  EXPECT_EQ(modrt::detail::cosTwoPi(1.0), 1.0);
  // In double, 2 pi t is rounded before cos sees it (off by up to 4e-16
  // near t = 1); long double keeps the reference accurate.
  const long double Pi = 3.141592653589793238462643383279502884L;
  uint64_t Key = modrt::detail::streamKey(4, "cos");
  for (uint64_t I = 0; I < 200000; ++I) {
    double T = modrt::detail::uniformDraw(Key, I);
    double Expected = double(std::cos(2 * Pi * (long double)T));
    ASSERT_NEAR(modrt::detail::cosTwoPi(T), Expected, 2.5e-16) << T;
  }
}

TEST(InitTest, SameSeedSameBytesOtherSeedOtherBytes) {
  modrt_model *A = modrt_create(loraDescriptor());
  modrt_model *B = modrt_create(loraDescriptor());
  ASSERT_NE(A, nullptr);
  ASSERT_NE(B, nullptr);
  const modrt_info *Info = modrt_describe(loraDescriptor());
  ASSERT_EQ(modrt_init(A, 42), MODRT_OK);
  ASSERT_EQ(modrt_init(B, 42), MODRT_OK);
  EXPECT_TRUE(snapshot(A, Info) == snapshot(B, Info));
  // Re-initialising gives the same bytes again.
  ASSERT_EQ(modrt_init(A, 42), MODRT_OK);
  EXPECT_TRUE(snapshot(A, Info) == snapshot(B, Info));

  ASSERT_EQ(modrt_init(B, 43), MODRT_OK);
  std::vector<std::string> SeedA = snapshot(A, Info), SeedB = snapshot(B, Info);
  EXPECT_TRUE(SeedA[0] != SeedB[0]); // xavier
  EXPECT_TRUE(SeedA[1] == SeedB[1]); // zeros
  EXPECT_TRUE(SeedA[2] != SeedB[2]); // normal
  EXPECT_TRUE(SeedA[3] == SeedB[3]); // const
  modrt_destroy(A);
  modrt_destroy(B);
}

TEST(InitTest, StreamsDependOnTheParameterName) {
  const char *Desc = "modrt 1\nmodel n\n"
                     "param p f32 1 64 trainable uniform 0 1\n"
                     "param q f32 1 64 trainable uniform 0 1\nend\n";
  modrt_model *M = modrt_create(Desc);
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_init(M, 0), MODRT_OK);
  EXPECT_NE(std::memcmp(floats(M, 0), floats(M, 1), 64 * sizeof(float)), 0);
  modrt_destroy(M);
}

TEST(InitTest, NormalHasTheRequestedMoments) {
  const char *Desc = "modrt 1\nmodel g\n"
                     "param w f32 2 1024 1024 trainable normal 0 0.02\n"
                     "param v f32 1 100000 trainable normal 3 2\nend\n";
  modrt_model *M = modrt_create(Desc);
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_init(M, 7), MODRT_OK);
  const float *W = floats(M, 0);
  const int64_t N = 1024 * 1024;
  double Sum = 0, SumSquares = 0;
  int64_t WithinOneStd = 0;
  for (int64_t J = 0; J < N; ++J) {
    Sum += W[J];
    SumSquares += double(W[J]) * W[J];
    WithinOneStd += std::fabs(W[J]) < 0.02;
  }
  double Mean = Sum / N;
  double Std = std::sqrt(SumSquares / N - Mean * Mean);
  // Standard error of the mean: 0.02 / 1024 ~ 2e-5.
  EXPECT_NEAR(Mean, 0.0, 1e-4);
  EXPECT_NEAR(Std, 0.02, 0.0002);
  EXPECT_NEAR(double(WithinOneStd) / N, 0.6827, 0.003);

  const float *V = floats(M, 1);
  Sum = SumSquares = 0;
  for (int64_t J = 0; J < 100000; ++J) {
    Sum += V[J];
    SumSquares += double(V[J]) * V[J];
  }
  Mean = Sum / 100000;
  EXPECT_NEAR(Mean, 3.0, 0.03);
  EXPECT_NEAR(std::sqrt(SumSquares / 100000 - Mean * Mean), 2.0, 0.03);
  modrt_destroy(M);
}

TEST(InitTest, NormalFollowsTheDocumentedAlgorithm) {
  modrt_model *M = modrt_create(loraDescriptor());
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_init(M, 42), MODRT_OK);
  Reference Ref(42, "adapter.A");
  const float *A = floats(M, 2);
  // libm's log and cos may differ from the runtime's in the last bit of a
  // double; after rounding to float that is invisible but for rare ties.
  int Different = 0;
  for (int64_t J = 0; J < 1024 * 16; ++J) {
    float Expected = float(Ref.normal(uint64_t(J), 0.0, 0.02));
    if (A[J] != Expected) {
      ++Different;
      EXPECT_EQ(std::nextafter(A[J], Expected), Expected) << J;
    }
  }
  EXPECT_LE(Different, 2);
  modrt_destroy(M);
}

TEST(InitTest, PinnedValues) {
  // Any change to these bits changes every model initialised with modc:
  // such a change must be deliberate (see the contract in Init.cpp).
  modrt_model *M = modrt_create(loraDescriptor());
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_init(M, 42), MODRT_OK);
  const float *A = floats(M, 2);
  EXPECT_EQ(bitsOf(A[0]), 0xbcb5c1eeu) << A[0];
  EXPECT_EQ(bitsOf(A[1]), 0x3c885989u) << A[1];
  EXPECT_EQ(bitsOf(A[12345]), 0x3ce5910du) << A[12345];
  const float *W = floats(M, 0);
  EXPECT_EQ(bitsOf(W[0]), 0x3ce906b8u) << W[0];
  modrt_destroy(M);
}

TEST(InitTest, UniformAndXavierFollowTheDocumentedAlgorithm) {
  modrt_model *M = modrt_create(loraDescriptor());
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_init(M, 5), MODRT_OK);
  const float *W = floats(M, 0);
  Reference Ref(5, "base.w");
  double Bound = std::sqrt(6.0 / (1024 + 1024));
  float Max = 0;
  double Sum = 0, SumSquares = 0;
  for (int64_t J = 0; J < 1024 * 1024; ++J) {
    ASSERT_EQ(W[J], float(-Bound + (Bound - -Bound) * Ref.u(uint64_t(J)))) << J;
    ASSERT_LE(std::fabs(W[J]), float(Bound));
    Max = std::fmax(Max, std::fabs(W[J]));
    Sum += W[J];
    SumSquares += double(W[J]) * W[J];
  }
  EXPECT_GT(Max, 0.999 * Bound);
  EXPECT_NEAR(Sum / (1024 * 1024), 0.0, 1e-4);
  // Variance of uniform(-a, a) is a^2 / 3.
  EXPECT_NEAR(SumSquares / (1024 * 1024), Bound * Bound / 3, 1e-5);
  modrt_destroy(M);
}

TEST(InitTest, XavierFansByRank) {
  const char *Desc = "modrt 1\nmodel x\n"
                     "param r3 f32 3 5 30 10 trainable xavier\n"
                     "param r1 f32 1 12 trainable xavier\n"
                     "param r0 f32 0 trainable xavier\nend\n";
  modrt_model *M = modrt_create(Desc);
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_init(M, 9), MODRT_OK);
  struct {
    int32_t Index;
    const char *Name;
    int64_t Count;
    double Bound;
  } Cases[] = {{0, "r3", 1500, std::sqrt(6.0 / 40)},
               {1, "r1", 12, std::sqrt(6.0 / 24)},
               {2, "r0", 1, std::sqrt(3.0)}};
  for (const auto &C : Cases) {
    Reference Ref(9, C.Name);
    for (int64_t J = 0; J < C.Count; ++J)
      EXPECT_EQ(floats(M, C.Index)[J],
                float(-C.Bound + 2 * C.Bound * Ref.u(uint64_t(J))))
          << C.Name << "[" << J << "]";
  }
  modrt_destroy(M);
}

TEST(InitTest, ConstantsAndIntegerTypes) {
  const char *Desc = "modrt 1\nmodel c\n"
                     "param z f32 1 5 trainable zeros\n"
                     "param o f32 1 5 trainable ones\n"
                     "param c f32 1 5 trainable const -0.25\n"
                     "param i i32 1 4096 frozen uniform -10 10\n"
                     "param l i64 1 3 frozen const -2.7\n"
                     "param big i64 1 2 frozen const 1e30\n"
                     "param small i32 1 2 frozen const -1e30\n"
                     "param b0 bool 1 2 frozen const 0.5\n"
                     "param b1 bool 1 2 frozen const -1\n"
                     "param h f16 1 2 frozen const 0.1\n"
                     "param bf bf16 1 2 frozen ones\nend\n";
  modrt_model *M = modrt_create(Desc);
  ASSERT_NE(M, nullptr);
  // Start from non-zero bytes so that zeros is really written.
  std::memset(modrt_param_data(M, 0), 0xff, 5 * sizeof(float));
  ASSERT_EQ(modrt_init(M, 1), MODRT_OK);
  for (int J = 0; J < 5; ++J) {
    EXPECT_EQ(bitsOf(floats(M, 0)[J]), 0u);
    EXPECT_EQ(floats(M, 1)[J], 1.0f);
    EXPECT_EQ(floats(M, 2)[J], -0.25f);
  }
  const int32_t *I32 = static_cast<const int32_t *>(modrt_param_data(M, 3));
  Reference Ref(1, "i");
  bool SawNegative = false, SawPositive = false;
  for (int J = 0; J < 4096; ++J) {
    // Truncation toward zero: (-10, 10) maps onto [-9, 9].
    EXPECT_EQ(I32[J], int32_t(std::trunc(-10 + 20 * Ref.u(uint64_t(J)))));
    EXPECT_GE(I32[J], -9);
    EXPECT_LE(I32[J], 9);
    SawNegative |= I32[J] < 0;
    SawPositive |= I32[J] > 0;
  }
  EXPECT_TRUE(SawNegative && SawPositive);
  const int64_t *I64 = static_cast<const int64_t *>(modrt_param_data(M, 4));
  EXPECT_EQ(I64[0], -2);
  EXPECT_EQ(static_cast<const int64_t *>(modrt_param_data(M, 5))[1], INT64_MAX);
  EXPECT_EQ(static_cast<const int32_t *>(modrt_param_data(M, 6))[0], INT32_MIN);
  // bool is the f32 draw != 0, as cast(x, bool): 0.5 is true.
  EXPECT_EQ(static_cast<const uint8_t *>(modrt_param_data(M, 7))[0], 1);
  EXPECT_EQ(static_cast<const uint8_t *>(modrt_param_data(M, 8))[1], 1);
  EXPECT_EQ(static_cast<const uint16_t *>(modrt_param_data(M, 9))[0], 0x2e66);
  EXPECT_EQ(static_cast<const uint16_t *>(modrt_param_data(M, 10))[1], 0x3f80);
  modrt_destroy(M);
}

TEST(InitTest, HalfConversionRoundsToNearestEven) {
  using modrt::detail::floatToHalf;
  EXPECT_EQ(floatToHalf(0.0f), 0x0000);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(0.1f), 0x2e66);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.996f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(1e10f), 0x7c00);
  EXPECT_EQ(floatToHalf(-INFINITY), 0xfc00);
  EXPECT_EQ(floatToHalf(NAN) & 0x7e00, 0x7e00);
  EXPECT_EQ(floatToHalf(0x1p-14f), 0x0400); // Smallest normal.
  EXPECT_EQ(floatToHalf(0x1p-24f), 0x0001); // Smallest subnormal.
  EXPECT_EQ(floatToHalf(0x1p-25f), 0x0000); // Tie to even: zero.
  EXPECT_EQ(floatToHalf(0x1.000002p-25f), 0x0001);
  EXPECT_EQ(floatToHalf(0x1.8p-24f), 0x0002);      // 1.5 units: tie to even.
  EXPECT_EQ(floatToHalf(0x1.4p-23f), 0x0002);      // 2.5 units: tie to even.
  EXPECT_EQ(floatToHalf(0x1.ff8p-15f), 0x03ff);    // Largest subnormal.
  EXPECT_EQ(floatToHalf(0x1.ffcp-15f), 0x0400);    // Tie: up into normals.
  EXPECT_EQ(floatToHalf(1.0f + 0x1p-11f), 0x3c00); // Tie to even: down.
  EXPECT_EQ(floatToHalf(1.0f + 0x3p-11f), 0x3c02); // Tie to even: up.
#if defined(__FLT16_MAX__)
  // Against the compiler's own conversion, over a spread of bit patterns.
  for (uint64_t Bits = 0; Bits <= 0xffffffffULL; Bits += 65521) {
    float F = floatOf(uint32_t(Bits));
    if (std::isnan(F))
      continue;
    _Float16 H = static_cast<_Float16>(F);
    uint16_t Expected;
    std::memcpy(&Expected, &H, sizeof(Expected));
    ASSERT_EQ(floatToHalf(F), Expected) << std::hex << Bits;
  }
#endif
}

TEST(InitTest, BFloat16ConversionRoundsToNearestEven) {
  using modrt::detail::floatToBFloat16;
  EXPECT_EQ(floatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBFloat16(-2.0f), 0xc000);
  EXPECT_EQ(floatToBFloat16(floatOf(0x3f808000)), 0x3f80); // Tie: even.
  EXPECT_EQ(floatToBFloat16(floatOf(0x3f818000)), 0x3f82); // Tie: even.
  EXPECT_EQ(floatToBFloat16(floatOf(0x3f808001)), 0x3f81);
  EXPECT_EQ(floatToBFloat16(floatOf(0x7f7fffff)), 0x7f80); // To infinity.
  EXPECT_EQ(floatToBFloat16(INFINITY), 0x7f80);
  uint16_t NaN = floatToBFloat16(floatOf(0x7f800001));
  EXPECT_EQ(NaN & 0x7f80, 0x7f80);
  EXPECT_NE(NaN & 0x007f, 0);
}

} // namespace
