//===- Cuda.cpp - The CUDA driver API, loaded at run time -----------------===//
//
// The driver's functions are declared here with the C types of the CUDA
// driver API's ABI (CUresult = int, handles are pointers, CUdeviceptr is a
// 64-bit integer), so no CUDA header or library is needed to build modc.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"

#include "modrt/gpu_image.h"
#include "modrt/modrt.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <type_traits>

namespace modrt {
namespace cuda {

namespace {

// CUDA driver API result codes modc tells apart.
constexpr int kSuccess = 0;
constexpr int kOutOfMemory = 2;
constexpr int kNoDevice = 100;

using CuInit = int (*)(unsigned);
using CuDeviceGetCount = int (*)(int *);
using CuDeviceGet = int (*)(int *, int);
using CuPrimaryCtxRetain = int (*)(void **, int);
using CuPrimaryCtxRelease = int (*)(int);
using CuCtxSetCurrent = int (*)(void *);
using CuMemAlloc = int (*)(DevicePtr *, size_t);
using CuMemAllocManaged = int (*)(DevicePtr *, size_t, unsigned);
using CuMemFree = int (*)(DevicePtr);
using CuMemcpyHtoDAsync = int (*)(DevicePtr, const void *, size_t, void *);
using CuMemcpyDtoHAsync = int (*)(void *, DevicePtr, size_t, void *);
using CuMemcpyAsync = int (*)(DevicePtr, DevicePtr, size_t, void *);
using CuStreamCreate = int (*)(void **, unsigned);
using CuStreamDestroy = int (*)(void *);
using CuStreamSynchronize = int (*)(void *);
using CuModuleLoadData = int (*)(void **, const void *);
using CuModuleUnload = int (*)(void *);
using CuModuleGetFunction = int (*)(void **, void *, const char *);
using CuLaunchKernel = int (*)(void *, unsigned, unsigned, unsigned, unsigned,
                               unsigned, unsigned, unsigned, void *, void **,
                               void **);
using CuGetErrorName = int (*)(int, const char **);

} // namespace

/// The driver's entry points (the versioned names of the 64-bit API).
struct Driver {
  CuInit init;
  CuDeviceGetCount deviceGetCount;
  CuDeviceGet deviceGet;
  CuPrimaryCtxRetain primaryCtxRetain;
  CuPrimaryCtxRelease primaryCtxRelease;
  CuCtxSetCurrent ctxSetCurrent;
  CuMemAlloc memAlloc;
  CuMemAllocManaged memAllocManaged;
  CuMemFree memFree;
  CuMemcpyHtoDAsync memcpyHtoDAsync;
  CuMemcpyDtoHAsync memcpyDtoHAsync;
  CuMemcpyAsync memcpyAsync;
  CuStreamCreate streamCreate;
  CuStreamDestroy streamDestroy;
  CuStreamSynchronize streamSynchronize;
  CuModuleLoadData moduleLoadData;
  CuModuleUnload moduleUnload;
  CuModuleGetFunction moduleGetFunction;
  CuLaunchKernel launchKernel;
  CuGetErrorName getErrorName;
};

namespace {

/// A driver library, loaded once: `ok` false with `why` if it is missing
/// or incomplete.
struct Loaded {
  char path[256] = {0};
  Driver driver;
  bool ok = false;
  char why[300] = {0};
};

void load(const char *path, Loaded &result) {
  {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char *e = dlerror();
      std::snprintf(result.why, sizeof(result.why), "no CUDA driver (%s)",
                    e ? e : path);
      return;
    }
    bool missing = false;
    auto get = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(lib, name));
      if (!fn && !missing) {
        missing = true;
        std::snprintf(result.why, sizeof(result.why),
                      "no CUDA driver (%s lacks %s)", path, name);
      }
    };
    Driver &d = result.driver;
    get(d.init, "cuInit");
    get(d.deviceGetCount, "cuDeviceGetCount");
    get(d.deviceGet, "cuDeviceGet");
    get(d.primaryCtxRetain, "cuDevicePrimaryCtxRetain");
    get(d.primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    get(d.ctxSetCurrent, "cuCtxSetCurrent");
    get(d.memAlloc, "cuMemAlloc_v2");
    get(d.memAllocManaged, "cuMemAllocManaged");
    get(d.memFree, "cuMemFree_v2");
    get(d.memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    get(d.memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    get(d.memcpyAsync, "cuMemcpyAsync");
    get(d.streamCreate, "cuStreamCreate");
    get(d.streamDestroy, "cuStreamDestroy_v2");
    get(d.streamSynchronize, "cuStreamSynchronize");
    get(d.moduleLoadData, "cuModuleLoadData");
    get(d.moduleUnload, "cuModuleUnload");
    get(d.moduleGetFunction, "cuModuleGetFunction");
    get(d.launchKernel, "cuLaunchKernel");
    get(d.getErrorName, "cuGetErrorName");
    if (missing) {
      dlclose(lib);
      return;
    }
    // The library stays loaded for the process: contexts outlive models.
    result.ok = true;
  }
}

/// The driver named by MODRT_CUDA_DRIVER (tests), else libcuda.so.1; each
/// library is loaded once per process and kept (a handful of slots: the
/// variable only changes in tests).
const Loaded &loaded() {
  static Loaded slots[4];
  static std::mutex mutex;
  const char *path = std::getenv("MODRT_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  std::lock_guard<std::mutex> lock(mutex);
  for (Loaded &slot : slots) {
    if (slot.path[0] == 0) {
      std::snprintf(slot.path, sizeof(slot.path), "%s", path);
      load(path, slot);
      return slot;
    }
    if (std::strcmp(slot.path, path) == 0)
      return slot;
  }
  static Loaded full;
  std::snprintf(full.why, sizeof(full.why), "no CUDA driver (%s)", path);
  return full;
}

} // namespace

Gpu::~Gpu() {
  if (!driver_)
    return;
  if (context_)
    driver_->ctxSetCurrent(context_);
  if (module_)
    driver_->moduleUnload(module_);
  if (context_)
    driver_->primaryCtxRelease(device_);
}

int Gpu::fail(int code, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(message_, sizeof(message_), fmt, args);
  va_end(args);
  return code;
}

int Gpu::check(int result, const char *what) {
  if (result == kSuccess)
    return 0;
  const char *name = nullptr;
  if (driver_->getErrorName(result, &name) != kSuccess || !name)
    name = "unknown error";
  if (result == kOutOfMemory)
    return fail(MODRT_ENOMEM, "%s: out of GPU memory (%s)", what, name);
  return fail(MODRT_EUNSUPPORTED, "%s failed: %s (%d)", what, name, result);
}

int Gpu::open() {
  if (opened_ >= 0) {
    if (opened_ != 0)
      return fail(opened_, "%s", openError_);
    return driver_->ctxSetCurrent(context_) == kSuccess
               ? 0
               : fail(MODRT_EUNSUPPORTED, "cuCtxSetCurrent failed");
  }
  const Loaded &l = loaded();
  if (!l.ok) {
    opened_ = MODRT_EUNSUPPORTED;
    std::snprintf(openError_, sizeof(openError_), "%s", l.why);
    return fail(opened_, "%s", l.why);
  }
  driver_ = &l.driver;
  int count = 0;
  int r = driver_->init(0);
  if (r == kSuccess)
    r = driver_->deviceGetCount(&count);
  if (r == kNoDevice || (r == kSuccess && count == 0)) {
    opened_ = MODRT_EUNSUPPORTED;
    std::snprintf(openError_, sizeof(openError_), "no CUDA device");
    return fail(opened_, "no CUDA device");
  }
  if (r == kSuccess)
    r = driver_->deviceGet(&device_, 0);
  if (r == kSuccess)
    r = driver_->primaryCtxRetain(&context_, device_);
  if (r == kSuccess)
    r = driver_->ctxSetCurrent(context_);
  opened_ = check(r, "opening the CUDA device") ? MODRT_EUNSUPPORTED : 0;
  if (opened_)
    std::memcpy(openError_, message_, sizeof(openError_));
  return opened_;
}

int Gpu::loadModule(const void *image) {
  if (int e = open())
    return e;
  if (module_)
    return 0;
  const char *blob = static_cast<const char *>(image);
  const size_t magic = sizeof(MODRT_GPU_IMAGE_MAGIC) - 1;
  if (std::memcmp(blob, MODRT_GPU_IMAGE_MAGIC, magic) != 0)
    return check(driver_->moduleLoadData(&module_, image),
                 "loading the model's GPU kernels");
  // The images in order (modrt/gpu_image.h): the first the driver takes
  // wins; a cubin built for another GPU falls back to the PTX.
  char tried[sizeof(message_)] = "";
  size_t at = magic;
  for (;;) {
    modrt_gpu_image_record record;
    std::memcpy(&record, blob + at, sizeof(record));
    at += sizeof(record);
    if (record.kind == MODRT_GPU_IMAGE_END)
      break;
    const char *what =
        record.kind == MODRT_GPU_IMAGE_CUBIN ? "the cubin" : "the PTX";
    // The blob is a byte array of generated code: copied to an aligned
    // buffer before the driver reads an ELF image from it.
    void *copy = std::malloc(record.bytes ? record.bytes : 1);
    if (!copy)
      return fail(MODRT_ENOMEM, "loading the model's GPU kernels: out of "
                                "memory");
    std::memcpy(copy, blob + at, record.bytes);
    int result = driver_->moduleLoadData(&module_, copy);
    std::free(copy);
    if (result == kSuccess)
      return 0;
    module_ = nullptr;
    const char *name = nullptr;
    if (driver_->getErrorName(result, &name) != kSuccess || !name)
      name = "unknown error";
    size_t used = std::strlen(tried);
    std::snprintf(tried + used, sizeof(tried) - used, "%s%s: %s (%d)",
                  used ? "; " : "", what, name, result);
    at += (record.bytes + 7) / 8 * 8;
  }
  return fail(MODRT_EUNSUPPORTED, "loading the model's GPU kernels failed: %s",
              tried[0] ? tried : "no image");
}

int Gpu::launch(const char *kernel, const unsigned grid[3],
                const unsigned block[3], void **params, void *stream) {
  if (int e = open())
    return e;
  if (!module_)
    return fail(MODRT_EUNSUPPORTED, "launch of %s: no kernel module loaded",
                kernel);
  void *function = nullptr;
  for (int i = 0; i < numFunctions_ && !function; ++i)
    if (functions_[i].name == kernel)
      function = functions_[i].function;
  if (!function) {
    if (int e = check(driver_->moduleGetFunction(&function, module_, kernel),
                      kernel))
      return e;
    if (numFunctions_ < kFunctionCache)
      functions_[numFunctions_++] = {kernel, function};
  }
  return check(driver_->launchKernel(function, grid[0], grid[1], grid[2],
                                     block[0], block[1], block[2],
                                     /*sharedMemBytes=*/0, stream, params,
                                     nullptr),
               kernel);
}

int Gpu::alloc(size_t bytes, DevicePtr *out) {
  *out = 0;
  if (int e = open())
    return e;
  if (bytes == 0)
    return 0;
  return check(driver_->memAlloc(out, bytes), "cuMemAlloc");
}

int Gpu::allocManaged(size_t bytes, void **out) {
  *out = nullptr;
  if (int e = open())
    return e;
  DevicePtr p = 0;
  // CU_MEM_ATTACH_GLOBAL: any stream, and the host, may access it.
  if (int e = check(driver_->memAllocManaged(&p, bytes ? bytes : 1, 1),
                    "cuMemAllocManaged"))
    return e;
  *out = reinterpret_cast<void *>(p);
  return 0;
}

int Gpu::free(DevicePtr ptr) {
  if (!ptr)
    return 0;
  if (int e = open())
    return e;
  return check(driver_->memFree(ptr), "cuMemFree");
}

template <typename Start>
int Gpu::copyAndWait(size_t bytes, void *stream, const char *what,
                     Start start) {
  if (int e = open())
    return e;
  if (bytes == 0)
    return 0;
  if (int e = check(start(), what))
    return e;
  return synchronize(stream);
}

int Gpu::toDevice(DevicePtr dst, const void *src, size_t bytes, void *stream) {
  return copyAndWait(bytes, stream, "copy to the GPU", [&] {
    return driver_->memcpyHtoDAsync(dst, src, bytes, stream);
  });
}

int Gpu::toHost(void *dst, DevicePtr src, size_t bytes, void *stream) {
  return copyAndWait(bytes, stream, "copy from the GPU", [&] {
    return driver_->memcpyDtoHAsync(dst, src, bytes, stream);
  });
}

int Gpu::copy(DevicePtr dst, DevicePtr src, size_t bytes, void *stream) {
  return copyAndWait(bytes, stream, "copy on the GPU", [&] {
    return driver_->memcpyAsync(dst, src, bytes, stream);
  });
}

int Gpu::createStream(void **out) {
  *out = nullptr;
  if (int e = open())
    return e;
  return check(driver_->streamCreate(out, /*CU_STREAM_NON_BLOCKING=*/1),
               "cuStreamCreate");
}

int Gpu::destroyStream(void *stream) {
  if (!stream)
    return 0;
  if (int e = open())
    return e;
  return check(driver_->streamDestroy(stream), "cuStreamDestroy");
}

int Gpu::synchronize(void *stream) {
  if (int e = open())
    return e;
  return check(driver_->streamSynchronize(stream), "cuStreamSynchronize");
}

} // namespace cuda
} // namespace modrt
