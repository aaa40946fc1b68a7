//===- KernelMemory.cpp - Allocation for generated kernels ----------------===//
//
// Generated code allocates its intermediate buffers through MLIR's generic
// allocation functions (finalize-memref-to-llvm with use-generic-functions),
// which the runtime defines here. A failed allocation must not crash the
// host: it records code 4 (out of memory) and jumps back to the entry
// wrapper's recovery point (set with setjmp before the kernel runs), after
// freeing every buffer the kernel still held. The wrapper then returns 4.
//
// Large buffers are kept for reuse: a kernel allocates the same buffers at
// every call, and handing megabytes back to the system at each free means
// page faults on every touch of them at the next call (10% of a large MoE
// call). Each thread caches up to kCacheSlots freed blocks of at least
// kCacheMin bytes, kCacheBytes in all; a block is reused for a request of
// at most its size and at least half of it.
//
// With MODRT_DEBUG_POISON_FREED set in the environment, a freed buffer is
// filled with 0xff bytes (NaN as floats) and never cached: a kernel that
// reads a buffer after freeing it computes NaN instead of a plausible
// result. The e2e tests run with it (test/e2e/lit.local.cfg).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Gemm.h"
#include "ThreadPool.h"
#include "modrt/kernels.h"
#include "modrt/modrt.h"

#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <malloc.h>
#include <pthread.h>

namespace {

/// Buffers the current kernel holds, freed if it is abandoned. Kernels keep
/// few buffers alive at once; past the capacity, buffers are simply not
/// tracked (and leak only if the kernel is abandoned).
struct CallState {
  std::jmp_buf *recovery = nullptr;
  static constexpr int kCapacity = 4096;
  void *live[kCapacity];
  bool onGpu[kCapacity]; ///< from modrt_gpu_memref_* (else malloc)
  int numLive = 0;
};
thread_local CallState callState;

void track(void *p, bool onGpu = false) {
  if (callState.numLive < CallState::kCapacity) {
    callState.onGpu[callState.numLive] = onGpu;
    callState.live[callState.numLive++] = p;
  }
}

void untrack(void *p) {
  for (int i = callState.numLive - 1; i >= 0; --i)
    if (callState.live[i] == p) {
      --callState.numLive;
      callState.live[i] = callState.live[callState.numLive];
      callState.onGpu[i] = callState.onGpu[callState.numLive];
      return;
    }
}

/// Freed large blocks of this thread, for reuse.
struct BlockCache {
  static constexpr int kCacheSlots = 64;
  static constexpr size_t kCacheMin = size_t(64) << 10;
  static constexpr size_t kCacheBytes = size_t(256) << 20;
  void *block[kCacheSlots] = {};
  size_t size[kCacheSlots] = {};
  size_t total = 0;

  /// A cached block of [bytes, 2 * bytes] bytes aligned to `alignment`.
  void *take(size_t bytes, size_t alignment) {
    if (bytes < kCacheMin)
      return nullptr;
    int best = -1;
    for (int i = 0; i < kCacheSlots; ++i)
      if (block[i] && size[i] >= bytes && size[i] / 2 <= bytes &&
          reinterpret_cast<uintptr_t>(block[i]) % alignment == 0 &&
          (best < 0 || size[i] < size[best]))
        best = i;
    if (best < 0)
      return nullptr;
    void *p = block[best];
    total -= size[best];
    block[best] = nullptr;
    return p;
  }

  /// Keeps p if it is large and there is room; false if the caller frees.
  bool put(void *p) {
    size_t n = malloc_usable_size(p);
    if (n < kCacheMin || n > kCacheBytes)
      return false;
    int slot = -1;
    for (int i = 0; i < kCacheSlots && slot < 0; ++i)
      if (!block[i])
        slot = i;
    // Full: evict the smallest blocks first while that makes room.
    while (slot < 0 || total + n > kCacheBytes) {
      int smallest = -1;
      for (int i = 0; i < kCacheSlots; ++i)
        if (block[i] && (smallest < 0 || size[i] < size[smallest]))
          smallest = i;
      if (smallest < 0)
        return false;
      if (size[smallest] > n && total + n > kCacheBytes)
        return false; // Everything cached is larger: keep that instead.
      std::free(block[smallest]);
      total -= size[smallest];
      block[smallest] = nullptr;
      slot = smallest;
    }
    block[slot] = p;
    size[slot] = n;
    total += n;
    modrt::noteThreadScratch();
    return true;
  }

  void clear() {
    for (int i = 0; i < kCacheSlots; ++i) {
      std::free(block[i]);
      block[i] = nullptr;
    }
    total = 0;
  }
  // No destructor: releaseThreadScratch frees the blocks (ThreadPool.h).
};
thread_local BlockCache blockCache;

void gpuFree(void *p);

/// Frees the kernel's live buffers and longjmps to the call's recovery
/// point (the error is raised already); returns only without one.
void endCall() {
  for (int i = 0; i < callState.numLive; ++i) {
    if (callState.onGpu[i])
      gpuFree(callState.live[i]);
    else
      std::free(callState.live[i]);
  }
  callState.numLive = 0;
  if (callState.recovery)
    std::longjmp(*callState.recovery, 1);
}

[[noreturn]] void outOfMemory(size_t bytes) {
  char msg[128];
  std::snprintf(msg, sizeof(msg), "out of memory: a kernel buffer of %zu bytes",
                bytes);
  modrt_kernel_raise(MODRT_ENOMEM, msg);
  endCall();
  std::abort();
}

/// A thread holding scratch buffers, linked into a list while it lives:
/// the library's unload frees every live thread's buffers (a model closed
/// on another thread than the one that ran it left them behind).
struct ScratchHolder {
  BlockCache *cache;
  void *gemm; // releaseGemmWorkspaces' token
  ScratchHolder *prev, *next;
  bool linked;
};

pthread_key_t scratchKey;
pthread_once_t scratchOnce = PTHREAD_ONCE_INIT;
bool scratchKeyMade = false;
pthread_mutex_t scratchMutex = PTHREAD_MUTEX_INITIALIZER;
ScratchHolder *scratchHead = nullptr;
thread_local ScratchHolder scratchHolder = {};

void unlinkHolder(ScratchHolder &h) {
  if (!h.linked)
    return;
  (h.prev ? h.prev->next : scratchHead) = h.next;
  if (h.next)
    h.next->prev = h.prev;
  h.prev = h.next = nullptr;
  h.linked = false;
}

/// The key's destructor, on the exiting thread (its thread_locals are still
/// there): out of the list, buffers freed.
void releaseAtExit(void *) {
  pthread_mutex_lock(&scratchMutex);
  unlinkHolder(scratchHolder);
  pthread_mutex_unlock(&scratchMutex);
  modrt::releaseThreadScratch();
}

/// At unload: every live thread's buffers go, the unloading thread's
/// among them (no thread may be inside the library while it is unloaded),
/// and no thread's exit may call into the unloaded code any more.
__attribute__((destructor)) void unloadScratch() {
  pthread_mutex_lock(&scratchMutex);
  while (ScratchHolder *h = scratchHead) {
    h->cache->clear();
    modrt::releaseGemmWorkspaces(h->gemm);
    unlinkHolder(*h);
  }
  if (scratchKeyMade)
    pthread_key_delete(scratchKey);
  scratchKeyMade = false;
  pthread_mutex_unlock(&scratchMutex);
}

} // namespace

namespace modrt {

void noteThreadScratch() {
  if (scratchHolder.linked)
    return;
  pthread_once(&scratchOnce, [] {
    scratchKeyMade = pthread_key_create(&scratchKey, releaseAtExit) == 0;
  });
  pthread_mutex_lock(&scratchMutex);
  scratchHolder.cache = &blockCache;
  scratchHolder.gemm = gemmWorkspacesOfThisThread();
  scratchHolder.prev = nullptr;
  scratchHolder.next = scratchHead;
  if (scratchHead)
    scratchHead->prev = &scratchHolder;
  scratchHead = &scratchHolder;
  scratchHolder.linked = true;
  if (scratchKeyMade)
    pthread_setspecific(scratchKey, reinterpret_cast<void *>(1));
  pthread_mutex_unlock(&scratchMutex);
}

void releaseThreadScratch() {
  blockCache.clear();
  releaseGemmWorkspaces();
}

} // namespace modrt

extern "C" {

void *modrt_kernel_enter(void) {
  static_assert(sizeof(std::jmp_buf) <= 512, "jmp_buf larger than expected");
  thread_local std::jmp_buf buffer;
  callState.recovery = &buffer;
  callState.numLive = 0;
  return &buffer;
}

void modrt_kernel_leave(void) {
  callState.recovery = nullptr;
  callState.numLive = 0;
}

void modrt_kernel_fail_now(void) {
  if (callState.recovery && !modrt::insideParallelLoop())
    endCall();
}

void _mlir_ciface_modrt_kernel_alloc_too_big(double bytes) {
  // Past 2^62 no size_t of this machine holds it once the strides and
  // alignment are added: report the byte count as computed.
  outOfMemory(bytes >= 0x1p64 ? SIZE_MAX : size_t(bytes));
}

void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  void *p = blockCache.take(bytes, alignof(std::max_align_t));
  if (!p)
    p = std::malloc(bytes ? bytes : 1);
  if (!p) {
    blockCache.clear();
    p = std::malloc(bytes ? bytes : 1);
  }
  if (!p)
    outOfMemory(bytes);
  track(p);
  return p;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  if (alignment < sizeof(void *))
    alignment = sizeof(void *);
  void *p = blockCache.take(bytes, alignment);
  if (p) {
    track(p);
    return p;
  }
  if (posix_memalign(&p, alignment, bytes ? bytes : 1) != 0 || !p) {
    blockCache.clear();
    p = nullptr;
    if (posix_memalign(&p, alignment, bytes ? bytes : 1) != 0 || !p)
      outOfMemory(bytes);
  }
  track(p);
  return p;
}

void _mlir_memref_to_llvm_free(void *p) {
  if (!p)
    return;
  untrack(p);
  static const bool poison = std::getenv("MODRT_DEBUG_POISON_FREED");
  if (poison) {
    std::memset(p, 0xff, malloc_usable_size(p));
    std::free(p);
    return;
  }
  if (!blockCache.put(p))
    std::free(p);
}

//===----------------------------------------------------------------------===//
// --target=cuda libraries: every buffer of generated code is managed memory
// of the model's GPU (cuMemAllocManaged), which its kernels and the host
// code around them (copies in and out, the few values the host reads back)
// both address. Without a usable GPU the first allocation records error 5
// and host memory stands in, so that the host code runs to the entry's end
// (whose kernel launches fail the same way). A 256-byte header before each
// buffer says which memory it is. They are tracked like the CPU's: out of
// GPU memory, the call's buffers are freed before the entry returns 4.
//===----------------------------------------------------------------------===//

namespace {
constexpr size_t kGpuHeader = 256;
constexpr uint64_t kManagedTag = 0x6d6f64634d414e47ull; // "modcMANG"
constexpr uint64_t kHostTag = 0x6d6f6463484f5354ull;    // "modcHOST"

void *gpuAlloc(size_t alignment, size_t bytes) {
  if (alignment > kGpuHeader || bytes > SIZE_MAX - kGpuHeader)
    outOfMemory(bytes);
  modrt::cuda::Gpu &gpu = modrt::cuda::currentGpu();
  void *base = nullptr;
  uint64_t tag = kManagedTag;
  int e = gpu.allocManaged(bytes + kGpuHeader, &base);
  if (e == MODRT_ENOMEM)
    outOfMemory(bytes);
  if (e) {
    modrt_kernel_raise(e, gpu.error());
    tag = kHostTag;
    if (posix_memalign(&base, kGpuHeader, bytes + kGpuHeader) != 0)
      outOfMemory(bytes);
  }
  std::memcpy(base, &tag, sizeof(tag));
  void *p = static_cast<char *>(base) + kGpuHeader;
  track(p, /*onGpu=*/true);
  return p;
}

/// Frees a buffer of gpuAlloc (managed or host memory, as its header says).
void gpuFree(void *p) {
  char *base = static_cast<char *>(p) - kGpuHeader;
  uint64_t tag;
  std::memcpy(&tag, base, sizeof(tag));
  if (tag == kManagedTag)
    modrt::cuda::currentGpu().free(reinterpret_cast<uint64_t>(base));
  else
    std::free(base);
}
} // namespace

void *modrt_gpu_memref_alloc(size_t bytes) {
  return gpuAlloc(alignof(std::max_align_t), bytes);
}

void *modrt_gpu_memref_aligned_alloc(size_t alignment, size_t bytes) {
  return gpuAlloc(alignment, bytes);
}

void modrt_gpu_memref_free(void *p) {
  if (!p)
    return;
  untrack(p);
  gpuFree(p);
}

} // extern "C"
