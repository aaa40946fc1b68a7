//===- ModRouteOps.cpp - Verifiers and effects of the routing ops --------===//
//
// The tensor-level routing ops (ModRouteOps.td): their verifiers, and their
// memory effects in buffer form (in tensor form they have none, like linalg
// ops: a dead or repeated one may be erased or merged).
//
//===----------------------------------------------------------------------===//

#include "dialects/Mod/ModDialect.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::mod;

namespace {

/// Checks that `v` is shaped with `rank` and element type `elem` (any if
/// null); `what` names the operand in the message.
LogicalResult expect(Operation *op, Value v, StringRef what, int64_t rank,
                     Type elem) {
  auto t = dyn_cast<ShapedType>(v.getType());
  if (!t || !t.hasRank() || t.getRank() != rank)
    return op->emitOpError()
           << what << " must have rank " << rank << ", got " << v.getType();
  if (elem && t.getElementType() != elem)
    return op->emitOpError() << what << " must have element type " << elem
                             << ", got " << v.getType();
  return success();
}

int64_t dim(Value v, unsigned i) {
  return cast<ShapedType>(v.getType()).getDimSize(i);
}

/// Two sizes that must agree when both are known.
bool agree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// All shaped operands tensors or all memrefs.
LogicalResult verifyForm(Operation *op) {
  bool anyTensor = false, anyMemref = false;
  for (Value v : op->getOperands()) {
    anyTensor |= isa<TensorType>(v.getType());
    anyMemref |= isa<MemRefType>(v.getType());
  }
  if (anyTensor && anyMemref)
    return op->emitOpError("mixes tensor and memref operands");
  return success();
}

/// The memory effects of a routing op in buffer form.
void routeEffects(
    Operation *op, bool readsInits,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  for (OpOperand &o : op->getOpOperands()) {
    if (!isa<MemRefType>(o.get().getType()))
      continue;
    bool init = dps.isDpsInit(&o);
    if (!init || readsInits)
      effects.emplace_back(MemoryEffects::Read::get(), &o,
                           SideEffects::DefaultResource::get());
    if (init)
      effects.emplace_back(MemoryEffects::Write::get(), &o,
                           SideEffects::DefaultResource::get());
  }
}

/// Indices [R, K] i64 and weights [R, K] f32 of one decision.
LogicalResult verifyDecision(Operation *op, Value indices, Value weights) {
  Builder b(op->getContext());
  if (failed(expect(op, indices, "indices", 2, b.getI64Type())) ||
      failed(expect(op, weights, "weights", 2, b.getF32Type())))
    return failure();
  if (!agree(dim(indices, 0), dim(weights, 0)) ||
      !agree(dim(indices, 1), dim(weights, 1)))
    return op->emitOpError("indices and weights must have one shape");
  return success();
}

/// E weight operands of one [K, N] type ([N, K] with `transposed`), E =
/// counts' size when known.
LogicalResult verifyGroupWeights(Operation *op, Value counts,
                                 ValueRange weights, int64_t lhsCols,
                                 bool transposed = false) {
  Builder b(op->getContext());
  if (failed(expect(op, counts, "counts", 1, b.getI64Type())))
    return failure();
  if (weights.empty())
    return op->emitOpError("needs one weight operand per group");
  if (!agree(dim(counts, 0), int64_t(weights.size())))
    return op->emitOpError()
           << "has " << weights.size() << " weight operands for "
           << dim(counts, 0) << " groups";
  for (Value w : weights) {
    if (failed(expect(op, w, "weight", 2, Type())))
      return failure();
    Type elem = cast<ShapedType>(w.getType()).getElementType();
    if (!elem.isF32() && !elem.isBF16() && !elem.isF16())
      return op->emitOpError("weights must be f32, bf16 or f16, got ")
             << w.getType();
    if (w.getType() != weights[0].getType())
      return op->emitOpError("weights of the groups must have one type");
  }
  if (!agree(lhsCols, dim(weights[0], transposed ? 1 : 0)))
    return op->emitOpError(transposed
                               ? "lhs columns must equal the weights' columns"
                               : "lhs columns must equal the weights' rows");
  return success();
}

} // namespace

#define MOD_ROUTE_EFFECTS(Op)                                                  \
  void Op::getEffects(                                                         \
      SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>      \
          &effects) {                                                          \
    routeEffects(getOperation(), kReadsInits, effects);                        \
  }
MOD_ROUTE_EFFECTS(RouteDecideOp)
MOD_ROUTE_EFFECTS(RoutePlanOp)
MOD_ROUTE_EFFECTS(RouteGroupIdsOp)
MOD_ROUTE_EFFECTS(RouteDenseOp)
MOD_ROUTE_EFFECTS(RouteDistinctOp)
MOD_ROUTE_EFFECTS(RouteScatterOp)
MOD_ROUTE_EFFECTS(RouteFinishOp)
MOD_ROUTE_EFFECTS(GroupedMatmulOp)
MOD_ROUTE_EFFECTS(GroupedWeightGradOp)
MOD_ROUTE_EFFECTS(GroupedMatmulScatterOp)
#undef MOD_ROUTE_EFFECTS

LogicalResult RouteDecideOp::verify() {
  if (failed(verifyForm(*this)) ||
      failed(verifyDecision(*this, getIndices(), getWeights())))
    return failure();
  Builder b(getContext());
  int64_t e = getNumTargets();
  if (e < 1)
    return emitOpError("needs at least one target");
  int64_t slots = dim(getIndices(), 1);
  RouterKind kind = getRouter();
  bool byId = kind == RouterKind::Task || kind == RouterKind::Hash;
  if (byId) {
    if (failed(expect(*this, getInput(), "input", 1, nullptr)))
      return failure();
    Type elem = cast<ShapedType>(getInput().getType()).getElementType();
    if (!elem.isInteger(32) && !elem.isInteger(64))
      return emitOpError("ids must be i32 or i64");
    if (!agree(slots, 1))
      return emitOpError("a task or hash decision has one slot per row");
  } else {
    if (failed(expect(*this, getInput(), "input", 2, b.getF32Type())))
      return failure();
    if (!agree(dim(getInput(), 1), e))
      return emitOpError("input must have num_targets columns");
  }
  if (!agree(dim(getInput(), 0), dim(getIndices(), 0)))
    return emitOpError("the decision must have a row per input row");
  if (kind == RouterKind::Topk) {
    if (!getK() || !getCapacity())
      return emitOpError("topk needs k and capacity");
    int64_t k = int64_t(*getK());
    if (k < 1 || k > e || !agree(slots, k))
      return emitOpError("topk needs 1 <= k <= num_targets slots");
  } else if (getK() || getNormalize()) {
    return emitOpError("only topk takes k and normalize");
  }
  if (kind == RouterKind::ExpertChoice && !getCapacity())
    return emitOpError("expert_choice needs a capacity");
  if (kind != RouterKind::Topk && kind != RouterKind::ExpertChoice &&
      getCapacity())
    return emitOpError("only topk and expert_choice take a capacity");
  if ((kind == RouterKind::SoftmaxGate || kind == RouterKind::ExpertChoice ||
       kind == RouterKind::Weights) &&
      !agree(slots, e))
    return emitOpError("this router has num_targets slots per row");
  if (getMessage() && kind != RouterKind::Task)
    return emitOpError("only a task decision takes a message");
  return success();
}

LogicalResult RoutePlanOp::verify() {
  Builder b(getContext());
  Type i64 = b.getI64Type();
  if (failed(verifyForm(*this)) ||
      failed(expect(*this, getIndices(), "indices", 2, i64)) ||
      failed(expect(*this, getCounts(), "counts", 1, i64)) ||
      failed(expect(*this, getRows(), "rows", 1, i64)) ||
      failed(expect(*this, getSlots(), "slots", 1, i64)))
    return failure();
  int64_t r = dim(getIndices(), 0), k = dim(getIndices(), 1);
  if (!ShapedType::isDynamic(r) && !ShapedType::isDynamic(k))
    for (Value list : {getRows(), getSlots()})
      if (!ShapedType::isDynamic(dim(list, 0)) && dim(list, 0) < r * k)
        return emitOpError("rows and slots need room for R * K pairs");
  return success();
}

LogicalResult RouteGroupIdsOp::verify() {
  Type i64 = Builder(getContext()).getI64Type();
  if (failed(verifyForm(*this)) ||
      failed(expect(*this, getCounts(), "counts", 1, i64)) ||
      failed(expect(*this, getGroups(), "groups", 1, i64)))
    return failure();
  return success();
}

LogicalResult RouteDenseOp::verify() {
  if (failed(verifyForm(*this)) ||
      failed(verifyDecision(*this, getIndices(), getWeights())) ||
      failed(expect(*this, getDense(), "dense", 2,
                    Builder(getContext()).getF32Type())))
    return failure();
  if (!agree(dim(getIndices(), 0), dim(getDense(), 0)))
    return emitOpError("dense must have a row per decision row");
  if (!ShapedType::isDynamic(dim(getDense(), 1)) && dim(getDense(), 1) < 2)
    return emitOpError("dense must be [R, E + 1] with E >= 1");
  return success();
}

LogicalResult RouteDistinctOp::verify() {
  Builder b(getContext());
  Type i64 = b.getI64Type();
  if (failed(verifyForm(*this)) ||
      failed(expect(*this, getDense(), "dense", 2, b.getF32Type())) ||
      failed(expect(*this, getOrder(), "order", 1, i64)) ||
      failed(expect(*this, getOffsets(), "offsets", 1, i64)) ||
      failed(expect(*this, getNumGroups(), "num_groups", 1, i64)))
    return failure();
  if (!agree(dim(getNumGroups(), 0), 1))
    return emitOpError("num_groups must hold one value");
  if (!agree(dim(getOrder(), 0), dim(getDense(), 0)))
    return emitOpError("order must have a row per dense row");
  return success();
}

/// The shared rules of the two scatters: lists of i64, [R, K] f32 route
/// weights, a 2-D f32 y with `cols` columns.
static LogicalResult verifyScatter(Operation *op, Value rows, Value slots,
                                   Value routeWeights, Value y, int64_t cols) {
  Builder b(op->getContext());
  Type i64 = b.getI64Type(), f32 = b.getF32Type();
  if (failed(expect(op, rows, "rows", 1, i64)) ||
      failed(expect(op, slots, "slots", 1, i64)) ||
      failed(expect(op, routeWeights, "route_weights", 2, f32)) ||
      failed(expect(op, y, "y", 2, f32)))
    return failure();
  if (!agree(dim(y, 1), cols))
    return op->emitOpError("the rows scattered must have y's columns");
  return success();
}

LogicalResult RouteScatterOp::verify() {
  if (failed(verifyForm(*this)) ||
      failed(expect(*this, getSource(), "source", 2,
                    Builder(getContext()).getF32Type())))
    return failure();
  return verifyScatter(*this, getRows(), getSlots(), getRouteWeights(), getY(),
                       dim(getSource(), 1));
}

LogicalResult RouteFinishOp::verify() {
  Builder b(getContext());
  if (failed(verifyForm(*this)) ||
      failed(expect(*this, getIndices(), "indices", 2, b.getI64Type())) ||
      failed(expect(*this, getY(), "y", 2, b.getF32Type())))
    return failure();
  if (!agree(dim(getIndices(), 0), dim(getY(), 0)))
    return emitOpError("y must have a row per decision row");
  return success();
}

LogicalResult GroupedMatmulOp::verify() {
  Builder b(getContext());
  if (failed(verifyForm(*this)) ||
      failed(expect(*this, getLhs(), "lhs", 2, b.getF32Type())) ||
      failed(expect(*this, getOut(), "out", 2, b.getF32Type())) ||
      failed(verifyGroupWeights(*this, getCounts(), getWeights(),
                                dim(getLhs(), 1), getTransposeWeights())))
    return failure();
  if (getGather() &&
      failed(expect(*this, getGather(), "gather", 1, b.getI64Type())))
    return failure();
  if (getTransposeWeights() &&
      !cast<ShapedType>(getWeights()[0].getType()).getElementType().isF32())
    return emitOpError("transposed weights must be f32");
  if (!agree(dim(getOut(), 1),
             dim(getWeights()[0], getTransposeWeights() ? 0 : 1)))
    return emitOpError("out columns must equal the weights' "
                       "output dimension");
  if (!getGather() && !agree(dim(getOut(), 0), dim(getLhs(), 0)))
    return emitOpError("without a gather, out has lhs's rows");
  return success();
}

LogicalResult GroupedWeightGradOp::verify() {
  Builder b(getContext());
  if (failed(verifyForm(*this)) ||
      failed(expect(*this, getLhs(), "lhs", 2, b.getF32Type())) ||
      failed(expect(*this, getCounts(), "counts", 1, b.getI64Type())) ||
      failed(expect(*this, getGrad(), "grad", 2, b.getF32Type())) ||
      failed(expect(*this, getOut(), "out", 3, b.getF32Type())))
    return failure();
  if (!agree(dim(getLhs(), 0), dim(getGrad(), 0)))
    return emitOpError("lhs and grad must have one row count");
  if (!agree(dim(getOut(), 0), dim(getCounts(), 0)) ||
      !agree(dim(getOut(), 1), dim(getLhs(), 1)) ||
      !agree(dim(getOut(), 2), dim(getGrad(), 1)))
    return emitOpError("out must be [groups, lhs columns, grad columns]");
  return success();
}

LogicalResult GroupedMatmulScatterOp::verify() {
  Builder b(getContext());
  if (failed(verifyForm(*this)) ||
      failed(expect(*this, getLhs(), "lhs", 2, b.getF32Type())) ||
      failed(verifyGroupWeights(*this, getCounts(), getWeights(),
                                dim(getLhs(), 1))))
    return failure();
  return verifyScatter(*this, getRows(), getSlots(), getRouteWeights(), getY(),
                       dim(getWeights()[0], 1));
}
