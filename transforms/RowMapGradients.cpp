//===- RowMapGradients.cpp - Reverse mode of a row loop -------------------===//
//
// `merge` over a module its parameters enter nonlinearly is lowered in a
// train block as a loop over the rows (mlir::mod::kRowMapAttr): iteration r
// slices row r of values from outside, mixes row r's parameters, runs the
// module and inserts the result into row r of the loop's one iter_arg.
// Iterations are independent, so the backward is another loop over the rows
// that recomputes row r's forward (nothing is saved per row) and runs the
// per-op rules backwards through it, seeded with row r of the result's
// adjoint. A value read through its row-r slice gets that slice's adjoint
// inserted into row r of its accumulator (each row written once, no
// full-size zeros per row); a value read whole (a parameter) accumulates
// its adjoint over the rows.
//
//===----------------------------------------------------------------------===//

#include "transforms/GradientRules.h"

#include "dialects/Mod/ModDialect.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace modc {

namespace {

/// True if `v` is defined outside `loop`.
bool outside(scf::ForOp loop, Value v) {
  return !loop.getRegion().isAncestor(v.getParentRegion());
}

/// True if `s` reads row `iv` of its source whole: offsets (iv, 0, ...),
/// sizes (1, full...), unit strides.
bool isRowSlice(tensor::ExtractSliceOp s, Value iv) {
  auto src = cast<RankedTensorType>(s.getSourceType());
  SmallVector<OpFoldResult> offsets = s.getMixedOffsets();
  SmallVector<OpFoldResult> sizes = s.getMixedSizes();
  if (offsets.empty() || dyn_cast<Value>(offsets[0]) != iv ||
      getConstantIntValue(sizes[0]) != 1)
    return false;
  for (OpFoldResult st : s.getMixedStrides())
    if (getConstantIntValue(st) != 1)
      return false;
  for (int64_t i = 1; i < src.getRank(); ++i) {
    if (getConstantIntValue(offsets[i]) != 0)
      return false;
    if (!src.isDynamicDim(i)) {
      if (getConstantIntValue(sizes[i]) != src.getDimSize(i))
        return false;
      continue;
    }
    auto dim = dyn_cast_or_null<tensor::DimOp>(
        dyn_cast<Value>(sizes[i]) ? cast<Value>(sizes[i]).getDefiningOp()
                                  : nullptr);
    if (!dim || dim.getSource() != s.getSource() || dim.getConstantIndex() != i)
      return false;
  }
  return true;
}

SmallVector<OpFoldResult> mapped(ArrayRef<OpFoldResult> values,
                                 IRMapping &map) {
  SmallVector<OpFoldResult> out;
  for (OpFoldResult v : values)
    out.push_back(
        isa<Value>(v) ? OpFoldResult(map.lookupOrDefault(cast<Value>(v))) : v);
  return out;
}

/// acc + d, written into acc (a loop's yield must be its iter_arg's
/// buffer).
Value accumulate(OpBuilder &b, Location loc, Value acc, Value d) {
  int64_t rank = cast<RankedTensorType>(acc.getType()).getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{acc.getType()}, ValueRange{d}, ValueRange{acc},
          SmallVector<AffineMap>{id, id},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange v) {
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::AddFOp>(l, v[1], v[0]).getResult());
          })
      .getResult(0);
}

} // namespace

LogicalResult Adjoints::rowMap(Operation *op) {
  auto loop = cast<scf::ForOp>(op);
  Location loc = loop.getLoc();
  Value dy = get(loop.getResult(0));
  Block &body = *loop.getBody();
  Value iv = loop.getInductionVar();
  auto yield = cast<scf::YieldOp>(body.getTerminator());
  auto store = loop.getNumRegionIterArgs() == 1
                   ? yield.getOperand(0).getDefiningOp<tensor::InsertSliceOp>()
                   : nullptr;
  if (!store || store.getDest() != loop.getRegionIterArgs()[0] ||
      !store->hasOneUse() || isActive(loop.getInitArgs()[0]))
    return loop.emitError("training: a row loop must write row r of its one "
                          "result in iteration r");

  // The active values the body reads from outside: by their row-r slice
  // (one slice op) or whole.
  SmallVector<Value> captured;
  llvm::DenseSet<Value> seen;
  forEachRead(loop, [&](Value v) {
    if (outside(loop, v) && isActive(v) && seen.insert(v).second)
      captured.push_back(v);
  });
  SmallVector<tensor::ExtractSliceOp> rowSlice(captured.size());
  for (auto [i, v] : llvm::enumerate(captured)) {
    SmallVector<Operation *> users;
    for (Operation *user : v.getUsers())
      if (loop->isAncestor(user))
        users.push_back(user);
    auto s = users.size() == 1 ? dyn_cast<tensor::ExtractSliceOp>(users.front())
                               : nullptr;
    if (s && s.getSource() == v && s->getParentOp() == loop &&
        isRowSlice(s, iv))
      rowSlice[i] = s;
  }

  SmallVector<Value> inits;
  for (Value v : captured)
    inits.push_back(zerosLike(b_, loc, v));
  LogicalResult result = success();
  // The loop first, its body filled after, so that the rules (which look
  // at parent ops) see a body attached to its loop.
  auto back = b_.create<scf::ForOp>(
      loc, loop.getLowerBound(), loop.getUpperBound(), loop.getStep(), inits);
  OpBuilder lb = OpBuilder::atBlockEnd(back.getBody());
  Location l = loc;
  Value r = back.getInductionVar();
  ValueRange accs = back.getRegionIterArgs();
  // Row r's forward, recomputed.
  IRMapping map;
  map.map(iv, r);
  SmallVector<Operation *> cloned;
  for (Operation &inner : body.without_terminator())
    if (&inner != store.getOperation())
      cloned.push_back(lb.clone(inner, map));
  Value out = map.lookup(store.getSource());

  // Active within the row: what depends on a captured value (its
  // row slice standing for a sliced one) and what the row's output
  // depends on.
  llvm::DenseSet<Value> seeds;
  for (auto [i, v] : llvm::enumerate(captured))
    seeds.insert(rowSlice[i] ? map.lookup(rowSlice[i].getResult()) : v);
  llvm::DenseSet<Value> active = activeValues(cloned, seeds, out);

  Adjoints inner(lb, active);
  inner.add(out, lb.create<tensor::ExtractSliceOp>(
                     l, cast<RankedTensorType>(out.getType()), dy,
                     mapped(store.getMixedOffsets(), map),
                     mapped(store.getMixedSizes(), map),
                     mapped(store.getMixedStrides(), map)));
  for (Operation *c : llvm::reverse(cloned))
    if (failed(inner.propagate(c))) {
      result = failure();
      break;
    }
  SmallVector<Value> next;
  for (auto [i, v] : llvm::enumerate(captured)) {
    Value acc = accs[i];
    if (tensor::ExtractSliceOp s = rowSlice[i]) {
      // Row r of the accumulator is still zero: the slice's adjoint
      // is its row.
      if (Value d = inner.get(map.lookup(s.getResult())))
        acc = lb.create<tensor::InsertSliceOp>(
            l, d, acc, mapped(s.getMixedOffsets(), map),
            mapped(s.getMixedSizes(), map), mapped(s.getMixedStrides(), map));
    } else if (Value d = inner.get(v)) {
      acc = accumulate(lb, l, acc, d);
    }
    next.push_back(acc);
  }
  lb.create<scf::YieldOp>(l, next);
  if (failed(result))
    return failure();
  for (auto [i, v] : llvm::enumerate(captured))
    add(v, back.getResult(i));
  return success();
}

} // namespace modc
