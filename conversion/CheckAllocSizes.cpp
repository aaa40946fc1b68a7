//===- CheckAllocSizes.cpp - No buffer whose size wrapped -----------------===//
//
// The byte count of a `memref.alloc` is lowered to an i64 product of its
// dims: sizes past 2^64 wrap into a small buffer that the kernel then
// writes past (a dyn of 2^52 rows times 1000 floats, with 0 columns in the
// input so that the input itself is empty). Before each dynamically sized
// allocation this pass computes the product in f64 (no wrap; rounding is
// harmless this far from the limit) and calls the runtime, which fails the
// call with code 4, when it passes 2^62.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"
#include "ir/Stats.h"

namespace modc {
#define GEN_PASS_DEF_CHECKALLOCSIZES
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

struct CheckAllocSizesPass
    : public modc::impl::CheckAllocSizesBase<CheckAllocSizesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<memref::AllocOp> allocs;
    module.walk([&](memref::AllocOp alloc) {
      if (!alloc.getDynamicSizes().empty())
        allocs.push_back(alloc);
    });
    if (allocs.empty())
      return;
    func::FuncOp tooBig =
        MODC_KERNEL_FUNCTION(module, modrt_kernel_alloc_too_big);
    for (memref::AllocOp alloc : allocs) {
      OpBuilder b(alloc);
      Location loc = alloc.getLoc();
      MemRefType type = alloc.getType();
      double fixed = double(type.getElementTypeBitWidth()) / 8.0;
      for (int64_t size : type.getShape())
        if (!ShapedType::isDynamic(size))
          fixed *= double(size);
      Value bytes = b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(fixed));
      for (Value size : alloc.getDynamicSizes()) {
        // A negative size (a failed size check earlier in the call) reads
        // as a huge unsigned one: it fails here instead of allocating.
        Value asInt = b.create<arith::IndexCastOp>(loc, b.getI64Type(), size);
        Value asFloat = b.create<arith::UIToFPOp>(loc, b.getF64Type(), asInt);
        bytes = b.create<arith::MulFOp>(loc, bytes, asFloat);
      }
      Value limit = b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(0x1p62));
      Value big =
          b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, bytes, limit);
      auto check = b.create<scf::IfOp>(loc, big, /*withElse=*/false);
      OpBuilder then = check.getThenBodyBuilder();
      if (failed(modc::abi::call(then, loc, tooBig, {bytes})))
        return signalPassFailure();
      ++numChecked;
    }
  }
};

} // namespace
