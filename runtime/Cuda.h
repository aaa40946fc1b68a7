//===- Cuda.h - The CUDA driver API, loaded at run time ---------*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// The GPU half of the runtime (docs/gpu.md): the few CUDA driver functions
/// a `--target=cuda` library needs, resolved with dlopen("libcuda.so.1") the
/// first time a model asks for the GPU, so that the library links nothing
/// of CUDA and loads on any machine. Without a driver or a device every
/// call fails with MODRT_EUNSUPPORTED (5) and says why; a failed allocation
/// is MODRT_ENOMEM (4). Nothing here aborts the process.
///
/// `MODRT_CUDA_DRIVER` names another library to load instead (tests load a
/// double of the driver that runs over host memory).
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_CUDA_H
#define MODRT_CUDA_H

#include <cstddef>
#include <cstdint>

namespace modrt {
namespace cuda {

struct Driver;

/// A device pointer (CUdeviceptr).
using DevicePtr = uint64_t;

/// One model's use of the GPU: the primary context of device 0, the
/// model's kernel module (loaded once) and the streams it is given. Not
/// thread-safe, like the model that owns it.
class Gpu {
public:
  Gpu() = default;
  Gpu(const Gpu &) = delete;
  Gpu &operator=(const Gpu &) = delete;
  ~Gpu();

  /// Loads the driver and opens device 0 (once; later calls return the
  /// first result). 0, or 5 with error() saying why.
  int open();
  /// Loads `image` (PTX text, NUL-terminated, or a cubin) as the model's
  /// kernel module; a second call with a module loaded does nothing.
  int loadModule(const void *image);
  /// Launches `kernel` of the module on `stream` (null: the default one)
  /// with the kernel's parameters as the driver takes them.
  int launch(const char *kernel, const unsigned grid[3],
             const unsigned block[3], void **params, void *stream);

  int alloc(size_t bytes, DevicePtr *out);
  /// Memory the host and the device both address (cuMemAllocManaged).
  int allocManaged(size_t bytes, void **out);
  int free(DevicePtr ptr);
  /// Copies on `stream` (null: the default stream), then waits for it.
  int toDevice(DevicePtr dst, const void *src, size_t bytes, void *stream);
  int toHost(void *dst, DevicePtr src, size_t bytes, void *stream);
  /// Between any two addresses the GPU maps (unified addressing: device,
  /// managed or registered host memory), on `stream`, then waits for it.
  int copy(DevicePtr dst, DevicePtr src, size_t bytes, void *stream);
  int createStream(void **out);
  int destroyStream(void *stream);
  int synchronize(void *stream);

  /// The message of the last failed call.
  const char *error() const { return message_; }
  /// open() succeeded.
  bool usable() const { return opened_ == 0; }

private:
  /// Records `code` and the message; returns the code.
  int fail(int code, const char *fmt, ...);
  /// Maps a driver result of `what` to 0, 4 or 5.
  int check(int result, const char *what);
  /// Opens, calls `start` (an asynchronous copy on `stream`) unless
  /// `bytes` is 0, and waits for the stream.
  template <typename Start>
  int copyAndWait(size_t bytes, void *stream, const char *what, Start start);

  /// Kernels already looked up, by the address of their name (generated
  /// code passes the same constant each launch): one driver call saved per
  /// launch.
  struct Function {
    const char *name;
    void *function;
  };
  static constexpr int kFunctionCache = 64;
  Function functions_[kFunctionCache] = {};
  int numFunctions_ = 0;

  const Driver *driver_ = nullptr;
  void *context_ = nullptr;
  void *module_ = nullptr;
  int device_ = 0;
  int opened_ = -1; ///< -1 not tried, else the result of open()
  char message_[256] = {0};
  char openError_[256] = {0}; ///< why open() failed, kept for later calls
};

/// The GPU of the model whose entry runs on this thread (created on first
/// use, destroyed with the model), or a process-wide one outside calls.
Gpu &currentGpu();

} // namespace cuda
} // namespace modrt

#endif // MODRT_CUDA_H
