//===- CudaDouble.cpp - A test double of the CUDA driver API --------------===//
//
// The cu* functions runtime/Cuda.cpp loads, over host memory, so that the
// runtime's GPU paths (memory, copies, streams, modules, launches, errors)
// run on machines without a GPU: loaded in place of libcuda.so.1 through
// MODRT_CUDA_DRIVER. Device pointers are host addresses; a module is PTX
// text whose `.entry NAME(` lines are its functions; launches are recorded,
// not run. Controls (read at each call):
//   CUDA_DOUBLE_DEVICES  number of devices (default 1)
//   CUDA_DOUBLE_MEMORY   bytes the device holds (default 1 GiB)
//   CUDA_DOUBLE_NO_CUBIN 1: cubins are for another GPU (NO_BINARY_FOR_GPU)
// and cudouble_* functions for the tests to inspect what happened.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>

namespace {

// CUresult values of the driver API.
constexpr int kSuccess = 0;
constexpr int kInvalidValue = 1;
constexpr int kOutOfMemory = 2;
constexpr int kNotInitialized = 3;
constexpr int kNoDevice = 100;
constexpr int kInvalidHandle = 400;
constexpr int kNotFound = 500;
constexpr int kNoBinaryForGpu = 209;

struct Module {
  std::set<std::string> functions;
  bool cubin = false; ///< an ELF image: every name is taken as a kernel
};

struct State {
  bool initialised = false;
  std::map<uint64_t, size_t> allocations; // address -> bytes
  size_t liveBytes = 0;
  int moduleLoads = 0;
  int launches = 0;
  int allocationCount = 0; ///< successful allocations, freed or not
  int copies = 0;          ///< cuMemcpyAsync calls
  void *lastStream = nullptr;
  std::string lastKernel;
  unsigned lastGrid[3] = {0, 0, 0}, lastBlock[3] = {0, 0, 0};
  std::set<void *> streams;
  int contexts = 0;
};

State &state() {
  static State s;
  return s;
}

long envOr(const char *name, long fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

/// [ptr, ptr + bytes) inside one allocation.
bool inside(uint64_t ptr, size_t bytes) {
  auto &a = state().allocations;
  auto it = a.upper_bound(ptr);
  if (it == a.begin())
    return false;
  --it;
  return ptr + bytes <= it->first + it->second;
}

bool validStream(void *stream) {
  return !stream || state().streams.count(stream);
}

} // namespace

extern "C" {

int cuInit(unsigned) {
  state().initialised = true;
  return kSuccess;
}

int cuDeviceGetCount(int *count) {
  if (!state().initialised)
    return kNotInitialized;
  *count = int(envOr("CUDA_DOUBLE_DEVICES", 1));
  return kSuccess;
}

int cuDeviceGet(int *device, int ordinal) {
  if (ordinal < 0 || ordinal >= envOr("CUDA_DOUBLE_DEVICES", 1))
    return kNoDevice;
  *device = ordinal;
  return kSuccess;
}

int cuDevicePrimaryCtxRetain(void **context, int) {
  ++state().contexts;
  *context = &state();
  return kSuccess;
}

int cuDevicePrimaryCtxRelease_v2(int) {
  --state().contexts;
  return kSuccess;
}

int cuCtxSetCurrent(void *) { return kSuccess; }

int cuMemAlloc_v2(uint64_t *ptr, size_t bytes) {
  State &s = state();
  if (bytes == 0)
    return kInvalidValue;
  if (s.liveBytes + bytes > size_t(envOr("CUDA_DOUBLE_MEMORY", 1L << 30)))
    return kOutOfMemory;
  void *p = std::malloc(bytes);
  if (!p)
    return kOutOfMemory;
  *ptr = reinterpret_cast<uint64_t>(p);
  s.allocations[*ptr] = bytes;
  s.liveBytes += bytes;
  ++s.allocationCount;
  return kSuccess;
}

int cuMemAllocManaged(uint64_t *ptr, size_t bytes, unsigned) {
  return cuMemAlloc_v2(ptr, bytes);
}

int cuMemFree_v2(uint64_t ptr) {
  State &s = state();
  auto it = s.allocations.find(ptr);
  if (it == s.allocations.end())
    return kInvalidValue;
  s.liveBytes -= it->second;
  s.allocations.erase(it);
  std::free(reinterpret_cast<void *>(ptr));
  return kSuccess;
}

int cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes,
                         void *stream) {
  if (!inside(dst, bytes))
    return kInvalidValue;
  if (!validStream(stream))
    return kInvalidHandle;
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return kSuccess;
}

int cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *stream) {
  if (!inside(src, bytes))
    return kInvalidValue;
  if (!validStream(stream))
    return kInvalidHandle;
  std::memcpy(dst, reinterpret_cast<const void *>(src), bytes);
  return kSuccess;
}

// The synchronous copies (scripts/gpu-check/driver.c stages with them).
int cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes) {
  return cuMemcpyHtoDAsync_v2(dst, src, bytes, nullptr);
}

int cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t bytes) {
  return cuMemcpyDtoHAsync_v2(dst, src, bytes, nullptr);
}

int cuMemcpyAsync(uint64_t dst, uint64_t src, size_t bytes, void *stream) {
  if (!validStream(stream))
    return kInvalidHandle;
  ++state().copies;
  std::memmove(reinterpret_cast<void *>(dst),
               reinterpret_cast<const void *>(src), bytes);
  return kSuccess;
}

int cuStreamCreate(void **stream, unsigned) {
  *stream = new char;
  state().streams.insert(*stream);
  return kSuccess;
}

int cuStreamDestroy_v2(void *stream) {
  if (!state().streams.erase(stream))
    return kInvalidHandle;
  delete static_cast<char *>(stream);
  return kSuccess;
}

int cuStreamSynchronize(void *stream) {
  return validStream(stream) ? kSuccess : kInvalidHandle;
}

int cuModuleLoadData(void **module, const void *image) {
  const char *text = static_cast<const char *>(image);
  auto *m = new Module;
  if (std::memcmp(text,
                  "\x7f"
                  "ELF",
                  4) == 0) {
    if (envOr("CUDA_DOUBLE_NO_CUBIN", 0)) { // a cubin for another GPU
      delete m;
      return kNoBinaryForGpu;
    }
    m->cubin = true;
    ++state().moduleLoads;
    *module = m;
    return kSuccess;
  }
  static const char entry[] = ".entry ";
  for (const char *p = std::strstr(text, entry); p;
       p = std::strstr(p + 1, entry)) {
    const char *name = p + sizeof(entry) - 1;
    const char *end = std::strchr(name, '(');
    if (end)
      m->functions.insert(std::string(name, size_t(end - name)));
  }
  if (m->functions.empty()) {
    delete m;
    return kInvalidValue; // not PTX with kernels
  }
  ++state().moduleLoads;
  *module = m;
  return kSuccess;
}

int cuModuleUnload(void *module) {
  delete static_cast<Module *>(module);
  return kSuccess;
}

int cuModuleGetFunction(void **function, void *module, const char *name) {
  auto *m = static_cast<Module *>(module);
  if (m->cubin)
    m->functions.insert(name);
  auto it = m->functions.find(name);
  if (it == m->functions.end())
    return kNotFound;
  *function = const_cast<std::string *>(&*it);
  return kSuccess;
}

int cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                   unsigned bx, unsigned by, unsigned bz, unsigned,
                   void *stream, void **, void **) {
  State &s = state();
  if (!validStream(stream))
    return kInvalidHandle;
  if (bx * by * bz > 1024 || gx == 0 || gy == 0 || gz == 0)
    return kInvalidValue;
  ++s.launches;
  s.lastStream = stream;
  s.lastKernel = *static_cast<std::string *>(function);
  unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
  std::memcpy(s.lastGrid, grid, sizeof(grid));
  std::memcpy(s.lastBlock, block, sizeof(block));
  return kSuccess;
}

int cuGetErrorName(int result, const char **name) {
  switch (result) {
  case kSuccess:
    *name = "CUDA_SUCCESS";
    return kSuccess;
  case kInvalidValue:
    *name = "CUDA_ERROR_INVALID_VALUE";
    return kSuccess;
  case kOutOfMemory:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    return kSuccess;
  case kNotInitialized:
    *name = "CUDA_ERROR_NOT_INITIALIZED";
    return kSuccess;
  case kNoDevice:
    *name = "CUDA_ERROR_NO_DEVICE";
    return kSuccess;
  case kInvalidHandle:
    *name = "CUDA_ERROR_INVALID_HANDLE";
    return kSuccess;
  case kNotFound:
    *name = "CUDA_ERROR_NOT_FOUND";
    return kSuccess;
  case kNoBinaryForGpu:
    *name = "CUDA_ERROR_NO_BINARY_FOR_GPU";
    return kSuccess;
  }
  return kInvalidValue;
}

// Inspection, for the tests.
int cudouble_launches() { return state().launches; }
const char *cudouble_last_kernel() { return state().lastKernel.c_str(); }
void cudouble_last_shape(unsigned grid[3], unsigned block[3]) {
  std::memcpy(grid, state().lastGrid, sizeof(state().lastGrid));
  std::memcpy(block, state().lastBlock, sizeof(state().lastBlock));
}
size_t cudouble_live_bytes() { return state().liveBytes; }
int cudouble_module_loads() { return state().moduleLoads; }
int cudouble_contexts() { return state().contexts; }
int cudouble_allocations() { return state().allocationCount; }
int cudouble_copies() { return state().copies; }
void *cudouble_last_stream() { return state().lastStream; }

} // extern "C"
