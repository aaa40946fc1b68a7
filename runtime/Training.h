//===- Training.h - Gradients and optimiser state of a model ----*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// What a model holds for its train blocks (LANGUAGE.md §10): one gradient
/// buffer per parameter an update line names, the optimisers' moments per
/// such parameter and a step count per train block. All of it is allocated
/// on first use, so a model that is never trained pays nothing, and nothing
/// exists for frozen parameters or parameters no update line names.
/// A --target=cuda model's state is managed memory of its GPU: the kernels
/// write the gradients, the optimisers read them from the host.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_TRAINING_H
#define MODRT_TRAINING_H

#include "Descriptor.h"
#include "Safetensors.h"
#include "Support.h"

namespace modrt {
namespace cuda {
class Gpu;
} // namespace cuda

class TrainingState {
public:
  /// Null when memory is short. With a usable `Gpu`, every buffer is
  /// managed memory of it (the kernels write the gradients).
  static TrainingState *create(const Descriptor &D, cuda::Gpu *Gpu = nullptr);
  static void destroy(TrainingState *T);

  /// The gradient buffer of parameter Param (f32, its element count),
  /// allocated zero-filled on first use; null when memory is short.
  float *gradient(int32_t Param);
  /// Applies train block Train's optimisers to the parameters in Block with
  /// the gradients the kernel wrote. Allocates the state first: on failure
  /// (MODRT_ENOMEM) nothing has changed.
  /// The work is spread over the current call's threads
  /// (modrt_parallel_for).
  int step(int32_t Train, unsigned char *Block, ErrorSink &Err);
  /// Zero moments and step counts (after init and load).
  void reset();
  int save(const char *Path, ErrorSink &Err) const;
  int load(const char *Path, ErrorSink &Err);

private:
  TrainingState(const Descriptor &D, cuda::Gpu *Gpu) : D(D), Gpu(Gpu) {}
  ~TrainingState();
  /// Points Slot at Count zero floats unless it holds them already; false
  /// when memory is short.
  bool allocate(float *&Slot, int64_t Count);
  void release(float *Buf);
  /// Allocates the state every update line of Train (or of every train
  /// block when Train < 0) needs; false when memory is short.
  bool allocateState(int32_t Train);
  /// The state tensors in file order, with their names in Names.
  bool stateRefs(Vec<TensorRef> &Refs, MallocBuffer &Names,
                 const float *Zeros) const;
  int64_t count(int32_t Param) const;

  const Descriptor &D;
  cuda::Gpu *Gpu; ///< null: host memory
  Vec<float *> Grad, ExpAvg, ExpAvgSq, Momentum;
  Vec<int64_t> Steps;
};

} // namespace modrt

#endif // MODRT_TRAINING_H
