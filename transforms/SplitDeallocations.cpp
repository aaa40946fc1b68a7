//===- SplitDeallocations.cpp - One dealloc per allocation, early ---------===//
//
// Ownership-based buffer deallocation ends each block with one
// `bufferization.dealloc` of every buffer the block owns. In a function of
// thousands of ops that is one op over thousands of memrefs: the
// simplification pass compares them pairwise, the lowering turns what is
// left into a helper that compares them pairwise at run time, and every
// intermediate buffer lives until the function returns.
//
// Every memref of such an op whose allocation is known to be fresh and
// distinct from the others' gets its own op, placed after the last use of
// the allocation where all of its aliases are visible in the block.
//
// Fresh allocations: results of `memref.alloc` and `bufferization.clone`,
// and results of calls to functions of the module that return only such
// results, each once (module-internal calls give the caller ownership of
// their results, and a function returning its argument would return a
// clone). Distinct fresh allocations never alias each other, so splitting
// their dealloc changes nothing but the place where each buffer is freed.
//
//===----------------------------------------------------------------------===//

#include "ir/Stats.h"
#include "transforms/Passes.h"

#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseSet.h"

namespace modc {
#define GEN_PASS_DEF_SPLITDEALLOCATIONS
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// The functions of the module whose results are fresh allocations, each
/// returned once.
class FreshResults {
public:
  explicit FreshResults(ModuleOp module) : symbols(module) {
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    // Fresh results may come from calls of fresh functions: iterate to the
    // fixpoint (monotone; each round either adds a function or stops).
    bool changed = true;
    while (changed) {
      changed = false;
      for (func::FuncOp f : funcs)
        if (!fresh.contains(f) && returnsFresh(f)) {
          fresh.insert(f);
          changed = true;
        }
    }
  }

  /// True if `v` is a new buffer no other value existing before its
  /// definition can alias.
  bool isFreshAllocation(Value v) const {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (isa<memref::AllocOp, bufferization::CloneOp>(def))
      return true;
    if (auto call = dyn_cast<func::CallOp>(def))
      return isFreshCall(call);
    return false;
  }

  bool isFreshCall(func::CallOp call) const {
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    return callee && fresh.contains(callee);
  }

private:
  bool returnsFresh(func::FuncOp f) const {
    if (f.isExternal())
      return false;
    bool ok = true;
    f.walk([&](func::ReturnOp ret) {
      llvm::SmallDenseSet<Value> seen;
      for (Value v : ret.getOperands()) {
        if (!isa<BaseMemRefType>(v.getType()))
          continue;
        if (!seen.insert(v).second || !isFreshAllocation(v))
          ok = false;
      }
    });
    return ok;
  }

  SymbolTable symbols;
  llvm::DenseSet<Operation *> fresh;
};

/// The allocation `v` is a view of, if that is a fresh one.
Value freshRoot(Value v, const FreshResults &fresh) {
  while (true) {
    if (fresh.isFreshAllocation(v))
      return v;
    Operation *def = v.getDefiningOp();
    if (auto meta = dyn_cast_if_present<memref::ExtractStridedMetadataOp>(def))
      v = meta.getSource();
    else if (auto view = dyn_cast_if_present<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else
      return Value();
  }
}

/// A strided-metadata op that only extracts `dealloc`'s operand: moved with
/// the split dealloc instead of counting as a use.
bool onlyFeeds(Operation *op, bufferization::DeallocOp dealloc) {
  auto meta = dyn_cast<memref::ExtractStridedMetadataOp>(op);
  if (!meta)
    return false;
  for (Value r : meta->getResults())
    for (Operation *user : r.getUsers())
      if (user != dealloc.getOperation() || r != meta.getBaseBuffer())
        return false;
  return true;
}

/// The op of `block` after which the allocation `root` is dead, or null if
/// an alias escapes what the block shows (forwarded to another block or
/// region, returned, retained by `dealloc`, or produced by an op whose
/// aliasing is unknown).
Operation *lastUse(Value root, Block *block, bufferization::DeallocOp dealloc,
                   const llvm::SmallDenseSet<Value> &retained,
                   const FreshResults &fresh,
                   const DenseMap<Operation *, unsigned> &order) {
  Operation *last = block->findAncestorOpInBlock(*root.getDefiningOp());
  if (!last)
    return nullptr;
  SmallVector<Value> worklist{root};
  llvm::SmallDenseSet<Value> aliases{root};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (retained.contains(v))
      return nullptr;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (user == dealloc.getOperation() || onlyFeeds(user, dealloc))
        continue;
      if (user->hasTrait<OpTrait::IsTerminator>())
        return nullptr;
      bool forwards = false;
      if (auto meta = dyn_cast<memref::ExtractStridedMetadataOp>(user)) {
        if (aliases.insert(meta.getBaseBuffer()).second)
          worklist.push_back(meta.getBaseBuffer());
      } else if (auto view = dyn_cast<ViewLikeOpInterface>(user);
                 view && view.getViewSource() == v) {
        for (Value r : user->getResults())
          if (isa<BaseMemRefType>(r.getType()) && aliases.insert(r).second)
            worklist.push_back(r);
      } else if (auto call = dyn_cast<func::CallOp>(user);
                 !call || !fresh.isFreshCall(call)) {
        // Any other op returning a memref might return this one.
        forwards = llvm::any_of(user->getResultTypes(),
                                [](Type t) { return isa<BaseMemRefType>(t); });
      }
      if (forwards)
        return nullptr;
      Operation *top = block->findAncestorOpInBlock(*user);
      if (!top)
        return nullptr;
      if (order.lookup(top) > order.lookup(last))
        last = top;
    }
  }
  return last;
}

struct SplitDeallocationsPass
    : public modc::impl::SplitDeallocationsBase<SplitDeallocationsPass> {
  void runOnOperation() override {
    FreshResults fresh(getOperation());
    SmallVector<bufferization::DeallocOp> deallocs;
    getOperation().walk(
        [&](bufferization::DeallocOp op) { deallocs.push_back(op); });
    DenseMap<Block *, DenseMap<Operation *, unsigned>> orders;
    for (bufferization::DeallocOp op : deallocs) {
      if (op.getMemrefs().size() < 2)
        continue;
      Block *block = op->getBlock();
      auto [it, inserted] = orders.try_emplace(block);
      if (inserted) {
        unsigned i = 0;
        for (Operation &o : *block)
          it->second[&o] = i++;
      }
      split(op, fresh, it->second);
    }
  }

  void split(bufferization::DeallocOp op, const FreshResults &fresh,
             DenseMap<Operation *, unsigned> &order) {
    // Group the memrefs by allocation; give up unless every one is fresh.
    SmallVector<Value> roots;
    DenseMap<Value, SmallVector<unsigned>> members;
    for (auto [i, m] : llvm::enumerate(op.getMemrefs())) {
      Value root = freshRoot(m, fresh);
      if (!root)
        return;
      auto [it, inserted] = members.try_emplace(root);
      if (inserted)
        roots.push_back(root);
      it->second.push_back(i);
    }
    if (roots.size() < 2)
      return;

    Block *block = op->getBlock();
    llvm::SmallDenseSet<Value> retained(op.getRetained().begin(),
                                        op.getRetained().end());
    SmallVector<Value> keptMemrefs, keptConditions;
    int64_t moved = 0;
    for (Value root : roots) {
      SmallVector<unsigned> &idx = members[root];
      Operation *after = lastUse(root, block, op, retained, fresh, order);
      // The conditions must be defined at the new place.
      for (unsigned i : idx) {
        if (!after)
          break;
        for (Value v : {op.getMemrefs()[i], op.getConditions()[i]}) {
          // Block arguments and values of enclosing regions dominate the
          // whole block; a strided-metadata op feeding only `op` moves.
          Operation *def = v.getDefiningOp();
          if (!def || onlyFeeds(def, op))
            continue;
          Operation *top = block->findAncestorOpInBlock(*def);
          if (top && order.lookup(top) > order.lookup(after))
            after = top;
        }
      }
      if (!after) {
        for (unsigned i : idx) {
          keptMemrefs.push_back(op.getMemrefs()[i]);
          keptConditions.push_back(op.getConditions()[i]);
        }
        continue;
      }
      SmallVector<Value> memrefs, conditions;
      Operation *insertAfter = after;
      for (unsigned i : idx) {
        Value m = op.getMemrefs()[i];
        if (Operation *def = m.getDefiningOp(); def && onlyFeeds(def, op)) {
          if (def != insertAfter)
            def->moveAfter(insertAfter);
          insertAfter = def;
        }
        memrefs.push_back(m);
        conditions.push_back(op.getConditions()[i]);
      }
      OpBuilder b(op->getContext());
      b.setInsertionPointAfter(insertAfter);
      auto single = b.create<bufferization::DeallocOp>(
          op.getLoc(), memrefs, conditions, ValueRange());
      // Ops created after `after` sort with it: only relative order to the
      // block's original ops is ever asked.
      order[single] = order.lookup(after);
      ++moved;
    }
    if (moved == 0)
      return;
    modc::recordStat(&getContext(), getArgument(), "deallocations-moved",
                     moved);

    // What stays: the allocations that may alias a retained value, in one
    // op with the retain list, as before.
    OpBuilder b(op);
    if (keptMemrefs.empty() && op.getUpdatedConditions().empty()) {
      op.erase();
      return;
    }
    auto kept = b.create<bufferization::DeallocOp>(
        op.getLoc(), keptMemrefs, keptConditions, op.getRetained());
    // A moved allocation aliases no retained value: the updated ownership
    // of each comes from the kept ones only.
    op.replaceAllUsesWith(kept.getUpdatedConditions());
    order[kept] = order.lookup(op);
    op.erase();
  }
};

} // namespace
