//===- CudaTest.cpp - The runtime's GPU layer, without a GPU --------------===//
//
// runtime/Cuda.cpp against a missing driver and against the driver double
// (CudaDouble.cpp, loaded through MODRT_CUDA_DRIVER, read at each open;
// lit may run several cases in one process, so counts are compared as
// differences).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "modrt/gpu_image.h"
#include "modrt/modrt.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using modrt::cuda::DevicePtr;
using modrt::cuda::Gpu;

namespace {

const char kPtx[] = "//\n.version 8.0\n.target sm_90\n.address_size 64\n"
                    ".visible .entry forward_kernel(\n.param .u64 p0\n)\n{\n"
                    "ret;\n}\n"
                    ".visible .entry forward_kernel_0(\n)\n{\nret;\n}\n";

/// The double, loaded by the runtime; its inspection functions.
struct Double {
  void *lib;
  template <typename F> F get(const char *name) {
    return reinterpret_cast<F>(dlsym(lib, name));
  }
  int launches() { return get<int (*)()>("cudouble_launches")(); }
  std::string lastKernel() {
    return get<const char *(*)()>("cudouble_last_kernel")();
  }
  size_t liveBytes() { return get<size_t (*)()>("cudouble_live_bytes")(); }
  int moduleLoads() { return get<int (*)()>("cudouble_module_loads")(); }
  int contexts() { return get<int (*)()>("cudouble_contexts")(); }
};

Double useDouble() {
  setenv("MODRT_CUDA_DRIVER", MODC_CUDA_DOUBLE, 1);
  // The same handle as the runtime's (dlopen counts references).
  void *lib = dlopen(MODC_CUDA_DOUBLE, RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(lib, nullptr) << dlerror();
  return Double{lib};
}

bool contains(const char *text, const char *part) {
  return std::strstr(text, part) != nullptr;
}

} // namespace

TEST(Cuda, NoDriverIsUnsupportedWithTheReason) {
  setenv("MODRT_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  Gpu gpu;
  EXPECT_EQ(gpu.open(), MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "no CUDA driver")) << gpu.error();
  // Every later call says the same, without crashing.
  DevicePtr p = 1;
  EXPECT_EQ(gpu.alloc(64, &p), MODRT_EUNSUPPORTED);
  EXPECT_EQ(p, 0u);
  float x = 0;
  EXPECT_EQ(gpu.toDevice(0, &x, 4, nullptr), MODRT_EUNSUPPORTED);
  EXPECT_EQ(gpu.copy(0, 0, 4, nullptr), MODRT_EUNSUPPORTED);
  EXPECT_EQ(gpu.loadModule(kPtx), MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "no CUDA driver")) << gpu.error();
  Gpu other; // another model of the process
  EXPECT_EQ(other.open(), MODRT_EUNSUPPORTED);
}

TEST(Cuda, NoDeviceIsUnsupported) {
  useDouble();
  setenv("CUDA_DOUBLE_DEVICES", "0", 1);
  Gpu gpu;
  EXPECT_EQ(gpu.open(), MODRT_EUNSUPPORTED);
  EXPECT_STREQ(gpu.error(), "no CUDA device");
  void *stream = nullptr;
  EXPECT_EQ(gpu.createStream(&stream), MODRT_EUNSUPPORTED);
  EXPECT_STREQ(gpu.error(), "no CUDA device");
  unsetenv("CUDA_DOUBLE_DEVICES");
}

TEST(Cuda, MemoryRoundTrip) {
  Double d = useDouble();
  int contexts = d.contexts();
  size_t live = d.liveBytes();
  {
    Gpu gpu;
    ASSERT_EQ(gpu.open(), 0) << gpu.error();
    EXPECT_EQ(d.contexts(), contexts + 1);
    std::vector<float> in(1000), out(1000, -1.0f);
    for (size_t i = 0; i < in.size(); ++i)
      in[i] = float(i) * 0.5f;
    DevicePtr p = 0;
    ASSERT_EQ(gpu.alloc(in.size() * 4, &p), 0) << gpu.error();
    EXPECT_EQ(d.liveBytes(), live + 4000u);
    ASSERT_EQ(gpu.toDevice(p, in.data(), 4000, nullptr), 0) << gpu.error();
    ASSERT_EQ(gpu.toHost(out.data(), p, 4000, nullptr), 0) << gpu.error();
    EXPECT_EQ(in, out);
    EXPECT_EQ(gpu.free(p), 0);
    EXPECT_EQ(d.liveBytes(), live);
    // Empty sizes are no-ops, not driver errors.
    DevicePtr none = 7;
    EXPECT_EQ(gpu.alloc(0, &none), 0);
    EXPECT_EQ(none, 0u);
    EXPECT_EQ(gpu.free(0), 0);
  }
  EXPECT_EQ(d.contexts(), contexts); // the model's context released
}

TEST(Cuda, OutOfMemoryIsCode4) {
  Double d = useDouble();
  setenv("CUDA_DOUBLE_MEMORY", "1024", 1);
  Gpu gpu;
  DevicePtr p = 0;
  EXPECT_EQ(gpu.alloc(4096, &p), MODRT_ENOMEM);
  EXPECT_TRUE(contains(gpu.error(), "out of GPU memory")) << gpu.error();
  EXPECT_TRUE(contains(gpu.error(), "CUDA_ERROR_OUT_OF_MEMORY"));
  EXPECT_EQ(gpu.alloc(512, &p), 0) << gpu.error(); // still usable
  EXPECT_EQ(gpu.free(p), 0);
  EXPECT_EQ(d.liveBytes(), 0u);
  unsetenv("CUDA_DOUBLE_MEMORY");
}

TEST(Cuda, BadCopiesAreErrorsNamingTheCall) {
  useDouble();
  Gpu gpu;
  DevicePtr p = 0;
  ASSERT_EQ(gpu.alloc(16, &p), 0);
  float buf[8] = {0};
  // Past the end of the allocation.
  EXPECT_EQ(gpu.toDevice(p, buf, 32, nullptr), MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "copy to the GPU")) << gpu.error();
  EXPECT_TRUE(contains(gpu.error(), "CUDA_ERROR_INVALID_VALUE"));
  EXPECT_EQ(gpu.toHost(buf, p + 8, 16, nullptr), MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "copy from the GPU")) << gpu.error();
  EXPECT_EQ(gpu.free(p + 4), MODRT_EUNSUPPORTED); // not an allocation
  EXPECT_EQ(gpu.free(p), 0);
}

TEST(Cuda, StreamsCarryCopies) {
  useDouble();
  Gpu gpu;
  void *stream = nullptr;
  ASSERT_EQ(gpu.createStream(&stream), 0) << gpu.error();
  ASSERT_NE(stream, nullptr);
  DevicePtr p = 0;
  ASSERT_EQ(gpu.alloc(8, &p), 0);
  double v = 3.25, w = 0;
  EXPECT_EQ(gpu.toDevice(p, &v, 8, stream), 0) << gpu.error();
  EXPECT_EQ(gpu.toHost(&w, p, 8, stream), 0) << gpu.error();
  EXPECT_EQ(w, 3.25);
  EXPECT_EQ(gpu.synchronize(stream), 0);
  EXPECT_EQ(gpu.destroyStream(stream), 0);
  // A destroyed stream is a driver error, reported.
  EXPECT_EQ(gpu.synchronize(stream), MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "CUDA_ERROR_INVALID_HANDLE"));
  EXPECT_EQ(gpu.free(p), 0);
}

TEST(Cuda, DeviceToDeviceCopiesOnAStream) {
  useDouble();
  Gpu gpu;
  void *stream = nullptr;
  ASSERT_EQ(gpu.createStream(&stream), 0) << gpu.error();
  DevicePtr a = 0, b = 0;
  ASSERT_EQ(gpu.alloc(16, &a), 0);
  ASSERT_EQ(gpu.alloc(16, &b), 0);
  float in[4] = {1, 2, 3, 4}, out[4] = {0, 0, 0, 0};
  ASSERT_EQ(gpu.toDevice(a, in, 16, stream), 0) << gpu.error();
  EXPECT_EQ(gpu.copy(b, a, 16, stream), 0) << gpu.error();
  ASSERT_EQ(gpu.toHost(out, b, 16, stream), 0) << gpu.error();
  EXPECT_EQ(std::memcmp(in, out, sizeof(in)), 0);
  EXPECT_EQ(gpu.copy(b, a, 0, stream), 0); // nothing to copy: no call
  EXPECT_EQ(gpu.destroyStream(stream), 0);
  EXPECT_EQ(gpu.copy(b, a, 16, stream), MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "copy on the GPU")) << gpu.error();
  EXPECT_EQ(gpu.free(a), 0);
  EXPECT_EQ(gpu.free(b), 0);
}

namespace {

/// A kernel images blob (modrt/gpu_image.h) of `images`, in order.
std::string blob(const std::vector<std::pair<uint32_t, std::string>> &images) {
  std::string out = MODRT_GPU_IMAGE_MAGIC;
  auto append = [&](uint32_t kind, const std::string &data) {
    modrt_gpu_image_record r{kind, 0, data.size()};
    out.append(reinterpret_cast<const char *>(&r), sizeof(r));
    out += data;
    out.append((8 - data.size() % 8) % 8, '\0');
  };
  for (const auto &[kind, data] : images)
    append(kind, data);
  append(MODRT_GPU_IMAGE_END, "");
  return out;
}

} // namespace

TEST(Cuda, ImagesFallBackFromTheCubinToThePtx) {
  Double d = useDouble();
  std::string cubin("\x7f"
                    "ELF fake cubin",
                    15);
  std::string ptx(kPtx, sizeof(kPtx)); // with its NUL
  std::string both =
      blob({{MODRT_GPU_IMAGE_CUBIN, cubin}, {MODRT_GPU_IMAGE_PTX, ptx}});
  {
    Gpu gpu; // the cubin runs here
    int loads = d.moduleLoads();
    ASSERT_EQ(gpu.loadModule(both.data()), 0) << gpu.error();
    EXPECT_EQ(d.moduleLoads(), loads + 1);
  }
  setenv("CUDA_DOUBLE_NO_CUBIN", "1", 1);
  {
    Gpu gpu; // a cubin for another GPU: the PTX, whose kernels launch
    ASSERT_EQ(gpu.loadModule(both.data()), 0) << gpu.error();
    unsigned grid[3] = {1, 1, 1}, block[3] = {32, 1, 1};
    EXPECT_EQ(gpu.launch("forward_kernel_0", grid, block, nullptr, nullptr), 0)
        << gpu.error();
  }
  {
    Gpu gpu; // nothing that runs: both refusals in the message
    std::string only = blob({{MODRT_GPU_IMAGE_CUBIN, cubin},
                             {MODRT_GPU_IMAGE_PTX, std::string("bad", 4)}});
    EXPECT_EQ(gpu.loadModule(only.data()), MODRT_EUNSUPPORTED);
    EXPECT_TRUE(contains(gpu.error(),
                         "the cubin: CUDA_ERROR_NO_BINARY_FOR_GPU (209); "
                         "the PTX: "))
        << gpu.error();
  }
  unsetenv("CUDA_DOUBLE_NO_CUBIN");
}

TEST(Cuda, ModuleLoadedOnceAndLaunchesRecorded) {
  Double d = useDouble();
  Gpu gpu;
  unsigned grid[3] = {40, 1, 1}, block[3] = {256, 1, 1};
  // No module yet: a clear error, no launch.
  EXPECT_EQ(gpu.launch("forward_kernel", grid, block, nullptr, nullptr),
            MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "no kernel module")) << gpu.error();
  int loads = d.moduleLoads(), launches = d.launches();
  ASSERT_EQ(gpu.loadModule(kPtx), 0) << gpu.error();
  ASSERT_EQ(gpu.loadModule(kPtx), 0);
  EXPECT_EQ(d.moduleLoads(), loads + 1);
  DevicePtr arg = 0;
  void *params[] = {&arg};
  EXPECT_EQ(gpu.launch("forward_kernel", grid, block, params, nullptr), 0)
      << gpu.error();
  EXPECT_EQ(gpu.launch("forward_kernel_0", grid, block, nullptr, nullptr), 0);
  EXPECT_EQ(d.launches(), launches + 2);
  EXPECT_EQ(d.lastKernel(), "forward_kernel_0");
  // A kernel the module lacks, and a block too large.
  EXPECT_EQ(gpu.launch("missing_kernel", grid, block, nullptr, nullptr),
            MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "missing_kernel")) << gpu.error();
  EXPECT_TRUE(contains(gpu.error(), "CUDA_ERROR_NOT_FOUND"));
  unsigned huge[3] = {2048, 1, 1};
  EXPECT_EQ(gpu.launch("forward_kernel", grid, huge, nullptr, nullptr),
            MODRT_EUNSUPPORTED);
  EXPECT_EQ(d.launches(), launches + 2);
}

TEST(Cuda, ModuleWithoutKernelsIsRejected) {
  useDouble();
  Gpu gpu;
  EXPECT_EQ(gpu.loadModule("not ptx"), MODRT_EUNSUPPORTED);
  EXPECT_TRUE(contains(gpu.error(), "loading the model's GPU kernels"))
      << gpu.error();
}
