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

#include "conversion/DispatchLowering.h"
#include "dialects/Mod/ModModel.h"

using namespace mlir;

namespace modc {
namespace routing {
namespace detail {

void DispatchLowering::cloneWithParamRows(
    OpBuilder &b, Location loc, linalg::GenericOp gen, IRMapping &map,
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
      maps.push_back(AffineMap::get(m.getNumDims(), 0, exprs, b.getContext()));
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

Value DispatchLowering::innerRows(OpBuilder &b, Location loc,
                                  const modc::GroupedBody &gb, Value rowValue,
                                  IRMapping &map) {
  auto it = gb.multipliers.find(rowValue);
  if (it == gb.multipliers.end() || it->second.empty())
    return {};
  modc::TensorMath math(b, loc);
  Value factor = b.create<arith::ConstantIndexOp>(loc, 1);
  for (auto [src, d] : it->second)
    factor =
        b.create<arith::MulIOp>(loc, factor, math.dimSize(map.lookup(src), d));
  return factor;
}

FailureOr<DispatchKind>
DispatchLowering::lowerFused(mod::DispatchOp op, const modc::GroupedBody &gb,
                             bool training) {
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
  if (packedRowsBound) {
    sum.erase();
    total = math.dimSize(routePlan.rows, 0);
  }
  Block &body = fn.getBody().front();
  Value input = body.getArgument(numParams);
  // The packed rows are only needed whole if something other than a
  // grouped matmul reads them; grouped matmuls gather their own rows.
  // In a train block the gather and the scatter stay separate ops: their
  // gradient rules exist, and the grouped matmuls' rule takes plain rows.
  bool gatherInGemm = !training &&
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
      !training && last && lastUse != gb.uses.end() &&
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
    if (use == modc::GroupedUse::ParamWiden)
      continue; // The grouped GEMMs read the bf16 weights themselves.
    if (use == modc::GroupedUse::GroupedMatmul) {
      auto mm = cast<linalg::MatmulOp>(o);
      unsigned j = gb.paramIndex(mm.getInputs()[1]);
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
      if (Value factor = innerRows(b, loc, gb, mm.getInputs()[0], map)) {
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
    unsigned j = gb.paramIndex(last.getInputs()[1]);
    out.y = b.create<mod::GroupedMatmulScatterOp>(
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

FailureOr<DispatchKind> DispatchLowering::lower(mod::DispatchOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  modc::TensorMath math(b, loc);
  Value x = op.getInput();
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  if (!resultType.getElementType().isF32())
    return op.emitOpError("routing of non-f32 results is not supported "
                          "yet");
  // In a train block the route is lowered in the form mod-differentiate
  // has rules for, one straight-line region: `merge` by exact factoring,
  // everything else in the sparse form (plan, gather, each target on its
  // rows, scatter) with every target applied, to no rows if none chose it.
  bool training =
      bool(mod::getTrainUpdates(op->getParentOfType<func::FuncOp>()));
  if (op.getAggregation() == mod::Aggregation::Merge) {
    // At inference only rows without inner rows: a row's inner rows would
    // each carry E products where one mixed weight serves them all.
    if (op.getStrategy() == mod::DispatchStrategy::Factored || training)
      if (auto body = groupedBody(op))
        if (training || body->multipliers.empty())
          return lowerMergeFactored(op, *body);
    // A task or hash decision gives each row one target with weight 1: its
    // mix is that target's parameters, exactly, so the route is a weighted
    // sum of one output per row, which the sparse form differentiates.
    auto decide = op.getWeights().getDefiningOp<mod::RouteDecideOp>();
    bool oneTarget = decide && (decide.getRouter() == mod::RouterKind::Task ||
                                decide.getRouter() == mod::RouterKind::Hash);
    // Otherwise the module runs row by row on each row's mixed parameters
    // (exact for any module, at E mixes and one small application a row).
    if (training && !oneTarget)
      return lowerMergeRows(op);
    if (!training)
      return lowerMerge(op);
    op.setAggregationAttr(mod::AggregationAttr::get(
        op.getContext(), mod::Aggregation::WeightedSum));
  }
  if (op.getStrategy() == mod::DispatchStrategy::Fused)
    if (auto body = groupedBody(op))
      // A train block runs it grouped when every parameter is an f32
      // weight of a grouped matmul (mod-differentiate has the rule for
      // those; parameter rows and bf16 weights keep the sparse form), and
      // not for `max`: its rule gives a row's gradient to the target whose
      // value beat the output held before its scatter, which needs the
      // targets scattered one after another, not all in one scatter.
      if (!training || (body->widened.empty() && !body->paramRows &&
                        op.getAggregation() != mod::Aggregation::Max))
        return lowerFused(op, *body, training);
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
    auto applyTarget = [&](OpBuilder &tb, Location l) {
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
      Value ye = tb.create<mod::ApplyOp>(
                       l, fn.getFunctionType().getResults(), callee,
                       tb.getStringAttr(
                           cast<StringAttr>(op.getInstances()[t]).getValue()),
                       tb.getI64IntegerAttr(numParams), operands)
                     .getResult(0);
      return scatter(tb, l, out, flattenRows(tb, l, ye), routePlan.rows,
                     routePlan.slots, op.getWeights(), begin);
    };
    if (training) {
      out.y = applyTarget(b, loc);
    } else {
      Value any =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, n, zero);
      auto ifOp = b.create<scf::IfOp>(
          loc, any,
          [&](OpBuilder &tb, Location l) {
            tb.create<scf::YieldOp>(l, applyTarget(tb, l));
          },
          [&](OpBuilder &eb, Location l) {
            eb.create<scf::YieldOp>(l, out.y);
          });
      out.y = ifOp.getResult(0);
    }
    begin = b.create<arith::AddIOp>(loc, begin, n);
  }
  finishOutput(b, loc, op, out, rows);
  return DispatchKind::Sparse;
}

} // namespace detail

FailureOr<DispatchKind> lowerDispatch(ModuleOp module, mod::DispatchOp op,
                                      bool packedRowsBound) {
  return detail::DispatchLowering(module, packedRowsBound).lower(op);
}

} // namespace routing
} // namespace modc
