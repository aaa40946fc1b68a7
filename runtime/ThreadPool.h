//===- ThreadPool.h - A model's worker threads ------------------*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// The threads a model runs its entries on. A pool of T threads is the
/// calling thread plus T - 1 workers; ThreadPool::run hands out the indices
/// of one parallel loop to all of them and returns when every index is done.
/// Workers that find no work spin for a short while (consecutive kernels of
/// one entry call follow each other within microseconds) and then sleep on a
/// condition variable, so an idle model costs no CPU.
///
/// Nothing here throws or aborts: threads come from pthread_create, and a
/// pool whose threads cannot be created simply has fewer of them.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_THREADPOOL_H
#define MODRT_THREADPOOL_H

#include <cstdint>

namespace modrt {

/// The body of a parallel loop: called once for each index.
using ParallelFn = void (*)(void *Ctx, int64_t Index);

class ThreadPool {
public:
  /// Starts a pool of NumThreads threads (NumThreads - 1 workers); fewer if
  /// threads cannot be created. Returns NULL if memory is short.
  static ThreadPool *create(int NumThreads);

  /// Stops and joins the workers and frees the pool; NULL is a no-op. Must
  /// not be called while run() is in progress.
  static void destroy(ThreadPool *Pool);

  /// The threads a run() uses, the calling thread included.
  int numThreads() const;

  /// Calls Fn(Ctx, I) for every I in [0, N), each exactly once, spread over
  /// the pool's threads, and returns when all calls have returned. Called
  /// from inside a loop body of any pool, it runs the loop inline: a nested
  /// loop never waits on threads that are busy with the outer one.
  void run(int64_t N, ParallelFn Fn, void *Ctx);

  struct State;

private:
  ThreadPool() = default;
  State *S = nullptr;
};

/// True while the current thread runs a body of ThreadPool::run.
bool insideParallelLoop();

/// The thread setting of the entry call running on the current thread: 1
/// if there is none or inside a loop body. Creates nothing.
int currentThreadCount();

/// The pool of the entry call running on the current thread (see
/// modrt_begin_call), created or resized on first use to the model's thread
/// setting; NULL if there is no call, the model runs on one thread, or the
/// pool cannot be created. Defined in Model.cpp, which owns the pools.
ThreadPool *currentThreadPool();

/// Called when the current thread first keeps scratch buffers of its own
/// between calls (the GEMM workspaces, the kernel block cache): they are
/// freed when it exits, through a pthread key (the runtime keeps no
/// thread_local with a destructor: glibc would pin the library after
/// dlclose). Defined in KernelMemory.cpp.
void noteThreadScratch();

/// Frees the current thread's scratch buffers now (a model's destroy on
/// the caller's thread; a thread's exit and the library's unload free them
/// through noteThreadScratch's registration).
void releaseThreadScratch();

} // namespace modrt

#endif // MODRT_THREADPOOL_H
