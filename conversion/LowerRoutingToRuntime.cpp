//===- LowerRoutingToRuntime.cpp - Routing ops to runtime calls -----------===//
//
// The CPU lowering of the tensor-level routing ops (ModRouteOps.td), run on
// their buffer form after bufferization: one call per op of the function
// modrt/routing.h (or modrt/runtime.h for the grouped GEMMs) declares for
// it. The declarations come from those prototypes (MODC_KERNEL_FUNCTION),
// so a mismatch between the two sides fails to compile.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"
#include "ir/Stats.h"

#include "dialects/Mod/ModDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

namespace modc {
#define GEN_PASS_DEF_LOWERROUTINGTORUNTIME
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

static_assert(int(mod::ScatterMode::Weighted) == MODRT_SCATTER_WEIGHTED &&
                  int(mod::ScatterMode::Sum) == MODRT_SCATTER_SUM &&
                  int(mod::ScatterMode::Max) == MODRT_SCATTER_MAX,
              "mod::ScatterMode must equal enum modrt_scatter_mode");

/// The kernel FN_f32 of a grouped product, or FN_f32_bf16 / FN_f32_f16 for
/// weights of element type W bf16 / f16.
#define MODC_GROUPED_KERNEL(module, w, fn)                                     \
  ((w).isBF16()  ? MODC_KERNEL_FUNCTION(module, fn##_f32_bf16)                 \
   : (w).isF16() ? MODC_KERNEL_FUNCTION(module, fn##_f32_f16)                  \
                 : MODC_KERNEL_FUNCTION(module, fn##_f32))

namespace {

struct LowerRoutingToRuntimePass
    : public modc::impl::LowerRoutingToRuntimeBase<LowerRoutingToRuntimePass> {
  ModuleOp module;
  modc::abi::Messages *messages = nullptr;
  /// Stacked weight-gradient buffers left unused (gradientDestinations).
  SmallVector<Value> unusedAllocs;

  static Value i64(OpBuilder &b, Location loc, int64_t v) {
    return b.create<arith::ConstantIntOp>(loc, v, 64);
  }
  static Value f64(OpBuilder &b, Location loc, double v) {
    return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(v));
  }
  /// Dim `i` of a buffer as i64.
  static Value dimI64(OpBuilder &b, Location loc, Value buffer, int64_t i) {
    return b.create<arith::IndexCastOp>(
        loc, b.getI64Type(), b.create<memref::DimOp>(loc, buffer, i));
  }

  /// `table[g]` = the address of group g's weight, which must be a dense
  /// row-major buffer (the runtime reads it as [K, N] from that address).
  FailureOr<Value> weightTable(OpBuilder &b, Location loc, Operation *op,
                               ValueRange weights) {
    int64_t e = weights.size();
    Value table =
        b.create<memref::AllocaOp>(loc, MemRefType::get({e}, b.getI64Type()));
    for (auto [g, w] : llvm::enumerate(weights)) {
      auto type = cast<MemRefType>(w.getType());
      // An empty weight (a dim of 0) is never read: any layout will do.
      bool empty = type.hasStaticShape() && type.getNumElements() == 0;
      if (!empty && !memref::isStaticShapeAndContiguousRowMajor(type))
        return op->emitOpError("needs dense row-major weights, got ") << type;
      Value base = b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, w);
      auto meta = b.create<memref::ExtractStridedMetadataOp>(loc, w);
      Value bytes = b.create<arith::ConstantIndexOp>(
          loc, type.getElementTypeBitWidth() / 8);
      Value addr = b.create<arith::AddIOp>(
          loc, base, b.create<arith::MulIOp>(loc, meta.getOffset(), bytes));
      b.create<memref::StoreOp>(
          loc, b.create<arith::IndexCastOp>(loc, b.getI64Type(), addr), table,
          ValueRange{b.create<arith::ConstantIndexOp>(loc, g)});
    }
    return table;
  }

  /// The dense [K, N] buffers the stacked result of a weight gradient is
  /// copied into, one per group, when that is all it is for: `out` a fresh
  /// allocation used otherwise only by deallocations and, for each group g,
  /// a subview of [g] copied whole into a buffer nothing else uses (a
  /// gradient output of the train function). The copies go into `copies`.
  static std::optional<SmallVector<Value>>
  gradientDestinations(mod::GroupedWeightGradOp op,
                       SmallVectorImpl<Operation *> &copies) {
    Value out = op.getOut();
    auto type = cast<MemRefType>(out.getType());
    if (!out.getDefiningOp<memref::AllocOp>() || !type.hasStaticShape() ||
        type.getRank() != 3)
      return std::nullopt;
    int64_t groups = type.getDimSize(0);
    SmallVector<Value> dests(groups);
    for (Operation *user : out.getUsers()) {
      if (user == op || isa<memref::DeallocOp>(user))
        continue;
      auto view = dyn_cast<memref::SubViewOp>(user);
      if (!view || !view->hasOneUse() || view->getBlock() != op->getBlock())
        return std::nullopt;
      ArrayRef<int64_t> offsets = view.getStaticOffsets(),
                        sizes = view.getStaticSizes(),
                        strides = view.getStaticStrides();
      if (offsets.size() != 3 || offsets[1] != 0 || offsets[2] != 0 ||
          ShapedType::isDynamic(offsets[0]) || offsets[0] < 0 ||
          offsets[0] >= groups || sizes[0] != 1 ||
          sizes[1] != type.getDimSize(1) || sizes[2] != type.getDimSize(2) ||
          llvm::any_of(strides, [](int64_t s) { return s != 1; }))
        return std::nullopt;
      auto copy = dyn_cast<memref::CopyOp>(*view->getUsers().begin());
      if (!copy || copy.getSource() != view.getResult() ||
          !copy.getTarget().hasOneUse() || dests[offsets[0]])
        return std::nullopt;
      auto target = cast<MemRefType>(copy.getTarget().getType());
      if (!memref::isStaticShapeAndContiguousRowMajor(target) ||
          target.getShape() != type.getShape().drop_front())
        return std::nullopt;
      dests[offsets[0]] = copy.getTarget();
      copies.push_back(copy);
    }
    if (llvm::any_of(dests, [](Value d) { return !d; }))
      return std::nullopt;
    return dests;
  }

  /// The element type of a grouped product's weights (f32, bf16, f16).
  static Type weightType(Value v) {
    return cast<MemRefType>(v.getType()).getElementType();
  }

  static bool isI32(Value v) {
    return cast<MemRefType>(v.getType()).getElementType().isInteger(32);
  }

  LogicalResult lower(OpBuilder &b, mod::RouteDecideOp op) {
    Location loc = op.getLoc();
    Value in = op.getInput(), idx = op.getIndices(), w = op.getWeights();
    double capacity =
        op.getCapacity() ? op.getCapacity()->convertToDouble() : 0.0;
    switch (op.getRouter()) {
    case mod::RouterKind::Topk:
      return modc::abi::call(
          b, loc, MODC_KERNEL_FUNCTION(module, modrt_route_topk),
          {in, i64(b, loc, *op.getK()), i64(b, loc, op.getNormalize() ? 1 : 0),
           f64(b, loc, capacity), idx, w});
    case mod::RouterKind::SoftmaxGate:
      return modc::abi::call(b, loc,
                             MODC_KERNEL_FUNCTION(module, modrt_route_softmax),
                             {in, idx, w});
    case mod::RouterKind::ExpertChoice:
      return modc::abi::call(
          b, loc, MODC_KERNEL_FUNCTION(module, modrt_route_expert_choice),
          {in, f64(b, loc, capacity), idx, w});
    case mod::RouterKind::Task: {
      Value e = i64(b, loc, op.getNumTargets());
      Value msg = messages->get(b, loc, op.getMessage().value_or("task id"));
      return modc::abi::call(
          b, loc,
          isI32(in) ? MODC_KERNEL_FUNCTION(module, modrt_route_task_i32)
                    : MODC_KERNEL_FUNCTION(module, modrt_route_task_i64),
          {in, e, idx, w, msg});
    }
    case mod::RouterKind::Hash:
      return modc::abi::call(
          b, loc,
          isI32(in) ? MODC_KERNEL_FUNCTION(module, modrt_route_hash_i32)
                    : MODC_KERNEL_FUNCTION(module, modrt_route_hash_i64),
          {in, i64(b, loc, op.getNumTargets()), idx, w});
    case mod::RouterKind::Weights:
      return modc::abi::call(b, loc,
                             MODC_KERNEL_FUNCTION(module, modrt_route_weights),
                             {in, idx, w});
    }
    return op.emitOpError("unknown router");
  }

  LogicalResult lowerOp(Operation *o) {
    OpBuilder b(o);
    Location loc = o->getLoc();
    using modc::abi::call;
    if (auto op = dyn_cast<mod::RouteDecideOp>(o))
      return lower(b, op);
    if (auto op = dyn_cast<mod::RoutePlanOp>(o))
      return call(b, loc, MODC_KERNEL_FUNCTION(module, modrt_route_plan),
                  {op.getIndices(), dimI64(b, loc, op.getCounts(), 0),
                   op.getCounts(), op.getRows(), op.getSlots()});
    if (auto op = dyn_cast<mod::RouteGroupIdsOp>(o))
      return call(b, loc, MODC_KERNEL_FUNCTION(module, modrt_route_group_ids),
                  {op.getCounts(), op.getGroups()});
    if (auto op = dyn_cast<mod::RouteDenseOp>(o)) {
      Value e = b.create<arith::SubIOp>(loc, dimI64(b, loc, op.getDense(), 1),
                                        i64(b, loc, 1));
      return call(b, loc, MODC_KERNEL_FUNCTION(module, modrt_route_dense),
                  {op.getIndices(), op.getWeights(), e, op.getDense()});
    }
    if (auto op = dyn_cast<mod::RouteDistinctOp>(o))
      return call(
          b, loc, MODC_KERNEL_FUNCTION(module, modrt_route_distinct),
          {op.getDense(), op.getOrder(), op.getOffsets(), op.getNumGroups()});
    if (auto op = dyn_cast<mod::RouteScatterOp>(o))
      return call(
          b, loc, MODC_KERNEL_FUNCTION(module, modrt_route_scatter),
          {op.getY(), op.getSource(), op.getRows(), op.getSlots(),
           b.create<arith::IndexCastOp>(loc, b.getI64Type(), op.getBegin()),
           op.getRouteWeights(), i64(b, loc, int(op.getMode()))});
    if (auto op = dyn_cast<mod::RouteFinishOp>(o))
      return call(b, loc, MODC_KERNEL_FUNCTION(module, modrt_route_finish),
                  {op.getY(), op.getIndices(), i64(b, loc, int(op.getMode()))});
    if (auto op = dyn_cast<mod::GroupedMatmulOp>(o)) {
      FailureOr<Value> table = weightTable(b, loc, op, op.getWeights());
      if (failed(table))
        return failure();
      Type w = weightType(op.getWeights()[0]);
      if (op.getTransposeWeights()) {
        if (!w.isF32() || op.getGather())
          return op.emitOpError(
              "transposed weights are f32 and take no gather");
        return call(b, loc,
                    MODC_KERNEL_FUNCTION(module, modrt_grouped_matmul_nt_f32),
                    {op.getLhs(), *table, op.getCounts(), op.getOut()});
      }
      if (Value rows = op.getGather())
        return call(b, loc,
                    MODC_GROUPED_KERNEL(module, w, modrt_grouped_gather_matmul),
                    {op.getLhs(), rows, *table, op.getCounts(), op.getOut()});
      return call(b, loc, MODC_GROUPED_KERNEL(module, w, modrt_grouped_matmul),
                  {op.getLhs(), *table, op.getCounts(), op.getOut()});
    }
    if (auto op = dyn_cast<mod::GroupedWeightGradOp>(o)) {
      SmallVector<Operation *> copies;
      if (std::optional<SmallVector<Value>> dests =
              gradientDestinations(op, copies)) {
        // Each group's gradient straight into the buffer it was copied to.
        FailureOr<Value> table = weightTable(b, loc, op, *dests);
        if (failed(table))
          return failure();
        if (failed(call(
                b, loc,
                MODC_KERNEL_FUNCTION(module, modrt_grouped_weight_grad_to_f32),
                {op.getLhs(), op.getCounts(), op.getGrad(), *table})))
          return failure();
        for (Operation *copy : copies) {
          Operation *view = copy->getOperand(0).getDefiningOp();
          copy->erase();
          view->erase();
        }
        unusedAllocs.push_back(op.getOut());
        return success();
      }
      return call(b, loc,
                  MODC_KERNEL_FUNCTION(module, modrt_grouped_weight_grad_f32),
                  {op.getLhs(), op.getCounts(), op.getGrad(), op.getOut()});
    }
    if (auto op = dyn_cast<mod::GroupedMatmulScatterOp>(o)) {
      FailureOr<Value> table = weightTable(b, loc, op, op.getWeights());
      if (failed(table))
        return failure();
      Type w = weightType(op.getWeights()[0]);
      return call(b, loc,
                  MODC_GROUPED_KERNEL(module, w, modrt_grouped_matmul_scatter),
                  {op.getLhs(), op.getRows(), op.getSlots(), *table,
                   op.getCounts(), op.getRouteWeights(), op.getY(),
                   i64(b, loc, op.getGatherRows() ? 1 : 0),
                   i64(b, loc, int(op.getMode()))});
    }
    return success();
  }

  void runOnOperation() override {
    module = getOperation();
    modc::abi::Messages table(module);
    messages = &table;
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<mod::RouteDecideOp, mod::RoutePlanOp, mod::RouteGroupIdsOp,
              mod::RouteDenseOp, mod::RouteDistinctOp, mod::RouteScatterOp,
              mod::RouteFinishOp, mod::GroupedMatmulOp,
              mod::GroupedMatmulScatterOp, mod::GroupedWeightGradOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (op->getNumResults() != 0) {
        op->emitOpError("must be bufferized before "
                        "mod-lower-routing-to-runtime");
        return signalPassFailure();
      }
      if (failed(lowerOp(op)))
        return signalPassFailure();
      op->erase();
      ++numCalls;
      modc::recordStat(&getContext(), getArgument(), "routing-ops-to-runtime",
                       1);
    }
    // Stacked weight gradients written in place instead: their buffers are
    // only freed now.
    for (Value alloc : unusedAllocs) {
      if (!llvm::all_of(alloc.getUsers(),
                        [](Operation *u) { return isa<memref::DeallocOp>(u); }))
        continue;
      for (Operation *u : llvm::make_early_inc_range(alloc.getUsers()))
        u->erase();
      alloc.getDefiningOp()->erase();
    }
  }
};

} // namespace
