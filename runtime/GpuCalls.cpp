//===- GpuCalls.cpp - The GPU calls of generated host code ----------------===//
//
// MLIR 19 translates each `gpu.launch_func` of a --target=cuda library into
// this sequence (the default offloading handler of gpu.binary, for a PTX
// object):
//   m = mgpuModuleLoadJIT(ptx, optLevel); f = mgpuModuleGetFunction(m, name)
//   s = mgpuStreamCreate(); mgpuLaunchKernel(f, grid, block, smem, s,
//   params, extra, count); mgpuStreamSynchronize(s); mgpuStreamDestroy(s)
//   mgpuModuleUnload(m)
// The functions here run it on the current model's GPU (runtime/Cuda.h):
// the module is loaded once per model and kept, the kernel is found by its
// name, the launch goes on the current stream (the default one, or a
// `_device` entry's caller's: modrt_gpu_set_stream). A failure records the
// entry's error (code 5, or 4 for memory; modrt_kernel_raise) and makes
// the rest of the sequence, and the launches after it, do nothing: the
// entry wrapper returns the code.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"

#include "modrt/kernels.h"

#include <cstddef>
#include <cstdint>

namespace {

/// The non-null module handle of a loaded module (the model's GPU keeps the
/// module itself).
char loadedToken;

/// The stream of the current call on this thread (null: the default one).
thread_local void *currentStream = nullptr;

void *load(const void *image) {
  if (modrt_kernel_error_pending())
    return nullptr;
  modrt::cuda::Gpu &gpu = modrt::cuda::currentGpu();
  if (int e = gpu.loadModule(image)) {
    modrt_kernel_raise(e, gpu.error());
    return nullptr;
  }
  return &loadedToken;
}

} // namespace

extern "C" {

void *mgpuModuleLoadJIT(void *data, int) { return load(data); }

void *mgpuModuleLoad(void *data, size_t) { return load(data); }

void mgpuModuleUnload(void *) {}

void *mgpuModuleGetFunction(void *module, const char *name) {
  return module ? const_cast<char *>(name) : nullptr;
}

void modrt_gpu_set_stream(void *stream) { currentStream = stream; }

void _mlir_ciface_modrt_gpu_copy(uint64_t dst, uint64_t src, int64_t bytes) {
  if (bytes <= 0 || modrt_kernel_error_pending())
    return;
  modrt::cuda::Gpu &gpu = modrt::cuda::currentGpu();
  if (int e = gpu.copy(dst, src, size_t(bytes), currentStream))
    modrt_kernel_raise(e, gpu.error());
}

// Generated code creates and destroys a stream around each launch: the
// current stream stands for it (and is the caller's to destroy).
void *mgpuStreamCreate(void) { return currentStream; }

void mgpuStreamDestroy(void *) {}

void mgpuStreamSynchronize(void *stream) {
  if (modrt_kernel_error_pending())
    return;
  modrt::cuda::Gpu &gpu = modrt::cuda::currentGpu();
  if (int e = gpu.synchronize(stream))
    modrt_kernel_raise(e, gpu.error());
}

void mgpuLaunchKernel(void *function, intptr_t gx, intptr_t gy, intptr_t gz,
                      intptr_t bx, intptr_t by, intptr_t bz, int32_t,
                      void *stream, void **params, void **, size_t) {
  if (!function || modrt_kernel_error_pending())
    return;
  if (gx <= 0 || gy <= 0 || gz <= 0 || bx <= 0 || by <= 0 || bz <= 0)
    return; // an empty grid (a loop over no elements) launches nothing
  unsigned grid[3] = {unsigned(gx), unsigned(gy), unsigned(gz)};
  unsigned block[3] = {unsigned(bx), unsigned(by), unsigned(bz)};
  modrt::cuda::Gpu &gpu = modrt::cuda::currentGpu();
  if (int e = gpu.launch(static_cast<const char *>(function), grid, block,
                         params, stream))
    modrt_kernel_raise(e, gpu.error());
}

} // extern "C"
