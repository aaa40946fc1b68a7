//===- LowerEntryABI.cpp - Entries in the library calling convention ------===//
//
// The exported C function of an entry (INTERFACE.md §2) passes dense,
// caller-owned buffers. This pass makes that explicit in the IR, so that
// one-shot bufferization writes results straight into the caller's
// buffers and reads parameters in place.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace modc {
#define GEN_PASS_DEF_LOWERENTRYABI
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

MemRefType memrefFor(Type t) {
  auto tensor = cast<RankedTensorType>(t);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

struct LowerEntryABIPass
    : public modc::impl::LowerEntryABIBase<LowerEntryABIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> entries;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr(mod::kEntryAttr))
        entries.push_back(fn);
    modc::abi::Messages messages(module);
    for (func::FuncOp fn : entries)
      if (failed(lower(fn, messages)))
        return signalPassFailure();
    for (auto i : llvm::make_early_inc_range(module.getOps<mod::InstanceOp>()))
      i.erase();
  }

  LogicalResult lower(func::FuncOp fn, modc::abi::Messages &messages) {
    if (fn.getBody().getBlocks().size() != 1)
      return fn.emitOpError("entry must have a single block");
    // Parameters the entry reads, in order of first use.
    SmallVector<StringRef> paramNames;
    SmallVector<Type> paramTypes;
    llvm::StringMap<unsigned> paramIndex;
    fn.walk([&](mod::ParamRefOp ref) {
      auto [it, inserted] =
          paramIndex.try_emplace(ref.getName(), paramNames.size());
      if (inserted) {
        paramNames.push_back(ref.getName());
        paramTypes.push_back(ref.getType());
      }
    });
    if (!fn.getBody().getOps<mod::ApplyOp>().empty())
      return fn.emitOpError("mod.apply must be inlined before the entry ABI "
                            "is lowered");

    FunctionType oldType = fn.getFunctionType();
    SmallVector<Type> inputs;
    for (Type t : paramTypes)
      inputs.push_back(memrefFor(t));
    for (Type t : oldType.getInputs())
      inputs.push_back(memrefFor(t));
    for (Type t : oldType.getResults())
      inputs.push_back(memrefFor(t));

    OpBuilder builder(fn);
    auto newFn = builder.create<func::FuncOp>(
        fn.getLoc(), fn.getSymName(), builder.getFunctionType(inputs, {}));
    for (NamedAttribute attr : fn->getAttrs())
      if (attr.getName() != fn.getFunctionTypeAttrName() &&
          attr.getName() != fn.getSymNameAttrName() &&
          attr.getName() != fn.getArgAttrsAttrName() &&
          attr.getName() != fn.getResAttrsAttrName())
        newFn->setAttr(attr.getName(), attr.getValue());
    SmallVector<Attribute> names;
    for (StringRef n : paramNames)
      names.push_back(builder.getStringAttr(n));
    newFn->setAttr(mod::kAbiParamsAttr, builder.getArrayAttr(names));

    Block *block = newFn.addEntryBlock();
    builder.setInsertionPointToStart(block);
    unsigned numParams = paramNames.size();
    unsigned numInputs = oldType.getNumInputs();
    IRMapping mapping;
    auto asTensor = [&](Value memref) -> Value {
      auto toTensor = builder.create<bufferization::ToTensorOp>(
          fn.getLoc(), memref, /*restrict=*/true, /*writable=*/false);
      return toTensor.getResult();
    };
    SmallVector<Value> paramValues;
    for (unsigned i = 0; i < numParams; ++i)
      paramValues.push_back(asTensor(block->getArgument(i)));
    Block &oldBlock = fn.getBody().front();
    for (unsigned i = 0; i < numInputs; ++i)
      mapping.map(oldBlock.getArgument(i),
                  asTensor(block->getArgument(numParams + i)));
    for (Operation &op : oldBlock.without_terminator())
      builder.clone(op, mapping);
    auto ret = cast<func::ReturnOp>(oldBlock.getTerminator());
    SmallVector<Operation *> checks;
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      Value out = block->getArgument(numParams + numInputs + i);
      Value result = mapping.lookupOrDefault(v);
      // The caller's buffer has the signature's sizes; a body that computes
      // others (hand-written or rewritten IR) fails the call with code 1
      // instead of writing past the buffer.
      if (failed(checkSizes(builder, ret.getLoc(), result, out, fn, i, messages,
                            checks)))
        return failure();
      auto mat = builder.create<bufferization::MaterializeInDestinationOp>(
          ret.getLoc(), result, out);
      mat.setRestrict(true);
      mat.setWritable(true);
    }
    builder.create<func::ReturnOp>(ret.getLoc());
    // Every parameter read, at the top or inside a region (a folded weight
    // inside a routed target), becomes the matching argument; a result that
    // is a parameter itself (`return p;`) is copied from it.
    SmallVector<mod::ParamRefOp> refs;
    block->walk([&](mod::ParamRefOp ref) { refs.push_back(ref); });
    for (mod::ParamRefOp ref : refs) {
      ref.getResult().replaceAllUsesWith(
          paramValues[paramIndex[ref.getName()]]);
      ref.erase();
    }
    fn.erase();
    hoistChecks(newFn, checks);
    return success();
  }

  /// Moves each size check as early as its sizes are known: the body may
  /// compute the result straight into the caller's buffer (empty-tensor
  /// elimination), so a check at the end would come after the overrun. The
  /// sizes are first resolved to the values the result's producers were
  /// given (`tensor.dim` of an insert_slice chain -> the tensor.empty's
  /// size operand); a size that does not resolve keeps its check late.
  void hoistChecks(func::FuncOp fn, ArrayRef<Operation *> checks) {
    if (checks.empty())
      return;
    RewritePatternSet patterns(fn.getContext());
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    tensor::DimOp::getCanonicalizationPatterns(patterns, fn.getContext());
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    SmallVector<Operation *> dims;
    fn.walk([&](tensor::DimOp op) { dims.push_back(op); });
    (void)applyOpPatternsAndFold(dims, std::move(patterns), config);
    Block &body = fn.getBody().front();
    // Pure ops move up behind their operands, then the call behind them.
    std::function<void(Operation *)> hoist = [&](Operation *op) {
      Operation *after = nullptr;
      for (Value v : op->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (!def || def->getBlock() != &body)
          continue;
        if (isMemoryEffectFree(def) && def->getNumRegions() == 0)
          hoist(def);
        if (!after || after->isBeforeInBlock(def))
          after = def;
      }
      if (after)
        op->moveAfter(after);
      else
        op->moveBefore(&body, body.begin());
    };
    for (Operation *check : checks)
      hoist(check);
  }

  /// Calls modrt_check_le both ways on each dynamic size of `result`
  /// against the caller's buffer `out`.
  LogicalResult checkSizes(OpBuilder &b, Location loc, Value result, Value out,
                           func::FuncOp fn, size_t index,
                           modc::abi::Messages &messages,
                           SmallVectorImpl<Operation *> &checks) {
    auto type = cast<RankedTensorType>(result.getType());
    ModuleOp module = getOperation();
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      auto i64 = [&](Value index) -> Value {
        return b.create<arith::IndexCastOp>(loc, b.getI64Type(), index);
      };
      Value computed = i64(b.create<tensor::DimOp>(loc, result, d));
      Value expected = i64(b.create<memref::DimOp>(loc, out, d));
      std::string where = (fn.getSymName() + ": output " + Twine(index) +
                           ", axis " + Twine(d) + ": ")
                              .str();
      Value over =
          messages.get(b, loc,
                       where + "the IR computes a size larger than the "
                               "signature's (inconsistent IR)");
      Value under = messages.get(
          b, loc,
          where + "the signature's size is larger than the one the "
                  "IR computes (inconsistent IR)");
      auto check = MODC_KERNEL_FUNCTION(module, modrt_check_le);
      for (auto [lhs, rhs, msg] : {std::tuple(computed, expected, over),
                                   std::tuple(expected, computed, under)}) {
        if (failed(modc::abi::call(b, loc, check, {lhs, rhs, msg})))
          return failure();
        checks.push_back(&*std::prev(b.getInsertionPoint()));
      }
    }
    return success();
  }
};

} // namespace
