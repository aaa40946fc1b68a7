//===- Descriptor.h - The model descriptor string ---------------*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// The compiler embeds in every model library a descriptor string saying what
/// the model is: its dims, dyns, parameters (with initialisers) and entries.
/// The runtime parses it into a modrt_info plus what the runtime itself needs
/// (initialisers, parameter layout). Descriptor.cpp documents the grammar.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_DESCRIPTOR_H
#define MODRT_DESCRIPTOR_H

#include "Support.h"

#include "modrt/modrt.h"

#include <cstdint>

namespace modrt {

/// The initialisers of LANGUAGE.md section 4.
enum class InitKind : uint8_t { Zeros, Ones, Const, Normal, Uniform, Xavier };

/// An initialiser with its arguments: Const(A), Normal(mean A, std B),
/// Uniform(lo A, hi B); unused arguments are 0.
struct InitSpec {
  InitKind Kind;
  double A;
  double B;
};

/// Bounds the parser enforces, so that a hostile descriptor cannot make the
/// runtime allocate without limit.
constexpr int32_t MaxRank = 32;
constexpr int32_t MaxEntryDyns = 1024;
constexpr int32_t MaxDimTerms = 64;
constexpr size_t MaxDescriptorLength = size_t(64) << 20;
constexpr size_t MaxNameLength = 4096;
/// Parameters are laid out in one block, each at a multiple of this.
constexpr uint64_t ParamAlignment = 64;
/// Upper bound on the block holding all parameters.
constexpr uint64_t MaxBlockBytes = uint64_t(1) << 62;

/// A parsed descriptor. Every pointer in info() points into this object,
/// which is never moved or copied.
/// One term of a derived parameter: Scale * param A ([K, N]) when B < 0,
/// else Scale * (A @ B) with A [K, r] and B [r, N].
struct DerivedTerm {
  double Scale;
  int32_t A, B;
};

/// A parameter the runtime computes from others whenever they change (after
/// create, init and a successful load): a [Rows, Cols] f32 sum of terms.
/// Folded weights (W' = W + s A B) are derived parameters. They are not part
/// of the state dict: not described, loaded or saved.
struct DerivedParam {
  const char *Name;
  int64_t Rows, Cols;
  size_t FirstTerm, NumTerms;
};

/// Optimisers (LANGUAGE.md §10), the compiler's mod::Optimizer values.
enum class OptimizerKind : int32_t { Sgd = 0, Adam = 1, Adamw = 2 };

/// One update line of a train block: an optimiser with its
/// hyper-parameters (sgd: lr, momentum, weight_decay, nesterov; adam and
/// adamw: lr, beta1, beta2, eps, weight_decay) over some parameters.
struct UpdateRecord {
  int32_t Train;
  OptimizerKind Optimizer;
  size_t FirstParam, NumParams; ///< into updateParam()
  double Hyper[5];
};

class Descriptor {
public:
  Descriptor(const Descriptor &) = delete;
  Descriptor &operator=(const Descriptor &) = delete;
  ~Descriptor() = default;

  /// Parses Text. Returns null when Text is null, malformed or memory is
  /// short, with the reason in Err. The caller owns the result.
  static Descriptor *parse(const char *Text, ErrorSink &Err);

  const modrt_info &info() const { return Info; }
  /// The text this descriptor was parsed from, and its length.
  const char *source() const { return Source.chars(); }
  size_t sourceLength() const { return SourceLength; }

  const InitSpec &init(int32_t Param) const { return Inits[size_t(Param)]; }
  /// Bytes of parameter Param's data.
  uint64_t paramBytes(int32_t Param) const { return ParamBytes[size_t(Param)]; }
  /// Offset of parameter Param in the parameter block (a multiple of
  /// ParamAlignment).
  uint64_t paramOffset(int32_t Param) const {
    return ParamOffsets[size_t(Param)];
  }
  /// Bytes of the block holding every parameter.
  uint64_t blockBytes() const { return BlockBytes; }

  /// Derived parameters; derived parameter I is stored at
  /// paramOffset(num_params + I).
  size_t numDerived() const { return Derived.size(); }
  const DerivedParam &derived(size_t I) const { return Derived[I]; }
  const DerivedTerm &derivedTerm(size_t I) const { return DerivedTerms[I]; }

  /// Update lines of every train block, in train order.
  size_t numUpdates() const { return Updates.size(); }
  const UpdateRecord &update(size_t I) const { return Updates[I]; }
  int32_t updateParam(size_t I) const { return UpdateParams[I]; }

private:
  Descriptor() = default;
  friend class DescriptorParser;

  modrt_info Info{};
  MallocBuffer Source; // The text as given.
  size_t SourceLength = 0;
  MallocBuffer Tokens; // A copy, cut into NUL-terminated tokens (the names).

  Vec<modrt_param_info> Params;
  Vec<int64_t> Shapes;
  Vec<InitSpec> Inits;
  Vec<uint64_t> ParamBytes;
  Vec<uint64_t> ParamOffsets;
  uint64_t BlockBytes = 0;
  Vec<DerivedParam> Derived;
  Vec<DerivedTerm> DerivedTerms;

  Vec<modrt_entry_info> Entries;
  Vec<modrt_entry_info> Trains;
  Vec<UpdateRecord> Updates;
  Vec<int32_t> UpdateParams;
  Vec<int32_t> EntryDyns;
  Vec<modrt_tensor_info> Inputs;
  Vec<modrt_tensor_info> Outputs;
  Vec<modrt_dim> Dims;
  Vec<int32_t> TermDyns;
  Vec<int64_t> TermCoeffs;

  Vec<const char *> DimNames;
  Vec<int64_t> DimValues;
  Vec<const char *> DynNames;
};

/// Returns the descriptor for Text, parsed on first use and then cached for
/// the life of the process (thread-safe; the cache is keyed by content, so a
/// buffer reused for another text is parsed again). Null if malformed.
const Descriptor *lookupDescriptor(const char *Text);

} // namespace modrt

#endif // MODRT_DESCRIPTOR_H
