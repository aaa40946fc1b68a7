//===- ThreadPool.cpp - A model's worker threads --------------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// The pool publishes one loop at a time. Generation is odd while no loop is
/// open and even while one is; the loop's fields (Fn, Ctx, N) are written
/// only while it is odd and no worker is Active. A worker that sees an even
/// generation registers in Active and then re-reads the generation: if it
/// moved, the loop closed under it and the worker backs off without touching
/// the fields. The caller closes a loop (odd generation) once Done reaches N
/// and then waits for Active to drain, so it never waits for a worker that
/// slept through the whole loop. Each of these hand-offs is a store followed
/// by a load of the other side's variable, all sequentially consistent, so
/// one side always sees the other (the same argument covers the sleep flags
/// below and the condition variables they guard).
///
//===----------------------------------------------------------------------===//

#include "ThreadPool.h"

#include "modrt/runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace modrt {

namespace {

/// Nesting depth of loop bodies on this thread.
thread_local int ParallelDepth = 0;

/// How long a thread spins before it sleeps: a worker between two loops of
/// one entry call, and the caller waiting for the last workers of a loop.
/// Waking a sleeping thread costs tens of microseconds, about as long as a
/// small matmul, so spinning across the gaps between kernels pays; spinning
/// longer only burns CPU.
constexpr auto WorkerSpin = std::chrono::microseconds(300);
constexpr auto CallerSpin = std::chrono::milliseconds(2);

/// A wait for the workers this long is checked against their CPU time: if
/// they ran less than half of it, one was preempted
/// (ThreadPool::State::SoloUntil), and loops run on the caller alone for a
/// window of these bounds.
constexpr auto LagThreshold = std::chrono::microseconds(500);
constexpr auto MinSoloWindow = std::chrono::microseconds(20000);
constexpr auto MaxSoloWindow = std::chrono::microseconds(640000);

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/// Spins until Ready() or until Budget has passed; returns Ready().
template <typename ReadyFn>
bool spinUntil(ReadyFn Ready, std::chrono::steady_clock::duration Budget) {
  auto Deadline = std::chrono::steady_clock::now() + Budget;
  for (;;) {
    // Reading the clock costs about as much as the pauses in between.
    for (int I = 0; I < 64; ++I) {
      if (Ready())
        return true;
      cpuRelax();
    }
    if (std::chrono::steady_clock::now() >= Deadline)
      return Ready();
  }
}

} // namespace

struct ThreadPool::State {
  pthread_t *Workers = nullptr;
  int NumWorkers = 0;

  pthread_mutex_t Mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t WorkCv = PTHREAD_COND_INITIALIZER; // Workers sleep here.
  pthread_cond_t DoneCv = PTHREAD_COND_INITIALIZER; // The caller sleeps here.

  /// Set while a thread runs a loop on the pool; a second caller runs inline.
  std::atomic<bool> InUse{false};
  std::atomic<bool> Stop{false};

  /// The open loop; written only while Generation is odd and Active is 0.
  ParallelFn Fn = nullptr;
  void *Ctx = nullptr;
  int64_t N = 0;

  // Each hot counter on its own cache line.
  alignas(64) std::atomic<uint64_t> Generation{1};
  alignas(64) std::atomic<int64_t> Next{0}; // The next unclaimed index.
  alignas(64) std::atomic<int64_t> Done{0}; // Indices whose call returned.
  alignas(64) std::atomic<int> Active{0};   // Workers inside the open loop.
  alignas(64) std::atomic<int> SleepingWorkers{0};
  std::atomic<bool> CallerSleeping{false};

  // Lagging workers (the caller's thread only): a worker preempted by
  // another process holds its index for a time slice, longer than the
  // whole loop would take on the caller alone. After such a loop the next
  // loops run on the caller until SoloUntil; the window doubles while the
  // lag repeats and resets after a loop without it.
  std::chrono::steady_clock::time_point SoloUntil{};
  std::chrono::microseconds SoloWindow{0};
  /// Each worker's CPU-time clock (pthread_getcpuclockid), 0 if none.
  clockid_t *CpuClocks = nullptr;
};

namespace {

using State = ThreadPool::State;

/// The CPU time all workers have used, in nanoseconds.
int64_t workersCpuNanos(const State &S) {
  int64_t Sum = 0;
  for (int I = 0; I < S.NumWorkers; ++I) {
    timespec T;
    if (S.CpuClocks && clock_gettime(S.CpuClocks[I], &T) == 0)
      Sum += int64_t(T.tv_sec) * 1000000000 + T.tv_nsec;
  }
  return Sum;
}

/// Claims and runs indices of the open loop until none is left.
void runIndices(State &S) {
  ++ParallelDepth;
  for (;;) {
    int64_t I = S.Next.fetch_add(1, std::memory_order_relaxed);
    if (I >= S.N)
      break;
    S.Fn(S.Ctx, I);
    if (S.Done.fetch_add(1) + 1 == S.N && S.CallerSleeping.load()) {
      pthread_mutex_lock(&S.Mutex);
      pthread_cond_signal(&S.DoneCv);
      pthread_mutex_unlock(&S.Mutex);
    }
  }
  --ParallelDepth;
}

/// Waits for an open loop other than Seen; returns its generation, or 0 when
/// the pool stops.
uint64_t waitForLoop(State &S, uint64_t Seen) {
  auto Ready = [&] {
    uint64_t G = S.Generation.load();
    return S.Stop.load(std::memory_order_relaxed) || (G % 2 == 0 && G != Seen);
  };
  if (!spinUntil(Ready, WorkerSpin)) {
    pthread_mutex_lock(&S.Mutex);
    S.SleepingWorkers.fetch_add(1);
    while (!Ready())
      pthread_cond_wait(&S.WorkCv, &S.Mutex);
    S.SleepingWorkers.fetch_sub(1);
    pthread_mutex_unlock(&S.Mutex);
  }
  if (S.Stop.load())
    return 0;
  return S.Generation.load();
}

void *workerMain(void *Arg) {
  State &S = *static_cast<State *>(Arg);
  uint64_t Seen = 0;
  for (;;) {
    uint64_t G = waitForLoop(S, Seen);
    if (G == 0)
      return nullptr; // its scratch goes with the thread (noteThreadScratch)
    if (G % 2 != 0 || G == Seen)
      continue;
    S.Active.fetch_add(1);
    if (S.Generation.load() != G) {
      // The loop closed before we registered: its fields may be rewritten.
      S.Active.fetch_sub(1, std::memory_order_release);
      continue;
    }
    Seen = G;
    runIndices(S);
    S.Active.fetch_sub(1, std::memory_order_release);
  }
}

} // namespace

ThreadPool *ThreadPool::create(int NumThreads) {
  ThreadPool *Pool = new (std::nothrow) ThreadPool();
  if (!Pool)
    return nullptr;
  State *S = new (std::nothrow) State();
  int Wanted = NumThreads > 1 ? NumThreads - 1 : 0;
  pthread_t *Workers = Wanted ? static_cast<pthread_t *>(std::calloc(
                                    size_t(Wanted), sizeof(pthread_t)))
                              : nullptr;
  if (!S || (Wanted && !Workers)) {
    std::free(Workers);
    delete S;
    delete Pool;
    return nullptr;
  }
  Pool->S = S;
  S->Workers = Workers;
  // Workers block every signal: the host's handlers run on its own threads.
  sigset_t All, Old;
  sigfillset(&All);
  pthread_sigmask(SIG_SETMASK, &All, &Old);
  S->CpuClocks = Wanted ? static_cast<clockid_t *>(
                              std::calloc(size_t(Wanted), sizeof(clockid_t)))
                        : nullptr;
  for (int I = 0; I < Wanted; ++I) {
    if (pthread_create(&Workers[I], nullptr, workerMain, S) != 0)
      break; // Run with the threads we have.
    if (S->CpuClocks &&
        pthread_getcpuclockid(Workers[I], &S->CpuClocks[I]) != 0) {
      // Without a CPU clock the lag check never fires.
      std::free(S->CpuClocks);
      S->CpuClocks = nullptr;
    }
    ++S->NumWorkers;
  }
  pthread_sigmask(SIG_SETMASK, &Old, nullptr);
  return Pool;
}

void ThreadPool::destroy(ThreadPool *Pool) {
  if (!Pool)
    return;
  State *S = Pool->S;
  S->Stop.store(true);
  pthread_mutex_lock(&S->Mutex);
  pthread_cond_broadcast(&S->WorkCv);
  pthread_mutex_unlock(&S->Mutex);
  for (int I = 0; I < S->NumWorkers; ++I)
    pthread_join(S->Workers[I], nullptr);
  pthread_mutex_destroy(&S->Mutex);
  pthread_cond_destroy(&S->WorkCv);
  pthread_cond_destroy(&S->DoneCv);
  std::free(S->Workers);
  std::free(S->CpuClocks);
  delete S;
  delete Pool;
}

int ThreadPool::numThreads() const { return S->NumWorkers + 1; }

void ThreadPool::run(int64_t N, ParallelFn Fn, void *Ctx) {
  if (N <= 0)
    return;
  // A single index, a nested loop or a second caller runs inline. A single
  // index keeps the pool usable by what it calls.
  if (N == 1 || S->NumWorkers == 0 || ParallelDepth > 0 ||
      S->InUse.exchange(true, std::memory_order_acquire)) {
    for (int64_t I = 0; I < N; ++I)
      Fn(Ctx, I);
    return;
  }
  using Clock = std::chrono::steady_clock;
  if (S->SoloWindow.count() > 0 && Clock::now() < S->SoloUntil) {
    // Workers lagged lately: this loop on the caller alone. The indices
    // and what each computes are the same, so are the results' bits.
    ++ParallelDepth;
    for (int64_t I = 0; I < N; ++I)
      Fn(Ctx, I);
    --ParallelDepth;
    S->InUse.store(false, std::memory_order_release);
    return;
  }
  // Open the loop: Generation is odd here and Active is 0.
  S->Fn = Fn;
  S->Ctx = Ctx;
  S->N = N;
  S->Next.store(0, std::memory_order_relaxed);
  S->Done.store(0, std::memory_order_relaxed);
  uint64_t G = S->Generation.load(std::memory_order_relaxed) + 1;
  S->Generation.store(G);
  if (S->SleepingWorkers.load() > 0) {
    pthread_mutex_lock(&S->Mutex);
    pthread_cond_broadcast(&S->WorkCv);
    pthread_mutex_unlock(&S->Mutex);
  }

  runIndices(*S);

  auto AllDone = [&] { return S->Done.load() == N; };
  // A long wait: how much CPU time the workers get meanwhile tells a
  // preempted worker (another process on its core) from a long index.
  Clock::time_point Waited;
  int64_t CpuBefore = 0;
  bool Long = S->CpuClocks && !spinUntil(AllDone, LagThreshold);
  if (Long) {
    Waited = Clock::now();
    CpuBefore = workersCpuNanos(*S);
  }
  if (!spinUntil(AllDone, CallerSpin)) {
    pthread_mutex_lock(&S->Mutex);
    S->CallerSleeping.store(true);
    while (!AllDone())
      pthread_cond_wait(&S->DoneCv, &S->Mutex);
    S->CallerSleeping.store(false);
    pthread_mutex_unlock(&S->Mutex);
  }

  // The workers ran less than half of the long wait: one was preempted.
  if (Long) {
    Clock::time_point Done = Clock::now();
    int64_t Wall =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Done - Waited)
            .count();
    int64_t Cpu = workersCpuNanos(*S) - CpuBefore;
    if (Wall > 0 && 2 * Cpu < Wall * S->NumWorkers) {
      S->SoloWindow = std::min<std::chrono::microseconds>(
          std::max(S->SoloWindow * 2, MinSoloWindow), MaxSoloWindow);
      S->SoloUntil = Done + S->SoloWindow;
    } else {
      S->SoloWindow = std::chrono::microseconds(0);
    }
  }

  // Close the loop, then let the workers still inside it leave: they only
  // find that no index is left.
  S->Generation.store(G + 1);
  for (int Spins = 0; S->Active.load(std::memory_order_acquire) != 0; ++Spins) {
    if (Spins < 1024)
      cpuRelax();
    else
      sched_yield(); // A worker was preempted on its way out.
  }
  S->InUse.store(false, std::memory_order_release);
}

bool insideParallelLoop() { return ParallelDepth > 0; }

} // namespace modrt

extern "C" void modrt_parallel_for(int64_t n, void (*fn)(void *ctx, int64_t i),
                                   void *ctx) {
  if (n <= 0 || !fn)
    return;
  modrt::ThreadPool *Pool = n > 1 && !modrt::insideParallelLoop()
                                ? modrt::currentThreadPool()
                                : nullptr;
  if (!Pool) {
    for (int64_t I = 0; I < n; ++I)
      fn(ctx, I);
    return;
  }
  Pool->run(n, fn, ctx);
}

namespace {
/// Below this many estimated operations a loop runs on the calling thread:
/// waking the workers costs a few microseconds.
constexpr int64_t kMinParallelWork = int64_t(1) << 16;

struct RangeLoop {
  void (*Fn)(void *, int64_t, int64_t);
  void *Ctx;
  int64_t N;
  int64_t Chunks;
};

void runChunk(void *P, int64_t I) {
  auto *L = static_cast<RangeLoop *>(P);
  int64_t Lo = L->N / L->Chunks * I + std::min(I, L->N % L->Chunks);
  int64_t Hi = Lo + L->N / L->Chunks + (I < L->N % L->Chunks ? 1 : 0);
  L->Fn(L->Ctx, Lo, Hi);
}
} // namespace

extern "C" void modrt_parallel_range(int64_t n, int64_t work,
                                     void (*fn)(void *, int64_t, int64_t),
                                     void *ctx) {
  if (n <= 0 || !fn)
    return;
  if (work < 1)
    work = 1;
  bool Small = n < 2 || work < kMinParallelWork / n;
  modrt::ThreadPool *Pool = Small || modrt::insideParallelLoop()
                                ? nullptr
                                : modrt::currentThreadPool();
  int Threads = Pool ? Pool->numThreads() : 1;
  if (Threads <= 1) {
    fn(ctx, 0, n);
    return;
  }
  // A few chunks per thread absorb a thread that starts late; no chunk is
  // smaller than the work that pays for a hand-off.
  int64_t Chunks = std::min<int64_t>(n, int64_t(Threads) * 4);
  int64_t MinIndices = std::max<int64_t>(1, kMinParallelWork / 4 / work);
  Chunks = std::max<int64_t>(Threads, std::min(Chunks, n / MinIndices));
  Chunks = std::min(Chunks, n);
  RangeLoop L{fn, ctx, n, Chunks};
  Pool->run(Chunks, runChunk, &L);
}
