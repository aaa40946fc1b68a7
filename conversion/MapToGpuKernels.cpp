//===- MapToGpuKernels.cpp - Buffers and linalg to GPU-mapped loops -------===//
//
// The first step of --target=cuda, on buffers after bufferization: every
// computation that reads or writes tensor data becomes an `scf.parallel`
// mapped to the GPU's blocks and threads, and only metadata (allocations,
// shapes, views) and control flow around kernels stay on the host.
//
//   memref.copy            -> linalg.copy
//   linalg ops             -> parallel loops (reductions inner scf.for)
//   a host op that touches data but holds no parallel loop
//                          -> one single-iteration parallel loop around it
//   each outermost scf.parallel
//                          -> its dimensions collapsed into one, tiled by
//                             the block size, outer loop = blocks (x),
//                             inner loop = threads (x)
//
// The result is "the mapped IR": the same loops the GPU runs, still plain
// scf/memref/arith, so the host pipeline can run them too (docs/gpu.md).
// Ops without a GPU lowering yet (the routing ops, runtime checks, calls)
// are reported at their source location.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "ir/Stats.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace modc {
#define GEN_PASS_DEF_MAPTOGPUKERNELS
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// Threads per block of the mapped loops: a multiple of the warp size that
/// keeps enough blocks resident per multiprocessor for any register use.
constexpr int64_t kBlockSize = 256;

/// A buffer of `index` elements: the shape operand of a memref.reshape,
/// which the host writes and the reshape reads on the host.
bool isShapeBuffer(Value memref) {
  return cast<MemRefType>(memref.getType()).getElementType().isIndex();
}

/// An op that reads or writes buffer contents (and therefore must run on
/// the device).
bool touchesData(Operation *op) {
  bool found = false;
  op->walk([&](Operation *inner) {
    if (inner->hasAttr(modc::kDeviceToHostAttr))
      return WalkResult::advance();
    if (auto store = dyn_cast<memref::StoreOp>(inner))
      if (isShapeBuffer(store.getMemRef()))
        return WalkResult::advance();
    if (auto load = dyn_cast<memref::LoadOp>(inner))
      if (isShapeBuffer(load.getMemRef()))
        return WalkResult::advance();
    if (isa<memref::LoadOp, memref::StoreOp, memref::AtomicRMWOp,
            memref::GenericAtomicRMWOp>(inner)) {
      found = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

/// A scalar, or a constant global the host reads (a message).
bool isHostValue(Value v) {
  while (auto cast = v.getDefiningOp<memref::CastOp>())
    v = cast.getSource();
  return !isa<MemRefType>(v.getType()) ||
         v.getDefiningOp<memref::GetGlobalOp>();
}

bool holdsParallelLoop(Operation *op) {
  bool found = false;
  op->walk([&](scf::ParallelOp) {
    found = true;
    return WalkResult::interrupt();
  });
  return found;
}

struct MapToGpuKernelsPass
    : public modc::impl::MapToGpuKernelsBase<MapToGpuKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(rejectUnsupported(module)))
      return signalPassFailure();
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (failed(toParallelLoops(func)) || failed(mapRegion(func.getBody())))
        return signalPassFailure();
    }
    modc::recordStat(&getContext(), "mod-map-to-gpu-kernels", "kernels",
                     numKernels);
    if (numHostReads)
      modc::recordStat(&getContext(), "mod-map-to-gpu-kernels",
                       "device-to-host-reads", numHostReads);
  }

  /// The ops this first GPU lowering has no device form for, reported at
  /// their location: they would run on the host over device memory.
  LogicalResult rejectUnsupported(ModuleOp module) {
    bool failed = false;
    module.walk([&](Operation *op) {
      if (op->getParentOfType<func::FuncOp>()) {
        StringRef what;
        if (op->getDialect() && isa<mod::ModDialect>(op->getDialect()))
          what = "has no GPU lowering yet";
        else if (auto call = dyn_cast<func::CallOp>(op)) {
          auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
          // A function of this module is mapped on its own; a runtime
          // function of host scalars (a shape check) stays on the host.
          if (!callee.isExternal() ||
              llvm::all_of(call.getOperands(), isHostValue))
            return;
          what = "reads tensors in the CPU runtime, which has no GPU form yet";
        }
        if (what.empty())
          return;
        op->emitError() << "'" << op->getName() << "' " << what
                        << " (--target=cuda)";
        failed = true;
      }
    });
    return failure(failed);
  }

  /// Copies and linalg ops as parallel loops.
  LogicalResult toParallelLoops(func::FuncOp func) {
    IRRewriter rewriter(&getContext());
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops) {
      if (!op.hasPureBufferSemantics())
        return op->emitOpError("expected buffers in the GPU lowering");
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToParallelLoops(rewriter, op)))
        return op->emitOpError("cannot be turned into parallel loops");
      rewriter.eraseOp(op);
    }
    return success();
  }

  /// Maps every outermost parallel loop in `region`, recursing through host
  /// control flow that holds loops, and wraps other data-touching host ops
  /// into a one-iteration kernel.
  LogicalResult mapRegion(Region &region) {
    for (Block &block : region) {
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
          if (failed(mapLoop(loop)))
            return failure();
          continue;
        }
        if (!touchesData(&op))
          continue;
        // A value the host needs (a route's counts deciding which targets
        // run): read back from the device.
        if (isa<memref::LoadOp>(op) &&
            !isShapeBuffer(cast<memref::LoadOp>(op).getMemRef())) {
          op.setAttr(modc::kDeviceToHostAttr, UnitAttr::get(&getContext()));
          ++numHostReads;
          continue;
        }
        // Host control flow around kernels, or computing host values from
        // device reads.
        if (holdsParallelLoop(&op) ||
            (op.getNumResults() != 0 && op.getNumRegions() != 0)) {
          for (Region &inner : op.getRegions())
            if (failed(mapRegion(inner)))
              return failure();
          continue;
        }
        if (op.getNumResults() != 0)
          return op.emitError("computes a host value from tensor data; no "
                              "GPU lowering yet (--target=cuda)");
        if (failed(mapLoop(wrapInLoop(&op))))
          return failure();
      }
    }
    return success();
  }

  static scf::ParallelOp wrapInLoop(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    auto loop = b.create<scf::ParallelOp>(loc, ValueRange{zero},
                                          ValueRange{one}, ValueRange{one});
    op->moveBefore(loop.getBody()->getTerminator());
    return loop;
  }

  /// One dimension, tiled into blocks of threads.
  LogicalResult mapLoop(scf::ParallelOp loop) {
    if (loop.getNumResults() != 0)
      return loop.emitOpError("with reductions has no GPU mapping yet");
    IRRewriter rewriter(&getContext());
    if (failed(serialiseNested(rewriter, loop)))
      return failure();
    unsigned rank = loop.getNumLoops();
    if (rank > 1) {
      std::vector<unsigned> all(rank);
      for (unsigned i = 0; i < rank; ++i)
        all[i] = i;
      rewriter.setInsertionPoint(loop);
      // collapseParallelLoops replaces the loop; find its replacement.
      Operation *before = loop->getPrevNode();
      Block *block = loop->getBlock();
      collapseParallelLoops(rewriter, loop, {all});
      scf::ParallelOp collapsed;
      for (Operation &op :
           before ? llvm::make_range(std::next(before->getIterator()),
                                     block->end())
                  : llvm::make_range(block->begin(), block->end()))
        if ((collapsed = dyn_cast<scf::ParallelOp>(op)))
          break;
      if (!collapsed)
        return failure();
      loop = collapsed;
    }
    int64_t tile = kBlockSize;
    if (std::optional<int64_t> trips = staticTrips(loop))
      tile = std::clamp<int64_t>(llvm::PowerOf2Ceil(*trips), 32, kBlockSize);
    auto [outer, inner] = scf::tileParallelLoop(loop, {tile},
                                                /*noMinMaxBounds=*/true);
    MLIRContext *ctx = &getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
    auto dim = [&](gpu::Processor p) {
      return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
    };
    if (failed(gpu::setMappingAttr(outer, {dim(gpu::Processor::BlockX)})) ||
        failed(gpu::setMappingAttr(inner, {dim(gpu::Processor::ThreadX)})))
      return failure();
    ++numKernels;
    return success();
  }

  /// Parallel loops inside a kernel (a linalg op in a loop of an
  /// aggregation) run sequentially in each thread.
  static LogicalResult serialiseNested(IRRewriter &rewriter,
                                       scf::ParallelOp loop) {
    SmallVector<scf::ParallelOp> nested;
    loop.getBody()->walk(
        [&](scf::ParallelOp inner) { nested.push_back(inner); });
    for (scf::ParallelOp inner : nested) { // innermost first
      if (inner.getNumResults() != 0)
        return inner.emitOpError("with reductions has no GPU mapping yet");
      rewriter.setInsertionPoint(inner);
      Location loc = inner.getLoc();
      SmallVector<Value> ivs;
      Block *body = nullptr;
      for (auto [lb, ub, step] : llvm::zip(
               inner.getLowerBound(), inner.getUpperBound(), inner.getStep())) {
        auto loopOp = rewriter.create<scf::ForOp>(loc, lb, ub, step);
        ivs.push_back(loopOp.getInductionVar());
        body = loopOp.getBody();
        rewriter.setInsertionPoint(body->getTerminator());
      }
      // The body without its scf.reduce terminator, before the innermost
      // scf.yield.
      Block *old = inner.getBody();
      rewriter.eraseOp(old->getTerminator());
      rewriter.inlineBlockBefore(old, body->getTerminator(), ivs);
      rewriter.eraseOp(inner);
    }
    return success();
  }

  static std::optional<int64_t> staticTrips(scf::ParallelOp loop) {
    auto lb = getConstantIntValue(loop.getLowerBound()[0]);
    auto ub = getConstantIntValue(loop.getUpperBound()[0]);
    auto step = getConstantIntValue(loop.getStep()[0]);
    if (!lb || !ub || !step || *step <= 0)
      return std::nullopt;
    return std::max<int64_t>(1, (*ub - *lb + *step - 1) / *step);
  }

  int64_t numKernels = 0;
  int64_t numHostReads = 0;
};

} // namespace
