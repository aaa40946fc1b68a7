//===- LowerRouting.cpp - Routing to sparse dispatch ----------------------===//
//
// Lowers the routing ops of the mod dialect to tensor code plus calls into
// the runtime (runtime/Routing.cpp):
// - a decision op becomes one runtime call writing [R, K] slots;
// - mod.dispatch becomes real sparse dispatch: a plan groups the chosen rows
//   by target, and each target with rows runs once on exactly its packed
//   rows (gathered with a linalg.generic), its outputs scattered back with
//   their weights; a target without rows is skipped by an scf.if;
// - `merge` applies the module once per row with the row's weighted sum of
//   the targets' parameters;
// - mod.aggregate becomes linalg; mod.check_* become runtime checks.
// The per-target mod.apply ops it creates are inlined by mod-inline-modules.
//
//===----------------------------------------------------------------------===//

#include "passes/Grouping.h"
#include "passes/Passes.h"
#include "passes/Stats.h"
#include "passes/TensorMath.h"

#include "modrt/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace modc {
#define GEN_PASS_DEF_LOWERROUTING
#include "passes/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

struct LowerRoutingPass
    : public modc::impl::LowerRoutingBase<LowerRoutingPass> {
  ModuleOp module;
  int messages = 0;

  /// A fully dynamic strided memref type: what runtime functions take.
  static MemRefType anyMemref(Type elem, int64_t rank) {
    SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
    SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
    auto layout = StridedLayoutAttr::get(elem.getContext(),
                                         ShapedType::kDynamic, strides);
    return MemRefType::get(shape, elem, layout);
  }

  func::FuncOp runtimeFn(StringRef name, TypeRange args) {
    if (auto fn = module.lookupSymbol<func::FuncOp>(name))
      return fn;
    OpBuilder b(module.getBodyRegion());
    auto fn = b.create<func::FuncOp>(module.getLoc(), name,
                                     b.getFunctionType(args, {}));
    fn.setPrivate();
    fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    return fn;
  }

  void call(OpBuilder &b, Location loc, StringRef name, ValueRange args) {
    func::FuncOp fn = runtimeFn(name, args.getTypes());
    b.create<func::CallOp>(loc, fn, args);
  }

  Value asMemref(OpBuilder &b, Location loc, Value v) {
    if (auto t = dyn_cast<RankedTensorType>(v.getType())) {
      SmallVector<int64_t> strides(t.getRank(), ShapedType::kDynamic);
      auto layout =
          StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides);
      v = b.create<bufferization::ToMemrefOp>(
          loc, MemRefType::get(t.getShape(), t.getElementType(), layout), v);
    }
    auto m = cast<MemRefType>(v.getType());
    return b.create<memref::CastOp>(
        loc, anyMemref(m.getElementType(), m.getRank()), v);
  }

  Value message(OpBuilder &b, Location loc, StringRef text) {
    std::string name = "modc.msg." + std::to_string(messages++);
    auto type = MemRefType::get({int64_t(text.size())}, b.getI8Type());
    {
      OpBuilder gb(module.getBodyRegion());
      auto data = DenseElementsAttr::get(
          RankedTensorType::get({int64_t(text.size())}, gb.getI8Type()),
          ArrayRef<char>(text.data(), text.size()));
      gb.create<memref::GlobalOp>(loc, name, gb.getStringAttr("private"), type,
                                  data, /*constant=*/true,
                                  /*alignment=*/nullptr);
    }
    Value g = b.create<memref::GetGlobalOp>(loc, type, name);
    return asMemref(b, loc, g);
  }

  Value i64(OpBuilder &b, Location loc, int64_t v) {
    return b.create<arith::ConstantIntOp>(loc, v, 64);
  }
  Value toI64(OpBuilder &b, Location loc, Value index) {
    return b.create<arith::IndexCastOp>(loc, b.getI64Type(), index);
  }

  /// Replaces a decision op by a runtime call writing fresh buffers.
  template <typename OpT>
  void lowerDecision(OpT op, StringRef fnName, SmallVector<Value> extra,
                     SmallVector<Value> trailing = {}) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value rows = b.create<tensor::DimOp>(loc, op.getInput(), 0);
    auto idxType = cast<RankedTensorType>(op.getIndices().getType());
    auto wType = cast<RankedTensorType>(op.getWeights().getType());
    auto alloc = [&](RankedTensorType t) -> Value {
      SmallVector<Value> dyn;
      if (t.isDynamicDim(0))
        dyn.push_back(rows);
      return b.create<memref::AllocOp>(
          loc, MemRefType::get(t.getShape(), t.getElementType()), dyn);
    };
    Value idx = alloc(idxType), w = alloc(wType);
    SmallVector<Value> args = {asMemref(b, loc, op.getInput())};
    args.append(extra);
    args.push_back(asMemref(b, loc, idx));
    args.push_back(asMemref(b, loc, w));
    args.append(trailing);
    call(b, loc, fnName, args);
    Value idxT = b.create<bufferization::ToTensorOp>(loc, idx, true, true);
    Value wT = b.create<bufferization::ToTensorOp>(loc, w, true, true);
    op.getIndices().replaceAllUsesWith(idxT);
    op.getWeights().replaceAllUsesWith(wT);
    op.erase();
  }

  static bool isI32(Value v) {
    return cast<RankedTensorType>(v.getType())
               .getElementType()
               .getIntOrFloatBitWidth() == 32;
  }

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

  /// The grouped roles of the shared module body of a fused dispatch.
  std::optional<modc::GroupedBody> groupedBody(mod::DispatchOp op) {
    auto fn = module.lookupSymbol<func::FuncOp>(
        cast<FlatSymbolRefAttr>(op.getTargets()[0]));
    if (!fn)
      return std::nullopt;
    return modc::groupBody(fn, op.getTargetParams(0).size());
  }

  /// `table[t]` = the address of target t's parameter `j` (a dense buffer).
  Value weightTable(OpBuilder &b, Location loc, mod::DispatchOp op,
                    unsigned j) {
    int64_t e = op.getTargets().size();
    Value table =
        b.create<memref::AllocaOp>(loc, MemRefType::get({e}, b.getI64Type()));
    for (int64_t t = 0; t < e; ++t) {
      Value m = asMemref(b, loc, op.getTargetParams(t)[j]);
      Value base = b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, m);
      auto meta = b.create<memref::ExtractStridedMetadataOp>(loc, m);
      Value elemBytes = b.create<arith::ConstantIndexOp>(loc, 4);
      Value addr = b.create<arith::AddIOp>(
          loc, base, b.create<arith::MulIOp>(loc, meta.getOffset(), elemBytes));
      b.create<memref::StoreOp>(
          loc, toI64(b, loc, addr), table,
          ValueRange{b.create<arith::ConstantIndexOp>(loc, t)});
    }
    return table;
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
    Value counts, rowList, slotList, rowTensor;
  };

  /// The (row, slot) choices of a dispatch grouped by target: counts[t],
  /// then the rows and slots of target 0, of target 1, ...
  Plan plan(OpBuilder &b, Location loc, mod::DispatchOp op) {
    modc::TensorMath math(b, loc);
    int64_t numTargets = op.getTargets().size();
    Value rk = b.create<arith::MulIOp>(loc, math.dimSize(op.getInput(), 0),
                                       math.dimSize(op.getIndices(), 1));
    Value counts = b.create<memref::AllocOp>(
        loc, MemRefType::get({numTargets}, b.getI64Type()));
    auto listType = MemRefType::get({ShapedType::kDynamic}, b.getI64Type());
    Value rowList = b.create<memref::AllocOp>(loc, listType, ValueRange{rk});
    Value slotList = b.create<memref::AllocOp>(loc, listType, ValueRange{rk});
    call(b, loc, "modrt_route_plan",
         {asMemref(b, loc, op.getIndices()), i64(b, loc, numTargets),
          asMemref(b, loc, counts), asMemref(b, loc, rowList),
          asMemref(b, loc, slotList)});
    Value rowTensor =
        b.create<bufferization::ToTensorOp>(loc, rowList, true, false);
    return {counts, rowList, slotList, rowTensor};
  }

  /// The dispatch's output flattened to [R, G], filled with the
  /// aggregation's identity; `mode` is modrt_route_scatter's.
  struct Output {
    Value y;
    int64_t mode;
    SmallVector<Value> featureSizes;
  };

  Output makeOutput(OpBuilder &b, Location loc, mod::DispatchOp op,
                    Value rows) {
    Output out;
    out.featureSizes = resultFeatureSizes(b, loc, op);
    Value g = b.create<arith::ConstantIndexOp>(loc, 1);
    for (Value d : out.featureSizes)
      g = b.create<arith::MulIOp>(loc, g, d);
    out.y = b.create<memref::AllocOp>(
        loc,
        MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                        b.getF32Type()),
        ValueRange{rows, g});
    StringRef agg = op.getAggregation();
    out.mode = agg == "weighted_sum" ? MODRT_SCATTER_WEIGHTED
               : agg == "max"        ? MODRT_SCATTER_MAX
                                     : MODRT_SCATTER_SUM;
    Value init = b.create<arith::ConstantOp>(
        loc, b.getF32FloatAttr(out.mode == MODRT_SCATTER_MAX
                                   ? -std::numeric_limits<float>::infinity()
                                   : 0.0f));
    b.create<linalg::FillOp>(loc, init, out.y);
    return out;
  }

  /// mean/max normalisation, then the output replaces the dispatch.
  void finishOutput(OpBuilder &b, Location loc, mod::DispatchOp op,
                    const Output &out, Value rows) {
    StringRef agg = op.getAggregation();
    if (agg == "mean" || agg == "max")
      call(b, loc, "modrt_route_finish",
           {asMemref(b, loc, out.y), asMemref(b, loc, op.getIndices()),
            i64(b, loc, out.mode)});
    Value yt = b.create<bufferization::ToTensorOp>(loc, out.y, true, true);
    op.getResult().replaceAllUsesWith(
        unflatten(b, loc, yt, cast<RankedTensorType>(op.getResult().getType()),
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
  LogicalResult lowerFused(mod::DispatchOp op, const modc::GroupedBody &gb) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    Value x = op.getInput();
    int64_t numTargets = op.getTargets().size();
    auto fn = module.lookupSymbol<func::FuncOp>(
        cast<FlatSymbolRefAttr>(op.getTargets()[0]));
    unsigned numParams = op.getTargetParams(0).size();
    Value rows = math.dimSize(x, 0);
    auto listType = MemRefType::get({ShapedType::kDynamic}, b.getI64Type());
    Plan routePlan = plan(b, loc, op);
    Value counts = routePlan.counts, rowList = routePlan.rowList,
          slotList = routePlan.slotList, rowTensor = routePlan.rowTensor;

    // Rows kept (capacity may drop some): the sum of the counts.
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    auto sum = b.create<scf::ForOp>(
        loc, zero, b.create<arith::ConstantIndexOp>(loc, numTargets), one,
        ValueRange{zero},
        [&](OpBuilder &lb, Location l, Value t, ValueRange acc) {
          Value c = lb.create<arith::IndexCastOp>(
              l, lb.getIndexType(),
              lb.create<memref::LoadOp>(l, counts, ValueRange{t}));
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
      if (groups)
        return groups;
      Value g = b.create<memref::AllocOp>(loc, listType, ValueRange{total});
      call(b, loc, "modrt_route_group_ids",
           {asMemref(b, loc, counts), asMemref(b, loc, g)});
      groups = b.create<bufferization::ToTensorOp>(loc, g, true, false);
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
          loc, rowTensor, ArrayRef<OpFoldResult>{OpFoldResult(zero)},
          ArrayRef<OpFoldResult>{total},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      map.map(input, gather(b, loc, x, mine));
    }
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
      if (use == modc::GroupedUse::GroupedMatmul && gatherInGemm &&
          cast<linalg::MatmulOp>(o).getInputs()[0] == input) {
        // The gather fused into the grouped GEMM: each tile reads its rows
        // of x through the plan's row list.
        auto mm = cast<linalg::MatmulOp>(o);
        unsigned j = cast<BlockArgument>(mm.getInputs()[1]).getArgNumber();
        auto ot = cast<RankedTensorType>(mm.getResult(0).getType());
        SmallVector<Value> dyn = {total};
        if (ot.isDynamicDim(1))
          dyn.push_back(math.dimSize(op.getTargetParams(0)[j], 1));
        Value out = b.create<memref::AllocOp>(
            loc, MemRefType::get(ot.getShape(), ot.getElementType()), dyn);
        call(b, loc, "modrt_grouped_gather_matmul_f32",
             {asMemref(b, loc, x), asMemref(b, loc, rowList),
              asMemref(b, loc, weightTable(b, loc, op, j)),
              asMemref(b, loc, counts), asMemref(b, loc, out)});
        map.map(mm.getResult(0),
                b.create<bufferization::ToTensorOp>(loc, out, true, true));
        continue;
      }
      if (use == modc::GroupedUse::GroupedMatmul) {
        auto mm = cast<linalg::MatmulOp>(o);
        unsigned j = cast<BlockArgument>(mm.getInputs()[1]).getArgNumber();
        auto ot = cast<RankedTensorType>(mm.getResult(0).getType());
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
          groupRows = b.create<memref::AllocOp>(
              loc, MemRefType::get({numTargets}, b.getI64Type()));
          b.create<scf::ForOp>(
              loc, zero, b.create<arith::ConstantIndexOp>(loc, numTargets), one,
              ValueRange{},
              [&](OpBuilder &lb, Location l, Value t, ValueRange) {
                Value c = lb.create<memref::LoadOp>(l, counts, ValueRange{t});
                lb.create<memref::StoreOp>(l,
                                           lb.create<arith::MulIOp>(l, c, f64),
                                           groupRows, ValueRange{t});
                lb.create<scf::YieldOp>(l);
              });
        }
        SmallVector<Value> dyn = {math.dimSize(lhs, 0)};
        if (ot.isDynamicDim(1))
          dyn.push_back(math.dimSize(op.getTargetParams(0)[j], 1));
        Value out = b.create<memref::AllocOp>(
            loc, MemRefType::get(ot.getShape(), ot.getElementType()), dyn);
        call(b, loc, "modrt_grouped_matmul_f32",
             {asMemref(b, loc, lhs),
              asMemref(b, loc, weightTable(b, loc, op, j)),
              asMemref(b, loc, groupRows), asMemref(b, loc, out)});
        map.map(mm.getResult(0),
                b.create<bufferization::ToTensorOp>(loc, out, true, true));
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
      call(b, loc, "modrt_grouped_matmul_scatter_f32",
           {asMemref(b, loc, gatherRows ? x : map.lookup(lhs)),
            asMemref(b, loc, rowList), asMemref(b, loc, slotList),
            asMemref(b, loc, weightTable(b, loc, op, j)),
            asMemref(b, loc, counts), asMemref(b, loc, op.getWeights()),
            asMemref(b, loc, out.y), i64(b, loc, gatherRows ? 1 : 0),
            i64(b, loc, out.mode)});
    } else {
      Value result = map.lookup(ret);
      call(b, loc, "modrt_route_scatter",
           {asMemref(b, loc, out.y),
            asMemref(b, loc, flattenRows(b, loc, result)),
            asMemref(b, loc, rowList), asMemref(b, loc, slotList),
            i64(b, loc, 0), asMemref(b, loc, op.getWeights()),
            i64(b, loc, out.mode)});
    }
    finishOutput(b, loc, op, out, rows);
    ++numFusedLowered;
    modc::recordStat(getArgument(), "fused-dispatches-lowered", 1);
    return success();
  }

  LogicalResult lowerDispatch(mod::DispatchOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    Value x = op.getInput();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    if (!resultType.getElementType().isF32())
      return op.emitOpError("routing of non-f32 results is not supported "
                            "yet");
    if (op.getAggregation() == "merge") {
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
    Value counts = routePlan.counts, rowList = routePlan.rowList,
          slotList = routePlan.slotList, rowTensor = routePlan.rowTensor;

    // The output, flattened to [R, G], accumulated in place.
    Output out = makeOutput(b, loc, op, rows);
    Value y = out.y;
    int64_t mode = out.mode;
    Value begin = b.create<arith::ConstantIndexOp>(loc, 0);
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    for (int64_t t = 0; t < numTargets; ++t) {
      Value tIdx = b.create<arith::ConstantIndexOp>(loc, t);
      Value n = b.create<arith::IndexCastOp>(
          loc, b.getIndexType(),
          b.create<memref::LoadOp>(loc, counts, ValueRange{tIdx}));
      Value any =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, n, zero);
      auto ifOp = b.create<scf::IfOp>(loc, any, /*withElse=*/false);
      {
        OpBuilder tb = OpBuilder::atBlockBegin(ifOp.thenBlock());
        Value mine = tb.create<tensor::ExtractSliceOp>(
            loc, rowTensor, ArrayRef<OpFoldResult>{begin},
            ArrayRef<OpFoldResult>{n},
            ArrayRef<OpFoldResult>{tb.getIndexAttr(1)});
        Value packed = gather(tb, loc, x, mine);
        auto callee = cast<FlatSymbolRefAttr>(op.getTargets()[t]);
        auto fn = module.lookupSymbol<func::FuncOp>(callee);
        SmallVector<Value> operands(op.getTargetParams(t));
        int64_t numParams = int64_t(operands.size());
        operands.push_back(packed);
        Value out =
            tb.create<mod::ApplyOp>(
                  loc, fn.getFunctionType().getResults(), callee,
                  tb.getStringAttr(
                      cast<StringAttr>(op.getInstances()[t]).getValue()),
                  tb.getI64IntegerAttr(numParams), operands)
                .getResult(0);
        Value flat = flattenRows(tb, loc, out);
        call(tb, loc, "modrt_route_scatter",
             {asMemref(tb, loc, y), asMemref(tb, loc, flat),
              asMemref(tb, loc, rowList), asMemref(tb, loc, slotList),
              toI64(tb, loc, begin), asMemref(tb, loc, op.getWeights()),
              i64(tb, loc, mode)});
      }
      begin = b.create<arith::AddIOp>(loc, begin, n);
    }
    finishOutput(b, loc, op, out, rows);
    return success();
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
    Value dense = b.create<memref::AllocOp>(
        loc,
        MemRefType::get({ShapedType::kDynamic, numTargets + 1}, b.getF32Type()),
        ValueRange{rows});
    call(b, loc, "modrt_route_dense",
         {asMemref(b, loc, op.getIndices()), asMemref(b, loc, op.getWeights()),
          i64(b, loc, numTargets), asMemref(b, loc, dense)});
    return dense;
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
    SmallVector<AffineMap> maps(values.size(), in);
    maps.push_back(id);
    return b
        .create<linalg::GenericOp>(
            loc, TypeRange{type}, values, ValueRange{math.empty(type, sizes)},
            maps,
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value r = nb.create<linalg::IndexOp>(l, 0);
              Value acc;
              for (size_t e = 0; e < values.size(); ++e) {
                Value w = nb.create<memref::LoadOp>(
                    l, dense,
                    ValueRange{r, nb.create<arith::ConstantIndexOp>(l, e)});
                Value term = nb.create<arith::MulFOp>(l, w, v[e]);
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
  LogicalResult lowerMergeFactored(mod::DispatchOp op,
                                   const modc::GroupedBody &gb) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    Value x = op.getInput();
    int64_t numTargets = op.getTargets().size();
    auto fn = module.lookupSymbol<func::FuncOp>(
        cast<FlatSymbolRefAttr>(op.getTargets()[0]));
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
        SmallVector<Value> perTarget;
        for (int64_t t = 0; t < numTargets; ++t)
          perTarget.push_back(op.getTargetParams(t)[j]);
        return weightedRows(b, loc, dense, perTarget, rows,
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
             loc, TypeRange{rt}, ValueRange{result},
             ValueRange{math.empty(rt, sizes)}, SmallVector<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(rt.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange v) {
               Value r = nb.create<linalg::IndexOp>(l, 0);
               Value chosen = nb.create<memref::LoadOp>(
                   l, dense,
                   ValueRange{
                       r, nb.create<arith::ConstantIndexOp>(l, numTargets)});
               Value zero =
                   nb.create<arith::ConstantOp>(l, nb.getF32FloatAttr(0));
               Value any = nb.create<arith::CmpFOp>(
                   l, arith::CmpFPredicate::OGT, chosen, zero);
               nb.create<linalg::YieldOp>(
                   l,
                   nb.create<arith::SelectOp>(l, any, v[0], zero).getResult());
             })
            .getResult(0);
    op.getResult().replaceAllUsesWith(
        b.create<tensor::CastOp>(loc, op.getResult().getType(), chosenOnly));
    op.erase();
    ++numMergesFactored;
    modc::recordStat(getArgument(), "merges-factored", 1);
    return success();
  }

  /// theta = sum_t dense[r, t] * theta_t for one row r, then one
  /// application to the rows that share r's weights: the parameters are
  /// mixed once per distinct weight vector (modrt_route_distinct groups the
  /// rows), e.g. once per task when the weights come from the task id.
  LogicalResult lowerMerge(mod::DispatchOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    Value x = op.getInput();
    int64_t numTargets = op.getTargets().size();
    Value rows = math.dimSize(x, 0);
    auto i64Type = b.getI64Type();
    Value dense = denseWeights(b, loc, op, rows);
    auto listType = MemRefType::get({ShapedType::kDynamic}, i64Type);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    Value order = b.create<memref::AllocOp>(loc, listType, ValueRange{rows});
    Value offsets = b.create<memref::AllocOp>(
        loc, listType,
        ValueRange{b.create<arith::AddIOp>(loc, rows, one).getResult()});
    Value numGroups =
        b.create<memref::AllocOp>(loc, MemRefType::get({1}, i64Type));
    call(b, loc, "modrt_route_distinct",
         {asMemref(b, loc, dense), asMemref(b, loc, order),
          asMemref(b, loc, offsets), asMemref(b, loc, numGroups)});
    // scatter's slot list: every row's "slot" 0 (MODRT_SCATTER_SUM ignores
    // weights).
    Value slots = b.create<memref::AllocOp>(loc, listType, ValueRange{rows});
    b.create<linalg::FillOp>(loc, i64(b, loc, 0), slots);
    Value orderT = b.create<bufferization::ToTensorOp>(loc, order, true, false);
    Output out = makeOutput(b, loc, op, rows);

    Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
    auto index = [&](OpBuilder &nb, Location l, Value v) {
      return nb.create<arith::IndexCastOp>(l, nb.getIndexType(), v).getResult();
    };
    Value groups =
        index(b, loc, b.create<memref::LoadOp>(loc, numGroups, ValueRange{c0}));
    auto callee = cast<FlatSymbolRefAttr>(op.getTargets()[0]);
    auto fn = module.lookupSymbol<func::FuncOp>(callee);
    b.create<scf::ForOp>(
        loc, c0, groups, one, ValueRange{},
        [&](OpBuilder &lb, Location l, Value u, ValueRange) {
          Value start = index(
              lb, l, lb.create<memref::LoadOp>(l, offsets, ValueRange{u}));
          Value end = index(
              lb, l,
              lb.create<memref::LoadOp>(
                  l, offsets,
                  ValueRange{lb.create<arith::AddIOp>(l, u, one).getResult()}));
          Value n = lb.create<arith::SubIOp>(l, end, start);
          Value rep = index(
              lb, l, lb.create<memref::LoadOp>(l, order, ValueRange{start}));
          Value chosen = lb.create<memref::LoadOp>(
              l, dense,
              ValueRange{rep,
                         lb.create<arith::ConstantIndexOp>(l, numTargets)});
          Value zeroF = lb.create<arith::ConstantOp>(l, lb.getF32FloatAttr(0));
          Value any = lb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT,
                                               chosen, zeroF);
          // Rows nothing chose keep 0.
          auto ifOp = lb.create<scf::IfOp>(l, any, /*withElse=*/false);
          OpBuilder tb = OpBuilder::atBlockBegin(ifOp.thenBlock());
          modc::TensorMath tm(tb, l);
          SmallVector<Value> operands;
          int64_t numParams = op.getParamSegments()[0];
          for (int64_t p = 0; p < numParams; ++p) {
            Value acc;
            for (int64_t t = 0; t < numTargets; ++t) {
              Value theta = op.getTargetParams(t)[p];
              auto type = cast<RankedTensorType>(theta.getType());
              Value wgt = tb.create<memref::LoadOp>(
                  l, dense,
                  ValueRange{rep, tb.create<arith::ConstantIndexOp>(l, t)});
              Value term = tm.binary(modc::BinaryKind::Mul, theta, wgt, type);
              acc = acc ? tm.binary(modc::BinaryKind::Add, acc, term, type)
                        : term;
            }
            operands.push_back(acc);
          }
          Value mine = tb.create<tensor::ExtractSliceOp>(
              l, orderT, ArrayRef<OpFoldResult>{start},
              ArrayRef<OpFoldResult>{n},
              ArrayRef<OpFoldResult>{tb.getIndexAttr(1)});
          Value packed = gather(tb, l, x, mine);
          operands.push_back(tb.create<tensor::CastOp>(
              l, fn.getFunctionType().getInputs().back(), packed));
          Value y =
              tb.create<mod::ApplyOp>(l, fn.getFunctionType().getResults(),
                                      callee, tb.getStringAttr("merge"),
                                      tb.getI64IntegerAttr(numParams), operands)
                  .getResult(0);
          call(tb, l, "modrt_route_scatter",
               {asMemref(tb, l, out.y), asMemref(tb, l, flattenRows(tb, l, y)),
                asMemref(tb, l, order), asMemref(tb, l, slots),
                toI64(tb, l, start), asMemref(tb, l, dense), i64(tb, l, 1)});
          lb.create<scf::YieldOp>(l);
        });
    finishOutput(b, loc, op, out, rows);
    ++numMergeGroups;
    modc::recordStat(getArgument(), "merges-per-weight-vector", 1);
    return success();
  }

  void lowerAggregate(mod::AggregateOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> outs(op.getOutputs());
    StringRef kind = op.getKind();
    Value result;
    if (kind == "concat") {
      result = math.concat(outs, resultType.getRank() - 1, resultType);
    } else if (kind == "stack") {
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
        if (kind == "max") {
          result = maxOf(b, loc, result, outs[i], resultType);
          continue;
        }
        result = math.binary(combine, result, outs[i], resultType);
      }
      if (kind == "mean")
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

  void lowerCheckIndex(mod::CheckIndexOp op) {
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
    call(b, loc,
         isI32(op.getIds()) ? "modrt_check_index_i32" : "modrt_check_index_i64",
         {asMemref(b, loc, ids), i64(b, loc, op.getBound()),
          message(b, loc, op.getMessage())});
    op.erase();
  }

  void lowerCheckLe(mod::CheckLeOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    call(b, loc, "modrt_check_le",
         {toI64(b, loc, op.getLhs()), toI64(b, loc, op.getRhs()),
          message(b, loc, op.getMessage())});
    op.erase();
  }

  void runOnOperation() override {
    module = getOperation();
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<mod::TopkDecisionOp, mod::SoftmaxDecisionOp,
              mod::ExpertChoiceDecisionOp, mod::TaskDecisionOp,
              mod::HashDecisionOp, mod::WeightsDecisionOp, mod::DispatchOp,
              mod::AggregateOp, mod::CheckIndexOp, mod::CheckLeOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto d = dyn_cast<mod::TopkDecisionOp>(op)) {
        lowerDecision(
            d, "modrt_route_topk",
            {i64(b, loc, d.getK()), i64(b, loc, d.getNormalize() ? 1 : 0),
             b.create<arith::ConstantOp>(
                 loc, b.getF64FloatAttr(d.getCapacity().convertToDouble()))});
      } else if (auto d = dyn_cast<mod::SoftmaxDecisionOp>(op)) {
        lowerDecision(d, "modrt_route_softmax", {});
      } else if (auto d = dyn_cast<mod::ExpertChoiceDecisionOp>(op)) {
        lowerDecision(
            d, "modrt_route_expert_choice",
            {b.create<arith::ConstantOp>(
                loc, b.getF64FloatAttr(d.getCapacity().convertToDouble()))});
      } else if (auto d = dyn_cast<mod::TaskDecisionOp>(op)) {
        std::string text =
            d.getEntry().str() + ": argument '" + d.getArg().str() + "'";
        lowerDecision(d,
                      isI32(d.getInput()) ? "modrt_route_task_i32"
                                          : "modrt_route_task_i64",
                      {i64(b, loc, d.getNumTargets())},
                      {message(b, loc, text)});
      } else if (auto d = dyn_cast<mod::HashDecisionOp>(op)) {
        lowerDecision(d,
                      isI32(d.getInput()) ? "modrt_route_hash_i32"
                                          : "modrt_route_hash_i64",
                      {i64(b, loc, d.getNumTargets())});
      } else if (auto d = dyn_cast<mod::WeightsDecisionOp>(op)) {
        lowerDecision(d, "modrt_route_weights", {});
      } else if (auto d = dyn_cast<mod::DispatchOp>(op)) {
        if (failed(lowerDispatch(d)))
          return signalPassFailure();
        ++numDispatches;
        modc::recordStat(getArgument(), "dispatches-lowered", 1);
      } else if (auto a = dyn_cast<mod::AggregateOp>(op)) {
        lowerAggregate(a);
      } else if (auto c = dyn_cast<mod::CheckIndexOp>(op)) {
        lowerCheckIndex(c);
      } else if (auto c = dyn_cast<mod::CheckLeOp>(op)) {
        lowerCheckLe(c);
      }
    }
  }
};

} // namespace
