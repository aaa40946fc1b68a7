//===- MatmulToRuntime.cpp - f32 matmuls to the runtime's GEMM ------------===//
//
// After bufferization, a 2-D f32 `linalg.matmul` whose output buffer was just
// zero-filled computes C = A @ B: it becomes a call of the runtime's packed,
// register-blocked, multi-threaded GEMM (runtime/Gemm.cpp), and the fill
// goes away. Matmuls accumulating into live data keep the generic lowering.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace modc {
#define GEN_PASS_DEF_MATMULTORUNTIME
#include "passes/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

bool isZero(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return false;
  if (auto f = dyn_cast<FloatAttr>(cst.getValue()))
    return f.getValue().isZero();
  return false;
}

/// The op right before `op` in its block that touches `buffer`, if it is a
/// linalg.fill of zero into exactly that buffer.
linalg::FillOp precedingZeroFill(Operation *op, Value buffer) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    bool touches = llvm::any_of(prev->getOperands(),
                                [&](Value v) { return v == buffer; });
    if (!touches) {
      // Anything with regions or unknown effects may alias: stop.
      if (prev->getNumRegions() > 0 || isa<CallOpInterface>(prev))
        return nullptr;
      continue;
    }
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.getOutputs()[0] == buffer && isZero(fill.getInputs()[0]))
      return fill;
    return nullptr;
  }
  return nullptr;
}

struct MatmulToRuntimePass
    : public modc::impl::MatmulToRuntimeBase<MatmulToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::MatmulOp> matmuls;
    module.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    for (linalg::MatmulOp op : matmuls) {
      if (!op.hasPureBufferSemantics())
        continue;
      Value a = op.getInputs()[0], b = op.getInputs()[1];
      Value c = op.getOutputs()[0];
      auto ct = cast<MemRefType>(c.getType());
      if (!ct.getElementType().isF32() ||
          !cast<MemRefType>(a.getType()).getElementType().isF32() ||
          !cast<MemRefType>(b.getType()).getElementType().isF32())
        continue;
      linalg::FillOp fill = precedingZeroFill(op, c);
      if (!fill)
        continue;
      OpBuilder builder(op);
      Location loc = op.getLoc();
      auto anyType = [&](Value v) {
        auto t = cast<MemRefType>(v.getType());
        SmallVector<int64_t> dyn(2, ShapedType::kDynamic);
        auto layout = StridedLayoutAttr::get(builder.getContext(),
                                             ShapedType::kDynamic, dyn);
        return MemRefType::get(dyn, t.getElementType(), layout);
      };
      SmallVector<Value> args;
      for (Value v : {a, b, c})
        args.push_back(builder.create<memref::CastOp>(loc, anyType(v), v));
      auto fn = module.lookupSymbol<func::FuncOp>("modrt_matmul_f32");
      if (!fn) {
        OpBuilder mb(module.getBodyRegion());
        fn = mb.create<func::FuncOp>(
            module.getLoc(), "modrt_matmul_f32",
            mb.getFunctionType(ValueRange(args).getTypes(), {}));
        fn.setPrivate();
        fn->setAttr("llvm.emit_c_interface", mb.getUnitAttr());
      }
      builder.create<func::CallOp>(loc, fn, args);
      fill.erase();
      op.erase();
      ++numMatmuls;
    }
  }
};

} // namespace
