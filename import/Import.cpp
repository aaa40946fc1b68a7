//===- Import.cpp - Checked program to the mod dialect --------------------===//
//
// Each instantiated module becomes a private func.func whose leading
// arguments are the parameters of its whole instance subtree (state_dict
// order, names relative to the instance); each entry becomes a public
// func.func reading model parameters with mod.param_ref. Applying an
// instance is a mod.apply that passes the instance's parameter slice.
//
//===----------------------------------------------------------------------===//

#include "import/Import.h"

#include "dialects/Mod/ModDialect.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <functional>
#include <map>

using namespace mlir;

namespace modc {

void loadDialects(MLIRContext &context) {
  context.loadDialect<
      mod::ModDialect, func::FuncDialect, arith::ArithDialect,
      math::MathDialect, linalg::LinalgDialect, tensor::TensorDialect,
      bufferization::BufferizationDialect, memref::MemRefDialect>();
}

namespace {

using sema::Node;
using sema::Op;

// The dialect's aggregations are the vocabulary's, value for value.
#define MODC_SAME_AGGREGATION(name)                                            \
  static_assert(uint32_t(vocab::Aggregation::name) ==                          \
                    uint32_t(mod::Aggregation::name),                          \
                "vocab::Aggregation and mod::Aggregation disagree on " #name);
MODC_SAME_AGGREGATION(WeightedSum)
MODC_SAME_AGGREGATION(Sum)
MODC_SAME_AGGREGATION(Mean)
MODC_SAME_AGGREGATION(Max)
MODC_SAME_AGGREGATION(Concat)
MODC_SAME_AGGREGATION(Merge)
#undef MODC_SAME_AGGREGATION
static_assert(
    uint32_t(vocab::Optimizer::Sgd) == uint32_t(mod::Optimizer::Sgd) &&
        uint32_t(vocab::Optimizer::Adam) == uint32_t(mod::Optimizer::Adam) &&
        uint32_t(vocab::Optimizer::Adamw) == uint32_t(mod::Optimizer::Adamw),
    "vocab::Optimizer and mod::Optimizer disagree");

mod::Aggregation aggregationOf(vocab::Aggregation a) {
  return mod::Aggregation(uint32_t(a));
}

class Importer {
public:
  Importer(MLIRContext &ctx, const sema::Program &program, StringRef filename)
      : ctx_(ctx), program_(program), builder_(&ctx),
        filename_(StringAttr::get(&ctx, filename)) {}

  OwningOpRef<ModuleOp> run() {
    auto module = ModuleOp::create(loc({1, 1}));
    module->setAttr(mod::kModelAttr,
                    builder_.getStringAttr(program_.modelName));
    builder_.setInsertionPointToEnd(module.getBody());
    for (const auto &[name, value] : program_.dims)
      builder_.create<mod::DimOp>(loc({1, 1}), name, value);
    // The dims `...` stands for are dyns only inside modules.
    for (size_t i = 0; i < program_.numDeclaredDyns; ++i)
      builder_.create<mod::DynOp>(loc({1, 1}), program_.dyns[i]);
    for (const sema::FlatParam &p : program_.flatParams())
      declareParam(p);
    for (const auto &m : program_.modules)
      declareModule(*m);
    for (const sema::InstanceSpec &inst : program_.instances)
      builder_.create<mod::InstanceOp>(
          loc(inst.loc), builder_.getStringAttr(inst.name),
          FlatSymbolRefAttr::get(&ctx_, moduleFns_[inst.module].getSymName()),
          inst.isArray ? builder_.getI64IntegerAttr(inst.count) : IntegerAttr(),
          inst.frozen ? builder_.getUnitAttr() : UnitAttr());
    for (const auto &m : program_.modules)
      defineModule(*m);
    for (const sema::EntrySpec &e : program_.entries)
      defineEntry(e);
    for (const sema::TrainSpec &t : program_.trains)
      defineTrain(t);
    if (failed(verify(module)))
      return nullptr;
    return module;
  }

private:
  Location loc(SourceLoc l) {
    return FileLineColLoc::get(filename_, l.line, l.col);
  }

  Type elemType(ast::ElemType t) {
    switch (t) {
    case ast::ElemType::F32:
      return builder_.getF32Type();
    case ast::ElemType::F16:
      return builder_.getF16Type();
    case ast::ElemType::BF16:
      return builder_.getBF16Type();
    case ast::ElemType::I32:
      return builder_.getI32Type();
    case ast::ElemType::I64:
      return builder_.getI64Type();
    case ast::ElemType::Bool:
      return builder_.getI1Type();
    }
    return builder_.getF32Type();
  }

  RankedTensorType tensorType(const sema::TensorType &t) {
    SmallVector<int64_t> shape;
    for (const sema::Dim &d : t.shape)
      shape.push_back(d.isStatic() ? d.constant : ShapedType::kDynamic);
    return RankedTensorType::get(shape, elemType(t.elem));
  }

  /// An entry tensor's name, element type and shape over the model's dyns.
  mod::TensorSpecAttr tensorSpec(const std::string &name,
                                 const sema::TensorType &t) {
    SmallVector<AffineExpr> dims;
    for (const sema::Dim &d : t.shape) {
      AffineExpr e = getAffineConstantExpr(d.constant, &ctx_);
      for (auto [sym, coeff] : d.terms)
        e = e + getAffineSymbolExpr(sym, &ctx_) * coeff;
      dims.push_back(e);
    }
    // Over the declared dyns only (Program::dyns).
    AffineMap map = AffineMap::get(0, program_.numDeclaredDyns, dims, &ctx_);
    return mod::TensorSpecAttr::get(&ctx_, name, elemType(t.elem),
                                    AffineMapAttr::get(map));
  }

  mod::EntrySignatureAttr signature(const sema::EntrySpec &e) {
    SmallVector<Attribute> dyns, inputs, outputs;
    for (int d : e.dyns)
      dyns.push_back(builder_.getStringAttr(program_.dyns[d]));
    for (size_t i = 0; i < e.argTypes.size(); ++i)
      inputs.push_back(tensorSpec(e.argNames[i], e.argTypes[i]));
    for (size_t i = 0; i < e.resultTypes.size(); ++i)
      outputs.push_back(tensorSpec(e.resultNames[i], e.resultTypes[i]));
    return mod::EntrySignatureAttr::get(&ctx_, builder_.getArrayAttr(dyns),
                                        builder_.getArrayAttr(inputs),
                                        builder_.getArrayAttr(outputs));
  }

  void declareParam(const sema::FlatParam &p) {
    SmallVector<Attribute> args;
    for (double a : p.initArgs)
      args.push_back(builder_.getF64FloatAttr(a));
    auto op = builder_.create<mod::ParamOp>(
        loc(p.loc), builder_.getStringAttr(p.name),
        TypeAttr::get(tensorType(p.type)),
        // One vocabulary: the dialect's enum is spelled as the language's.
        mod::InitKindAttr::get(
            &ctx_, *mod::symbolizeInitKind(sema::initKindName(p.init))),
        args.empty() ? ArrayAttr() : builder_.getArrayAttr(args),
        p.trainable ? UnitAttr() : builder_.getUnitAttr());
    (void)op;
  }

  /// Relative flat parameter names of a module's instance subtree.
  const std::vector<sema::FlatParam> &localParams(const sema::ModuleSpec &m) {
    auto it = localParams_.find(&m);
    if (it != localParams_.end())
      return it->second;
    std::vector<sema::FlatParam> flat;
    sema::flattenModule(m, "", false, flat);
    return localParams_[&m] = std::move(flat);
  }

  /// Index range of `prefix.*` within `flat`.
  static std::pair<size_t, size_t>
  sliceOf(const std::vector<sema::FlatParam> &flat, const std::string &prefix) {
    size_t begin = flat.size(), end = flat.size();
    for (size_t i = 0; i < flat.size(); ++i) {
      bool match = flat[i].name.compare(0, prefix.size(), prefix) == 0;
      if (match && begin == flat.size())
        begin = i;
      if (!match && begin != flat.size()) {
        end = i;
        break;
      }
    }
    if (begin == flat.size())
      return {0, 0};
    return {begin, end};
  }

  static std::string instancePrefix(const sema::InstanceSpec &inst,
                                    int64_t element) {
    if (!inst.isArray)
      return inst.name + ".";
    return inst.name + "." + std::to_string(element < 0 ? 0 : element) + ".";
  }

  void declareModule(const sema::ModuleSpec &m) {
    const auto &flat = localParams(m);
    SmallVector<Type> inputs;
    for (const sema::FlatParam &p : flat)
      inputs.push_back(tensorType(p.type));
    for (const sema::TensorType &t : m.argTypes)
      inputs.push_back(tensorType(t));
    auto fnType = builder_.getFunctionType(inputs, {tensorType(m.resultType)});
    auto fn = builder_.create<func::FuncOp>(loc(m.loc), m.mangledName, fnType);
    fn.setPrivate();
    fn->setAttr(mod::kModuleAttr, builder_.getStringAttr(m.displayName));
    // All at once: setArgAttr rebuilds the whole list of argument
    // attributes each time (quadratic in a module's parameters: 16,000
    // took 2 GB).
    SmallVector<DictionaryAttr> argAttrs(inputs.size(),
                                         builder_.getDictionaryAttr({}));
    for (size_t i = 0; i < flat.size(); ++i)
      argAttrs[i] = builder_.getDictionaryAttr(builder_.getNamedAttr(
          mod::kParamArgAttr, builder_.getStringAttr(flat[i].name)));
    fn.setAllArgAttrs(argAttrs);
    moduleFns_[&m] = fn;
  }

  void defineModule(const sema::ModuleSpec &m) {
    func::FuncOp fn = moduleFns_[&m];
    Block *block = fn.addEntryBlock();
    OpBuilder::InsertionGuard guard(builder_);
    builder_.setInsertionPointToStart(block);
    const auto &flat = localParams(m);
    std::vector<Value> params(block->args_begin(),
                              block->args_begin() + flat.size());
    std::vector<Value> args(block->args_begin() + flat.size(),
                            block->args_end());
    auto paramValue = [&](const Node &n) -> Value {
      const std::string &name = m.params[n.index].name;
      for (size_t i = 0; i < flat.size(); ++i)
        if (flat[i].name == name)
          return params[i];
      return Value();
    };
    auto applyParams = [&](int index, int64_t element, Location) {
      const sema::InstanceSpec &inst = m.instances[index];
      auto [b, e] = sliceOf(flat, instancePrefix(inst, element));
      return std::vector<Value>(params.begin() + b, params.begin() + e);
    };
    Value result = emitBody(m.body, args, m.argTypes, paramValue, applyParams,
                            m.instances, m.displayName);
    builder_.create<func::ReturnOp>(loc(m.loc), ValueRange{result});
  }

  /// A train block: an entry returning its loss, with its update lines.
  void defineTrain(const sema::TrainSpec &t) {
    func::FuncOp fn = defineEntry(t.entry);
    SmallVector<Attribute> updates;
    for (const sema::UpdateSpec &u : t.updates) {
      SmallVector<Attribute> params, hyper;
      for (const std::string &p : u.params)
        params.push_back(FlatSymbolRefAttr::get(&ctx_, p));
      for (double h : u.hyper)
        hyper.push_back(builder_.getF64FloatAttr(h));
      updates.push_back(mod::UpdateAttr::get(
          &ctx_, mod::Optimizer(uint32_t(u.optimizer)),
          builder_.getArrayAttr(params), builder_.getArrayAttr(hyper)));
    }
    fn->setAttr(mod::kTrainAttr, builder_.getArrayAttr(updates));
  }

  func::FuncOp defineEntry(const sema::EntrySpec &e) {
    SmallVector<Type> inputs, results;
    for (const sema::TensorType &t : e.argTypes)
      inputs.push_back(tensorType(t));
    for (const sema::TensorType &t : e.resultTypes)
      results.push_back(tensorType(t));
    auto fn = builder_.create<func::FuncOp>(
        loc(e.loc), e.name, builder_.getFunctionType(inputs, results));
    fn->setAttr(mod::kEntryAttr, signature(e));
    Block *block = fn.addEntryBlock();
    OpBuilder::InsertionGuard guard(builder_);
    builder_.setInsertionPointToStart(block);
    std::vector<Value> args(block->args_begin(), block->args_end());
    std::vector<sema::FlatParam> flat = program_.flatParams();
    auto paramValue = [&](const Node &n) -> Value {
      // A model-level param, or one read by its path (`layers[2].down.w`):
      // either way the node carries the state_dict name.
      return builder_.create<mod::ParamRefOp>(
          loc(n.loc), tensorType(n.type),
          FlatSymbolRefAttr::get(&ctx_, n.name));
    };
    auto applyParams = [&](int index, int64_t element, Location l) {
      const sema::InstanceSpec &inst = program_.instances[index];
      auto [b, en] = sliceOf(flat, instancePrefix(inst, element));
      std::vector<Value> values;
      for (size_t i = b; i < en; ++i)
        values.push_back(builder_.create<mod::ParamRefOp>(
            l, tensorType(flat[i].type),
            FlatSymbolRefAttr::get(&ctx_, flat[i].name)));
      return values;
    };
    SmallVector<Value> values;
    entryName_ = e.name;
    Value last = emitBody(e.body, args, e.argTypes, paramValue, applyParams,
                          program_.instances, e.name);
    (void)last;
    for (Node *r : e.body.results)
      values.push_back(values_[r]);
    builder_.create<func::ReturnOp>(loc(e.loc), values);
    return fn;
  }

  using ParamsFn = std::function<std::vector<Value>(int, int64_t, Location)>;

  /// Binds each dyn symbol to its run-time value, read from the argument
  /// dims the way sema::solveDyns says: the size of a dim that is the
  /// symbol alone, else (size - the rest) / coefficient of a dim in which
  /// it is the one symbol not bound before (`T + 1`, `2 * T`).
  void bindSymbols(const std::vector<Value> &args,
                   const std::vector<sema::TensorType> &argTypes) {
    symbols_.clear();
    for (const sema::DynSource &s : sema::solveDyns(argTypes)) {
      Location l = args[s.arg].getLoc();
      Value size = builder_.create<tensor::DimOp>(l, args[s.arg], s.dim);
      if (s.size == sema::Dim::symbol(s.sym)) {
        symbols_[s.sym] = size;
        continue;
      }
      sema::Dim rest = s.size;
      llvm::erase_if(rest.terms, [&](auto t) { return t.first == s.sym; });
      Value diff = builder_.create<arith::SubIOp>(l, size, dimValue(rest, l));
      symbols_[s.sym] = builder_.create<arith::DivSIOp>(
          l, diff, builder_.create<arith::ConstantIndexOp>(l, s.coeff));
    }
  }

  /// The run-time value (index) of a symbolic dim.
  Value dimValue(const sema::Dim &d, Location l) {
    Value v = builder_.create<arith::ConstantIndexOp>(l, d.constant);
    for (auto [sym, coeff] : d.terms) {
      Value s = symbols_.count(sym)
                    ? symbols_[sym]
                    : builder_.create<arith::ConstantIndexOp>(l, 0).getResult();
      Value c = builder_.create<arith::ConstantIndexOp>(l, coeff);
      v = builder_.create<arith::AddIOp>(
          l, v, builder_.create<arith::MulIOp>(l, s, c));
    }
    return v;
  }

  /// The scalar of a Const or full node, exact for integers.
  Value constantOf(const Node &n) {
    TensorMath math(builder_, loc(n.loc));
    Type elem = elemType(n.type.elem);
    if (isa<FloatType>(elem))
      return math.scalarConstant(elem, n.constant);
    return math.scalarConstant(elem, n.intConstant);
  }

  std::vector<Value> shapeValues(const sema::TensorType &t, Location l) {
    std::vector<Value> sizes;
    for (const sema::Dim &d : t.shape)
      sizes.push_back(dimValue(d, l));
    return sizes;
  }

  Value emitBody(const sema::Body &body, const std::vector<Value> &args,
                 const std::vector<sema::TensorType> &argTypes,
                 const std::function<Value(const Node &)> &paramValue,
                 const ParamsFn &applyParams,
                 const std::vector<sema::InstanceSpec> &instances,
                 const std::string &context) {
    values_.clear();
    bindSymbols(args, argTypes);
    for (const auto &owned : body.nodes) {
      const Node &n = *owned;
      Location l = loc(n.loc);
      TensorMath math(builder_, l);
      Value v;
      switch (n.op) {
      case Op::Arg:
        v = args[n.index];
        break;
      case Op::Param:
        v = paramValue(n);
        break;
      case Op::Const:
        v = constantOf(n);
        break;
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div: {
        BinaryKind kind = n.op == Op::Add   ? BinaryKind::Add
                          : n.op == Op::Sub ? BinaryKind::Sub
                          : n.op == Op::Mul ? BinaryKind::Mul
                                            : BinaryKind::Div;
        v = math.binary(kind, values_[n.operands[0]], values_[n.operands[1]],
                        tensorType(n.type));
        break;
      }
      case Op::MatMul:
        v = inF32(n, math, [&](const Node &m, ArrayRef<Value> ops) {
          return math.matmul(ops[0], ops[1], tensorType(m.type));
        });
        break;
      case Op::Compare:
        v = math.compare(int(n.index) - int(ast::BinaryOp::Lt),
                         values_[n.operands[0]], values_[n.operands[1]],
                         tensorType(n.type));
        break;
      case Op::Neg:
        v = math.neg(values_[n.operands[0]]);
        break;
      case Op::Unary:
        v = inF32(n, math, [&](const Node &m, ArrayRef<Value> ops) {
          return math.unary(m.builtin, ops[0]);
        });
        break;
      case Op::Builtin:
        // Run-time conditions sema could not decide (an empty axis of max).
        for (const sema::DimCheck &c : n.checks)
          builder_.create<mod::CheckLeOp>(
              l, dimValue(c.lhs, l), dimValue(c.rhs, l),
              builder_.getStringAttr(context + ": " + c.message));
        v = vocab::computesValues(vocab::entry(n.builtin).rule)
                ? inF32(n, math,
                        [&](const Node &m, ArrayRef<Value> ops) {
                          return emitBuiltin(m, ops, math, l, context);
                        })
                : emitBuiltin(n, operandValues(n), math, l, context);
        break;
      case Op::Route:
        v = emitRoute(n, l, applyParams, instances);
        break;
      case Op::CallEntry: {
        SmallVector<Value> operands;
        for (Node *o : n.operands)
          operands.push_back(values_[o]);
        SmallVector<Type> results;
        for (const sema::TensorType &t : n.tupleTypes)
          results.push_back(tensorType(t));
        auto call = builder_.create<func::CallOp>(l, n.name, results, operands);
        callResults_[&n] = call.getResults();
        v = call.getResult(0);
        break;
      }
      case Op::TupleGet:
        v = callResults_[n.operands[0]][n.index];
        break;
      case Op::Slice:
        v = emitSlice(n, l, context);
        break;
      case Op::Apply: {
        const sema::InstanceSpec &inst = instances[n.index];
        std::vector<Value> operands = applyParams(n.index, n.element, l);
        int64_t numParams = int64_t(operands.size());
        for (Node *o : n.operands)
          operands.push_back(values_[o]);
        std::string instName = inst.name;
        if (inst.isArray)
          instName += "." + std::to_string(n.element);
        const sema::ModuleSpec *callee = n.callee ? n.callee : inst.module;
        v = emitApply(l, moduleFns_[callee].getSymName(), instName, numParams,
                      SmallVector<Value>(operands.begin(), operands.end()),
                      tensorType(n.type));
        break;
      }
      }
      values_[&n] = v;
    }
    return body.results.empty() ? Value() : values_[body.results.front()];
  }

  MLIRContext &ctx_;
  const sema::Program &program_;
  OpBuilder builder_;
  StringAttr filename_;
  std::map<const sema::ModuleSpec *, func::FuncOp> moduleFns_;
  std::map<const sema::ModuleSpec *, std::vector<sema::FlatParam>> localParams_;
  std::map<const Node *, Value> values_;
  std::map<const Node *, SmallVector<Value>> callResults_;
  std::map<int, Value> symbols_;
  std::string entryName_;

  /// `n` (a builtin) on `ops`, its operands' values (null for a literal,
  /// which the builtin emits itself).
  Value emitBuiltin(const Node &n, ArrayRef<Value> ops, TensorMath &math,
                    Location l, const std::string &context);
  Value emitSlice(const Node &n, Location l, const std::string &context);
  /// A module function taking and returning f32 rows for module `callee`
  /// of f16/bf16 rows: per-row routing of half values (emitRoute).
  StringRef f32Rows(StringRef callee);
  std::map<std::string, func::FuncOp> f32Wrappers_;

  /// `v` as `type` (a tensor.cast) when they differ: a rank-polymorphic
  /// module's instantiation takes its batch dims as dynamic (`...`), which
  /// a caller may pass with static sizes.
  Value castTo(Value v, Type type, Location l) {
    return v.getType() == type
               ? v
               : builder_.create<tensor::CastOp>(l, type, v).getResult();
  }

  /// A mod.apply of module function `fn` (symbol `callee`) on `operands`
  /// (its parameters, then its inputs), each cast to `fn`'s argument type
  /// and the result cast to `resultType` (see castTo).
  Value emitApply(Location l, StringRef callee, StringRef instance,
                  int64_t numParams, SmallVector<Value> operands,
                  Type resultType) {
    auto module =
        builder_.getBlock()->getParentOp()->getParentOfType<ModuleOp>();
    auto fn = module.lookupSymbol<func::FuncOp>(callee);
    FunctionType type = fn.getFunctionType();
    for (auto [v, t] : llvm::zip(operands, type.getInputs()))
      v = castTo(v, t, l);
    Value y = builder_
                  .create<mod::ApplyOp>(l, type.getResults(),
                                        FlatSymbolRefAttr::get(&ctx_, callee),
                                        builder_.getStringAttr(instance),
                                        builder_.getI64IntegerAttr(numParams),
                                        ValueRange(operands))
                  .getResult(0);
    return castTo(y, resultType, l);
  }

  /// The values of `n`'s operands (null for a literal).
  SmallVector<Value> operandValues(const Node &n) {
    SmallVector<Value> ops;
    for (Node *o : n.operands)
      ops.push_back(values_[o]);
    return ops;
  }

  /// Emits `n` with its f16/bf16 operands extended to f32 and its result
  /// rounded back (once, to nearest even): what PyTorch's CPU kernels do.
  /// `emit` gets `n` (typed f32 where it was half) and the operand values.
  Value inF32(const Node &n, TensorMath &math,
              const std::function<Value(const Node &, ArrayRef<Value>)> &emit) {
    SmallVector<Value> ops = operandValues(n);
    bool any = ast::isHalfFloat(n.type.elem);
    for (Node *o : n.operands)
      any |= ast::isHalfFloat(o->type.elem);
    if (!any)
      return emit(n, ops);
    for (auto [o, v] : llvm::zip(n.operands, ops)) {
      if (!ast::isHalfFloat(o->type.elem) || !v)
        continue;
      // A scalar (a literal operand) is extended as a scalar.
      v = isa<RankedTensorType>(v.getType())
              ? math.cast(v, builder_.getF32Type())
              : builder_.create<arith::ExtFOp>(v.getLoc(),
                                               builder_.getF32Type(), v);
    }
    Node wide = n;
    if (ast::isHalfFloat(wide.type.elem))
      wide.type.elem = ast::ElemType::F32;
    Value v = emit(wide, ops);
    return ast::isHalfFloat(n.type.elem) && v
               ? math.cast(v, elemType(n.type.elem))
               : v;
  }
  Value emitRoute(const Node &n, Location l, const ParamsFn &applyParams,
                  const std::vector<sema::InstanceSpec> &instances);
  std::string describeValue(const Node *n) const {
    if (n->op == Op::Arg)
      return "argument '" + n->name + "'";
    return "a computed value";
  }
};

Value Importer::emitSlice(const Node &n, Location l,
                          const std::string &context) {
  for (const sema::DimCheck &c : n.checks)
    builder_.create<mod::CheckLeOp>(
        l, dimValue(c.lhs, l), dimValue(c.rhs, l),
        builder_.getStringAttr(context + ": " + c.message));
  auto fold = [&](const sema::Dim &d) -> OpFoldResult {
    if (d.isStatic())
      return builder_.getIndexAttr(d.constant);
    return dimValue(d, l);
  };
  // A dropped dim has size 1 in the box and is not in the result type: a
  // rank-reducing extract_slice.
  SmallVector<OpFoldResult> offsets, sizes, strides;
  size_t kept = 0;
  for (size_t k = 0; k < n.offsets.size(); ++k) {
    bool dropped = llvm::is_contained(n.ints, int64_t(k));
    offsets.push_back(fold(n.offsets[k]));
    sizes.push_back(dropped ? OpFoldResult(builder_.getIndexAttr(1))
                            : fold(n.type.shape[kept++]));
    strides.push_back(builder_.getIndexAttr(1));
  }
  Value source = values_.at(n.operands[0]);
  if (n.checks.empty())
    return builder_.create<tensor::ExtractSliceOp>(
        l, tensorType(n.type), source, offsets, sizes, strides);
  // A box sema could not prove in bounds: its check fails the call, but the
  // code after it still runs, so it reads only the part of the box inside
  // the source (clamped offsets and sizes) into a zero-filled box of the
  // promised sizes, never past the source's buffer.
  auto index = [&](OpFoldResult r) {
    return getValueOrCreateConstantIndexOp(builder_, l, r);
  };
  Value zero = builder_.create<arith::ConstantIndexOp>(l, 0);
  auto clamp = [&](Value v, Value hi) {
    return builder_.create<arith::MinSIOp>(
        l, builder_.create<arith::MaxSIOp>(l, v, zero), hi);
  };
  auto sourceType = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> inOffsets, inSizes, boxSizes, boxOffsets;
  SmallVector<int64_t> boxShape;
  for (size_t k = 0; k < offsets.size(); ++k) {
    Value extent = builder_.create<tensor::DimOp>(l, source, k);
    Value offset = clamp(index(offsets[k]), extent);
    Value size = index(sizes[k]);
    Value left = builder_.create<arith::SubIOp>(l, extent, offset);
    inOffsets.push_back(offset);
    inSizes.push_back(clamp(size, left).getResult());
    std::optional<int64_t> fixed = getConstantIntValue(sizes[k]);
    boxShape.push_back(fixed ? std::max<int64_t>(*fixed, 0)
                             : ShapedType::kDynamic);
    boxSizes.push_back(
        fixed
            ? OpFoldResult(builder_.getIndexAttr(boxShape.back()))
            : OpFoldResult(
                  builder_.create<arith::MaxSIOp>(l, size, zero).getResult()));
    boxOffsets.push_back(builder_.getIndexAttr(0));
  }
  auto boxType = RankedTensorType::get(boxShape, sourceType.getElementType());
  SmallVector<Value> allSizes;
  for (OpFoldResult size : boxSizes)
    allSizes.push_back(index(size));
  TensorMath math(builder_, l);
  Value box = math.filled(boxType, allSizes,
                          math.scalarConstant(boxType.getElementType(), 0.0));
  Value inside = builder_.create<tensor::ExtractSliceOp>(l, source, inOffsets,
                                                         inSizes, strides);
  box = builder_.create<tensor::InsertSliceOp>(l, inside, box, boxOffsets,
                                               inSizes, strides);
  return builder_.create<tensor::ExtractSliceOp>(l, tensorType(n.type), box,
                                                 boxOffsets, boxSizes, strides);
}

Value Importer::emitBuiltin(const Node &n, ArrayRef<Value> ops,
                            TensorMath &math, Location l,
                            const std::string &context) {
  const std::string &name = n.name;
  auto operand = [&](size_t i) { return ops[i]; };
  RankedTensorType type = tensorType(n.type);
  // Ids are checked where they are read: one message names the entry, the
  // builtin and the value.
  auto checkIds = [&](size_t operandIndex, Value bound) {
    builder_.create<mod::CheckIndexOp>(
        l, operand(operandIndex), bound,
        builder_.getStringAttr(context + ": " + name + " id in " +
                               describeValue(n.operands[operandIndex])));
  };
  using vocab::Builtin;
  switch (n.builtin) {
  case Builtin::Softmax:
  case Builtin::LogSoftmax:
    return math.softmax(operand(0), n.ints[0],
                        n.builtin == Builtin::LogSoftmax);
  case Builtin::Argmax:
    return math.argmax(operand(0), n.ints[0]);
  case Builtin::Sum:
  case Builtin::Mean:
  case Builtin::Max:
  case Builtin::Min:
    return math.reduce(n.builtin, operand(0), n.ints[0], n.flag,
                       /*wide=*/true);
  case Builtin::Full:
    return math.filled(type, shapeValues(n.type, l), constantOf(n));
  case Builtin::Eye:
  case Builtin::Arange:
    return math.constantTensor(n.builtin, type, shapeValues(n.type, l),
                               n.constant);
  case Builtin::Kron:
    return math.kron(operand(0), operand(1), type);
  case Builtin::Pow:
  case Builtin::Minimum:
  case Builtin::Maximum:
  case Builtin::Clamp:
  case Builtin::Where: {
    SmallVector<Value> args;
    for (size_t i = 0; i < n.operands.size(); ++i)
      args.push_back(operand(i));
    return math.pointwise(n.builtin, args, type);
  }
  case Builtin::Layernorm:
    return math.layernorm(operand(0), operand(1), operand(2), n.constant);
  case Builtin::Rmsnorm:
    return math.rmsnorm(operand(0), operand(1), n.constant);
  case Builtin::Concat: {
    SmallVector<Value> parts;
    for (size_t i = 0; i < n.operands.size(); ++i)
      parts.push_back(operand(i));
    return math.concat(parts, n.ints[0], type);
  }
  case Builtin::Reshape:
    return math.reshape(operand(0), type, shapeValues(n.type, l));
  case Builtin::Expand:
    return math.expand(operand(0), type, shapeValues(n.type, l));
  case Builtin::Transpose:
    return math.transpose(operand(0), n.ints);
  case Builtin::Embedding:
    checkIds(1, math.dimSize(operand(0), 0));
    return math.embedding(operand(0), operand(1), type);
  case Builtin::Onehot:
    checkIds(0, builder_.create<arith::ConstantIndexOp>(l, n.ints[0]));
    return math.onehot(operand(0), n.ints[0], type);
  case Builtin::Cast:
    return math.cast(operand(0), type.getElementType());
  case Builtin::Attention:
    if (n.flag) {
      Value tq = math.dimSize(operand(0), 1);
      Value tk = math.dimSize(operand(1), 1);
      builder_.create<mod::CheckLeOp>(
          l, tq, tk,
          builder_.getStringAttr(context +
                                 ": causal attention needs at least as many "
                                 "keys as queries (Tq <= Tk)"));
    }
    return math.attention(operand(0), operand(1), operand(2), n.ints[0], n.flag,
                          n.operands.size() > 3 ? operand(3) : Value());
  case Builtin::Mse:
    return math.mse(math.cast(operand(0), builder_.getF32Type()),
                    math.cast(operand(1), builder_.getF32Type()));
  case Builtin::CrossEntropy:
    checkIds(1, math.dimSize(operand(0), n.operands[0]->type.rank() - 1));
    return math.crossEntropy(math.cast(operand(0), builder_.getF32Type()),
                             operand(1));
  case Builtin::LoadBalance:
    return math.loadBalance(math.cast(operand(0), builder_.getF32Type()),
                            n.ints[0]);
  case Builtin::ZLoss:
    return math.zLoss(math.cast(operand(0), builder_.getF32Type()));
  case Builtin::Relu:
  case Builtin::Gelu:
  case Builtin::Silu:
  case Builtin::Sigmoid:
  case Builtin::Tanh:
  case Builtin::Exp:
  case Builtin::Log:
  case Builtin::Sqrt:
  case Builtin::Abs:
  case Builtin::Softplus:
    return math.unary(n.builtin, operand(0));
  case Builtin::Split: // Slice nodes, one per piece
    break;
  }
  emitError(l) << "internal error: no lowering for builtin '" << name << "'";
  return Value();
}

Value Importer::emitRoute(const Node &n, Location l,
                          const ParamsFn &applyParams,
                          const std::vector<sema::InstanceSpec> &instances) {
  const sema::RouteInfo &info = *n.route;
  TensorMath math(builder_, l);
  Value x = values_[n.operands[0]];
  auto xt = cast<RankedTensorType>(x.getType());
  RankedTensorType resultType = tensorType(n.type);
  int64_t E = int64_t(info.targets.size());
  auto calleeOf = [&](size_t t) {
    return moduleFns_[info.callees.empty()
                          ? instances[info.targets[t].first].module
                          : info.callees[t]]
        .getSymName();
  };
  auto instName = [&](size_t t) {
    const sema::InstanceSpec &inst = instances[info.targets[t].first];
    return inst.isArray
               ? inst.name + "." + std::to_string(info.targets[t].second)
               : inst.name;
  };
  auto apply = [&](size_t t, ArrayRef<Value> params, Value input, Type result,
                   const std::string &instance) {
    SmallVector<Value> operands(params.begin(), params.end());
    operands.push_back(input);
    return emitApply(l, calleeOf(t), instance, int64_t(params.size()), operands,
                     result);
  };

  using vocab::Aggregation;
  using vocab::Router;
  if (info.router == Router::Fixed || info.router == Router::All) {
    std::vector<size_t> chosen;
    if (info.router == Router::Fixed)
      chosen.assign(info.fixed.begin(), info.fixed.end());
    else
      for (int64_t t = 0; t < E; ++t)
        chosen.push_back(size_t(t));
    const sema::ModuleSpec &m0 = info.callees.empty()
                                     ? *instances[info.targets[0].first].module
                                     : *info.callees[0];
    RankedTensorType outType = tensorType(m0.resultType);
    Aggregation agg = info.aggregation;
    // The target outputs have x's dyns bound; compute their type from the
    // first application.
    if (agg == Aggregation::Merge) {
      // Parameters summed tensor by tensor (task arithmetic), one call.
      std::vector<Value> summed;
      for (size_t c = 0; c < chosen.size(); ++c) {
        std::vector<Value> ps = applyParams(info.targets[chosen[c]].first,
                                            info.targets[chosen[c]].second, l);
        if (c == 0) {
          summed = ps;
          continue;
        }
        for (size_t i = 0; i < ps.size(); ++i)
          summed[i] = math.binary(BinaryKind::Add, summed[i], ps[i],
                                  cast<RankedTensorType>(ps[i].getType()));
      }
      return apply(chosen[0], summed, x, resultType, "merge");
    }
    SmallVector<Value> outs;
    RankedTensorType rowType = agg == Aggregation::Sum ||
                                       agg == Aggregation::Mean ||
                                       agg == Aggregation::Max
                                   ? resultType
                                   : outType;
    if (agg == Aggregation::Concat || agg == Aggregation::Custom) {
      // Per-target result type: the route result with the last dim (concat)
      // or the stacked dim (custom) removed.
      SmallVector<int64_t> shape(resultType.getShape());
      if (agg == Aggregation::Concat) {
        if (!ShapedType::isDynamic(shape.back()))
          shape.back() /= int64_t(chosen.size());
        rowType = RankedTensorType::get(shape, resultType.getElementType());
      }
    }
    if (agg == Aggregation::Custom) {
      // The target result type with x's dims: take it from x where the
      // module maps rows through.
      SmallVector<int64_t> shape(outType.getShape());
      for (size_t k = 0; k < shape.size() && k < size_t(xt.getRank()); ++k)
        if (ShapedType::isDynamic(shape[k]))
          shape[k] = xt.getDimSize(k);
      rowType = RankedTensorType::get(shape, outType.getElementType());
    }
    for (size_t t : chosen) {
      std::vector<Value> ps =
          applyParams(info.targets[t].first, info.targets[t].second, l);
      outs.push_back(apply(t, ps, x, rowType, instName(t)));
    }
    if (agg == Aggregation::Custom) {
      SmallVector<int64_t> stacked(rowType.getShape());
      stacked.insert(stacked.end() - 1, int64_t(chosen.size()));
      auto stackType = RankedTensorType::get(stacked, rowType.getElementType());
      Value outsStacked = builder_.create<mod::AggregateOp>(
          l, stackType, mod::Aggregation::Stack, outs);
      const sema::InstanceSpec &aggInst = instances[info.aggInstance];
      std::vector<Value> ps = applyParams(info.aggInstance, info.aggElement, l);
      SmallVector<Value> operands(ps.begin(), ps.end());
      operands.push_back(x);
      operands.push_back(outsStacked);
      std::string name =
          aggInst.isArray ? aggInst.name + "." + std::to_string(info.aggElement)
                          : aggInst.name;
      return emitApply(
          l,
          moduleFns_[info.aggCallee ? info.aggCallee : aggInst.module]
              .getSymName(),
          name, int64_t(ps.size()), operands, resultType);
    }
    if (outs.size() == 1 && agg != Aggregation::Concat)
      return outs[0];
    Type elem = resultType.getElementType();
    if (!elem.isF16() && !elem.isBF16())
      return builder_.create<mod::AggregateOp>(l, resultType,
                                               aggregationOf(agg), outs);
    // f16/bf16 outputs are combined in f32 and rounded once (§3).
    for (Value &o : outs)
      o = math.cast(o, builder_.getF32Type());
    Value combined = builder_.create<mod::AggregateOp>(
        l, RankedTensorType::get(resultType.getShape(), builder_.getF32Type()),
        aggregationOf(agg), outs);
    return math.cast(combined, elem);
  }

  // Per-row routing: flatten the routed dims into R rows.
  int64_t level = info.level;
  auto collapseLeading = [&](Value v, int64_t lead) -> Value {
    auto t = cast<RankedTensorType>(v.getType());
    if (lead == 1)
      return v;
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices first;
    for (int64_t i = 0; i < lead; ++i)
      first.push_back(i);
    groups.push_back(first);
    for (int64_t i = lead; i < t.getRank(); ++i)
      groups.push_back({i});
    return builder_.create<tensor::CollapseShapeOp>(l, v, groups);
  };
  // f16/bf16 rows travel as f32 (exact) to f32 wrappers of the targets,
  // which round them back, apply the module and widen its result; the
  // weighted combination is computed in f32 and rounded once (§3).
  Type halfElem = resultType.getElementType();
  bool halfRows = halfElem.isF16() || halfElem.isBF16();
  if (halfRows) {
    x = math.cast(x, builder_.getF32Type());
    resultType =
        RankedTensorType::get(resultType.getShape(), builder_.getF32Type());
  }
  Value rows = collapseLeading(x, level);
  Value decision = values_[n.operands[1]];
  Value flatDecision = collapseLeading(decision, level);
  auto rowsType = cast<RankedTensorType>(rows.getType());
  bool byIds = info.router == Router::Task || info.router == Router::Hash;
  int64_t K = info.router == Router::Topk ? info.k : byIds ? 1 : E;
  auto idxType =
      RankedTensorType::get({rowsType.getDimSize(0), K}, builder_.getI64Type());
  auto wType =
      RankedTensorType::get({rowsType.getDimSize(0), K}, builder_.getF32Type());
  // Decisions work on f32 logits.
  if (!byIds)
    flatDecision = math.cast(flatDecision, builder_.getF32Type());
  Value idx, w;
  auto numTargets = builder_.getI64IntegerAttr(E);
  switch (info.router) {
  case Router::Topk: {
    auto op = builder_.create<mod::TopkDecisionOp>(
        l, idxType, wType, flatDecision, numTargets,
        builder_.getI64IntegerAttr(info.k),
        builder_.getBoolAttr(info.normalize),
        builder_.getF64FloatAttr(info.capacity),
        builder_.getStringAttr("lower_index"));
    idx = op.getIndices();
    w = op.getWeights();
    break;
  }
  case Router::Softmax: {
    auto op = builder_.create<mod::SoftmaxDecisionOp>(l, idxType, wType,
                                                      flatDecision, numTargets);
    idx = op.getIndices();
    w = op.getWeights();
    break;
  }
  case Router::ExpertChoice: {
    auto op = builder_.create<mod::ExpertChoiceDecisionOp>(
        l, idxType, wType, flatDecision, numTargets,
        builder_.getF64FloatAttr(info.capacity));
    idx = op.getIndices();
    w = op.getWeights();
    break;
  }
  case Router::Task: {
    auto op = builder_.create<mod::TaskDecisionOp>(
        l, idxType, wType, flatDecision, numTargets,
        builder_.getStringAttr(entryName_.empty() ? "module" : entryName_),
        builder_.getStringAttr(n.operands[1]->op == Op::Arg
                                   ? n.operands[1]->name
                                   : std::string("ids")));
    idx = op.getIndices();
    w = op.getWeights();
    break;
  }
  case Router::Hash: {
    auto op = builder_.create<mod::HashDecisionOp>(l, idxType, wType,
                                                   flatDecision, numTargets);
    idx = op.getIndices();
    w = op.getWeights();
    break;
  }
  case Router::Weights: {
    auto op = builder_.create<mod::WeightsDecisionOp>(l, idxType, wType,
                                                      flatDecision, numTargets);
    idx = op.getIndices();
    w = op.getWeights();
    break;
  }
  case Router::Fixed:
  case Router::All:
    emitError(l) << "internal error: global router in a per-row route";
    return Value();
  }

  SmallVector<Value> params;
  SmallVector<Attribute> targets, names;
  SmallVector<int64_t> segments;
  for (size_t t = 0; t < info.targets.size(); ++t) {
    std::vector<Value> ps =
        applyParams(info.targets[t].first, info.targets[t].second, l);
    params.append(ps.begin(), ps.end());
    segments.push_back(int64_t(ps.size()));
    StringRef callee = calleeOf(t);
    if (halfRows)
      callee = f32Rows(callee);
    targets.push_back(FlatSymbolRefAttr::get(&ctx_, callee));
    names.push_back(builder_.getStringAttr(instName(t)));
  }
  SmallVector<int64_t> outShape = {rowsType.getDimSize(0)};
  for (int64_t k = level; k < resultType.getRank(); ++k)
    outShape.push_back(resultType.getDimSize(k));
  auto outType = RankedTensorType::get(outShape, resultType.getElementType());
  // Targets instantiated from a rank-polymorphic module take the dims
  // after the rows as dynamic: the rows and the result as the targets'
  // types (when the targets agree), cast back after the route.
  auto module = builder_.getBlock()->getParentOp()->getParentOfType<ModuleOp>();
  SmallVector<FunctionType> targetTypes;
  for (Attribute t : targets)
    targetTypes.push_back(
        module.lookupSymbol<func::FuncOp>(cast<FlatSymbolRefAttr>(t).getAttr())
            .getFunctionType());
  auto relaxed = [&](RankedTensorType type, Type like) {
    auto lt = cast<RankedTensorType>(like);
    if (lt.getRank() != type.getRank())
      return type;
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t i = 1; i < type.getRank(); ++i)
      if (lt.isDynamicDim(i))
        shape[i] = ShapedType::kDynamic;
    return RankedTensorType::get(shape, type.getElementType());
  };
  RankedTensorType dispatchType = outType;
  if (llvm::all_equal(targetTypes)) {
    FunctionType ft = targetTypes.front();
    rows = castTo(rows, relaxed(rowsType, ft.getInputs().back()), l);
    dispatchType = relaxed(outType, ft.getResult(0));
  }
  SmallVector<Value> resultDims;
  for (int64_t k = level; k < resultType.getRank(); ++k) {
    if (resultType.isDynamicDim(k))
      resultDims.push_back(dimValue(n.type.shape[k], l));
    else if (dispatchType.isDynamicDim(k - level + 1))
      resultDims.push_back(
          builder_.create<arith::ConstantIndexOp>(l, resultType.getDimSize(k)));
  }
  Value y = builder_.create<mod::DispatchOp>(
      l, dispatchType, rows, idx, w, params, resultDims,
      builder_.getArrayAttr(targets), builder_.getArrayAttr(names),
      builder_.getDenseI64ArrayAttr(segments),
      mod::AggregationAttr::get(&ctx_, aggregationOf(info.aggregation)),
      builder_.getI64IntegerAttr(level), mod::DispatchStrategyAttr());
  y = castTo(y, outType, l);
  if (level != 1) {
    // Rows back to the routed dims. tensor.reshape, not expand_shape: the
    // routed dims are usually several dynamic dims in one group, which
    // expand_shape's bufferization cannot handle in MLIR 19.
    SmallVector<Value> sizes;
    for (int64_t i = 0; i < resultType.getRank(); ++i)
      sizes.push_back(i < level ? math.dimSize(x, i)
                                : math.dimSize(y, i - level + 1));
    y = math.reshape(y, resultType, sizes);
  }
  return halfRows ? math.cast(y, halfElem) : y;
}

StringRef Importer::f32Rows(StringRef callee) {
  auto memo = f32Wrappers_.find(callee.str());
  if (memo != f32Wrappers_.end())
    return memo->second.getSymName();
  auto module = cast<ModuleOp>(
      builder_.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>());
  auto fn = module.lookupSymbol<func::FuncOp>(callee);
  FunctionType type = fn.getFunctionType();
  unsigned numParams = type.getNumInputs() - 1;
  auto widen = [&](Type t) {
    auto r = cast<RankedTensorType>(t);
    return RankedTensorType::get(r.getShape(), builder_.getF32Type());
  };
  SmallVector<Type> inputs(type.getInputs().begin(),
                           type.getInputs().end() - 1);
  inputs.push_back(widen(type.getInput(numParams)));
  OpBuilder::InsertionGuard guard(builder_);
  builder_.setInsertionPoint(fn);
  Location l = fn.getLoc();
  auto wrapper = builder_.create<func::FuncOp>(
      l, (callee + ".f32rows").str(),
      builder_.getFunctionType(inputs, {widen(type.getResult(0))}));
  wrapper.setPrivate();
  wrapper->setAttr(mod::kModuleAttr, fn->getAttr(mod::kModuleAttr));
  SmallVector<DictionaryAttr> argAttrs(inputs.size(),
                                       builder_.getDictionaryAttr({}));
  for (unsigned i = 0; i < numParams; ++i)
    if (Attribute a = fn.getArgAttr(i, mod::kParamArgAttr))
      argAttrs[i] = builder_.getDictionaryAttr(
          builder_.getNamedAttr(mod::kParamArgAttr, a));
  wrapper.setAllArgAttrs(argAttrs);
  Block *block = wrapper.addEntryBlock();
  builder_.setInsertionPointToStart(block);
  TensorMath math(builder_, l);
  SmallVector<Value> operands(block->args_begin(),
                              block->args_begin() + numParams);
  operands.push_back(math.cast(
      block->getArgument(numParams),
      cast<RankedTensorType>(type.getInput(numParams)).getElementType()));
  // The module's body itself, not an application of it, so that a route
  // over instances of the wrapper is fusable like one over the module
  // (mod-fuse-routed-experts does not look into applications).
  Value y;
  if (fn.getBody().hasOneBlock()) {
    IRMapping map;
    for (auto [arg, v] : llvm::zip(fn.getArguments(), operands))
      map.map(arg, v);
    Block &body = fn.getBody().front();
    for (Operation &op : body.without_terminator())
      builder_.clone(op, map);
    y = map.lookup(body.getTerminator()->getOperand(0));
  } else {
    y = builder_
            .create<mod::ApplyOp>(
                l, type.getResults(), FlatSymbolRefAttr::get(fn),
                builder_.getStringAttr(""),
                builder_.getI64IntegerAttr(numParams), operands)
            .getResult(0);
  }
  builder_.create<func::ReturnOp>(
      l, ValueRange{math.cast(y, builder_.getF32Type())});
  f32Wrappers_[callee.str()] = wrapper;
  return wrapper.getSymName();
}

} // namespace

OwningOpRef<ModuleOp> importProgram(MLIRContext &context,
                                    const sema::Program &program,
                                    StringRef filename) {
  loadDialects(context);
  Importer importer(context, program, filename);
  return importer.run();
}

} // namespace modc
