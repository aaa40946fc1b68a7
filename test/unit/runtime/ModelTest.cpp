//===- ModelTest.cpp - Tests of the model object and its C API ------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "TestUtil.h"

#include "modrt/runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

// The out-of-memory tests ask for absurd allocations: let the sanitizer's
// allocator return NULL as malloc does, instead of aborting.
extern "C" const char *__asan_default_options() {
  return "allocator_may_return_null=1";
}

using namespace modrt_test;

namespace {

TEST(ModelTest, NullModelIsRejectedEverywhere) {
  EXPECT_EQ(modrt_init(nullptr, 1), MODRT_EINVAL);
  EXPECT_EQ(modrt_load(nullptr, "/nonexistent"), MODRT_EINVAL);
  EXPECT_EQ(modrt_save(nullptr, "/nonexistent"), MODRT_EINVAL);
  EXPECT_EQ(modrt_set_threads(nullptr, 2), MODRT_EINVAL);
  EXPECT_EQ(modrt_num_threads(nullptr), MODRT_EINVAL);
  EXPECT_EQ(modrt_fail(nullptr, MODRT_EIO, "x %d", 1), MODRT_EINVAL);
  EXPECT_EQ(modrt_check_dyn(nullptr, "f", "N", -1), MODRT_EINVAL);
  EXPECT_EQ(modrt_check_dyn(nullptr, "f", "N", 1), MODRT_EINVAL);
  EXPECT_EQ(modrt_param_data(nullptr, 0), nullptr);
  ASSERT_NE(modrt_error(nullptr), nullptr);
  EXPECT_NE(std::strstr(modrt_error(nullptr), "NULL"), nullptr);
  modrt_clear_error(nullptr);
  modrt_destroy(nullptr);
}

TEST(ModelTest, ParametersAreZeroedAndAligned) {
  modrt_model *M = modrt_create(loraDescriptor());
  ASSERT_NE(M, nullptr);
  const modrt_info *Info = modrt_describe(loraDescriptor());
  ASSERT_NE(Info, nullptr);
  EXPECT_STREQ(modrt_error(M), "");
  for (int32_t I = 0; I < Info->num_params; ++I) {
    const float *Data = static_cast<const float *>(modrt_param_data(M, I));
    ASSERT_NE(Data, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(Data) % 64, 0u) << I;
    for (int64_t J = 0; J < Info->params[I].count; ++J)
      ASSERT_EQ(Data[J], 0.0f) << Info->params[I].name << "[" << J << "]";
  }
  // Parameters do not overlap: writing all of one leaves the next zero.
  float *Bias = static_cast<float *>(modrt_param_data(M, 1));
  for (int J = 0; J < 1024; ++J)
    Bias[J] = 1.0f;
  EXPECT_EQ(static_cast<float *>(modrt_param_data(M, 2))[0], 0.0f);
  EXPECT_EQ(static_cast<float *>(modrt_param_data(M, 0))[1024 * 1024 - 1],
            0.0f);
  EXPECT_EQ(modrt_param_data(M, -1), nullptr);
  EXPECT_EQ(modrt_param_data(M, 4), nullptr);
  modrt_destroy(M);
}

TEST(ModelTest, ModelsAreIndependent) {
  modrt_model *A = modrt_create(loraDescriptor());
  modrt_model *B = modrt_create(loraDescriptor());
  ASSERT_NE(A, nullptr);
  ASSERT_NE(B, nullptr);
  EXPECT_NE(modrt_param_data(A, 0), modrt_param_data(B, 0));
  static_cast<float *>(modrt_param_data(A, 3))[0] = 7.0f;
  EXPECT_EQ(static_cast<float *>(modrt_param_data(B, 3))[0], 0.0f);
  modrt_destroy(A);
  modrt_destroy(B);
}

TEST(ModelTest, ZeroSizedAndScalarParametersHaveAddresses) {
  const char *Desc = "modrt 1\nmodel z\n"
                     "param empty f32 2 0 5 trainable ones\n"
                     "param scalar f32 0 trainable const 3\n"
                     "param flag bool 1 1 frozen ones\nend\n";
  modrt_model *M = modrt_create(Desc);
  ASSERT_NE(M, nullptr);
  for (int32_t I = 0; I < 3; ++I) {
    ASSERT_NE(modrt_param_data(M, I), nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(modrt_param_data(M, I)) % 64, 0u);
  }
  EXPECT_EQ(modrt_init(M, 0), MODRT_OK);
  EXPECT_EQ(*static_cast<float *>(modrt_param_data(M, 1)), 3.0f);
  EXPECT_EQ(*static_cast<uint8_t *>(modrt_param_data(M, 2)), 1);
  modrt_destroy(M);
}

TEST(ModelTest, ModelWithoutParameters) {
  modrt_model *M = modrt_create("modrt 1\nmodel none\nend\n");
  ASSERT_NE(M, nullptr);
  EXPECT_EQ(modrt_param_data(M, 0), nullptr);
  EXPECT_EQ(modrt_init(M, 3), MODRT_OK);
  std::string Path = tempPath("none.safetensors");
  ASSERT_EQ(modrt_save(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  EXPECT_EQ(modrt_load(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  // "{}" padded to 8 bytes.
  EXPECT_EQ(readFile(Path), safetensorsFile("{}      ", ""));
  modrt_destroy(M);
  ::unlink(Path.c_str());
}

TEST(ModelTest, CreateFailsCleanlyWhenMemoryIsShort) {
  // 2^60 bytes: a valid descriptor, but no machine has the memory.
  const char *Desc = "modrt 1\nmodel huge\n"
                     "param w f32 2 268435456 1073741824 trainable zeros\n"
                     "end\n";
  const modrt_info *Info = modrt_describe(Desc);
  ASSERT_NE(Info, nullptr);
  EXPECT_EQ(Info->params[0].count, int64_t(1) << 58);
  EXPECT_EQ(modrt_create(Desc), nullptr);
}

TEST(ModelTest, Threads) {
  modrt_model *M = modrt_create(loraDescriptor());
  ASSERT_NE(M, nullptr);
  long Cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_EQ(modrt_num_threads(M), Cores >= 1 ? int(Cores) : 1);
  EXPECT_EQ(modrt_set_threads(M, 3), MODRT_OK);
  EXPECT_EQ(modrt_num_threads(M), 3);
  EXPECT_EQ(modrt_set_threads(M, 0), MODRT_EINVAL);
  EXPECT_NE(std::strstr(modrt_error(M), "got 0"), nullptr) << modrt_error(M);
  EXPECT_EQ(modrt_set_threads(M, -5), MODRT_EINVAL);
  EXPECT_EQ(modrt_num_threads(M), 3);
  EXPECT_EQ(modrt_set_threads(M, 1), MODRT_OK);
  EXPECT_EQ(modrt_num_threads(M), 1);
  modrt_destroy(M);
}

TEST(ModelTest, ErrorMessages) {
  modrt_model *M = modrt_create(loraDescriptor());
  ASSERT_NE(M, nullptr);
  EXPECT_STREQ(modrt_error(M), "");
  EXPECT_EQ(modrt_fail(M, MODRT_EUNSUPPORTED, "no %s on %d", "gpu", 7),
            MODRT_EUNSUPPORTED);
  EXPECT_STREQ(modrt_error(M), "no gpu on 7");
  // A later success leaves the message of the last failure in place.
  EXPECT_EQ(modrt_set_threads(M, 2), MODRT_OK);
  EXPECT_STREQ(modrt_error(M), "no gpu on 7");
  modrt_clear_error(M);
  EXPECT_STREQ(modrt_error(M), "");

  // Long messages are truncated, never overflowed.
  std::string Long(100000, 'x');
  EXPECT_EQ(modrt_fail(M, MODRT_EIO, "%s", Long.c_str()), MODRT_EIO);
  size_t Length = std::strlen(modrt_error(M));
  EXPECT_GT(Length, 1000u);
  EXPECT_LT(Length, Long.size());
  modrt_destroy(M);
}

TEST(ModelTest, CheckDyn) {
  modrt_model *M = modrt_create(loraDescriptor());
  ASSERT_NE(M, nullptr);
  EXPECT_EQ(modrt_check_dyn(M, "forward", "N", 0), MODRT_OK);
  EXPECT_EQ(modrt_check_dyn(M, "forward", "N", 5), MODRT_OK);
  EXPECT_STREQ(modrt_error(M), "");
  EXPECT_EQ(modrt_check_dyn(M, "forward", "N", -3), MODRT_EINVAL);
  EXPECT_STREQ(modrt_error(M), "forward: dyn dimension N = -3 is negative");
  EXPECT_EQ(modrt_check_dyn(M, "forward", "N", INT64_MIN), MODRT_EINVAL);
  EXPECT_STREQ(modrt_error(M),
               "forward: dyn dimension N = -9223372036854775808 is negative");
  EXPECT_EQ(modrt_check_dyn(M, nullptr, nullptr, -1), MODRT_EINVAL);
  modrt_destroy(M);
}

TEST(ModelTest, NullPathsAreInvalid) {
  modrt_model *M = modrt_create(loraDescriptor());
  ASSERT_NE(M, nullptr);
  EXPECT_EQ(modrt_load(M, nullptr), MODRT_EINVAL);
  EXPECT_NE(std::strstr(modrt_error(M), "NULL"), nullptr);
  EXPECT_EQ(modrt_save(M, nullptr), MODRT_EINVAL);
  modrt_destroy(M);
}

} // namespace

TEST(ModelTest, DerivedParametersFollowInitAndLoad) {
  // W' = 1 * W + 0.5 * A @ B, W [3, 2], A [3, 1], B [1, 2].
  const char *Desc = "modrt 1\nmodel fold\n"
                     "param W f32 2 3 2 frozen const 1\n"
                     "param A f32 2 3 1 trainable const 2\n"
                     "param B f32 2 1 2 trainable const 3\n"
                     "derived __fold.0 3 2 2 w 1 0 ab 0.5 1 2\nend\n";
  modrt_model *M = modrt_create(Desc);
  ASSERT_NE(M, nullptr) << "descriptor rejected";
  // Not part of the state dict.
  EXPECT_EQ(modrt_describe(Desc)->num_params, 3);
  auto *Folded = static_cast<float *>(modrt_param_data(M, 3));
  ASSERT_NE(Folded, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(Folded) % 64, 0u);
  EXPECT_EQ(modrt_param_data(M, 4), nullptr);
  EXPECT_EQ(Folded[0], 0.0f); // Zero parameters at create.
  ASSERT_EQ(modrt_init(M, 0), MODRT_OK);
  for (int I = 0; I < 6; ++I)
    EXPECT_EQ(Folded[I], 1.0f + 0.5f * 2.0f * 3.0f) << I;
  // A load recomputes it; a failed load leaves it as it was.
  std::string Path = tempPath("fold.safetensors");
  static_cast<float *>(modrt_param_data(M, 1))[2] = -1.0f; // A[2, 0]
  ASSERT_EQ(modrt_save(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  std::string File = readFile(Path);
  EXPECT_EQ(File.find("__fold"), std::string::npos);
  ASSERT_EQ(modrt_init(M, 0), MODRT_OK);
  EXPECT_NE(modrt_load(M, "/nonexistent/fold.safetensors"), MODRT_OK);
  EXPECT_EQ(Folded[4], 4.0f);
  ASSERT_EQ(modrt_load(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  EXPECT_EQ(Folded[0], 4.0f);
  EXPECT_EQ(Folded[4], 1.0f + 0.5f * -1.0f * 3.0f);
  EXPECT_EQ(Folded[5], 1.0f + 0.5f * -1.0f * 3.0f);
  modrt_destroy(M);
  ::unlink(Path.c_str());
}

TEST(ModelTest, MalformedDerivedParametersAreRejected) {
  const std::string Head = "modrt 1\nmodel fold\n"
                           "param W f32 2 3 2 frozen zeros\n"
                           "param A f32 2 3 1 trainable zeros\n"
                           "param B f32 2 1 2 trainable zeros\n"
                           "param I i32 2 3 2 trainable zeros\n";
  for (const char *Line : {
           "derived d 3 2 1 w 1 7\n",       // No parameter 7.
           "derived d 2 3 1 w 1 0\n",       // Wrong shape.
           "derived d 3 2 1 ab 1 2 1\n",    // B @ A: shapes do not chain.
           "derived d 3 2 1 w 1 3\n",       // Not f32.
           "derived d 3 2 0\n",             // No term.
           "derived d 3 2 1 x 1 0\n",       // Unknown term.
           "derived d 3 2 1 w 1 0 extra\n", // Trailing tokens.
           "derived W 3 2 1 w 1 0\n",       // Name taken.
           "derived d -3 2 1 w 1 0\n",      // Negative shape.
       }) {
    std::string Desc = Head + Line + "end\n";
    EXPECT_EQ(modrt_create(Desc.c_str()), nullptr) << Line;
  }
}

namespace {

/// Parameters of an AdamW train block after `Steps` steps with the gradient
/// G (written before each step into the buffer the runtime hands out), on
/// the matmul's instruction set `Isa` (the optimiser's vector path follows
/// it).
std::vector<float> adamwAfter(modrt::GemmIsa Isa, int Steps,
                              const std::vector<float> &W0,
                              const std::vector<float> &G) {
  // 37 elements: two vectors of 16 and a tail of 5.
  const char *Desc = "modrt 1\nmodel opt\n"
                     "param w f32 1 37 trainable zeros\n"
                     "train step 0\nout loss f32 0\n"
                     "update 2 1 0 5 0.01 0.9 0.999 1e-08 0.1\nend\n";
  EXPECT_TRUE(modrt::setGemmIsa(Isa));
  modrt_model *M = modrt_create(Desc);
  EXPECT_NE(M, nullptr);
  if (!M)
    return {};
  std::memcpy(modrt_param_data(M, 0), W0.data(), W0.size() * sizeof(float));
  for (int S = 0; S < Steps; ++S) {
    auto *Grad = static_cast<float *>(modrt_grad_data(M, 0));
    EXPECT_NE(Grad, nullptr);
    std::memcpy(Grad, G.data(), G.size() * sizeof(float));
    EXPECT_EQ(modrt_train_step(M, 0), MODRT_OK) << modrt_error(M);
  }
  auto *W = static_cast<float *>(modrt_param_data(M, 0));
  std::vector<float> Out(W, W + W0.size());
  modrt_destroy(M);
  modrt::setGemmIsa(modrt::bestGemmIsa());
  return Out;
}

} // namespace

TEST(ModelTest, AdamwVectorPathHasTheScalarPathsBits) {
  std::mt19937 Rng(3);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  std::vector<float> W0(37), G(37);
  for (size_t I = 0; I < W0.size(); ++I) {
    W0[I] = U(Rng);
    G[I] = U(Rng) * (I % 3 == 0 ? 1e-6f : 1.0f);
  }
  std::vector<float> Scalar = adamwAfter(modrt::GemmIsa::Generic, 3, W0, G);
  // One step by hand (PyTorch's order): w *= 1 - lr wd; m = (1 - b1) g,
  // v = (1 - b2) g^2; w += -(lr / (1 - b1)) m / (sqrt(v) / sqrt(1 - b2) +
  // eps).
  std::vector<float> One = adamwAfter(modrt::GemmIsa::Generic, 1, W0, G);
  for (size_t I = 0; I < W0.size(); ++I) {
    float Wi = W0[I] * float(1.0 - 0.01 * 0.1);
    float Mi = 0.0f * 0.9f + float(1.0 - 0.9) * G[I];
    float Vi = 0.0f * 0.999f + float(1.0 - 0.999) * (G[I] * G[I]);
    float Denom = std::sqrt(Vi) / float(std::sqrt(1.0 - 0.999)) + 1e-8f;
    EXPECT_EQ(One[I], Wi + float(-(0.01 / (1.0 - 0.9))) * Mi / Denom) << I;
  }
  // The fastest path this CPU has (AVX-512's 16 at a time where it has
  // it) gives the same bits.
  std::vector<float> Vector = adamwAfter(modrt::bestGemmIsa(), 3, W0, G);
  for (size_t I = 0; I < W0.size(); ++I)
    EXPECT_EQ(std::memcmp(&Vector[I], &Scalar[I], sizeof(float)), 0)
        << I << ": " << Vector[I] << " vs " << Scalar[I];
}
