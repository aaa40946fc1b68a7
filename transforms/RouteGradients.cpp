//===- RouteGradients.cpp - Reverse-mode rules of the routing ops ---------===//
//
// LANGUAGE.md §10: routing decisions are piecewise constant (chosen
// indices, plans, task/hash targets carry no gradient); the weights do.
// A route in a train block is lowered in its sparse form (mod-lower-routing:
// plan, gather of each target's rows, the target on them, scatter), so the
// rules here are: the gather (a scatter-add back into the rows, with the
// runtime's own scatter), the scatter (the rows' adjoints gathered and
// weighted, and the weights' adjoint as per-row dot products), the finish
// of `mean`/`max` and each router's decision.
//
//===----------------------------------------------------------------------===//

#include "transforms/GradientRules.h"

#include "dialects/Mod/ModDialect.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace modc {

namespace {

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return b.create<arith::ConstantIndexOp>(loc, v);
}

/// The product of dims [from, to) of `v` as an index value.
Value sizeProduct(OpBuilder &b, Location loc, Value v, int64_t from,
                  int64_t to) {
  TensorMath math(b, loc);
  Value n = indexConst(b, loc, 1);
  for (int64_t i = from; i < to; ++i)
    n = b.create<arith::MulIOp>(loc, n, math.dimSize(v, i));
  return n;
}

/// `v` reshaped to [rows, cols] (either static or dynamic).
Value as2d(OpBuilder &b, Location loc, Value v, int64_t split) {
  auto t = tensorType(v);
  auto type = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, t.getElementType());
  TensorMath math(b, loc);
  return math.reshape(v, type,
                      {sizeProduct(b, loc, v, 0, split),
                       sizeProduct(b, loc, v, split, t.getRank())});
}

/// A [rows, cols] f32 zero tensor.
Value zeros2d(OpBuilder &b, Location loc, Value rows, Value cols) {
  auto type = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, b.getF32Type());
  Value empty = b.create<tensor::EmptyOp>(loc, type, ValueRange{rows, cols});
  Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0));
  return b.create<linalg::FillOp>(loc, zero, empty).getResult(0);
}

/// y[ids[begin + i]] += source[i] for every row i of `source` ([n, G]),
/// into `y` ([R, G]): the runtime's scatter in its summing mode.
Value scatterAdd(OpBuilder &b, Location loc, Value source, Value ids,
                 Value begin, Value y) {
  return b
      .create<mod::RouteScatterOp>(
          loc, TypeRange{y.getType()},
          mod::ScatterModeAttr::get(b.getContext(), mod::ScatterMode::Sum),
          source, ids, ids, source, begin, y)
      .getResult(0);
}

/// An i64 element of a 1-D list, as an index.
Value listAt(OpBuilder &b, Location loc, Value list, Value i) {
  Value v = b.create<tensor::ExtractOp>(loc, list, ValueRange{i});
  return b.create<arith::IndexCastOp>(loc, b.getIndexType(), v);
}

/// A linalg.generic over a [dims...] destination whose body computes each
/// element from the loop indices (reading captured tensors).
Value tabulate(OpBuilder &b, Location loc, RankedTensorType type,
               ArrayRef<Value> dynSizes,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  int64_t rank = type.getRank();
  Value init = b.create<tensor::EmptyOp>(loc, type, dynSizes);
  auto id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{type}, ValueRange{}, ValueRange{init},
          SmallVector<AffineMap>{id},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange) {
            SmallVector<Value> idx;
            for (int64_t i = 0; i < rank; ++i)
              idx.push_back(nb.create<linalg::IndexOp>(nl, i));
            nb.create<linalg::YieldOp>(nl, body(nb, nl, idx));
          })
      .getResult(0);
}

/// Values moved between a decision's slots [R, K] and its targets [R, E]
/// through its indices: to the targets, out[r, e] = sum over the slots k
/// naming e of v[r, k]; to the slots, out[r, k] = v[r, idx[r, k]] (0 for an
/// empty slot). `like` has the result's type and rows.
Value throughIndices(OpBuilder &b, Location loc, Value idx, Value v, Value like,
                     bool toTargets) {
  MLIRContext *ctx = b.getContext();
  auto type = tensorType(like);
  SmallVector<Value> dyn;
  if (type.isDynamicDim(0))
    dyn.push_back(TensorMath(b, loc).dimSize(like, 0));
  Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0));
  Value init =
      b.create<linalg::FillOp>(
           loc, zero, b.create<tensor::EmptyOp>(loc, type, dyn).getResult())
          .getResult(0);
  // Loops (r, kept, summed): the result's column, then the other side's.
  AffineExpr r = getAffineDimExpr(0, ctx), kept = getAffineDimExpr(1, ctx),
             summed = getAffineDimExpr(2, ctx);
  AffineExpr slot = toTargets ? summed : kept;
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{type}, ValueRange{idx, v}, ValueRange{init},
          SmallVector<AffineMap>{AffineMap::get(3, 0, {r, slot}, ctx),
                                 AffineMap::get(3, 0, {r, summed}, ctx),
                                 AffineMap::get(3, 0, {r, kept}, ctx)},
          SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel,
                                           utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value target = nb.create<arith::IndexCastOp>(
                nl, nb.getI64Type(),
                nb.create<linalg::IndexOp>(nl, toTargets ? 1 : 2));
            Value hit = nb.create<arith::CmpIOp>(nl, arith::CmpIPredicate::eq,
                                                 a[0], target);
            Value z = nb.create<arith::ConstantOp>(nl, nb.getF32FloatAttr(0.0));
            Value take = nb.create<arith::SelectOp>(nl, hit, a[1], z);
            nb.create<linalg::YieldOp>(
                nl, nb.create<arith::AddFOp>(nl, a[2], take).getResult());
          })
      .getResult(0);
}

} // namespace

Value gatheredTable(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1)
    return Value();
  auto ids = dyn_cast<RankedTensorType>(g.getDpsInputs()[0].getType());
  if (!ids || !isa<IntegerType>(ids.getElementType()))
    return Value();
  auto yield = cast<linalg::YieldOp>(g.getRegion().front().getTerminator());
  auto extract = yield.getOperand(0).getDefiningOp<tensor::ExtractOp>();
  if (!extract ||
      g->isAncestor(extract.getTensor().getParentRegion()->getParentOp()))
    return Value();
  return extract.getTensor();
}

LogicalResult Adjoints::gatherRows(Operation *op, Value table) {
  if (!isActive(table))
    return success();
  auto g = cast<linalg::GenericOp>(op);
  Location loc = op->getLoc();
  Value ids = g.getDpsInputs()[0];
  Value d = get(g->getResult(0));
  int64_t idsRank = tensorType(ids).getRank();
  TensorMath math(b_, loc);
  // Rows of the adjoint, flattened: [n, G] with n ids and G per row.
  Value rows2d = as2d(b_, loc, d, idsRank);
  auto listType =
      RankedTensorType::get({ShapedType::kDynamic}, b_.getI64Type());
  Value n = sizeProduct(b_, loc, ids, 0, idsRank);
  Value flatIds =
      math.reshape(ids,
                   RankedTensorType::get({ShapedType::kDynamic},
                                         tensorType(ids).getElementType()),
                   {n});
  if (!tensorType(ids).getElementType().isInteger(64))
    flatIds = math.cast(flatIds, b_.getI64Type());
  flatIds = b_.create<tensor::CastOp>(loc, listType, flatIds);
  Value tableRows = math.dimSize(table, 0);
  // Clamped into the table as the forward gather's reads are: an id out of
  // range fails the call (its check), but the scatter runs before the
  // result is looked at and must not write outside the gradient.
  Value lastRow = b_.create<arith::IndexCastOp>(
      loc, b_.getI64Type(),
      b_.create<arith::SubIOp>(loc, tableRows, indexConst(b_, loc, 1)));
  flatIds = tabulate(
      b_, loc, listType, {n}, [&](OpBuilder &nb, Location nl, ValueRange i) {
        Value id = nb.create<tensor::ExtractOp>(nl, flatIds, i);
        Value zero = nb.create<arith::ConstantIntOp>(nl, 0, 64);
        return nb
            .create<arith::MinSIOp>(nl,
                                    nb.create<arith::MaxSIOp>(nl, id, zero),
                                    lastRow)
            .getResult();
      });
  Value cols = sizeProduct(b_, loc, table, 1, tensorType(table).getRank());
  // The rows summed in f32 (the runtime's scatter; an f16/bf16 table's
  // gradient is f32, LANGUAGE.md §10), rounded once to the table's type
  // for its adjoint (mod-differentiate takes the f32 sum itself).
  auto tt = tensorType(table);
  if (!tt.getElementType().isF32())
    rows2d = math.cast(rows2d, b_.getF32Type());
  Value sum = scatterAdd(b_, loc, rows2d, flatIds, indexConst(b_, loc, 0),
                         zeros2d(b_, loc, tableRows, cols));
  auto wide = RankedTensorType::get(tt.getShape(), b_.getF32Type());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < tt.getRank(); ++i)
    sizes.push_back(tt.isDynamicDim(i) ? math.dimSize(table, i) : Value());
  Value grad = math.reshape(sum, wide, sizes);
  add(table, tt.getElementType().isF32()
                 ? grad
                 : math.cast(grad, tt.getElementType()));
  return success();
}

LogicalResult Adjoints::routeScatter(Operation *op) {
  auto sc = cast<mod::RouteScatterOp>(op);
  Location loc = op->getLoc();
  Value d = get(sc->getResult(0));
  bool weighted = sc.getMode() == mod::ScatterMode::Weighted;
  bool max = sc.getMode() == mod::ScatterMode::Max;
  // The destination accumulates: its adjoint passes through (for `max`,
  // where it kept its value: a row that beat it takes the gradient).
  if (!max) {
    add(sc.getY(), d);
  } else if (isActive(sc.getY())) {
    auto yt = tensorType(sc.getY());
    TensorMath m(b_, loc);
    SmallVector<Value> dyn;
    for (int64_t i = 0; i < 2; ++i)
      if (yt.isDynamicDim(i))
        dyn.push_back(m.dimSize(sc.getY(), i));
    Value y = sc.getY(), r = sc->getResult(0);
    add(y, tabulate(b_, loc, yt, dyn,
                    [&](OpBuilder &nb, Location nl, ValueRange i) -> Value {
                      Value kept = nb.create<arith::CmpFOp>(
                          nl, arith::CmpFPredicate::OEQ,
                          nb.create<tensor::ExtractOp>(nl, r, i),
                          nb.create<tensor::ExtractOp>(nl, y, i));
                      Value z = nb.create<arith::ConstantOp>(
                          nl, nb.getF32FloatAttr(0.0));
                      return nb.create<arith::SelectOp>(
                          nl, kept, nb.create<tensor::ExtractOp>(nl, d, i), z);
                    }));
  }
  Value source = sc.getSource(), rows = sc.getRows(), slots = sc.getSlots();
  Value weights = sc.getRouteWeights(), begin = sc.getBegin();
  TensorMath math(b_, loc);
  auto st = tensorType(source);
  Value n = math.dimSize(source, 0), cols = math.dimSize(source, 1);
  // The packed row i's destination row and weight.
  auto rowOf = [&](OpBuilder &nb, Location nl, Value i) {
    return listAt(nb, nl, rows, nb.create<arith::AddIOp>(nl, begin, i));
  };
  auto weightOf = [&](OpBuilder &nb, Location nl, Value i, Value r) {
    Value s = listAt(nb, nl, slots, nb.create<arith::AddIOp>(nl, begin, i));
    return nb.create<tensor::ExtractOp>(nl, weights, ValueRange{r, s});
  };
  if (isActive(source)) {
    SmallVector<Value> dyn;
    if (st.isDynamicDim(0))
      dyn.push_back(n);
    if (st.isDynamicDim(1))
      dyn.push_back(cols);
    add(source,
        tabulate(b_, loc, st, dyn,
                 [&](OpBuilder &nb, Location nl, ValueRange idx) -> Value {
                   Value r = rowOf(nb, nl, idx[0]);
                   Value v = nb.create<tensor::ExtractOp>(
                       nl, d, ValueRange{r, idx[1]});
                   if (max) {
                     // The row won if it is above what the destination
                     // held before it.
                     Value mine = nb.create<tensor::ExtractOp>(nl, source,
                                                               ValueRange(idx));
                     Value held = nb.create<tensor::ExtractOp>(
                         nl, sc.getY(), ValueRange{r, idx[1]});
                     Value won = nb.create<arith::CmpFOp>(
                         nl, arith::CmpFPredicate::OGT, mine, held);
                     Value z = nb.create<arith::ConstantOp>(
                         nl, nb.getF32FloatAttr(0.0));
                     return nb.create<arith::SelectOp>(nl, won, v, z);
                   }
                   if (!weighted)
                     return v;
                   return nb.create<arith::MulFOp>(nl, v,
                                                   weightOf(nb, nl, idx[0], r));
                 }));
  }
  if (weighted && isActive(weights)) {
    // d w[r, s] = <source[i], dy[r]> for the packed row i of (r, s): the
    // dot products, scattered by the linear index r * K + s.
    MLIRContext *ctx = b_.getContext();
    auto dotType =
        RankedTensorType::get({ShapedType::kDynamic, 1}, b_.getF32Type());
    Value zero = b_.create<arith::ConstantOp>(loc, b_.getF32FloatAttr(0.0));
    Value dots = b_.create<linalg::FillOp>(
                       loc, zero,
                       b_.create<tensor::EmptyOp>(loc, dotType, ValueRange{n})
                           .getResult())
                     .getResult(0);
    AffineExpr i = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx);
    dots =
        b_.create<linalg::GenericOp>(
              loc, TypeRange{dotType}, ValueRange{source}, ValueRange{dots},
              SmallVector<AffineMap>{
                  AffineMap::get(2, 0, {i, c}, ctx),
                  AffineMap::get(2, 0, {i, getAffineConstantExpr(0, ctx)},
                                 ctx)},
              SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                               utils::IteratorType::reduction},
              [&](OpBuilder &nb, Location nl, ValueRange v) {
                Value row = nb.create<linalg::IndexOp>(nl, 0);
                Value col = nb.create<linalg::IndexOp>(nl, 1);
                Value r = rowOf(nb, nl, row);
                Value dy =
                    nb.create<tensor::ExtractOp>(nl, d, ValueRange{r, col});
                Value p = nb.create<arith::MulFOp>(nl, v[0], dy);
                nb.create<linalg::YieldOp>(
                    nl, nb.create<arith::AddFOp>(nl, v[1], p).getResult());
              })
            .getResult(0);
    Value k = math.dimSize(weights, 1), numRows = math.dimSize(weights, 0);
    // Only this target's n packed rows: the list from begin on.
    auto listType =
        RankedTensorType::get({ShapedType::kDynamic}, b_.getI64Type());
    Value k64 = b_.create<arith::IndexCastOp>(loc, b_.getI64Type(), k);
    Value linear =
        tabulate(b_, loc, listType, {n},
                 [&](OpBuilder &nb, Location nl, ValueRange idx) -> Value {
                   Value at = nb.create<arith::AddIOp>(nl, begin, idx[0]);
                   Value r = nb.create<tensor::ExtractOp>(nl, rows, at);
                   Value s = nb.create<tensor::ExtractOp>(nl, slots, at);
                   return nb.create<arith::AddIOp>(
                       nl, nb.create<arith::MulIOp>(nl, r, k64), s);
                 });
    Value flat =
        scatterAdd(b_, loc, dots, linear, indexConst(b_, loc, 0),
                   zeros2d(b_, loc, b_.create<arith::MulIOp>(loc, numRows, k),
                           indexConst(b_, loc, 1)));
    add(weights, math.reshape(flat, tensorType(weights), {numRows, k}));
  }
  return success();
}

LogicalResult Adjoints::routeFinish(Operation *op) {
  auto fin = cast<mod::RouteFinishOp>(op);
  Location loc = op->getLoc();
  Value d = get(fin->getResult(0));
  Value y = fin.getY(), idx = fin.getIndices();
  if (!isActive(y))
    return success();
  bool mean = fin.getMode() == mod::ScatterMode::Sum;
  TensorMath math(b_, loc);
  auto yt = tensorType(y);
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < 2; ++i)
    if (yt.isDynamicDim(i))
      dyn.push_back(math.dimSize(y, i));
  Value k = math.dimSize(idx, 1);
  // How many targets each row chose (once per row, not per element).
  auto countType =
      RankedTensorType::get({ShapedType::kDynamic}, b_.getI64Type());
  Value counts = tabulate(
      b_, loc, countType, {math.dimSize(y, 0)},
      [&](OpBuilder &nb, Location nl, ValueRange i) -> Value {
        Value zero = nb.create<arith::ConstantIndexOp>(nl, 0);
        Value one = nb.create<arith::ConstantIndexOp>(nl, 1);
        auto count = nb.create<scf::ForOp>(
            nl, zero, k, one, ValueRange{zero},
            [&](OpBuilder &lb, Location ll, Value j, ValueRange acc) {
              Value t =
                  lb.create<tensor::ExtractOp>(ll, idx, ValueRange{i[0], j});
              Value z =
                  lb.create<arith::ConstantOp>(ll, lb.getI64IntegerAttr(0));
              Value chosen =
                  lb.create<arith::CmpIOp>(ll, arith::CmpIPredicate::sge, t, z);
              Value inc = lb.create<arith::SelectOp>(ll, chosen, one, zero);
              lb.create<scf::YieldOp>(
                  ll, ValueRange{lb.create<arith::AddIOp>(ll, acc[0], inc)});
            });
        return nb.create<arith::IndexCastOp>(nl, nb.getI64Type(),
                                             count.getResult(0));
      });
  // Rows nothing chose were set to 0; the others divided by the number of
  // targets they chose (mean).
  add(y,
      tabulate(b_, loc, yt, dyn,
               [&](OpBuilder &nb, Location nl, ValueRange i) -> Value {
                 Value zero =
                     nb.create<arith::ConstantOp>(nl, nb.getI64IntegerAttr(0));
                 Value c = nb.create<tensor::ExtractOp>(nl, counts, i[0]);
                 Value v = nb.create<tensor::ExtractOp>(nl, d, i);
                 Value fz =
                     nb.create<arith::ConstantOp>(nl, nb.getF32FloatAttr(0.0));
                 Value any = nb.create<arith::CmpIOp>(
                     nl, arith::CmpIPredicate::sgt, c, zero);
                 if (mean) {
                   Value cf =
                       nb.create<arith::SIToFPOp>(nl, nb.getF32Type(), c);
                   v = nb.create<arith::DivFOp>(nl, v, cf);
                 }
                 return nb.create<arith::SelectOp>(nl, any, v, fz);
               }));
  return success();
}

LogicalResult Adjoints::routeDense(Operation *op) {
  auto dense = cast<mod::RouteDenseOp>(op);
  Value w = dense.getWeights();
  Value d = get(dense->getResult(0));
  if (!isActive(w))
    return success();
  // d w[r, k] = d dense[r, idx[r, k]] (the count column is never named).
  add(w, throughIndices(b_, op->getLoc(), dense.getIndices(), d, w,
                        /*toTargets=*/false));
  return success();
}

LogicalResult Adjoints::groupedMatmul(Operation *op) {
  auto mm = cast<mod::GroupedMatmulOp>(op);
  Location loc = op->getLoc();
  if (mm.getGather() || mm.getTransposeWeights() ||
      !tensorType(mm.getWeights()[0]).getElementType().isF32())
    return op->emitError("training: the gradient of a grouped matmul with "
                         "a gather, transposed or non-f32 weights is not "
                         "supported");
  Value d = get(mm->getResult(0));
  Value lhs = mm.getLhs(), counts = mm.getCounts();
  ValueRange weights = mm.getWeights();
  // The rows past the counts' sum are the out operand's: its adjoint there.
  if (isActive(mm.getOut()))
    return op->emitError("training: a grouped matmul accumulating into an "
                         "active value");
  // dX = dY W_g^T per group; rows past the groups get zeros.
  if (isActive(lhs)) {
    Value init = zerosLike(b_, loc, lhs);
    Value dx = b_.create<mod::GroupedMatmulOp>(loc, TypeRange{lhs.getType()}, d,
                                               Value(), counts, weights, init,
                                               b_.getUnitAttr())
                   .getResult(0);
    add(lhs, dx);
  }
  // dW_g = X_g^T dY_g, all groups in one call.
  if (llvm::any_of(weights, [&](Value w) { return isActive(w); })) {
    auto wt = tensorType(weights[0]);
    int64_t groups = int64_t(weights.size());
    auto stacked = RankedTensorType::get(
        {groups, wt.getDimSize(0), wt.getDimSize(1)}, wt.getElementType());
    if (!stacked.hasStaticShape())
      return op->emitError("training: grouped weights of dynamic shape");
    Value init = b_.create<tensor::EmptyOp>(loc, stacked, ValueRange{});
    Value dw = b_.create<mod::GroupedWeightGradOp>(loc, TypeRange{stacked}, lhs,
                                                   counts, d, init)
                   .getResult(0);
    for (auto [g, w] : llvm::enumerate(weights)) {
      if (!isActive(w))
        continue;
      SmallVector<OpFoldResult> offsets = {
          b_.getIndexAttr(int64_t(g)), b_.getIndexAttr(0), b_.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {b_.getIndexAttr(1),
                                         b_.getIndexAttr(wt.getDimSize(0)),
                                         b_.getIndexAttr(wt.getDimSize(1))};
      SmallVector<OpFoldResult> strides(3, b_.getIndexAttr(1));
      Value slice = b_.create<tensor::ExtractSliceOp>(loc, wt, dw, offsets,
                                                      sizes, strides);
      add(w, slice);
    }
  }
  return success();
}

LogicalResult Adjoints::routeDecide(Operation *op) {
  auto dec = cast<mod::RouteDecideOp>(op);
  Location loc = op->getLoc();
  Value input = dec.getInput();
  Value dW = get(dec->getResult(1));
  if (!isActive(input) || !dW)
    return success();
  mod::RouterKind kind = dec.getRouter();
  TensorMath math(b_, loc);
  Value idx = dec->getResult(0), w = dec->getResult(1);
  if (kind == mod::RouterKind::Topk && dec.getNormalize() &&
      dec.getCapacity() && !dec.getCapacity()->isZero()) {
    // The kept weights are the softmax over all k chosen logits, dropped
    // ones included: differentiate the decision before the drops (the same
    // slots: a drop only empties one), the dropped slots' adjoint being 0.
    Operation *before = b_.clone(*op);
    before->setAttr("capacity", b_.getF64FloatAttr(0.0));
    idx = before->getResult(0);
    w = before->getResult(1);
  }
  // g[r, e] = sum over the slots k of row r naming e of v[r, k].
  auto byTarget = [&](Value v) {
    return throughIndices(b_, loc, idx, v, input, /*toTargets=*/true);
  };
  // Softmax backward along the last axis: p * (g - sum(p * g)).
  auto softmaxBackward = [&](Value p, Value g) {
    auto pt = tensorType(p);
    Value pg = math.binary(BinaryKind::Mul, p, g, pt);
    Value s = math.reduce(vocab::Builtin::Sum, pg, 1, /*keepdims=*/true);
    Value centred = math.binary(BinaryKind::Sub, g, s, pt);
    return math.binary(BinaryKind::Mul, p, centred, pt);
  };
  switch (kind) {
  case mod::RouterKind::Weights:
    add(input, byTarget(dW));
    return success();
  case mod::RouterKind::Topk:
    if (dec.getNormalize()) {
      // Softmax over the k chosen logits: its backward over the slots,
      // then back to the chosen targets.
      add(input, byTarget(softmaxBackward(w, dW)));
      return success();
    }
    [[fallthrough]];
  case mod::RouterKind::SoftmaxGate:
  case mod::RouterKind::ExpertChoice: {
    // Weights read from softmax(logits) over all targets.
    Value p = math.softmax(input, 1, /*log=*/false);
    add(input, softmaxBackward(p, byTarget(dW)));
    return success();
  }
  case mod::RouterKind::Task:
  case mod::RouterKind::Hash:
    return success();
  }
  return success();
}

} // namespace modc
