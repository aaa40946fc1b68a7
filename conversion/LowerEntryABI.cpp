//===- LowerEntryABI.cpp - Entries in the library calling convention ------===//
//
// The exported C function of an entry (INTERFACE.md §2) passes dense,
// caller-owned buffers. This pass makes that explicit in the IR, so that
// one-shot bufferization writes results straight into the caller's
// buffers and reads parameters in place.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"

#include "mlir/IR/IRMapping.h"

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
    for (func::FuncOp fn : entries)
      if (failed(lower(fn)))
        return signalPassFailure();
    for (auto i : llvm::make_early_inc_range(module.getOps<mod::InstanceOp>()))
      i.erase();
  }

  LogicalResult lower(func::FuncOp fn) {
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
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      Value out = block->getArgument(numParams + numInputs + i);
      auto mat = builder.create<bufferization::MaterializeInDestinationOp>(
          ret.getLoc(), mapping.lookupOrDefault(v), out);
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
    return success();
  }
};

} // namespace
