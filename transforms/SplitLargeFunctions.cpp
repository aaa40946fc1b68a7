//===- SplitLargeFunctions.cpp - Huge functions into bounded parts --------===//
//
// Bufferization, buffer deallocation and LLVM's function passes all cost
// more than linearly in the size of one function; a generated program of a
// few thousand statements is one entry of tens of thousands of ops. Cutting
// the entry into parts of bounded size, on tensors and before any of them
// runs, keeps the whole compilation linear in the program:
//
//   func.func @f(...) {            func.func @f(...) {
//     run 1                          %r1 = call @__modc_part_f_0(inputs 1)
//     run 2               ==>        %r2 = call @__modc_part_f_1(inputs 2)
//     run 3 (the last)               run 3
//     return                         return
//   }                              }
//
// A part's arguments are the values it reads that are defined before it,
// its results the values it defines that are read after it. Cheap ops with
// no inputs but scalars (constants, tensor.empty, linalg.fill of those) are
// cloned into each part that needs them rather than passed: a tensor
// argument a callee writes into would make bufferization copy it at the
// call. Ops on memrefs are the entry's interface with its caller's buffers
// and stay where they are; so does the last run, whose results are
// computed straight into the output buffers.
//
//===----------------------------------------------------------------------===//

#include "ir/FunctionKey.h"
#include "ir/Stats.h"
#include "ir/TensorMath.h"
#include "transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>

namespace modc {
#define GEN_PASS_DEF_SPLITLARGEFUNCTIONS
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// Part size over the square root of the function's size.
constexpr double kPartsPerSqrt = 2.0;

bool isScalar(Type type) { return type.isIntOrIndexOrFloat(); }

/// True if `v` may bufferize to a view with a non-identity layout (a slice,
/// or a reshape of one): a part's argument or result has the identity
/// layout, which such a view cannot be cast to.
bool mayBeStrided(Value v) {
  Operation *def = v.getDefiningOp();
  if (isa_and_nonnull<tensor::ExtractSliceOp>(def))
    return true;
  if (isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                      tensor::CastOp>(def))
    return mayBeStrided(def->getOperand(0));
  return false;
}

/// A contiguous copy of `v` (a tensor), made at `b`.
Value contiguousCopy(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  modc::TensorMath math(b, loc);
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    sizes.push_back(math.dimSize(v, i));
  return b.create<linalg::CopyOp>(loc, v, math.empty(type, sizes)).getResult(0);
}

/// True if `op` is part of the function's interface with its caller's
/// buffers (or its terminator) and must stay in it.
bool isAnchored(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>())
    return true;
  auto tensorOrScalar = [](Type t) {
    return isa<RankedTensorType>(t) || isScalar(t);
  };
  return !llvm::all_of(op->getOperandTypes(), tensorOrScalar) ||
         !llvm::all_of(op->getResultTypes(), tensorOrScalar);
}

/// Ops cheaper to re-create in a part than to pass to it. Index arithmetic
/// and scalar reads count too: the sizes of a zero fill (a routed target's
/// row count read from the plan) must come along with it, or the fill would
/// reach a part as an argument, where the matmul it initialises can no
/// longer be seen to start from zeros (mod-matmul-to-runtime).
bool isCheapKind(Operation *op) {
  // A message's global (and its cast) is made again in a part rather than
  // passed: the GPU path keeps a runtime call on the host only when its
  // buffers are globals (an id check's message).
  if (op->hasTrait<OpTrait::ConstantLike>() ||
      isa<tensor::EmptyOp, linalg::FillOp, tensor::DimOp, memref::GetGlobalOp,
          memref::CastOp>(op))
    return true;
  if (isa<tensor::ExtractOp>(op))
    return op->getResult(0).getType().isIntOrIndex();
  return isa<arith::IndexCastOp, arith::AddIOp, arith::SubIOp, arith::MulIOp>(
             op) &&
         llvm::all_of(op->getResultTypes(),
                      [](Type t) { return t.isIntOrIndex(); });
}

/// A layout copy of a value: a transpose, or an elementwise f16/bf16 -> f32
/// widening (the importer's rule for half operands). Of a weight, both are
/// folded into the GEMM that reads it (mod-matmul-to-runtime) when they are
/// in its function: a part recomputes them from the weight rather than
/// receiving the copy.
bool isLayoutCopy(Operation *op) {
  return isa<linalg::TransposeOp>(op) || modc::widenedFrom(op);
}

int64_t weight(Operation *op) {
  int64_t n = 0;
  op->walk([&](Operation *) { ++n; });
  return n;
}

struct SplitLargeFunctionsPass
    : public modc::impl::SplitLargeFunctionsBase<SplitLargeFunctionsPass> {
  using SplitLargeFunctionsBase::SplitLargeFunctionsBase;

  void runOnOperation() override {
    if (opsPerFunction < 1) {
      getOperation().emitError("ops-per-function must be at least 1");
      return signalPassFailure();
    }
    partsByBody.clear();
    SymbolTable symbols(getOperation());
    symbolTable = &symbols;
    SmallVector<func::FuncOp> functions(getOperation().getOps<func::FuncOp>());
    for (func::FuncOp fn : functions)
      if (!fn.isExternal() && fn.getBody().hasOneBlock())
        split(fn);
  }

  /// Whether `op` (outside the part being built) can be cloned into a part:
  /// a cheap kind whose operands are scalars or themselves cloneable.
  bool cloneable(Operation *op) {
    auto [it, inserted] = cloneableMemo.try_emplace(op, false);
    if (!inserted)
      return it->second;
    bool copy = isLayoutCopy(op);
    bool ok = isCheapKind(op) || copy;
    for (Value v : op->getOperands()) {
      if (!ok)
        break;
      Operation *def = v.getDefiningOp();
      // A scalar read clones with its tensor passed to the part; so does a
      // layout copy of an argument of the function (a weight: the tensor of
      // an argument buffer).
      ok = isScalar(v.getType()) || (def && cloneable(def)) ||
           (isa<tensor::ExtractOp>(op) && isa<RankedTensorType>(v.getType())) ||
           (copy && (isa<BlockArgument>(v) ||
                     isa_and_nonnull<bufferization::ToTensorOp>(def)));
    }
    cloneableMemo[op] = ok;
    return ok;
  }

  void split(func::FuncOp fn) {
    Block &block = fn.getBody().front();
    int64_t total = 0;
    for (Operation &op : block)
      total += weight(&op);
    if (total <= 2 * opsPerFunction)
      return;
    cloneableMemo.clear();
    // Parts of sqrt(total) ops, but at least opsPerFunction: MLIR 19's
    // bufferization looks a call's callee up by a scan of the module on
    // each query, a cost of about (calls x functions), quadratic in the
    // number of parts; with sqrt-sized parts it is linear in the program.
    int64_t partSize = std::max<int64_t>(
        opsPerFunction, int64_t(kPartsPerSqrt * std::sqrt(double(total))));

    // Consecutive runs of movable ops, each of about partSize.
    SmallVector<SmallVector<Operation *>> runs(1);
    int64_t size = 0;
    for (Operation &op : block) {
      if (isAnchored(&op)) {
        if (!runs.back().empty())
          runs.emplace_back();
        size = 0;
        continue;
      }
      runs.back().push_back(&op);
      size += weight(&op);
      if (size >= partSize) {
        runs.emplace_back();
        size = 0;
      }
    }
    while (!runs.empty() && runs.back().empty())
      runs.pop_back();
    // The last run stays: it writes the entry's outputs in place.
    if (!runs.empty())
      runs.pop_back();
    int counter = 0;
    // The parts go first in the module, in order: MLIR 19's bufferization
    // finds a call's callee by a scan of the module from its start, past
    // every mod.param, on each query.
    Operation *last = nullptr;
    for (ArrayRef<Operation *> run : runs) {
      int64_t runSize = 0;
      for (Operation *op : run)
        runSize += weight(op);
      if (runSize * 2 < partSize)
        continue;
      bool isNew;
      func::FuncOp part = outline(fn, run, counter, isNew);
      if (isNew) {
        if (last)
          part->moveAfter(last);
        else
          part->moveBefore(&getOperation().getBody()->front());
        last = part;
        ++counter;
      }
    }
    // Layout copies that stayed and were cloned into every part reading
    // them are dead here (on tensors bufferization would still copy); the
    // others move down to their first reader, so that no call separates a
    // weight's copy from the GEMM that folds it: a buffer live across a
    // call is freed in the general, conditional form, and the folded copy
    // then leaves its allocation behind (mod-matmul-to-runtime erases only
    // the copying op).
    Block &body = fn.getBody().front();
    SmallVector<Operation *> copies;
    for (Operation &op : body)
      if (isLayoutCopy(&op))
        copies.push_back(&op);
    for (Operation *op : llvm::reverse(copies)) {
      if (isOpTriviallyDead(op)) {
        op->erase();
        continue;
      }
      Operation *first = nullptr;
      for (Operation *user : op->getUsers()) {
        Operation *at = body.findAncestorOpInBlock(*user);
        if (at && (!first || at->isBeforeInBlock(first)))
          first = at;
      }
      if (!first || first == op->getNextNode())
        continue;
      op->moveBefore(first);
      for (Value init : cast<DestinationStyleOpInterface>(op).getDpsInits())
        if (Operation *def = init.getDefiningOp<tensor::EmptyOp>())
          if (def->hasOneUse())
            def->moveBefore(op);
    }
  }

  /// Moves the ops of `run` (but the cheap ones, which are cloned where
  /// needed) into a new function called in their place.
  /// Sets `isNew` unless an identical part existed and is called instead.
  func::FuncOp outline(func::FuncOp fn, ArrayRef<Operation *> run, int id,
                       bool &isNew) {
    isNew = false;
    llvm::DenseSet<Operation *> moved;
    for (Operation *op : run) {
      // A cheap op whose inputs come from before the run stays where it is
      // and is cloned into the part if the part reads it; a fill too (its
      // region only yields its scalar). Moved, a zero fill shared by the
      // matmuls of several parts became a part's result, which bufferization
      // then copied before every later part that computes into it.
      bool stays = (isCheapKind(op) || (isLayoutCopy(op) && cloneable(op))) &&
                   llvm::all_of(op->getOperands(), [&](Value v) {
                     Operation *def = v.getDefiningOp();
                     return !def || !moved.contains(def);
                   });
      if (!stays)
        moved.insert(op);
    }
    if (moved.empty())
      return nullptr;
    // What stays goes before the call, which takes the place of the first
    // moved op: a part may read it (its operands come from before the run).
    // (`run` is in block order: no order query, which would renumber the
    // huge block after every move.)
    Operation *first = nullptr;
    for (Operation *op : run) {
      if (moved.contains(op))
        first = first ? first : op;
      else if (first)
        op->moveBefore(first);
    }

    MLIRContext *ctx = &getContext();
    Location loc = fn.getLoc();
    auto part = func::FuncOp::create(
        loc, ("__modc_part_" + fn.getSymName() + "_" + Twine(id)).str(),
        FunctionType::get(ctx, {}, {}));
    part.setPrivate();
    part->setAttr("no_inline", UnitAttr::get(ctx));
    Block *entry = part.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(entry);
    IRMapping map;
    SmallVector<Value> captures;
    // The part's value for `v`, defined outside the moved ops.
    std::function<Value(Value)> input = [&](Value v) -> Value {
      if (Value m = map.lookupOrNull(v))
        return m;
      Operation *def = v.getDefiningOp();
      if (def && cloneable(def)) {
        for (Value operand : def->getOperands())
          input(operand);
        Operation *clone = b.clone(*def, map);
        return clone->getResult(cast<OpResult>(v).getResultNumber());
      }
      captures.push_back(v);
      Value arg = entry->addArgument(v.getType(), v.getLoc());
      map.map(v, arg);
      return arg;
    };

    SmallVector<Operation *> order;
    for (Operation *op : run) {
      if (!moved.contains(op))
        continue;
      order.push_back(op);
      llvm::SetVector<Value> above;
      getUsedValuesDefinedAbove(op->getRegions(), above);
      for (Value v : op->getOperands())
        above.insert(v);
      for (Value v : above) {
        Operation *def = v.getDefiningOp();
        if (!def || !moved.contains(def))
          input(v);
      }
      b.clone(*op, map);
    }

    // Results read after the part. A tensor.empty read after it (a
    // destination filled later) is made again where it is first read: a
    // part returning an uninitialised tensor made one-shot bufferization
    // crash (its allocation had no memory space to take).
    Block &fnBlock = fn.getBody().front();
    auto outside = [&](Operation *user) {
      Operation *top = fnBlock.findAncestorOpInBlock(*user);
      return !top || !moved.contains(top);
    };
    SmallVector<Value> outputs, returned;
    auto output = [&](Value r) {
      if (!llvm::is_contained(outputs, r)) {
        outputs.push_back(r);
        returned.push_back(map.lookup(r));
      }
    };
    SmallVector<Value> remade; // the tensor.empty results made again
    for (Operation *op : order)
      for (Value r : op->getResults()) {
        if (!llvm::any_of(r.getUsers(), outside))
          continue;
        if (isa<tensor::EmptyOp>(op)) {
          // Its sizes come out of the part (or from before it) instead.
          for (Value v : op->getOperands())
            if (Operation *def = v.getDefiningOp(); def && moved.contains(def))
              output(v);
          remade.push_back(r);
          continue;
        }
        output(r);
      }
    for (Value &v : returned)
      if (isa<RankedTensorType>(v.getType()) && mayBeStrided(v))
        v = contiguousCopy(b, loc, v);
    b.create<func::ReturnOp>(loc, returned);
    part.setFunctionType(FunctionType::get(ctx, entry->getArgumentTypes(),
                                           ValueRange(returned).getTypes()));
    // A part identical to an earlier one (a generated program repeats its
    // statements, a model stacks the same block) is that one: bufferization,
    // lowering and LLVM then see each distinct part once.
    auto [known, fresh] =
        partsByBody.try_emplace(modc::functionKey(part), part);
    if (fresh) {
      symbolTable->insert(part);
    } else {
      part.erase();
      part = known->second;
      ++numShared;
      modc::recordStat(&getContext(), getArgument(), "parts-shared", 1);
    }

    OpBuilder cb(order.front());
    for (Value &v : captures)
      if (isa<RankedTensorType>(v.getType()) && mayBeStrided(v))
        v = contiguousCopy(cb, loc, v);
    auto call = cb.create<func::CallOp>(loc, part, captures);
    IRMapping fromCall;
    for (auto [old, replacement] : llvm::zip(outputs, call.getResults()))
      fromCall.map(old, replacement);
    for (Value r : remade) {
      Operation *first = nullptr;
      for (Operation *user : r.getUsers())
        if (outside(user)) {
          Operation *top = fnBlock.findAncestorOpInBlock(*user);
          if (!first || (top && top->isBeforeInBlock(first)))
            first = top;
        }
      OpBuilder eb(first);
      Value again = eb.clone(*r.getDefiningOp(), fromCall)->getResult(0);
      r.replaceUsesWithIf(
          again, [&](OpOperand &use) { return outside(use.getOwner()); });
    }
    for (auto [old, replacement] : llvm::zip(outputs, call.getResults()))
      old.replaceAllUsesWith(replacement);
    for (Operation *op : llvm::reverse(order)) {
      op->dropAllUses();
      op->erase();
    }
    // The cheap ops that stayed and only fed the part.
    for (Operation *op : llvm::reverse(run))
      if (!moved.contains(op) && op->use_empty())
        op->erase();
    ++numParts;
    modc::recordStat(&getContext(), getArgument(), "parts-outlined", 1);
    isNew = fresh;
    return part;
  }

  SymbolTable *symbolTable = nullptr;
  llvm::StringMap<func::FuncOp> partsByBody;
  llvm::DenseMap<Operation *, bool> cloneableMemo;
};

} // namespace
