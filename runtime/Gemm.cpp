//===- Gemm.cpp - The f32 matrix multiply behind modrt_matmul -------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// _mlir_ciface_modrt_matmul_f32: C = A @ B for every 2-D f32 matmul of a
/// compiled model. The runtime is built for baseline x86-64, so the kernels
/// (GemmKernels.h) are compiled once per instruction set inside target
/// regions and chosen at run time from what the CPU supports.
///
/// Three paths, chosen per call from the shape (makePlan):
///  - packed, for many rows and columns: BLIS loop order (columns of C, then
///    depth, then rows, then micro-tiles), both A and B copied into the
///    contiguous panels a register-blocked micro-kernel streams through,
///    sized for the caches;
///  - streamed, for a few rows of A (decoding) or a few columns of B: the
///    same loops, but B, the weights, is read in place, once, with
///    full-width vector loads, and so is A by kernels of a few rows;
///  - dot products, for a very few columns of B: each element of C is a dot
///    product of a row of A, read in place, and a row of B^T.
/// The threads split C into tiles (splitWork): the columns, so that each
/// streams its own part of the weights, or the rows, whichever costs least.
/// docs/gemm.md has the measurements behind the constants.
///
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "GemmPairs.h"
#include "Init.h"

#include "ThreadPool.h"

#include "modrt/routing.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#define MODRT_GEMM_X86 1
#include <immintrin.h>
#else
#define MODRT_GEMM_X86 0
#endif

namespace modrt {
namespace {

/// A strided view of a matrix, its offset already applied.
struct Matrix {
  const float *Data;
  int64_t RowStride;
  int64_t ColStride;
};

struct MutableMatrix {
  float *Data;
  int64_t RowStride;
  int64_t ColStride;
};

/// C[M x N] = A[M x K] @ B[K x N].
struct Problem {
  int64_t M, N, K;
  Matrix A, B;
  MutableMatrix C;
  /// B is the weight of a grouped product (an expert's, a task's).
  bool Grouped = false;
  /// B comes from memory rather than the caches (the weights of a grouped
  /// product too large to stay cached between calls): kernels that pass
  /// over it once are preferred, and the sweep prefetches.
  bool BFromMemory = false;
};

/// Cache blocking: KC columns of A (rows of B) per packed panel, MC rows of
/// A per packed block, NC columns of B per packed block.
struct Blocking {
  int64_t KC, MC, NC;
};

/// How one instruction set computes a problem.
struct Plan {
  int Shape = -1; ///< Index of the micro-kernel in its set's list.
  int MR = 1;     ///< Rows of the micro-kernel.
  int NR = 1;     ///< Columns of the micro-kernel.
  int Width = 1;  ///< Floats per vector.
  bool PackB = true;
  bool Dot = false;     ///< Dot products along K (narrow B).
  bool InPlace = false; ///< With Dot: B^T read in place (B transposed).
  bool Sweep = false;   ///< A few rows: B swept in place, row by row.
  Blocking Block = {1, 1, 1};
};

/// The packing buffers of the current thread, kept between calls: a model
/// calls matmul many times with the same shapes, and fresh buffers of this
/// size would come from mmap and page-fault on every call. Trivially
/// destructible on purpose: a thread_local with a destructor registers it
/// with __cxa_thread_atexit, and glibc then keeps the library loaded after
/// dlclose until that thread ends (the caller's main thread never does).
/// The buffers go in releaseGemmWorkspaces instead (noteThreadScratch).
class Workspace {
public:
  Workspace() = default;
  Workspace(const Workspace &) = delete;
  Workspace &operator=(const Workspace &) = delete;

  float *get(size_t Floats) {
    if (Floats <= Capacity)
      return Data;
    release();
    noteThreadScratch();
    void *P = nullptr;
    if (Floats > SIZE_MAX / sizeof(float) ||
        posix_memalign(&P, 64, Floats * sizeof(float)) != 0)
      return nullptr;
    Data = static_cast<float *>(P);
    Capacity = Floats;
    return Data;
  }

  void release() {
    std::free(Data);
    Data = nullptr;
    Capacity = 0;
  }

private:
  float *Data = nullptr;
  size_t Capacity = 0;
};

/// A thread's buffers, together so that another thread can free them
/// (releaseGemmWorkspaces at unload).
struct GemmScratch {
  /// The packing buffer.
  Workspace Thread;
  /// Half-precision B widened to f32 (one row block, or the whole of B).
  Workspace Widen, Whole;
  /// A's rows narrowed to bf16 (what a bf16 program's widened activations
  /// were).
  Workspace Narrow;
  /// The grouped products' scratch, beside the packing workspace (which
  /// the products themselves use meanwhile): gathered rows of A, and a
  /// product tile before its scatter. Subject to the same limit.
  Workspace Gather, Tile;
};
thread_local GemmScratch Scratch;

std::atomic<size_t> WorkspaceLimit{SIZE_MAX};

/// At least Floats floats of buffer W (by default the packing buffer),
/// 64-byte aligned, owned by this thread and valid until its next use; NULL
/// if memory is short or Floats passes setGemmWorkspaceLimit's cap.
float *workspace(size_t Floats, Workspace &W = Scratch.Thread) {
  if (Floats > WorkspaceLimit.load(std::memory_order_relaxed) / sizeof(float))
    return nullptr;
  return W.get(Floats);
}

/// C[Rows x Cols] (+)= Tile, for the edges of C and for C with a non-unit
/// column stride.
void mergeTile(const float *Tile, int64_t LdTile, int64_t Rows, int64_t Cols,
               float *C, int64_t RowStride, int64_t ColStride,
               bool Accumulate) {
  for (int64_t I = 0; I < Rows; ++I) {
    float *Out = C + I * RowStride;
    const float *In = Tile + I * LdTile;
    if (Accumulate) {
      for (int64_t J = 0; J < Cols; ++J)
        Out[J * ColStride] += In[J];
    } else {
      for (int64_t J = 0; J < Cols; ++J)
        Out[J * ColStride] = In[J];
    }
  }
}

/// The last resort when the packing buffers cannot be allocated: no memory
/// needed, any strides.
void naiveTile(const Problem &Pr, int64_t M0, int64_t M1, int64_t N0,
               int64_t N1) {
  const Matrix &A = Pr.A, &B = Pr.B;
  const MutableMatrix &C = Pr.C;
  for (int64_t I = M0; I < M1; ++I) {
    float *Row = C.Data + I * C.RowStride;
    for (int64_t J = N0; J < N1; ++J)
      Row[J * C.ColStride] = 0.0f;
    for (int64_t P = 0; P < Pr.K; ++P) {
      float Scale = A.Data[I * A.RowStride + P * A.ColStride];
      const float *BRow = B.Data + P * B.RowStride;
      for (int64_t J = N0; J < N1; ++J)
        Row[J * C.ColStride] += Scale * BRow[J * B.ColStride];
    }
  }
}

//===----------------------------------------------------------------------===//
// The kernels, once per instruction set (GemmTargets.h)
//===----------------------------------------------------------------------===//

#include "GemmTargets.h"

//===----------------------------------------------------------------------===//
// Dispatch and threads
//===----------------------------------------------------------------------===//

GemmIsa detectIsa() {
#if MODRT_GEMM_X86
  // These check the operating system's support (XCR0) as well.
  __builtin_cpu_init();
  if (cpuHasBf16Pairs())
    return GemmIsa::Avx512Bf16;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return GemmIsa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c"))
    return GemmIsa::Avx2;
#endif
  return GemmIsa::Generic;
}

/// The family in use; -1 until first needed.
std::atomic<int> SelectedIsa{-1};

/// See bf16PairProductCount.
std::atomic<size_t> PairProducts{0};

/// `return NS::CALL` with NS the kernel family of Isa (GemmKernels.h is
/// compiled once per family).
#if MODRT_GEMM_X86
#define MODRT_BY_ISA(Isa, CALL)                                                \
  switch (Isa) {                                                               \
  case GemmIsa::Avx512Bf16:                                                    \
  case GemmIsa::Avx512:                                                        \
    return avx512::CALL;                                                       \
  case GemmIsa::Avx2:                                                          \
    return avx2::CALL;                                                         \
  default:                                                                     \
    return generic::CALL;                                                      \
  }
#else
#define MODRT_BY_ISA(Isa, CALL) return generic::CALL;
#endif

Plan makePlan(GemmIsa Isa, const Problem &Pr) {
  MODRT_BY_ISA(Isa, makePlan(Pr))
}

bool runTile(GemmIsa Isa, const Problem &Pr, const Plan &Pl, int64_t M0,
             int64_t M1, int64_t N0, int64_t N1) {
  MODRT_BY_ISA(Isa, runTile(Pr, Pl, M0, M1, N0, N1))
}

void widenBf16(GemmIsa Isa, const uint16_t *Src, float *Dst, int64_t N) {
  MODRT_BY_ISA(Isa, widenBf16(Src, Dst, N))
}

/// Dst[0, N) = Src[0, N) widened from IEEE half (vcvtph2ps but on generic).
void widenF16(GemmIsa Isa, const uint16_t *Src, float *Dst, int64_t N) {
  MODRT_BY_ISA(Isa, widenF16(Src, Dst, N))
}

void bf16DotInPlace(GemmIsa Isa, int64_t M, int64_t N, int64_t K,
                    const float *A, int64_t LdA, const uint16_t *W, int64_t LdW,
                    float *C, int64_t LdC) {
  MODRT_BY_ISA(Isa, bf16DotInPlace(M, N, K, A, LdA, W, LdW, C, LdC))
}

void bf16Sweep(GemmIsa Isa, int64_t M, int64_t K, int64_t Cols, const float *A,
               int64_t LdA, const uint16_t *B, int64_t LdB, float *C,
               int64_t LdC) {
  MODRT_BY_ISA(Isa, bf16Sweep(M, K, Cols, A, LdA, B, LdB, C, LdC))
}

#undef MODRT_BY_ISA

/// Below this many multiply-adds per thread, another thread costs more than
/// it saves: handing a tile to a spinning worker and sharing cache lines
/// take about a microsecond, the time of ~64K multiply-adds on one core.
constexpr double MinFmasPerThread = 64.0 * 1024;

/// Tiles per thread when the work allows (splitWork), and the least work
/// of such a tile.
constexpr int64_t TilesPerThread = 4;
constexpr double MinFmasPerTile = 1024.0 * 1024;

/// The fewest columns of a grouped product's tile (or the scattering
/// product's block) when its groups have few rows and stream their weights
/// in place: 1 KiB runs of each f32 weight row stream from memory far
/// better than 256 bytes, and fill the widest one-row kernel (1 x 16
/// vectors on avx512).
constexpr int64_t StreamedTileColumns = 256;

/// Rough costs per element, in cycles of one core, against Width
/// multiply-adds per cycle: packing A (register transposes) and B (vector
/// copies), and reading B in place once more (from L2 or L3).
constexpr double PackACycles = 0.3, PackBCycles = 0.15, StreamBCycles = 0.25;

/// The threads' tiles: a GridM x GridN grid of C, cut at multiples of the
/// micro-kernel.
struct Split {
  int64_t GridM = 1, GridN = 1;
  int64_t RowsPer = 0, ColsPer = 0;
};

/// Splits the problem over at most Threads threads so that the slowest one
/// (multiply-adds plus its packing, or its passes over B when B is read in
/// place) finishes first. Threads that split the rows each pack all of B;
/// threads that split the columns each pack all of A.
Split splitWork(const Problem &Pr, const Plan &Pl, int Threads) {
  double Fmas = double(Pr.M) * double(Pr.N) * double(Pr.K);
  int64_t Useful = int64_t(Fmas / MinFmasPerThread);
  int64_t T = Threads < Useful ? Threads : Useful;
  Split Best;
  Best.RowsPer = Pr.M;
  Best.ColsPer = Pr.N;
  if (T <= 1)
    return Best;
  int64_t RowBlocks = (Pr.M + Pl.MR - 1) / Pl.MR;
  int64_t ColBlocks = (Pr.N + Pl.NR - 1) / Pl.NR;
  const double K = double(Pr.K);
  double BestCost = -1;
  for (int64_t GM = 1; GM <= T; ++GM) {
    int64_t GN = T / GM;
    if (GM > RowBlocks || GN > ColBlocks)
      continue;
    int64_t Rows = (RowBlocks + GM - 1) / GM * Pl.MR;
    int64_t Cols = (ColBlocks + GN - 1) / GN * Pl.NR;
    double Cost = double(Rows) * double(Cols) * K / Pl.Width;
    if (Pl.PackB) {
      double ColPasses = double((Cols + Pl.Block.NC - 1) / Pl.Block.NC);
      Cost += PackACycles * double(Rows) * K * ColPasses +
              PackBCycles * double(Cols) * K;
    } else if (Pl.InPlace) {
      // Every thread streams the weight rows of its columns once.
      Cost += StreamBCycles * double(Cols) * K;
    } else {
      // The dot-product path reads its B^T from cache, once per row.
      double RowPasses =
          Pl.Dot ? 0.0 : double((Rows + Pl.Block.MC - 1) / Pl.Block.MC);
      Cost += PackACycles * double(Rows) * K +
              StreamBCycles * double(Cols) * K * RowPasses;
    }
    // Leaving threads idle only wins when it is clearly cheaper.
    Cost *= 1.0 + 0.01 * double(T - GM * GN);
    if (BestCost < 0 || Cost < BestCost) {
      BestCost = Cost;
      Best.GridM = GM;
      Best.GridN = GN;
      Best.RowsPer = Rows;
      Best.ColsPer = Cols;
    }
  }
  // With B read in place, up to TilesPerThread tiles per thread, claimed as
  // threads come free (the pool's atomic counter), so that a slowed thread
  // (its core busy with another process) takes fewer instead of holding up
  // the call: the dimension the threads split is cut further, which adds
  // no work (each tile reads its own columns of B). Packed, a column tile
  // would pack its rows of A again and a row tile its columns of B: moe.mod
  // ran 2-5% slower at N = 256 and 2048 with 4 tiles per thread.
  double TileFmas = double(Best.RowsPer) * double(Best.ColsPer) * K;
  int64_t F = Pl.PackB ? 1
                       : std::min<int64_t>(TilesPerThread,
                                           int64_t(TileFmas / MinFmasPerTile));
  if (F > 1 && Best.GridN > 1) {
    int64_t GN = std::min(Best.GridN * F, ColBlocks);
    Best.ColsPer = (ColBlocks + GN - 1) / GN * Pl.NR;
    Best.GridN = (Pr.N + Best.ColsPer - 1) / Best.ColsPer;
  } else if (F > 1 && Best.GridM > 1) {
    int64_t GM = std::min(Best.GridM * F, RowBlocks);
    Best.RowsPer = (RowBlocks + GM - 1) / GM * Pl.MR;
    Best.GridM = (Pr.M + Best.RowsPer - 1) / Best.RowsPer;
  }
  return Best;
}

struct Job {
  GemmIsa Isa;
  const Problem *Pr;
  const Plan *Pl;
  Split S;
};

void runTask(void *Ctx, int64_t Index) {
  const Job &J = *static_cast<const Job *>(Ctx);
  const Problem &Pr = *J.Pr;
  int64_t M0 = (Index / J.S.GridN) * J.S.RowsPer;
  int64_t N0 = (Index % J.S.GridN) * J.S.ColsPer;
  if (M0 >= Pr.M || N0 >= Pr.N)
    return;
  int64_t M1 = M0 + J.S.RowsPer < Pr.M ? M0 + J.S.RowsPer : Pr.M;
  int64_t N1 = N0 + J.S.ColsPer < Pr.N ? N0 + J.S.ColsPer : Pr.N;
  if (!runTile(J.Isa, Pr, *J.Pl, M0, M1, N0, N1))
    naiveTile(Pr, M0, M1, N0, N1);
}

} // namespace

GemmIsa bestGemmIsa() {
  static const GemmIsa Best = detectIsa();
  return Best;
}

GemmIsa gemmIsa() {
  int Isa = SelectedIsa.load(std::memory_order_relaxed);
  if (Isa < 0) {
    Isa = int(bestGemmIsa());
    SelectedIsa.store(Isa, std::memory_order_relaxed);
  }
  return GemmIsa(Isa);
}

bool setGemmIsa(GemmIsa Isa) {
  if (int(Isa) < 0 || int(Isa) > int(bestGemmIsa()))
    return false;
  SelectedIsa.store(int(Isa), std::memory_order_relaxed);
  return true;
}

void setGemmWorkspaceLimit(size_t Bytes) {
  WorkspaceLimit.store(Bytes, std::memory_order_relaxed);
}

size_t bf16PairProductCount() {
  return PairProducts.load(std::memory_order_relaxed);
}

long long gemmRowsPerPass(long long M, long long N, long long K,
                          bool BFromMemory) {
  Problem Pr;
  Pr.M = M;
  Pr.N = N;
  Pr.K = K;
  Pr.A = {nullptr, K, 1};
  Pr.B = {nullptr, N, 1};
  Pr.C = {nullptr, N, 1};
  Pr.Grouped = Pr.BFromMemory = BFromMemory;
  Plan Pl = makePlan(gemmIsa(), Pr);
  return Pl.PackB || Pl.Sweep ? M : std::min<long long>(M, Pl.MR);
}

const char *gemmIsaName(GemmIsa Isa) {
  switch (Isa) {
  case GemmIsa::Generic:
    return "generic";
  case GemmIsa::Avx2:
    return "avx2";
  case GemmIsa::Avx512:
    return "avx512";
  case GemmIsa::Avx512Bf16:
    return "avx512-bf16";
  }
  return "?";
}

void *gemmWorkspacesOfThisThread() { return &Scratch; }

void releaseGemmWorkspaces(void *Token) {
  auto *G = static_cast<GemmScratch *>(Token ? Token : &Scratch);
  for (Workspace *W :
       {&G->Thread, &G->Widen, &G->Whole, &G->Narrow, &G->Gather, &G->Tile})
    W->release();
}

} // namespace modrt

namespace {

using namespace modrt;

/// C = A @ B for one problem (M, N > 0), on `Threads` threads of the
/// current pool (1: on the calling thread).
void runProblem(Problem &Pr, int Threads) {
  if (Pr.K == 0) {
    for (int64_t I = 0; I < Pr.M; ++I)
      for (int64_t J = 0; J < Pr.N; ++J)
        Pr.C.Data[I * Pr.C.RowStride + J * Pr.C.ColStride] = 0.0f;
    return;
  }
  GemmIsa Isa = gemmIsa();
  Plan Pl = makePlan(Isa, Pr);
  Split S = splitWork(Pr, Pl, Threads);
  Job J = {Isa, &Pr, &Pl, S};
  int64_t Tasks = S.GridM * S.GridN;
  // The pool starts at the first call worth splitting; without one (no
  // memory for it) the tiles run here, one after the other.
  ThreadPool *Pool = Tasks > 1 ? currentThreadPool() : nullptr;
  if (!Pool) {
    for (int64_t I = 0; I < Tasks; ++I)
      runTask(&J, I);
    return;
  }
  Pool->run(Tasks, runTask, &J);
}

struct BatchJob {
  const modrt_memref3d_f32 *A, *B, *C;
};

Problem batchProblem(const BatchJob &J, int64_t I) {
  Problem Pr;
  Pr.M = J.A->sizes[1];
  Pr.K = J.A->sizes[2];
  Pr.N = J.B->sizes[2];
  Pr.A = {J.A->aligned + J.A->offset + I * J.A->strides[0], J.A->strides[1],
          J.A->strides[2]};
  Pr.B = {J.B->aligned + J.B->offset + I * J.B->strides[0], J.B->strides[1],
          J.B->strides[2]};
  Pr.C = {J.C->aligned + J.C->offset + I * J.C->strides[0], J.C->strides[1],
          J.C->strides[2]};
  return Pr;
}

void runBatchItem(void *Ctx, int64_t I) {
  Problem Pr = batchProblem(*static_cast<BatchJob *>(Ctx), I);
  runProblem(Pr, 1);
}

/// C[M x N] = A @ B over the views of 2-D f32 descriptors; B given as a
/// view (the f32 descriptor's, or widened bf16 data).
Problem problemOf(const modrt_memref2d_f32 *A, Matrix B,
                  const modrt_memref2d_f32 *C) {
  Problem Pr;
  Pr.M = C->sizes[0];
  Pr.N = C->sizes[1];
  Pr.K = A->sizes[1];
  Pr.A = {A->aligned + A->offset, A->strides[0], A->strides[1]};
  Pr.B = B;
  Pr.C = {C->aligned + C->offset, C->strides[0], C->strides[1]};
  return Pr;
}

/// M, K and N of C = A @ B from 2-D descriptors; false if there is nothing
/// to do: a NULL argument, sizes that do not match, or an empty C.
template <typename BDesc>
bool matmulShape(const modrt_memref2d_f32 *A, const BDesc *B,
                 const modrt_memref2d_f32 *C, int64_t &M, int64_t &K,
                 int64_t &N) {
  if (!A || !B || !C)
    return false;
  M = A->sizes[0], K = A->sizes[1], N = B->sizes[1];
  if (M < 0 || K < 0 || N < 0 || B->sizes[0] != K || C->sizes[0] != M ||
      C->sizes[1] != N)
    return false;
  return M != 0 && N != 0;
}

} // namespace

extern "C" void _mlir_ciface_modrt_matmul_f32(modrt_memref2d_f32 *A,
                                              modrt_memref2d_f32 *B,
                                              modrt_memref2d_f32 *C) {
  int64_t M, K, N;
  if (!matmulShape(A, B, C, M, K, N))
    return;
  Problem Pr =
      problemOf(A, {B->aligned + B->offset, B->strides[0], B->strides[1]}, C);
  runProblem(Pr, currentThreadCount());
}

namespace {

/// The 16-bit float formats B may hold.
enum class Half { Bf16, F16 };

/// Dst[0, N) = Src[0, N) widened from H.
void widenHalf(Half H, const uint16_t *Src, float *Dst, int64_t N) {
  if (H == Half::F16)
    modrt::widenF16(modrt::gemmIsa(), Src, Dst, N);
  else
    modrt::widenBf16(modrt::gemmIsa(), Src, Dst, N);
}

float halfValue(Half H, const uint16_t *P) {
  return H == Half::F16 ? modrt::detail::halfToFloat(*P)
                        : generic::vloadBf16(P);
}

/// A 16-bit B: its data (offset applied) and strides.
struct HalfMatrix {
  const uint16_t *Data;
  int64_t RS, CS;
  Half H;
};

template <typename Desc> HalfMatrix halfMatrix(const Desc *B, Half H) {
  return {B->aligned + B->offset, B->strides[0], B->strides[1], H};
}

/// C = A @ float(B) for a 16-bit B, one block of columns (Cols wide) per
/// task, each swept, dotted or widened and multiplied on one thread. B is
/// read from memory once, at half the bytes of f32.
struct HalfJob {
  modrt_memref2d_f32 *A, *C;
  HalfMatrix B;
  int64_t M, K, N, Cols;
};

/// One row of B widened into a row-major [K, N] f32 buffer.
struct WidenJob {
  HalfMatrix B;
  float *W;
  int64_t K, N;
};

/// B transposed in memory: row Jj of B^T (contiguous) into [N, K].
void widenColumn(void *Ctx, int64_t Jj) {
  const WidenJob &J = *static_cast<const WidenJob *>(Ctx);
  widenHalf(J.B.H, J.B.Data + Jj * J.B.CS, J.W + Jj * J.K, J.K);
}

void widenRow(void *Ctx, int64_t P) {
  const WidenJob &J = *static_cast<const WidenJob *>(Ctx);
  const uint16_t *Row = J.B.Data + P * J.B.RS;
  float *Out = J.W + P * J.N;
  if (J.B.CS == 1) {
    widenHalf(J.B.H, Row, Out, J.N);
    return;
  }
  for (int64_t Jj = 0; Jj < J.N; ++Jj)
    Out[Jj] = halfValue(J.B.H, Row + Jj * J.B.CS);
}

/// C = A @ float(B) on this thread, Pr's B unset, B 16-bit: B widened into
/// this thread's buffer keeping its layout (a transposed weight stays
/// transposed and takes the in-place dot path), then multiplied; without
/// memory for the buffer, element by element.
void widenAndMultiply(Problem &Pr, HalfMatrix Bh) {
  const uint16_t *B = Bh.Data;
  int64_t RS = Bh.RS, CS = Bh.CS;
  float *W = workspace(size_t(Pr.K * Pr.N), Scratch.Widen);
  if (!W) {
    for (int64_t I = 0; I < Pr.M; ++I)
      for (int64_t J = 0; J < Pr.N; ++J) {
        float Sum = 0.0f;
        for (int64_t P = 0; P < Pr.K; ++P)
          Sum += Pr.A.Data[I * Pr.A.RowStride + P * Pr.A.ColStride] *
                 halfValue(Bh.H, B + P * RS + J * CS);
        Pr.C.Data[I * Pr.C.RowStride + J * Pr.C.ColStride] = Sum;
      }
    return;
  }
  if (RS == 1 && CS != 1) {
    // Transposed in memory (a Linear weight [N, K]): rows of B^T.
    for (int64_t J = 0; J < Pr.N; ++J)
      widenHalf(Bh.H, B + J * CS, W + J * Pr.K, Pr.K);
    Pr.B = {W, 1, Pr.K};
  } else {
    for (int64_t P = 0; P < Pr.K; ++P) {
      const uint16_t *Row = B + P * RS;
      float *Out = W + P * Pr.N;
      if (CS == 1) {
        widenHalf(Bh.H, Row, Out, Pr.N);
        continue;
      }
      for (int64_t J = 0; J < Pr.N; ++J)
        Out[J] = halfValue(Bh.H, Row + J * CS);
    }
    Pr.B = {W, Pr.N, 1};
  }
  runProblem(Pr, 1);
}

/// Columns [J0, J0 + Nb) of C, widened and multiplied on this thread.
void runHalfBlock(void *Ctx, int64_t Block) {
  const HalfJob &J = *static_cast<const HalfJob *>(Ctx);
  int64_t J0 = Block * J.Cols;
  Problem Pr;
  Pr.M = J.M;
  Pr.N = std::min(J.Cols, J.N - J0);
  Pr.K = J.K;
  Pr.A = {J.A->aligned + J.A->offset, J.A->strides[0], J.A->strides[1]};
  Pr.C = {J.C->aligned + J.C->offset + J0 * J.C->strides[1], J.C->strides[0],
          J.C->strides[1]};
  HalfMatrix B = J.B;
  B.Data += J0 * B.CS;
  widenAndMultiply(Pr, B);
}

/// Up to 64 rows against a Linear weight ([N, K] in memory): a block of
/// columns as dot products with the weight's rows, widened into L1 a group
/// at a time.
void runBf16Dot(void *Ctx, int64_t Block) {
  const HalfJob &J = *static_cast<const HalfJob *>(Ctx);
  int64_t J0 = Block * J.Cols, Nb = std::min(J.Cols, J.N - J0);
  modrt::bf16DotInPlace(modrt::gemmIsa(), J.M, Nb, J.K,
                        J.A->aligned + J.A->offset, J.A->strides[0],
                        J.B.Data + J0 * J.B.CS, J.B.CS,
                        J.C->aligned + J.C->offset + J0, J.C->strides[0]);
}

/// Few rows and a row-major B: a block of columns multiplied straight from
/// the bf16 data, B swept row by row.
void runBf16Sweep(void *Ctx, int64_t Block) {
  const HalfJob &J = *static_cast<const HalfJob *>(Ctx);
  int64_t J0 = Block * J.Cols, Nb = std::min(J.Cols, J.N - J0);
  modrt::bf16Sweep(modrt::gemmIsa(), J.M, J.K, Nb, J.A->aligned + J.A->offset,
                   J.A->strides[0], J.B.Data + J0, J.B.RS,
                   J.C->aligned + J.C->offset + J0, J.C->strides[0]);
}

/// Products of two bf16 operands on the bf16 dot products (GemmPairs.h):
/// available, and not turned off by setGemmIsa.
bool pairsInUse() { return gemmIsa() == GemmIsa::Avx512Bf16; }

/// Rows [0, M) of A narrowed into `Out` ([M, K], dense) if each element is
/// a bf16 value; false at the first that is not.
bool narrowRows(const Matrix &A, int64_t M, int64_t K, uint16_t *Out) {
  for (int64_t I = 0; I < M; ++I)
    if (!narrowExact(A.Data + I * A.RowStride, A.ColStride, Out + I * K, K))
      return false;
  return true;
}

/// A narrowed into this thread's buffer, or null (no memory, or a value
/// bf16 does not hold).
uint16_t *narrowed(const Matrix &A, int64_t M, int64_t K) {
  auto *Out = reinterpret_cast<uint16_t *>(
      workspace((size_t(M) * size_t(K) + 1) / 2, Scratch.Narrow));
  return Out && narrowRows(A, M, K, Out) ? Out : nullptr;
}

/// Rows of A narrowed by the threads, RowsPer each.
struct NarrowJob {
  Matrix A;
  uint16_t *Out;
  int64_t M, K, RowsPer;
  std::atomic<bool> Inexact{false};
};

void narrowTask(void *Ctx, int64_t T) {
  NarrowJob &J = *static_cast<NarrowJob *>(Ctx);
  int64_t R0 = T * J.RowsPer, R1 = std::min(J.M, R0 + J.RowsPer);
  Matrix Part = {J.A.Data + R0 * J.A.RowStride, J.A.RowStride, J.A.ColStride};
  if (!J.Inexact.load(std::memory_order_relaxed) &&
      !narrowRows(Part, R1 - R0, J.K, J.Out + R0 * J.K))
    J.Inexact.store(true, std::memory_order_relaxed);
}

/// C = A @ B on the bf16 dot products, A narrowed, over a grid of tiles of
/// C shared by the threads.
struct PairsJob {
  const uint16_t *Narrow;
  const uint16_t *B;
  int64_t RS, CS;
  float *C;
  int64_t LdC, M, N, K;
  int64_t RowsPer, ColsPer, ColTiles;
};

void pairsTask(void *Ctx, int64_t T) {
  const PairsJob &J = *static_cast<const PairsJob *>(Ctx);
  int64_t R0 = T / J.ColTiles * J.RowsPer, C0 = T % J.ColTiles * J.ColsPer;
  bf16PairProduct(std::min(J.RowsPer, J.M - R0), std::min(J.ColsPer, J.N - C0),
                  J.K, J.Narrow + R0 * J.K, J.K, J.B + C0 * J.CS, J.RS, J.CS,
                  J.C + R0 * J.LdC + C0, J.LdC);
}

/// C = A @ float(B) on the bf16 dot products if A's values are all bf16
/// values and the layouts allow; false, C untouched, otherwise.
bool pairsMatmul(const modrt_memref2d_f32 *A, HalfMatrix B,
                 modrt_memref2d_f32 *C, int64_t M, int64_t K, int64_t N,
                 int Threads) {
  int64_t RS = B.RS, CS = B.CS;
  if (B.H != Half::Bf16 || !pairsInUse() || K == 0 || C->strides[1] != 1 ||
      (CS != 1 && RS != 1))
    return false;
  auto *Narrow = reinterpret_cast<uint16_t *>(
      workspace((size_t(M) * size_t(K) + 1) / 2, Scratch.Narrow));
  Matrix Am = {A->aligned + A->offset, A->strides[0], A->strides[1]};
  // An f32 activation fails on its first row: look there before the rest.
  if (!Narrow || !narrowRows(Am, 1, K, Narrow))
    return false;
  if (M > 1) {
    NarrowJob Nj;
    Nj.A = {Am.Data + Am.RowStride, Am.RowStride, Am.ColStride};
    Nj.Out = Narrow + K;
    Nj.M = M - 1;
    Nj.K = K;
    Nj.RowsPer = Threads > 1 && Nj.M * K >= (int64_t(1) << 16)
                     ? (Nj.M + Threads - 1) / Threads
                     : Nj.M;
    modrt_parallel_for((Nj.M + Nj.RowsPer - 1) / Nj.RowsPer, narrowTask, &Nj);
    if (Nj.Inexact.load())
      return false;
  }
  PairsJob J;
  J.Narrow = Narrow;
  J.B = B.Data;
  J.RS = RS;
  J.CS = CS;
  J.C = C->aligned + C->offset;
  J.LdC = C->strides[0];
  J.M = M, J.N = N, J.K = K;
  // Tiles: whole kernels of columns (32 for a row-major B, 8 for a
  // transposed one), each thread streaming its own columns of B; rows cut
  // as well when the columns run out.
  int64_t Unit = CS == 1 ? 32 : 8;
  double Fmas = double(M) * double(N) * double(K);
  int64_t Pieces = 1;
  if (Threads > 1 && Fmas >= 2 * MinFmasPerThread)
    Pieces = std::min<int64_t>(
        int64_t(Threads) * TilesPerThread,
        std::max<int64_t>(Threads, int64_t(Fmas / MinFmasPerTile)));
  int64_t ColUnits = (N + Unit - 1) / Unit;
  int64_t ColTiles = std::min(Pieces, ColUnits);
  J.ColsPer = (ColUnits + ColTiles - 1) / ColTiles * Unit;
  J.ColTiles = (N + J.ColsPer - 1) / J.ColsPer;
  int64_t RowTiles = std::max<int64_t>(
      1, std::min((Pieces + J.ColTiles - 1) / J.ColTiles, (M + 11) / 12));
  J.RowsPer = (M + RowTiles - 1) / RowTiles;
  RowTiles = (M + J.RowsPer - 1) / J.RowsPer;
  modrt_parallel_for(RowTiles * J.ColTiles, pairsTask, &J);
  PairProducts.fetch_add(1, std::memory_order_relaxed);
  return true;
}

/// C = A @ float(B) for a 16-bit B (the descriptor of its bits, format H):
/// a bf16 program's activations times bf16 on the bf16 dot products, else
/// the widening paths (the bf16 ones also read B in place).
template <typename Desc>
void halfMatmul(modrt_memref2d_f32 *A, const Desc *Bd, modrt_memref2d_f32 *C,
                Half H) {
  int64_t M, K, N;
  if (!matmulShape(A, Bd, C, M, K, N))
    return;
  if (K == 0) { // An empty sum: runProblem writes the zeros (B is not read).
    Problem Pr = problemOf(A, Matrix{nullptr, N, 1}, C);
    runProblem(Pr, 1);
    return;
  }
  int Threads = currentThreadCount();
  HalfMatrix B = halfMatrix(Bd, H);
  if (pairsMatmul(A, B, C, M, K, N, Threads))
    return;
  // Many rows: B widened whole, once (its cost is spread over the rows),
  // then the threads share one GEMM as for f32 (blocks would pack A again
  // for every block).
  if (M > 64) {
    if (float *W = workspace(size_t(K) * size_t(N), Scratch.Whole)) {
      WidenJob Wj = {B, W, K, N};
      bool Transposed = B.RS == 1 && B.CS != 1;
      modrt_parallel_for(Transposed ? N : K,
                         Transposed ? widenColumn : widenRow, &Wj);
      Problem Pr =
          problemOf(A, Transposed ? Matrix{W, 1, K} : Matrix{W, N, 1}, C);
      runProblem(Pr, Threads);
      return;
    }
  }
  // Up to 4 rows against a row-major B with unit inner strides (up to 16
  // against a narrow one, LoRA's A): swept from the bf16 data itself. From
  // 5 rows on, widened blocks and the f32 kernels are faster (M = 16, K = N
  // = 1024, 2 threads: 170-177 GFLOP/s against 130-135 swept; docs/gemm.md).
  // A Linear weight (B^T's rows contiguous) against up to 64 rows: dot
  // products with its rows. Otherwise blocks widened and multiplied.
  bool UnitCols = A->strides[1] == 1 && C->strides[1] == 1;
  // (bf16 only: the f16 ones widen blocks.)
  bool Bf16 = B.H == Half::Bf16;
  bool Stream =
      Bf16 && (M <= 4 || (M <= 16 && N <= 64)) && B.CS == 1 && UnitCols;
  bool Dot = Bf16 && !Stream && B.RS == 1 && B.CS >= K && UnitCols;
  int64_t Cols;
  if (Stream || Dot) {
    // B read in place: a few blocks per thread, claimed as threads come
    // free, of whole chunks of the kernel.
    int64_t Least = Stream ? 64 : 16, Multiple = Stream ? 32 : 8;
    int64_t Pieces = Threads > 1 ? Threads * TilesPerThread : 1;
    Cols = std::min(N, std::max(Least, (N + Pieces - 1) / Pieces));
    Cols = (Cols + Multiple - 1) / Multiple * Multiple;
  } else {
    // About 256 KiB of widened B per block (multiplied from L2), at least
    // two blocks per thread when N allows.
    int64_t PerThread = (N + 2 * Threads - 1) / (2 * Threads);
    Cols = std::min<int64_t>(
        {std::max<int64_t>(16, (int64_t(64) << 10) / std::max<int64_t>(K, 1)),
         std::max<int64_t>(16, (PerThread + 15) / 16 * 16), N});
  }
  HalfJob J = {A, C, B, M, K, N, Cols};
  modrt_parallel_for((N + Cols - 1) / Cols,
                     Stream ? runBf16Sweep
                     : Dot  ? runBf16Dot
                            : runHalfBlock,
                     &J);
}

} // namespace

extern "C" void _mlir_ciface_modrt_matmul_f32_bf16(modrt_memref2d_f32 *A,
                                                   modrt_memref2d_bf16 *B,
                                                   modrt_memref2d_f32 *C) {
  halfMatmul(A, B, C, Half::Bf16);
}

extern "C" void _mlir_ciface_modrt_matmul_f32_f16(modrt_memref2d_f32 *A,
                                                  modrt_memref2d_f16 *B,
                                                  modrt_memref2d_f32 *C) {
  halfMatmul(A, B, C, Half::F16);
}

extern "C" void _mlir_ciface_modrt_batch_matmul_f32(modrt_memref3d_f32 *A,
                                                    modrt_memref3d_f32 *B,
                                                    modrt_memref3d_f32 *C) {
  if (!A || !B || !C)
    return;
  int64_t Batch = A->sizes[0], M = A->sizes[1], K = A->sizes[2],
          N = B->sizes[2];
  if (Batch < 0 || M < 0 || K < 0 || N < 0 || B->sizes[0] != Batch ||
      B->sizes[1] != K || C->sizes[0] != Batch || C->sizes[1] != M ||
      C->sizes[2] != N)
    return;
  if (Batch == 0 || M == 0 || N == 0)
    return;
  BatchJob J = {A, B, C};
  int Threads = currentThreadCount();
  // Many independent products (attention heads): one per thread at a time.
  // Few large ones: each split over the threads.
  if (Batch >= Threads && Threads > 1) {
    modrt_parallel_for(Batch, runBatchItem, &J);
    return;
  }
  for (int64_t I = 0; I < Batch; ++I) {
    Problem Pr = batchProblem(J, I);
    runProblem(Pr, Threads);
  }
}

namespace {

/// Rows of group G of a grouped product.
int64_t groupCount(const modrt_memref1d_i64 *Counts, int64_t G) {
  return Counts->aligned[Counts->offset + G * Counts->strides[0]];
}

/// Rows of all groups; -1 if a count is negative or the sum overflows.
int64_t groupTotal(const modrt_memref1d_i64 *Counts) {
  int64_t Total = 0;
  for (int64_t G = 0; G < Counts->sizes[0]; ++G) {
    int64_t M = groupCount(Counts, G);
    if (M < 0 || M > INT64_MAX - Total)
      return -1;
    Total += M;
  }
  return Total;
}

/// The weight of group G of a grouped product: f32, or bf16 bits.
const void *groupWeight(const modrt_memref1d_i64 *Weights, int64_t G) {
  return reinterpret_cast<const void *>(
      Weights->aligned[Weights->offset + G * Weights->strides[0]]);
}

/// What a grouped product's weights hold.
enum class GroupWeights : uint8_t { F32, Bf16, F16 };

/// Whether the weights of the non-empty groups of a grouped product, each
/// K x N elements, are too large to stay in the caches between calls: more
/// than a third of a 32 MiB L3 (one CCD of Zen 3/4; the three products of
/// a SwiGLU expert layer then fit in it together). The L3 size the system
/// reports is unreliable in virtual machines (this one reports 320 MiB).
bool coldWeights(const modrt_memref1d_i64 *Counts, int64_t K, int64_t N,
                 GroupWeights W) {
  constexpr double CachedBytes = double(size_t(32) << 20) / 3;
  double Used = 0;
  for (int64_t G = 0; G < Counts->sizes[0]; ++G)
    Used += groupCount(Counts, G) > 0 ? 1 : 0;
  double Bytes =
      Used * double(K) * double(N) * (W == GroupWeights::F32 ? 4 : 2);
  return Bytes > CachedBytes;
}

/// One tile of a grouped product: rows [Row, Row + M) of A and C, columns
/// [Col, Col + N) of the group's B.

struct GroupTile {
  const void *B;
  int64_t Row, M, Col, N;
};

struct GroupedJob {
  const modrt_memref2d_f32 *A, *C;
  int64_t K, Ldb;
  const GroupTile *Tiles;
  /// Row i of the grouped A is A[RowIndex[i]] (gathered per tile); NULL:
  /// row i of A.
  const int64_t *RowIndex = nullptr;
  GroupWeights W = GroupWeights::F32;
  bool TransB = false; ///< The weights are [N, K] f32, used transposed.
  bool Cold = false;   ///< The weights come from memory (coldWeights).
};

/// C = A @ B on this thread for one tile of a grouped product: Pr with its
/// B unset, the weight's columns [Col, Col + N) at `Weight` (row stride
/// Ldb, f32 or bf16). A bf16 weight is swept in place for a few rows, else
/// widened first (widenAndMultiply).
void groupProduct(Problem &Pr, const void *Weight, int64_t Col, int64_t Ldb,
                  GroupWeights W, bool TransB = false) {
  if (TransB) {
    // An f32 [N, K] weight: column j of B is its row j.
    Pr.B = {static_cast<const float *>(Weight) + Col * Pr.K, 1, Pr.K};
    runProblem(Pr, 1);
    return;
  }
  if (W == GroupWeights::F32) {
    Pr.B = {static_cast<const float *>(Weight) + Col, Ldb, 1};
    runProblem(Pr, 1);
    return;
  }
  const uint16_t *B = static_cast<const uint16_t *>(Weight) + Col;
  if (W == GroupWeights::F16) {
    // f16: the tile's columns widened (vcvtph2ps), then the f32 paths.
    widenAndMultiply(Pr, {B, Ldb, 1, Half::F16});
    return;
  }
  // Rows of a bf16 program (widened bf16 values): bf16 x bf16 products.
  if (pairsInUse() && Pr.C.ColStride == 1)
    if (const uint16_t *Narrow = narrowed(Pr.A, Pr.M, Pr.K))
      if (bf16PairProduct(Pr.M, Pr.N, Pr.K, Narrow, Pr.K, B, Ldb, 1, Pr.C.Data,
                          Pr.C.RowStride)) {
        PairProducts.fetch_add(1, std::memory_order_relaxed);
        return;
      }
  if (Pr.M <= 16 && Pr.A.ColStride == 1 && Pr.C.ColStride == 1) {
    bf16Sweep(gemmIsa(), Pr.M, Pr.K, Pr.N, Pr.A.Data, Pr.A.RowStride, B, Ldb,
              Pr.C.Data, Pr.C.RowStride);
    return;
  }
  widenAndMultiply(Pr, {B, Ldb, 1, Half::Bf16});
}

void runGroupTile(void *Ctx, int64_t I) {
  const GroupedJob &J = *static_cast<GroupedJob *>(Ctx);
  const GroupTile &T = J.Tiles[I];
  Problem Pr;
  Pr.M = T.M;
  Pr.N = T.N;
  Pr.K = J.K;
  Pr.Grouped = true;
  Pr.BFromMemory = J.Cold;
  Pr.C = {J.C->aligned + J.C->offset + T.Row * J.C->strides[0] +
              T.Col * J.C->strides[1],
          J.C->strides[0], J.C->strides[1]};
  const float *A = J.A->aligned + J.A->offset;
  int64_t RowStride = J.A->strides[0], ColStride = J.A->strides[1];
  if (!J.RowIndex) {
    Pr.A = {A + T.Row * RowStride, RowStride, ColStride};
    groupProduct(Pr, T.B, T.Col, J.Ldb, J.W, J.TransB);
    return;
  }
  // The tile's rows gathered into a dense block, then one product.
  float *Rows = workspace(size_t(T.M * J.K), Scratch.Gather);
  if (!Rows) {
    // No memory for the block: one row at a time, read in place.
    Problem Row = Pr;
    Row.M = 1;
    for (int64_t R = 0; R < T.M; ++R) {
      Row.A = {A + J.RowIndex[T.Row + R] * RowStride, RowStride, ColStride};
      Row.C.Data = Pr.C.Data + R * Pr.C.RowStride;
      groupProduct(Row, T.B, T.Col, J.Ldb, J.W, J.TransB);
    }
    return;
  }
  for (int64_t R = 0; R < T.M; ++R) {
    const float *Src = A + J.RowIndex[T.Row + R] * RowStride;
    for (int64_t Q = 0; Q < J.K; ++Q)
      Rows[R * J.K + Q] = Src[Q * ColStride];
  }
  Pr.A = {Rows, J.K, 1};
  groupProduct(Pr, T.B, T.Col, J.Ldb, J.W, J.TransB);
}

} // namespace

namespace {

/// The grouped product; with `RowList` (an i64 list of at least C's rows),
/// row i of the grouped A is A[RowList[i]].
void groupedMatmul(modrt_memref2d_f32 *A, modrt_memref1d_i64 *RowList,
                   modrt_memref1d_i64 *Weights, modrt_memref1d_i64 *Counts,
                   modrt_memref2d_f32 *C, GroupWeights W, bool TransB = false) {
  if (!A || !Weights || !Counts || !C)
    return;
  int64_t Groups = Counts->sizes[0], Rows = C->sizes[0], K = A->sizes[1],
          N = C->sizes[1];
  if (Groups < 0 || Weights->sizes[0] != Groups || Rows < 0 || K < 0 ||
      N <= 0 || (!RowList && A->sizes[0] != Rows) ||
      (RowList && (RowList->sizes[0] < Rows || RowList->strides[0] != 1)))
    return;
  auto count = [&](int64_t G) { return groupCount(Counts, G); };
  int64_t Total = groupTotal(Counts);
  if (Total < 0 || Total > Rows)
    return;
  if (Total == 0)
    return;
  const int64_t *RowIndex =
      RowList ? RowList->aligned + RowList->offset : nullptr;
  for (int64_t I = 0; RowIndex && I < Total; ++I)
    if (RowIndex[I] < 0 || RowIndex[I] >= A->sizes[0])
      return;
  // Tiles of about equal work across all groups, so that the threads share
  // the groups (targets) as well as the rows and columns within each: the
  // column range of a group is cut in multiples of 16 until there are a
  // few tiles per thread; a group with many rows is cut by rows as well.
  int Threads = currentThreadCount();
  int64_t Target = int64_t(Threads) * 4;
  struct Cut {
    int64_t Width, Height, Tiles;
  };
  auto cut = [&](int64_t M) {
    int64_t Pieces = Threads > 1 ? (Target * M + Total - 1) / Total : 1;
    // A few rows stream their weight's columns in place: pieces of at
    // least StreamedTileColumns.
    int64_t MinWidth = M <= 16 ? StreamedTileColumns : 16;
    Pieces =
        std::max<int64_t>(1, std::min(Pieces, (N + MinWidth - 1) / MinWidth));
    int64_t Width = ((N + Pieces - 1) / Pieces + 15) / 16 * 16;
    int64_t RowPieces = std::max<int64_t>(1, std::min(Pieces, M / 256));
    int64_t Height = (M + RowPieces - 1) / RowPieces;
    return Cut{Width, Height,
               ((N + Width - 1) / Width) * ((M + Height - 1) / Height)};
  };
  const bool Cold = coldWeights(Counts, K, N, W);
  int64_t NumTiles = 0;
  for (int64_t G = 0; G < Groups; ++G)
    if (count(G) > 0)
      NumTiles += cut(count(G)).Tiles;
  auto *Tiles = static_cast<GroupTile *>(
      std::malloc(size_t(NumTiles) * sizeof(GroupTile)));
  int64_t Next = 0, Row = 0;
  for (int64_t G = 0; G < Groups; ++G) {
    int64_t M = count(G);
    if (M == 0)
      continue;
    const void *B = groupWeight(Weights, G);
    Cut Cu = cut(M);
    for (int64_t R = 0; R < M; R += Cu.Height)
      for (int64_t Col = 0; Col < N; Col += Cu.Width) {
        GroupTile T = {B, Row + R, std::min(Cu.Height, M - R), Col,
                       std::min(Cu.Width, N - Col)};
        if (Tiles) {
          Tiles[Next++] = T;
        } else {
          // No memory for the tile list: one tile at a time, here.
          GroupedJob One = {A, C, K, N, &T, RowIndex, W, TransB, Cold};
          runGroupTile(&One, 0);
        }
      }
    Row += M;
  }
  if (!Tiles)
    return;
  GroupedJob J = {A, C, K, N, Tiles, RowIndex, W, TransB, Cold};
  modrt_parallel_for(NumTiles, runGroupTile, &J);
  std::free(Tiles);
}

} // namespace

extern "C" void _mlir_ciface_modrt_grouped_matmul_nt_f32(
    modrt_memref2d_f32 *A, modrt_memref1d_i64 *Weights,
    modrt_memref1d_i64 *Counts, modrt_memref2d_f32 *C) {
  groupedMatmul(A, nullptr, Weights, Counts, C, GroupWeights::F32, true);
}

namespace {

/// dW[G] = A[rows of G]^T @ dY[rows of G], columns [Col, Col + N) of one
/// group: one task of the weight gradients.
struct WeightGradTile {
  int64_t Group, Row, M, Col, N;
};

struct WeightGradJob {
  const modrt_memref2d_f32 *A, *DY;
  /// Group g's [K, N] gradient: element (i, j) at Out[g] + i * LdOut + j *
  /// ColStride.
  float *const *Out;
  int64_t LdOut, ColStride;
  const WeightGradTile *Tiles;
};

void runWeightGradTile(void *Ctx, int64_t I) {
  const WeightGradJob &J = *static_cast<WeightGradJob *>(Ctx);
  const WeightGradTile &T = J.Tiles[I];
  const modrt_memref2d_f32 &A = *J.A, &DY = *J.DY;
  Problem Pr;
  Pr.M = A.sizes[1];
  Pr.N = T.N;
  Pr.K = T.M; // Zero rows: runProblem zeroes the tile.
  // A^T of the group's rows: element (i, p) is A[Row + p, i].
  Pr.A = {A.aligned + A.offset + T.Row * A.strides[0], A.strides[1],
          A.strides[0]};
  Pr.B = {DY.aligned + DY.offset + T.Row * DY.strides[0] +
              T.Col * DY.strides[1],
          DY.strides[0], DY.strides[1]};
  Pr.C = {J.Out[T.Group] + T.Col * J.ColStride, J.LdOut, J.ColStride};
  runProblem(Pr, 1);
}

/// The checks and tiles of both weight-gradient entries; Out as in
/// WeightGradJob.
void groupedWeightGrad(modrt_memref2d_f32 *A, modrt_memref1d_i64 *Counts,
                       modrt_memref2d_f32 *DY, float *const *Out, int64_t LdOut,
                       int64_t ColStride) {
  int64_t Groups = Counts->sizes[0];
  int64_t Total = groupTotal(Counts);
  if (Total < 0 || Total > A->sizes[0])
    return;
  // Each group's columns cut in multiples of 64 until there are a few
  // tiles per thread; an empty group's tiles write zeros.
  int64_t N = DY->sizes[1];
  int Threads = currentThreadCount();
  int64_t Pieces =
      Threads > 1
          ? std::max<int64_t>(1, (Threads * TilesPerThread + Groups - 1) /
                                     std::max<int64_t>(Groups, 1))
          : 1;
  int64_t Width = std::max<int64_t>(64, (N + Pieces - 1) / Pieces);
  Width = (Width + 15) / 16 * 16;
  int64_t PerGroup = (N + Width - 1) / Width;
  std::vector<WeightGradTile> Tiles;
  Tiles.reserve(size_t(Groups * PerGroup));
  int64_t Row = 0;
  for (int64_t G = 0; G < Groups; ++G) {
    int64_t M = groupCount(Counts, G);
    for (int64_t Col = 0; Col < N; Col += Width)
      Tiles.push_back({G, Row, M, Col, std::min(Width, N - Col)});
    Row += M;
  }
  WeightGradJob J = {A, DY, Out, LdOut, ColStride, Tiles.data()};
  modrt_parallel_for(int64_t(Tiles.size()), runWeightGradTile, &J);
}

} // namespace

namespace {

/// What both weight-gradient entries need of their inputs: A [M, K] and
/// DY [M, N] with K, N > 0 and a count per group.
bool weightGradInputs(const modrt_memref2d_f32 *A,
                      const modrt_memref1d_i64 *Counts,
                      const modrt_memref2d_f32 *DY) {
  return A && Counts && DY && Counts->sizes[0] >= 0 &&
         A->sizes[0] == DY->sizes[0] && A->sizes[1] > 0 && DY->sizes[1] > 0;
}

} // namespace

extern "C" void _mlir_ciface_modrt_grouped_weight_grad_f32(
    modrt_memref2d_f32 *A, modrt_memref1d_i64 *Counts, modrt_memref2d_f32 *DY,
    modrt_memref3d_f32 *DW) {
  if (!weightGradInputs(A, Counts, DY) || !DW ||
      DW->sizes[0] != Counts->sizes[0] || DW->sizes[1] != A->sizes[1] ||
      DW->sizes[2] != DY->sizes[1])
    return;
  std::vector<float *> Out(static_cast<size_t>(Counts->sizes[0]));
  for (size_t G = 0; G < Out.size(); ++G)
    Out[G] = DW->aligned + DW->offset + int64_t(G) * DW->strides[0];
  groupedWeightGrad(A, Counts, DY, Out.data(), DW->strides[1], DW->strides[2]);
}

extern "C" void _mlir_ciface_modrt_grouped_weight_grad_to_f32(
    modrt_memref2d_f32 *A, modrt_memref1d_i64 *Counts, modrt_memref2d_f32 *DY,
    modrt_memref1d_i64 *Out) {
  if (!weightGradInputs(A, Counts, DY) || !Out ||
      Out->sizes[0] != Counts->sizes[0])
    return;
  std::vector<float *> Dest(static_cast<size_t>(Counts->sizes[0]));
  for (size_t G = 0; G < Dest.size(); ++G) {
    Dest[G] = reinterpret_cast<float *>(
        Out->aligned[Out->offset + int64_t(G) * Out->strides[0]]);
    if (!Dest[G])
      return;
  }
  groupedWeightGrad(A, Counts, DY, Dest.data(), DY->sizes[1], 1);
}

namespace {

/// The last grouped product of a fused route with the weighted scatter
/// fused in: each task owns a block of output columns across all groups,
/// so no two threads write the same element of Y, and every element gets
/// its contributions in group order, then row order: the order of the
/// separate scatter (modrt_route_scatter), bit for bit.
struct ScatterJob {
  const modrt_memref2d_f32 *A;
  const int64_t *RowList, *SlotList;
  const modrt_memref2d_f32 *RouteW, *Y;
  const modrt_memref1d_i64 *Weights, *Counts;
  int64_t K, N, Width, Mode;
  bool Gather;
  GroupWeights W;
  bool Cold; ///< The weights come from memory (coldWeights).
};

void runScatterBlock(void *Ctx, int64_t Block) {
  const ScatterJob &J = *static_cast<ScatterJob *>(Ctx);
  constexpr int64_t ChunkRows = 256;
  int64_t C0 = Block * J.Width, Width = std::min(J.Width, J.N - C0);
  const float *A = J.A->aligned + J.A->offset;
  float *Y = J.Y->aligned + J.Y->offset;
  const float *RW = J.RouteW->aligned + J.RouteW->offset;
  float *Temp = workspace(size_t(ChunkRows * Width), Scratch.Tile);
  float *Rows =
      J.Gather ? workspace(size_t(ChunkRows * J.K), Scratch.Gather) : nullptr;
  auto apply = [&](int64_t P, int64_t Cc, float V) {
    int64_t Dst = J.RowList[P], Slot = J.SlotList[P];
    float W = RW[Dst * J.RouteW->strides[0] + Slot * J.RouteW->strides[1]];
    float &D = Y[Dst * J.Y->strides[0] + (C0 + Cc) * J.Y->strides[1]];
    if (J.Mode == MODRT_SCATTER_WEIGHTED)
      D += W * V;
    else if (J.Mode == MODRT_SCATTER_SUM)
      D += V;
    else
      D = std::max(D, V);
  };
  if (!Temp || (J.Gather && !Rows)) {
    // No memory for the blocks: dot products, slow but exact.
    int64_t P = 0;
    for (int64_t G = 0; G < J.Counts->sizes[0]; ++G) {
      int64_t M = groupCount(J.Counts, G);
      const void *B = groupWeight(J.Weights, G);
      auto weight = [&](int64_t Q, int64_t Cc) {
        int64_t At = Q * J.N + C0 + Cc;
        if (J.W == GroupWeights::F32)
          return static_cast<const float *>(B)[At];
        return halfValue(J.W == GroupWeights::F16 ? Half::F16 : Half::Bf16,
                         static_cast<const uint16_t *>(B) + At);
      };
      for (int64_t R = 0; R < M; ++R, ++P) {
        const float *Src = A + (J.Gather ? J.RowList[P] : P) * J.A->strides[0];
        for (int64_t Cc = 0; Cc < Width; ++Cc) {
          float Sum = 0.0f;
          for (int64_t Q = 0; Q < J.K; ++Q)
            Sum += Src[Q * J.A->strides[1]] * weight(Q, Cc);
          apply(P, Cc, Sum);
        }
      }
    }
    return;
  }
  int64_t Row = 0;
  for (int64_t G = 0; G < J.Counts->sizes[0]; ++G) {
    int64_t M = groupCount(J.Counts, G);
    const void *B = groupWeight(J.Weights, G);
    for (int64_t R0 = 0; R0 < M; R0 += ChunkRows) {
      int64_t Rn = std::min(ChunkRows, M - R0);
      Problem Pr;
      Pr.M = Rn;
      Pr.N = Width;
      Pr.K = J.K;
      Pr.Grouped = true;
      Pr.BFromMemory = J.Cold;
      if (J.Gather) {
        for (int64_t R = 0; R < Rn; ++R) {
          const float *Src = A + J.RowList[Row + R0 + R] * J.A->strides[0];
          for (int64_t Q = 0; Q < J.K; ++Q)
            Rows[R * J.K + Q] = Src[Q * J.A->strides[1]];
        }
        Pr.A = {Rows, J.K, 1};
      } else {
        Pr.A = {A + (Row + R0) * J.A->strides[0], J.A->strides[0],
                J.A->strides[1]};
      }
      Pr.C = {Temp, Width, 1};
      groupProduct(Pr, B, C0, J.N, J.W);
      for (int64_t R = 0; R < Rn; ++R) {
        int64_t P = Row + R0 + R;
        int64_t Dst = J.RowList[P], Slot = J.SlotList[P];
        float W = RW[Dst * J.RouteW->strides[0] + Slot * J.RouteW->strides[1]];
        float *Out = Y + Dst * J.Y->strides[0] + C0 * J.Y->strides[1];
        const float *In = Temp + R * Width;
        int64_t S = J.Y->strides[1];
        if (J.Mode == MODRT_SCATTER_WEIGHTED)
          for (int64_t Cc = 0; Cc < Width; ++Cc)
            Out[Cc * S] += W * In[Cc];
        else if (J.Mode == MODRT_SCATTER_SUM)
          for (int64_t Cc = 0; Cc < Width; ++Cc)
            Out[Cc * S] += In[Cc];
        else
          for (int64_t Cc = 0; Cc < Width; ++Cc)
            Out[Cc * S] = std::max(Out[Cc * S], In[Cc]);
      }
    }
    Row += M;
  }
}

} // namespace

namespace {

void groupedMatmulScatter(modrt_memref2d_f32 *A, modrt_memref1d_i64 *RowList,
                          modrt_memref1d_i64 *SlotList,
                          modrt_memref1d_i64 *Weights,
                          modrt_memref1d_i64 *Counts,
                          modrt_memref2d_f32 *RouteW, modrt_memref2d_f32 *Y,
                          int64_t GatherRows, int64_t Mode, GroupWeights W) {
  if (!A || !RowList || !SlotList || !Weights || !Counts || !RouteW || !Y)
    return;
  int64_t Groups = Counts->sizes[0], K = A->sizes[1], N = Y->sizes[1];
  if (Groups < 0 || Weights->sizes[0] != Groups || K < 0 || N <= 0 ||
      RowList->strides[0] != 1 || SlotList->strides[0] != 1 ||
      Mode < MODRT_SCATTER_WEIGHTED || Mode > MODRT_SCATTER_MAX)
    return;
  int64_t Total = groupTotal(Counts);
  if (Total <= 0 || Total > RowList->sizes[0] || Total > SlotList->sizes[0] ||
      (!GatherRows && Total > A->sizes[0]))
    return;
  const int64_t *Rows = RowList->aligned + RowList->offset;
  const int64_t *Slots = SlotList->aligned + SlotList->offset;
  for (int64_t I = 0; I < Total; ++I)
    if (Rows[I] < 0 || Rows[I] >= Y->sizes[0] || Slots[I] < 0 ||
        Slots[I] >= RouteW->sizes[1] || Rows[I] >= RouteW->sizes[0] ||
        (GatherRows && Rows[I] >= A->sizes[0]))
      return;
  int Threads = currentThreadCount();
  // Blocks of columns, every one running all groups, so the blocks are
  // balanced. With a few rows per group (decoding: the weights streamed in
  // place) a few blocks per thread, claimed as threads come free, so a
  // slowed thread takes fewer, but each at least StreamedTileColumns wide
  // (moe.mod's [1024, 512] down projections: 2 blocks of 256 rather than 8
  // of 64 took N = 4 from 0.54-0.60 to 0.36-0.42 ms, N = 16 from 1.34-1.46
  // to 1.28-1.37; with one core busy no slower). With many rows, one block
  // per thread: each block packs all the rows of A again.
  bool FewRows = Total <= 16 * Groups;
  int64_t PerThread = FewRows ? TilesPerThread : 1;
  int64_t MinWidth = FewRows ? StreamedTileColumns : 64;
  int64_t Blocks = std::max<int64_t>(
      1, std::min<int64_t>((N + MinWidth - 1) / MinWidth,
                           Threads > 1 ? Threads * PerThread : 1));
  int64_t Width = ((N + Blocks - 1) / Blocks + 15) / 16 * 16;
  Blocks = (N + Width - 1) / Width;
  ScatterJob J = {A,      Rows,
                  Slots,  RouteW,
                  Y,      Weights,
                  Counts, K,
                  N,      Width,
                  Mode,   GatherRows != 0,
                  W,      coldWeights(Counts, K, N, W)};
  modrt_parallel_for(Blocks, runScatterBlock, &J);
}

} // namespace

// The grouped products' entry points, with f32 weights (SUFFIX f32), bf16
// weights (f32_bf16) and f16 weights (f32_f16); the gathered form needs its
// row list.
#define MODRT_GROUPED_ENTRIES(SUFFIX, KIND)                                    \
  extern "C" void _mlir_ciface_modrt_grouped_matmul_##SUFFIX(                  \
      modrt_memref2d_f32 *A, modrt_memref1d_i64 *Weights,                      \
      modrt_memref1d_i64 *Counts, modrt_memref2d_f32 *C) {                     \
    groupedMatmul(A, nullptr, Weights, Counts, C, GroupWeights::KIND);         \
  }                                                                            \
  extern "C" void _mlir_ciface_modrt_grouped_gather_matmul_##SUFFIX(           \
      modrt_memref2d_f32 *X, modrt_memref1d_i64 *RowList,                      \
      modrt_memref1d_i64 *Weights, modrt_memref1d_i64 *Counts,                 \
      modrt_memref2d_f32 *C) {                                                 \
    if (RowList)                                                               \
      groupedMatmul(X, RowList, Weights, Counts, C, GroupWeights::KIND);       \
  }                                                                            \
  extern "C" void _mlir_ciface_modrt_grouped_matmul_scatter_##SUFFIX(          \
      modrt_memref2d_f32 *A, modrt_memref1d_i64 *RowList,                      \
      modrt_memref1d_i64 *SlotList, modrt_memref1d_i64 *Weights,               \
      modrt_memref1d_i64 *Counts, modrt_memref2d_f32 *RouteW,                  \
      modrt_memref2d_f32 *Y, int64_t GatherRows, int64_t Mode) {               \
    groupedMatmulScatter(A, RowList, SlotList, Weights, Counts, RouteW, Y,     \
                         GatherRows, Mode, GroupWeights::KIND);                \
  }
MODRT_GROUPED_ENTRIES(f32, F32)
MODRT_GROUPED_ENTRIES(f32_bf16, Bf16)
MODRT_GROUPED_ENTRIES(f32_f16, F16)
#undef MODRT_GROUPED_ENTRIES
