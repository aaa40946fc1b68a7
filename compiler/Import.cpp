//===- Import.cpp - Checked program to the mod dialect --------------------===//
//
// Each instantiated module becomes a private func.func whose leading
// arguments are the parameters of its whole instance subtree (state_dict
// order, names relative to the instance); each entry becomes a public
// func.func reading model parameters with mod.param_ref. Applying an
// instance is a mod.apply that passes the instance's parameter slice.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import.h"

#include "compiler/TensorMath.h"
#include "dialects/Mod/ModDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <map>

using namespace mlir;

namespace modc {

void loadDialects(MLIRContext &context) {
  context.loadDialect<mod::ModDialect, func::FuncDialect, arith::ArithDialect,
                      math::MathDialect, linalg::LinalgDialect,
                      tensor::TensorDialect, bufferization::BufferizationDialect,
                      memref::MemRefDialect>();
}

namespace {

using sema::Node;
using sema::Op;

class Importer {
public:
  Importer(MLIRContext &ctx, const sema::Program &program, StringRef filename)
      : ctx_(ctx), program_(program), builder_(&ctx),
        filename_(StringAttr::get(&ctx, filename)) {}

  OwningOpRef<ModuleOp> run() {
    auto module = ModuleOp::create(loc({1, 1}));
    module->setAttr("mod.model", builder_.getStringAttr(program_.modelName));
    builder_.setInsertionPointToEnd(module.getBody());
    for (const sema::FlatParam &p : program_.flatParams())
      declareParam(p);
    for (const auto &m : program_.modules)
      declareModule(*m);
    for (const auto &m : program_.modules)
      defineModule(*m);
    for (const sema::EntrySpec &e : program_.entries)
      defineEntry(e);
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

  void declareParam(const sema::FlatParam &p) {
    SmallVector<Attribute> args;
    for (double a : p.initArgs)
      args.push_back(builder_.getF64FloatAttr(a));
    auto op = builder_.create<mod::ParamOp>(
        loc({}), builder_.getStringAttr(p.name),
        TypeAttr::get(tensorType(p.type)),
        builder_.getStringAttr(sema::initKindName(p.init)),
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
    auto fnType =
        builder_.getFunctionType(inputs, {tensorType(m.resultType)});
    auto fn = builder_.create<func::FuncOp>(loc(m.loc), m.mangledName, fnType);
    fn.setPrivate();
    fn->setAttr(mod::kModuleAttr, builder_.getStringAttr(m.displayName));
    for (size_t i = 0; i < flat.size(); ++i)
      fn.setArgAttr(i, mod::kParamArgAttr,
                    builder_.getStringAttr(flat[i].name));
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
    auto applyParams = [&](const Node &n) {
      const sema::InstanceSpec &inst = m.instances[n.index];
      auto [b, e] = sliceOf(flat, instancePrefix(inst, n.element));
      return std::vector<Value>(params.begin() + b, params.begin() + e);
    };
    Value result =
        emitBody(m.body, args, paramValue, applyParams, m.instances);
    builder_.create<func::ReturnOp>(loc(m.loc), ValueRange{result});
  }

  void defineEntry(const sema::EntrySpec &e) {
    SmallVector<Type> inputs, results;
    for (const sema::TensorType &t : e.argTypes)
      inputs.push_back(tensorType(t));
    for (const sema::TensorType &t : e.resultTypes)
      results.push_back(tensorType(t));
    auto fn = builder_.create<func::FuncOp>(
        loc(e.loc), e.name, builder_.getFunctionType(inputs, results));
    fn->setAttr(mod::kEntryAttr, builder_.getUnitAttr());
    SmallVector<Attribute> argNames;
    for (const std::string &n : e.argNames)
      argNames.push_back(builder_.getStringAttr(n));
    fn->setAttr("mod.arg_names", builder_.getArrayAttr(argNames));
    Block *block = fn.addEntryBlock();
    OpBuilder::InsertionGuard guard(builder_);
    builder_.setInsertionPointToStart(block);
    std::vector<Value> args(block->args_begin(), block->args_end());
    std::vector<sema::FlatParam> flat = program_.flatParams();
    auto paramValue = [&](const Node &n) -> Value {
      const sema::ParamSpec &p = program_.params[n.index];
      return builder_.create<mod::ParamRefOp>(
          loc(n.loc), tensorType(p.type),
          FlatSymbolRefAttr::get(&ctx_, p.name));
    };
    auto applyParams = [&](const Node &n) {
      const sema::InstanceSpec &inst = program_.instances[n.index];
      auto [b, en] = sliceOf(flat, instancePrefix(inst, n.element));
      std::vector<Value> values;
      for (size_t i = b; i < en; ++i)
        values.push_back(builder_.create<mod::ParamRefOp>(
            loc(n.loc), tensorType(flat[i].type),
            FlatSymbolRefAttr::get(&ctx_, flat[i].name)));
      return values;
    };
    SmallVector<Value> values;
    Value last = emitBody(e.body, args, paramValue, applyParams,
                          program_.instances);
    (void)last;
    for (Node *r : e.body.results)
      values.push_back(values_[r]);
    builder_.create<func::ReturnOp>(loc(e.loc), values);
  }

  template <typename ParamFn, typename ApplyFn>
  Value emitBody(const sema::Body &body, const std::vector<Value> &args,
                 ParamFn paramValue, ApplyFn applyParams,
                 const std::vector<sema::InstanceSpec> &instances) {
    values_.clear();
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
        v = math.scalarConstant(elemType(n.type.elem), n.constant);
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
        v = math.matmul(values_[n.operands[0]], values_[n.operands[1]],
                        tensorType(n.type));
        break;
      case Op::Neg:
        v = math.unary("neg", values_[n.operands[0]]);
        break;
      case Op::Unary:
        v = math.unary(n.name, values_[n.operands[0]]);
        break;
      case Op::Apply: {
        const sema::InstanceSpec &inst = instances[n.index];
        std::vector<Value> operands = applyParams(n);
        int64_t numParams = int64_t(operands.size());
        for (Node *o : n.operands)
          operands.push_back(values_[o]);
        std::string instName = inst.name;
        if (inst.isArray)
          instName += "." + std::to_string(n.element);
        auto apply = builder_.create<mod::ApplyOp>(
            l, TypeRange{tensorType(n.type)},
            FlatSymbolRefAttr::get(&ctx_,
                                   moduleFns_[inst.module].getSymName()),
            builder_.getStringAttr(instName),
            builder_.getI64IntegerAttr(numParams), ValueRange(operands));
        v = apply.getResult(0);
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
  std::map<const sema::ModuleSpec *, std::vector<sema::FlatParam>>
      localParams_;
  std::map<const Node *, Value> values_;
};

} // namespace

OwningOpRef<ModuleOp> importProgram(MLIRContext &context,
                                    const sema::Program &program,
                                    StringRef filename) {
  loadDialects(context);
  Importer importer(context, program, filename);
  return importer.run();
}

} // namespace modc
