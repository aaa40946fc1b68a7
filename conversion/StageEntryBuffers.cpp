//===- StageEntryBuffers.cpp - Entry buffers the GPU can address ----------===//
//
// --target=cuda. An entry is exported twice (INTERFACE.md §2):
// - NAME_ENTRY takes the caller's host arrays, which kernels cannot
//   address. Each becomes a buffer of generated code (managed memory of the
//   model's GPU: runtime/KernelMemory.cpp); inputs are filled from the host
//   at entry, outputs copied back before every return.
// - NAME_ENTRY_device takes device pointers and a CUDA stream. Its kernel
//   is a copy of the entry's made before the staging above, marked
//   kDeviceEntryAttr: kernels address the caller's buffers directly. Host
//   code never dereferences device memory, so an argument that host code
//   does read (anything but launches, sizes and views) is staged as above,
//   with device copies (modrt_gpu_copy) in place of host ones.
// Parameters are already GPU memory (the model's block is managed memory:
// modrt_create_gpu), and so are a train block's gradients
// (runtime/Training.cpp).
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"

#include "dialects/Mod/ModModel.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace modc {
#define GEN_PASS_DEF_STAGEENTRYBUFFERS
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// Whether every use of `buffer`, through views and calls, only passes it to
/// kernels or asks for its sizes: nothing on the host reads or writes its
/// data.
bool onlyKernelsTouch(Value buffer) {
  for (Operation *user : buffer.getUsers()) {
    if (isa<gpu::LaunchFuncOp, memref::DimOp>(user))
      continue;
    if (isa<memref::CastOp, memref::SubViewOp, memref::ReinterpretCastOp,
            memref::CollapseShapeOp, memref::ExpandShapeOp, memref::TransposeOp,
            memref::ExtractStridedMetadataOp>(user)) {
      if (llvm::all_of(user->getResults(), [](Value r) {
            return !isa<BaseMemRefType>(r.getType()) || onlyKernelsTouch(r);
          }))
        continue;
    }
    // A part of a split function (transforms/SplitLargeFunctions.cpp):
    // what it does with its argument.
    if (auto call = dyn_cast<func::CallOp>(user)) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          call, call.getCalleeAttr());
      if (callee && !callee.isExternal() &&
          llvm::all_of(call->getOpOperands(), [&](OpOperand &use) {
            return use.get() != buffer ||
                   onlyKernelsTouch(callee.getArgument(use.getOperandNumber()));
          }))
        continue;
    }
    return false;
  }
  return true;
}

struct StageEntryBuffersPass
    : public modc::impl::StageEntryBuffersBase<StageEntryBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (FunctionOpInterface entry : mod::getEntries(module)) {
      auto func = dyn_cast<func::FuncOp>(entry.getOperation());
      if (!func || func.isExternal())
        continue;
      StringRef name = func.getSymName();
      if (StringRef base = name; base.consume_back("_device"))
        if (auto other = module.lookupSymbol<func::FuncOp>(base);
            other && mod::getSignature(other)) {
          func.emitError() << "entry '" << name << "' has the name of the "
                           << "device form of entry '" << base
                           << "' in a --target=cuda library (rename it)";
          return signalPassFailure();
        }
      auto params = func->getAttrOfType<ArrayAttr>(mod::kAbiParamsAttr);
      unsigned numParams = params ? params.size() : 0;
      unsigned numOutputs = mod::getSignature(func).getOutputs().size();
      // The device form first, from the unstaged body.
      func::FuncOp device = func.clone();
      device.setSymName((mod::kDeviceEntryPrefix + name).str());
      device->setAttr(mod::kDeviceEntryAttr, mod::getSignature(func));
      device->removeAttr(mod::kEntryAttr);
      symbols.insert(device, Block::iterator(func->getNextNode()));
      if (failed(stage(func, numParams, numOutputs, /*deviceArgs=*/false)) ||
          failed(stage(device, numParams, numOutputs, /*deviceArgs=*/true)))
        return signalPassFailure();
    }
  }

  /// Stages the buffer arguments of `func` after its parameters: all of
  /// them as host arrays, or (deviceArgs) the device buffers host code
  /// reads.
  static LogicalResult stage(func::FuncOp func, unsigned numParams,
                             unsigned numOutputs, bool deviceArgs) {
    Block &entry = func.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    Location loc = func.getLoc();
    unsigned numArgs = func.getNumArguments();
    func::FuncOp copyFn;
    if (deviceArgs)
      copyFn = MODC_KERNEL_FUNCTION(func->getParentOfType<ModuleOp>(),
                                    modrt_gpu_copy);
    // modrt_gpu_copy(dst, src, bytes) of two dense buffers of one shape.
    auto deviceCopy = [&](OpBuilder &cb, Value from, Value to,
                          ArrayRef<Value> sizes) {
      auto pointer = [&](Value buffer) -> Value {
        Value p =
            cb.create<memref::ExtractAlignedPointerAsIndexOp>(loc, buffer);
        return cb.create<arith::IndexCastOp>(loc, cb.getI64Type(), p);
      };
      auto type = cast<MemRefType>(from.getType());
      int64_t elementBytes =
          std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
      Value bytes = cb.create<arith::ConstantIndexOp>(loc, elementBytes);
      unsigned next = 0;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        Value extent =
            type.isDynamicDim(d)
                ? sizes[next++]
                : cb.create<arith::ConstantIndexOp>(loc, type.getDimSize(d));
        bytes = cb.create<arith::MulIOp>(loc, bytes, extent);
      }
      bytes = cb.create<arith::IndexCastOp>(loc, cb.getI64Type(), bytes);
      return modc::abi::call(cb, loc, copyFn,
                             {pointer(to), pointer(from), bytes});
    };
    SmallVector<std::tuple<Value, Value, SmallVector<Value>>> outputs;
    SmallVector<Value> staged;
    for (BlockArgument arg : entry.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || arg.getArgNumber() < numParams)
        continue;
      if (deviceArgs && onlyKernelsTouch(arg))
        continue;
      bool isOutput = arg.getArgNumber() >= numArgs - numOutputs;
      SmallVector<Value> sizes;
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d))
          sizes.push_back(b.create<memref::DimOp>(loc, arg, d));
      auto dense = MemRefType::get(type.getShape(), type.getElementType());
      Value buffer = b.create<memref::AllocOp>(loc, dense, sizes);
      // The sizes and the copy keep reading the argument.
      llvm::SmallPtrSet<Operation *, 8> keep;
      for (Value s : sizes)
        keep.insert(s.getDefiningOp());
      // Outputs are written before they are read, as on the CPU: only
      // inputs are copied in.
      if (isOutput) {
      } else if (!deviceArgs) {
        keep.insert(b.create<memref::CopyOp>(loc, arg, buffer));
      } else {
        if (failed(deviceCopy(b, arg, buffer, sizes)))
          return failure();
        for (Operation *op = buffer.getDefiningOp()->getNextNode();
             op != &*b.getInsertionPoint(); op = op->getNextNode())
          keep.insert(op);
      }
      Value use = buffer;
      if (dense != type) {
        use = b.create<memref::CastOp>(loc, type, buffer);
        keep.insert(use.getDefiningOp());
      }
      arg.replaceAllUsesExcept(use, keep);
      staged.push_back(buffer);
      if (isOutput)
        outputs.push_back({arg, buffer, sizes});
    }
    LogicalResult result = success();
    func.walk([&](func::ReturnOp ret) {
      OpBuilder rb(ret);
      for (auto &[arg, buffer, sizes] : outputs) {
        if (!deviceArgs)
          rb.create<memref::CopyOp>(loc, buffer, arg);
        else if (failed(deviceCopy(rb, buffer, arg, sizes)))
          result = failure();
      }
      for (Value buffer : staged)
        rb.create<memref::DeallocOp>(loc, buffer);
    });
    return result;
  }
};

} // namespace
