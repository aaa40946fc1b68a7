//===- gemm_bench.cpp - GFLOP/s of the runtime's matmul -------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Times _mlir_ciface_modrt_matmul_f32 on the shapes of modc's benchmarks,
/// on 1 and 2 threads of a model's pool, and prints the median GFLOP/s.
/// The operands stay allocated between calls, so B (the weights) is in the
/// caches when it fits, as in a model called repeatedly; with --cold, the
/// calls take turns over copies of B of 128 MiB in all (beyond the L3, as
/// the experts of a decoding step) and GB/s of B read are printed too.
///
///   modrt-gemm-bench [--isa=generic|avx2|avx512|avx512-bf16] [--threads=1,2]
///                    [--cold] [--bf16 [--bf16-rows] [--transposed]]
///                    [--groups=E] [M K N ...]
///
/// With --bf16, B holds bf16 values (modrt_matmul_f32_bf16); with
/// --bf16-rows as well, so does A (as floats: the widened activations of a
/// bf16 program), which takes the bf16 dot products on avx512-bf16; with
/// --transposed, the bf16 B is read as a Linear weight ([N, K] in memory);
/// with
/// --groups=E, the grouped product of routed experts
/// (modrt_grouped_matmul_f32, _f32_bf16 with --bf16): M rows in E groups.
///
/// With M K N triples, times those shapes instead of the default ones.
///
//===----------------------------------------------------------------------===//

#include "Gemm.h"

#include "modrt/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace {

struct Shape {
  int64_t M, K, N;
};

/// A Rows x Cols row-major matrix, 64-byte aligned like the parameters of a
/// model (a std::vector of this size would be misaligned by 16 bytes, which
/// splits every vector load across two cache lines).
struct Matrix {
  Matrix(int64_t Rows, int64_t Cols, std::mt19937 &Rng)
      : Data(static_cast<float *>(std::aligned_alloc(
            64, (size_t(Rows * Cols) * sizeof(float) + 64) / 64 * 64))) {
    std::uniform_real_distribution<float> Dist(-1.0f, 1.0f);
    for (int64_t I = 0; I < Rows * Cols; ++I)
      Data[I] = Dist(Rng);
    Ref = {Data, Data, 0, {Rows, Cols}, {Cols, 1}};
  }
  /// Each value rounded to bf16 and widened back.
  void roundToBf16() {
    std::vector<uint16_t> Bits = bf16();
    for (size_t I = 0; I < Bits.size(); ++I) {
      uint32_t Word = uint32_t(Bits[I]) << 16;
      std::memcpy(&Data[I], &Word, sizeof(Word));
    }
  }
  /// The same values rounded to bf16, as raw bits.
  std::vector<uint16_t> bf16() const {
    std::vector<uint16_t> Bits(size_t(Ref.sizes[0] * Ref.sizes[1]));
    for (size_t I = 0; I < Bits.size(); ++I) {
      uint32_t Word;
      std::memcpy(&Word, &Data[I], sizeof(Word));
      Bits[I] = uint16_t((Word + 0x7fff + ((Word >> 16) & 1)) >> 16);
    }
    return Bits;
  }
  Matrix(const Matrix &) = delete;
  Matrix &operator=(const Matrix &) = delete;
  ~Matrix() { std::free(Data); }

  float *Data;
  modrt_memref2d_f32 Ref;
};

double seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Median seconds per call of C = A @ B over Samples samples, each long
/// enough to time reliably; Cold: over copies of B too large for the caches;
/// Bf16: B in bf16 (modrt_matmul_f32_bf16), Bf16Rows: A's values bf16
/// values, Transposed: the bf16 B read as [N, K]; Groups > 0: the grouped
/// product of routed experts, M rows in Groups equal groups, each with its own
/// B.
double measure(const Shape &S, int Samples, bool Cold, bool Bf16, bool Bf16Rows,
               bool Transposed, int64_t Groups) {
  std::mt19937 Rng(42);
  Matrix A(S.M, S.K, Rng), C(S.M, S.N, Rng);
  if (Bf16Rows)
    A.roundToBf16();
  size_t Bytes = size_t(S.K * S.N) * (Bf16 ? 2 : 4);
  size_t PerSet = size_t(std::max<int64_t>(Groups, 1));
  size_t Copies =
      PerSet *
      (Cold ? std::max<size_t>(1, (size_t(128) << 20) / (Bytes * PerSet)) : 1);
  std::vector<std::unique_ptr<Matrix>> Bs;
  for (size_t I = 0; I < Copies; ++I)
    Bs.push_back(std::make_unique<Matrix>(S.K, S.N, Rng));
  std::vector<std::vector<uint16_t>> Halves;
  std::vector<modrt_memref2d_bf16> HalfRefs;
  for (size_t I = 0; Bf16 && I < Copies; ++I) {
    Halves.push_back(Bs[I]->bf16());
    const modrt_memref2d_f32 &R = Bs[I]->Ref;
    // Transposed: the same bits read as [N, K] row-major, B = W^T (a
    // Linear weight).
    HalfRefs.push_back({Halves.back().data(),
                        Halves.back().data(),
                        0,
                        {R.sizes[0], R.sizes[1]},
                        {Transposed ? 1 : R.strides[0],
                         Transposed ? R.sizes[0] : R.strides[1]}});
  }
  if (Bf16)
    Bs.clear();
  modrt_memref2d_f32 &MA = A.Ref, &MC = C.Ref;
  // The grouped products' weight tables (one per set of Groups copies) and
  // counts (the rows split evenly, the first groups taking the rest).
  std::vector<int64_t> Table, Counts;
  for (size_t I = 0; Groups > 0 && I < Copies; ++I)
    Table.push_back(int64_t(Bf16 ? reinterpret_cast<uintptr_t>(Halves[I].data())
                                 : reinterpret_cast<uintptr_t>(Bs[I]->Data)));
  for (int64_t G = 0; G < Groups; ++G)
    Counts.push_back(S.M / Groups + (G < S.M % Groups ? 1 : 0));
  modrt_memref1d_i64 CountsRef = {
      Counts.data(), Counts.data(), 0, {Groups}, {1}};
  size_t Next = 0;
  auto call = [&] {
    if (Groups > 0) {
      modrt_memref1d_i64 T = {
          Table.data(), Table.data(), int64_t(Next), {Groups}, {1}};
      if (Bf16)
        _mlir_ciface_modrt_grouped_matmul_f32_bf16(&MA, &T, &CountsRef, &MC);
      else
        _mlir_ciface_modrt_grouped_matmul_f32(&MA, &T, &CountsRef, &MC);
    } else if (Bf16) {
      _mlir_ciface_modrt_matmul_f32_bf16(&MA, &HalfRefs[Next], &MC);
    } else {
      _mlir_ciface_modrt_matmul_f32(&MA, &Bs[Next]->Ref, &MC);
    }
    Next = Next + PerSet == Copies ? 0 : Next + PerSet;
  };
  // Warm up: caches, the pool's threads and the packing buffers.
  double Start = seconds();
  int64_t Calls = 0;
  do {
    call();
    ++Calls;
  } while (seconds() - Start < 0.05);
  double PerCall = (seconds() - Start) / double(Calls);
  // Samples of at least 10 ms each.
  int64_t Reps = std::max<int64_t>(1, int64_t(0.01 / PerCall));
  std::vector<double> Times;
  for (int I = 0; I < Samples; ++I) {
    double T0 = seconds();
    for (int64_t R = 0; R < Reps; ++R)
      call();
    Times.push_back((seconds() - T0) / double(Reps));
  }
  std::sort(Times.begin(), Times.end());
  return Times[Times.size() / 2];
}

} // namespace

int main(int Argc, char **Argv) {
  std::vector<int> Threads = {1, 2};
  bool Cold = false, Bf16 = false, Bf16Rows = false, Transposed = false;
  int64_t Groups = 0;
  std::vector<Shape> Shapes;
  std::vector<int64_t> Dims;
  for (int I = 1; I < Argc; ++I) {
    const char *Arg = Argv[I];
    if (std::strncmp(Arg, "--isa=", 6) == 0) {
      const char *Name = Arg + 6;
      modrt::GemmIsa Isa =
          std::strcmp(Name, "generic") == 0  ? modrt::GemmIsa::Generic
          : std::strcmp(Name, "avx2") == 0   ? modrt::GemmIsa::Avx2
          : std::strcmp(Name, "avx512") == 0 ? modrt::GemmIsa::Avx512
                                             : modrt::GemmIsa::Avx512Bf16;
      if (!modrt::setGemmIsa(Isa)) {
        std::fprintf(stderr, "this CPU cannot run %s kernels\n", Name);
        return 1;
      }
    } else if (std::strcmp(Arg, "--cold") == 0) {
      Cold = true;
    } else if (std::strcmp(Arg, "--bf16") == 0) {
      Bf16 = true;
    } else if (std::strcmp(Arg, "--bf16-rows") == 0) {
      Bf16Rows = true;
    } else if (std::strcmp(Arg, "--transposed") == 0) {
      Transposed = true;
    } else if (std::strncmp(Arg, "--groups=", 9) == 0) {
      Groups = std::max<int64_t>(1, std::strtoll(Arg + 9, nullptr, 10));
    } else if (std::strncmp(Arg, "--threads=", 10) == 0) {
      Threads.clear();
      for (const char *P = Arg + 10; *P;) {
        char *End;
        Threads.push_back(int(std::strtol(P, &End, 10)));
        P = *End == ',' ? End + 1 : End;
        if (End == P && *P)
          break;
      }
    } else {
      Dims.push_back(std::strtoll(Arg, nullptr, 10));
    }
  }
  for (size_t I = 0; I + 2 < Dims.size(); I += 3)
    Shapes.push_back({Dims[I], Dims[I + 1], Dims[I + 2]});
  if (Shapes.empty()) {
    const int64_t Ms[] = {1, 16, 256, 2048};
    const Shape KNs[] = {{0, 512, 1024}, {0, 1024, 512}, {0, 1024, 1024},
                         {0, 512, 8},    {0, 1024, 16},  {0, 16, 1024}};
    for (int64_t M : Ms)
      for (const Shape &KN : KNs)
        Shapes.push_back({M, KN.K, KN.N});
  }

  modrt_model *Model = modrt_create("modrt 1\nmodel bench\nend\n");
  if (!Model) {
    std::fprintf(stderr, "cannot create a model\n");
    return 1;
  }
  std::printf("modrt %s, %s kernels, B %s, GFLOP/s%s (median)%s\n",
              Groups > 0 ? "grouped matmul" : "matmul",
              modrt::gemmIsaName(modrt::gemmIsa()),
              !Bf16      ? "f32"
              : Bf16Rows ? "bf16, A bf16 values"
                         : "bf16",
              Cold ? " and GB/s of B" : "", Cold ? ", B cold" : "");
  if (Groups > 0)
    std::printf("%lld groups of M / %lld rows, each with its own [K, N] "
                "weight\n",
                (long long)Groups, (long long)Groups);
  std::printf("%6s %6s %6s", "M", "K", "N");
  for (int T : Threads)
    std::printf("  %5d thr", T);
  std::printf("\n");
  for (const Shape &S : Shapes) {
    std::printf("%6lld %6lld %6lld", (long long)S.M, (long long)S.K,
                (long long)S.N);
    for (int T : Threads) {
      modrt_set_threads(Model, T);
      modrt_begin_call(Model);
      double Time = measure(S, 11, Cold, Bf16, Bf16Rows, Transposed, Groups);
      std::printf("  %9.1f", 2.0 * double(S.M * S.N * S.K) / Time / 1e9);
      if (Cold)
        std::printf(" %5.1f GB/s", double(std::max<int64_t>(Groups, 1)) *
                                       double(S.K * S.N) * (Bf16 ? 2.0 : 4.0) /
                                       Time / 1e9);
      modrt_end_call(Model);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  modrt_destroy(Model);
  return 0;
}
