//===- EliminateInactiveModules.cpp - Drop targets no row can reach -------===//
//
// A route whose decision is known at compile time reaches one target: task or
// hash routing over ids that are constants (literal ids, or an entry argument
// fixed by `modc --specialize ENTRY.ARG=VALUE`). The dispatch becomes a plain
// application of that target; the other targets, their parameters' reads and
// their computation disappear. `fixed(...)` routes are imported this way
// already (only the listed targets are applied), and instances no entry uses
// produce no code. Parameters stay declared, so a specialised library still
// loads a full checkpoint.
//
//===----------------------------------------------------------------------===//

#include "dialects/Mod/ModModel.h"
#include "ir/Stats.h"
#include "ir/TensorMath.h"
#include "modrt/hash.h"
#include "transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSet.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace modc {
#define GEN_PASS_DEF_ELIMINATEINACTIVEMODULES
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace modc {

/// Applies `--specialize ENTRY.ARG=VALUE`; returns an error message or "".
std::string specializeEntry(ModuleOp module, const std::string &spec) {
  size_t dot = spec.find('.'), eq = spec.find('=');
  if (dot == std::string::npos || eq == std::string::npos || eq < dot)
    return "--specialize expects ENTRY.ARG=VALUE, got '" + spec + "'";
  std::string entry = spec.substr(0, dot);
  std::string arg = spec.substr(dot + 1, eq - dot - 1);
  std::string text = spec.substr(eq + 1);
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0)
    return "--specialize " + spec + ": '" + text + "' is not an integer";
  auto fn = module.lookupSymbol<func::FuncOp>(entry);
  if (!fn || !fn->hasAttr(mod::kEntryAttr))
    return "--specialize " + spec + ": there is no entry '" + entry + "'";
  ArrayAttr inputs = mod::getSignature(fn).getInputs();
  int index = -1;
  for (unsigned i = 0; i < inputs.size(); ++i)
    if (llvm::cast<mod::TensorSpecAttr>(inputs[i]).getName() == arg)
      index = int(i);
  if (index < 0)
    return "--specialize " + spec + ": entry '" + entry +
           "' has no argument '" + arg + "'";
  BlockArgument blockArg = fn.getArgument(index);
  auto type = llvm::cast<RankedTensorType>(blockArg.getType());
  if (!type.getElementType().isSignlessInteger())
    return "--specialize " + spec + ": argument '" + arg +
           "' is not an integer tensor";
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  if (width == 1 ? (value != 0 && value != 1)
                 : width < 64 && (value < -(1LL << (width - 1)) ||
                                  value > (1LL << (width - 1)) - 1))
    return "--specialize " + spec + ": " + text + " does not fit argument '" +
           arg + "' (" + mod::elementTypeName(type.getElementType()).str() +
           (width == 1 ? ": 0 or 1)" : ")");
  // IR specialised before (`--emit=mod` of a specialised compile) no
  // longer reads the argument: the same value again is fine, another one
  // would be silently ignored.
  constexpr llvm::StringLiteral kSpecialized = "mod.specialized";
  if (auto prev = fn.getArgAttrOfType<IntegerAttr>(index, kSpecialized)) {
    if (prev.getInt() == value)
      return "";
    return "--specialize " + spec + ": argument '" + arg +
           "' is already specialised to " + std::to_string(prev.getInt()) +
           " in this IR";
  }
  fn.setArgAttr(index, kSpecialized,
                IntegerAttr::get(IntegerType::get(fn.getContext(), 64), value));
  OpBuilder b(fn.getBody());
  Location loc = blockArg.getLoc();
  llvm::SmallVector<Value> sizes;
  llvm::SmallPtrSet<Operation *, 4> keep;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i)) {
      auto dim = b.create<tensor::DimOp>(loc, blockArg, i);
      keep.insert(dim);
      sizes.push_back(dim);
    }
  Value cst = b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type.getElementType(), value));
  Value splat = b.create<tensor::SplatOp>(loc, cst, type, sizes);
  blockArg.replaceAllUsesExcept(splat, keep);
  // A task id no target of a route answers to would fail every call: say so
  // now, naming the route. The value is followed into the entries this one
  // calls (their argument receives it on this path).
  SmallVector<mod::TaskDecisionOp> tasks;
  SmallVector<Value> worklist = {splat};
  llvm::SmallPtrSet<void *, 8> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v.getAsOpaquePointer()).second)
      continue;
    for (OpOperand &use : v.getUses()) {
      if (auto task = dyn_cast<mod::TaskDecisionOp>(use.getOwner()))
        tasks.push_back(task);
      if (auto call = dyn_cast<func::CallOp>(use.getOwner()))
        if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
          if (!callee.isExternal() &&
              use.getOperandNumber() < callee.getNumArguments())
            worklist.push_back(callee.getArgument(use.getOperandNumber()));
    }
  }
  for (mod::TaskDecisionOp task : tasks) {
    if (value >= 0 && value < int64_t(task.getNumTargets()))
      continue;
    std::string route = "route";
    for (Operation *d : task.getIndices().getUsers())
      if (auto dispatch = dyn_cast<mod::DispatchOp>(d)) {
        StringRef first =
            cast<StringAttr>(dispatch.getInstances()[0]).getValue();
        route = "route over '" + first.rsplit('.').first.str() + "'";
      }
    std::string where;
    if (auto fl = dyn_cast<FileLineColLoc>(task.getLoc()))
      where = " at " + fl.getFilename().str() + ":" +
              std::to_string(fl.getLine()) + ":" +
              std::to_string(fl.getColumn());
    return "--specialize " + spec + ": the task " + route + where + " has " +
           std::to_string(task.getNumTargets()) + " targets (ids 0 to " +
           std::to_string(int64_t(task.getNumTargets()) - 1) + "), not " +
           std::to_string(value);
  }
  return "";
}

std::string specializeEntries(ModuleOp module, ArrayRef<std::string> specs) {
  llvm::StringSet<> seen;
  for (const std::string &spec : specs) {
    StringRef target = StringRef(spec).split('=').first;
    if (!seen.insert(target).second)
      return "--specialize " + target.str() + " is given twice";
    std::string error = specializeEntry(module, spec);
    if (!error.empty())
      return error;
  }
  return "";
}

} // namespace modc

namespace {

/// The single value of a tensor of identical integers known at compile time.
std::optional<int64_t> splatValue(Value v) {
  if (auto splat = v.getDefiningOp<tensor::SplatOp>()) {
    APInt value;
    if (matchPattern(splat.getInput(), m_ConstantInt(&value)))
      return value.getSExtValue();
    return std::nullopt;
  }
  DenseIntElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense)) && dense.isSplat())
    return dense.getSplatValue<APInt>().getSExtValue();
  return std::nullopt;
}

/// Element values of tensors that are the same in every row at compile
/// time: `elementAt(v, e)` is the value of v at last index e (e < 0: v must
/// not depend on any index). Integers are exact up to 2^53.
struct ConstantRows {
  std::optional<double> elementAt(Value v, int64_t e, int depth = 0) {
    if (depth > 16)
      return std::nullopt;
    if (auto splat = v.getDefiningOp<tensor::SplatOp>())
      return modc::constantScalar(splat.getInput());
    if (auto fill = v.getDefiningOp<linalg::FillOp>())
      return modc::constantScalar(fill.getInputs()[0]);
    if (auto cst = v.getDefiningOp<arith::ConstantOp>()) {
      if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue()))
        if (dense.isSplat())
          return modc::scalarValue(dense.getSplatValue<Attribute>());
      return std::nullopt;
    }
    auto gen = v.getDefiningOp<linalg::GenericOp>();
    if (!gen || gen.getNumResults() != 1 ||
        !gen.getMatchingIndexingMap(gen.getDpsInitOperand(0)).isIdentity())
      return std::nullopt;
    int64_t last = gen.getNumLoops() - 1;
    Block &body = *gen.getBody();
    llvm::DenseMap<Value, double> env;
    for (OpOperand *in : gen.getDpsInputOperands()) {
      AffineMap m = gen.getMatchingIndexingMap(in);
      bool usesLast = m.isFunctionOfDim(last);
      bool lastIsLast =
          m.getNumResults() > 0 &&
          m.getResults().back() == getAffineDimExpr(last, m.getContext());
      for (AffineExpr r : m.getResults().drop_back())
        if (r.isFunctionOfDim(last))
          lastIsLast = false;
      if (usesLast && (!lastIsLast || e < 0))
        return std::nullopt;
      auto x = elementAt(in->get(), usesLast ? e : -1, depth + 1);
      if (!x)
        return std::nullopt;
      env[body.getArgument(in->getOperandNumber())] = *x;
    }
    for (Operation &op : body) {
      if (auto yield = dyn_cast<linalg::YieldOp>(op)) {
        auto it = env.find(yield.getValues()[0]);
        if (it == env.end())
          return std::nullopt;
        return it->second;
      }
      auto value = evaluate(op, env, last, e);
      if (!value)
        return std::nullopt;
      env[op.getResult(0)] = *value;
    }
    return std::nullopt;
  }

  std::optional<double> evaluate(Operation &op,
                                 llvm::DenseMap<Value, double> &env,
                                 int64_t last, int64_t e) {
    if (op.getNumResults() != 1)
      return std::nullopt;
    if (auto idx = dyn_cast<linalg::IndexOp>(op)) {
      if (int64_t(idx.getDim()) != last || e < 0)
        return std::nullopt;
      return double(e);
    }
    SmallVector<double> in;
    for (Value v : op.getOperands()) {
      auto it = env.find(v);
      if (it != env.end()) {
        in.push_back(it->second);
        continue;
      }
      auto c = modc::constantScalar(v);
      if (!c)
        return std::nullopt;
      in.push_back(*c);
    }
    if (isa<arith::ConstantOp>(op))
      return modc::constantScalar(op.getResult(0));
    if (isa<arith::ExtSIOp, arith::ExtUIOp, arith::IndexCastOp, arith::SIToFPOp,
            arith::UIToFPOp, arith::ExtFOp>(op))
      return in[0];
    if (isa<arith::FPToSIOp>(op))
      return std::trunc(in[0]);
    if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
      switch (cmp.getPredicate()) {
      case arith::CmpIPredicate::eq:
        return double(in[0] == in[1]);
      case arith::CmpIPredicate::ne:
        return double(in[0] != in[1]);
      case arith::CmpIPredicate::slt:
        return double(in[0] < in[1]);
      case arith::CmpIPredicate::sle:
        return double(in[0] <= in[1]);
      case arith::CmpIPredicate::sgt:
        return double(in[0] > in[1]);
      case arith::CmpIPredicate::sge:
        return double(in[0] >= in[1]);
      default:
        return std::nullopt;
      }
    }
    if (isa<arith::SelectOp>(op))
      return in[0] != 0 ? in[1] : in[2];
    if (isa<arith::AddFOp, arith::AddIOp>(op))
      return in[0] + in[1];
    if (isa<arith::SubFOp, arith::SubIOp>(op))
      return in[0] - in[1];
    if (isa<arith::MulFOp, arith::MulIOp>(op))
      return in[0] * in[1];
    if (isa<arith::DivFOp>(op))
      return in[0] / in[1];
    if (isa<arith::NegFOp>(op))
      return -in[0];
    return std::nullopt;
  }
};

/// The weights of a `weights` router whose input is known at compile time
/// and the same for every row, one per target (f32 rounding applied).
std::optional<SmallVector<double>> constantWeights(mod::WeightsDecisionOp op,
                                                   int64_t numTargets) {
  ConstantRows eval;
  SmallVector<double> weights;
  for (int64_t t = 0; t < numTargets; ++t) {
    auto w = eval.elementAt(op.getInput(), t);
    if (!w || std::isnan(*w))
      return std::nullopt;
    weights.push_back(double(float(*w)));
  }
  return weights;
}

struct EliminateInactiveModulesPass
    : public modc::impl::EliminateInactiveModulesBase<
          EliminateInactiveModulesPass> {
  using EliminateInactiveModulesBase::EliminateInactiveModulesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string error = modc::specializeEntries(
        module, SmallVector<std::string>(specialize.begin(), specialize.end()));
    if (!error.empty()) {
      module.emitError(error);
      return signalPassFailure();
    }
    SmallVector<mod::DispatchOp> dispatches;
    module.walk([&](mod::DispatchOp op) { dispatches.push_back(op); });
    for (mod::DispatchOp op : dispatches) {
      Operation *decision = op.getIndices().getDefiningOp();
      std::optional<int64_t> target;
      int64_t numTargets = op.getTargets().size();
      if (auto task = dyn_cast_or_null<mod::TaskDecisionOp>(decision)) {
        auto id = splatValue(task.getInput());
        // An id out of range stays a run-time error.
        if (id && *id >= 0 && *id < numTargets)
          target = *id;
      } else if (auto hash = dyn_cast_or_null<mod::HashDecisionOp>(decision)) {
        if (auto id = splatValue(hash.getInput()))
          target = int64_t(modrt_fmix32(uint32_t(uint64_t(*id))) %
                           uint32_t(numTargets));
      }
      double scale = 1.0;
      if (auto w = dyn_cast_or_null<mod::WeightsDecisionOp>(decision)) {
        // Compile-time weights: targets with weight 0 are unreachable.
        auto weights = constantWeights(w, numTargets);
        if (!weights)
          continue;
        SmallVector<int64_t> reached;
        for (int64_t t = 0; t < numTargets; ++t)
          if ((*weights)[t] != 0.0)
            reached.push_back(t);
        if (reached.empty() && op.getLevel() == 1) {
          replaceByZeros(op);
          numEliminated += numTargets;
          modc::recordStat(&getContext(), getArgument(), "modules-eliminated",
                           numTargets);
          continue;
        }
        if (reached.size() > 1 && int64_t(reached.size()) < numTargets) {
          shrinkRoute(op, w, reached);
          numEliminated += numTargets - int64_t(reached.size());
          modc::recordStat(&getContext(), getArgument(), "modules-eliminated",
                           numTargets - int64_t(reached.size()));
          continue;
        }
        if (reached.size() != 1)
          continue;
        target = reached[0];
        scale = (*weights)[reached[0]];
      }
      if (!target)
        continue;
      replaceBySingleTarget(module, op, *target, scale);
      numEliminated += numTargets - 1;
      ++numSpecialised;
      modc::recordStat(&getContext(), getArgument(), "modules-eliminated",
                       numTargets - 1);
      modc::recordStat(&getContext(), getArgument(), "routes-specialised", 1);
    }
  }

  /// Every row reaches `target` alone, with weight `scale`: weighted_sum is
  /// scale * its output, sum/mean/max its output, merge its output with
  /// parameters scale * theta.
  void replaceBySingleTarget(ModuleOp module, mod::DispatchOp op,
                             int64_t target, double scale) {
    auto callee = cast<FlatSymbolRefAttr>(op.getTargets()[target]);
    auto fn = module.lookupSymbol<func::FuncOp>(callee);
    OpBuilder b(op);
    modc::TensorMath math(b, op.getLoc());
    mod::Aggregation agg = op.getAggregation();
    SmallVector<Value> operands;
    for (Value p : op.getTargetParams(target)) {
      auto pt = cast<RankedTensorType>(p.getType());
      if (agg == mod::Aggregation::Merge && scale != 1.0)
        p = math.binary(modc::BinaryKind::Mul, p,
                        math.scalarConstant(pt.getElementType(), scale), pt);
      operands.push_back(p);
    }
    int64_t numParams = operands.size();
    operands.push_back(op.getInput());
    Value result =
        b.create<mod::ApplyOp>(
             op.getLoc(), fn.getFunctionType().getResults(), callee,
             b.getStringAttr(
                 cast<StringAttr>(op.getInstances()[target]).getValue()),
             b.getI64IntegerAttr(numParams), operands)
            .getResult(0);
    if (agg == mod::Aggregation::WeightedSum && scale != 1.0) {
      auto rt = cast<RankedTensorType>(result.getType());
      result = math.binary(modc::BinaryKind::Mul, result,
                           math.scalarConstant(rt.getElementType(), scale), rt);
    }
    if (result.getType() != op.getResult().getType())
      result = b.create<tensor::CastOp>(op.getLoc(), op.getResult().getType(),
                                        result);
    op.getResult().replaceAllUsesWith(result);
    op.erase();
  }

  /// Only the targets `reached` have nonzero weights: the route keeps
  /// those, with their weight columns, and drops the others.
  void shrinkRoute(mod::DispatchOp op, mod::WeightsDecisionOp w,
                   ArrayRef<int64_t> reached) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    modc::TensorMath math(b, loc);
    Value in = w.getInput();
    auto inType = cast<RankedTensorType>(in.getType());
    int64_t rank = inType.getRank(), kept = int64_t(reached.size());
    SmallVector<int64_t> shape(inType.getShape());
    shape.back() = kept;
    auto keptType = RankedTensorType::get(shape, inType.getElementType());
    SmallVector<Value> dyn;
    for (int64_t i = 0; i + 1 < rank; ++i)
      if (inType.isDynamicDim(i))
        dyn.push_back(math.dimSize(in, i));
    Value cols = b.create<tensor::EmptyOp>(loc, keptType, dyn);
    for (auto [k, e] : llvm::enumerate(reached)) {
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes;
      SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
      for (int64_t i = 0; i + 1 < rank; ++i)
        sizes.push_back(inType.isDynamicDim(i)
                            ? OpFoldResult(math.dimSize(in, i))
                            : OpFoldResult(b.getIndexAttr(shape[i])));
      sizes.push_back(b.getIndexAttr(1));
      offsets.back() = b.getIndexAttr(e);
      Value col =
          b.create<tensor::ExtractSliceOp>(loc, in, offsets, sizes, strides);
      offsets.back() = b.getIndexAttr(int64_t(k));
      cols = b.create<tensor::InsertSliceOp>(loc, col, cols, offsets, sizes,
                                             strides);
    }
    auto resized = [&](Type t) {
      auto rt = cast<RankedTensorType>(t);
      SmallVector<int64_t> s(rt.getShape());
      s.back() = kept;
      return RankedTensorType::get(s, rt.getElementType());
    };
    auto decision = b.create<mod::WeightsDecisionOp>(
        loc, resized(w.getIndices().getType()),
        resized(w.getWeights().getType()), cols, uint64_t(kept));
    SmallVector<Value> params;
    SmallVector<Attribute> targets, instances;
    SmallVector<int64_t> segments;
    for (int64_t e : reached) {
      llvm::append_range(params, op.getTargetParams(e));
      targets.push_back(op.getTargets()[e]);
      instances.push_back(op.getInstances()[e]);
      segments.push_back(op.getParamSegments()[e]);
    }
    auto shrunk = b.create<mod::DispatchOp>(
        loc, op.getResult().getType(), op.getInput(), decision.getIndices(),
        decision.getWeights(), params, op.getResultDims(),
        b.getArrayAttr(targets), b.getArrayAttr(instances),
        b.getDenseI64ArrayAttr(segments), op.getAggregationAttr(),
        op.getLevelAttr(), op.getStrategyAttr());
    for (NamedAttribute a : op->getDiscardableAttrs())
      shrunk->setAttr(a.getName(), a.getValue());
    op.getResult().replaceAllUsesWith(shrunk.getResult());
    op.erase();
  }

  /// No row reaches any target: every aggregation gives 0.
  void replaceByZeros(mod::DispatchOp op) {
    OpBuilder b(op);
    modc::TensorMath math(b, op.getLoc());
    auto type = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> sizes = {math.dimSize(op.getInput(), 0)};
    unsigned next = 0;
    for (int64_t i = 1; i < type.getRank(); ++i)
      sizes.push_back(type.isDynamicDim(i)
                          ? op.getResultDims()[next++]
                          : b.create<arith::ConstantIndexOp>(op.getLoc(),
                                                             type.getDimSize(i))
                                .getResult());
    Value zero = math.scalarConstant(type.getElementType(), 0.0);
    Value filled =
        b.create<linalg::FillOp>(op.getLoc(), zero, math.empty(type, sizes))
            .getResult(0);
    op.getResult().replaceAllUsesWith(filled);
    op.erase();
  }
};

} // namespace
