//===- LowerDispatch.cpp - Lowering of mod.dispatch -----------------------===//
//
// mod.dispatch to tensor code over the tensor-level routing ops:
// - sparse dispatch: a mod.route.plan groups the chosen rows by target, and
//   each target with rows runs once on exactly its packed rows (gathered
//   with a linalg.generic), its outputs put back with their weights by
//   mod.route.scatter; a target without rows is skipped by an scf.if;
// - `fused`: the shared module body runs once on all routed rows, its
//   parameter matmuls as mod.grouped_matmul (the last one fused with the
//   scatter: mod.grouped_matmul_scatter);
// - `merge`: the module once per distinct weight vector with the weighted
//   sum of the targets' parameters (mod.route.dense, mod.route.distinct), or
//   with `factored` by exact factoring on all rows.
// The per-target mod.apply ops it creates are inlined by mod-inline-modules.
//
//===----------------------------------------------------------------------===//

#include "conversion/LowerDispatch.h"
#include "ir/Grouping.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

using namespace mlir;

namespace modc {
namespace routing {
namespace {

class DispatchLowering {
public:
  explicit DispatchLowering(ModuleOp module) : module(module) {}

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
                          llvm::function_ref<Value(unsigned)> rowsOf) {
    Block *body = gen->getBlock();
    auto fn = gen->getParentOfType<func::FuncOp>();
    unsigned numParams = fn.getNumArguments() - 1;
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : gen.getDpsInputOperands()) {
      AffineMap m = gen.getMatchingIndexingMap(in);
      auto a = dyn_cast<BlockArgument>(in->get());
      if (a && a.getOwner() == body && a.getArgNumber() < numParams) {
        inputs.push_back(rowsOf(a.getArgNumber()));
        SmallVector<AffineExpr> exprs = {getAffineDimExpr(0, b.getContext())};
        exprs.append(m.getResults().begin(), m.getResults().end());
        maps.push_back(
            AffineMap::get(m.getNumDims(), 0, exprs, b.getContext()));
      } else {
        inputs.push_back(map.lookupOrDefault(in->get()));
        maps.push_back(m);
      }
    }
    SmallVector<Value> outputs;
    for (OpOperand &out : gen.getDpsInitsMutable()) {
      outputs.push_back(map.lookupOrDefault(out.get()));
      maps.push_back(gen.getMatchingIndexingMap(&out));
    }
    auto clone =
        b.create<linalg::GenericOp>(loc, gen.getResultTypes(), inputs, outputs,
                                    maps, gen.getIteratorTypesArray());
    gen.getRegion().cloneInto(&clone.getRegion(), map);
    map.map(gen.getResults(), clone.getResults());
  }

  /// A fused dispatch: rows grouped by target and gathered once, the shared
  /// module body run once on all of them (grouped GEMMs for the parameter
  /// matmuls, per-row parameter rows for the elementwise uses), one
  /// weighted scatter.
  FailureOr<DispatchKind> lowerFused(mod::DispatchOp op,
                                     const modc::GroupedBody &gb) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    Value x = op.getInput();
    int64_t numTargets = op.getTargets().size();
    func::FuncOp fn = target(op, 0);
    unsigned numParams = op.getTargetParams(0).size();
    Value rows = math.dimSize(x, 0);
    Plan routePlan = plan(b, loc, op);
    Value counts = routePlan.counts;

    // Rows kept (capacity may drop some): the sum of the counts.
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    auto sum = b.create<scf::ForOp>(
        loc, zero, b.create<arith::ConstantIndexOp>(loc, numTargets), one,
        ValueRange{zero},
        [&](OpBuilder &lb, Location l, Value t, ValueRange acc) {
          Value c = extractIndex(lb, l, counts, t);
          lb.create<scf::YieldOp>(
              l, ValueRange{lb.create<arith::AddIOp>(l, acc[0], c)});
        });
    Value total = sum.getResult(0);
    Block &body = fn.getBody().front();
    Value input = body.getArgument(numParams);
    // The packed rows are only needed whole if something other than a
    // grouped matmul reads them; grouped matmuls gather their own rows.
    bool gatherInGemm =
        cast<RankedTensorType>(x.getType()).getRank() == 2 &&
        llvm::all_of(input.getUses(), [&](OpOperand &use) {
          Operation *user = use.getOwner();
          if (isa<tensor::DimOp>(user))
            return true;
          auto it = gb.uses.find(user);
          return it != gb.uses.end() &&
                 it->second == modc::GroupedUse::GroupedMatmul &&
                 use.getOperandNumber() == 0;
        });

    // Per packed row, its target: only if a parameter is used per row.
    Value groups;
    auto groupIds = [&]() {
      if (!groups)
        groups =
            b.create<mod::RouteGroupIdsOp>(loc, TypeRange{listType(b)}, counts,
                                           empty(b, loc, listType(b), total))
                .getResult(0);
      return groups;
    };
    // Each parameter's per-row rows, built once however often it is used.
    llvm::DenseMap<unsigned, Value> paramRowsByIndex;

    // A body ending in a grouped matmul (SwiGLU's down projection): that
    // GEMM scatters its weighted rows into the output itself.
    Value ret = cast<func::ReturnOp>(body.getTerminator()).getOperand(0);
    auto last = ret.getDefiningOp<linalg::MatmulOp>();
    auto lastUse = last ? gb.uses.find(last) : gb.uses.end();
    bool scatterInGemm =
        last && lastUse != gb.uses.end() &&
        lastUse->second == modc::GroupedUse::GroupedMatmul && ret.hasOneUse() &&
        !gb.multipliers.count(last.getInputs()[0]) &&
        cast<RankedTensorType>(op.getResult().getType()).getRank() == 2;
    IRMapping map;
    if (!gatherInGemm) {
      Value mine = b.create<tensor::ExtractSliceOp>(
          loc, routePlan.rows, ArrayRef<OpFoldResult>{OpFoldResult(zero)},
          ArrayRef<OpFoldResult>{total},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      map.map(input, gather(b, loc, x, mine));
    }
    // The [rows, N] product of a grouped matmul over parameter j.
    auto groupedOut = [&](linalg::MatmulOp mm, unsigned j, Value rowCount) {
      auto ot = cast<RankedTensorType>(mm.getResult(0).getType());
      SmallVector<Value> dyn = {rowCount};
      if (ot.isDynamicDim(1))
        dyn.push_back(math.dimSize(op.getTargetParams(0)[j], 1));
      return empty(b, loc, ot, dyn);
    };
    for (Operation &o : body.without_terminator()) {
      if (scatterInGemm && &o == last.getOperation())
        continue;
      auto it = gb.uses.find(&o);
      modc::GroupedUse use =
          it == gb.uses.end() ? modc::GroupedUse::Neutral : it->second;
      if (auto dim = dyn_cast<tensor::DimOp>(o);
          dim && gatherInGemm && dim.getSource() == input) {
        auto idx = dim.getConstantIndex();
        if (!idx)
          return op.emitOpError("a dynamic tensor.dim index in a fused body");
        map.map(dim.getResult(), *idx == 0 ? total : math.dimSize(x, *idx));
        continue;
      }
      if (use == modc::GroupedUse::GroupedMatmul) {
        auto mm = cast<linalg::MatmulOp>(o);
        unsigned j = cast<BlockArgument>(mm.getInputs()[1]).getArgNumber();
        if (gatherInGemm && mm.getInputs()[0] == input) {
          // The gather fused into the grouped GEMM: each tile reads its
          // rows of x through the plan's row list.
          map.map(mm.getResult(0),
                  b.create<mod::GroupedMatmulOp>(
                       loc, TypeRange{mm.getResult(0).getType()}, x,
                       routePlan.rows, counts, groupWeights(op, j),
                       groupedOut(mm, j, total))
                      .getResult(0));
          continue;
        }
        Value lhs = map.lookup(mm.getInputs()[0]);
        // Rows split into inner rows ([n, T, D] -> [n*T, D]): each group
        // has T times as many rows.
        Value groupRows = counts;
        auto mit = gb.multipliers.find(mm.getInputs()[0]);
        if (mit != gb.multipliers.end() && !mit->second.empty()) {
          Value factor = b.create<arith::ConstantIndexOp>(loc, 1);
          for (auto [src, d] : mit->second)
            factor = b.create<arith::MulIOp>(loc, factor,
                                             math.dimSize(map.lookup(src), d));
          Value f64 = toI64(b, loc, factor);
          auto ct = cast<RankedTensorType>(counts.getType());
          auto id = AffineMap::getMultiDimIdentityMap(1, b.getContext());
          groupRows =
              b.create<linalg::GenericOp>(
                   loc, TypeRange{ct}, ValueRange{counts},
                   ValueRange{empty(b, loc, ct, {})},
                   SmallVector<AffineMap>{id, id},
                   SmallVector<utils::IteratorType>{
                       utils::IteratorType::parallel},
                   [&](OpBuilder &nb, Location l, ValueRange v) {
                     nb.create<linalg::YieldOp>(
                         l, nb.create<arith::MulIOp>(l, v[0], f64).getResult());
                   })
                  .getResult(0);
        }
        map.map(mm.getResult(0),
                b.create<mod::GroupedMatmulOp>(
                     loc, TypeRange{mm.getResult(0).getType()}, lhs, Value(),
                     groupRows, groupWeights(op, j),
                     groupedOut(mm, j, math.dimSize(lhs, 0)))
                    .getResult(0));
        continue;
      }
      auto gen = dyn_cast<linalg::GenericOp>(o);
      bool paramInputs =
          gen && llvm::any_of(gen.getDpsInputs(), [&](Value v) {
            auto a = dyn_cast<BlockArgument>(v);
            return a && a.getOwner() == &body && a.getArgNumber() < numParams;
          });
      if (use != modc::GroupedUse::RowGeneric || !paramInputs) {
        b.clone(o, map);
        continue;
      }
      cloneWithParamRows(b, loc, gen, map, [&](unsigned j) {
        Value &rowsOfJ = paramRowsByIndex[j];
        if (!rowsOfJ)
          rowsOfJ = paramRows(b, loc, op, j, groupIds(), total);
        return rowsOfJ;
      });
    }
    Output out = makeOutput(b, loc, op, rows);
    if (scatterInGemm) {
      Value lhs = last.getInputs()[0];
      bool gatherRows = gatherInGemm && lhs == input;
      unsigned j = cast<BlockArgument>(last.getInputs()[1]).getArgNumber();
      out.y =
          b.create<mod::GroupedMatmulScatterOp>(
               loc, TypeRange{out.y.getType()}, out.modeAttr(b),
               gatherRows ? x : map.lookup(lhs), routePlan.rows,
               routePlan.slots, counts, op.getWeights(), groupWeights(op, j),
               out.y, gatherRows ? b.getUnitAttr() : UnitAttr())
              .getResult(0);
    } else {
      out.y = scatter(b, loc, out, flattenRows(b, loc, map.lookup(ret)),
                      routePlan.rows, routePlan.slots, op.getWeights(), zero);
    }
    finishOutput(b, loc, op, out, rows);
    return DispatchKind::Fused;
  }

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

  FailureOr<DispatchKind> lower(mod::DispatchOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    Value x = op.getInput();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    if (!resultType.getElementType().isF32())
      return op.emitOpError("routing of non-f32 results is not supported "
                            "yet");
    if (op.getAggregation() == mod::Aggregation::Merge) {
      if (op.getStrategy() == mod::DispatchStrategy::Factored)
        if (auto body = groupedBody(op))
          if (body->multipliers.empty())
            return lowerMergeFactored(op, *body);
      return lowerMerge(op);
    }
    if (op.getStrategy() == mod::DispatchStrategy::Fused)
      if (auto body = groupedBody(op))
        return lowerFused(op, *body);
    int64_t numTargets = op.getTargets().size();
    Value rows = math.dimSize(x, 0);
    Plan routePlan = plan(b, loc, op);

    // The output, flattened to [R, G], accumulated target by target.
    Output out = makeOutput(b, loc, op, rows);
    Value begin = b.create<arith::ConstantIndexOp>(loc, 0);
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    for (int64_t t = 0; t < numTargets; ++t) {
      Value n =
          extractIndex(b, loc, routePlan.counts,
                       b.create<arith::ConstantIndexOp>(loc, t).getResult());
      Value any =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, n, zero);
      auto ifOp = b.create<scf::IfOp>(
          loc, any,
          [&](OpBuilder &tb, Location l) {
            Value mine = tb.create<tensor::ExtractSliceOp>(
                l, routePlan.rows, ArrayRef<OpFoldResult>{begin},
                ArrayRef<OpFoldResult>{n},
                ArrayRef<OpFoldResult>{tb.getIndexAttr(1)});
            Value packed = gather(tb, l, x, mine);
            auto callee = cast<FlatSymbolRefAttr>(op.getTargets()[t]);
            func::FuncOp fn = target(op, t);
            SmallVector<Value> operands(op.getTargetParams(t));
            int64_t numParams = int64_t(operands.size());
            operands.push_back(packed);
            Value ye =
                tb.create<mod::ApplyOp>(
                      l, fn.getFunctionType().getResults(), callee,
                      tb.getStringAttr(
                          cast<StringAttr>(op.getInstances()[t]).getValue()),
                      tb.getI64IntegerAttr(numParams), operands)
                    .getResult(0);
            tb.create<scf::YieldOp>(
                l, scatter(tb, l, out, flattenRows(tb, l, ye), routePlan.rows,
                           routePlan.slots, op.getWeights(), begin));
          },
          [&](OpBuilder &eb, Location l) {
            eb.create<scf::YieldOp>(l, out.y);
          });
      out.y = ifOp.getResult(0);
      begin = b.create<arith::AddIOp>(loc, begin, n);
    }
    finishOutput(b, loc, op, out, rows);
    return DispatchKind::Sparse;
  }

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

  /// sum_e dense[r, e] * v_e over all `rows` rows: v_e is [rows, ...] per
  /// row, or, with `rowInvariant`, one tensor read by every row (a
  /// parameter, broadcast by the indexing map, never copied per row).
  Value weightedRows(OpBuilder &b, Location loc, Value dense,
                     ArrayRef<Value> values, Value rows, bool rowInvariant) {
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
    auto type = RankedTensorType::get(shape, vt.getElementType());
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
    return b
        .create<linalg::GenericOp>(
            loc, TypeRange{type}, inputs, ValueRange{math.empty(type, sizes)},
            maps,
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value acc;
              for (size_t e = 0; e < numValues; ++e) {
                Value term =
                    nb.create<arith::MulFOp>(l, v[numValues + e], v[e]);
                acc = acc ? nb.create<arith::AddFOp>(l, acc, term).getResult()
                          : term;
              }
              nb.create<linalg::YieldOp>(l, acc);
            })
        .getResult(0);
  }

  /// `merge` over a groupable module, by exact factoring: the module body
  /// runs once on all rows; a matmul with a parameter, linear in it, is
  /// h @ (sum_e w_e P_e) = sum_e w_e (h @ P_e), E GEMMs weighted per row,
  /// and a parameter used elementwise (a bias) becomes its per-row mix
  /// sum_e w_e P_e, [rows, P...]. No per-row weight matrix is formed.
  FailureOr<DispatchKind> lowerMergeFactored(mod::DispatchOp op,
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
      if (use == modc::GroupedUse::GroupedMatmul) {
        auto mm = cast<linalg::MatmulOp>(o);
        unsigned j = cast<BlockArgument>(mm.getInputs()[1]).getArgNumber();
        auto type = cast<RankedTensorType>(mm.getResult(0).getType());
        Value lhs = map.lookup(mm.getInputs()[0]);
        SmallVector<Value> products;
        for (int64_t t = 0; t < numTargets; ++t)
          products.push_back(math.matmul(lhs, op.getTargetParams(t)[j], type));
        map.map(mm.getResult(0), weightedRows(b, loc, dense, products, rows,
                                              /*rowInvariant=*/false));
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
    auto rt = cast<RankedTensorType>(result.getType());
    SmallVector<Value> sizes;
    for (int64_t i = 0; i < rt.getRank(); ++i)
      sizes.push_back(math.dimSize(result, i));
    auto id = AffineMap::getMultiDimIdentityMap(rt.getRank(), b.getContext());
    Value chosenOnly =
        b.create<linalg::GenericOp>(
             loc, TypeRange{rt}, ValueRange{result, dense},
             ValueRange{math.empty(rt, sizes)},
             SmallVector<AffineMap>{
                 id, denseColumn(b.getContext(), rt.getRank(), numTargets), id},
             SmallVector<utils::IteratorType>(rt.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange v) {
               Value zero =
                   nb.create<arith::ConstantOp>(l, nb.getF32FloatAttr(0));
               Value any = nb.create<arith::CmpFOp>(
                   l, arith::CmpFPredicate::OGT, v[1], zero);
               nb.create<linalg::YieldOp>(
                   l,
                   nb.create<arith::SelectOp>(l, any, v[0], zero).getResult());
             })
            .getResult(0);
    op.getResult().replaceAllUsesWith(
        b.create<tensor::CastOp>(loc, op.getResult().getType(), chosenOnly));
    op.erase();
    return DispatchKind::MergeFactored;
  }

  /// theta = sum_t dense[r, t] * theta_t for one row r, then one
  /// application to the rows that share r's weights: the parameters are
  /// mixed once per distinct weight vector (modrt_route_distinct groups the
  /// rows), e.g. once per task when the weights come from the task id.
  FailureOr<DispatchKind> lowerMerge(mod::DispatchOp op) {
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
                int64_t numParams = op.getParamSegments()[0];
                for (int64_t p = 0; p < numParams; ++p) {
                  Value mix;
                  for (int64_t t = 0; t < numTargets; ++t) {
                    Value theta = op.getTargetParams(t)[p];
                    auto type = cast<RankedTensorType>(theta.getType());
                    Value term = tm.binary(modc::BinaryKind::Mul, theta,
                                           weightOf(tb, t), type);
                    mix =
                        mix ? tm.binary(modc::BinaryKind::Add, mix, term, type)
                            : term;
                  }
                  operands.push_back(mix);
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
                tb.create<scf::YieldOp>(l, scatter(tb, l, cur,
                                                   flattenRows(tb, l, y), order,
                                                   slots, dense, start));
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

private:
  ModuleOp module;

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

} // namespace

FailureOr<DispatchKind> lowerDispatch(ModuleOp module, mod::DispatchOp op) {
  return DispatchLowering(module).lower(op);
}

} // namespace routing
} // namespace modc
