//===- Vocabulary.h - The language's builtins, routers, aggregations -*- C++
//-*-===//
//
// One table of every name the language gives a meaning to (LANGUAGE.md §6
// and §7): its kind, its positional and named arguments with their defaults,
// the type rule semantic analysis applies and what import and lowering turn
// it into. Sema binds call arguments with it, decides which names are
// reserved with it, and switches on the ids below; import and the dialect's
// enums switch on the same ids, so a row without a rule or a lowering fails
// to compile (-Werror=switch). `entries()` enumerates it: the search space of
// program-induction experiments (`modc --vocabulary`).
//
// Plain C++: the front end links it without MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_VOCAB_VOCABULARY_H
#define MODC_VOCAB_VOCABULARY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace modc {
namespace vocab {

enum class Kind : uint8_t { Builtin, Router, Aggregation, Optimizer };

/// Builtin functions (§6), in table order.
enum class Builtin : uint8_t {
  Relu,
  Gelu,
  Silu,
  Sigmoid,
  Tanh,
  Exp,
  Log,
  Sqrt,
  Abs,
  Softmax,
  LogSoftmax,
  Argmax,
  Sum,
  Mean,
  Max,
  Layernorm,
  Rmsnorm,
  Concat,
  Reshape,
  Expand,
  Transpose,
  Embedding,
  Onehot,
  Cast,
  Attention,
  Mse,
  CrossEntropy,
  LoadBalance,
  ZLoss,
  Softplus,
  Pow,
  Minimum,
  Maximum,
  Clamp,
  Min,
  Where,
  Eye,
  Arange,
  Full,
  Kron,
  Split,
};

/// Routing functions (§7). `Softmax` is the router `softmax(logits)`.
enum class Router : uint8_t {
  Topk,
  Softmax,
  ExpertChoice,
  Task,
  Hash,
  Weights,
  Fixed,
  All,
};

/// Aggregation functions (§7). The values are those of the mod dialect's
/// `#mod<aggregation ...>` (static_assert in the importer); `Custom` (an
/// instance after `combine`) has no row of its own.
enum class Aggregation : uint8_t {
  WeightedSum,
  Sum,
  Mean,
  Max,
  Concat,
  Merge,
  Custom,
};

/// Optimisers of `update ... with OPTIMIZER(...)` (§10), PyTorch semantics.
enum class Optimizer : uint8_t {
  Sgd,
  Adam,
  Adamw,
};

/// What an argument slot accepts; sema checks it before the entry's rule.
enum class ArgType : uint8_t {
  Tensor,      ///< a tensor of any element type
  FloatTensor, ///< a tensor of f32, f16 or bf16
  IdTensor,    ///< a tensor of i32 or i64
  Tensors,     ///< every remaining positional argument, each a tensor
  Indices,     ///< every positional argument, each a compile-time integer
  Int,         ///< a compile-time integer
  Number,      ///< a compile-time integer or float
  Bool,        ///< true or false
  Shape,       ///< a list of integer expressions `[d0, d1, ...]`
  Permutation, ///< a list of compile-time integers
  ElemType,    ///< an element type such as f32
};

/// Whether an argument must be given, may be left out, or has a value.
enum class Default : uint8_t {
  Required, ///< no default
  Absent,   ///< optional, no value when left out
  Value,    ///< `Arg::value` when left out
};

struct Arg {
  std::string_view name;
  ArgType type;
  Default def = Default::Required;
  double value = 0.0; ///< the default of a Default::Value argument
};

/// The type rule of sema that checks a call and gives its result type;
/// entries of one rule share its code.
enum class Rule : uint8_t {
  Elementwise, ///< the argument's type
  AlongAxis,   ///< softmax-like over one axis; argmax drops it (i64)
  Reduce,      ///< the axis dropped (or kept as 1)
  Normalize,   ///< the argument's type; parameters over the last axis
  Concat,      ///< sizes added on the axis
  Reshape,     ///< the given shape, same element count
  Expand,      ///< the given shape, broadcast
  Transpose,   ///< dims permuted
  Embedding,   ///< table rows gathered: ids' shape + the row shape
  Onehot,      ///< ids' shape + [n], f32
  Cast,        ///< the argument's shape, the given element type
  Attention,   ///< q's type
  Loss,        ///< a rank-0 f32 loss
  Broadcast,   ///< tensors or numbers broadcast together (NumPy), one type
  Constant,    ///< a tensor from sizes (static or dyn) and values
  Kron,        ///< the Kronecker product of two 2-D tensors
  Split,       ///< consecutive pieces along an axis, a tuple
  Decision,    ///< a router: weights per routed row and target
  Combine,     ///< an aggregation: the route's result type
  Optimize,    ///< an optimiser: hyper-parameters of an update line
};

/// Whether the builtins of `rule` compute values (arithmetic, sums,
/// normalisation), as opposed to moving, picking, converting or creating
/// elements. On f16/bf16 the former compute in f32 and round once
/// (LANGUAGE.md §3).
constexpr bool computesValues(Rule rule) {
  switch (rule) {
  case Rule::Concat:
  case Rule::Reshape:
  case Rule::Expand:
  case Rule::Transpose:
  case Rule::Embedding:
  case Rule::Onehot:
  case Rule::Cast:
  case Rule::Constant:
  case Rule::Split:
    return false;
  default:
    return true;
  }
}

struct Entry {
  Kind kind;
  uint8_t id; ///< a Builtin, Router or Aggregation value
  std::string_view name;
  const Arg *args;
  size_t numArgs;
  Rule rule;
  std::string_view result;   ///< the result-type rule, in words
  std::string_view lowering; ///< what import/lowering produce
  /// Routers: the aggregation used without `combine`.
  Aggregation defaultCombine = Aggregation::WeightedSum;

  const Arg *begin() const { return args; }
  const Arg *end() const { return args + numArgs; }
  /// Index of the argument named `arg`, or -1.
  int find(std::string_view arg) const;
  /// Number of leading arguments without a default.
  size_t numRequired() const;
  Builtin builtin() const { return Builtin(id); }
  Router router() const { return Router(id); }
  Aggregation aggregation() const { return Aggregation(id); }
  Optimizer optimizer() const { return Optimizer(id); }
};

/// Every entry, builtins first, then routers, aggregations and optimisers,
/// each in enum order.
const Entry *entries();
size_t numEntries();

/// The entry of `name` among `kind`, or null. Names may repeat across kinds
/// (`softmax` is a builtin and a router, `sum` a builtin and an aggregation).
const Entry *lookup(Kind kind, std::string_view name);
const Entry &entry(Builtin b);
const Entry &entry(Router r);
const Entry &entry(Aggregation a);
const Entry &entry(Optimizer o);

/// `name` for a Builtin, Router or Aggregation (`custom` for Custom).
std::string_view name(Builtin b);
std::string_view name(Router r);
std::string_view name(Aggregation a);
std::string_view name(Optimizer o);

/// True if `name` is a builtin, router or aggregation: a user callable may
/// not take it.
bool isReserved(std::string_view name);

std::string_view kindName(Kind kind);
std::string_view argTypeName(ArgType type);

/// The table as JSON: [{"kind": "builtin", "name": "softmax", "args":
/// [{"name": "x", "type": "float tensor", "default": null}, ...], ...}].
std::string toJson();

} // namespace vocab
} // namespace modc

#endif // MODC_VOCAB_VOCABULARY_H
