//===- ApproximateMath.cpp - Vectorisable transcendental functions --------===//
//
// `math.exp`, `math.tanh`, `math.erf`, ... on f32 become MLIR's polynomial
// approximations (a few ulp, with the special values handled),
// so the loops that use them vectorise instead of calling libm one element
// at a time.
//
//===----------------------------------------------------------------------===//

#include "ir/Stats.h"
#include "transforms/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace modc {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// The functions approximated. The logarithms stay libm calls: MLIR's
/// approximation flushes subnormal inputs (log(5e-39) = -87.3 instead of
/// -88.2), and they are rare in hot loops (log, log_softmax's one log per
/// row).
bool approximable(Operation *op, bool logarithms) {
  if (logarithms &&
      isa<math::LogOp, math::Log2Op, math::Log1pOp, math::PowFOp>(op))
    return true;
  return isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::TanhOp,
             math::ErfOp, math::SinOp, math::CosOp, math::AtanOp, math::Atan2Op,
             math::AsinOp, math::AcosOp, math::CbrtOp>(op);
}

/// log and log2 of an f32 subnormal: the polynomial approximation flushes
/// it, so the input is scaled by 2^23 into the normal range first and the
/// logarithm of the scale subtracted. The new op is marked so that the
/// pattern applies once (before the approximation: a higher benefit).
template <typename LogOp> struct ScaleSubnormalLog : OpRewritePattern<LogOp> {
  ScaleSubnormalLog(MLIRContext *ctx, double log2Scale)
      : OpRewritePattern<LogOp>(ctx, /*benefit=*/2), log2Scale(log2Scale) {}
  LogicalResult matchAndRewrite(LogOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getType().isF32() || op->hasAttr("modc.scaled"))
      return failure();
    Location loc = op.getLoc();
    Type t = op.getType();
    auto cst = [&](double v) -> Value {
      return rewriter.create<arith::ConstantOp>(loc,
                                                rewriter.getFloatAttr(t, v));
    };
    Value x = op.getOperand();
    Value small = rewriter.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT,
                                                 x, cst(1.17549435e-38));
    Value scaled = rewriter.create<arith::SelectOp>(
        loc, small, rewriter.create<arith::MulFOp>(loc, x, cst(8388608.0)), x);
    auto log = rewriter.create<LogOp>(loc, scaled);
    log->setAttr("modc.scaled", rewriter.getUnitAttr());
    Value fixed = rewriter.create<arith::SubFOp>(loc, log, cst(log2Scale));
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, small, fixed, log);
    return success();
  }
  double log2Scale;
};

/// powf as exp(y * log|x|) with PyTorch's (C's) special cases, for targets
/// without libm: y = 0, x = 1, and |x| = 1 with an infinite y give 1; a
/// negative finite x with a non-integer y is NaN; a negative x (or -0) to
/// an odd integer power is negative. (MLIR's own expansion gives NaN for
/// pow(0, 0) and -1.41 for pow(-2, 0.5).)
struct ExpandPowF : OpRewritePattern<math::PowFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::PowFOp op,
                                PatternRewriter &rewriter) const override {
    Type t = op.getType();
    if (!isa<FloatType>(t))
      return failure();
    Location loc = op.getLoc();
    auto cst = [&](double v) -> Value {
      return rewriter.create<arith::ConstantOp>(loc,
                                                rewriter.getFloatAttr(t, v));
    };
    auto cmp = [&](arith::CmpFPredicate p, Value a, Value b) -> Value {
      return rewriter.create<arith::CmpFOp>(loc, p, a, b);
    };
    auto both = [&](Value a, Value b) -> Value {
      return rewriter.create<arith::AndIOp>(loc, a, b);
    };
    auto either = [&](Value a, Value b) -> Value {
      return rewriter.create<arith::OrIOp>(loc, a, b);
    };
    Value x = op.getLhs(), y = op.getRhs();
    Value ax = rewriter.create<math::AbsFOp>(loc, x);
    Value r = rewriter.create<math::ExpOp>(
        loc, rewriter.create<arith::MulFOp>(
                 loc, y, rewriter.create<math::LogOp>(loc, ax)));
    Value yInt = cmp(arith::CmpFPredicate::OEQ,
                     rewriter.create<math::FloorOp>(loc, y), y);
    Value halfY = rewriter.create<arith::MulFOp>(loc, y, cst(0.5));
    Value yOdd =
        both(yInt, cmp(arith::CmpFPredicate::ONE,
                       rewriter.create<math::FloorOp>(loc, halfY), halfY));
    Value signed_ =
        cmp(arith::CmpFPredicate::OLT,
            rewriter.create<math::CopySignOp>(loc, cst(1.0), x), cst(0.0));
    r = rewriter.create<arith::SelectOp>(
        loc, both(signed_, yOdd), rewriter.create<arith::NegFOp>(loc, r), r);
    Value negFinite = both(cmp(arith::CmpFPredicate::OLT, x, cst(0.0)),
                           cmp(arith::CmpFPredicate::ONE, x, cst(-INFINITY)));
    Value yNotInt = rewriter.create<arith::XOrIOp>(
        loc, yInt, rewriter.create<arith::ConstantIntOp>(loc, 1, 1));
    r = rewriter.create<arith::SelectOp>(loc, both(negFinite, yNotInt),
                                         cst(NAN), r);
    Value yInf = cmp(arith::CmpFPredicate::OEQ,
                     rewriter.create<math::AbsFOp>(loc, y), cst(INFINITY));
    Value one =
        either(either(cmp(arith::CmpFPredicate::OEQ, x, cst(1.0)),
                      cmp(arith::CmpFPredicate::OEQ, y, cst(0.0))),
               both(cmp(arith::CmpFPredicate::OEQ, ax, cst(1.0)), yInf));
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, one, cst(1.0), r);
    return success();
  }
};

struct ApproximateMathPass
    : public modc::impl::ApproximateMathBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (approximable(op, logarithms))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    int64_t before = int64_t(ops.size());
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (logarithms) { // powf as exp and log, then approximated too
      patterns.add<ExpandPowF>(&getContext(), /*benefit=*/3);
      patterns.add<ScaleSubnormalLog<math::LogOp>>(&getContext(),
                                                   23.0 * 0.6931471805599453);
      patterns.add<ScaleSubnormalLog<math::Log2Op>>(&getContext(), 23.0);
    }
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    if (failed(applyOpPatternsAndFold(ops, std::move(patterns), config)))
      return signalPassFailure();
    int64_t after = 0;
    getOperation()->walk([&](Operation *op) {
      if (approximable(op, logarithms))
        ++after;
    });
    if (before > after) {
      numApproximated += before - after;
      modc::recordStat(&getContext(), getArgument(), "ops-approximated",
                       before - after);
    }
  }
};

} // namespace
