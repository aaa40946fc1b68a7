//===- Gemm.h - The f32 matrix multiply behind modrt_matmul -----*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Internals of _mlir_ciface_modrt_matmul_f32 that tests and benchmarks
/// reach: the instruction set its kernels use. docs/gemm.md describes the
/// algorithm and its performance.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_GEMM_H
#define MODRT_GEMM_H

#include <cstddef>

namespace modrt {

/// The kernel families of the matmul, slowest first. Generic is portable
/// C++; the others exist on x86-64 only. Avx512Bf16 is Avx512 plus the bf16
/// dot products (GemmPairs.h) for products of two bf16 operands.
enum class GemmIsa { Generic = 0, Avx2 = 1, Avx512 = 2, Avx512Bf16 = 3 };

/// The best family this CPU (and its operating system) supports.
GemmIsa bestGemmIsa();

/// The family matmul uses: bestGemmIsa() unless setGemmIsa changed it.
GemmIsa gemmIsa();

/// Makes matmul use Isa from now on, for tests and benchmarks; returns false
/// and changes nothing if the CPU lacks it. Not for use while a matmul runs.
bool setGemmIsa(GemmIsa Isa);

/// Caps the packing buffer of each thread at Bytes (SIZE_MAX: no cap, the
/// default), so that tests can reach the path taken when memory is short.
void setGemmWorkspaceLimit(size_t Bytes);

/// The calling thread's packing and scratch buffers, as a token for
/// releaseGemmWorkspaces (valid while the thread lives).
void *gemmWorkspacesOfThisThread();

/// Frees the packing and scratch buffers of `Token`'s thread (NULL: the
/// calling thread's); the next matmul on that thread allocates them again.
/// Another thread's only while it runs no matmul (at unload).
void releaseGemmWorkspaces(void *Token = nullptr);

/// Products computed on the bf16 dot products so far (an entry call, or a
/// tile of a grouped product, each one), so that tests can tell which path
/// ran.
size_t bf16PairProductCount();

/// Rows of A the kernel chosen for an f32 product of M x K by a row-major
/// K x N covers in one pass over B (M when B is swept or packed), with B
/// from the caches or, with BFromMemory, from memory as the weights of a
/// grouped product are; so that tests can check the choice.
long long gemmRowsPerPass(long long M, long long N, long long K,
                          bool BFromMemory);

/// "generic", "avx2", "avx512" or "avx512-bf16".
const char *gemmIsaName(GemmIsa Isa);

} // namespace modrt

#endif // MODRT_GEMM_H
