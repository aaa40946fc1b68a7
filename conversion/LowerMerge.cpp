//===- LowerMerge.cpp - Lowering of mod.dispatch with `merge` ------------===//
//
// `merge` (LANGUAGE.md §7) mixes parameters, not outputs: the module runs
// once per distinct weight vector with sum_t w_t theta_t (mod.route.dense
// and mod.route.distinct group the rows), or, for a groupable module with
// `factored`, by exact factoring on all rows (E GEMMs weighted per row).
//
//===----------------------------------------------------------------------===//

#include "conversion/DispatchLowering.h"

using namespace mlir;

namespace modc {
namespace routing {
namespace detail {

Value DispatchLowering::weightedRows(OpBuilder &b, Location loc, Value dense,
                                     ArrayRef<Value> values, Value rows,
                                     bool rowInvariant) {
  auto vt = cast<RankedTensorType>(values[0].getType());
  modc::TensorMath math(b, loc);
  SmallVector<int64_t> shape;
  SmallVector<Value> sizes;
  if (rowInvariant) {
    shape.push_back(ShapedType::kDynamic);
    sizes.push_back(rows);
  }
  for (int64_t i = 0; i < vt.getRank(); ++i) {
    shape.push_back(vt.getDimSize(i));
    sizes.push_back(math.dimSize(values[0], i));
  }
  // f16/bf16 values mix in f32 and round once (LANGUAGE.md §3).
  Type elem = vt.getElementType();
  bool half = elem.getIntOrFloatBitWidth() < 32;
  auto type = RankedTensorType::get(shape, half ? b.getF32Type() : elem);
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap in = rowInvariant ? id.dropResult(0) : id;
  // Inputs: the E values, then dense[r, e] for each e.
  SmallVector<Value> inputs(values.begin(), values.end());
  SmallVector<AffineMap> maps(values.size(), in);
  for (size_t e = 0; e < values.size(); ++e) {
    inputs.push_back(dense);
    maps.push_back(denseColumn(ctx, rank, int64_t(e)));
  }
  maps.push_back(id);
  size_t numValues = values.size();
  Value mix =
      b.create<linalg::GenericOp>(
           loc, TypeRange{type}, inputs, ValueRange{math.empty(type, sizes)},
           maps,
           SmallVector<utils::IteratorType>(rank,
                                            utils::IteratorType::parallel),
           [&](OpBuilder &nb, Location l, ValueRange v) {
             Value acc;
             for (size_t e = 0; e < numValues; ++e) {
               Value value = v[e];
               if (half)
                 value = nb.create<arith::ExtFOp>(l, nb.getF32Type(), value);
               Value term =
                   nb.create<arith::MulFOp>(l, v[numValues + e], value);
               acc = acc ? nb.create<arith::AddFOp>(l, acc, term).getResult()
                         : term;
             }
             nb.create<linalg::YieldOp>(l, acc);
           })
          .getResult(0);
  return half ? math.cast(mix, elem) : mix;
}

Value DispatchLowering::innerRowWeights(OpBuilder &b, Location loc, Value dense,
                                        Value rows, Value factor) {
  auto dt = cast<RankedTensorType>(dense.getType());
  int64_t columns = dt.getDimSize(1);
  auto wide = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, columns},
      dt.getElementType());
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap perRow = AffineMap::get(
      3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(2, ctx)}, ctx);
  Value spread =
      b.create<linalg::GenericOp>(
           loc, TypeRange{wide}, ValueRange{dense},
           ValueRange{b.create<tensor::EmptyOp>(loc, wide.getShape(),
                                                wide.getElementType(),
                                                ValueRange{rows, factor})},
           SmallVector<AffineMap>{perRow, id},
           SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
           [&](OpBuilder &nb, Location l, ValueRange v) {
             nb.create<linalg::YieldOp>(l, v[0]);
           })
          .getResult(0);
  return b.create<tensor::CollapseShapeOp>(
      loc, spread, SmallVector<ReassociationIndices>{{0, 1}, {2}});
}

Value DispatchLowering::keepChosen(OpBuilder &b, Location loc, Value y,
                                   Value dense, int64_t numTargets) {
  modc::TensorMath math(b, loc);
  auto type = cast<RankedTensorType>(y.getType());
  int64_t rank = type.getRank();
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < rank; ++i)
    sizes.push_back(math.dimSize(y, i));
  auto id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{type}, ValueRange{y, dense},
          ValueRange{math.empty(type, sizes)},
          SmallVector<AffineMap>{
              id, denseColumn(b.getContext(), rank, numTargets), id},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange v) {
            Value zero = nb.create<arith::ConstantOp>(l, nb.getF32FloatAttr(0));
            Value any = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT,
                                                 v[1], zero);
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::SelectOp>(l, any, v[0], zero).getResult());
          })
      .getResult(0);
}

SmallVector<SmallVector<Value>>
DispatchLowering::widenedParams(OpBuilder &b, Location loc,
                                mod::DispatchOp op) {
  modc::TensorMath math(b, loc);
  SmallVector<SmallVector<Value>> wide(op.getTargets().size());
  for (auto [t, params] : llvm::enumerate(wide))
    for (Value theta : op.getTargetParams(t))
      params.push_back(getElementTypeOrSelf(theta.getType()).isF32()
                           ? theta
                           : math.cast(theta, b.getF32Type()));
  return wide;
}

FailureOr<DispatchKind>
DispatchLowering::lowerMergeFactored(mod::DispatchOp op,
                                     const modc::GroupedBody &gb) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  modc::TensorMath math(b, loc);
  Value x = op.getInput();
  int64_t numTargets = op.getTargets().size();
  func::FuncOp fn = target(op, 0);
  unsigned numParams = op.getTargetParams(0).size();
  Value rows = math.dimSize(x, 0);
  Value dense = denseWeights(b, loc, op, rows);

  Block &body = fn.getBody().front();
  IRMapping map;
  map.map(body.getArgument(numParams), x);
  auto isParam = [&](Value v) {
    auto a = dyn_cast<BlockArgument>(v);
    return a && a.getOwner() == &body && a.getArgNumber() < numParams;
  };
  for (Operation &o : body.without_terminator()) {
    auto it = gb.uses.find(&o);
    modc::GroupedUse use =
        it == gb.uses.end() ? modc::GroupedUse::Neutral : it->second;
    // A half parameter's widening: each product widens its target's.
    if (use == modc::GroupedUse::ParamWiden)
      continue;
    if (use == modc::GroupedUse::GroupedMatmul) {
      auto mm = cast<linalg::MatmulOp>(o);
      unsigned j = gb.paramIndex(mm.getInputs()[1]);
      auto type = cast<RankedTensorType>(mm.getResult(0).getType());
      Value lhs = map.lookup(mm.getInputs()[0]);
      // Rows split into inner rows ([n, T, D] -> [n*T, D], a per-example
      // route): each inner row takes its row's weights.
      Value rowWeights = dense, lhsRows = rows;
      if (Value factor = innerRows(b, loc, gb, mm.getInputs()[0], map)) {
        rowWeights = innerRowWeights(b, loc, dense, rows, factor);
        lhsRows = math.dimSize(lhs, 0);
      }
      SmallVector<Value> products;
      for (int64_t t = 0; t < numTargets; ++t) {
        Value theta = op.getTargetParams(t)[j];
        if (getElementTypeOrSelf(theta.getType()) != type.getElementType())
          theta = math.cast(theta, type.getElementType());
        products.push_back(math.matmul(lhs, theta, type));
      }
      map.map(mm.getResult(0), weightedRows(b, loc, rowWeights, products,
                                            lhsRows, /*rowInvariant=*/false));
      continue;
    }
    auto gen = dyn_cast<linalg::GenericOp>(o);
    if (use != modc::GroupedUse::RowGeneric ||
        !llvm::any_of(gen.getDpsInputs(), isParam)) {
      b.clone(o, map);
      continue;
    }
    cloneWithParamRows(b, loc, gen, map, [&](unsigned j) {
      // The parameter's mix for every row: [rows, P...].
      return weightedRows(b, loc, dense, groupWeights(op, j), rows,
                          /*rowInvariant=*/true);
    });
  }
  Value result =
      map.lookup(cast<func::ReturnOp>(body.getTerminator()).getOperand(0));
  // A row nothing chose gets 0.
  Value chosenOnly = keepChosen(b, loc, result, dense, numTargets);
  op.getResult().replaceAllUsesWith(
      b.create<tensor::CastOp>(loc, op.getResult().getType(), chosenOnly));
  op.erase();
  return DispatchKind::MergeFactored;
}

FailureOr<DispatchKind> DispatchLowering::lowerMerge(mod::DispatchOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  modc::TensorMath math(b, loc);
  Value x = op.getInput();
  int64_t numTargets = op.getTargets().size();
  Value rows = math.dimSize(x, 0);
  Value dense = denseWeights(b, loc, op, rows);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  auto countType = RankedTensorType::get({1}, b.getI64Type());
  auto distinct = b.create<mod::RouteDistinctOp>(
      loc, TypeRange{listType(b), listType(b), countType}, dense,
      empty(b, loc, listType(b), rows),
      empty(b, loc, listType(b),
            b.create<arith::AddIOp>(loc, rows, one).getResult()),
      empty(b, loc, countType, {}));
  Value order = distinct.getResult(0), offsets = distinct.getResult(1);
  // scatter's slot list: every row's "slot" 0 (the `sum` mode ignores
  // weights).
  Value slots = b.create<linalg::FillOp>(loc, i64(b, loc, 0),
                                         empty(b, loc, listType(b), rows))
                    .getResult(0);
  Output out = makeOutput(b, loc, op, rows); // `merge`: the sum mode

  Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
  Value groups = extractIndex(b, loc, distinct.getResult(2), c0);
  auto callee = cast<FlatSymbolRefAttr>(op.getTargets()[0]);
  func::FuncOp fn = target(op, 0);
  // The targets' parameters as f32, widened once for all groups: f16/bf16
  // ones mix in f32 and round once (§3).
  int64_t numParams = op.getParamSegments()[0];
  SmallVector<SmallVector<Value>> wide = widenedParams(b, loc, op);
  auto loop = b.create<scf::ForOp>(
      loc, c0, groups, one, ValueRange{out.y},
      [&](OpBuilder &lb, Location l, Value u, ValueRange acc) {
        Value start = extractIndex(lb, l, offsets, u);
        Value end = extractIndex(
            lb, l, offsets, lb.create<arith::AddIOp>(l, u, one).getResult());
        Value n = lb.create<arith::SubIOp>(l, end, start);
        Value rep = extractIndex(lb, l, order, start);
        auto weightOf = [&](OpBuilder &nb, int64_t t) -> Value {
          return nb.create<tensor::ExtractOp>(
              l, dense,
              ValueRange{rep, nb.create<arith::ConstantIndexOp>(l, t)});
        };
        Value zeroF = lb.create<arith::ConstantOp>(l, lb.getF32FloatAttr(0));
        Value any = lb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT,
                                             weightOf(lb, numTargets), zeroF);
        // Rows nothing chose keep 0.
        auto ifOp = lb.create<scf::IfOp>(
            l, any,
            [&](OpBuilder &tb, Location l) {
              modc::TensorMath tm(tb, l);
              SmallVector<Value> operands;
              for (int64_t p = 0; p < numParams; ++p) {
                Value mix;
                Type elem =
                    getElementTypeOrSelf(op.getTargetParams(0)[p].getType());
                for (int64_t t = 0; t < numTargets; ++t) {
                  Value theta = wide[t][p];
                  auto type = cast<RankedTensorType>(theta.getType());
                  Value term = tm.binary(modc::BinaryKind::Mul, theta,
                                         weightOf(tb, t), type);
                  mix = mix ? tm.binary(modc::BinaryKind::Add, mix, term, type)
                            : term;
                }
                operands.push_back(elem.isF32() ? mix : tm.cast(mix, elem));
              }
              Value mine = tb.create<tensor::ExtractSliceOp>(
                  l, order, ArrayRef<OpFoldResult>{start},
                  ArrayRef<OpFoldResult>{n},
                  ArrayRef<OpFoldResult>{tb.getIndexAttr(1)});
              Value packed = gather(tb, l, x, mine);
              operands.push_back(tb.create<tensor::CastOp>(
                  l, fn.getFunctionType().getInputs().back(), packed));
              Value y = tb.create<mod::ApplyOp>(
                              l, fn.getFunctionType().getResults(), callee,
                              tb.getStringAttr("merge"),
                              tb.getI64IntegerAttr(numParams), operands)
                            .getResult(0);
              Output cur = out;
              cur.y = acc[0];
              tb.create<scf::YieldOp>(l,
                                      scatter(tb, l, cur, flattenRows(tb, l, y),
                                              order, slots, dense, start));
            },
            [&](OpBuilder &eb, Location l) {
              eb.create<scf::YieldOp>(l, acc[0]);
            });
        lb.create<scf::YieldOp>(l, ifOp.getResults());
      });
  out.y = loop.getResult(0);
  finishOutput(b, loc, op, out, rows);
  return DispatchKind::MergePerWeights;
}

FailureOr<DispatchKind> DispatchLowering::lowerMergeRows(mod::DispatchOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  modc::TensorMath math(b, loc);
  Value x = op.getInput();
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t numTargets = op.getTargets().size();
  Value rows = math.dimSize(x, 0);
  Value dense = denseWeights(b, loc, op, rows);
  Output out = makeOutput(b, loc, op, rows); // `merge`: the sum mode
  auto callee = cast<FlatSymbolRefAttr>(op.getTargets()[0]);
  func::FuncOp fn = target(op, 0);
  int64_t numParams = op.getParamSegments()[0];
  SmallVector<SmallVector<Value>> wide = widenedParams(b, loc, op);
  // Row r of x and of dense, and of the output: [1, ...] slices, their
  // sizes taken outside the loop (the loop reads x only through the slice).
  SmallVector<OpFoldResult> xSizes = {b.getIndexAttr(1)};
  for (int64_t i = 1; i < xt.getRank(); ++i)
    xSizes.push_back(xt.isDynamicDim(i) ? OpFoldResult(math.dimSize(x, i))
                                        : b.getIndexAttr(xt.getDimSize(i)));
  Value g = math.dimSize(out.y, 1); // the output's row width
  Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
  Value c1 = b.create<arith::ConstantIndexOp>(loc, 1);
  auto rowOf = [&](OpBuilder &lb, Location l, Value v, Value r,
                   ArrayRef<OpFoldResult> sizes) -> Value {
    int64_t rank = int64_t(sizes.size());
    SmallVector<OpFoldResult> offsets(rank, lb.getIndexAttr(0));
    offsets[0] = r;
    SmallVector<OpFoldResult> strides(rank, lb.getIndexAttr(1));
    return lb.create<tensor::ExtractSliceOp>(l, v, offsets, sizes, strides);
  };
  auto loop = b.create<scf::ForOp>(
      loc, c0, rows, c1, ValueRange{out.y},
      [&](OpBuilder &lb, Location l, Value r, ValueRange acc) {
        modc::TensorMath lm(lb, l);
        Value weights =
            rowOf(lb, l, dense, r,
                  {lb.getIndexAttr(1), lb.getIndexAttr(numTargets + 1)});
        // theta_p = sum_t weights[0, t] * theta_t,p, mixed in f32.
        SmallVector<Value> operands;
        for (int64_t p = 0; p < numParams; ++p) {
          auto type = cast<RankedTensorType>(wide[0][p].getType());
          int64_t rank = type.getRank();
          AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
          SmallVector<Value> inputs;
          SmallVector<AffineMap> maps;
          for (int64_t t = 0; t < numTargets; ++t) {
            inputs.push_back(wide[t][p]);
            maps.push_back(id);
          }
          for (int64_t t = 0; t < numTargets; ++t) {
            inputs.push_back(weights);
            maps.push_back(AffineMap::get(
                rank, 0,
                {getAffineConstantExpr(0, ctx), getAffineConstantExpr(t, ctx)},
                ctx));
          }
          maps.push_back(id);
          Value mix =
              lb.create<linalg::GenericOp>(
                    l, TypeRange{type}, inputs,
                    ValueRange{lb.create<tensor::EmptyOp>(
                        l, type.getShape(), type.getElementType())},
                    maps,
                    SmallVector<utils::IteratorType>(
                        rank, utils::IteratorType::parallel),
                    [&](OpBuilder &nb, Location nl, ValueRange v) {
                      Value sum;
                      for (int64_t t = 0; t < numTargets; ++t) {
                        Value term = nb.create<arith::MulFOp>(
                            nl, v[numTargets + t], v[t]);
                        sum = sum ? nb.create<arith::AddFOp>(nl, sum, term)
                                        .getResult()
                                  : term;
                      }
                      nb.create<linalg::YieldOp>(nl, sum);
                    })
                  .getResult(0);
          Type elem = getElementTypeOrSelf(op.getTargetParams(0)[p].getType());
          operands.push_back(elem.isF32() ? mix : lm.cast(mix, elem));
        }
        operands.push_back(lb.create<tensor::CastOp>(
            l, fn.getFunctionType().getInputs().back(),
            rowOf(lb, l, x, r, xSizes)));
        Value y =
            lb.create<mod::ApplyOp>(l, fn.getFunctionType().getResults(),
                                    callee, lb.getStringAttr("merge"),
                                    lb.getI64IntegerAttr(numParams), operands)
                .getResult(0);
        // A row nothing chose gets 0 (its mix is all zeros, the module's
        // output on them need not be).
        Value flat = flattenRows(lb, l, y);
        Value chosen = keepChosen(lb, l, flat, weights, numTargets);
        auto ft = cast<RankedTensorType>(flat.getType());
        SmallVector<OpFoldResult> offsets = {r, lb.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes = {lb.getIndexAttr(1), g};
        SmallVector<OpFoldResult> strides(2, lb.getIndexAttr(1));
        auto slot = RankedTensorType::get({1, ShapedType::kDynamic},
                                          ft.getElementType());
        lb.create<scf::YieldOp>(
            l, lb.create<tensor::InsertSliceOp>(
                     l, lb.create<tensor::CastOp>(l, slot, chosen), acc[0],
                     offsets, sizes, strides)
                   .getResult());
      });
  loop->setAttr(mod::kRowMapAttr, b.getUnitAttr());
  out.y = loop.getResult(0);
  finishOutput(b, loc, op, out, rows);
  return DispatchKind::MergePerRow;
}

} // namespace detail
} // namespace routing
} // namespace modc
