//===- GemmPairs.h - bf16 x bf16 products on AVX512-BF16 --------*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Products of two bf16 operands with f32 accumulation on the AVX512-BF16
/// dot-product instruction (vdpbf16ps: two bf16 products per f32 lane and
/// instruction, twice the multiply-adds of an f32 FMA). A product of two
/// bf16 values is exact in f32, so this computes what the f32 kernels
/// compute on the widened operands, in another order of the sum.
///
/// The GEMM entry points use it when B is bf16 and A holds values that
/// bf16 represents exactly (the widened activations of a bf16 program):
/// narrowExact tells, and narrows A on the way. docs/gemm.md has the
/// measurements.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_GEMMPAIRS_H
#define MODRT_GEMMPAIRS_H

#include <cstdint>

namespace modrt {

/// True if this CPU (and its operating system) has AVX512-BF16 with
/// AVX512-BW; the functions below need it.
bool cpuHasBf16Pairs();

/// Dst[i] = the bf16 bits of Src[i * Stride] for i < N, if every one of
/// those floats is a bf16 value (its low 16 bits zero); otherwise false,
/// with Dst partly written.
bool narrowExact(const float *Src, int64_t Stride, uint16_t *Dst, int64_t N);

/// C[M x N] = A @ B on this thread, overwriting C: A bf16 [M, K] with rows
/// LdA apart (unit column stride), B bf16 [K, N] with strides RS and CS,
/// C f32 with rows LdC apart (unit column stride). B row-major (CS == 1) is
/// read in place in pairs of rows; B transposed in memory (RS == 1, a
/// Linear weight) as dot products with its rows. Returns false, C
/// untouched, for other layouts. Needs cpuHasBf16Pairs().
bool bf16PairProduct(int64_t M, int64_t N, int64_t K, const uint16_t *A,
                     int64_t LdA, const uint16_t *B, int64_t RS, int64_t CS,
                     float *C, int64_t LdC);

} // namespace modrt

#endif // MODRT_GEMMPAIRS_H
