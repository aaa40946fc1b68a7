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
/// caches when it fits, as in a model called repeatedly.
///
///   modrt-gemm-bench [--isa=generic|avx2|avx512] [--threads=1,2]
///                    [M K N ...]
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

/// Median GFLOP/s of C = A @ B over Samples samples, each long enough to
/// time reliably.
double measure(const Shape &S, int Samples) {
  std::mt19937 Rng(42);
  Matrix A(S.M, S.K, Rng), B(S.K, S.N, Rng), C(S.M, S.N, Rng);
  modrt_memref2d_f32 &MA = A.Ref, &MB = B.Ref, &MC = C.Ref;
  // Warm up: caches, the pool's threads and the packing buffers.
  double Start = seconds();
  int64_t Calls = 0;
  do {
    _mlir_ciface_modrt_matmul_f32(&MA, &MB, &MC);
    ++Calls;
  } while (seconds() - Start < 0.05);
  double PerCall = (seconds() - Start) / double(Calls);
  // Samples of at least 10 ms each.
  int64_t Reps = std::max<int64_t>(1, int64_t(0.01 / PerCall));
  std::vector<double> Rates;
  for (int I = 0; I < Samples; ++I) {
    double T0 = seconds();
    for (int64_t R = 0; R < Reps; ++R)
      _mlir_ciface_modrt_matmul_f32(&MA, &MB, &MC);
    double Elapsed = (seconds() - T0) / double(Reps);
    Rates.push_back(2.0 * double(S.M) * double(S.N) * double(S.K) / Elapsed /
                    1e9);
  }
  std::sort(Rates.begin(), Rates.end());
  return Rates[Rates.size() / 2];
}

} // namespace

int main(int Argc, char **Argv) {
  std::vector<int> Threads = {1, 2};
  std::vector<Shape> Shapes;
  std::vector<int64_t> Dims;
  for (int I = 1; I < Argc; ++I) {
    const char *Arg = Argv[I];
    if (std::strncmp(Arg, "--isa=", 6) == 0) {
      const char *Name = Arg + 6;
      modrt::GemmIsa Isa =
          std::strcmp(Name, "generic") == 0 ? modrt::GemmIsa::Generic
          : std::strcmp(Name, "avx2") == 0  ? modrt::GemmIsa::Avx2
                                            : modrt::GemmIsa::Avx512;
      if (!modrt::setGemmIsa(Isa)) {
        std::fprintf(stderr, "this CPU cannot run %s kernels\n", Name);
        return 1;
      }
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
  std::printf("modrt matmul, %s kernels, GFLOP/s (median)\n",
              modrt::gemmIsaName(modrt::gemmIsa()));
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
      std::printf("  %9.1f", measure(S, 11));
      modrt_end_call(Model);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  modrt_destroy(Model);
  return 0;
}
