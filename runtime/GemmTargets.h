//===- GemmTargets.h - The GEMM kernels, once per instruction set -*- C++
//-*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// The vector primitives of each instruction set (generic, AVX2 + FMA,
/// AVX-512), its micro-kernel shapes and cache blocking, and GemmKernels.h
/// instantiated over them inside target regions. Included once, by
/// Gemm.cpp, inside its anonymous namespace (Problem, Plan, Blocking and the
/// tile helpers come from there).
///
//===----------------------------------------------------------------------===//

// No include guard: this is a fragment of Gemm.cpp.

namespace generic {
using Vec = float;
constexpr int Width = 1;
inline Vec vzero() { return 0.0f; }
inline Vec vload(const float *P) { return *P; }
inline Vec vloadBf16(const uint16_t *P) {
  uint32_t Word = uint32_t(*P) << 16;
  float F;
  std::memcpy(&F, &Word, sizeof(F));
  return F;
}
inline Vec vloadF16(const uint16_t *P) { return detail::halfToFloat(*P); }
inline void vstore(float *P, Vec V) { *P = V; }
inline Vec vbroadcast(const float *P) { return *P; }
inline Vec vfma(Vec A, Vec B, Vec C) { return A * B + C; }
inline Vec vadd(Vec A, Vec B) { return A + B; }
using Mask = bool;
inline Mask vmask(int64_t Valid) { return Valid > 0; }
inline Vec vloadMasked(const float *P, Mask M) { return M ? *P : 0.0f; }
inline void vstoreMasked(float *P, Vec V, Mask M) {
  if (M)
    *P = V;
}
inline void vtranspose(Vec *) {}
inline Vec vsumLanes(const Vec *V) { return V[0]; }
#define MODRT_GEMM_SHAPES(X) X(4, 4) X(1, 16) X(1, 1)
constexpr int PackedShape = 0;
constexpr int64_t StreamMaxM = 16, StreamMaxN = 4, DirectMaxRows = 4;
constexpr int DotRows = 1; // Reads A in place, for narrow B.
constexpr int64_t DotMaxN = 8, DotMinM = 3;
constexpr Blocking PackedBlocking = {256, 64, 1024};
constexpr Blocking StreamBlocking = {256, 64, 0};
constexpr int64_t DotBlockFloats = 4096;
constexpr int64_t DotInPlaceMaxM = 0, DotInPlaceKC = 256;
#include "GemmKernels.h"
#undef MODRT_GEMM_SHAPES
} // namespace generic

#if MODRT_GEMM_X86

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))),         \
                             apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif

namespace avx2 {
using Vec = __m256;
constexpr int Width = 8;
inline Vec vzero() { return _mm256_setzero_ps(); }
inline Vec vload(const float *P) { return _mm256_loadu_ps(P); }
inline Vec vloadBf16(const uint16_t *P) {
  __m128i Half = _mm_loadu_si128(reinterpret_cast<const __m128i *>(P));
  return _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_cvtepu16_epi32(Half), 16));
}
inline Vec vloadF16(const uint16_t *P) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(P)));
}
inline void vstore(float *P, Vec V) { _mm256_storeu_ps(P, V); }
inline Vec vbroadcast(const float *P) { return _mm256_broadcast_ss(P); }
inline Vec vfma(Vec A, Vec B, Vec C) { return _mm256_fmadd_ps(A, B, C); }
inline Vec vadd(Vec A, Vec B) { return _mm256_add_ps(A, B); }
using Mask = __m256i;
inline Mask vmask(int64_t Valid) {
  int Lanes = Valid < 0 ? 0 : Valid > Width ? Width : int(Valid);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(Lanes),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Vec vloadMasked(const float *P, Mask M) {
  return _mm256_maskload_ps(P, M);
}
inline void vstoreMasked(float *P, Vec V, Mask M) {
  _mm256_maskstore_ps(P, M, V);
}
inline void vtranspose(Vec *R) {
  Vec T[8], U[8];
  for (int I = 0; I < 4; ++I) {
    T[2 * I] = _mm256_unpacklo_ps(R[2 * I], R[2 * I + 1]);
    T[2 * I + 1] = _mm256_unpackhi_ps(R[2 * I], R[2 * I + 1]);
  }
  for (int I = 0; I < 2; ++I) {
    U[4 * I] = _mm256_shuffle_ps(T[4 * I], T[4 * I + 2], 0x44);
    U[4 * I + 1] = _mm256_shuffle_ps(T[4 * I], T[4 * I + 2], 0xee);
    U[4 * I + 2] = _mm256_shuffle_ps(T[4 * I + 1], T[4 * I + 3], 0x44);
    U[4 * I + 3] = _mm256_shuffle_ps(T[4 * I + 1], T[4 * I + 3], 0xee);
  }
  for (int J = 0; J < 4; ++J) {
    R[J] = _mm256_permute2f128_ps(U[J], U[4 + J], 0x20);
    R[J + 4] = _mm256_permute2f128_ps(U[J], U[4 + J], 0x31);
  }
}
inline Vec vsumLanes(const Vec *V) {
  Vec A[4];
  for (int I = 0; I < 4; ++I)
    A[I] = _mm256_add_ps(_mm256_unpacklo_ps(V[2 * I], V[2 * I + 1]),
                         _mm256_unpackhi_ps(V[2 * I], V[2 * I + 1]));
  Vec B0 = _mm256_add_ps(_mm256_shuffle_ps(A[0], A[1], 0x44),
                         _mm256_shuffle_ps(A[0], A[1], 0xee));
  Vec B1 = _mm256_add_ps(_mm256_shuffle_ps(A[2], A[3], 0x44),
                         _mm256_shuffle_ps(A[2], A[3], 0xee));
  return _mm256_add_ps(_mm256_permute2f128_ps(B0, B1, 0x20),
                       _mm256_permute2f128_ps(B0, B1, 0x31));
}
// 16 registers: at most 12 accumulators.
#define MODRT_GEMM_SHAPES(X)                                                   \
  X(6, 2) X(1, 1) X(1, 8) X(2, 4) X(4, 2) X(4, 1) X(8, 1) X(12, 1)
constexpr int PackedShape = 0;
constexpr int64_t StreamMaxM = 4, StreamMaxN = 16, DirectMaxRows = 8;
// Unused: a vector of B's row holds 8 columns, so the broadcast kernels
// waste no lanes on narrow B and read A in place (1.1-1.4x faster).
constexpr int DotRows = 1;
constexpr int64_t DotMaxN = 0, DotMinM = 0;
constexpr Blocking PackedBlocking = {512, 72, 1024};
constexpr Blocking StreamBlocking = {256, 48, 0};
constexpr int64_t DotBlockFloats = 4096;
constexpr int64_t DotInPlaceMaxM = 0, DotInPlaceKC = 256;
#include "GemmKernels.h"
#undef MODRT_GEMM_SHAPES
} // namespace avx2

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(                                                  \
    __attribute__((target("avx512f,avx512vl,avx2,fma"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx2,fma")
#endif

namespace avx512 {
using Vec = __m512;
constexpr int Width = 16;
inline Vec vzero() { return _mm512_setzero_ps(); }
inline Vec vload(const float *P) { return _mm512_loadu_ps(P); }
inline Vec vloadBf16(const uint16_t *P) {
  __m256i Half = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(P));
  return _mm512_castsi512_ps(
      _mm512_slli_epi32(_mm512_cvtepu16_epi32(Half), 16));
}
inline Vec vloadF16(const uint16_t *P) {
  return _mm512_cvtph_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i *>(P)));
}
inline void vstore(float *P, Vec V) { _mm512_storeu_ps(P, V); }
inline Vec vbroadcast(const float *P) { return _mm512_set1_ps(*P); }
inline Vec vfma(Vec A, Vec B, Vec C) { return _mm512_fmadd_ps(A, B, C); }
inline Vec vadd(Vec A, Vec B) { return _mm512_add_ps(A, B); }
using Mask = __mmask16;
inline Mask vmask(int64_t Valid) {
  return Valid <= 0       ? Mask(0)
         : Valid >= Width ? Mask(0xffff)
                          : Mask((1u << Valid) - 1);
}
inline Vec vloadMasked(const float *P, Mask M) {
  return _mm512_maskz_loadu_ps(M, P);
}
inline void vstoreMasked(float *P, Vec V, Mask M) {
  _mm512_mask_storeu_ps(P, M, V);
}
inline void vtranspose(Vec *R) {
  // 4x4 blocks within each 128-bit lane, then the lanes themselves.
  Vec T[16], U[16];
  for (int I = 0; I < 8; ++I) {
    T[2 * I] = _mm512_unpacklo_ps(R[2 * I], R[2 * I + 1]);
    T[2 * I + 1] = _mm512_unpackhi_ps(R[2 * I], R[2 * I + 1]);
  }
  for (int I = 0; I < 4; ++I) {
    U[4 * I] = _mm512_shuffle_ps(T[4 * I], T[4 * I + 2], 0x44);
    U[4 * I + 1] = _mm512_shuffle_ps(T[4 * I], T[4 * I + 2], 0xee);
    U[4 * I + 2] = _mm512_shuffle_ps(T[4 * I + 1], T[4 * I + 3], 0x44);
    U[4 * I + 3] = _mm512_shuffle_ps(T[4 * I + 1], T[4 * I + 3], 0xee);
  }
  for (int J = 0; J < 4; ++J) {
    Vec X0 = _mm512_shuffle_f32x4(U[J], U[4 + J], 0x88);
    Vec X1 = _mm512_shuffle_f32x4(U[J], U[4 + J], 0xdd);
    Vec Y0 = _mm512_shuffle_f32x4(U[8 + J], U[12 + J], 0x88);
    Vec Y1 = _mm512_shuffle_f32x4(U[8 + J], U[12 + J], 0xdd);
    R[J] = _mm512_shuffle_f32x4(X0, Y0, 0x88);
    R[J + 8] = _mm512_shuffle_f32x4(X0, Y0, 0xdd);
    R[J + 4] = _mm512_shuffle_f32x4(X1, Y1, 0x88);
    R[J + 12] = _mm512_shuffle_f32x4(X1, Y1, 0xdd);
  }
}
/// Lane I of the result is the sum of the lanes of V[I], for 16 vectors.
inline Vec vsumLanes(const Vec *V) {
  // Pairs, then quads, within 128-bit lanes; then across the lanes.
  Vec A[8], B[4];
  for (int I = 0; I < 8; ++I)
    A[I] = _mm512_add_ps(_mm512_unpacklo_ps(V[2 * I], V[2 * I + 1]),
                         _mm512_unpackhi_ps(V[2 * I], V[2 * I + 1]));
  for (int I = 0; I < 4; ++I)
    B[I] = _mm512_add_ps(_mm512_shuffle_ps(A[2 * I], A[2 * I + 1], 0x44),
                         _mm512_shuffle_ps(A[2 * I], A[2 * I + 1], 0xee));
  Vec D01 = _mm512_add_ps(_mm512_shuffle_f32x4(B[0], B[1], 0x88),
                          _mm512_shuffle_f32x4(B[0], B[1], 0xdd));
  Vec D23 = _mm512_add_ps(_mm512_shuffle_f32x4(B[2], B[3], 0x88),
                          _mm512_shuffle_f32x4(B[2], B[3], 0xdd));
  return _mm512_add_ps(_mm512_shuffle_f32x4(D01, D23, 0x88),
                       _mm512_shuffle_f32x4(D01, D23, 0xdd));
}
// 32 registers: at most 28 accumulators.
#define MODRT_GEMM_SHAPES(X)                                                   \
  X(12, 2)                                                                     \
  X(1, 1) X(1, 16) X(2, 8) X(4, 4) X(8, 2) X(4, 1) X(8, 1) X(16, 1) X(24, 1)
constexpr int PackedShape = 0;
// Eight rows of A a page apart share one set of the 8-way L1 cache.
constexpr int64_t StreamMaxM = 16, StreamMaxN = 16, DirectMaxRows = 8;
// 3 x 8 accumulators; from N = 9 on, the broadcast kernels use all lanes of
// a vector of B and read A in place, which is faster than packing B^T.
constexpr int DotRows = 3;
constexpr int64_t DotMaxN = 8, DotMinM = 3;
constexpr Blocking PackedBlocking = {512, 192, 1024};
constexpr Blocking StreamBlocking = {512, 48, 0};
// Three rows of A per B^T load can read B^T from L2.
constexpr int64_t DotBlockFloats = 16384;
// B transposed in memory (Linear weights) with at most this many rows of A:
// dot products reading B^T in place, K in blocks of DotInPlaceKC.
constexpr int64_t DotInPlaceMaxM = 64, DotInPlaceKC = 512;
#include "GemmKernels.h"
#undef MODRT_GEMM_SHAPES
} // namespace avx512

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

#endif // MODRT_GEMM_X86
