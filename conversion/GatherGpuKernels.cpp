//===- GatherGpuKernels.cpp - One gpu.module for all kernels --------------===//
//
// gpu-kernel-outlining makes one gpu.module per kernel, each holding a
// gpu.func named after the host function. A model's kernels are loaded
// together (one PTX text, one cuModuleLoadData per model), so they move into
// `gpu.module @modc_kernels`, each renamed after its former module (unique
// symbols), and every gpu.launch_func is pointed at the new place.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace modc {
#define GEN_PASS_DEF_GATHERGPUKERNELS
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

struct GatherGpuKernelsPass
    : public modc::impl::GatherGpuKernelsBase<GatherGpuKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> outlined(module.getOps<gpu::GPUModuleOp>());
    if (outlined.empty())
      return;
    OpBuilder b(outlined.front());
    auto gathered = b.create<gpu::GPUModuleOp>(module.getLoc(), "modc_kernels");
    SymbolTable symbols(gathered);
    MLIRContext *ctx = &getContext();
    // (old module, old kernel) -> new kernel name
    llvm::DenseMap<SymbolRefAttr, SymbolRefAttr> renamed;
    for (gpu::GPUModuleOp old : outlined) {
      for (Operation &op :
           llvm::make_early_inc_range(old.getBody()->without_terminator())) {
        auto symbol = cast<SymbolOpInterface>(op);
        StringAttr oldName = symbol.getNameAttr();
        StringAttr newName = old.getSymNameAttr();
        if (!isa<gpu::GPUFuncOp>(op) || symbols.lookup(newName)) {
          op.emitOpError("unexpected in an outlined kernel module");
          return signalPassFailure();
        }
        symbol.setName(newName);
        op.moveBefore(gathered.getBody()->getTerminator());
        symbols.insert(&op);
        renamed[SymbolRefAttr::get(old.getSymNameAttr(),
                                   {FlatSymbolRefAttr::get(oldName)})] =
            SymbolRefAttr::get(gathered.getSymNameAttr(),
                               {FlatSymbolRefAttr::get(ctx, newName)});
      }
    }
    WalkResult result = module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find(launch.getKernel());
      if (it == renamed.end()) {
        launch.emitOpError("launches a kernel that was not outlined");
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(it->second);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    // The host lowering of a launch allocates its parameter arrays on the
    // stack where it stands: inside a host loop (one launch per row) that
    // grew the stack by every iteration until it overflowed (~50,000
    // rows). In a loop, a launch is wrapped in an alloca scope, which
    // restores the stack after it.
    SmallVector<gpu::LaunchFuncOp> inLoops;
    module.walk([&](gpu::LaunchFuncOp launch) {
      if (launch->getNumResults() == 0 &&
          launch->getParentOfType<LoopLikeOpInterface>())
        inLoops.push_back(launch);
    });
    for (gpu::LaunchFuncOp launch : inLoops) {
      OpBuilder b(launch);
      auto scope =
          b.create<memref::AllocaScopeOp>(launch.getLoc(), TypeRange{});
      Block *body = b.createBlock(&scope.getBodyRegion());
      b.setInsertionPointToEnd(body);
      b.create<memref::AllocaScopeReturnOp>(launch.getLoc());
      launch->moveBefore(body->getTerminator());
    }
    for (gpu::GPUModuleOp old : outlined)
      old.erase();
    // The host module must say it holds GPU code, as outlining did.
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
  }
};

} // namespace
