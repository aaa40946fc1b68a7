//===- OutlineParallel.cpp - Parallel loops onto the runtime's threads ----===//
//
// After bufferization and linalg-to-parallel-loops, an outermost
// `scf.parallel` whose body only computes (loads, stores, arithmetic, inner
// loops: no calls, no allocation) is split over its first dimension:
//
//   func.func private @__modc_par_body_K(%lo, %hi, captures...)
//       the original loop, with its first dimension cut to [lo, hi)
//   func.call @__modc_par_launch_K(%n, %work, captures...)
//       replaces the loop: n iterations, work = estimated cost of one
//
// `__modc_par_launch_K` is only declared here. Once the module is LLVM IR,
// compiler/Parallel.cpp defines it: the captures go into a stack struct and
// `modrt_parallel_range` runs the body over chunks of [0, n) on the entry
// call's threads (inline when the loop is too small to be worth it).
// Bodies never allocate, so a worker thread never has to report an
// allocation failure.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "ir/FunctionKey.h"
#include "ir/Stats.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringMap.h"

namespace modc {
#define GEN_PASS_DEF_OUTLINEPARALLEL
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// A body op that may run on a worker thread: pure computation and memory
/// access to existing buffers.
bool allowedInBody(Operation *op) {
  if (isa<scf::ForOp, scf::IfOp, scf::ParallelOp, scf::YieldOp, scf::ReduceOp,
          scf::ReduceReturnOp, memref::LoadOp, memref::StoreOp,
          memref::SubViewOp, memref::DimOp, memref::ReinterpretCastOp,
          memref::CastOp, memref::ExpandShapeOp, memref::CollapseShapeOp>(op))
    return true;
  Dialect *d = op->getDialect();
  return d && (isa<arith::ArithDialect, math::MathDialect>(d));
}

/// Iterations of a loop dimension if static, else a guess.
int64_t tripCount(Value lb, Value ub, Value step) {
  auto cst = [](Value v) -> std::optional<int64_t> {
    if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
      return c.value();
    return std::nullopt;
  };
  auto l = cst(lb), u = cst(ub), s = cst(step);
  if (l && u && s && *s > 0)
    return std::max<int64_t>(0, (*u - *l + *s - 1) / *s);
  return 16;
}

/// Estimated operations executed by one run of `region`.
int64_t regionCost(Region &region) {
  int64_t cost = 0;
  for (Operation &op : region.getOps()) {
    int64_t inner = 0;
    for (Region &r : op.getRegions())
      inner += regionCost(r);
    int64_t trips = 1;
    if (auto f = dyn_cast<scf::ForOp>(op))
      trips = tripCount(f.getLowerBound(), f.getUpperBound(), f.getStep());
    if (auto p = dyn_cast<scf::ParallelOp>(op))
      for (unsigned i = 0; i < p.getNumLoops(); ++i)
        trips *= tripCount(p.getLowerBound()[i], p.getUpperBound()[i],
                           p.getStep()[i]);
    cost += 1 + std::min<int64_t>(trips * inner, int64_t(1) << 40);
  }
  return std::min<int64_t>(cost, int64_t(1) << 40);
}

struct OutlineParallelPass
    : public modc::impl::OutlineParallelBase<OutlineParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp op) {
      if (!op->getParentOfType<scf::ParallelOp>() &&
          op->getParentOfType<func::FuncOp>())
        loops.push_back(op);
    });
    int counter = 0;
    llvm::StringMap<func::FuncOp> launchers;
    for (scf::ParallelOp loop : loops) {
      if (loop.getNumResults() != 0)
        continue;
      bool ok = true;
      loop.getBody()->walk([&](Operation *op) {
        if (!allowedInBody(op))
          ok = false;
      });
      if (!ok)
        continue;
      if (outline(module, loop, counter, launchers))
        ++counter;
      else
        modc::recordStat(&getContext(), getArgument(), "bodies-shared", 1);
      ++numOutlined;
      modc::recordStat(&getContext(), getArgument(), "loops-outlined", 1);
    }
  }

  /// Outlines `loop`; returns false when an identical body already existed
  /// (generated programs repeat the same layer many times, and each copy
  /// would otherwise cost LLVM a body, a launcher and a trampoline).
  bool outline(ModuleOp module, scf::ParallelOp loop, int id,
               llvm::StringMap<func::FuncOp> &launchers) {
    Location loc = loop.getLoc();
    MLIRContext *ctx = &getContext();
    // Values from above that the body needs; constants are re-created.
    llvm::SetVector<Value> above;
    getUsedValuesDefinedAbove(loop->getRegions(), above);
    for (Value v : loop->getOperands())
      above.insert(v);
    SmallVector<Value> captures;
    for (Value v : above)
      if (!v.getDefiningOp() ||
          !v.getDefiningOp()->hasTrait<OpTrait::ConstantLike>())
        captures.push_back(v);
    SmallVector<Type> captureTypes;
    for (Value v : captures)
      captureTypes.push_back(v.getType());

    std::string suffix = std::to_string(id);
    Type indexTy = IndexType::get(ctx);
    OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
    SmallVector<Type> bodyArgs = {indexTy, indexTy};
    bodyArgs.append(captureTypes);
    auto body = mb.create<func::FuncOp>(loc, "__modc_par_body_" + suffix,
                                        FunctionType::get(ctx, bodyArgs, {}));
    body.setPrivate();
    SmallVector<Type> launchArgs = {indexTy, indexTy};
    launchArgs.append(captureTypes);
    auto launch =
        mb.create<func::FuncOp>(loc, "__modc_par_launch_" + suffix,
                                FunctionType::get(ctx, launchArgs, {}));
    launch.setPrivate();

    // The body: the loop with its first dimension cut to [lo, hi).
    Block *entry = body.addEntryBlock();
    OpBuilder bb = OpBuilder::atBlockBegin(entry);
    IRMapping map;
    for (auto [i, v] : llvm::enumerate(captures))
      map.map(v, entry->getArgument(2 + i));
    for (Value v : above)
      if (!map.contains(v))
        map.map(v, bb.clone(*v.getDefiningOp())->getResult(0));
    Value lb = map.lookup(loop.getLowerBound()[0]);
    Value ub = map.lookup(loop.getUpperBound()[0]);
    Value step = map.lookup(loop.getStep()[0]);
    Value lo = bb.create<arith::AddIOp>(
        loc, lb, bb.create<arith::MulIOp>(loc, entry->getArgument(0), step));
    Value hi = bb.create<arith::MinSIOp>(
        loc, ub,
        bb.create<arith::AddIOp>(
            loc, lb,
            bb.create<arith::MulIOp>(loc, entry->getArgument(1), step)));
    auto clone = cast<scf::ParallelOp>(bb.clone(*loop, map));
    clone.getLowerBoundMutable()[0].set(lo);
    clone.getUpperBoundMutable()[0].set(hi);
    bb.create<func::ReturnOp>(loc);

    // The same body (bodies call nothing, so the body is the whole
    // function) reuses the earlier launcher.
    bool fresh = true;
    auto [it, inserted] =
        launchers.try_emplace(modc::functionKey(body), launch);
    if (!inserted) {
      body.erase();
      launch.erase();
      launch = it->second;
      fresh = false;
    }

    // The call site.
    OpBuilder cb(loop);
    Value l0 = loop.getLowerBound()[0], u0 = loop.getUpperBound()[0],
          s0 = loop.getStep()[0];
    Value one = cb.create<arith::ConstantIndexOp>(loc, 1);
    Value n = cb.create<arith::DivSIOp>(
        loc,
        cb.create<arith::AddIOp>(loc, cb.create<arith::SubIOp>(loc, u0, l0),
                                 cb.create<arith::SubIOp>(loc, s0, one)),
        s0);
    int64_t work = regionCost(loop.getRegion());
    for (unsigned i = 1; i < loop.getNumLoops(); ++i)
      work = std::min<int64_t>(work * tripCount(loop.getLowerBound()[i],
                                                loop.getUpperBound()[i],
                                                loop.getStep()[i]),
                               int64_t(1) << 40);
    SmallVector<Value> args = {
        n, cb.create<arith::ConstantIndexOp>(loc, std::max<int64_t>(1, work))};
    args.append(captures);
    cb.create<func::CallOp>(loc, launch, args);
    loop.erase();
    return fresh;
  }
};

} // namespace
