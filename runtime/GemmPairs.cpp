//===- GemmPairs.cpp - bf16 x bf16 products on AVX512-BF16 ----------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Two kernels, both reading A and B in place (no packing):
///  - pairs, for a row-major B: a micro-tile of up to 12 rows x 32 columns
///    of C in 24 registers; each step takes two rows of B (32 columns each),
///    interleaves them into (B[k][j], B[k+1][j]) pairs with one permute per
///    16 columns, and multiplies them with (A[i][k], A[i][k+1]) broadcast
///    from A's row, which is such a pair in memory already;
///  - dots, for B transposed in memory (a Linear weight [N, K]): a tile of
///    up to 3 rows x 8 columns of C as 24 dot products of rows of A with rows
///    of the weight, 32 elements a step, summed across lanes four columns
///    at a time at the end.
/// Both cut the rows into blocks whose part of A stays in L2 while B's
/// columns are swept.
///
//===----------------------------------------------------------------------===//

#include "GemmPairs.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define MODRT_PAIRS_X86 1
#include <immintrin.h>
#else
#define MODRT_PAIRS_X86 0
#endif

namespace modrt {
namespace {

/// Rows of A per block: about this many bytes of A, re-read from L2 for
/// every block of B's columns.
constexpr int64_t RowBlockBytes = 256 << 10;

bool narrowExactGeneric(const float *Src, int64_t Stride, uint16_t *Dst,
                        int64_t N) {
  for (int64_t I = 0; I < N; ++I) {
    uint32_t Bits;
    std::memcpy(&Bits, Src + I * Stride, sizeof(Bits));
    if (Bits & 0xFFFFu)
      return false;
    Dst[I] = uint16_t(Bits >> 16);
  }
  return true;
}

} // namespace

#if MODRT_PAIRS_X86

#if defined(__clang__)
#pragma clang attribute push(                                                  \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma"))),  \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma")
#endif

namespace {

inline __m512bh asPairs(__m512i V) { return reinterpret_cast<__m512bh &>(V); }

/// The low Count bits set (Count <= 32).
inline __mmask32 lowBits32(int64_t Count) {
  return Count >= 32 ? __mmask32(~0u) : __mmask32((1u << Count) - 1u);
}

inline __mmask16 lowBits16(int64_t Count) {
  return Count >= 16  ? __mmask16(0xFFFF)
         : Count <= 0 ? __mmask16(0)
                      : __mmask16((1u << Count) - 1u);
}

/// The pair (A[k], A[k + 1]) as one 32-bit word, broadcast.
inline __m512bh pairAt(const uint16_t *A) {
  uint32_t Word;
  std::memcpy(&Word, A, sizeof(Word));
  return asPairs(_mm512_set1_epi32(int(Word)));
}

/// Rows of B fetched ahead of the pair kernel.
constexpr int64_t PrefetchRows = 64;

/// C[MR x Cols] = A @ B for Cols <= 32 * S columns of a row-major B: S
/// panels of 32 columns side by side, 2 * MR * S accumulators.
template <int MR, int S>
void pairKernel(int64_t K, const uint16_t *A, int64_t LdA, const uint16_t *B,
                int64_t LdB, float *C, int64_t LdC, int64_t Cols) {
  // Lane 2j of the low half takes row k's column j, lane 2j + 1 row k + 1's;
  // the high half columns 16 + j.
  alignas(64) static const uint16_t LoIndex[32] = {
      0, 32, 1, 33, 2,  34, 3,  35, 4,  36, 5,  37, 6,  38, 7,  39,
      8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
  alignas(64) static const uint16_t HiIndex[32] = {
      16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
      24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63};
  const __m512i Lo = _mm512_load_si512(LoIndex);
  const __m512i Hi = _mm512_load_si512(HiIndex);
  __mmask32 Load[S];
  for (int Q = 0; Q < S; ++Q)
    Load[Q] = lowBits32(std::max<int64_t>(0, Cols - 32 * Q));
  __m512 Acc[MR][2 * S];
  for (int R = 0; R < MR; ++R)
    for (int Q = 0; Q < 2 * S; ++Q)
      Acc[R][Q] = _mm512_setzero_ps();
  // Pairs of rows k, k + 1 of B (R1 null: k is the last, odd row) times
  // the pairs Av[R] of A.
  auto step = [&](const uint16_t *R0, const uint16_t *R1, const __m512bh *Av) {
    for (int Q = 0; Q < S; ++Q) {
      __m512i V0 = _mm512_maskz_loadu_epi16(Load[Q], R0 + 32 * Q);
      __m512i V1 = R1 ? _mm512_maskz_loadu_epi16(Load[Q], R1 + 32 * Q)
                      : _mm512_setzero_si512();
      __m512bh B0 = asPairs(_mm512_permutex2var_epi16(V0, Lo, V1));
      __m512bh B1 = asPairs(_mm512_permutex2var_epi16(V0, Hi, V1));
      for (int R = 0; R < MR; ++R) {
        Acc[R][2 * Q] = _mm512_dpbf16_ps(Acc[R][2 * Q], Av[R], B0);
        Acc[R][2 * Q + 1] = _mm512_dpbf16_ps(Acc[R][2 * Q + 1], Av[R], B1);
      }
    }
  };
  int64_t P = 0;
  for (; P + 2 <= K; P += 2) {
    // One panel's rows are a row stride apart, each its own page when B
    // is wide: the hardware prefetcher does not follow, so fetch ahead.
    if constexpr (S == 1) {
      _mm_prefetch(reinterpret_cast<const char *>(B + (P + PrefetchRows) * LdB),
                   _MM_HINT_T0);
      _mm_prefetch(
          reinterpret_cast<const char *>(B + (P + PrefetchRows + 1) * LdB),
          _MM_HINT_T0);
    }
    __m512bh Av[MR];
    for (int R = 0; R < MR; ++R)
      Av[R] = pairAt(A + R * LdA + P);
    step(B + P * LdB, B + (P + 1) * LdB, Av);
  }
  if (P < K) {
    // Odd K: the last row of B paired with zeros, A's last element with a
    // zero (not the word past the row, which may not be a number).
    __m512bh Av[MR];
    for (int R = 0; R < MR; ++R)
      Av[R] = asPairs(_mm512_set1_epi32(int(A[R * LdA + P])));
    step(B + P * LdB, nullptr, Av);
  }
  for (int R = 0; R < MR; ++R)
    for (int Q = 0; Q < 2 * S; ++Q)
      _mm512_mask_storeu_ps(C + R * LdC + 16 * Q, lowBits16(Cols - 16 * Q),
                            Acc[R][Q]);
}

/// Rows per pair kernel from 4 rows on; fewer rows sweep B a wide span of
/// columns at a time (Sweep<MR> panels), row by row, as the f32 kernels do.
constexpr int PairRows = 12, PairCols = 32;
template <int MR> constexpr int Sweep = MR == 1 ? 8 : MR == 2 ? 6 : 4;

/// Kernel(std::integral_constant<int, Rows>()) for Rows in [1, MR]: the
/// kernel instance of a tile's row count.
template <int MR, typename KernelFn>
void withRows(int64_t Rows, KernelFn Kernel) {
  if constexpr (MR > 1)
    if (Rows < MR)
      return withRows<MR - 1>(Rows, Kernel);
  Kernel(std::integral_constant<int, MR>());
}

/// The last span of a sweep takes the fewest panels that cover its columns
/// (a LoRA's [D, 16] down-projection is one panel, not Sweep<MR> of them
/// with all but the first masked off: 4.8 -> 1.0 us for 1 x 1024 x 16).
template <int MR, int S = Sweep<MR>>
void pairSpan(int64_t Cols, int64_t K, const uint16_t *A, int64_t LdA,
              const uint16_t *B, int64_t LdB, float *C, int64_t LdC) {
  if constexpr (S > 1)
    if (Cols <= PairCols * (S / 2))
      return pairSpan<MR, S / 2>(Cols, K, A, LdA, B, LdB, C, LdC);
  pairKernel<MR, S>(K, A, LdA, B, LdB, C, LdC, Cols);
}

template <int MR>
void pairSweep(int64_t N, int64_t K, const uint16_t *A, int64_t LdA,
               const uint16_t *B, int64_t LdB, float *C, int64_t LdC) {
  constexpr int64_t Span = PairCols * Sweep<MR>;
  for (int64_t J = 0; J < N; J += Span)
    pairSpan<MR>(std::min(Span, N - J), K, A, LdA, B + J, LdB, C + J, LdC);
}

void pairTile(int64_t M, int64_t N, int64_t K, const uint16_t *A, int64_t LdA,
              const uint16_t *B, int64_t LdB, float *C, int64_t LdC) {
  switch (M) {
  case 1:
    return pairSweep<1>(N, K, A, LdA, B, LdB, C, LdC);
  case 2:
    return pairSweep<2>(N, K, A, LdA, B, LdB, C, LdC);
  case 3:
    return pairSweep<3>(N, K, A, LdA, B, LdB, C, LdC);
  default:
    break;
  }
  int64_t Block =
      std::max<int64_t>(PairRows, RowBlockBytes / std::max<int64_t>(2 * K, 1) /
                                      PairRows * PairRows);
  for (int64_t I0 = 0; I0 < M; I0 += Block) {
    int64_t I1 = std::min(M, I0 + Block);
    // The block's rows in as few kernels as fit, of near-equal heights (16 rows
    // as 8 + 8, not 12 + 4: a short kernel does as many loads and
    // permutes per dot product as a tall one does for several).
    int64_t Kernels = (I1 - I0 + PairRows - 1) / PairRows;
    for (int64_t J = 0; J < N; J += PairCols)
      for (int64_t Q = 0, I = I0; Q < Kernels; ++Q) {
        int64_t Rows = (I1 - I + (Kernels - Q) - 1) / (Kernels - Q);
        withRows<PairRows>(Rows, [&](auto R) {
          pairKernel<decltype(R)::value, 1>(K, A + I * LdA, LdA, B + J, LdB,
                                            C + I * LdC + J, LdC,
                                            std::min<int64_t>(PairCols, N - J));
        });
        I += Rows;
      }
  }
}

/// The sums of the lanes of A, B, C and D, in that order.
inline __m128 sumLanes4(__m512 A, __m512 B, __m512 C, __m512 D) {
  // Per 128-bit lane: [a0 + a2, b0 + b2, a1 + a3, b1 + b3], likewise c, d.
  __m512 Ab = _mm512_add_ps(_mm512_unpacklo_ps(A, B), _mm512_unpackhi_ps(A, B));
  __m512 Cd = _mm512_add_ps(_mm512_unpacklo_ps(C, D), _mm512_unpackhi_ps(C, D));
  // Per 128-bit lane: the four partial sums of a, b, c, d.
  __m512d Abd = _mm512_castps_pd(Ab), Cdd = _mm512_castps_pd(Cd);
  __m512 S = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(Abd, Cdd)),
                           _mm512_castpd_ps(_mm512_unpackhi_pd(Abd, Cdd)));
  __m256 H = _mm256_add_ps(
      _mm512_castps512_ps256(S),
      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(S), 1)));
  return _mm_add_ps(_mm256_castps256_ps128(H), _mm256_extractf128_ps(H, 1));
}

constexpr int DotRows = 3, DotCols = 8;

/// C[MR x Cols] = A @ W^T for Cols <= 8 rows of W ([N, K], rows LdW apart).
template <int MR>
void dotKernel(int64_t K, const uint16_t *A, int64_t LdA, const uint16_t *W,
               int64_t LdW, float *C, int64_t LdC, int64_t Cols) {
  const uint16_t *Wr[DotCols];
  for (int Q = 0; Q < DotCols; ++Q)
    Wr[Q] = W + std::min<int64_t>(Q, Cols - 1) * LdW;
  __m512 Acc[MR][DotCols];
  for (int R = 0; R < MR; ++R)
    for (int Q = 0; Q < DotCols; ++Q)
      Acc[R][Q] = _mm512_setzero_ps();
  auto step = [&](int64_t P, __mmask32 Mask) {
    __m512bh Av[MR];
    for (int R = 0; R < MR; ++R)
      Av[R] = asPairs(_mm512_maskz_loadu_epi16(Mask, A + R * LdA + P));
    for (int Q = 0; Q < DotCols; ++Q) {
      __m512bh Wv = asPairs(_mm512_maskz_loadu_epi16(Mask, Wr[Q] + P));
      for (int R = 0; R < MR; ++R)
        Acc[R][Q] = _mm512_dpbf16_ps(Acc[R][Q], Av[R], Wv);
    }
  };
  int64_t P = 0;
  for (; P + 32 <= K; P += 32)
    step(P, __mmask32(~0u));
  if (P < K)
    step(P, lowBits32(K - P));
  for (int R = 0; R < MR; ++R)
    for (int Q = 0; Q < DotCols; Q += 4) {
      __m128 S =
          sumLanes4(Acc[R][Q], Acc[R][Q + 1], Acc[R][Q + 2], Acc[R][Q + 3]);
      _mm_mask_storeu_ps(C + R * LdC + Q, lowBits16(Cols - Q) & 0xF, S);
    }
}

void dotTile(int64_t M, int64_t N, int64_t K, const uint16_t *A, int64_t LdA,
             const uint16_t *W, int64_t LdW, float *C, int64_t LdC) {
  int64_t Block = std::max<int64_t>(
      DotRows, RowBlockBytes / std::max<int64_t>(2 * K, 1) / DotRows * DotRows);
  for (int64_t I0 = 0; I0 < M; I0 += Block) {
    int64_t I1 = std::min(M, I0 + Block);
    for (int64_t J = 0; J < N; J += DotCols)
      for (int64_t I = I0; I < I1; I += DotRows)
        withRows<DotRows>(std::min<int64_t>(DotRows, I1 - I), [&](auto R) {
          dotKernel<decltype(R)::value>(K, A + I * LdA, LdA, W + J * LdW, LdW,
                                        C + I * LdC + J, LdC,
                                        std::min<int64_t>(DotCols, N - J));
        });
  }
}

bool narrowExactAvx512(const float *Src, uint16_t *Dst, int64_t N) {
  const __m512i Low = _mm512_set1_epi32(0xFFFF);
  int64_t I = 0;
  for (; I < N; I += 16) {
    __mmask16 Mask = lowBits16(N - I);
    __m512i V = _mm512_maskz_loadu_epi32(Mask, Src + I);
    if (_mm512_test_epi32_mask(V, Low))
      return false;
    _mm256_mask_storeu_epi16(Dst + I, Mask,
                             _mm512_cvtepi32_epi16(_mm512_srli_epi32(V, 16)));
  }
  return true;
}

} // namespace

bool bf16PairProduct(int64_t M, int64_t N, int64_t K, const uint16_t *A,
                     int64_t LdA, const uint16_t *B, int64_t RS, int64_t CS,
                     float *C, int64_t LdC) {
  if (M <= 0 || N <= 0)
    return true;
  if (K == 0) {
    for (int64_t I = 0; I < M; ++I)
      std::fill(C + I * LdC, C + I * LdC + N, 0.0f);
    return true;
  }
  if (CS == 1) {
    pairTile(M, N, K, A, LdA, B, RS, C, LdC);
    return true;
  }
  if (RS == 1) {
    dotTile(M, N, K, A, LdA, B, CS, C, LdC);
    return true;
  }
  return false;
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

bool cpuHasBf16Pairs() {
  static const bool Has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bf16") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return Has;
}

bool narrowExact(const float *Src, int64_t Stride, uint16_t *Dst, int64_t N) {
  if (Stride == 1 && cpuHasBf16Pairs())
    return narrowExactAvx512(Src, Dst, N);
  return narrowExactGeneric(Src, Stride, Dst, N);
}

#else // !MODRT_PAIRS_X86

bool cpuHasBf16Pairs() { return false; }

bool narrowExact(const float *Src, int64_t Stride, uint16_t *Dst, int64_t N) {
  return narrowExactGeneric(Src, Stride, Dst, N);
}

bool bf16PairProduct(int64_t, int64_t, int64_t, const uint16_t *, int64_t,
                     const uint16_t *, int64_t, int64_t, float *, int64_t) {
  return false;
}

#endif

} // namespace modrt
