//===- Program.h - The checked, elaborated program ---------------*- C++
//-*-===//
//
// Semantic analysis turns the AST into a Program: every name resolved, every
// module template instantiated once per distinct argument list, `for` loops
// unrolled, compile-time arithmetic folded, and every value given an element
// type and a symbolic shape. Module and entry bodies are dataflow graphs of
// Nodes. The MLIR importer (compiler/) reads only this.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_DSL_PROGRAM_H
#define MODC_DSL_PROGRAM_H

#include "dsl/AST.h"
#include "dsl/Shape.h"
#include "vocab/Vocabulary.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace modc {
namespace sema {

using ast::ElemType;

enum class Op {
  Arg,   ///< function argument `index`
  Param, ///< parameter `index` of the enclosing module (or model)
  Const, ///< scalar constant `constant`, of the node's element type
  Add,
  Sub,
  Mul,
  Div,
  MatMul,
  Compare, ///< a comparison (`index` is its ast::BinaryOp), bool result
  Neg,
  Unary,     ///< elementwise builtin `name` (relu, gelu, exp, ...)
  Apply,     ///< apply instance `index` (element `element` of an array)
  Builtin,   ///< builtin `name` with `ints` / `flag` / `constant` attributes
  Route,     ///< routing + aggregation; `route` holds the decision
  CallEntry, ///< call entry `index` of the program; results via TupleGet
  TupleGet,  ///< result `index` of the CallEntry operand
  Slice,     ///< a box of the operand: `offsets` per operand dim, the
             ///< operand dims in `ints` dropped (size 1), the others sized
             ///< by `type`; `checks` hold at run time (slicing, `split`)
};

/// A condition `lhs <= rhs` between dims that only a run time can decide
/// (LANGUAGE.md §6: dynamic slice bounds are checked when the entry runs).
struct DimCheck {
  Dim lhs, rhs;
  std::string message;
};

/// What a `route` expression decided at compile time (LANGUAGE.md §7).
struct RouteInfo {
  vocab::Router router = vocab::Router::All;
  int64_t k = 1;
  bool normalize = true;
  double capacity = 0.0;
  std::vector<int64_t> fixed;
  /// The targets: (instance index, array element or -1), in target order.
  std::vector<std::pair<int, int64_t>> targets;
  vocab::Aggregation aggregation = vocab::Aggregation::WeightedSum;
  int aggInstance = -1; ///< custom aggregation: the instance applied
  int64_t aggElement = -1;
  /// Per target (and for the aggregation): the instantiation called, null
  /// for the instance's own (see Node::callee).
  std::vector<const struct ModuleSpec *> callees;
  const struct ModuleSpec *aggCallee = nullptr;
  /// Number of leading dims of X that are routed rows (0: global routing).
  int level = 0;
};

struct Node {
  Op op;
  TensorType type;
  SourceLoc loc;
  std::vector<Node *> operands;
  int64_t index = -1;
  int64_t element = -1; ///< array element for Apply, -1 for a single instance
  /// Apply: the instantiation called when it is not the instance's own (a
  /// rank-polymorphic module called with another number of `...` dims).
  const struct ModuleSpec *callee = nullptr;
  double constant = 0.0;
  /// Const and full of an integer element type: the exact value (`constant`
  /// holds it rounded to a double).
  int64_t intConstant = 0;
  std::string name;
  /// Unary and Builtin: which builtin.
  vocab::Builtin builtin = vocab::Builtin::Relu;
  /// Builtin attributes: axes, permutation, heads, n...
  std::vector<int64_t> ints;
  bool flag = false; ///< keepdims, causal
  std::shared_ptr<RouteInfo> route;
  /// CallEntry: the callee's result types.
  std::vector<TensorType> tupleTypes;
  /// Slice: where the box starts in each operand dim, and what to check.
  std::vector<Dim> offsets;
  std::vector<DimCheck> checks;
};

/// A dataflow graph; `nodes` owns, in an order where operands come first.
struct Body {
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<Node *> results;
};

enum class InitKind { Zeros, Ones, Const, Normal, Uniform, Xavier };
const char *initKindName(InitKind kind);

struct ParamSpec {
  std::string name;
  SourceLoc loc;
  TensorType type; ///< static shape
  bool frozen = false;
  InitKind init = InitKind::Zeros;
  std::vector<double> initArgs;
};

struct ModuleSpec;

struct InstanceSpec {
  std::string name;
  SourceLoc loc;
  ModuleSpec *module = nullptr;
  bool isArray = false;
  int64_t count = 1;
  bool frozen = false;
};

/// One instantiation of a module template.
struct ModuleSpec {
  std::string mangledName; ///< a valid symbol: `LoRA_1024_1024_16_32.0` style
  std::string displayName; ///< `LoRA<1024, 1024, 16, 32.0>`
  SourceLoc loc;
  std::vector<ParamSpec> params;
  std::vector<InstanceSpec> instances;
  /// Declaration order of params (kind 0) and instances (kind 1), the order
  /// of the PyTorch state_dict.
  std::vector<std::pair<int, int>> memberOrder;
  std::vector<std::string> argNames;
  std::vector<TensorType> argTypes;
  TensorType resultType;
  Body body;
  /// Rank polymorphism (LANGUAGE.md §4): the number of leading dims `...`
  /// stands for in this instantiation (-1: no `...` in the signature), and
  /// which arguments start with it (the result always does). An instance
  /// holds the instantiation with one such dim; a call with another number
  /// uses its own instantiation, `variant`.
  int batchRank = -1;
  std::vector<bool> batchedArgs;
};

struct EntrySpec {
  std::string name;
  SourceLoc loc;
  std::vector<std::string> argNames;
  std::vector<TensorType> argTypes;
  std::vector<std::string> resultNames;
  std::vector<TensorType> resultTypes;
  /// The `dyn` symbols the signature uses, in declaration order: the
  /// entry's leading int64_t arguments (INTERFACE.md §2).
  std::vector<int> dyns;
  Body body;
};

/// One `update TARGETS with OPTIMIZER(...);` line of a train block.
struct UpdateSpec {
  SourceLoc loc;
  vocab::Optimizer optimizer = vocab::Optimizer::Sgd;
  /// One value per argument of the optimiser's vocabulary row, in its order
  /// (defaults filled in; booleans are 0 or 1).
  std::vector<double> hyper;
  /// The updated parameters' state_dict names, in state_dict order.
  std::vector<std::string> params;
};

/// A `train` block (LANGUAGE.md §10): an entry whose one result is the loss
/// of its `minimize`, plus what its update lines change.
struct TrainSpec {
  EntrySpec entry; ///< result: `loss`, rank-0 f32
  std::vector<UpdateSpec> updates;
};

/// A parameter of the whole model under its state_dict name.
struct FlatParam {
  std::string name;
  SourceLoc loc; ///< the `param` declaration
  TensorType type;
  bool trainable = true;
  InitKind init = InitKind::Zeros;
  std::vector<double> initArgs;
};

struct Program {
  std::string modelName;
  std::vector<std::pair<std::string, int64_t>> dims;
  /// The `dyn` declarations, then the dims `...` stands for in
  /// rank-polymorphic modules (inside modules only: never in a signature).
  std::vector<std::string> dyns;
  size_t numDeclaredDyns = 0;
  std::vector<ParamSpec> params; ///< model-level `param`s
  std::vector<InstanceSpec> instances;
  std::vector<std::pair<int, int>> memberOrder;
  std::vector<std::unique_ptr<ModuleSpec>> modules;
  std::vector<EntrySpec> entries;
  std::vector<TrainSpec> trains;

  /// Every parameter of the model, in state_dict order.
  std::vector<FlatParam> flatParams() const;
  /// Flat parameter names of one model-level instance (element `element`).
  std::string dimString(const Dim &d) const { return d.str(dyns); }
  std::string typeString(const TensorType &t) const { return t.str(dyns); }
};

/// Appends the flat parameters of `module` under `prefix` to `out`.
void flattenModule(const ModuleSpec &module, const std::string &prefix,
                   bool frozen, std::vector<FlatParam> &out);

} // namespace sema
} // namespace modc

#endif // MODC_DSL_PROGRAM_H
