//===- Training.cpp - Gradients and optimiser state of a model ------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// The optimisers of LANGUAGE.md §10 with PyTorch's semantics (torch.optim
/// SGD, Adam, AdamW: the same update order, f32 arithmetic with the
/// hyper-parameter products rounded to f32 as PyTorch's CPU kernels do, the
/// bias corrections in double), updating the model's parameters in place.
///
//===----------------------------------------------------------------------===//

#include "Training.h"

#include "Cuda.h"
#include "Gemm.h"
#include "Init.h"

#include "Safetensors.h"
#include "modrt/runtime.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#if (defined(__x86_64__) || defined(_M_X64)) &&                                \
    (defined(__clang__) || defined(__GNUC__))
#define MODRT_TRAINING_X86 1
#include <immintrin.h>
#else
#define MODRT_TRAINING_X86 0
#endif

namespace modrt {

TrainingState *TrainingState::create(const Descriptor &D, cuda::Gpu *Gpu) {
  if (Gpu && !Gpu->usable())
    Gpu = nullptr;
  TrainingState *T = new (std::nothrow) TrainingState(D, Gpu);
  if (!T)
    return nullptr;
  size_t NumParams = size_t(D.info().num_params);
  if (!T->Grad.resize(NumParams) || !T->ExpAvg.resize(NumParams) ||
      !T->ExpAvgSq.resize(NumParams) || !T->Momentum.resize(NumParams) ||
      !T->Steps.resize(size_t(D.info().num_trains))) {
    delete T;
    return nullptr;
  }
  return T;
}

void TrainingState::destroy(TrainingState *T) { delete T; }

TrainingState::~TrainingState() {
  for (size_t I = 0; I < Grad.size(); ++I)
    for (float *Buf : {Grad[I], ExpAvg[I], ExpAvgSq[I], Momentum[I]})
      release(Buf);
}

bool TrainingState::allocate(float *&Slot, int64_t Count) {
  if (Slot)
    return true;
  size_t Bytes = size_t(Count > 0 ? Count : 1) * sizeof(float);
  if (!Gpu) {
    Slot = static_cast<float *>(std::calloc(1, Bytes));
    return Slot != nullptr;
  }
  void *Managed = nullptr;
  if (Gpu->allocManaged(Bytes, &Managed) != 0)
    return false;
  std::memset(Managed, 0, Bytes);
  Slot = static_cast<float *>(Managed);
  return true;
}

void TrainingState::release(float *Buf) {
  if (!Gpu)
    std::free(Buf);
  else if (Buf)
    Gpu->free(reinterpret_cast<cuda::DevicePtr>(Buf));
}

int64_t TrainingState::count(int32_t Param) const {
  const modrt_param_info &P = D.info().params[Param];
  return P.count;
}

namespace {

bool usesMomentum(const UpdateRecord &U) {
  return U.Optimizer == OptimizerKind::Sgd && U.Hyper[1] != 0.0;
}

bool usesMoments(const UpdateRecord &U) {
  return U.Optimizer != OptimizerKind::Sgd;
}

} // namespace

float *TrainingState::gradient(int32_t Param) {
  if (Param < 0 || Param >= D.info().num_params)
    return nullptr;
  float *&Slot = Grad[size_t(Param)];
  return allocate(Slot, count(Param)) ? Slot : nullptr;
}

bool TrainingState::allocateState(int32_t Train) {
  for (size_t I = 0; I < D.numUpdates(); ++I) {
    const UpdateRecord &U = D.update(I);
    if (Train >= 0 && U.Train != Train)
      continue;
    for (size_t K = U.FirstParam; K < U.FirstParam + U.NumParams; ++K) {
      int32_t P = D.updateParam(K);
      if (usesMoments(U) && (!allocate(ExpAvg[size_t(P)], count(P)) ||
                             !allocate(ExpAvgSq[size_t(P)], count(P))))
        return false;
      if (usesMomentum(U) && !allocate(Momentum[size_t(P)], count(P)))
        return false;
    }
  }
  return true;
}

namespace {

/// Adam's and AdamW's per-step constants, rounded to f32 as PyTorch's CPU
/// kernels round them.
struct AdamConstants {
  bool Decoupled;
  float StepSize, Bc2Sqrt, B1, B2, OneB1, OneB2, Eps, Wd, Decay;
};

AdamConstants adamConstants(const UpdateRecord &U, int64_t Step) {
  double Lr = U.Hyper[0], Beta1 = U.Hyper[1], Beta2 = U.Hyper[2],
         Eps = U.Hyper[3], Wd = U.Hyper[4];
  double Bc1 = 1.0 - std::pow(Beta1, double(Step));
  double Bc2 = 1.0 - std::pow(Beta2, double(Step));
  return {U.Optimizer == OptimizerKind::Adamw,
          float(-(Lr / Bc1)),
          float(std::sqrt(Bc2)),
          float(Beta1),
          float(Beta2),
          float(1.0 - Beta1),
          float(1.0 - Beta2),
          float(Eps),
          float(Wd),
          float(1.0 - Lr * Wd)};
}

/// One optimiser update of elements [Begin, End) of one parameter, whose
/// data W has element type Dtype (f32, or f16/bf16: updated in f32 and
/// rounded, LANGUAGE.md §10; the gradient and the state are f32 always).
struct UpdateJob {
  const UpdateRecord *U;
  void *W;
  modrt_dtype Dtype;
  const float *G;
  float *M, *V, *Buf;
  int64_t Begin, End;
  AdamConstants K; ///< Adam and AdamW: this step's, once per update line.
};

/// The elements of a parameter as f32: read exactly, written rounded to
/// nearest even.
struct F32Elements {
  float *P;
  float get(int64_t I) const { return P[I]; }
  void set(int64_t I, float V) const { P[I] = V; }
};

struct Bf16Elements {
  uint16_t *P;
  float get(int64_t I) const {
    uint32_t Bits = uint32_t(P[I]) << 16;
    float V;
    std::memcpy(&V, &Bits, sizeof(V));
    return V;
  }
  void set(int64_t I, float V) const { P[I] = detail::floatToBFloat16(V); }
};

struct HalfElements {
  uint16_t *P;
  float get(int64_t I) const { return detail::halfToFloat(P[I]); }
  void set(int64_t I, float V) const { P[I] = detail::floatToHalf(V); }
};

/// One element's update: W (in f32), its moments M and V, its gradient G.
inline void adamElement(float &W, float G, float &M, float &V,
                        const AdamConstants &K) {
  if (K.Decoupled)
    W = W * K.Decay;
  else if (K.Wd != 0.0f)
    G = G + K.Wd * W;
  M = M * K.B1 + K.OneB1 * G;
  V = V * K.B2 + K.OneB2 * (G * G);
  float Denom = std::sqrt(V) / K.Bc2Sqrt + K.Eps;
  W = W + K.StepSize * M / Denom;
}

#if MODRT_TRAINING_X86
/// adamElement on elements [I, End) of f32 parameters, 16 at a time while
/// 16 are left; returns the first element not updated.
__attribute__((target("avx512f"))) int64_t adamAvx512(float *W, const float *G,
                                                      float *M, float *V,
                                                      int64_t I, int64_t End,
                                                      const AdamConstants &K) {
  const __m512 Decay = _mm512_set1_ps(K.Decay), Wd = _mm512_set1_ps(K.Wd),
               B1 = _mm512_set1_ps(K.B1), B2 = _mm512_set1_ps(K.B2),
               OneB1 = _mm512_set1_ps(K.OneB1), OneB2 = _mm512_set1_ps(K.OneB2),
               Bc2Sqrt = _mm512_set1_ps(K.Bc2Sqrt), Eps = _mm512_set1_ps(K.Eps),
               StepSize = _mm512_set1_ps(K.StepSize);
  const bool CoupledDecay = !K.Decoupled && K.Wd != 0.0f;
  for (; I + 16 <= End; I += 16) {
    __m512 Wi = _mm512_loadu_ps(W + I), Gi = _mm512_loadu_ps(G + I);
    if (K.Decoupled)
      Wi = _mm512_mul_ps(Wi, Decay);
    else if (CoupledDecay)
      Gi = _mm512_add_ps(Gi, _mm512_mul_ps(Wd, Wi));
    __m512 Mi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(M + I), B1),
                              _mm512_mul_ps(OneB1, Gi));
    __m512 Vi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(V + I), B2),
                              _mm512_mul_ps(OneB2, _mm512_mul_ps(Gi, Gi)));
    _mm512_storeu_ps(M + I, Mi);
    _mm512_storeu_ps(V + I, Vi);
    __m512 Denom =
        _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(Vi), Bc2Sqrt), Eps);
    _mm512_storeu_ps(
        W + I,
        _mm512_add_ps(Wi, _mm512_div_ps(_mm512_mul_ps(StepSize, Mi), Denom)));
  }
  return I;
}
#endif

template <typename Elements> void applyJob(const UpdateJob &J, Elements W) {
  const UpdateRecord &U = *J.U;
  const float *G = J.G;
  if (U.Optimizer == OptimizerKind::Sgd) {
    float Lr = float(U.Hyper[0]), Mom = float(U.Hyper[1]),
          Wd = float(U.Hyper[2]);
    bool Nesterov = U.Hyper[3] != 0.0;
    float *Buf = J.Buf;
    for (int64_t I = J.Begin; I < J.End; ++I) {
      float Wi = W.get(I), Dp = G[I];
      if (Wd != 0.0f)
        Dp = Dp + Wd * Wi;
      if (Buf) {
        // PyTorch starts the buffer at the first gradient; from zero,
        // momentum * 0 + g is the same value.
        Buf[I] = Buf[I] * Mom + Dp;
        Dp = Nesterov ? Dp + Mom * Buf[I] : Buf[I];
      }
      W.set(I, Wi + -Lr * Dp);
    }
    return;
  }
  const AdamConstants &K = J.K;
  int64_t I = J.Begin;
#if MODRT_TRAINING_X86
  // f32 parameters on AVX-512: 16 elements at a time, the same operations
  // in the same order (no fused multiply-adds), so the same bits.
  if constexpr (std::is_same_v<Elements, F32Elements>)
    if (int(gemmIsa()) >= int(GemmIsa::Avx512))
      I = adamAvx512(W.P, G, J.M, J.V, I, J.End, K);
#endif
  for (; I < J.End; ++I) {
    float Wi = W.get(I);
    adamElement(Wi, G[I], J.M[I], J.V[I], K);
    W.set(I, Wi);
  }
}

void runJob(void *Ctx, int64_t I) {
  const UpdateJob &J = (*static_cast<const Vec<UpdateJob> *>(Ctx))[size_t(I)];
  switch (J.Dtype) {
  case MODRT_BF16:
    return applyJob(J, Bf16Elements{static_cast<uint16_t *>(J.W)});
  case MODRT_F16:
    return applyJob(J, HalfElements{static_cast<uint16_t *>(J.W)});
  default:
    return applyJob(J, F32Elements{static_cast<float *>(J.W)});
  }
}

/// Elements per job: large enough to amortise the hand-off, small enough
/// to spread one big parameter over every thread.
constexpr int64_t JobElements = 1 << 16;

} // namespace

int TrainingState::step(int32_t Train, unsigned char *Block, ErrorSink &Err) {
  if (Train < 0 || Train >= D.info().num_trains)
    return Err.fail(MODRT_EINVAL, "train: no train block %d", int(Train));
  if (!allocateState(Train))
    return Err.fail(MODRT_ENOMEM, "%s: out of memory for the optimizer state",
                    D.info().trains[Train].name);
  if (Steps[size_t(Train)] == INT64_MAX)
    return Err.fail(MODRT_EINVAL, "%s: the step count cannot grow past %lld",
                    D.info().trains[Train].name, (long long)INT64_MAX);
  Vec<UpdateJob> Jobs;
  const int64_t Step = Steps[size_t(Train)] + 1;
  for (size_t I = 0; I < D.numUpdates(); ++I) {
    const UpdateRecord &U = D.update(I);
    if (U.Train != Train)
      continue;
    const AdamConstants Consts = U.Optimizer == OptimizerKind::Sgd
                                     ? AdamConstants{}
                                     : adamConstants(U, Step);
    for (size_t K = U.FirstParam; K < U.FirstParam + U.NumParams; ++K) {
      int32_t P = D.updateParam(K);
      if (!Grad[size_t(P)])
        continue; // Never happens after a kernel call: it asked for it.
      int64_t N = count(P);
      for (int64_t Begin = 0; Begin < N; Begin += JobElements) {
        int64_t End = N - Begin > JobElements ? Begin + JobElements : N;
        UpdateJob J{&U,
                    Block + D.paramOffset(P),
                    D.info().params[P].dtype,
                    Grad[size_t(P)],
                    ExpAvg[size_t(P)],
                    ExpAvgSq[size_t(P)],
                    Momentum[size_t(P)],
                    Begin,
                    End,
                    Consts};
        if (!Jobs.push(J))
          return Err.fail(MODRT_ENOMEM, "%s: out of memory",
                          D.info().trains[Train].name);
      }
    }
  }
  // Nothing has changed yet: the step count moves with the parameters.
  Steps[size_t(Train)] = Step;
  modrt_parallel_for(int64_t(Jobs.size()), runJob, &Jobs);
  return MODRT_OK;
}

void TrainingState::reset() {
  for (size_t I = 0; I < ExpAvg.size(); ++I) {
    int64_t N = count(int32_t(I));
    for (float *Buf : {ExpAvg[I], ExpAvgSq[I], Momentum[I]})
      if (Buf)
        std::memset(Buf, 0, size_t(N) * sizeof(float));
  }
  for (size_t T = 0; T < Steps.size(); ++T)
    Steps[T] = 0;
}

bool TrainingState::stateRefs(Vec<TensorRef> &Refs, MallocBuffer &Names,
                              const float *Zeros) const {
  // Names: "PARAM.momentum_buffer" is the longest suffix (16 bytes).
  size_t Bytes = 1;
  const modrt_info &Info = D.info();
  for (int32_t P = 0; P < Info.num_params; ++P)
    Bytes += 3 * (std::strlen(Info.params[P].name) + 16);
  for (int32_t T = 0; T < Info.num_trains; ++T)
    Bytes += std::strlen(Info.trains[T].name) + 8;
  Names.reset(std::malloc(Bytes));
  if (!Names.get())
    return false;
  char *Cursor = Names.chars();
  auto name = [&](const char *Base, const char *Suffix) {
    char *Start = Cursor;
    Cursor += std::snprintf(Cursor, Bytes - size_t(Cursor - Names.chars()),
                            "%s.%s", Base, Suffix) +
              1;
    return Start;
  };
  // One entry per parameter and kind of state, in parameter order.
  for (int32_t P = 0; P < Info.num_params; ++P) {
    bool Moments = false, Mom = false;
    for (size_t I = 0; I < D.numUpdates(); ++I) {
      const UpdateRecord &U = D.update(I);
      for (size_t K = U.FirstParam; K < U.FirstParam + U.NumParams; ++K)
        if (D.updateParam(K) == P) {
          Moments |= usesMoments(U);
          Mom |= usesMomentum(U);
        }
    }
    const modrt_param_info &Pi = Info.params[P];
    auto push = [&](const char *Suffix, const float *Data) {
      return Refs.push(TensorRef{name(Pi.name, Suffix), MODRT_F32, Pi.rank,
                                 Pi.shape,
                                 const_cast<float *>(Data ? Data : Zeros)});
    };
    if (Moments && (!push("exp_avg", ExpAvg[size_t(P)]) ||
                    !push("exp_avg_sq", ExpAvgSq[size_t(P)])))
      return false;
    if (Mom && !push("momentum_buffer", Momentum[size_t(P)]))
      return false;
  }
  for (int32_t T = 0; T < Info.num_trains; ++T)
    if (!Refs.push(TensorRef{name(Info.trains[T].name, "step"), MODRT_I64, 0,
                             nullptr,
                             const_cast<int64_t *>(&Steps[size_t(T)])}))
      return false;
  return true;
}

int TrainingState::save(const char *Path, ErrorSink &Err) const {
  int64_t Largest = 1;
  for (int32_t P = 0; P < D.info().num_params; ++P)
    Largest = count(P) > Largest ? count(P) : Largest;
  // State not allocated yet (no step taken) is saved as the zeros it is.
  MallocBuffer Zeros(std::calloc(size_t(Largest), sizeof(float)));
  Vec<TensorRef> Refs;
  MallocBuffer Names;
  if (!Zeros.get() ||
      !stateRefs(Refs, Names, static_cast<const float *>(Zeros.get())))
    return Err.fail(MODRT_ENOMEM, "save_optimizer %s: out of memory", Path);
  return saveSafetensors(Path, Refs.data(), Refs.size(), Err);
}

int TrainingState::load(const char *Path, ErrorSink &Err) {
  // Loaded into fresh buffers and swapped in only once the file proved
  // valid: a failed load leaves the state as it was.
  TrainingState *Fresh = create(D, Gpu);
  if (!Fresh || !Fresh->allocateState(-1)) {
    destroy(Fresh);
    return Err.fail(MODRT_ENOMEM, "load_optimizer %s: out of memory", Path);
  }
  Vec<TensorRef> Refs;
  MallocBuffer Names;
  if (!Fresh->stateRefs(Refs, Names, nullptr)) {
    destroy(Fresh);
    return Err.fail(MODRT_ENOMEM, "load_optimizer %s: out of memory", Path);
  }
  int Rc = loadSafetensors(Path, Refs.data(), Refs.size(), Err);
  for (size_t T = 0; Rc == MODRT_OK && T < Steps.size(); ++T)
    if (Fresh->Steps[T] < 0 || Fresh->Steps[T] == INT64_MAX)
      Rc = Err.fail(MODRT_EFORMAT,
                    "load_optimizer %s: step count %lld of '%s' out of range "
                    "[0, 2^63 - 1)",
                    Path, (long long)Fresh->Steps[T], D.info().trains[T].name);
  if (Rc == MODRT_OK) {
    for (size_t I = 0; I < ExpAvg.size(); ++I) {
      std::swap(ExpAvg[I], Fresh->ExpAvg[I]);
      std::swap(ExpAvgSq[I], Fresh->ExpAvgSq[I]);
      std::swap(Momentum[I], Fresh->Momentum[I]);
    }
    for (size_t T = 0; T < Steps.size(); ++T)
      Steps[T] = Fresh->Steps[T];
  }
  destroy(Fresh);
  return Rc;
}

} // namespace modrt
