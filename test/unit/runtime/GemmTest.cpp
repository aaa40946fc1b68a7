//===- GemmTest.cpp - Tests of the matmul and the thread pool -------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "Init.h"
#include "TestUtil.h"

#include "modrt/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include <dirent.h>
#include <unistd.h>

namespace {

//===----------------------------------------------------------------------===//
// Matrices as memref views
//===----------------------------------------------------------------------===//

/// Where a matrix's elements lie in its storage.
enum class Layout {
  RowMajor, ///< Dense, strides {Cols, 1}.
  Padded,   ///< A submatrix view: longer rows, an offset.
  ColMajor, ///< strides {1, Rows}: a transposed view.
  Strided,  ///< Both strides non-unit, an offset.
};

const char *layoutName(Layout L) {
  switch (L) {
  case Layout::RowMajor:
    return "row-major";
  case Layout::Padded:
    return "padded";
  case Layout::ColMajor:
    return "col-major";
  case Layout::Strided:
    return "strided";
  }
  return "?";
}

/// A Rows x Cols view into storage filled with Outside, its elements set by
/// the caller.
struct Mat {
  std::vector<float> Storage;
  modrt_memref2d_f32 Ref;
  std::vector<bool> InView; // Per storage element.

  int64_t rows() const { return Ref.sizes[0]; }
  int64_t cols() const { return Ref.sizes[1]; }
  int64_t index(int64_t I, int64_t J) const {
    return Ref.offset + I * Ref.strides[0] + J * Ref.strides[1];
  }
  float &at(int64_t I, int64_t J) { return Storage[size_t(index(I, J))]; }
  float at(int64_t I, int64_t J) const { return Storage[size_t(index(I, J))]; }
};

Mat makeMat(int64_t Rows, int64_t Cols, Layout L, float Outside) {
  int64_t Offset = 0, S0 = Cols, S1 = 1;
  switch (L) {
  case Layout::RowMajor:
    break;
  case Layout::Padded:
    S0 = Cols + 5;
    Offset = 2 * S0 + 3;
    break;
  case Layout::ColMajor:
    S0 = 1;
    S1 = Rows;
    break;
  case Layout::Strided:
    S0 = 2 * Cols + 1;
    S1 = 2;
    Offset = 1;
    break;
  }
  int64_t Size = Offset + 8;
  if (Rows > 0 && Cols > 0)
    Size += (Rows - 1) * S0 + (Cols - 1) * S1 + 1;
  Mat M;
  M.Storage.assign(size_t(Size), Outside);
  M.InView.assign(size_t(Size), false);
  M.Ref = {M.Storage.data(), M.Storage.data(), Offset, {Rows, Cols}, {S0, S1}};
  for (int64_t I = 0; I < Rows; ++I)
    for (int64_t J = 0; J < Cols; ++J)
      M.InView[size_t(M.index(I, J))] = true;
  return M;
}

constexpr float Sentinel = 12345.0f;

/// Dense operands of a test problem and the double-precision reference
/// result with its error bound, computed once per shape and seed.
struct Reference {
  std::vector<float> A, B; // Row-major.
  std::vector<double> Exact, Tolerance;
};

const Reference &reference(int64_t M, int64_t K, int64_t N, uint32_t Seed) {
  static std::mutex Mutex;
  static std::map<std::tuple<int64_t, int64_t, int64_t, uint32_t>,
                  std::unique_ptr<Reference>>
      Cache;
  std::lock_guard<std::mutex> Lock(Mutex);
  std::unique_ptr<Reference> &Slot = Cache[{M, K, N, Seed}];
  if (Slot)
    return *Slot;
  Slot = std::make_unique<Reference>();
  Reference &R = *Slot;
  // Uniform in (-1, 1), never zero (std::uniform_real_distribution calls
  // logl for every number, which would dominate the large tests).
  std::mt19937 Rng(Seed);
  auto Draw = [&] { return (float(Rng() >> 8) + 0.5f) * 0x1p-23f - 1.0f; };
  R.A.resize(size_t(M * K));
  R.B.resize(size_t(K * N));
  for (float &X : R.A)
    X = Draw();
  for (float &X : R.B)
    X = Draw();
  // Any order of summing K products, each rounded once, is within
  // gamma(K + 1) * sum |a * b| of the exact value (Higham, Thm 3.1).
  const double U = std::ldexp(1.0, -24);
  const double Gamma = double(K + 1) * U / (1.0 - double(K + 1) * U);
  std::vector<double> Columns(size_t(K * N));
  for (int64_t P = 0; P < K; ++P)
    for (int64_t J = 0; J < N; ++J)
      Columns[size_t(J * K + P)] = R.B[size_t(P * N + J)];
  R.Exact.resize(size_t(M * N));
  R.Tolerance.resize(size_t(M * N));
  for (int64_t I = 0; I < M; ++I) {
    for (int64_t J = 0; J < N; ++J) {
      // Four partial sums keep the loop from waiting on each addition.
      double Sum[4] = {0, 0, 0, 0}, Abs[4] = {0, 0, 0, 0};
      for (int64_t P = 0; P < K; ++P) {
        double Product =
            double(R.A[size_t(I * K + P)]) * Columns[size_t(J * K + P)];
        Sum[P % 4] += Product;
        Abs[P % 4] += std::fabs(Product);
      }
      R.Exact[size_t(I * N + J)] = (Sum[0] + Sum[1]) + (Sum[2] + Sum[3]);
      R.Tolerance[size_t(I * N + J)] =
          Gamma * ((Abs[0] + Abs[1]) + (Abs[2] + Abs[3]));
    }
  }
  return R;
}

/// Multiplies A (MxK) by B (KxN) with the given layouts into a C whose
/// elements start as NaN, and checks C against the reference and that
/// nothing outside C's view changed.
void checkMatmul(int64_t M, int64_t K, int64_t N, Layout LA, Layout LB,
                 Layout LC, uint32_t Seed = 1) {
  SCOPED_TRACE(testing::Message()
               << M << "x" << K << "x" << N << " A " << layoutName(LA) << ", B "
               << layoutName(LB) << ", C " << layoutName(LC));
  const Reference &R = reference(M, K, N, Seed);
  Mat A = makeMat(M, K, LA, Sentinel), B = makeMat(K, N, LB, Sentinel);
  Mat C = makeMat(M, N, LC, Sentinel);
  for (int64_t I = 0; I < M; ++I)
    for (int64_t P = 0; P < K; ++P)
      A.at(I, P) = R.A[size_t(I * K + P)];
  for (int64_t P = 0; P < K; ++P)
    for (int64_t J = 0; J < N; ++J)
      B.at(P, J) = R.B[size_t(P * N + J)];
  for (int64_t I = 0; I < M; ++I)
    for (int64_t J = 0; J < N; ++J)
      C.at(I, J) = std::numeric_limits<float>::quiet_NaN();

  _mlir_ciface_modrt_matmul_f32(&A.Ref, &B.Ref, &C.Ref);

  int Failures = 0;
  for (int64_t I = 0; I < M && Failures < 10; ++I) {
    for (int64_t J = 0; J < N && Failures < 10; ++J) {
      double Got = C.at(I, J), Exact = R.Exact[size_t(I * N + J)];
      double Tolerance = R.Tolerance[size_t(I * N + J)];
      if (!(std::fabs(Got - Exact) <= Tolerance)) {
        ADD_FAILURE() << "C[" << I << ", " << J << "] = " << Got
                      << ", expected " << Exact << " +- " << Tolerance;
        ++Failures;
      }
    }
  }
  for (size_t E = 0; E < C.Storage.size(); ++E) {
    if (!C.InView[E] && C.Storage[E] != Sentinel) {
      ADD_FAILURE() << "storage element " << E << " outside C was written";
      break;
    }
  }
}

/// Runs Body once with each kernel family this CPU supports.
template <typename BodyFn> void forEachIsa(BodyFn Body) {
  modrt::GemmIsa Saved = modrt::gemmIsa();
  for (int I = 0; I <= int(modrt::bestGemmIsa()); ++I) {
    modrt::GemmIsa Isa = modrt::GemmIsa(I);
    ASSERT_TRUE(modrt::setGemmIsa(Isa));
    SCOPED_TRACE(modrt::gemmIsaName(Isa));
    Body();
  }
  modrt::setGemmIsa(Saved);
}

/// A model whose entry call is running on this thread with Threads threads
/// for the life of the object.
class CallScope {
public:
  explicit CallScope(int Threads) {
    Model = modrt_create("modrt 1\nmodel gemm\nend\n");
    EXPECT_NE(Model, nullptr);
    EXPECT_EQ(modrt_set_threads(Model, Threads), MODRT_OK);
    modrt_begin_call(Model);
  }
  ~CallScope() {
    modrt_end_call(Model);
    modrt_destroy(Model);
  }
  modrt_model *model() const { return Model; }

private:
  modrt_model *Model = nullptr;
};

struct Shape {
  int64_t M, K, N;
};

/// Shapes around every edge of the blocking: empty, single, primes, partial
/// micro-tiles and vectors, more than one cache block in each dimension, and
/// each path (streamed B for few rows or few columns, packed B otherwise).
const Shape SmallShapes[] = {
    {1, 1, 1},     {1, 1, 2},    {2, 1, 1},      {1, 7, 1},     {3, 5, 2},
    {7, 13, 5},    {1, 300, 17}, {1, 40, 129},   {2, 33, 200},  {5, 17, 64},
    {16, 16, 16},  {16, 70, 33}, {17, 19, 23},   {13, 64, 8},   {33, 65, 17},
    {40, 70, 16},  {64, 64, 64}, {25, 9, 300},   {97, 3, 41},   {100, 600, 70},
    {3, 1000, 45}, {200, 50, 8}, {257, 129, 31}, {3, 40, 1500},
};

TEST(GemmTest, SmallShapesAllLayouts) {
  const Layout Layouts[] = {Layout::RowMajor, Layout::Padded, Layout::ColMajor,
                            Layout::Strided};
  forEachIsa([&] {
    for (const Shape &S : SmallShapes)
      for (Layout LA : Layouts)
        for (Layout LB : Layouts)
          for (Layout LC : Layouts)
            checkMatmul(S.M, S.K, S.N, LA, LB, LC);
  });
}

TEST(GemmTest, LargeShapes) {
  // Several blocks of rows (MC), depth (KC) and columns (NC), on the fast
  // layouts and on views.
  const Shape Shapes[] = {{150, 600, 1100}, {2048, 1024, 8}, {1, 1024, 1024},
                          {16, 512, 1000},  {250, 16, 1030}, {130, 1030, 90}};
  forEachIsa([&] {
    for (const Shape &S : Shapes) {
      checkMatmul(S.M, S.K, S.N, Layout::RowMajor, Layout::RowMajor,
                  Layout::RowMajor);
      checkMatmul(S.M, S.K, S.N, Layout::Padded, Layout::Padded,
                  Layout::Padded);
      // B transposed in memory: a PyTorch Linear weight read in place.
      checkMatmul(S.M, S.K, S.N, Layout::RowMajor, Layout::ColMajor,
                  Layout::RowMajor);
    }
  });
}

TEST(GemmTest, EmptyDimensions) {
  forEachIsa([&] {
    for (const Shape &S :
         {Shape{0, 5, 7}, Shape{5, 7, 0}, Shape{0, 0, 0}, Shape{0, 3, 0}})
      checkMatmul(S.M, S.K, S.N, Layout::RowMajor, Layout::Padded,
                  Layout::Padded);
    // K == 0: C becomes zero, NaNs included.
    for (Layout L : {Layout::RowMajor, Layout::ColMajor, Layout::Strided}) {
      Mat A = makeMat(6, 0, Layout::RowMajor, Sentinel);
      Mat B = makeMat(0, 9, Layout::RowMajor, Sentinel);
      Mat C = makeMat(6, 9, L, Sentinel);
      for (int64_t I = 0; I < 6; ++I)
        for (int64_t J = 0; J < 9; ++J)
          C.at(I, J) = std::numeric_limits<float>::quiet_NaN();
      _mlir_ciface_modrt_matmul_f32(&A.Ref, &B.Ref, &C.Ref);
      for (size_t E = 0; E < C.Storage.size(); ++E)
        EXPECT_EQ(C.Storage[E], C.InView[E] ? 0.0f : Sentinel) << E;
    }
  });
}

TEST(GemmTest, InvalidArgumentsLeaveCUntouched) {
  Mat A = makeMat(3, 4, Layout::RowMajor, 1.0f);
  Mat B = makeMat(4, 5, Layout::RowMajor, 1.0f);
  Mat C = makeMat(3, 5, Layout::RowMajor, Sentinel);
  _mlir_ciface_modrt_matmul_f32(nullptr, &B.Ref, &C.Ref);
  _mlir_ciface_modrt_matmul_f32(&A.Ref, nullptr, &C.Ref);
  _mlir_ciface_modrt_matmul_f32(&A.Ref, &B.Ref, nullptr);
  Mat WrongK = makeMat(5, 5, Layout::RowMajor, 1.0f);
  _mlir_ciface_modrt_matmul_f32(&A.Ref, &WrongK.Ref, &C.Ref);
  Mat WrongC = makeMat(3, 5, Layout::RowMajor, Sentinel);
  WrongC.Ref.sizes[1] = 4;
  _mlir_ciface_modrt_matmul_f32(&A.Ref, &B.Ref, &WrongC.Ref);
  Mat Negative = makeMat(3, 4, Layout::RowMajor, 1.0f);
  Negative.Ref.sizes[0] = -3;
  C.Ref.sizes[0] = -3;
  _mlir_ciface_modrt_matmul_f32(&Negative.Ref, &B.Ref, &C.Ref);
  for (float X : C.Storage)
    EXPECT_EQ(X, Sentinel);
  for (float X : WrongC.Storage)
    EXPECT_EQ(X, Sentinel);
}

TEST(GemmTest, TwoAndThreeThreads) {
  // Three threads split a problem unevenly even on a two-core machine.
  for (int Threads : {2, 3}) {
    SCOPED_TRACE(testing::Message() << Threads << " threads");
    CallScope Call(Threads);
    forEachIsa([&] {
      for (const Shape &S : SmallShapes)
        checkMatmul(S.M, S.K, S.N, Layout::Padded, Layout::RowMajor,
                    Layout::Strided);
      const Shape Large[] = {{2048, 1024, 8},
                             {1, 1024, 1024},
                             {16, 512, 1000},
                             {256, 512, 1024},
                             {150, 600, 1100}};
      for (const Shape &S : Large)
        checkMatmul(S.M, S.K, S.N, Layout::RowMajor, Layout::RowMajor,
                    Layout::RowMajor);
    });
  }
}

TEST(GemmTest, RepeatedCallsAgreeBitForBit) {
  // The same call on the same threads gives the same bits: the split of
  // the work depends only on the shapes and the thread count.
  CallScope Call(2);
  const Reference &R = reference(256, 512, 1024, 7);
  Mat A = makeMat(256, 512, Layout::RowMajor, 0.0f);
  Mat B = makeMat(512, 1024, Layout::RowMajor, 0.0f);
  A.Storage.assign(R.A.begin(), R.A.end());
  B.Storage.assign(R.B.begin(), R.B.end());
  Mat C1 = makeMat(256, 1024, Layout::RowMajor, 0.0f);
  Mat C2 = makeMat(256, 1024, Layout::RowMajor, 0.0f);
  _mlir_ciface_modrt_matmul_f32(&A.Ref, &B.Ref, &C1.Ref);
  for (int I = 0; I < 3; ++I) {
    _mlir_ciface_modrt_matmul_f32(&A.Ref, &B.Ref, &C2.Ref);
    EXPECT_EQ(C1.Storage, C2.Storage);
  }
}

TEST(GemmTest, FallsBackWhenThePackingBufferIsUnavailable) {
  modrt::setGemmWorkspaceLimit(0);
  for (int Threads : {1, 2}) {
    CallScope Call(Threads);
    forEachIsa([&] {
      checkMatmul(33, 65, 17, Layout::RowMajor, Layout::RowMajor,
                  Layout::RowMajor);
      checkMatmul(257, 129, 31, Layout::Padded, Layout::ColMajor,
                  Layout::Strided);
      checkMatmul(1, 300, 40, Layout::RowMajor, Layout::RowMajor,
                  Layout::RowMajor);
    });
  }
  modrt::setGemmWorkspaceLimit(SIZE_MAX);
}

TEST(GemmTest, SetIsaRejectsWhatTheCpuLacks) {
  EXPECT_TRUE(modrt::setGemmIsa(modrt::GemmIsa::Generic));
  EXPECT_EQ(modrt::gemmIsa(), modrt::GemmIsa::Generic);
  EXPECT_TRUE(modrt::setGemmIsa(modrt::bestGemmIsa()));
  if (modrt::bestGemmIsa() != modrt::GemmIsa::Avx512Bf16) {
    EXPECT_FALSE(modrt::setGemmIsa(modrt::GemmIsa::Avx512Bf16));
    EXPECT_EQ(modrt::gemmIsa(), modrt::bestGemmIsa());
  }
}

//===----------------------------------------------------------------------===//
// The thread pool
//===----------------------------------------------------------------------===//

struct Counts {
  std::vector<std::atomic<int>> PerIndex;
  explicit Counts(int64_t N) : PerIndex(size_t(N)) {}
};

void countIndex(void *Ctx, int64_t I) {
  static_cast<Counts *>(Ctx)->PerIndex[size_t(I)].fetch_add(1);
}

void expectEachIndexOnce(int64_t N) {
  Counts C(N);
  modrt_parallel_for(N, countIndex, &C);
  for (int64_t I = 0; I < N; ++I)
    ASSERT_EQ(C.PerIndex[size_t(I)].load(), 1) << "index " << I << " of " << N;
}

TEST(ParallelForTest, EveryIndexExactlyOnce) {
  for (int64_t N : {0, 1, 2, 3, 7, 100, 1000})
    expectEachIndexOnce(N);
  for (int Threads : {1, 2, 3, 8}) {
    SCOPED_TRACE(testing::Message() << Threads << " threads");
    CallScope Call(Threads);
    for (int64_t N : {0, 1, 2, 3, 7, 100, 1000, 100000})
      expectEachIndexOnce(N);
  }
}

struct SlowCounts {
  explicit SlowCounts(int64_t N) : PerIndex(size_t(N)) {}
  std::vector<std::atomic<int>> PerIndex;
  std::mutex Mutex;
  std::set<std::thread::id> Threads;
};

void countIndexSlowly(void *Ctx, int64_t I) {
  SlowCounts &C = *static_cast<SlowCounts *>(Ctx);
  // Long enough for a spinning worker to join in.
  for (volatile int Spin = 0; Spin < 2000; Spin = Spin + 1) {
  }
  C.PerIndex[size_t(I)].fetch_add(1);
  std::lock_guard<std::mutex> Lock(C.Mutex);
  C.Threads.insert(std::this_thread::get_id());
}

TEST(ParallelForTest, ManyShortLoopsBackToBack) {
  // Loops open and close while workers arrive late or leave early.
  CallScope Call(2);
  for (int Round = 0; Round < 20000; ++Round)
    expectEachIndexOnce(1 + Round % 5);
  std::set<std::thread::id> Threads;
  for (int Round = 0; Round < 3000; ++Round) {
    int64_t N = 2 + Round % 3;
    SlowCounts C(N);
    modrt_parallel_for(N, countIndexSlowly, &C);
    for (int64_t I = 0; I < N; ++I)
      ASSERT_EQ(C.PerIndex[size_t(I)].load(), 1) << Round << ": " << I;
    Threads.insert(C.Threads.begin(), C.Threads.end());
  }
  EXPECT_EQ(Threads.size(), 2u) << "the worker never took part";
}

TEST(ParallelForTest, WorkersWakeUpFromSleep) {
  CallScope Call(2);
  for (int Round = 0; Round < 3; ++Round) {
    // Longer than the workers spin before they sleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    expectEachIndexOnce(50);
  }
}

/// Records the threads that ran the body; index 0 and 1 also wait (a
/// bounded time) for each other, which succeeds only if two threads run the
/// loop at the same time.
struct Rendezvous {
  std::mutex Mutex;
  std::set<std::thread::id> Threads;
  std::atomic<int> Arrived{0};
  std::atomic<bool> Met{false};
};

void meet(void *Ctx, int64_t I) {
  Rendezvous &R = *static_cast<Rendezvous *>(Ctx);
  {
    std::lock_guard<std::mutex> Lock(R.Mutex);
    R.Threads.insert(std::this_thread::get_id());
  }
  if (I > 1)
    return;
  R.Arrived.fetch_add(1);
  auto Deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < Deadline) {
    if (R.Arrived.load() == 2) {
      R.Met.store(true);
      return;
    }
    std::this_thread::yield();
  }
}

void recordThread(void *Ctx, int64_t) {
  Rendezvous &R = *static_cast<Rendezvous *>(Ctx);
  std::lock_guard<std::mutex> Lock(R.Mutex);
  R.Threads.insert(std::this_thread::get_id());
}

/// True if a two-index loop ran its indices at the same time.
bool runsInParallel() {
  Rendezvous R;
  modrt_parallel_for(2, meet, &R);
  return R.Met.load();
}

/// True if a loop ran entirely on the calling thread.
bool runsInline() {
  Rendezvous R;
  modrt_parallel_for(20, recordThread, &R);
  return R.Threads.size() == 1 &&
         R.Threads.count(std::this_thread::get_id()) == 1;
}

TEST(ParallelForTest, RunsOnTheCurrentModelsThreads) {
  EXPECT_TRUE(runsInline()) << "no entry call is running";
  modrt_model *Two = modrt_create("modrt 1\nmodel two\nend\n");
  modrt_model *One = modrt_create("modrt 1\nmodel one\nend\n");
  ASSERT_NE(Two, nullptr);
  ASSERT_NE(One, nullptr);
  ASSERT_EQ(modrt_set_threads(Two, 2), MODRT_OK);
  ASSERT_EQ(modrt_set_threads(One, 1), MODRT_OK);
  modrt_begin_call(Two);
  EXPECT_TRUE(runsInParallel());
  // A nested call on a one-thread model, then back to the outer one.
  modrt_begin_call(One);
  EXPECT_TRUE(runsInline());
  modrt_end_call(One);
  EXPECT_TRUE(runsInParallel());
  modrt_end_call(Two);
  EXPECT_TRUE(runsInline());
  modrt_begin_call(nullptr); // No-ops.
  modrt_end_call(nullptr);
  EXPECT_TRUE(runsInline());
  modrt_destroy(One);
  modrt_destroy(Two);
}

TEST(ParallelForTest, FollowsTheThreadSetting) {
  CallScope Call(2);
  EXPECT_TRUE(runsInParallel());
  ASSERT_EQ(modrt_set_threads(Call.model(), 1), MODRT_OK);
  EXPECT_TRUE(runsInline());
  ASSERT_EQ(modrt_set_threads(Call.model(), 3), MODRT_OK);
  Rendezvous R;
  modrt_parallel_for(300, recordThread, &R);
  EXPECT_LE(R.Threads.size(), 3u);
  EXPECT_TRUE(runsInParallel());
  ASSERT_EQ(modrt_set_threads(Call.model(), 2), MODRT_OK);
  EXPECT_TRUE(runsInParallel());
  expectEachIndexOnce(1000);
}

struct Nested {
  std::atomic<int> Inner{0};
};

void innerBody(void *Ctx, int64_t) {
  static_cast<Nested *>(Ctx)->Inner.fetch_add(1);
}

void outerBody(void *Ctx, int64_t) {
  // Runs inline on whichever thread runs the outer index.
  modrt_parallel_for(10, innerBody, Ctx);
}

TEST(ParallelForTest, NestedLoopsRunInline) {
  CallScope Call(2);
  Nested N;
  modrt_parallel_for(8, outerBody, &N);
  EXPECT_EQ(N.Inner.load(), 80);
}

void matmulBody(void *, int64_t I) {
  // Matmuls inside a loop body run on the thread of the body.
  checkMatmul(40 + I, 33, 70, Layout::RowMajor, Layout::RowMajor,
              Layout::RowMajor, uint32_t(I));
}

TEST(ParallelForTest, MatmulInsideALoopBody) {
  CallScope Call(2);
  modrt_parallel_for(4, matmulBody, nullptr);
}

#ifdef __linux__
/// Threads of this process.
size_t countThreads() {
  size_t N = 0;
  if (DIR *D = opendir("/proc/self/task")) {
    while (dirent *E = readdir(D))
      N += E->d_name[0] != '.';
    closedir(D);
  }
  return N;
}

/// Threads of this process once those being joined have left: a joined
/// thread's task can outlive pthread_join by a moment (the kernel wakes the
/// joiner before it removes the task), so a count right after a join may
/// still see it.
size_t settledThreads(size_t Expected) {
  size_t N = countThreads();
  for (int I = 0; I < 200 && N != Expected; ++I) {
    usleep(5000);
    N = countThreads();
  }
  return N;
}

void noOp(void *, int64_t) {}

TEST(ParallelForTest, ThreadsStartOnDemandAndStopWithTheModel) {
  size_t Before = countThreads();
  modrt_model *M = modrt_create("modrt 1\nmodel lazy\nend\n");
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_set_threads(M, 3), MODRT_OK);
  modrt_begin_call(M);
  // Work too small to split starts no thread.
  modrt_parallel_for(1, noOp, nullptr);
  checkMatmul(4, 5, 6, Layout::RowMajor, Layout::RowMajor, Layout::RowMajor);
  EXPECT_EQ(countThreads(), Before);
  modrt_parallel_for(2, noOp, nullptr);
  EXPECT_EQ(countThreads(), Before + 2);
  modrt_end_call(M);
  ASSERT_EQ(modrt_set_threads(M, 2), MODRT_OK); // Joins the old pool.
  EXPECT_EQ(settledThreads(Before), Before);
  modrt_begin_call(M);
  modrt_parallel_for(2, noOp, nullptr);
  EXPECT_EQ(countThreads(), Before + 1);
  modrt_end_call(M);
  modrt_destroy(M);
  EXPECT_EQ(settledThreads(Before), Before);
}
#endif

TEST(ParallelForTest, DestroyingAModelJoinsItsThreads) {
  for (int Round = 0; Round < 20; ++Round) {
    CallScope Call(1 + Round % 4);
    expectEachIndexOnce(10);
  }
}

} // namespace

namespace {

/// A dense [Batch, Rows, Cols] f32 tensor with a 3-D memref view whose
/// batch stride leaves a gap between items.
struct Batch3 {
  std::vector<float> Storage;
  modrt_memref3d_f32 View{};
  Batch3(int64_t B, int64_t R, int64_t C, uint32_t Seed) {
    int64_t Gap = 3;
    Storage.assign(size_t(B * (R * C + Gap) + 1), -7.0f);
    std::mt19937 Rng(Seed);
    std::uniform_real_distribution<float> U(-1.0f, 1.0f);
    for (int64_t I = 0; I < B; ++I)
      for (int64_t J = 0; J < R * C; ++J)
        Storage[size_t(1 + I * (R * C + Gap) + J)] = U(Rng);
    View = {Storage.data(), Storage.data(), 1, {B, R, C}, {R * C + Gap, C, 1}};
  }
  float at(int64_t I, int64_t R, int64_t C) const {
    return Storage[size_t(View.offset + I * View.strides[0] +
                          R * View.strides[1] + C)];
  }
};

void checkBatchMatmul(int64_t B, int64_t M, int64_t K, int64_t N) {
  SCOPED_TRACE(testing::Message()
               << B << "x[" << M << "x" << K << "]@[" << K << "x" << N << "]");
  Batch3 A(B, M, K, 1), Bm(B, K, N, 2), C(B, M, N, 3);
  _mlir_ciface_modrt_batch_matmul_f32(&A.View, &Bm.View, &C.View);
  for (int64_t I = 0; I < B; ++I)
    for (int64_t R = 0; R < M; ++R)
      for (int64_t Col = 0; Col < N; ++Col) {
        double Want = 0;
        for (int64_t Q = 0; Q < K; ++Q)
          Want += double(A.at(I, R, Q)) * Bm.at(I, Q, Col);
        ASSERT_NEAR(C.at(I, R, Col), Want, 1e-4 * (1 + std::fabs(Want)))
            << "at " << I << "," << R << "," << Col;
      }
  // The gaps between items are untouched.
  for (int64_t I = 0; I < B; ++I)
    for (int64_t G = 0; G < 3; ++G)
      EXPECT_EQ(C.Storage[size_t(1 + I * (M * N + 3) + M * N + G)], -7.0f);
}

} // namespace

TEST(GemmTest, BatchedProducts) {
  for (int Threads : {1, 2, 3}) {
    SCOPED_TRACE(testing::Message() << Threads << " threads");
    CallScope Call(Threads);
    checkBatchMatmul(1, 5, 7, 3);
    checkBatchMatmul(2, 64, 32, 48);
    checkBatchMatmul(12, 16, 24, 16); // Attention-like: many small products.
    checkBatchMatmul(5, 1, 300, 1);
    checkBatchMatmul(3, 4, 0, 6); // K = 0: zeros.
  }
}

TEST(GemmTest, BatchedInvalidArgumentsLeaveCUntouched) {
  Batch3 A(2, 3, 4, 1), B(3, 4, 5, 2), C(2, 3, 5, 3);
  std::vector<float> Before = C.Storage;
  _mlir_ciface_modrt_batch_matmul_f32(&A.View, &B.View, &C.View); // Batch.
  _mlir_ciface_modrt_batch_matmul_f32(nullptr, &B.View, &C.View);
  Batch3 Empty(0, 3, 4, 4);
  _mlir_ciface_modrt_batch_matmul_f32(&Empty.View, &Empty.View, &C.View);
  EXPECT_EQ(C.Storage, Before);
}

namespace {
struct RangeCount {
  std::vector<std::atomic<int>> Hits;
  std::mutex Mu;
  std::set<std::thread::id> Threads;
  explicit RangeCount(int64_t N) : Hits(size_t(N)) {}
};
void countRange(void *Ctx, int64_t Lo, int64_t Hi) {
  auto *R = static_cast<RangeCount *>(Ctx);
  for (int64_t I = Lo; I < Hi; ++I)
    R->Hits[size_t(I)].fetch_add(1);
  std::lock_guard<std::mutex> Lock(R->Mu);
  R->Threads.insert(std::this_thread::get_id());
  // Long enough that a second thread takes a chunk.
  std::this_thread::sleep_for(std::chrono::microseconds(200));
}
} // namespace

TEST(ParallelRangeTest, CoversEachIndexOnce) {
  CallScope Call(2);
  for (int64_t N : {0, 1, 2, 7, 64, 1000, 100003})
    for (int64_t Work :
         {int64_t(0), int64_t(1), int64_t(1000), int64_t(1) << 40}) {
      RangeCount R(N);
      modrt_parallel_range(N, Work, countRange, &R);
      for (int64_t I = 0; I < N; ++I)
        ASSERT_EQ(R.Hits[size_t(I)].load(), 1)
            << "N=" << N << " work=" << Work << " index " << I;
    }
}

TEST(ParallelRangeTest, SmallLoopsStayOnTheCallingThread) {
  CallScope Call(2);
  RangeCount Small(100);
  modrt_parallel_range(100, 10, countRange, &Small);
  EXPECT_EQ(Small.Threads.size(), 1u);
  EXPECT_EQ(Small.Threads.count(std::this_thread::get_id()), 1u);
  // A large one is split: the worker takes chunks (retried: on a loaded
  // machine the caller may finish every chunk before the worker runs).
  size_t Seen = 0;
  for (int Attempt = 0; Attempt < 50 && Seen < 2; ++Attempt) {
    RangeCount Big(1000);
    modrt_parallel_range(1000, 10000, countRange, &Big);
    Seen = Big.Threads.size();
  }
  EXPECT_EQ(Seen, 2u);
}

namespace {

/// Rounds V down (toward zero) to a bf16 value, as a bf16 program's
/// widened activations are.
float truncatedToBf16(float V) {
  uint32_t Word;
  std::memcpy(&Word, &V, sizeof(Word));
  Word &= 0xffff0000u;
  std::memcpy(&V, &Word, sizeof(V));
  return V;
}

/// One random dense [K, N] weight per group, and the table of their
/// addresses that the grouped products take; with Bf16, the values are
/// bf16 (W holds them as floats, the table points to their bits).
struct GroupWeights {
  std::vector<std::vector<float>> W;
  std::vector<std::vector<uint16_t>> Bits;
  std::vector<int64_t> Addr;
  GroupWeights(size_t Groups, int64_t K, int64_t N, std::mt19937 &Rng,
               bool Bf16 = false)
      : W(Groups, std::vector<float>(size_t(K * N))) {
    std::uniform_real_distribution<float> U(-1.0f, 1.0f);
    for (auto &Wg : W) {
      for (float &V : Wg)
        V = U(Rng);
      if (!Bf16) {
        Addr.push_back(int64_t(reinterpret_cast<uintptr_t>(Wg.data())));
        continue;
      }
      Bits.emplace_back(Wg.size());
      for (size_t I = 0; I < Wg.size(); ++I) {
        uint32_t Word;
        std::memcpy(&Word, &Wg[I], sizeof(Word));
        Word &= 0xffff0000u; // Truncated: exactly a bf16 value.
        std::memcpy(&Wg[I], &Word, sizeof(Word));
        Bits.back()[I] = uint16_t(Word >> 16);
      }
      Addr.push_back(int64_t(reinterpret_cast<uintptr_t>(Bits.back().data())));
    }
  }
  modrt_memref1d_i64 table() {
    return {Addr.data(), Addr.data(), 0, {int64_t(Addr.size())}, {1}};
  }
};

/// Asserts that row r of C ([rows, N]) is row r of A ([rows, K]) times
/// its group's weight, Weight(g, q, j) being element (q, j) of group g's.
template <typename WeightFn>
void expectGroupedRows(const std::vector<float> &A, int64_t K, int64_t N,
                       const std::vector<int64_t> &Counts,
                       const std::vector<float> &C, WeightFn Weight) {
  int64_t Row = 0;
  for (int64_t Gi = 0; Gi < int64_t(Counts.size()); ++Gi)
    for (int64_t R = 0; R < Counts[size_t(Gi)]; ++R, ++Row)
      for (int64_t J = 0; J < N; ++J) {
        double Want = 0;
        for (int64_t Q = 0; Q < K; ++Q)
          Want += double(A[size_t(Row * K + Q)]) * Weight(Gi, Q, J);
        ASSERT_NEAR(C[size_t(Row * N + J)], Want, 1e-4 * (1 + std::fabs(Want)))
            << "group " << Gi << " row " << Row << " col " << J;
      }
}

/// With Bf16Rows (and Bf16), A's values are bf16 values: the tiles run on
/// the bf16 dot products on avx512-bf16.
void checkGrouped(const std::vector<int64_t> &Counts, int64_t K, int64_t N,
                  int64_t ExtraRows, bool Bf16, bool Bf16Rows = false) {
  SCOPED_TRACE(testing::Message()
               << Counts.size() << " groups, K=" << K << " N=" << N
               << (Bf16 ? " bf16" : "") << (Bf16Rows ? " bf16 rows" : ""));
  int64_t Total = 0;
  for (int64_t C : Counts)
    Total += C;
  int64_t Rows = Total + ExtraRows;
  std::mt19937 Rng(5);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  std::vector<float> A(size_t(Rows * K));
  for (float &V : A)
    V = Bf16Rows ? truncatedToBf16(U(Rng)) : U(Rng);
  GroupWeights GW(Counts.size(), K, N, Rng, Bf16);
  const auto &W = GW.W;
  size_t PairsBefore = modrt::bf16PairProductCount();
  std::vector<float> C(size_t(Rows * N), -3.0f);
  std::vector<int64_t> Cnt(Counts);
  modrt_memref2d_f32 Am = {A.data(), A.data(), 0, {Rows, K}, {K, 1}};
  modrt_memref2d_f32 Cm = {C.data(), C.data(), 0, {Rows, N}, {N, 1}};
  int64_t G = int64_t(Counts.size());
  modrt_memref1d_i64 Wm = GW.table();
  modrt_memref1d_i64 Km = {Cnt.data(), Cnt.data(), 0, {G}, {1}};
  (Bf16 ? _mlir_ciface_modrt_grouped_matmul_f32_bf16
        : _mlir_ciface_modrt_grouped_matmul_f32)(&Am, &Wm, &Km, &Cm);
  bool Pairs = modrt::bf16PairProductCount() != PairsBefore;
  EXPECT_EQ(Pairs, Bf16 && Bf16Rows && K > 0 && Total > 0 &&
                       modrt::gemmIsa() == modrt::GemmIsa::Avx512Bf16);
  expectGroupedRows(A, K, N, Counts, C, [&](int64_t Gi, int64_t Q, int64_t J) {
    return double(W[size_t(Gi)][size_t(Q * N + J)]);
  });
  for (int64_t Row = Total; Row < Rows; ++Row) // Rows after the groups stay.
    for (int64_t J = 0; J < N; ++J)
      ASSERT_EQ(C[size_t(Row * N + J)], -3.0f);
}

} // namespace

TEST(GemmTest, WeightsFromMemoryArePassedOnce) {
  // Decoding through routed experts: a group's few rows (up to the tallest
  // kernel's) against its weight from memory in one pass over it; later
  // passes would read it again from L2 with nothing to overlap. Products
  // of cached weights keep the kernel of fewest instructions.
  for (modrt::GemmIsa Isa : {modrt::GemmIsa::Avx512, modrt::GemmIsa::Avx2}) {
    if (!modrt::setGemmIsa(Isa))
      continue;
    SCOPED_TRACE(modrt::gemmIsaName(Isa));
    int64_t Most = Isa == modrt::GemmIsa::Avx512 ? 12 : 6;
    for (int64_t M = 1; M <= Most; ++M)
      for (int64_t N : {64, 512, 1024})
        EXPECT_EQ(modrt::gemmRowsPerPass(M, N, 512, true), M)
            << M << " rows, " << N << " columns";
  }
  modrt::setGemmIsa(modrt::bestGemmIsa());
  if (modrt::gemmIsa() >= modrt::GemmIsa::Avx512)
    EXPECT_LT(modrt::gemmRowsPerPass(8, 1024, 512, false), 8);
}

TEST(GemmTest, GroupedProducts) {
  for (int Threads : {1, 2, 3}) {
    SCOPED_TRACE(testing::Message() << Threads << " threads");
    CallScope Call(Threads);
    for (int Kind = 0; Kind < 3; ++Kind) {
      bool Bf16 = Kind > 0, Bf16Rows = Kind == 2;
      checkGrouped({1, 0, 3, 2}, 17, 33, 0, Bf16, Bf16Rows);
      checkGrouped({0, 0, 0}, 8, 8, 4, Bf16, Bf16Rows);
      checkGrouped({300, 5, 0, 700}, 64, 96, 3, Bf16, Bf16Rows);
      checkGrouped({4, 4, 4, 4, 4, 4, 4, 4}, 512, 256, 0, Bf16, Bf16Rows);
      checkGrouped({7}, 1, 1, 1, Bf16, Bf16Rows);
      checkGrouped({20, 3, 16}, 70, 130, 0, Bf16, Bf16Rows);
      checkGrouped({5, 8, 6, 7, 12}, 100, 200, 2, Bf16, Bf16Rows);
    }
  }
  // bf16 without memory for widened weights (or narrowed rows): element by
  // element.
  CallScope Call(2);
  modrt::setGemmWorkspaceLimit(0);
  checkGrouped({20, 3, 16}, 70, 130, 0, true);
  modrt::setGemmWorkspaceLimit(SIZE_MAX);
}

TEST(GemmTest, GroupedProductsWithF16Weights) {
  // Fused experts of an f16 program: the weights' raw half bits, widened
  // exactly; with and without memory to widen into (element by element).
  std::mt19937 Rng(11);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  for (size_t Limit : {SIZE_MAX, size_t(0)}) {
    for (int Threads : {1, 2}) {
      CallScope Call(Threads);
      modrt::setGemmWorkspaceLimit(Limit);
      for (auto Shape : {std::pair<int64_t, int64_t>{17, 33}, {64, 256}}) {
        const int64_t K = Shape.first, N = Shape.second;
        std::vector<int64_t> Counts = {3, 0, 40, 1};
        int64_t Rows = 44;
        std::vector<std::vector<uint16_t>> Bits(Counts.size());
        std::vector<int64_t> Addr;
        for (auto &B : Bits) {
          B.resize(size_t(K * N));
          for (uint16_t &V : B)
            V = modrt::detail::floatToHalf(U(Rng));
          Addr.push_back(int64_t(reinterpret_cast<uintptr_t>(B.data())));
        }
        std::vector<float> A(size_t(Rows * K)), C(size_t(Rows * N), -3.0f);
        for (float &V : A)
          V = U(Rng);
        int64_t G = int64_t(Counts.size());
        modrt_memref2d_f32 Am = {A.data(), A.data(), 0, {Rows, K}, {K, 1}};
        modrt_memref2d_f32 Cm = {C.data(), C.data(), 0, {Rows, N}, {N, 1}};
        modrt_memref1d_i64 Wm = {Addr.data(), Addr.data(), 0, {G}, {1}};
        modrt_memref1d_i64 Km = {Counts.data(), Counts.data(), 0, {G}, {1}};
        _mlir_ciface_modrt_grouped_matmul_f32_f16(&Am, &Wm, &Km, &Cm);
        SCOPED_TRACE(testing::Message()
                     << "K=" << K << " N=" << N << ", " << Threads
                     << " threads, limit " << Limit);
        expectGroupedRows(A, K, N, Counts, C,
                          [&](int64_t Gi, int64_t Q, int64_t J) {
                            return double(modrt::detail::halfToFloat(
                                Bits[size_t(Gi)][size_t(Q * N + J)]));
                          });
      }
    }
  }
  modrt::setGemmWorkspaceLimit(SIZE_MAX);
}

TEST(GemmTest, GroupedProductsWithTransposedWeights) {
  // C[rows of g] = A[rows of g] @ W_g^T for [N, K] weights: the backward
  // product dX = dY W^T of fused experts; empty groups and a tall group.
  for (int Threads : {1, 2}) {
    CallScope Call(Threads);
    const int64_t K = 37, N = 70;
    std::vector<int64_t> Counts = {3, 0, 300, 1};
    int64_t Total = 304, G = 4;
    std::mt19937 Rng(11);
    std::uniform_real_distribution<float> U(-1.0f, 1.0f);
    std::vector<float> A(size_t(Total * K));
    for (float &V : A)
      V = U(Rng);
    GroupWeights GW(Counts.size(), N, K, Rng); // [N, K] each.
    std::vector<float> C(size_t(Total * N), -3.0f);
    modrt_memref2d_f32 Am = {A.data(), A.data(), 0, {Total, K}, {K, 1}};
    modrt_memref2d_f32 Cm = {C.data(), C.data(), 0, {Total, N}, {N, 1}};
    modrt_memref1d_i64 Wm = GW.table();
    modrt_memref1d_i64 Km = {Counts.data(), Counts.data(), 0, {G}, {1}};
    _mlir_ciface_modrt_grouped_matmul_nt_f32(&Am, &Wm, &Km, &Cm);
    SCOPED_TRACE(testing::Message() << Threads << " threads");
    expectGroupedRows(A, K, N, Counts, C,
                      [&](int64_t Gi, int64_t Q, int64_t J) {
                        return double(GW.W[size_t(Gi)][size_t(J * K + Q)]);
                      });
  }
}

TEST(GemmTest, GroupedWeightGradients) {
  // DW[g] = A[rows of g]^T @ DY[rows of g], zero for an empty group; a
  // mismatched DW or counts past the rows leave DW untouched.
  for (int Threads : {1, 2, 3}) {
    CallScope Call(Threads);
    const int64_t K = 40, N = 150;
    std::vector<int64_t> Counts = {5, 0, 260, 1, 17};
    int64_t Rows = 290, G = 5;
    std::mt19937 Rng(12);
    std::uniform_real_distribution<float> U(-1.0f, 1.0f);
    std::vector<float> A(size_t(Rows * K)), DY(size_t(Rows * N));
    for (float &V : A)
      V = U(Rng);
    for (float &V : DY)
      V = U(Rng);
    std::vector<float> DW(size_t(G * K * N), -3.0f);
    modrt_memref2d_f32 Am = {A.data(), A.data(), 0, {Rows, K}, {K, 1}};
    modrt_memref2d_f32 DYm = {DY.data(), DY.data(), 0, {Rows, N}, {N, 1}};
    modrt_memref3d_f32 DWm = {
        DW.data(), DW.data(), 0, {G, K, N}, {K * N, N, 1}};
    modrt_memref1d_i64 Km = {Counts.data(), Counts.data(), 0, {G}, {1}};
    _mlir_ciface_modrt_grouped_weight_grad_f32(&Am, &Km, &DYm, &DWm);
    int64_t Row0 = 0;
    for (int64_t Gi = 0; Gi < G; ++Gi) {
      for (int64_t I = 0; I < K; ++I)
        for (int64_t J = 0; J < N; ++J) {
          double Want = 0;
          for (int64_t R = Row0; R < Row0 + Counts[size_t(Gi)]; ++R)
            Want += double(A[size_t(R * K + I)]) * DY[size_t(R * N + J)];
          ASSERT_NEAR(DW[size_t((Gi * K + I) * N + J)], Want,
                      1e-4 * (1 + std::fabs(Want)))
              << Threads << " threads, group " << Gi << " (" << I << ", " << J
              << ")";
        }
      Row0 += Counts[size_t(Gi)];
    }
    std::vector<float> Before = DW;
    modrt_memref3d_f32 Bad = DWm;
    Bad.sizes[2] = N - 1;
    _mlir_ciface_modrt_grouped_weight_grad_f32(&Am, &Km, &DYm, &Bad);
    std::vector<int64_t> Past = {300, 0, 0, 0, 0};
    modrt_memref1d_i64 Pm = {Past.data(), Past.data(), 0, {G}, {1}};
    _mlir_ciface_modrt_grouped_weight_grad_f32(&Am, &Pm, &DYm, &DWm);
    _mlir_ciface_modrt_grouped_weight_grad_f32(nullptr, &Km, &DYm, &DWm);
    EXPECT_EQ(DW, Before);
    // Written in place, into each group's own buffer (a parameter's
    // gradient): the same tiles, so the same bits; a NULL address leaves
    // every buffer untouched.
    std::vector<std::vector<float>> Own(size_t(G),
                                        std::vector<float>(size_t(K * N), 7));
    std::vector<int64_t> Addr;
    for (auto &O : Own)
      Addr.push_back(int64_t(reinterpret_cast<uintptr_t>(O.data())));
    modrt_memref1d_i64 Om = {Addr.data(), Addr.data(), 0, {G}, {1}};
    std::vector<int64_t> Saved = Addr;
    Addr[3] = 0;
    _mlir_ciface_modrt_grouped_weight_grad_to_f32(&Am, &Km, &DYm, &Om);
    for (auto &O : Own)
      EXPECT_EQ(O, std::vector<float>(size_t(K * N), 7));
    Addr = Saved;
    _mlir_ciface_modrt_grouped_weight_grad_to_f32(&Am, &Km, &DYm, &Om);
    for (int64_t Gi = 0; Gi < G; ++Gi)
      EXPECT_EQ(std::memcmp(Own[size_t(Gi)].data(), DW.data() + Gi * K * N,
                            size_t(K * N) * sizeof(float)),
                0)
          << "group " << Gi;
  }
}

TEST(GemmTest, GroupedInvalidArgumentsLeaveCUntouched) {
  std::vector<float> A(16, 1.0f), W(16, 1.0f), C(16, -3.0f);
  std::vector<int64_t> Addr = {int64_t(reinterpret_cast<uintptr_t>(W.data()))};
  modrt_memref2d_f32 Am = {A.data(), A.data(), 0, {4, 4}, {4, 1}};
  modrt_memref2d_f32 Cm = {C.data(), C.data(), 0, {4, 4}, {4, 1}};
  modrt_memref1d_i64 Wm = {Addr.data(), Addr.data(), 0, {1}, {1}};
  for (int64_t Bad : {int64_t(-1), int64_t(5)}) {
    std::vector<int64_t> Cnt = {Bad};
    modrt_memref1d_i64 Km = {Cnt.data(), Cnt.data(), 0, {1}, {1}};
    _mlir_ciface_modrt_grouped_matmul_f32(&Am, &Wm, &Km, &Cm);
  }
  std::vector<int64_t> Two = {1, 1};
  modrt_memref1d_i64 K2 = {Two.data(), Two.data(), 0, {2}, {1}}; // 1 weight.
  _mlir_ciface_modrt_grouped_matmul_f32(&Am, &Wm, &K2, &Cm);
  _mlir_ciface_modrt_grouped_matmul_f32(nullptr, &Wm, &K2, &Cm);
  for (float V : C)
    EXPECT_EQ(V, -3.0f);
}

TEST(GemmTest, GroupedProductsGatherTheirRows) {
  // Row i of the grouped A is X[RowList[i]]: a shuffled, repeating list;
  // also without memory for the gathered block (rows read in place).
  for (size_t Limit : {SIZE_MAX, size_t(0)})
    for (int Threads : {1, 2})
      for (bool Bf16 : {false, true}) {
        SCOPED_TRACE(testing::Message()
                     << "limit " << Limit << ", " << Threads << " threads"
                     << (Bf16 ? ", bf16" : ""));
        modrt::setGemmWorkspaceLimit(Limit);
        CallScope Call(Threads);
        auto product = Bf16 ? _mlir_ciface_modrt_grouped_gather_matmul_f32_bf16
                            : _mlir_ciface_modrt_grouped_gather_matmul_f32;
        const int64_t XRows = 37, K = 40, N = 48;
        std::vector<int64_t> Counts = {5, 0, 300, 9};
        int64_t Total = 314;
        std::mt19937 Rng(9);
        std::uniform_real_distribution<float> U(-1.0f, 1.0f);
        std::vector<float> X(size_t(XRows * K));
        for (float &V : X)
          V = U(Rng);
        std::vector<int64_t> RowList(size_t(Total + 3));
        for (int64_t &R : RowList)
          R = int64_t(Rng() % XRows);
        GroupWeights GW(Counts.size(), K, N, Rng, Bf16);
        const auto &W = GW.W;
        std::vector<float> C(size_t(Total * N), -3.0f);
        int64_t G = int64_t(Counts.size());
        modrt_memref2d_f32 Xm = {X.data(), X.data(), 0, {XRows, K}, {K, 1}};
        modrt_memref2d_f32 Cm = {C.data(), C.data(), 0, {Total, N}, {N, 1}};
        modrt_memref1d_i64 Rm = {
            RowList.data(), RowList.data(), 0, {int64_t(RowList.size())}, {1}};
        modrt_memref1d_i64 Wm = GW.table();
        modrt_memref1d_i64 Km = {Counts.data(), Counts.data(), 0, {G}, {1}};
        product(&Xm, &Rm, &Wm, &Km, &Cm);
        int64_t Row = 0;
        for (int64_t Gi = 0; Gi < G; ++Gi)
          for (int64_t R = 0; R < Counts[size_t(Gi)]; ++R, ++Row)
            for (int64_t J = 0; J < N; ++J) {
              double Want = 0;
              for (int64_t Q = 0; Q < K; ++Q)
                Want += double(X[size_t(RowList[size_t(Row)] * K + Q)]) *
                        W[size_t(Gi)][size_t(Q * N + J)];
              ASSERT_NEAR(C[size_t(Row * N + J)], Want,
                          1e-4 * (1 + std::fabs(Want)))
                  << "row " << Row << " col " << J;
            }
        // An index outside X leaves C untouched.
        std::vector<float> Before = C;
        RowList[7] = XRows;
        product(&Xm, &Rm, &Wm, &Km, &Cm);
        EXPECT_EQ(C, Before);
      }
  modrt::setGemmWorkspaceLimit(SIZE_MAX);
}

namespace {

/// Y[Rows[i]] op= W[Rows[i], Slots[i]] * (A_i @ B_g), groups in order, for
/// random rows and slots; with and without the gather, with and without
/// scratch memory, on 1 and 2 threads (Quick: with the gather, the
/// weighted sum, scratch memory and 2 threads only).
void checkScatter(int64_t YRows, int64_t K, int64_t N,
                  std::vector<int64_t> Counts, bool Quick) {
  int64_t Total = 0;
  for (int64_t C : Counts)
    Total += C;
  std::mt19937 Rng(4);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  std::vector<float> A(size_t(YRows * K)), RW(size_t(YRows * 2));
  for (float &V : A)
    V = U(Rng);
  for (float &V : RW)
    V = U(Rng);
  std::vector<int64_t> Rows(static_cast<size_t>(Total)),
      Slots(static_cast<size_t>(Total));
  for (int64_t I = 0; I < Total; ++I) {
    Rows[size_t(I)] = int64_t(Rng() % YRows);
    Slots[size_t(I)] = int64_t(Rng() % 2);
  }
  for (bool Bf16 : {false, true}) {
    GroupWeights GW(Counts.size(), K, N, Rng, Bf16);
    const auto &W = GW.W;
    auto product = Bf16 ? _mlir_ciface_modrt_grouped_matmul_scatter_f32_bf16
                        : _mlir_ciface_modrt_grouped_matmul_scatter_f32;
    int64_t G = int64_t(Counts.size());
    modrt_memref1d_i64 Rm = {Rows.data(), Rows.data(), 0, {Total}, {1}};
    modrt_memref1d_i64 Sm = {Slots.data(), Slots.data(), 0, {Total}, {1}};
    modrt_memref1d_i64 Wm = GW.table();
    modrt_memref1d_i64 Km = {Counts.data(), Counts.data(), 0, {G}, {1}};
    modrt_memref2d_f32 RWm = {RW.data(), RW.data(), 0, {YRows, 2}, {2, 1}};
    for (size_t Limit : {SIZE_MAX, size_t(0)})
      for (int Threads : {1, 2})
        for (int64_t Gather : {0, 1})
          for (int64_t Mode : {0, 1, 2}) {
            if (Quick && (Limit == 0 || Threads == 1 || !Gather || Mode))
              continue;
            SCOPED_TRACE(testing::Message()
                         << "limit " << Limit << ", " << Threads
                         << " threads, gather " << Gather << ", mode " << Mode
                         << (Bf16 ? ", bf16" : ""));
            modrt::setGemmWorkspaceLimit(Limit);
            CallScope Call(Threads);
            // A's rows: packed (row i) or gathered (row Rows[i]).
            std::vector<float> Packed(size_t(Total * K));
            for (int64_t I = 0; I < Total; ++I)
              for (int64_t Q = 0; Q < K; ++Q)
                Packed[size_t(I * K + Q)] = A[size_t(Rows[size_t(I)] * K + Q)];
            float *Src = Gather ? A.data() : Packed.data();
            modrt_memref2d_f32 Am = {
                Src, Src, 0, {Gather ? YRows : Total, K}, {K, 1}};
            float Init = Mode == 2 ? -1e30f : 0.5f;
            std::vector<float> Y(size_t(YRows * N), Init);
            modrt_memref2d_f32 Ym = {Y.data(), Y.data(), 0, {YRows, N}, {N, 1}};
            product(&Am, &Rm, &Sm, &Wm, &Km, &RWm, &Ym, Gather, Mode);
            std::vector<double> Want(size_t(YRows * N), Init);
            int64_t I = 0;
            for (int64_t Gi = 0; Gi < G; ++Gi)
              for (int64_t R = 0; R < Counts[size_t(Gi)]; ++R, ++I) {
                int64_t Dst = Rows[size_t(I)];
                double Wt = RW[size_t(Dst * 2 + Slots[size_t(I)])];
                for (int64_t J = 0; J < N; ++J) {
                  double V = 0;
                  for (int64_t Q = 0; Q < K; ++Q)
                    V += double(Packed[size_t(I * K + Q)]) *
                         W[size_t(Gi)][size_t(Q * N + J)];
                  double &D = Want[size_t(Dst * N + J)];
                  D = Mode == 0   ? D + Wt * V
                      : Mode == 1 ? D + V
                                  : std::max(D, V);
                }
              }
            for (size_t E = 0; E < Y.size(); ++E)
              ASSERT_NEAR(Y[E], Want[E], 1e-4 * (1 + std::fabs(Want[E])))
                  << "element " << E;
          }
  }
  modrt::setGemmWorkspaceLimit(SIZE_MAX);
}

} // namespace

TEST(GemmTest, GroupedProductsScatterTheirRows) {
  checkScatter(23, 24, 40, {9, 0, 17, 5}, false);
}

TEST(GemmTest, GroupedProductsOfWeightsFromMemory) {
  // Experts' weights too large to stay cached (over a third of 32 MiB: 7
  // non-empty groups of 2 MiB) take the kernels for weights from memory:
  // the prefetching sweep (1-3 rows), one pass over each weight (up to 12
  // rows), several passes beyond.
  CallScope Call(2);
  checkGrouped({1, 2, 3, 5, 8, 10, 12, 0, 17}, 512, 1024, 1, false);
  checkScatter(40, 1024, 512, {1, 2, 3, 5, 8, 10, 12, 0, 17}, true);
}

namespace {

/// Which rows of A are bf16 values (and so which path runs): none, all, or
/// all but one element of the last row (found after the first row passed).
enum class Bf16Rows { None, All, AllButLast };

/// C = A @ float(B) for a bf16 B through _mlir_ciface_modrt_matmul_f32_bf16,
/// B row-major or transposed in memory, against a double reference; every
/// element of C is written. With A's rows all bf16 values, on avx512-bf16,
/// the bf16 dot products must have run.
void checkBf16Matmul(int64_t M, int64_t K, int64_t N, bool Transposed,
                     Bf16Rows Rows = Bf16Rows::None, bool Buffers = true,
                     bool TransposedA = false) {
  SCOPED_TRACE(::testing::Message()
               << M << "x" << K << "x" << N << (Transposed ? " B^T" : " B")
               << " A rows " << int(Rows));
  std::mt19937 Rng(unsigned(M * 131 + K * 17 + N));
  std::uniform_real_distribution<float> Dist(-1.0f, 1.0f);
  std::vector<float> A(size_t(M * K)), C(size_t(M * N), 12345.0f);
  std::vector<uint16_t> B(size_t(K * N));
  for (float &V : A)
    V = Rows == Bf16Rows::None ? Dist(Rng) : truncatedToBf16(Dist(Rng));
  if (Rows == Bf16Rows::AllButLast && K > 0)
    A.back() = 0.1f;
  size_t PairsBefore = modrt::bf16PairProductCount();
  for (uint16_t &V : B)
    V = uint16_t(Rng() & 0x3fff) | uint16_t((Rng() & 1) << 15); // |x| < 2
  auto widen = [](uint16_t Bits) {
    uint32_t Word = uint32_t(Bits) << 16;
    float F;
    std::memcpy(&F, &Word, sizeof(F));
    return F;
  };
  // Element (k, n) of B.
  int64_t RS = Transposed ? 1 : N, CS = Transposed ? K : 1;
  // A[i][p] at A[i * K + p], or through a transposed view of [K, M] data
  // (the backward product X^T dY) at A[p * M + i].
  std::vector<float> At(A.size());
  for (int64_t I = 0; I < M; ++I)
    for (int64_t P = 0; P < K; ++P)
      At[size_t(P * M + I)] = A[size_t(I * K + P)];
  modrt_memref2d_f32 DA = {A.data(), A.data(), 0, {M, K}, {K, 1}};
  if (TransposedA)
    DA = {At.data(), At.data(), 0, {M, K}, {1, M}};
  modrt_memref2d_bf16 DB = {B.data(), B.data(), 0, {K, N}, {RS, CS}};
  modrt_memref2d_f32 DC = {C.data(), C.data(), 0, {M, N}, {N, 1}};
  _mlir_ciface_modrt_matmul_f32_bf16(&DA, &DB, &DC);
  bool Pairs = modrt::bf16PairProductCount() != PairsBefore;
  if (Rows != Bf16Rows::All || K == 0 || !Buffers ||
      modrt::gemmIsa() != modrt::GemmIsa::Avx512Bf16)
    EXPECT_FALSE(Pairs);
  else
    EXPECT_TRUE(Pairs);
  for (int64_t I = 0; I < M; ++I)
    for (int64_t J = 0; J < N; ++J) {
      double Want = 0.0, Scale = 0.0;
      for (int64_t P = 0; P < K; ++P) {
        double T = double(A[size_t(I * K + P)]) *
                   double(widen(B[size_t(P * RS + J * CS)]));
        Want += T;
        Scale += std::fabs(T);
      }
      ASSERT_NEAR(C[size_t(I * N + J)], Want, 1e-5 * (Scale + 1.0))
          << "at " << I << ", " << J;
    }
}

TEST(GemmTest, Bf16WeightsRowMajorAndTransposed) {
  // Few rows swept from the bf16 data (chunks of four vectors, single
  // vectors, a scalar tail, several blocks of columns), and many rows
  // (widened whole), on every ISA.
  const Shape Shapes[] = {{1, 1, 1},     {1, 17, 40},     {5, 300, 16},
                          {3, 50, 128},  {1, 1000, 1030}, {9, 7, 200},
                          {16, 64, 300}, {33, 100, 65},   {64, 384, 96},
                          {65, 40, 33},  {200, 129, 70},  {2, 20, 2100},
                          {16, 35, 1100}};
  forEachIsa([&] {
    for (int Threads : {1, 2}) {
      CallScope Scope(Threads);
      for (const Shape &S : Shapes)
        for (bool T : {false, true})
          checkBf16Matmul(S.M, S.K, S.N, T);
    }
  });
  // Without buffers it still computes C: strips from the bf16 data, the
  // rest element by element.
  {
    CallScope Scope(2);
    modrt::setGemmWorkspaceLimit(0);
    checkBf16Matmul(70, 33, 20, false);
    checkBf16Matmul(7, 33, 20, true);
    checkBf16Matmul(7, 33, 150, false);
    checkBf16Matmul(70, 33, 20, false, Bf16Rows::AllButLast);
    modrt::setGemmWorkspaceLimit(SIZE_MAX);
  }
}

TEST(GemmTest, Bf16ActivationsTimesBf16Weights) {
  // A's values all bf16 values: bf16 x bf16 dot products on avx512-bf16
  // (pairs of rows of a row-major B, swept across 4-8 panels for 1-3 rows, dot
  // products with the rows of a transposed one; a sweep's last span in the
  // fewest panels that cover it): odd K, K below and above one
  // 32-element step, tails of rows (12 per kernel, 3 for dots) and columns (32,
  // 8), several blocks of rows and tiles per thread. On other families, and
  // when one value is not a bf16 value, the f32 paths.
  const Shape Shapes[] = {{1, 1, 1},      {1, 2, 33},      {2, 3, 31},
                          {12, 64, 32},   {13, 65, 40},    {5, 300, 16},
                          {3, 31, 7},     {1, 1000, 1030}, {25, 33, 9},
                          {64, 384, 96},  {200, 129, 70},  {2, 20, 2100},
                          {37, 1536, 72}, {300, 1100, 45}, {1, 64, 100},
                          {2, 64, 200},   {3, 40, 60},     {1, 1024, 16}};
  forEachIsa([&] {
    for (int Threads : {1, 2}) {
      CallScope Scope(Threads);
      for (const Shape &S : Shapes)
        for (bool T : {false, true}) {
          checkBf16Matmul(S.M, S.K, S.N, T, Bf16Rows::All);
          checkBf16Matmul(S.M, S.K, S.N, T, Bf16Rows::AllButLast);
          checkBf16Matmul(S.M, S.K, S.N, T, Bf16Rows::All, true,
                          /*TransposedA=*/true);
        }
    }
  });
}

namespace {

/// The float an IEEE half's bits stand for (independent of the runtime's).
double halfBits(uint16_t H) {
  int Exp = (H >> 10) & 0x1f, Man = H & 0x3ff;
  double V = Exp == 0 ? std::ldexp(double(Man), -24)
                      : std::ldexp(double(Man | 0x400), Exp - 25);
  return (H & 0x8000) ? -V : V;
}

/// C = A @ float(B) for an f16 B through _mlir_ciface_modrt_matmul_f32_f16,
/// B row-major or transposed in memory, against a double reference.
void checkF16Matmul(int64_t M, int64_t K, int64_t N, bool Transposed) {
  SCOPED_TRACE(::testing::Message()
               << M << "x" << K << "x" << N << (Transposed ? " B^T" : " B"));
  std::mt19937 Rng(unsigned(M * 7 + K * 3 + N));
  std::uniform_real_distribution<float> Dist(-1.0f, 1.0f);
  std::vector<float> A(size_t(M * K)), C(size_t(M * N), 12345.0f);
  std::vector<uint16_t> B(size_t(K * N));
  for (float &V : A)
    V = Dist(Rng);
  // Finite halves of either sign below 2 (exponent field < 16), subnormals
  // among them.
  for (uint16_t &V : B)
    V = uint16_t(Rng() % 0x4000) | uint16_t((Rng() & 1) << 15);
  int64_t RS = Transposed ? 1 : N, CS = Transposed ? K : 1;
  modrt_memref2d_f32 DA = {A.data(), A.data(), 0, {M, K}, {K, 1}};
  modrt_memref2d_f16 DB = {B.data(), B.data(), 0, {K, N}, {RS, CS}};
  modrt_memref2d_f32 DC = {C.data(), C.data(), 0, {M, N}, {N, 1}};
  _mlir_ciface_modrt_matmul_f32_f16(&DA, &DB, &DC);
  for (int64_t I = 0; I < M; ++I)
    for (int64_t J = 0; J < N; ++J) {
      double Want = 0.0, Scale = 0.0;
      for (int64_t P = 0; P < K; ++P) {
        double T =
            double(A[size_t(I * K + P)]) * halfBits(B[size_t(P * RS + J * CS)]);
        Want += T;
        Scale += std::fabs(T);
      }
      ASSERT_NEAR(C[size_t(I * N + J)], Want, 1e-5 * (Scale + 1.0))
          << "at " << I << ", " << J;
    }
}

} // namespace

TEST(GemmTest, F16Weights) {
  // Many rows (B widened whole), few (blocks widened per thread), a
  // transposed weight, odd sizes; every family (vcvtph2ps on AVX-512 and
  // F16C, the scalar conversion on generic); no buffers: element by element.
  const Shape Shapes[] = {{1, 1, 1},    {3, 17, 40},    {16, 64, 300},
                          {65, 40, 33}, {200, 129, 70}, {2, 20, 2100}};
  forEachIsa([&] {
    for (int Threads : {1, 2}) {
      CallScope Scope(Threads);
      for (const Shape &S : Shapes)
        for (bool T : {false, true})
          checkF16Matmul(S.M, S.K, S.N, T);
    }
  });
  CallScope Scope(2);
  modrt::setGemmWorkspaceLimit(0);
  checkF16Matmul(70, 33, 20, false);
  checkF16Matmul(7, 33, 20, true);
  modrt::setGemmWorkspaceLimit(SIZE_MAX);
}

TEST(GemmTest, Bf16ActivationsWithoutBuffers) {
  // No buffer for the narrowed rows: the f32 paths, still right.
  CallScope Scope(2);
  modrt::setGemmWorkspaceLimit(0);
  checkBf16Matmul(70, 33, 20, false, Bf16Rows::All, /*Buffers=*/false);
  checkBf16Matmul(7, 33, 20, true, Bf16Rows::All, /*Buffers=*/false);
  modrt::setGemmWorkspaceLimit(SIZE_MAX);
}

} // namespace
