//===- Differentiate.cpp - Reverse mode over a train block ----------------===//
//
// A train block arrives as an entry returning its loss (after routing is
// lowered and modules are inlined: one block of tensor-level ops). This pass
// appends the backward computation of the loss with respect to the
// parameters its update lines name, and returns their gradients after the
// loss (`mod.grads` lists them). Only what lies between an updated
// parameter and the loss is differentiated: a frozen parameter, or one no
// update line names, gets no adjoint, no gradient buffer and no work.
//
//===----------------------------------------------------------------------===//

#include "transforms/GradientRules.h"
#include "transforms/Passes.h"

#include "dialects/Mod/ModModel.h"
#include "ir/Stats.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/StringMap.h"

namespace modc {
#define GEN_PASS_DEF_DIFFERENTIATE
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

struct DifferentiatePass
    : public modc::impl::DifferentiateBase<DifferentiatePass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> trains;
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (mlir::mod::getTrainUpdates(fn))
        trains.push_back(fn);
    for (func::FuncOp fn : trains)
      if (failed(differentiate(fn)))
        return signalPassFailure();
    modc::recordStat(&getContext(), getArgument(), "train-blocks",
                     trains.size());
  }

  LogicalResult differentiate(func::FuncOp fn) {
    if (!fn.getBody().hasOneBlock())
      return fn.emitOpError("a train block must be one block after inlining");
    Block &block = fn.getBody().front();
    auto ret = cast<func::ReturnOp>(block.getTerminator());
    if (ret.getNumOperands() != 1)
      return fn.emitOpError("a train block returns its loss alone");
    Value loss = ret.getOperand(0);

    // The updated parameters, in update-line order.
    SmallVector<StringRef> names;
    llvm::StringMap<Type> types;
    for (Attribute a : mlir::mod::getTrainUpdates(fn)) {
      auto update = cast<mlir::mod::UpdateAttr>(a);
      for (Attribute p : update.getParams())
        names.push_back(cast<FlatSymbolRefAttr>(p).getValue());
    }
    llvm::StringMap<unsigned> index;
    for (auto [i, n] : llvm::enumerate(names))
      index[n] = unsigned(i);
    auto module = fn->getParentOfType<ModuleOp>();
    for (auto p : module.getOps<mlir::mod::ParamOp>())
      if (index.count(p.getSymName()))
        types[p.getSymName()] = p.getType();
    for (StringRef n : names)
      if (!types.count(n))
        return fn.emitOpError() << "updates unknown parameter '" << n << "'";

    // Active values: float tensors that depend on an updated parameter and
    // that the loss depends on.
    SmallVector<Operation *> forward;
    for (Operation &op : block.without_terminator())
      forward.push_back(&op);
    llvm::DenseSet<Value> seeds;
    for (Operation *op : forward)
      if (auto ref = dyn_cast<mlir::mod::ParamRefOp>(op))
        if (index.count(ref.getName()))
          seeds.insert(ref.getResult());
    llvm::DenseSet<Value> active = modc::activeValues(forward, seeds, loss);

    OpBuilder b(ret);
    Location loc = ret.getLoc();
    modc::Adjoints adjoints(b, active);
    // The loss and the parameters have static shapes: their fills take no
    // sizes.
    modc::TensorMath math(b, loc);
    auto filled = [&](Type type, double v) {
      return math.constantTensor(modc::vocab::Builtin::Full,
                                 cast<RankedTensorType>(type), {}, v);
    };
    if (active.contains(loss))
      adjoints.add(loss, filled(loss.getType(), 1.0));
    for (Operation *op : llvm::reverse(forward))
      if (failed(adjoints.propagate(op)))
        return failure();

    // Each parameter's gradient: the sum over its reads, zero if the loss
    // does not depend on it. Gradients are f32 whatever the parameter's
    // type (LANGUAGE.md §10: f16/bf16 parameters update in f32 and round):
    // a half parameter read only through widenings to f32 (the importer's
    // rule for half operands) takes the sum of the widened values' f32
    // adjoints, unrounded; read otherwise, its own adjoint, widened.
    auto gradType = [&](Type t) {
      auto tensor = cast<RankedTensorType>(t);
      return RankedTensorType::get(tensor.getShape(),
                                   Float32Type::get(&getContext()));
    };
    llvm::DenseSet<Operation *> forwardOps(forward.begin(), forward.end());
    SmallVector<Value> grads(names.size());
    for (Operation *op : forward) {
      auto ref = dyn_cast<mlir::mod::ParamRefOp>(op);
      if (!ref || !index.count(ref.getName()))
        continue;
      RankedTensorType type = gradType(ref.getType());
      SmallVector<Value> parts;
      bool widenedOnly = ref.getType() != type;
      // Its forward readers (the backward ops read it too): a read inside
      // an op's region (an embedding's tensor.extract) counts as that op's.
      SmallVector<Operation *> readers;
      for (Operation *user : ref->getUsers()) {
        while (user && !forwardOps.contains(user))
          user = user->getParentOp();
        if (user && !llvm::is_contained(readers, user))
          readers.push_back(user);
      }
      for (Operation *user : readers)
        widenedOnly &= modc::widenedFrom(user) != nullptr &&
                       user->getResult(0).getType() == type;
      if (widenedOnly) {
        for (Operation *user : readers)
          if (Value d = adjoints.get(user->getResult(0)))
            parts.push_back(d);
      } else if (Value d = adjoints.get(ref.getResult())) {
        // An f32 sum rounded to the half type (a bias's reduction over
        // rows, GradientRules): the sum itself.
        if (Value sum = modc::narrowedFrom(d); sum && sum.getType() == type)
          d = sum;
        parts.push_back(
            d.getType() == type ? d : math.cast(d, type.getElementType()));
      }
      for (Value d : parts) {
        Value &g = grads[index[ref.getName()]];
        g = g ? math.binary(modc::BinaryKind::Add, g, d, type) : d;
      }
    }
    SmallVector<Attribute> gradNames;
    SmallVector<Value> results = {loss};
    for (auto [i, n] : llvm::enumerate(names)) {
      auto type = gradType(types[n]);
      Value g = grads[i];
      if (!g)
        g = filled(type, 0.0);
      if (g.getType() != type)
        g = b.create<tensor::CastOp>(loc, type, g);
      results.push_back(g);
      gradNames.push_back(FlatSymbolRefAttr::get(&getContext(), n));
    }
    b.create<func::ReturnOp>(loc, results);
    ret.erase();
    SmallVector<Type> resultTypes;
    for (Value v : results)
      resultTypes.push_back(v.getType());
    fn.setFunctionType(
        FunctionType::get(&getContext(), fn.getArgumentTypes(), resultTypes));
    fn->setAttr(mlir::mod::kGradsAttr, b.getArrayAttr(gradNames));
    modc::recordStat(&getContext(), getArgument(), "gradients",
                     gradNames.size());
    return success();
  }
};

} // namespace
