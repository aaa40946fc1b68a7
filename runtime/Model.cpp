//===- Model.cpp - Models: parameters, errors, threads --------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// The modrt_model object behind every NAME* of a compiled library, and the
/// C API of runtime.h that works on it. A model holds all its parameters in
/// one zero-initialised block, each parameter at a 64-byte aligned offset
/// fixed by its descriptor, plus the thread setting and the message of the
/// last failed call (calls that succeed leave it alone, like errno).
///
/// A model also owns the thread pool its entries run on. The generated entry
/// wrapper brackets each call with modrt_begin_call/modrt_end_call, which
/// make the model current on the calling thread; kernels then find the pool
/// through currentThreadPool() without a model argument.
///
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Descriptor.h"
#include "Init.h"
#include "Safetensors.h"
#include "Support.h"
#include "ThreadPool.h"
#include "Training.h"

#include "modrt/runtime.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unistd.h>

/// Room for a message naming a path of PATH_MAX bytes and then some.
static constexpr size_t ErrorCapacity = 8192;

struct modrt_model {
  const modrt::Descriptor *Desc = nullptr;
  void *Allocation = nullptr;     // From calloc; freed by destroy.
  unsigned char *Block = nullptr; // Allocation rounded up to 64 bytes.
  int NumThreads = 1;
  /// Created on first use with PoolThreads threads; NULL until then.
  modrt::ThreadPool *Pool = nullptr;
  int PoolThreads = 0;
  /// The model current on this thread before modrt_begin_call(this).
  modrt_model *PreviousCall = nullptr;
  /// A parameter was set since the derived ones were last computed: they
  /// are recomputed before the next entry call or read, once for any number
  /// of set_param calls (a load_state_dict sets every parameter).
  bool DerivedStale = false;
  /// Gradients and optimiser state; created by the first train call.
  modrt::TrainingState *Training = nullptr;
  /// The GPU of a --target=cuda model (created with it, or by its first
  /// entry call).
  modrt::cuda::Gpu *Gpu = nullptr;
  /// Allocation is managed GPU memory (modrt_create_gpu with a GPU).
  bool ManagedBlock = false;
  /// Created by modrt_create_gpu: its entries need the GPU.
  bool GpuModel = false;
  /// Written by const calls too (save), hence mutable.
  mutable char Error[ErrorCapacity] = {};
};

namespace {

/// The model whose entry call runs on this thread, if any.
thread_local modrt_model *CurrentModel = nullptr;

const char NullModelMessage[] = "modrt: the model is NULL";

modrt::ErrorSink errorSink(const modrt_model *M) {
  return modrt::ErrorSink(M->Error, sizeof(M->Error));
}

int onlineCores() {
  long N = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (N < 1)
    return 1;
  return N > INT32_MAX ? INT32_MAX : int(N);
}

/// The model's parameters as safetensors tensor references, in parameter
/// order; false if memory is short.
bool tensorRefs(const modrt_model *M, modrt::Vec<modrt::TensorRef> &Refs) {
  const modrt_info &Info = M->Desc->info();
  if (!Refs.resize(size_t(Info.num_params)))
    return false;
  for (int32_t I = 0; I < Info.num_params; ++I) {
    const modrt_param_info &P = Info.params[I];
    Refs[size_t(I)] = modrt::TensorRef{P.name, P.dtype, P.rank, P.shape,
                                       M->Block + M->Desc->paramOffset(I)};
  }
  return true;
}

void dropPool(modrt_model *M) {
  modrt::ThreadPool::destroy(M->Pool);
  M->Pool = nullptr;
  M->PoolThreads = 0;
}

} // namespace

int modrt::currentThreadCount() {
  modrt_model *M = CurrentModel;
  return M && !insideParallelLoop() ? M->NumThreads : 1;
}

modrt::ThreadPool *modrt::currentThreadPool() {
  modrt_model *M = CurrentModel;
  if (!M || M->NumThreads <= 1)
    return nullptr;
  if (M->Pool && M->PoolThreads == M->NumThreads)
    return M->Pool;
  dropPool(M);
  M->Pool = modrt::ThreadPool::create(M->NumThreads);
  if (M->Pool)
    M->PoolThreads = M->NumThreads;
  return M->Pool;
}

namespace {

/// Recomputes every derived parameter from the current parameters.
void computeDerived(modrt_model *M) {
  M->DerivedStale = false;
  const modrt::Descriptor &D = *M->Desc;
  int32_t NumParams = D.info().num_params;
  auto data = [&](int32_t I) {
    return reinterpret_cast<float *>(M->Block + D.paramOffset(I));
  };
  auto view = [](float *Data, int64_t Rows, int64_t Cols) {
    return modrt_memref2d_f32{Data, Data, 0, {Rows, Cols}, {Cols, 1}};
  };
  for (size_t I = 0; I < D.numDerived(); ++I) {
    const modrt::DerivedParam &P = D.derived(I);
    float *Out = data(NumParams + int32_t(I));
    int64_t Count = P.Rows * P.Cols;
    for (int64_t K = 0; K < Count; ++K)
      Out[K] = 0.0f;
    float *Product = nullptr;
    for (size_t T = 0; T < P.NumTerms; ++T) {
      const modrt::DerivedTerm &Term = D.derivedTerm(P.FirstTerm + T);
      const float *Source = data(Term.A);
      if (Term.B >= 0) {
        // A @ B into a scratch matrix (the runtime's GEMM), then added.
        if (!Product)
          Product = static_cast<float *>(
              std::malloc(size_t(Count ? Count : 1) * sizeof(float)));
        if (!Product)
          continue; // Left out: the next successful load or init redoes it.
        int64_t Inner = D.info().params[Term.A].shape[1];
        modrt_memref2d_f32 A = view(data(Term.A), P.Rows, Inner);
        modrt_memref2d_f32 B = view(data(Term.B), Inner, P.Cols);
        modrt_memref2d_f32 C = view(Product, P.Rows, P.Cols);
        if (Inner == 0)
          continue;
        _mlir_ciface_modrt_matmul_f32(&A, &B, &C);
        Source = Product;
      }
      float Scale = float(Term.Scale);
      for (int64_t K = 0; K < Count; ++K)
        Out[K] += Scale * Source[K];
    }
    std::free(Product);
  }
}

} // namespace

modrt::cuda::Gpu &modrt::cuda::currentGpu() {
  static modrt::cuda::Gpu outside;
  modrt_model *m = CurrentModel;
  if (!m)
    return outside;
  if (!m->Gpu)
    m->Gpu = new (std::nothrow) modrt::cuda::Gpu();
  return m->Gpu ? *m->Gpu : outside;
}

extern "C" {

namespace {

/// The model of `desc`; with `gpu`, its parameter block is managed memory
/// of the GPU when one opens (else host memory: the entries will fail with
/// 5, everything else works).
modrt_model *createModel(const char *desc, bool gpu) {
  const modrt::Descriptor *D = modrt::lookupDescriptor(desc);
  if (!D)
    return nullptr;
  // One spare alignment unit lets the block start on a 64-byte boundary and
  // gives even zero-sized parameters a valid address.
  uint64_t Bytes = D->blockBytes() + modrt::ParamAlignment;
  if (Bytes > SIZE_MAX)
    return nullptr;
  modrt_model *M = new (std::nothrow) modrt_model();
  if (!M)
    return nullptr;
  M->GpuModel = gpu;
  if (gpu && (M->Gpu = new (std::nothrow) modrt::cuda::Gpu()) &&
      M->Gpu->open() == 0) {
    if (M->Gpu->allocManaged(size_t(Bytes), &M->Allocation) != 0) {
      delete M->Gpu;
      delete M;
      return nullptr;
    }
    std::memset(M->Allocation, 0, size_t(Bytes));
    M->ManagedBlock = true;
  } else {
    M->Allocation = std::calloc(1, size_t(Bytes));
  }
  if (!M->Allocation) {
    delete M->Gpu;
    delete M;
    return nullptr;
  }
  uintptr_t Address = reinterpret_cast<uintptr_t>(M->Allocation);
  uintptr_t Aligned = (Address + modrt::ParamAlignment - 1) &
                      ~uintptr_t(modrt::ParamAlignment - 1);
  M->Block = static_cast<unsigned char *>(M->Allocation) + (Aligned - Address);
  M->Desc = D;
  M->NumThreads = onlineCores();
  computeDerived(M);
  return M;
}

} // namespace

modrt_model *modrt_create(const char *desc) {
  return createModel(desc, /*gpu=*/false);
}

modrt_model *modrt_create_gpu(const char *desc) {
  return createModel(desc, /*gpu=*/true);
}

void modrt_destroy(modrt_model *m) {
  if (!m)
    return;
  if (CurrentModel == m)
    CurrentModel = m->PreviousCall;
  dropPool(m);
  modrt::TrainingState::destroy(m->Training);
  if (m->ManagedBlock)
    m->Gpu->free(reinterpret_cast<uint64_t>(m->Allocation));
  else
    std::free(m->Allocation);
  delete m->Gpu;
  delete m;
  // The caller's thread keeps scratch buffers between calls; a program
  // that loads, runs and unloads many libraries on one thread gets them
  // back here (the next call of another model allocates its own again).
  modrt::releaseThreadScratch();
}

int modrt_init(modrt_model *m, uint64_t seed) {
  if (!m)
    return MODRT_EINVAL;
  const modrt_info &Info = m->Desc->info();
  for (int32_t I = 0; I < Info.num_params; ++I)
    modrt::initParameter(Info.params[I], m->Desc->init(I), seed,
                         m->Block + m->Desc->paramOffset(I));
  computeDerived(m);
  if (m->Training)
    m->Training->reset();
  return MODRT_OK;
}

int modrt_load(modrt_model *m, const char *path) {
  if (!m)
    return MODRT_EINVAL;
  if (!path)
    return modrt_fail(m, MODRT_EINVAL, "load: the path is NULL");
  modrt::Vec<modrt::TensorRef> Refs;
  if (!tensorRefs(m, Refs))
    return modrt_fail(m, MODRT_ENOMEM, "load %s: out of memory", path);
  modrt::ErrorSink Err = errorSink(m);
  int Rc = modrt::loadSafetensors(path, Refs.data(), Refs.size(), Err);
  if (Rc == MODRT_OK) {
    computeDerived(m);
    if (m->Training)
      m->Training->reset();
  }
  return Rc;
}

int modrt_save(const modrt_model *m, const char *path) {
  if (!m)
    return MODRT_EINVAL;
  modrt::ErrorSink Err = errorSink(m);
  if (!path)
    return Err.fail(MODRT_EINVAL, "save: the path is NULL");
  modrt::Vec<modrt::TensorRef> Refs;
  if (!tensorRefs(m, Refs))
    return Err.fail(MODRT_ENOMEM, "save %s: out of memory", path);
  return modrt::saveSafetensors(path, Refs.data(), Refs.size(), Err);
}

} // extern "C"

namespace {

/// Index of the parameter whose state_dict name is `Name`, or -1 after an
/// error on M.
int32_t findParam(const modrt_model *M, const char *Verb, const char *Name) {
  modrt::ErrorSink Err = errorSink(M);
  if (!Name) {
    Err.fail(MODRT_EINVAL, "%s: the parameter name is NULL", Verb);
    return -1;
  }
  const modrt_info &Info = M->Desc->info();
  for (int32_t I = 0; I < Info.num_params; ++I)
    if (std::strcmp(Info.params[I].name, Name) == 0)
      return I;
  Err.fail(MODRT_EINVAL, "%s: the model has no parameter '%s'", Verb, Name);
  return -1;
}

} // namespace

extern "C" {

int modrt_get_param(const modrt_model *m, const char *name, void *out) {
  if (!m)
    return MODRT_EINVAL;
  int32_t I = findParam(m, "get_param", name);
  if (I < 0)
    return MODRT_EINVAL;
  if (!out)
    return errorSink(m).fail(MODRT_EINVAL, "get_param %s: the buffer is NULL",
                             name);
  std::memcpy(out, m->Block + m->Desc->paramOffset(I),
              size_t(m->Desc->paramBytes(I)));
  return MODRT_OK;
}

int modrt_set_param(modrt_model *m, const char *name, const void *in) {
  if (!m)
    return MODRT_EINVAL;
  int32_t I = findParam(m, "set_param", name);
  if (I < 0)
    return MODRT_EINVAL;
  if (!in)
    return errorSink(m).fail(MODRT_EINVAL, "set_param %s: the buffer is NULL",
                             name);
  if (m->Desc->info().params[I].dtype == MODRT_BOOL) {
    const auto *Bytes = static_cast<const unsigned char *>(in);
    for (uint64_t B = 0; B < m->Desc->paramBytes(I); ++B)
      if (Bytes[B] > 1)
        return errorSink(m).fail(MODRT_EINVAL,
                                 "set_param %s: element %llu is the byte %u, "
                                 "not a bool (0 or 1)",
                                 name, static_cast<unsigned long long>(B),
                                 unsigned(Bytes[B]));
  }
  std::memcpy(m->Block + m->Desc->paramOffset(I), in,
              size_t(m->Desc->paramBytes(I)));
  m->DerivedStale = m->Desc->numDerived() > 0;
  return MODRT_OK;
}

int modrt_set_threads(modrt_model *m, int n) {
  if (!m)
    return MODRT_EINVAL;
  if (n < 1)
    return modrt_fail(m, MODRT_EINVAL,
                      "set_threads: the thread count must be >= 1, got %d", n);
  // Join a pool of the wrong size now rather than keep its threads around.
  if (m->Pool && m->PoolThreads != n)
    dropPool(m);
  m->NumThreads = n;
  return MODRT_OK;
}

int modrt_num_threads(const modrt_model *m) {
  return m ? m->NumThreads : MODRT_EINVAL;
}

int modrt_gpu_require(modrt_model *m) {
  if (!m || !m->GpuModel)
    return 0;
  if (!m->Gpu)
    m->Gpu = new (std::nothrow) modrt::cuda::Gpu();
  if (!m->Gpu)
    return errorSink(m).fail(MODRT_ENOMEM, "out of memory");
  if (m->Gpu->open() != 0)
    return errorSink(m).fail(MODRT_EUNSUPPORTED, "%s", m->Gpu->error());
  return 0;
}

void modrt_begin_call(modrt_model *m) {
  if (!m)
    return;
  // Derived weights are recomputed by the read that needs them
  // (modrt_param_data): a train step, which reads none, must not pay for
  // a fold its own update just made stale.
  m->PreviousCall = CurrentModel;
  CurrentModel = m;
}

void modrt_end_call(modrt_model *m) {
  if (m && CurrentModel == m)
    CurrentModel = m->PreviousCall;
}

const char *modrt_error(const modrt_model *m) {
  return m ? m->Error : NullModelMessage;
}

} // extern "C"

namespace {

/// The model's training state, created on first use; null (and the
/// model's error set) when memory is short.
modrt::TrainingState *training(modrt_model *M) {
  if (!M->Training)
    M->Training = modrt::TrainingState::create(*M->Desc, M->Gpu);
  if (!M->Training)
    errorSink(M).fail(MODRT_ENOMEM, "out of memory for the training state");
  return M->Training;
}

} // namespace

extern "C" {

void *modrt_grad_data(modrt_model *m, int32_t param) {
  if (!m)
    return nullptr;
  modrt::TrainingState *T = training(m);
  if (!T)
    return nullptr;
  float *G = T->gradient(param);
  if (!G)
    errorSink(m).fail(MODRT_ENOMEM, "out of memory for the gradient of '%s'",
                      param >= 0 && param < m->Desc->info().num_params
                          ? m->Desc->info().params[param].name
                          : "?");
  return G;
}

int modrt_train_step(modrt_model *m, int32_t train) {
  if (!m)
    return MODRT_EINVAL;
  modrt::TrainingState *T = training(m);
  if (!T)
    return MODRT_ENOMEM;
  modrt::ErrorSink Err = errorSink(m);
  // On the model's threads, as its entries run.
  modrt_begin_call(m);
  int Rc = T->step(train, m->Block, Err);
  modrt_end_call(m);
  if (Rc == MODRT_OK)
    m->DerivedStale = m->Desc->numDerived() > 0;
  return Rc;
}

int modrt_save_optimizer(const modrt_model *m, const char *path) {
  if (!m)
    return MODRT_EINVAL;
  modrt::ErrorSink Err = errorSink(m);
  if (!path)
    return Err.fail(MODRT_EINVAL, "save_optimizer: the path is NULL");
  if (m->Training)
    return m->Training->save(path, Err);
  // Nothing trained yet: the state is all zeros, saved from a scratch one.
  modrt::TrainingState *T = modrt::TrainingState::create(*m->Desc);
  if (!T)
    return Err.fail(MODRT_ENOMEM, "save_optimizer %s: out of memory", path);
  int Rc = T->save(path, Err);
  modrt::TrainingState::destroy(T);
  return Rc;
}

int modrt_load_optimizer(modrt_model *m, const char *path) {
  if (!m)
    return MODRT_EINVAL;
  modrt::ErrorSink Err = errorSink(m);
  if (!path)
    return Err.fail(MODRT_EINVAL, "load_optimizer: the path is NULL");
  modrt::TrainingState *T = training(m);
  if (!T)
    return MODRT_ENOMEM;
  return T->load(path, Err);
}

void *modrt_param_data(modrt_model *m, int32_t index) {
  if (!m || index < 0 ||
      size_t(index) >=
          size_t(m->Desc->info().num_params) + m->Desc->numDerived())
    return nullptr;
  if (m->DerivedStale && index >= m->Desc->info().num_params)
    computeDerived(m);
  return m->Block + m->Desc->paramOffset(index);
}

int modrt_fail(modrt_model *m, int code, const char *fmt, ...) {
  if (!m)
    return MODRT_EINVAL;
  va_list Args;
  va_start(Args, fmt);
  errorSink(m).failV(code, fmt, Args);
  va_end(Args);
  return code;
}

void modrt_clear_error(modrt_model *m) {
  if (m)
    m->Error[0] = '\0';
}

int modrt_check_dyn(modrt_model *m, const char *entry, const char *dyn,
                    int64_t value) {
  if (!m)
    return MODRT_EINVAL;
  if (value >= 0)
    return MODRT_OK;
  return modrt_fail(m, MODRT_EINVAL,
                    "%s: dyn dimension %s = %" PRId64 " is negative",
                    entry ? entry : "?", dyn ? dyn : "?", value);
}

} // extern "C"
