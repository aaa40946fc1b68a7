//===- Grouping.cpp - Module bodies that can run grouped ------------------===//

#include "ir/Grouping.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace modc {

namespace {

/// Which values of the body hold packed rows (dim 0 = rows) and which are
/// parameters.
struct Classes {
  llvm::DenseSet<Value> rows, params;
  llvm::DenseMap<Value, RowMultiplier> mult;
  /// Widened bf16/f16 parameters and the parameter each widens.
  llvm::DenseMap<Value, Value> widened;
  const RowMultiplier &multOf(Value v) const {
    static const RowMultiplier none;
    auto it = mult.find(v);
    return it == mult.end() ? none : it->second;
  }
};

/// An output init that only provides a shape (and constant fill values).
bool isShapeOnly(Value v) {
  if (v.getDefiningOp<tensor::EmptyOp>())
    return true;
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>() &&
           fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  return false;
}

bool usesDim0(AffineMap map) {
  return llvm::any_of(map.getResults(),
                      [](AffineExpr e) { return e.isFunctionOfDim(0); });
}

bool firstIsDim0Only(AffineMap map) {
  if (map.getNumResults() == 0)
    return false;
  auto d = dyn_cast<AffineDimExpr>(map.getResult(0));
  if (!d || d.getPosition() != 0)
    return false;
  for (AffineExpr e : map.getResults().drop_front())
    if (e.isFunctionOfDim(0))
      return false;
  return true;
}

/// Whether row values a and b count their rows the same way: the same
/// (value, dim) multipliers, or dims of equal static sizes (two tensors
/// split into the same number of heads).
bool sameCount(const Classes &c, Value a, Value b) {
  const RowMultiplier &ma = c.multOf(a), &mb = c.multOf(b);
  if (ma.size() != mb.size())
    return false;
  for (auto [x, y] : llvm::zip(ma, mb)) {
    if (x == y)
      continue;
    int64_t sx = cast<ShapedType>(x.first.getType()).getDimSize(x.second);
    int64_t sy = cast<ShapedType>(y.first.getType()).getDimSize(y.second);
    if (ShapedType::isDynamic(sx) || sx != sy)
      return false;
  }
  return true;
}

/// `gen` is `f32(p)` for a bf16 or f16 parameter p, into an empty tensor:
/// the importer's widening of a half operand.
bool isParamWidening(linalg::GenericOp gen, const Classes &c) {
  Type from = widenedFrom(gen);
  return from && (from.isBF16() || from.isF16()) &&
         c.params.contains(gen.getDpsInputs()[0]) &&
         gen.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>() &&
         getElementTypeOrSelf(gen.getResult(0).getType()).isF32();
}

/// Classifies `op` given the classes of its operands, or fails with a
/// reason.
std::optional<GroupedUse> classify(Operation *op, Classes &c,
                                   std::string &why) {
  auto isRow = [&](Value v) { return c.rows.contains(v); };
  auto isParam = [&](Value v) { return c.params.contains(v); };
  bool touchesRows = llvm::any_of(op->getOperands(), isRow);
  bool touchesParams = llvm::any_of(op->getOperands(), isParam);
  // Parameters or rows captured inside a region are not tracked.
  bool captured = false;
  op->walk([&](Operation *inner) {
    if (inner != op)
      for (Value v : inner->getOperands())
        if ((isRow(v) || isParam(v)) &&
            !op->isProperAncestor(v.getParentBlock()->getParentOp()))
          captured = true;
  });
  if (captured) {
    why = "'" + op->getName().getStringRef().str() +
          "' reads the rows or a parameter inside a region";
    return std::nullopt;
  }
  if (!touchesRows && !touchesParams)
    return GroupedUse::Neutral;
  if (auto dim = dyn_cast<tensor::DimOp>(op)) {
    auto idx = dim.getConstantIndex();
    if (isRow(dim.getSource()) && idx && *idx == 0)
      return GroupedUse::RowShape;
    if (isRow(dim.getSource()) && idx)
      return GroupedUse::Neutral;
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    // [n, T..., F...] -> [n * T..., F...]: the rows times the inner dims.
    if (isRow(collapse.getSrc())) {
      RowMultiplier m = c.multOf(collapse.getSrc());
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      for (int64_t d : groups[0])
        if (d != 0)
          m.push_back({collapse.getSrc(), d});
      if (!m.empty())
        c.mult[collapse.getResult()] = m;
      c.rows.insert(collapse.getResult());
      return GroupedUse::RowReshape;
    }
  }
  if (auto reshape = dyn_cast<tensor::ReshapeOp>(op)) {
    // Back to one row per packed row: the new dim 0 is a row count.
    auto shape = reshape.getShape().getDefiningOp<tensor::FromElementsOp>();
    auto lead = shape ? shape.getElements()[0].getDefiningOp<tensor::DimOp>()
                      : tensor::DimOp();
    if (isRow(reshape.getSource()) && !isParam(reshape.getShape()) && lead &&
        isRow(lead.getSource()) && c.multOf(lead.getSource()).empty() &&
        lead.getConstantIndex() == 0) {
      c.rows.insert(reshape.getResult());
      return GroupedUse::RowReshape;
    }
    why = "a reshape that does not keep the rows";
    return std::nullopt;
  }
  if (llvm::any_of(op->getOperands(),
                   [&](Value v) { return c.widened.count(v); }) &&
      !isa<linalg::MatmulOp>(op)) {
    why = "a half-precision parameter used other than as a matmul's right "
          "operand";
    return std::nullopt;
  }
  if (auto tr = dyn_cast<linalg::TransposeOp>(op)) {
    // Dims after the rows permuted: each row's elements stay in the row.
    if (isRow(tr.getInput()) && tr.getPermutation()[0] == 0 &&
        isShapeOnly(tr.getInit())) {
      if (!c.multOf(tr.getInput()).empty())
        c.mult[tr.getResult()[0]] = c.multOf(tr.getInput());
      c.rows.insert(tr.getResult()[0]);
      return GroupedUse::RowLocal;
    }
    why = "a transpose that moves the rows";
    return std::nullopt;
  }
  if (auto bmm = dyn_cast<linalg::BatchMatmulOp>(op)) {
    // A batch of products per row (attention's heads of each example):
    // both operands rows counted the same way.
    Value a = bmm.getInputs()[0], b = bmm.getInputs()[1];
    if (isRow(a) && isRow(b) && sameCount(c, a, b) &&
        isZeroFill(bmm.getOutputs()[0]) && isShapeOnly(bmm.getOutputs()[0])) {
      if (!c.multOf(a).empty())
        c.mult[bmm.getResult(0)] = c.multOf(a);
      c.rows.insert(bmm.getResult(0));
      return GroupedUse::RowLocal;
    }
    why = "a batch matmul whose operands are not both the rows";
    return std::nullopt;
  }
  if (auto mm = dyn_cast<linalg::MatmulOp>(op)) {
    Value a = mm.getInputs()[0], b = mm.getInputs()[1];
    if (isRow(a) && !isRow(b) && isZeroFill(mm.getOutputs()[0]) &&
        cast<RankedTensorType>(a.getType()).getElementType().isF32()) {
      if (!c.multOf(a).empty())
        c.mult[mm.getResult(0)] = c.multOf(a);
      c.rows.insert(mm.getResult(0));
      return isParam(b) ? GroupedUse::GroupedMatmul : GroupedUse::RowMatmul;
    }
    why = "a matmul whose left operand is not the rows or whose right "
          "operand depends on them";
    return std::nullopt;
  }
  if (auto gen = dyn_cast<linalg::GenericOp>(op)) {
    if (isParamWidening(gen, c)) {
      c.params.insert(gen.getResult(0));
      c.widened[gen.getResult(0)] = gen.getDpsInputs()[0];
      return GroupedUse::ParamWiden;
    }
    if (llvm::any_of(gen->getOperands(),
                     [&](Value v) { return c.widened.count(v); })) {
      why = "a half-precision parameter used other than as a matmul's right "
            "operand";
      return std::nullopt;
    }
    if (gen.getNumLoops() == 0 ||
        gen.getIteratorTypesArray()[0] != utils::IteratorType::parallel) {
      why = "a linalg.generic whose first loop is not parallel";
      return std::nullopt;
    }
    bool rowIndex = false;
    gen.getBody()->walk([&](linalg::IndexOp idx) {
      if (idx.getDim() == 0)
        rowIndex = true;
    });
    if (rowIndex) {
      why = "a linalg.generic that reads its row index";
      return std::nullopt;
    }
    // Every row operand counts rows the same way; parameters only next to
    // one row per packed row.
    std::optional<RowMultiplier> m;
    Value first;
    bool params = false;
    for (OpOperand &operand : gen->getOpOperands()) {
      params |= isParam(operand.get());
      if (!isRow(operand.get()))
        continue;
      if (first && !sameCount(c, first, operand.get())) {
        why = "a linalg.generic over rows counted in different ways";
        return std::nullopt;
      }
      first = operand.get();
      m = c.multOf(operand.get());
    }
    if (!m) {
      why = "a linalg.generic that builds rows without reading them";
      return std::nullopt;
    }
    if (params && !m->empty()) {
      why = "a parameter used elementwise on rows split into inner rows";
      return std::nullopt;
    }
    for (OpOperand *in : gen.getDpsInputOperands()) {
      AffineMap map = gen.getMatchingIndexingMap(in);
      bool ok = isRow(in->get()) ? firstIsDim0Only(map) : !usesDim0(map);
      if (!ok) {
        why = "a linalg.generic input that mixes rows";
        return std::nullopt;
      }
    }
    for (OpOperand &out : gen.getDpsInitsMutable()) {
      AffineMap map = gen.getMatchingIndexingMap(&out);
      if (isParam(out.get()) || !firstIsDim0Only(map) ||
          !(isRow(out.get()) || isShapeOnly(out.get()))) {
        why = "a linalg.generic output that is not row by row";
        return std::nullopt;
      }
    }
    for (Value r : gen.getResults()) {
      c.rows.insert(r);
      if (!m->empty())
        c.mult[r] = *m;
    }
    return GroupedUse::RowGeneric;
  }
  if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    (void)fill;
    why = "a fill of a row value";
    return std::nullopt;
  }
  why =
      "'" + op->getName().getStringRef().str() + "' on the rows or a parameter";
  return std::nullopt;
}

} // namespace

unsigned GroupedBody::paramIndex(Value b) const {
  auto it = widened.find(b);
  return it != widened.end() ? it->second
                             : cast<BlockArgument>(b).getArgNumber();
}

std::optional<GroupedBody> groupBody(func::FuncOp fn, unsigned numParams,
                                     std::string *why) {
  std::string reason;
  auto fail = [&](std::string r) -> std::optional<GroupedBody> {
    if (why)
      *why = std::move(r);
    return std::nullopt;
  };
  if (fn.isExternal() || !fn.getBody().hasOneBlock())
    return fail("the module has no single-block body");
  FunctionType type = fn.getFunctionType();
  if (type.getNumInputs() != numParams + 1 || type.getNumResults() != 1)
    return fail("the module does not take one input and return one result");
  auto in = dyn_cast<RankedTensorType>(type.getInput(numParams));
  auto out = dyn_cast<RankedTensorType>(type.getResult(0));
  if (!in || !out || in.getRank() < 2 || !in.isDynamicDim(0) ||
      out.getRank() < 1 || !out.isDynamicDim(0))
    return fail("the module's input is not [rows, features...] with "
                "dynamic rows");
  Classes c;
  Block &body = fn.getBody().front();
  for (unsigned i = 0; i < numParams; ++i)
    c.params.insert(body.getArgument(i));
  c.rows.insert(body.getArgument(numParams));
  GroupedBody result;
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      if (!c.rows.contains(ret.getOperand(0)) ||
          !c.multOf(ret.getOperand(0)).empty())
        return fail("the module's result is not computed from its rows");
      result.multipliers = c.mult;
      return result;
    }
    std::optional<GroupedUse> use = classify(&op, c, reason);
    if (!use)
      return fail(reason);
    result.uses[&op] = *use;
    if (*use == GroupedUse::RowGeneric)
      result.paramRows |= llvm::any_of(
          op.getOperands(), [&](Value v) { return c.params.contains(v); });
    if (*use == GroupedUse::ParamWiden)
      result.widened[op.getResult(0)] =
          cast<BlockArgument>(c.widened[op.getResult(0)]).getArgNumber();
    if (*use == GroupedUse::GroupedMatmul)
      ++result.groupedMatmuls;
  }
  return fail("the module body has no return");
}

} // namespace modc
