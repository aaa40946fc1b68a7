//===- StageEntryBuffers.cpp - Entry buffers the GPU can address ----------===//
//
// --target=cuda: an entry's inputs and outputs arrive as the caller's host
// arrays, which kernels cannot address. Each becomes a buffer of generated
// code (managed memory of the model's GPU: runtime/KernelMemory.cpp) filled
// from the host one at entry, and each output is copied back before every
// return. Parameters are already GPU memory (the model's block is managed
// memory: modrt_create_gpu), and so are a train block's gradients
// (runtime/Training.cpp).
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"

#include "dialects/Mod/ModModel.h"

namespace modc {
#define GEN_PASS_DEF_STAGEENTRYBUFFERS
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

struct StageEntryBuffersPass
    : public modc::impl::StageEntryBuffersBase<StageEntryBuffersPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      auto signature = mod::getSignature(func);
      if (!signature || func.isExternal())
        continue;
      auto params = func->getAttrOfType<ArrayAttr>("mod.abi_params");
      stage(func, params ? params.size() : 0, signature.getOutputs().size());
    }
  }

  static void stage(func::FuncOp func, unsigned numParams,
                    unsigned numOutputs) {
    Block &entry = func.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    Location loc = func.getLoc();
    unsigned numArgs = func.getNumArguments();
    SmallVector<std::pair<Value, Value>> outputs; // (host, staged)
    SmallVector<Value> staged;
    for (BlockArgument arg : entry.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || arg.getArgNumber() < numParams)
        continue;
      SmallVector<Value> sizes;
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d))
          sizes.push_back(b.create<memref::DimOp>(loc, arg, d));
      auto dense = MemRefType::get(type.getShape(), type.getElementType());
      Value buffer = b.create<memref::AllocOp>(loc, dense, sizes);
      auto copy = b.create<memref::CopyOp>(loc, arg, buffer);
      Value use = buffer;
      if (dense != type)
        use = b.create<memref::CastOp>(loc, type, buffer);
      // The sizes and the copy keep reading the host argument.
      llvm::SmallPtrSet<Operation *, 8> keep{copy, use.getDefiningOp()};
      for (Value s : sizes)
        keep.insert(s.getDefiningOp());
      arg.replaceAllUsesExcept(use, keep);
      staged.push_back(buffer);
      if (arg.getArgNumber() >= numArgs - numOutputs)
        outputs.push_back({arg, buffer});
    }
    func.walk([&](func::ReturnOp ret) {
      OpBuilder rb(ret);
      for (auto [host, buffer] : outputs)
        rb.create<memref::CopyOp>(loc, buffer, host);
      for (Value buffer : staged)
        rb.create<memref::DeallocOp>(loc, buffer);
    });
  }
};

} // namespace
