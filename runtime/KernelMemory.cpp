//===- KernelMemory.cpp - Allocation for generated kernels ----------------===//
//
// Generated code allocates its intermediate buffers through MLIR's generic
// allocation functions (finalize-memref-to-llvm with use-generic-functions),
// which the runtime defines here. A failed allocation must not crash the
// host: it records code 4 (out of memory) and jumps back to the entry
// wrapper's recovery point (set with setjmp before the kernel runs), after
// freeing every buffer the kernel still held. The wrapper then returns 4.
//
//===----------------------------------------------------------------------===//

#include "modrt/kernels.h"

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

/// Buffers the current kernel holds, freed if it is abandoned. Kernels keep
/// few buffers alive at once; past the capacity, buffers are simply not
/// tracked (and leak only if the kernel is abandoned).
struct CallState {
  std::jmp_buf *recovery = nullptr;
  static constexpr int kCapacity = 4096;
  void *live[kCapacity];
  int numLive = 0;
};
thread_local CallState callState;

void track(void *p) {
  if (callState.numLive < CallState::kCapacity)
    callState.live[callState.numLive++] = p;
}

void untrack(void *p) {
  for (int i = callState.numLive - 1; i >= 0; --i)
    if (callState.live[i] == p) {
      callState.live[i] = callState.live[--callState.numLive];
      return;
    }
}

[[noreturn]] void outOfMemory(size_t bytes) {
  char msg[128];
  std::snprintf(msg, sizeof(msg), "out of memory: a kernel buffer of %zu bytes",
                bytes);
  modrt_kernel_raise(MODRT_ENOMEM, msg);
  for (int i = 0; i < callState.numLive; ++i)
    std::free(callState.live[i]);
  callState.numLive = 0;
  if (callState.recovery)
    std::longjmp(*callState.recovery, 1);
  std::abort();
}

} // namespace

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

void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  void *p = std::malloc(bytes ? bytes : 1);
  if (!p)
    outOfMemory(bytes);
  track(p);
  return p;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  if (alignment < sizeof(void *))
    alignment = sizeof(void *);
  void *p = nullptr;
  if (posix_memalign(&p, alignment, bytes ? bytes : 1) != 0 || !p)
    outOfMemory(bytes);
  track(p);
  return p;
}

void _mlir_memref_to_llvm_free(void *p) {
  if (!p)
    return;
  untrack(p);
  std::free(p);
}

} // extern "C"
