//===- ExpandBf16Conversions.cpp - bf16 rounding as integer arithmetic ----===//
//
// Part of modc, a compiler for modular deep-learning models.
//
// `arith.truncf` f32 -> bf16 and `arith.extf` bf16 -> f32 become MLIR's
// integer expansions (arith::populateExpandBFloat16Patterns): a bf16
// program rounds the result of every op (LANGUAGE.md §3), and LLVM's
// `fptrunc` to bfloat is a library call per element on CPUs without
// AVX512-BF16 and vectorises at 4 lanes on those with it, while the integer
// form runs at the full vector width everywhere (MiniLM's GELU in bf16: 7.8%
// of a call, 4 lanes, against 1.6% for f32). A round trip
// extf(truncf(x)) folds in LLVM to one add and one mask.
//
//===----------------------------------------------------------------------===//

#include "ir/Stats.h"
#include "transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace modc {
#define GEN_PASS_DEF_EXPANDBF16CONVERSIONS
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// A conversion between f32 and bf16 (scalar or vector).
bool isBf16Conversion(Operation *op) {
  if (!isa<arith::TruncFOp, arith::ExtFOp>(op))
    return false;
  Type from = getElementTypeOrSelf(op->getOperand(0).getType());
  Type to = getElementTypeOrSelf(op->getResult(0).getType());
  return (from.isF32() && to.isBF16()) || (from.isBF16() && to.isF32());
}

/// True for an op that rounds its bf16 result (scalar or vector).
bool roundsToBf16(Operation *op) {
  return isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
             arith::RemFOp, math::FmaOp>(op) &&
         getElementTypeOrSelf(op->getResult(0).getType()).isBF16();
}

struct ExpandBf16ConversionsPass
    : public modc::impl::ExpandBf16ConversionsBase<ExpandBf16ConversionsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Each rounding op on bf16 computed in f32 and rounded right after it
    // (LANGUAGE.md §3, as PyTorch does op by op): MLIR's emulation below
    // keeps a chain of emulated ops in f32 between them, so a fused
    // x * x + 1.0 rounded once at its end (4.59375 for x = 1.8984375, where
    // PyTorch's bf16 gives 4.625).
    SmallVector<Operation *> rounding;
    getOperation()->walk([&](Operation *op) {
      if (roundsToBf16(op))
        rounding.push_back(op);
    });
    for (Operation *op : rounding) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      Type narrow = op->getResult(0).getType();
      Type wide = Float32Type::get(ctx);
      if (auto vt = dyn_cast<VectorType>(narrow))
        wide = vt.clone(wide);
      SmallVector<Value> operands;
      for (Value v : op->getOperands())
        operands.push_back(b.create<arith::ExtFOp>(loc, wide, v));
      Operation *inF32 = b.create(loc, op->getName().getIdentifier(), operands,
                                  TypeRange{wide}, op->getAttrs());
      op->getResult(0).replaceAllUsesWith(
          b.create<arith::TruncFOp>(loc, narrow, inF32->getResult(0)));
      op->erase();
    }
    // The other arithmetic on bf16 (compares, max/min, negation: exact in
    // f32) computed in f32 between conversions, which the patterns below
    // expand. LLVM would promote it the same way but round with
    // vcvtneps2bf16, which flushes subnormals to zero.
    TypeConverter converter;
    Type bf16 = BFloat16Type::get(ctx);
    arith::populateEmulateUnsupportedFloatsConversions(converter, {bf16},
                                                       Float32Type::get(ctx));
    ConversionTarget target(*ctx);
    arith::populateEmulateUnsupportedFloatsLegality(target, converter);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet emulation(ctx);
    arith::populateEmulateUnsupportedFloatsPatterns(emulation, converter);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(emulation))))
      return signalPassFailure();

    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isBf16Conversion(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingOps;
    if (failed(applyOpPatternsAndFold(ops, std::move(patterns), config)))
      return signalPassFailure();
    int64_t left = 0;
    getOperation()->walk([&](Operation *op) { left += isBf16Conversion(op); });
    int64_t expanded = int64_t(ops.size()) - left;
    if (expanded > 0) {
      numExpanded += expanded;
      modc::recordStat(&getContext(), getArgument(), "conversions-expanded",
                       expanded);
    }
  }
};

} // namespace
