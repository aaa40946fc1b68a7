//===- DefineGpuMath.cpp - The few libdevice functions modc's kernels use -===//
//
// convert-gpu-to-nvvm turns math ops into calls of CUDA's libdevice
// (`__nv_floorf`, `__nv_sqrtf`, ...), which modc does not link: it is part
// of the CUDA toolkit, which the compiling machine need not have. The
// transcendental functions are polynomial arithmetic by then
// (mod-approximate-math); what is left are functions the NVPTX backend
// selects to single instructions from LLVM's intrinsics. This pass gives
// each such declaration a body calling the intrinsic, which LLVM inlines.
// A declaration it does not know stays, and PTX generation reports it.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace modc {
#define GEN_PASS_DEF_DEFINEGPUMATH
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// The body of `__nv_NAME` (f32 `NAME` + "f" or f64 `NAME`) from its
/// arguments, or null if unknown.
Value defineBody(OpBuilder &b, Location loc, StringRef name, ValueRange a) {
  Type t = a[0].getType();
  if (a.size() == 1) {
    if (name == "floor")
      return b.create<LLVM::FFloorOp>(loc, t, a[0]);
    if (name == "ceil")
      return b.create<LLVM::FCeilOp>(loc, t, a[0]);
    if (name == "sqrt")
      return b.create<LLVM::SqrtOp>(loc, t, a[0]);
    if (name == "fabs")
      return b.create<LLVM::FAbsOp>(loc, t, a[0]);
    if (name == "trunc")
      return b.create<LLVM::FTruncOp>(loc, t, a[0]);
    if (name == "rint")
      return b.create<LLVM::RintOp>(loc, t, a[0]);
    if (name == "round")
      return b.create<LLVM::RoundOp>(loc, t, a[0]);
    if (name == "rsqrt") {
      Value one = b.create<LLVM::ConstantOp>(loc, t, b.getFloatAttr(t, 1.0));
      return b.create<LLVM::FDivOp>(loc, one,
                                    b.create<LLVM::SqrtOp>(loc, t, a[0]));
    }
    return nullptr;
  }
  if (a.size() == 2) {
    if (name == "copysign")
      return b.create<LLVM::CopySignOp>(loc, a[0], a[1]);
    if (name == "fmin")
      return b.create<LLVM::MinNumOp>(loc, a[0], a[1]);
    if (name == "fmax")
      return b.create<LLVM::MaxNumOp>(loc, a[0], a[1]);
    if (name == "fmod") // C's fmod is LLVM's frem
      return b.create<LLVM::FRemOp>(loc, a[0], a[1]);
    return nullptr;
  }
  if (a.size() == 3 && name == "fma")
    return b.create<LLVM::FMAOp>(loc, a[0], a[1], a[2]);
  return nullptr;
}

struct DefineGpuMathPass
    : public modc::impl::DefineGpuMathBase<DefineGpuMathPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    for (auto func : getOperation().getOps<LLVM::LLVMFuncOp>()) {
      StringRef name = func.getName();
      if (!func.isExternal() || !name.consume_front("__nv_"))
        continue;
      LLVM::LLVMFunctionType type = func.getFunctionType();
      if (type.getNumParams() == 0 ||
          !llvm::all_of(type.getParams(),
                        [&](Type p) { return p == type.getReturnType(); }))
        continue;
      Type t = type.getReturnType();
      if (t.isF32() && !name.consume_back("f"))
        continue;
      if (!t.isF32() && !t.isF64())
        continue;
      Block *entry = func.addEntryBlock(b);
      b.setInsertionPointToEnd(entry);
      Value result = defineBody(b, func.getLoc(), name, entry->getArguments());
      if (!result) {
        entry->erase();
        continue;
      }
      b.create<LLVM::ReturnOp>(func.getLoc(), result);
      func.setLinkage(LLVM::Linkage::Internal);
    }
  }
};

} // namespace
