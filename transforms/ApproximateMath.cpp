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
bool approximable(Operation *op) {
  return isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::TanhOp,
             math::ErfOp, math::SinOp, math::CosOp, math::AtanOp, math::Atan2Op,
             math::AsinOp, math::AcosOp, math::CbrtOp>(op);
}

struct ApproximateMathPass
    : public modc::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (approximable(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    int64_t before = int64_t(ops.size());
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    if (failed(applyOpPatternsAndFold(ops, std::move(patterns), config)))
      return signalPassFailure();
    int64_t after = 0;
    getOperation().walk([&](Operation *op) {
      if (approximable(op))
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
