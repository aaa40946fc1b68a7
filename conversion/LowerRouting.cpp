//===- LowerRouting.cpp - Routing to tensor-level routing ops -------------===//
//
// Lowers the routing ops of the mod dialect to tensor code over the
// tensor-level routing ops (dialects/Mod/ModRouteOps.td), all on tensors:
// their buffers come from bufferization, and mod-lower-routing-to-runtime
// turns their buffer form into runtime calls.
// - a decision op becomes one mod.route.decide;
// - mod.dispatch becomes real sparse dispatch: a mod.route.plan groups the
//   chosen rows by target, and each target with rows runs once on exactly
//   its packed rows (gathered with a linalg.generic), its outputs scattered
//   back with their weights (mod.route.scatter); a target without rows is
//   skipped by an scf.if. With the `fused` strategy the shared module body
//   runs once on all routed rows, its parameter matmuls as
//   mod.grouped_matmul (the last one fused with the scatter);
// - `merge` applies the module once per distinct weight vector with the
//   weighted sum of the targets' parameters (`factored`: exact factoring);
// - mod.aggregate becomes linalg; mod.check_* become runtime checks.
// The per-target mod.apply ops it creates are inlined by mod-inline-modules.
//
//===----------------------------------------------------------------------===//

#include "conversion/LowerDispatch.h"
#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"
#include "dialects/Mod/ModModel.h"
#include "ir/Inlining.h"
#include "ir/Stats.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace modc {
#define GEN_PASS_DEF_LOWERROUTING
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

// The run-time routers are the vocabulary's, value for value (the runtime
// and the table name them the same way).
#define MODC_SAME_ROUTER(vocabName, modName)                                   \
  static_assert(uint32_t(modc::vocab::Router::vocabName) ==                    \
                    uint32_t(mod::RouterKind::modName),                        \
                "vocab::Router and mod::RouterKind disagree on " #modName);
MODC_SAME_ROUTER(Topk, Topk)
MODC_SAME_ROUTER(Softmax, SoftmaxGate)
MODC_SAME_ROUTER(ExpertChoice, ExpertChoice)
MODC_SAME_ROUTER(Task, Task)
MODC_SAME_ROUTER(Hash, Hash)
MODC_SAME_ROUTER(Weights, Weights)
#undef MODC_SAME_ROUTER
using modc::routing::empty;

namespace {

struct LowerRoutingPass
    : public modc::impl::LowerRoutingBase<LowerRoutingPass> {
  using Base::Base;
  ModuleOp module;
  modc::abi::Messages *messages = nullptr;

  Value asMemref(OpBuilder &b, Location loc, Value v) {
    if (auto t = dyn_cast<RankedTensorType>(v.getType())) {
      SmallVector<int64_t> strides(t.getRank(), ShapedType::kDynamic);
      auto layout =
          StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides);
      v = b.create<bufferization::ToMemrefOp>(
          loc, MemRefType::get(t.getShape(), t.getElementType(), layout), v);
    }
    return v;
  }

  Value i64(OpBuilder &b, Location loc, int64_t v) {
    return b.create<arith::ConstantIntOp>(loc, v, 64);
  }
  Value toI64(OpBuilder &b, Location loc, Value index) {
    return b.create<arith::IndexCastOp>(loc, b.getI64Type(), index);
  }

  /// Replaces a decision op by a mod.route.decide into fresh tensors.
  void lowerDecision(Operation *op, mod::RouterKind router, Value input,
                     Value indices, Value weights, int64_t numTargets,
                     IntegerAttr k = {}, bool normalize = false,
                     FloatAttr capacity = {}, StringAttr message = {}) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Value rows = b.create<tensor::DimOp>(loc, input, 0);
    auto init = [&](Value like) {
      auto t = cast<RankedTensorType>(like.getType());
      return empty(b, loc, t,
                   t.isDynamicDim(0) ? ValueRange{rows} : ValueRange{});
    };
    auto decide = b.create<mod::RouteDecideOp>(
        loc, TypeRange{indices.getType(), weights.getType()},
        mod::RouterKindAttr::get(b.getContext(), router), input, init(indices),
        init(weights), b.getI64IntegerAttr(numTargets), k,
        normalize ? b.getUnitAttr() : UnitAttr(), capacity, message);
    indices.replaceAllUsesWith(decide.getResult(0));
    weights.replaceAllUsesWith(decide.getResult(1));
    op->erase();
  }

  static bool isI32(Value v) {
    return cast<RankedTensorType>(v.getType())
               .getElementType()
               .getIntOrFloatBitWidth() == 32;
  }

  void lowerAggregate(mod::AggregateOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> outs(op.getOutputs());
    mod::Aggregation kind = op.getKind();
    Value result;
    if (kind == mod::Aggregation::Concat) {
      result = math.concat(outs, resultType.getRank() - 1, resultType);
    } else if (kind == mod::Aggregation::Stack) {
      // Each output [..., O] as [..., 1, O], concatenated on that axis.
      SmallVector<Value> parts;
      auto first = cast<RankedTensorType>(outs[0].getType());
      SmallVector<int64_t> shape(first.getShape());
      shape.insert(shape.end() - 1, 1);
      auto partType = RankedTensorType::get(shape, first.getElementType());
      // [..., O] -> [..., 1, O]: the unit axis joins the last group.
      SmallVector<ReassociationIndices> groups;
      for (int64_t i = 0; i + 1 < first.getRank(); ++i)
        groups.push_back({i});
      groups.push_back({first.getRank() - 1, first.getRank()});
      for (Value o : outs) {
        SmallVector<OpFoldResult> outShape;
        for (int64_t i = 0; i < first.getRank() - 1; ++i)
          outShape.push_back(
              first.isDynamicDim(i)
                  ? OpFoldResult(math.dimSize(o, i))
                  : OpFoldResult(b.getIndexAttr(first.getDimSize(i))));
        outShape.push_back(b.getIndexAttr(1));
        outShape.push_back(
            first.isDynamicDim(first.getRank() - 1)
                ? OpFoldResult(math.dimSize(o, first.getRank() - 1))
                : OpFoldResult(
                      b.getIndexAttr(first.getDimSize(first.getRank() - 1))));
        parts.push_back(b.create<tensor::ExpandShapeOp>(loc, partType, o,
                                                        groups, outShape));
      }
      result = math.concat(parts, resultType.getRank() - 2, resultType);
    } else {
      modc::BinaryKind combine = modc::BinaryKind::Add;
      result = outs[0];
      for (size_t i = 1; i < outs.size(); ++i) {
        if (kind == mod::Aggregation::Max) {
          result = maxOf(b, loc, result, outs[i], resultType);
          continue;
        }
        result = math.binary(combine, result, outs[i], resultType);
      }
      if (kind == mod::Aggregation::Mean)
        result = math.binary(modc::BinaryKind::Div, result,
                             math.scalarConstant(resultType.getElementType(),
                                                 double(outs.size())),
                             resultType);
    }
    op.getResult().replaceAllUsesWith(result);
    op.erase();
  }

  Value maxOf(OpBuilder &b, Location loc, Value lhs, Value rhs,
              RankedTensorType type) {
    int64_t rank = type.getRank();
    MLIRContext *ctx = b.getContext();
    modc::TensorMath math(b, loc);
    SmallVector<Value> sizes;
    for (int64_t i = 0; i < rank; ++i)
      sizes.push_back(math.dimSize(lhs, i));
    Value init = math.empty(type, sizes);
    auto id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    bool isFloat = isa<FloatType>(type.getElementType());
    return b
        .create<linalg::GenericOp>(
            loc, TypeRange{type}, ValueRange{lhs, rhs}, ValueRange{init},
            SmallVector<AffineMap>{id, id, id},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value m =
                  isFloat
                      ? nb.create<arith::MaximumFOp>(l, v[0], v[1]).getResult()
                      : nb.create<arith::MaxSIOp>(l, v[0], v[1]).getResult();
              nb.create<linalg::YieldOp>(l, m);
            })
        .getResult(0);
  }

  LogicalResult lowerCheckIndex(mod::CheckIndexOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value ids = op.getIds();
    auto t = cast<RankedTensorType>(ids.getType());
    if (t.getRank() != 1) {
      ReassociationIndices all;
      for (int64_t i = 0; i < t.getRank(); ++i)
        all.push_back(i);
      if (t.getRank() == 0)
        ids = b.create<tensor::ExpandShapeOp>(
            loc, RankedTensorType::get({1}, t.getElementType()), ids,
            SmallVector<ReassociationIndices>{});
      else
        ids = b.create<tensor::CollapseShapeOp>(
            loc, ids, SmallVector<ReassociationIndices>{all});
    }
    Value msg = messages->get(b, loc, op.getMessage());
    if (failed(modc::abi::call(
            b, loc,
            isI32(op.getIds())
                ? MODC_KERNEL_FUNCTION(module, modrt_check_index_i32)
                : MODC_KERNEL_FUNCTION(module, modrt_check_index_i64),
            {asMemref(b, loc, ids), toI64(b, loc, op.getBound()), msg})))
      return failure();
    op.erase();
    return success();
  }

  LogicalResult lowerCheckLe(mod::CheckLeOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value msg = messages->get(b, loc, op.getMessage());
    if (failed(modc::abi::call(
            b, loc, MODC_KERNEL_FUNCTION(module, modrt_check_le),
            {toI64(b, loc, op.getLhs()), toI64(b, loc, op.getRhs()), msg})))
      return failure();
    op.erase();
    return success();
  }

  /// The ops this pass lowers, below `root`, in walk order.
  static SmallVector<Operation *> collect(Operation *root) {
    SmallVector<Operation *> ops;
    root->walk([&](Operation *op) {
      if (isa<mod::TopkDecisionOp, mod::SoftmaxDecisionOp,
              mod::ExpertChoiceDecisionOp, mod::TaskDecisionOp,
              mod::HashDecisionOp, mod::WeightsDecisionOp, mod::DispatchOp,
              mod::AggregateOp, mod::CheckIndexOp, mod::CheckLeOp>(op))
        ops.push_back(op);
    });
    return ops;
  }

  LogicalResult lowerOne(Operation *op) {
    OpBuilder b(op);
    if (auto d = dyn_cast<mod::TopkDecisionOp>(op)) {
      lowerDecision(d, mod::RouterKind::Topk, d.getInput(), d.getIndices(),
                    d.getWeights(), d.getNumTargets(), d.getKAttr(),
                    d.getNormalize(), d.getCapacityAttr());
    } else if (auto d = dyn_cast<mod::SoftmaxDecisionOp>(op)) {
      lowerDecision(d, mod::RouterKind::SoftmaxGate, d.getInput(),
                    d.getIndices(), d.getWeights(), d.getNumTargets());
    } else if (auto d = dyn_cast<mod::ExpertChoiceDecisionOp>(op)) {
      lowerDecision(d, mod::RouterKind::ExpertChoice, d.getInput(),
                    d.getIndices(), d.getWeights(), d.getNumTargets(), {},
                    false, d.getCapacityAttr());
    } else if (auto d = dyn_cast<mod::TaskDecisionOp>(op)) {
      lowerDecision(d, mod::RouterKind::Task, d.getInput(), d.getIndices(),
                    d.getWeights(), d.getNumTargets(), {}, false, {},
                    b.getStringAttr(d.getEntry().str() + ": argument '" +
                                    d.getArg().str() + "'"));
    } else if (auto d = dyn_cast<mod::HashDecisionOp>(op)) {
      lowerDecision(d, mod::RouterKind::Hash, d.getInput(), d.getIndices(),
                    d.getWeights(), d.getNumTargets());
    } else if (auto d = dyn_cast<mod::WeightsDecisionOp>(op)) {
      lowerDecision(d, mod::RouterKind::Weights, d.getInput(), d.getIndices(),
                    d.getWeights(), d.getNumTargets());
    } else if (auto d = dyn_cast<mod::DispatchOp>(op)) {
      FailureOr<modc::routing::DispatchKind> kind =
          modc::routing::lowerDispatch(module, d, packedRowsBound);
      if (failed(kind))
        return failure();
      ++numDispatches;
      modc::recordStat(&getContext(), getArgument(), "dispatches-lowered", 1);
      if (*kind == modc::routing::DispatchKind::Fused) {
        ++numFusedLowered;
        modc::recordStat(&getContext(), getArgument(),
                         "fused-dispatches-lowered", 1);
      } else if (*kind == modc::routing::DispatchKind::MergeFactored) {
        ++numMergesFactored;
        modc::recordStat(&getContext(), getArgument(), "merges-factored", 1);
      } else if (*kind == modc::routing::DispatchKind::MergePerWeights) {
        ++numMergeGroups;
        modc::recordStat(&getContext(), getArgument(),
                         "merges-per-weight-vector", 1);
      } else if (*kind == modc::routing::DispatchKind::MergePerRow) {
        ++numMergeRows;
        modc::recordStat(&getContext(), getArgument(), "merges-per-row", 1);
      }
    } else if (auto a = dyn_cast<mod::AggregateOp>(op)) {
      lowerAggregate(a);
    } else if (auto c = dyn_cast<mod::CheckIndexOp>(op)) {
      return lowerCheckIndex(c);
    } else if (auto c = dyn_cast<mod::CheckLeOp>(op)) {
      return lowerCheckLe(c);
    }
    return success();
  }

  void runOnOperation() override {
    module = getOperation();
    modc::abi::Messages table(module);
    messages = &table;
    // A train block is lowered first, in the differentiable form (see
    // DispatchLowering::lower), with everything it uses inlined: its own
    // routes, then those inside the targets they apply, round by round,
    // until none is left. The entries and modules keep their forms.
    SymbolTable symbols(module);
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!mod::getTrainUpdates(fn))
        continue;
      for (int round = 0;; ++round) {
        if (round == 64) {
          fn.emitOpError("routes nest more than 64 deep");
          return signalPassFailure();
        }
        if (failed(modc::inlineEverything(fn, symbols)))
          return signalPassFailure();
        SmallVector<Operation *> ops = collect(fn);
        if (ops.empty())
          break;
        for (Operation *op : ops)
          if (failed(lowerOne(op)))
            return signalPassFailure();
      }
    }
    for (Operation *op : collect(module))
      if (failed(lowerOne(op)))
        return signalPassFailure();
  }
};

} // namespace
