//===- MapToGpuKernels.cpp - Buffers and linalg to GPU-mapped loops -------===//
//
// The first step of --target=cuda, on buffers after bufferization: every
// computation that reads or writes tensor data becomes an `scf.parallel`
// mapped to the GPU's blocks and threads, and only metadata (allocations,
// shapes, views) and control flow around kernels stay on the host.
//
//   memref.copy            -> linalg.copy
//   linalg ops             -> parallel loops (reductions inner scf.for)
//   a sum into few outputs -> passes of partial sums (emitSplitSum)
//   a named contraction    -> 4 x 4 register tiles (emitTiledContraction)
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

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <map>
#include <tuple>

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

/// Threads a sum over many elements into few outputs is spread over (in
/// partial sums, each thread taking every Cth element: consecutive threads
/// read consecutive elements).
constexpr int64_t kSumThreads = 65536;
/// Partial sums each thread of the later passes adds up.
constexpr int64_t kSumFanIn = 64;

/// The indices `map` gives for loop indices `ivs`.
SmallVector<Value> mapIndices(Location loc, OpBuilder &b, AffineMap map,
                              ArrayRef<Value> ivs) {
  SmallVector<Value> at;
  for (unsigned r = 0; r < map.getNumResults(); ++r)
    at.push_back(affine::makeComposedAffineApply(
                     b, loc, map.getSubMap({r}),
                     SmallVector<OpFoldResult>(ivs.begin(), ivs.end()))
                     .getResult());
  return at;
}

/// Clones the payload of `op` up to `stop` (its terminator if null) with
/// `map`, which holds its block arguments; `linalg.index d` is ivs[d].
void clonePayload(OpBuilder &b, linalg::LinalgOp op, IRMapping &map,
                  ArrayRef<Value> ivs, Operation *stop = nullptr) {
  for (Operation &inner : op.getBlock()->without_terminator()) {
    if (&inner == stop)
      break;
    if (auto index = dyn_cast<linalg::IndexOp>(inner))
      map.map(index.getResult(), ivs[index.getDim()]);
    else
      b.clone(inner, map);
  }
}

/// init + buffer[base] + ... + buffer[base + count - 1], in that order.
Value sumInOrder(OpBuilder &b, Location loc, Value buffer, Value base,
                 Value count, Value init) {
  Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
  Value c1 = b.create<arith::ConstantIndexOp>(loc, 1);
  auto loop = b.create<scf::ForOp>(
      loc, c0, count, c1, ValueRange{init},
      [&](OpBuilder &fb, Location, Value k, ValueRange acc) {
        Value v = fb.create<memref::LoadOp>(
            loc, buffer, ValueRange{fb.create<arith::AddIOp>(loc, base, k)});
        fb.create<scf::YieldOp>(
            loc, ValueRange{fb.create<arith::AddFOp>(loc, acc[0], v)});
      });
  return loop.getResult(0);
}

/// A sum whose outputs are too few to keep a GPU busy: a linalg.generic
/// with one f32 output, statically at most kSumThreads / 2 outputs, at
/// least one reduction loop (dynamic, or over >= 4096 iterations) and the
/// payload `yield addf(out, expr)` with `out` used nowhere else. Returns
/// the payload's addf, or null.
arith::AddFOp splittableSum(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      !op.getRegionOutputArgs()[0].getType().isF32())
    return nullptr;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  int64_t outputs = 1, reduced = 1;
  bool dynamicReduction = false;
  for (auto [range, kind] : llvm::zip(ranges, kinds)) {
    if (kind == utils::IteratorType::parallel) {
      if (ShapedType::isDynamic(range))
        return nullptr;
      outputs *= range;
    } else if (ShapedType::isDynamic(range)) {
      dynamicReduction = true;
    } else {
      reduced *= range;
    }
  }
  if (outputs > kSumThreads / 2 || (!dynamicReduction && reduced < 4096))
    return nullptr;
  BlockArgument out = op.getRegionOutputArgs()[0];
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || !out.hasOneUse() || add->getBlock() != op.getBody() ||
      !add->hasOneUse() || (add.getLhs() != out && add.getRhs() != out) ||
      add.getLhs() == add.getRhs())
    return nullptr;
  return add;
}

/// `linear` as the indices of a row-major space of `sizes`.
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<Value> sizes) {
  SmallVector<Value> ivs(sizes.size());
  for (size_t k = sizes.size(); k-- > 0;) {
    if (k == 0) {
      ivs[k] = linear;
      break;
    }
    ivs[k] = b.create<arith::RemUIOp>(loc, linear, sizes[k]);
    linear = b.create<arith::DivUIOp>(loc, linear, sizes[k]);
  }
  return ivs;
}

/// The sum `op` (splittableSum) in passes of parallel loops: C partial
/// sums per output of every Cth element of its reduction, then sums of
/// kSumFanIn consecutive partial sums while more than that are left, then
/// per output its value plus the rest in order. A one-thread-per-output
/// loop would leave the GPU idle (a loss: one thread for all of it).
void emitSplitSum(OpBuilder &b, linalg::GenericOp op, arith::AddFOp add) {
  Location loc = op.getLoc();
  BlockArgument outArg = op.getRegionOutputArgs()[0];
  Value expr = add.getLhs() == outArg ? add.getRhs() : add.getLhs();
  // Loops over buffers start at 0 with step 1.
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc);
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  SmallVector<unsigned> parallelDims, reductionDims;
  SmallVector<Value> parallelSizes, reductionSizes;
  int64_t outputs = 1;
  for (auto [d, kind] : llvm::enumerate(kinds)) {
    Value size = getValueOrCreateConstantIndexOp(b, loc, ranges[d].size);
    if (kind == utils::IteratorType::parallel) {
      parallelDims.push_back(d);
      parallelSizes.push_back(size);
      outputs *= *getConstantIntValue(ranges[d].size);
    } else {
      reductionDims.push_back(d);
      reductionSizes.push_back(size);
    }
  }
  int64_t partials = int64_t(
      llvm::bit_floor(uint64_t(kSumThreads / std::max<int64_t>(outputs, 1))));
  Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
  Value c1 = b.create<arith::ConstantIndexOp>(loc, 1);
  Value numOutputs = b.create<arith::ConstantIndexOp>(loc, outputs);
  Value numPartials = b.create<arith::ConstantIndexOp>(loc, partials);
  Value reduced = c1;
  for (Value size : reductionSizes)
    reduced = b.create<arith::MulIOp>(loc, reduced, size);
  auto partialType = MemRefType::get({outputs * partials}, b.getF32Type());
  Value partial = b.create<memref::AllocOp>(loc, partialType);
  Value outBuffer = op.getDpsInitOperand(0)->get();
  // Pass 1: partial[p * C + c] = sum of expr over reduction positions
  // c, c + C, ...
  b.create<scf::ParallelOp>(
      loc, ValueRange{c0, c0}, ValueRange{numOutputs, numPartials},
      ValueRange{c1, c1}, [&](OpBuilder &pb, Location, ValueRange pc) {
        SmallVector<Value> pivs = delinearize(pb, loc, pc[0], parallelSizes);
        Value zero = pb.create<arith::ConstantFloatOp>(loc, APFloat(0.0f),
                                                       pb.getF32Type());
        auto sum = pb.create<scf::ForOp>(
            loc, pc[1], reduced, numPartials, ValueRange{zero},
            [&](OpBuilder &fb, Location, Value i, ValueRange acc) {
              SmallVector<Value> rivs = delinearize(fb, loc, i, reductionSizes);
              SmallVector<Value> ivs(kinds.size());
              for (auto [d, iv] : llvm::zip(parallelDims, pivs))
                ivs[d] = iv;
              for (auto [d, iv] : llvm::zip(reductionDims, rivs))
                ivs[d] = iv;
              IRMapping map;
              for (OpOperand *in : op.getDpsInputOperands()) {
                BlockArgument arg = op.getMatchingBlockArgument(in);
                Value source = in->get();
                if (!isa<MemRefType>(source.getType())) {
                  map.map(arg, source); // a scalar operand
                  continue;
                }
                map.map(arg,
                        fb.create<memref::LoadOp>(
                            loc, source,
                            mapIndices(loc, fb, op.getMatchingIndexingMap(in),
                                       ivs)));
              }
              clonePayload(fb, op, map, ivs, add);
              Value next = fb.create<arith::AddFOp>(loc, acc[0],
                                                    map.lookupOrDefault(expr));
              fb.create<scf::YieldOp>(loc, next);
            });
        Value slot = pb.create<arith::AddIOp>(
            loc, pb.create<arith::MulIOp>(loc, pc[0], numPartials), pc[1]);
        pb.create<memref::StoreOp>(loc, sum.getResult(0), partial, slot);
      });
  // Then groups of kSumFanIn consecutive partial sums, while there are
  // more than that per output (the same order every call: the same bits).
  while (partials > kSumFanIn) {
    int64_t next = partials / kSumFanIn;
    Value numNext = b.create<arith::ConstantIndexOp>(loc, next);
    Value fanIn = b.create<arith::ConstantIndexOp>(loc, kSumFanIn);
    Value reducedBuffer = b.create<memref::AllocOp>(
        loc, MemRefType::get({outputs * next}, b.getF32Type()));
    b.create<scf::ParallelOp>(
        loc, ValueRange{c0},
        ValueRange{b.create<arith::ConstantIndexOp>(loc, outputs * next)},
        ValueRange{c1}, [&](OpBuilder &pb, Location, ValueRange j) {
          Value base = pb.create<arith::MulIOp>(loc, j[0], fanIn);
          Value zero = pb.create<arith::ConstantFloatOp>(loc, APFloat(0.0f),
                                                         pb.getF32Type());
          pb.create<memref::StoreOp>(
              loc, sumInOrder(pb, loc, partial, base, fanIn, zero),
              reducedBuffer, j[0]);
        });
    b.create<memref::DeallocOp>(loc, partial);
    partial = reducedBuffer;
    partials = next;
    numPartials = numNext;
  }
  // Last: out[p] += partial[p * C + 0] + ... + partial[p * C + C - 1].
  b.create<scf::ParallelOp>(
      loc, ValueRange{c0}, ValueRange{numOutputs}, ValueRange{c1},
      [&](OpBuilder &pb, Location, ValueRange p) {
        SmallVector<Value> pivs = delinearize(pb, loc, p[0], parallelSizes);
        SmallVector<Value> ivs(kinds.size(), c0);
        for (auto [d, iv] : llvm::zip(parallelDims, pivs))
          ivs[d] = iv;
        SmallVector<Value> at = mapIndices(
            loc, pb, op.getMatchingIndexingMap(op.getDpsInitOperand(0)), ivs);
        Value init = pb.create<memref::LoadOp>(loc, outBuffer, at);
        Value base = pb.create<arith::MulIOp>(loc, p[0], numPartials);
        pb.create<memref::StoreOp>(
            loc, sumInOrder(pb, loc, partial, base, numPartials, init),
            outBuffer, at);
      });
  b.create<memref::DeallocOp>(loc, partial);
}

/// Rows and columns of the output micro-tile each thread of a contraction
/// computes: TM + TN loads per step of the reduction for TM x TN
/// multiply-adds, against 2 per multiply-add one element per thread.
constexpr int64_t kTileM = 4, kTileN = 4;

/// A named contraction (matmul, batched, transposed operands) whose two
/// innermost parallel loops are worth register tiles: one reduction loop, and
/// those two loops dynamic or at least 8 long.
bool isTileableContraction(linalg::LinalgOp op) {
  // The named contractions (isaContractionOpInterface itself crashes on
  // some bodies of -O0 programs in MLIR 19).
  if (!isa<linalg::MatmulOp, linalg::MatmulTransposeAOp,
           linalg::MatmulTransposeBOp, linalg::BatchMatmulOp,
           linalg::BatchMatmulTransposeAOp, linalg::BatchMatmulTransposeBOp>(
          op.getOperation()) ||
      op.getNumReductionLoops() != 1 || op.getNumParallelLoops() < 2 ||
      op.getNumDpsInits() != 1)
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  int seen = 0;
  for (int64_t d = int64_t(kinds.size()) - 1; d >= 0 && seen < 2; --d) {
    if (kinds[d] != utils::IteratorType::parallel)
      continue;
    ++seen;
    if (!ShapedType::isDynamic(ranges[d]) && ranges[d] < 8)
      return false;
  }
  return true;
}

/// `op` (isTileableContraction) as one parallel loop over its outer
/// parallel dims and kTileM x kTileN tiles of its two innermost ones: each
/// iteration keeps its tile's accumulators in registers across the
/// reduction (loads clamped into bounds, stores guarded), each operand
/// element it needs loaded once per step.
void emitTiledContraction(OpBuilder &b, linalg::LinalgOp op) {
  Location loc = op.getLoc();
  SmallVector<Range, 4> ranges = op.createLoopRanges(b, loc);
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  unsigned numLoops = kinds.size();
  SmallVector<unsigned> parallelDims;
  unsigned reductionDim = 0;
  for (unsigned d = 0; d < numLoops; ++d) {
    if (kinds[d] == utils::IteratorType::parallel)
      parallelDims.push_back(d);
    else
      reductionDim = d;
  }
  unsigned dimN = parallelDims.back();
  unsigned dimM = parallelDims[parallelDims.size() - 2];
  SmallVector<Value> sizes;
  for (Range r : ranges)
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
  Value c1 = b.create<arith::ConstantIndexOp>(loc, 1);
  auto ceilDiv = [&](Value v, int64_t by) {
    return b.createOrFold<arith::DivUIOp>(
        loc,
        b.createOrFold<arith::AddIOp>(
            loc, v, b.create<arith::ConstantIndexOp>(loc, by - 1)),
        b.create<arith::ConstantIndexOp>(loc, by));
  };
  SmallVector<Value> lbs, ubs, steps;
  for (unsigned d : parallelDims) {
    lbs.push_back(c0);
    steps.push_back(c1);
    ubs.push_back(d == dimM   ? ceilDiv(sizes[d], kTileM)
                  : d == dimN ? ceilDiv(sizes[d], kTileN)
                              : sizes[d]);
  }
  Value out = op.getDpsInitOperand(0)->get();
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  b.create<scf::ParallelOp>(
      loc, lbs, ubs, steps, [&](OpBuilder &pb, Location, ValueRange pivs) {
        // The iteration's indices; rows and columns of its tile clamped
        // into bounds (and whether they are in bounds).
        SmallVector<Value> base(numLoops, c0);
        for (auto [d, iv] : llvm::zip(parallelDims, pivs))
          base[d] = iv;
        auto tileIndex = [&](unsigned d, int64_t tile, int64_t k) {
          Value first = pb.create<arith::MulIOp>(
              loc, base[d], pb.create<arith::ConstantIndexOp>(loc, tile));
          Value at = pb.create<arith::AddIOp>(
              loc, first, pb.create<arith::ConstantIndexOp>(loc, k));
          Value last = pb.create<arith::SubIOp>(loc, sizes[d], c1);
          Value in = pb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult,
                                              at, sizes[d]);
          return std::make_pair(pb.create<arith::MinUIOp>(loc, at, last), in);
        };
        SmallVector<std::pair<Value, Value>> rows, cols;
        for (int64_t i = 0; i < kTileM; ++i)
          rows.push_back(tileIndex(dimM, kTileM, i));
        for (int64_t j = 0; j < kTileN; ++j)
          cols.push_back(tileIndex(dimN, kTileN, j));
        auto ivsAt = [&](int64_t i, int64_t j, Value k) {
          SmallVector<Value> ivs(base);
          ivs[dimM] = rows[i].first;
          ivs[dimN] = cols[j].first;
          ivs[reductionDim] = k;
          return ivs;
        };
        SmallVector<Value> init;
        for (int64_t i = 0; i < kTileM; ++i)
          for (int64_t j = 0; j < kTileN; ++j)
            init.push_back(pb.create<memref::LoadOp>(
                loc, out, mapIndices(loc, pb, outMap, ivsAt(i, j, c0))));
        auto loop = pb.create<scf::ForOp>(
            loc, c0, sizes[reductionDim], c1, init,
            [&](OpBuilder &fb, Location, Value k, ValueRange acc) {
              // Each operand element once: keyed by the tile row and
              // column its indexing map depends on (-1: neither).
              std::map<std::tuple<unsigned, int64_t, int64_t>, Value> loaded;
              SmallVector<Value> next;
              for (int64_t i = 0; i < kTileM; ++i)
                for (int64_t j = 0; j < kTileN; ++j) {
                  IRMapping map;
                  for (OpOperand *in : op.getDpsInputOperands()) {
                    BlockArgument arg = op.getMatchingBlockArgument(in);
                    AffineMap m = op.getMatchingIndexingMap(in);
                    auto key =
                        std::make_tuple(in->getOperandNumber(),
                                        m.isFunctionOfDim(dimM) ? i : -1,
                                        m.isFunctionOfDim(dimN) ? j : -1);
                    Value &v = loaded[key];
                    if (!v)
                      v = fb.create<memref::LoadOp>(
                          loc, in->get(),
                          mapIndices(loc, fb, m, ivsAt(i, j, k)));
                    map.map(arg, v);
                  }
                  map.map(op.getRegionOutputArgs()[0], acc[i * kTileN + j]);
                  clonePayload(fb, op, map, ivsAt(i, j, k));
                  next.push_back(map.lookupOrDefault(
                      op.getBlock()->getTerminator()->getOperand(0)));
                }
              fb.create<scf::YieldOp>(loc, next);
            });
        for (int64_t i = 0; i < kTileM; ++i)
          for (int64_t j = 0; j < kTileN; ++j) {
            Value in =
                pb.create<arith::AndIOp>(loc, rows[i].second, cols[j].second);
            auto guard = pb.create<scf::IfOp>(loc, in, /*else=*/false);
            OpBuilder gb = guard.getThenBodyBuilder();
            gb.create<memref::StoreOp>(
                loc, loop.getResult(i * kTileN + j), out,
                mapIndices(loc, gb, outMap, ivsAt(i, j, c0)));
          }
      });
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
    if (numTiledContractions)
      modc::recordStat(&getContext(), "mod-map-to-gpu-kernels",
                       "register-tiled-contractions", numTiledContractions);
    if (numSplitSums)
      modc::recordStat(&getContext(), "mod-map-to-gpu-kernels", "split-sums",
                       numSplitSums);
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
      if (isTileableContraction(op)) {
        emitTiledContraction(rewriter, op);
        rewriter.eraseOp(op);
        ++numTiledContractions;
        continue;
      }
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
        if (arith::AddFOp add = splittableSum(generic)) {
          emitSplitSum(rewriter, generic, add);
          rewriter.eraseOp(op);
          ++numSplitSums;
          continue;
        }
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
  int64_t numSplitSums = 0;
  int64_t numTiledContractions = 0;
};

} // namespace
