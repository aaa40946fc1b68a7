//===- DispatchLowering.h - mod.dispatch lowering internals ----*- C++ -*-===//
//
// The state and the small helpers of mod.dispatch's lowering, shared by
// LowerDispatch.cpp (sparse and fused dispatch) and LowerMerge.cpp (the
// `merge` aggregation). Private to conversion/.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_CONVERSION_DISPATCHLOWERING_H
#define MODC_CONVERSION_DISPATCHLOWERING_H

#include "conversion/LowerDispatch.h"
#include "ir/Grouping.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

namespace modc {
namespace routing {
namespace detail {

using namespace mlir;

class DispatchLowering {
public:
  DispatchLowering(ModuleOp module, bool packedRowsBound)
      : module(module), packedRowsBound(packedRowsBound) {}

  /// rows_t[i] -> x[rows_t[i], ...]: the packed input of one target.
  Value gather(OpBuilder &b, Location loc, Value x, Value rowIds) {
    // The rows of x are an embedding table indexed by the row ids.
    auto xt = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(xt.getShape());
    shape[0] = ShapedType::kDynamic;
    return modc::TensorMath(b, loc).embedding(
        x, rowIds, RankedTensorType::get(shape, xt.getElementType()));
  }

  /// [n, G...] -> [n, prod(G)] (and [n] -> [n, 1]).
  Value flattenRows(OpBuilder &b, Location loc, Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() == 2)
      return v;
    if (t.getRank() == 1) {
      auto type =
          RankedTensorType::get({t.getDimSize(0), 1}, t.getElementType());
      modc::TensorMath math(b, loc);
      SmallVector<OpFoldResult> shape = {OpFoldResult(math.dimSize(v, 0)),
                                         OpFoldResult(b.getIndexAttr(1))};
      return b.create<tensor::ExpandShapeOp>(
          loc, type, v, SmallVector<ReassociationIndices>{{0, 1}}, shape);
    }
    ReassociationIndices rest;
    for (int64_t i = 1; i < t.getRank(); ++i)
      rest.push_back(i);
    return b.create<tensor::CollapseShapeOp>(
        loc, v, SmallVector<ReassociationIndices>{{0}, rest});
  }

  /// The module function of target `t`.
  func::FuncOp target(mod::DispatchOp op, unsigned t) {
    return module.lookupSymbol<func::FuncOp>(
        cast<FlatSymbolRefAttr>(op.getTargets()[t]));
  }

  /// The grouped roles of the shared module body of a fused dispatch.
  std::optional<modc::GroupedBody> groupedBody(mod::DispatchOp op) {
    func::FuncOp fn = target(op, 0);
    if (!fn)
      return std::nullopt;
    return modc::groupBody(fn, op.getTargetParams(0).size());
  }

  /// Target t's parameter `j` for every t: the weight operands of a
  /// grouped matmul.
  SmallVector<Value> groupWeights(mod::DispatchOp op, unsigned j) {
    SmallVector<Value> weights;
    for (unsigned t = 0; t < op.getTargets().size(); ++t)
      weights.push_back(op.getTargetParams(t)[j]);
    return weights;
  }

  /// [n, P...] rows: row i is target group[i]'s parameter `j`.
  Value paramRows(OpBuilder &b, Location loc, mod::DispatchOp op, unsigned j,
                  Value groups, Value n) {
    int64_t e = op.getTargets().size();
    auto pt = cast<RankedTensorType>(op.getTargetParams(0)[j].getType());
    modc::TensorMath math(b, loc);
    SmallVector<int64_t> stackShape = {e};
    stackShape.append(pt.getShape().begin(), pt.getShape().end());
    Value stack =
        b.create<tensor::EmptyOp>(loc, stackShape, pt.getElementType());
    for (int64_t t = 0; t < e; ++t) {
      SmallVector<OpFoldResult> offsets(stackShape.size(), b.getIndexAttr(0));
      offsets[0] = b.getIndexAttr(t);
      SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
      for (int64_t d : pt.getShape())
        sizes.push_back(b.getIndexAttr(d));
      SmallVector<OpFoldResult> strides(stackShape.size(), b.getIndexAttr(1));
      stack = b.create<tensor::InsertSliceOp>(loc, op.getTargetParams(t)[j],
                                              stack, offsets, sizes, strides);
    }
    int64_t rank = pt.getRank() + 1;
    SmallVector<int64_t> shape = {ShapedType::kDynamic};
    shape.append(pt.getShape().begin(), pt.getShape().end());
    auto type = RankedTensorType::get(shape, pt.getElementType());
    Value init = b.create<tensor::EmptyOp>(loc, type, ValueRange{n});
    MLIRContext *ctx = b.getContext();
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, {getAffineDimExpr(0, ctx)}, ctx),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    return b
        .create<linalg::GenericOp>(
            loc, TypeRange{type}, ValueRange{groups}, ValueRange{init}, maps,
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange v) {
              SmallVector<Value> idx = {
                  nb.create<arith::IndexCastOp>(l, nb.getIndexType(), v[0])};
              for (int64_t i = 1; i < rank; ++i)
                idx.push_back(nb.create<linalg::IndexOp>(l, i));
              nb.create<linalg::YieldOp>(
                  l, nb.create<tensor::ExtractOp>(l, stack, idx).getResult());
            })
        .getResult(0);
  }

  struct Plan {
    Value counts, rows, slots;
  };

  /// The (row, slot) choices of a dispatch grouped by target: counts[t],
  /// then the rows and slots of target 0, of target 1, ...
  Plan plan(OpBuilder &b, Location loc, mod::DispatchOp op) {
    modc::TensorMath math(b, loc);
    int64_t numTargets = op.getTargets().size();
    Value rk = b.create<arith::MulIOp>(loc, math.dimSize(op.getInput(), 0),
                                       math.dimSize(op.getIndices(), 1));
    auto countsType = RankedTensorType::get({numTargets}, b.getI64Type());
    auto plan = b.create<mod::RoutePlanOp>(
        loc, TypeRange{countsType, listType(b), listType(b)}, op.getIndices(),
        empty(b, loc, countsType, {}), empty(b, loc, listType(b), rk),
        empty(b, loc, listType(b), rk));
    return {plan.getResult(0), plan.getResult(1), plan.getResult(2)};
  }

  /// The dispatch's output flattened to [R, G], filled with the
  /// aggregation's identity, and how targets' rows combine into it.
  struct Output {
    Value y;
    mod::ScatterMode mode;
    SmallVector<Value> featureSizes;
    mod::ScatterModeAttr modeAttr(OpBuilder &b) const {
      return mod::ScatterModeAttr::get(b.getContext(), mode);
    }
  };

  Output makeOutput(OpBuilder &b, Location loc, mod::DispatchOp op,
                    Value rows) {
    Output out;
    out.featureSizes = resultFeatureSizes(b, loc, op);
    Value g = b.create<arith::ConstantIndexOp>(loc, 1);
    for (Value d : out.featureSizes)
      g = b.create<arith::MulIOp>(loc, g, d);
    auto type = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, b.getF32Type());
    mod::Aggregation agg = op.getAggregation();
    out.mode = agg == mod::Aggregation::WeightedSum ? mod::ScatterMode::Weighted
               : agg == mod::Aggregation::Max       ? mod::ScatterMode::Max
                                                    : mod::ScatterMode::Sum;
    Value init = b.create<arith::ConstantOp>(
        loc, b.getF32FloatAttr(out.mode == mod::ScatterMode::Max
                                   ? -std::numeric_limits<float>::infinity()
                                   : 0.0f));
    out.y = b.create<linalg::FillOp>(loc, init,
                                     empty(b, loc, type, ValueRange{rows, g}))
                .getResult(0);
    return out;
  }

  /// mean/max normalisation, then the output replaces the dispatch.
  void finishOutput(OpBuilder &b, Location loc, mod::DispatchOp op,
                    const Output &out, Value rows) {
    mod::Aggregation agg = op.getAggregation();
    Value y = out.y;
    if (agg == mod::Aggregation::Mean || agg == mod::Aggregation::Max)
      y = b.create<mod::RouteFinishOp>(loc, TypeRange{y.getType()},
                                       out.modeAttr(b), op.getIndices(), y)
              .getResult(0);
    op.getResult().replaceAllUsesWith(
        unflatten(b, loc, y, cast<RankedTensorType>(op.getResult().getType()),
                  rows, out.featureSizes));
    op.erase();
  }

  /// Clones the row-wise generic `gen` of a module body with each parameter
  /// input replaced by `rowsOf(j)`, its [rows, P...] value per row (the
  /// row loop prepended to its indexing map).
  void cloneWithParamRows(OpBuilder &b, Location loc, linalg::GenericOp gen,
                          IRMapping &map,
                          llvm::function_ref<Value(unsigned)> rowsOf);

  /// A fused dispatch: rows grouped by target and gathered once, the shared
  /// module body run once on all of them (grouped GEMMs for the parameter
  /// matmuls, per-row parameter rows for the elementwise uses), one
  /// weighted scatter.
  FailureOr<DispatchKind> lowerFused(mod::DispatchOp op,
                                     const modc::GroupedBody &gb,
                                     bool training = false);

  /// out.y with `source`'s rows (packed rows `begin`.. of the lists)
  /// scattered in.
  Value scatter(OpBuilder &b, Location loc, const Output &out, Value source,
                Value rowList, Value slotList, Value routeWeights,
                Value begin) {
    return b
        .create<mod::RouteScatterOp>(loc, TypeRange{out.y.getType()},
                                     out.modeAttr(b), source, rowList, slotList,
                                     routeWeights, begin, out.y)
        .getResult(0);
  }

  FailureOr<DispatchKind> lower(mod::DispatchOp op);

  /// [R, prod(G)] -> the dispatch's [R, G...].
  Value unflatten(OpBuilder &b, Location loc, Value y,
                  RankedTensorType resultType, Value rows,
                  ArrayRef<Value> featureSizes) {
    if (resultType.getRank() == 2)
      return b.create<tensor::CastOp>(loc, resultType, y);
    if (resultType.getRank() == 1)
      return b.create<tensor::CollapseShapeOp>(
          loc,
          b.create<tensor::CastOp>(
              loc,
              RankedTensorType::get({ShapedType::kDynamic, 1},
                                    resultType.getElementType()),
              y),
          SmallVector<ReassociationIndices>{{0, 1}});
    SmallVector<Value> sizes = {rows};
    sizes.append(featureSizes.begin(), featureSizes.end());
    modc::TensorMath math(b, loc);
    return math.reshape(y, resultType, sizes);
  }

  /// Sizes of the result dims after the rows (static ones as constants).
  SmallVector<Value> resultFeatureSizes(OpBuilder &b, Location loc,
                                        mod::DispatchOp op) {
    auto type = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> sizes;
    unsigned next = 0;
    for (int64_t i = 1; i < type.getRank(); ++i)
      sizes.push_back(type.isDynamicDim(i) ? op.getResultDims()[next++]
                                           : b.create<arith::ConstantIndexOp>(
                                                  loc, type.getDimSize(i))
                                                 .getResult());
    return sizes;
  }

  /// dense[r, t]: the summed weight row r gives target t; dense[r, E]: how
  /// many targets row r chose (modrt_route_dense).
  Value denseWeights(OpBuilder &b, Location loc, mod::DispatchOp op,
                     Value rows) {
    int64_t numTargets = op.getTargets().size();
    auto type = RankedTensorType::get({ShapedType::kDynamic, numTargets + 1},
                                      b.getF32Type());
    return b
        .create<mod::RouteDenseOp>(loc, TypeRange{type}, op.getIndices(),
                                   op.getWeights(),
                                   empty(b, loc, type, ValueRange{rows}))
        .getResult(0);
  }

  /// The map reading dense[d0, column] in a loop nest of `rank` dims.
  static AffineMap denseColumn(MLIRContext *ctx, int64_t rank, int64_t column) {
    return AffineMap::get(
        rank, 0, {getAffineDimExpr(0, ctx), getAffineConstantExpr(column, ctx)},
        ctx);
  }

  /// The inner rows per packed row of `rowValue` in a grouped body (the
  /// product of the inner dims collapsed into its rows: T for [n, T, D] ->
  /// [n*T, D]), an index; null if it has none.
  Value innerRows(OpBuilder &b, Location loc, const modc::GroupedBody &gb,
                  Value rowValue, IRMapping &map);

  /// dense ([rows, E + 1]) with each row repeated `factor` times:
  /// [rows * factor, E + 1], the weights of inner rows ([n, T, D] routed
  /// per example, collapsed to [n*T, D]).
  Value innerRowWeights(OpBuilder &b, Location loc, Value dense, Value rows,
                        Value factor);

  /// sum_e dense[r, e] * v_e over all `rows` rows: v_e is [rows, ...] per
  /// row, or, with `rowInvariant`, one tensor read by every row (a
  /// parameter, broadcast by the indexing map, never copied per row).
  Value weightedRows(OpBuilder &b, Location loc, Value dense,
                     ArrayRef<Value> values, Value rows, bool rowInvariant);

  /// y ([rows, ...]) with the rows nothing chose zeroed: dense ([rows,
  /// E + 1]) counts each row's choices in its last column.
  Value keepChosen(OpBuilder &b, Location loc, Value y, Value dense,
                   int64_t numTargets);

  /// Each target's parameters as f32 (f16/bf16 ones widened: they mix in
  /// f32 and round once, LANGUAGE.md §3), by target.
  SmallVector<SmallVector<Value>> widenedParams(OpBuilder &b, Location loc,
                                                mod::DispatchOp op);

  /// `merge` over a groupable module, by exact factoring: the module body
  /// runs once on all rows; a matmul with a parameter, linear in it, is
  /// h @ (sum_e w_e P_e) = sum_e w_e (h @ P_e), E GEMMs weighted per row,
  /// and a parameter used elementwise (a bias) becomes its per-row mix
  /// sum_e w_e P_e, [rows, P...]. No per-row weight matrix is formed.
  FailureOr<DispatchKind> lowerMergeFactored(mod::DispatchOp op,
                                             const modc::GroupedBody &gb);

  /// theta = sum_t dense[r, t] * theta_t for one row r, then one
  /// application to the rows that share r's weights: the parameters are
  /// mixed once per distinct weight vector (modrt_route_distinct groups the
  /// rows), e.g. once per task when the weights come from the task id.
  FailureOr<DispatchKind> lowerMerge(mod::DispatchOp op);

  /// `merge` in a train block over a module that cannot be factored (a
  /// parameter transformed before its matmul, a prefix concatenated to
  /// the keys): a loop over the rows (kRowMapAttr), row r running the
  /// module on x[r] with theta_r = sum_t dense[r, t] * theta_t, which
  /// mod-differentiate runs backwards row by row.
  FailureOr<DispatchKind> lowerMergeRows(mod::DispatchOp op);

private:
  ModuleOp module;
  bool packedRowsBound;

  static RankedTensorType listType(OpBuilder &b) {
    return RankedTensorType::get({ShapedType::kDynamic}, b.getI64Type());
  }
  static Value extractIndex(OpBuilder &b, Location loc, Value t,
                            ValueRange at) {
    return b.create<arith::IndexCastOp>(
        loc, b.getIndexType(), b.create<tensor::ExtractOp>(loc, t, at));
  }
  static Value i64(OpBuilder &b, Location loc, int64_t v) {
    return b.create<arith::ConstantIntOp>(loc, v, 64);
  }
  static Value toI64(OpBuilder &b, Location loc, Value index) {
    return b.create<arith::IndexCastOp>(loc, b.getI64Type(), index);
  }
};

} // namespace detail
} // namespace routing
} // namespace modc

#endif // MODC_CONVERSION_DISPATCHLOWERING_H
