//===- ModDialect.cpp - The mod dialect -----------------------------------===//

#include "dialects/Mod/ModDialect.h"
#include "dialects/Mod/ModModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::mod;

#include "dialects/Mod/ModDialect.cpp.inc"
#include "dialects/Mod/ModInterfaces.cpp.inc"

void ModDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "dialects/Mod/ModOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

namespace mlir::mod {

/// A state_dict name as sema makes them: '.'-separated non-empty segments
/// of letters, digits and '_' ("experts.3.w_up"). The library's descriptor
/// and the C header spell it as it is.
bool isParameterName(StringRef name) {
  if (name.empty())
    return false;
  SmallVector<StringRef> segments;
  name.split(segments, '.');
  return llvm::all_of(segments, [](StringRef seg) {
    return !seg.empty() && llvm::all_of(seg, [](char c) {
      return std::isalnum((unsigned char)c) || c == '_';
    });
  });
}

/// A parameter's type the runtime stores: f32, f16, bf16, i32, i64 or i1
/// elements, at most 2^58 of them (byte counts stay far from wrapping).
LogicalResult verifyParameterType(Operation *op, StringRef name,
                                  RankedTensorType type) {
  Type e = type.getElementType();
  if (!(e.isF32() || e.isF16() || e.isBF16() || e.isInteger(32) ||
        e.isInteger(64) || e.isInteger(1)))
    return op->emitOpError()
           << "parameter '" << name << "' has element type " << e
           << "; parameters are f32, f16, bf16, i32, i64 or i1";
  double count = 1;
  for (int64_t d : type.getShape())
    count *= double(d);
  if (count > 0x1p58)
    return op->emitOpError()
           << "parameter '" << name << "' holds more than 2^58 elements";
  return success();
}

} // namespace mlir::mod

LogicalResult ParamOp::verify() {
  // The name is the tensor's key in weight files, where the safetensors
  // header keeps this one for its metadata.
  if (getSymName() == "__metadata__")
    return emitOpError() << "'__metadata__' is the weight file's metadata "
                            "key, not a parameter name";
  if (!isParameterName(getSymName()))
    return emitOpError() << "'" << getSymName()
                         << "' is not a parameter name (segments of letters, "
                            "digits and '_' joined by '.')";
  if (failed(verifyParameterType(*this, getSymName(),
                                 cast<RankedTensorType>(getType()))))
    return failure();
  unsigned arity = 0;
  switch (getInit()) {
  case InitKind::Const:
    arity = 1;
    break;
  case InitKind::Normal:
  case InitKind::Uniform:
    arity = 2;
    break;
  default:
    break;
  }
  size_t numArgs = getInitArgs() ? getInitArgs()->size() : 0;
  if (numArgs != arity)
    return emitOpError() << "initialiser '" << stringifyInitKind(getInit())
                         << "' takes " << arity << " arguments, got "
                         << numArgs;
  return success();
}

//===----------------------------------------------------------------------===//
// InstanceOp
//===----------------------------------------------------------------------===//

LogicalResult InstanceOp::verify() {
  // I64Attr's accessor is unsigned: read the count as the signed value
  // the IR spells (`count -3`).
  if (auto count = getCountAttr(); count && count.getInt() < 1)
    return emitOpError() << "an instance array needs at least one element, "
                            "got "
                         << count.getInt();
  return success();
}

LogicalResult InstanceOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto fn =
      symbols.lookupNearestSymbolFrom<func::FuncOp>(*this, getModuleAttr());
  if (!fn || !fn->hasAttr(kModuleAttr))
    return emitOpError() << "'" << getModule() << "' is not a module";
  return success();
}

//===----------------------------------------------------------------------===//
// ParamRefOp
//===----------------------------------------------------------------------===//

LogicalResult ParamRefOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  Operation *target = symbolTable.lookupNearestSymbolFrom(*this, getNameAttr());
  Type type;
  if (auto param = dyn_cast_or_null<ParamOp>(target))
    type = param.getType();
  else if (auto derived = dyn_cast_or_null<DerivedOp>(target))
    type = derived.getType();
  else
    return emitOpError() << "'" << getName()
                         << "' does not name a mod.param or mod.derived";
  if (type != getType())
    return emitOpError() << "type " << getType() << " differs from " << type
                         << " of '" << getName() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// ApplyOp
//===----------------------------------------------------------------------===//

LogicalResult ApplyOp::verify() {
  if (getNumParams() > getOperands().size())
    return emitOpError() << "num_params " << getNumParams()
                         << " exceeds the number of operands";
  return success();
}

LogicalResult ApplyOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn =
      symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getCalleeAttr());
  if (!fn)
    return emitOpError() << "'" << getCallee()
                         << "' does not name a module function";
  if (!fn->hasAttr(kModuleAttr))
    return emitOpError() << "'" << getCallee() << "' is not a module";
  FunctionType type = fn.getFunctionType();
  if (!llvm::equal(type.getInputs(), getOperandTypes()) ||
      !llvm::equal(type.getResults(), getResultTypes()))
    return emitOpError() << "operand or result types do not match " << type
                         << " of '" << getCallee() << "'";
  int64_t numParams = 0;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (fn.getArgAttr(i, kParamArgAttr))
      ++numParams;
  if (numParams != static_cast<int64_t>(getNumParams()))
    return emitOpError() << "num_params is " << getNumParams() << " but '"
                         << getCallee() << "' has " << numParams
                         << " parameter arguments";
  return success();
}

CallInterfaceCallable ApplyOp::getCallableForCallee() {
  return getCalleeAttr();
}

void ApplyOp::setCalleeFromCallable(CallInterfaceCallable callee) {
  (*this)->setAttr(getCalleeAttrName(), llvm::cast<SymbolRefAttr>(callee));
}

Operation::operand_range ApplyOp::getArgOperands() { return getOperands(); }

MutableOperandRange ApplyOp::getArgOperandsMutable() {
  return getOperandsMutable();
}

// ModuleUserInterface of mod.apply: one target.
SmallVector<FlatSymbolRefAttr> ApplyOp::getReachableModules() {
  return {getCalleeAttr()};
}
SmallVector<StringRef> ApplyOp::getInstancePaths() { return {getInstance()}; }
OperandRange ApplyOp::getParameterOperands() { return getParams(); }
bool ApplyOp::targetsShareModule() { return true; }

//===----------------------------------------------------------------------===//
// Routing decisions
//===----------------------------------------------------------------------===//

int64_t TopkDecisionOp::getTargetCount() { return getNumTargets(); }
int64_t TopkDecisionOp::getSlotsPerRow() { return getK(); }
bool TopkDecisionOp::isDense() { return false; }
int64_t SoftmaxDecisionOp::getTargetCount() { return getNumTargets(); }
int64_t SoftmaxDecisionOp::getSlotsPerRow() { return getNumTargets(); }
bool SoftmaxDecisionOp::isDense() { return true; }
int64_t ExpertChoiceDecisionOp::getTargetCount() { return getNumTargets(); }
int64_t ExpertChoiceDecisionOp::getSlotsPerRow() { return getNumTargets(); }
bool ExpertChoiceDecisionOp::isDense() { return false; }
int64_t TaskDecisionOp::getTargetCount() { return getNumTargets(); }
int64_t TaskDecisionOp::getSlotsPerRow() { return 1; }
bool TaskDecisionOp::isDense() { return false; }
int64_t HashDecisionOp::getTargetCount() { return getNumTargets(); }
int64_t HashDecisionOp::getSlotsPerRow() { return 1; }
bool HashDecisionOp::isDense() { return false; }
int64_t WeightsDecisionOp::getTargetCount() { return getNumTargets(); }
int64_t WeightsDecisionOp::getSlotsPerRow() { return getNumTargets(); }
bool WeightsDecisionOp::isDense() { return false; }

/// Checks what every decision op shares: the shape of its input for its kind
/// (`logits` [R, E] floats or `ids` [R] integers) and its [R, K] results.
static LogicalResult verifyDecision(Operation *op, Value input,
                                    int64_t numTargets, bool takesIds,
                                    int64_t slots, Value indices,
                                    Value weights) {
  auto in = cast<RankedTensorType>(input.getType());
  auto idx = cast<RankedTensorType>(indices.getType());
  auto w = cast<RankedTensorType>(weights.getType());
  if (numTargets < 1)
    return op->emitOpError() << "needs at least one target, got " << numTargets;
  if (takesIds) {
    if (in.getRank() != 1 || !in.getElementType().isSignlessInteger() ||
        (in.getElementType().getIntOrFloatBitWidth() != 32 &&
         in.getElementType().getIntOrFloatBitWidth() != 64))
      return op->emitOpError() << "expects ids of type tensor<?xi32> or "
                                  "tensor<?xi64>, got "
                               << in;
  } else {
    if (in.getRank() != 2 || !isa<FloatType>(in.getElementType()))
      return op->emitOpError()
             << "expects a [rows, targets] float tensor, got " << in;
    if (!in.isDynamicDim(1) && in.getDimSize(1) != numTargets)
      return op->emitOpError() << "has " << in.getDimSize(1) << " columns but "
                               << numTargets << " targets";
  }
  if (idx.getShape() != w.getShape())
    return op->emitOpError()
           << "indices " << idx << " and weights " << w << " differ in shape";
  if (!in.isDynamicDim(0) && !idx.isDynamicDim(0) &&
      in.getDimSize(0) != idx.getDimSize(0))
    return op->emitOpError() << "decides " << idx.getDimSize(0)
                             << " rows for an input of " << in.getDimSize(0);
  if (!idx.isDynamicDim(1) && idx.getDimSize(1) != slots)
    return op->emitOpError() << "yields " << idx.getDimSize(1)
                             << " slots per row, expected " << slots;
  return success();
}

LogicalResult TopkDecisionOp::verify() {
  int64_t e = getNumTargets();
  if (getK() < 1 || getK() > e)
    return emitOpError() << "k = " << getK()
                         << " must be between 1 and the number of targets "
                         << e;
  if (!(getCapacity().convertToDouble() >= 0))
    return emitOpError() << "capacity must not be negative";
  if (getTie() != "lower_index")
    return emitOpError() << "unknown tie rule '" << getTie() << "'";
  return verifyDecision(*this, getInput(), e, false, getK(), getIndices(),
                        getWeights());
}

LogicalResult SoftmaxDecisionOp::verify() {
  return verifyDecision(*this, getInput(), getNumTargets(), false,
                        getNumTargets(), getIndices(), getWeights());
}

LogicalResult ExpertChoiceDecisionOp::verify() {
  if (!(getCapacity().convertToDouble() >= 0))
    return emitOpError() << "capacity must not be negative";
  return verifyDecision(*this, getInput(), getNumTargets(), false,
                        getNumTargets(), getIndices(), getWeights());
}

LogicalResult TaskDecisionOp::verify() {
  return verifyDecision(*this, getInput(), getNumTargets(), true, 1,
                        getIndices(), getWeights());
}

LogicalResult HashDecisionOp::verify() {
  return verifyDecision(*this, getInput(), getNumTargets(), true, 1,
                        getIndices(), getWeights());
}

LogicalResult WeightsDecisionOp::verify() {
  return verifyDecision(*this, getInput(), getNumTargets(), false,
                        getNumTargets(), getIndices(), getWeights());
}

//===----------------------------------------------------------------------===//
// Canonicalisation of routing
//===----------------------------------------------------------------------===//

namespace {

/// topk with k == E and no capacity chooses every target: the weights are
/// softmax over all logits either way, so it is dense softmax routing.
struct TopkOfAllIsSoftmax : OpRewritePattern<TopkDecisionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TopkDecisionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getK() != op.getNumTargets() ||
        op.getCapacity().convertToDouble() != 0.0)
      return rewriter.notifyMatchFailure(op, "not every target is chosen");
    rewriter.replaceOpWithNewOp<SoftmaxDecisionOp>(
        op, op.getIndices().getType(), op.getWeights().getType(), op.getInput(),
        op.getNumTargetsAttr());
    return success();
  }
};

/// True if `decision` sends every row to its single target with weight 1,
/// or, where `weightsMatter` is false, with some weight. The softmax of one
/// logit is 1 only when the logit is finite (NaN and +-inf give NaN, which
/// weighted_sum and merge pass on).
bool choosesOnlyTargetWithWeightOne(Operation *decision, bool weightsMatter) {
  if (!decision)
    return false;
  if (auto topk = dyn_cast<TopkDecisionOp>(decision))
    return !weightsMatter && topk.getNumTargets() == 1 &&
           topk.getCapacity().convertToDouble() == 0.0;
  if (auto softmax = dyn_cast<SoftmaxDecisionOp>(decision))
    return !weightsMatter && softmax.getNumTargets() == 1;
  if (auto hash = dyn_cast<HashDecisionOp>(decision))
    return hash.getNumTargets() == 1;
  // task still checks its ids; expert_choice may leave rows out.
  return false;
}

/// A route with one target that every row reaches with weight 1 is a call:
/// every aggregation of a single output with weight 1 is that output.
struct SingleTargetDispatchIsApply : OpRewritePattern<DispatchOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DispatchOp op,
                                PatternRewriter &rewriter) const override {
    Aggregation agg = op.getAggregation();
    bool weightsMatter =
        agg == Aggregation::WeightedSum || agg == Aggregation::Merge;
    if (op.getTargets().size() != 1 ||
        !choosesOnlyTargetWithWeightOne(op.getIndices().getDefiningOp(),
                                        weightsMatter))
      return rewriter.notifyMatchFailure(op, "not a single certain target");
    auto callee = cast<FlatSymbolRefAttr>(op.getTargets()[0]);
    auto fn = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, callee);
    if (!fn)
      return failure();
    SmallVector<Value> operands(op.getParams());
    int64_t numParams = operands.size();
    operands.push_back(op.getInput());
    auto apply = rewriter.create<ApplyOp>(
        op.getLoc(), fn.getFunctionType().getResults(), callee,
        rewriter.getStringAttr(
            cast<StringAttr>(op.getInstances()[0]).getValue()),
        rewriter.getI64IntegerAttr(numParams), operands);
    Value result = apply.getResult(0);
    if (result.getType() != op.getResult().getType())
      result = rewriter.create<tensor::CastOp>(
          op.getLoc(), op.getResult().getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void TopkDecisionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                 MLIRContext *context) {
  results.add<TopkOfAllIsSoftmax>(context);
}
void SoftmaxDecisionOp::getCanonicalizationPatterns(RewritePatternSet &,
                                                    MLIRContext *) {}
void ExpertChoiceDecisionOp::getCanonicalizationPatterns(RewritePatternSet &,
                                                         MLIRContext *) {}
void TaskDecisionOp::getCanonicalizationPatterns(RewritePatternSet &,
                                                 MLIRContext *) {}
void HashDecisionOp::getCanonicalizationPatterns(RewritePatternSet &,
                                                 MLIRContext *) {}
void WeightsDecisionOp::getCanonicalizationPatterns(RewritePatternSet &,
                                                    MLIRContext *) {}
void DispatchOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<SingleTargetDispatchIsApply>(context);
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

OperandRange DispatchOp::getTargetParams(unsigned t) {
  ArrayRef<int64_t> segments = getParamSegments();
  int64_t begin = 0;
  for (unsigned i = 0; i < t; ++i)
    begin += segments[i];
  return getParams().slice(begin, segments[t]);
}

bool DispatchOp::isHomogeneous() {
  ArrayAttr targets = getTargets();
  return llvm::all_of(targets, [&](Attribute a) { return a == targets[0]; });
}

SmallVector<FlatSymbolRefAttr> DispatchOp::getReachableModules() {
  SmallVector<FlatSymbolRefAttr> out;
  for (Attribute a : getTargets())
    out.push_back(cast<FlatSymbolRefAttr>(a));
  return out;
}
SmallVector<StringRef> DispatchOp::getInstancePaths() {
  SmallVector<StringRef> out;
  for (Attribute a : getInstances())
    out.push_back(cast<StringAttr>(a).getValue());
  return out;
}
OperandRange DispatchOp::getParameterOperands() { return getParams(); }
bool DispatchOp::targetsShareModule() { return isHomogeneous(); }

LogicalResult DispatchOp::verify() {
  size_t numTargets = getTargets().size();
  if (numTargets == 0)
    return emitOpError() << "needs at least one target";
  if (getInstances().size() != numTargets ||
      getParamSegments().size() != numTargets)
    return emitOpError() << "has " << numTargets << " targets but "
                         << getInstances().size() << " instance names and "
                         << getParamSegments().size() << " parameter segments";
  int64_t total = 0;
  for (int64_t n : getParamSegments()) {
    if (n < 0)
      return emitOpError() << "has a negative parameter segment";
    total += n;
  }
  if (total != static_cast<int64_t>(getParams().size()))
    return emitOpError() << "parameter segments add up to " << total << " but "
                         << getParams().size() << " parameters are passed";
  Aggregation agg = getAggregation();
  if (agg == Aggregation::Concat || agg == Aggregation::Stack)
    return emitOpError() << "'" << stringifyAggregation(agg)
                         << "' is only for globally routed targets "
                            "(mod.aggregate)";
  if (agg == Aggregation::Merge && !isHomogeneous())
    return emitOpError() << "'merge' needs targets that are instances of one "
                            "module";
  if (getStrategy() == DispatchStrategy::Fused && !isHomogeneous())
    return emitOpError() << "the 'fused' strategy needs targets that are "
                            "instances of one module";
  if (getLevel() < 1)
    return emitOpError() << "level must be at least 1";
  // The decision chooses among exactly these targets (an index past them
  // would reach no module; fewer would leave some unreachable).
  if (auto decision = getIndices().getDefiningOp<RoutingDecisionInterface>())
    if (decision.getTargetCount() != static_cast<int64_t>(numTargets))
      return emitOpError() << "routes to " << numTargets
                           << " targets, but its decision chooses among "
                           << decision.getTargetCount();
  auto in = getInput().getType();
  auto out = cast<RankedTensorType>(getResult().getType());
  auto idx = getIndices().getType();
  if (idx.getShape() != getWeights().getType().getShape())
    return emitOpError() << "indices and weights differ in shape";
  if (in.getRank() < 1 || out.getRank() < 1)
    return emitOpError() << "input and result need a leading row dim";
  int64_t dynamicDims = 0;
  for (int64_t d : out.getShape().drop_front())
    dynamicDims += ShapedType::isDynamic(d);
  if (dynamicDims != static_cast<int64_t>(getResultDims().size()))
    return emitOpError() << "result has " << dynamicDims
                         << " dynamic dims after the rows but "
                         << getResultDims().size() << " sizes are given";
  auto rowsMatch = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
  };
  if (!rowsMatch(in.getDimSize(0), idx.getDimSize(0)) ||
      !rowsMatch(in.getDimSize(0), out.getDimSize(0)))
    return emitOpError() << "input, decision and result must have the same "
                            "number of rows";
  return success();
}

LogicalResult DispatchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto in = getInput().getType();
  auto out = cast<RankedTensorType>(getResult().getType());
  for (auto [t, attr] : llvm::enumerate(getTargets())) {
    auto ref = cast<FlatSymbolRefAttr>(attr);
    auto fn = symbols.lookupNearestSymbolFrom<func::FuncOp>(*this, ref);
    if (!fn || !fn->hasAttr(kModuleAttr))
      return emitOpError() << "target '" << ref.getValue()
                           << "' is not a module function";
    FunctionType type = fn.getFunctionType();
    OperandRange params = getTargetParams(t);
    if (type.getNumInputs() != params.size() + 1 || type.getNumResults() != 1)
      return emitOpError() << "target '" << ref.getValue() << "' takes "
                           << type.getNumInputs() << " arguments, but "
                           << params.size() << " parameters and one input "
                           << "are passed";
    if (!llvm::equal(type.getInputs().drop_back(), params.getTypes()))
      return emitOpError() << "parameters of target " << t << " do not match '"
                           << ref.getValue() << "'";
    auto argType = cast<RankedTensorType>(type.getInputs().back());
    auto resType = cast<RankedTensorType>(type.getResult(0));
    if (argType.getRank() != in.getRank() ||
        argType.getShape().drop_front() != in.getShape().drop_front() ||
        argType.getElementType() != in.getElementType())
      return emitOpError() << "rows " << in << " do not fit the input "
                           << argType << " of '" << ref.getValue() << "'";
    if (resType.getRank() != out.getRank() ||
        resType.getShape().drop_front() != out.getShape().drop_front() ||
        resType.getElementType() != out.getElementType())
      return emitOpError() << "result " << out << " does not fit the result "
                           << resType << " of '" << ref.getValue() << "'";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AggregateOp
//===----------------------------------------------------------------------===//

LogicalResult AggregateOp::verify() {
  Aggregation kind = getKind();
  if (kind == Aggregation::WeightedSum || kind == Aggregation::Merge)
    return emitOpError() << "'" << stringifyAggregation(kind)
                         << "' needs routing weights (mod.dispatch)";
  if (getOutputs().empty())
    return emitOpError() << "needs at least one operand";
  auto first = cast<RankedTensorType>(getOutputs()[0].getType());
  for (Value v : getOutputs())
    if (v.getType() != first)
      return emitOpError() << "operands must have one type, got " << first
                           << " and " << v.getType();
  auto result = cast<RankedTensorType>(getResult().getType());
  SmallVector<int64_t> expected(first.getShape());
  int64_t n = getOutputs().size();
  if (kind == Aggregation::Concat) {
    if (first.getRank() == 0)
      return emitOpError() << "'concat' needs operands of rank 1 or more";
    if (!ShapedType::isDynamic(expected.back()))
      expected.back() *= n;
  } else if (kind == Aggregation::Stack) {
    if (first.getRank() == 0)
      return emitOpError() << "'stack' needs operands of rank 1 or more";
    expected.insert(expected.end() - 1, n);
  }
  if (result.getElementType() != first.getElementType() ||
      result.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError() << "result type " << result << " does not match "
                         << stringifyAggregation(kind) << " of " << n << " x "
                         << first;
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Mod/ModOps.cpp.inc"
