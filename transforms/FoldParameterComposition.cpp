//===- FoldParameterComposition.cpp - W' = W + s A B at load time ---------===//
//
// After inlining, a frozen linear layer plus low-rank terms on the same
// input,
//
//   x @ W + b + s1 * ((x @ A1) @ B1) + s2 * ((x @ A2) @ B2) ...
//
// (static composition: LoRA, several adapters summed) is x @ W' + b with
// W' = W + s1 A1 B1 + s2 A2 B2. The pass recognises such sums in the tensor
// IR, replaces them by one matmul with a new derived parameter W', and
// declares W' with a `mod.derived` op; the library declares it to the
// runtime, which recomputes W' after create, init and every successful load
// (runtime/Model.cpp). Checkpoints are unchanged.
//
// Cost model, per row of x (multiply-adds): keeping the terms costs
// (#full terms) K N + sum_i r_i (K + N); the folded form costs K N. Fold
// when that is cheaper: always with a full W, and for low-rank terms alone
// only when their ranks are too large to be worth keeping factored.
// A full term must be a frozen parameter: a trainable W is left alone, as
// training will want its gradient.
//
//===----------------------------------------------------------------------===//

#include "dialects/Mod/ModModel.h"
#include "ir/Stats.h"
#include "ir/TensorMath.h"
#include "transforms/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace modc {
#define GEN_PASS_DEF_FOLDPARAMETERCOMPOSITION
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// v = x @ (sum of terms) + sum of row-broadcast biases.
struct LinearForm {
  struct Term {
    double scale;
    std::string a, b; // b empty: the full parameter a.
  };
  Value x;
  SmallVector<Term> terms;
  SmallVector<std::pair<double, std::string>> biases;

  LinearForm &scaled(double s) {
    for (Term &t : terms)
      t.scale *= s;
    for (auto &bias : biases)
      bias.first *= s;
    return *this;
  }
};

std::optional<std::string> paramName(Value v) {
  if (auto ref = v.getDefiningOp<mod::ParamRefOp>())
    return ref.getName().str();
  return std::nullopt;
}

bool isIdentity2D(AffineMap m) { return m.isIdentity() && m.getNumDims() == 2; }

bool isColumnBroadcast(AffineMap m) {
  return m.getNumDims() == 2 && m.getNumResults() == 1 &&
         m.getResult(0) == getAffineDimExpr(1, m.getContext());
}

std::optional<LinearForm> analyze(Value v, int depth = 0) {
  if (depth > 32)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() != 2 || !type.getElementType().isF32())
    return std::nullopt;
  if (auto mm = v.getDefiningOp<linalg::MatmulOp>()) {
    if (!modc::isZeroFill(mm.getOutputs()[0]))
      return std::nullopt;
    auto rhs = paramName(mm.getInputs()[1]);
    if (!rhs)
      return std::nullopt;
    Value lhs = mm.getInputs()[0];
    if (auto inner = lhs.getDefiningOp<linalg::MatmulOp>())
      if (modc::isZeroFill(inner.getOutputs()[0]))
        if (auto a = paramName(inner.getInputs()[1])) {
          LinearForm f;
          f.x = inner.getInputs()[0];
          f.terms.push_back({1.0, *a, *rhs});
          return f;
        }
    LinearForm f;
    f.x = lhs;
    f.terms.push_back({1.0, *rhs, ""});
    return f;
  }
  auto gen = v.getDefiningOp<linalg::GenericOp>();
  if (!gen || gen.getNumResults() != 1 || gen.getNumDpsInits() != 1 ||
      gen.getNumLoops() != 2 ||
      !llvm::all_of(
          gen.getIteratorTypesArray(),
          [](auto t) { return t == utils::IteratorType::parallel; }) ||
      !isIdentity2D(gen.getMatchingIndexingMap(gen.getDpsInitOperand(0))))
    return std::nullopt;
  Block &body = *gen.getBody();
  if (body.getOperations().size() != 2)
    return std::nullopt;
  Operation &op = body.front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getValues()[0] != op.getResult(0))
    return std::nullopt;
  // The operand of the generic behind a block argument, with its map.
  auto input = [&](Value arg) -> std::pair<Value, AffineMap> {
    auto ba = dyn_cast<BlockArgument>(arg);
    if (!ba || ba.getOwner() != &body ||
        ba.getArgNumber() >= unsigned(gen.getNumDpsInputs()))
      return {Value(), AffineMap()};
    OpOperand *in = gen.getDpsInputOperand(ba.getArgNumber());
    return {in->get(), gen.getMatchingIndexingMap(in)};
  };
  if (auto add = dyn_cast<arith::AddFOp>(op)) {
    auto [l, lm] = input(add.getLhs());
    auto [r, rm] = input(add.getRhs());
    if (!l || !r)
      return std::nullopt;
    if (isIdentity2D(lm) && isIdentity2D(rm)) {
      auto lf = analyze(l, depth + 1), rf = analyze(r, depth + 1);
      if (!lf || !rf || lf->x != rf->x)
        return std::nullopt;
      lf->terms.append(rf->terms);
      lf->biases.append(rf->biases);
      return lf;
    }
    for (auto [u, um, p, pm] :
         {std::make_tuple(l, lm, r, rm), std::make_tuple(r, rm, l, lm)}) {
      auto bias = paramName(p);
      if (isIdentity2D(um) && bias && isColumnBroadcast(pm))
        if (auto f = analyze(u, depth + 1)) {
          f->biases.push_back({1.0, *bias});
          return f;
        }
    }
    return std::nullopt;
  }
  if (auto mul = dyn_cast<arith::MulFOp>(op)) {
    for (auto [a, c] : {std::make_pair(mul.getLhs(), mul.getRhs()),
                        std::make_pair(mul.getRhs(), mul.getLhs())}) {
      auto [u, um] = input(a);
      auto s = modc::constantScalar(c);
      if (u && s && isIdentity2D(um))
        if (auto f = analyze(u, depth + 1))
          return f->scaled(*s);
    }
  }
  return std::nullopt;
}

struct FoldParameterCompositionPass
    : public modc::impl::FoldParameterCompositionBase<
          FoldParameterCompositionPass> {
  using FoldParameterCompositionBase::FoldParameterCompositionBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Parameters by name: a lookup in the module itself scans it, once per
    // matmul of the program.
    SymbolTable symbols(module);
    for (auto fn : module.getOps<func::FuncOp>()) {
      // A train block changes the terms every step: a folded weight would
      // be recomputed after each one, and its backward reads the terms.
      if (fn.isExternal() || mlir::mod::getTrainUpdates(fn))
        continue;
      // Last first: the outermost sum of a chain folds; the partial sums
      // inside it become dead.
      SmallVector<Operation *> candidates;
      fn.walk([&](Operation *op) {
        if (isa<linalg::GenericOp, linalg::MatmulOp>(op))
          candidates.push_back(op);
      });
      llvm::SmallPtrSet<Operation *, 16> erased;
      for (Operation *op : llvm::reverse(candidates)) {
        if (erased.contains(op) || op->use_empty())
          continue;
        auto form = analyze(op->getResult(0));
        if (!form || !worthFolding(symbols, *form))
          continue;
        fold(module, symbols, op, *form, erased);
      }
    }
  }

  /// The parameter's [rows, cols], or nothing.
  static std::optional<std::pair<int64_t, int64_t>>
  shapeOf(const SymbolTable &symbols, StringRef name) {
    auto p = symbols.lookup<mod::ParamOp>(name);
    if (!p)
      return std::nullopt;
    auto t = cast<RankedTensorType>(p.getType());
    if (t.getRank() != 2 || !t.getElementType().isF32())
      return std::nullopt;
    return std::make_pair(t.getDimSize(0), t.getDimSize(1));
  }

  bool worthFolding(const SymbolTable &symbols, const LinearForm &f) {
    int64_t k = -1, n = -1;
    double keep = 0;
    int lowRank = 0;
    for (const LinearForm::Term &t : f.terms) {
      auto a = shapeOf(symbols, t.a);
      if (!a)
        return false;
      if (t.b.empty()) {
        auto p = symbols.lookup<mod::ParamOp>(t.a);
        if (!p.getFrozen() && !foldTrainable)
          return false; // A trainable full weight stays as written.
        if ((k >= 0 && a->first != k) || (n >= 0 && a->second != n))
          return false;
        k = a->first;
        n = a->second;
        keep += double(k) * double(n);
        continue;
      }
      auto b = shapeOf(symbols, t.b);
      if (!b || b->first != a->second)
        return false;
      if ((k >= 0 && a->first != k) || (n >= 0 && b->second != n))
        return false;
      k = a->first;
      n = b->second;
      keep += double(a->second) * double(k + n);
      ++lowRank;
    }
    if (lowRank == 0 || k < 0)
      return false;
    return double(k) * double(n) < keep;
  }

  /// Replaces `root` by x @ W' + biases; W' is a new derived parameter,
  /// or an existing one with the same terms.
  void fold(ModuleOp module, const SymbolTable &symbols, Operation *root,
            const LinearForm &f, llvm::SmallPtrSetImpl<Operation *> &erased) {
    MLIRContext *ctx = &getContext();
    Builder attrs(ctx);
    auto resultType = cast<RankedTensorType>(root->getResult(0).getType());
    auto firstA = *shapeOf(symbols, f.terms[0].a);
    int64_t k = firstA.first, n = resultType.getDimSize(1);
    SmallVector<Attribute> terms;
    for (const LinearForm::Term &t : f.terms)
      terms.push_back(mod::DerivedTermAttr::get(
          ctx, attrs.getF64FloatAttr(t.scale), FlatSymbolRefAttr::get(ctx, t.a),
          t.b.empty() ? FlatSymbolRefAttr()
                      : FlatSymbolRefAttr::get(ctx, t.b)));
    ArrayAttr termList = attrs.getArrayAttr(terms);
    auto type = RankedTensorType::get({k, n}, attrs.getF32Type());
    // The same sum in another entry (or twice in one) shares its weight.
    std::string name;
    unsigned count = 0;
    for (mod::DerivedOp d : module.getOps<mod::DerivedOp>()) {
      ++count;
      if (d.getTerms() == termList && d.getType() == type)
        name = d.getSymName().str();
    }
    if (name.empty()) {
      name = "__fold." + std::to_string(count);
      // After the parameters, in order of creation.
      OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
      for (Operation &op : *module.getBody())
        if (isa<mod::ParamOp, mod::DerivedOp>(op))
          mb.setInsertionPointAfter(&op);
      mb.create<mod::DerivedOp>(root->getLoc(), name, type, termList);
    }
    OpBuilder b(root);
    Location loc = root->getLoc();
    modc::TensorMath math(b, loc);
    Value w = b.create<mod::ParamRefOp>(
        loc, RankedTensorType::get({k, n}, b.getF32Type()), name);
    Value y = math.matmul(f.x, w, resultType);
    for (auto &[scale, bias] : f.biases) {
      auto bt = RankedTensorType::get({n}, b.getF32Type());
      Value bv = b.create<mod::ParamRefOp>(loc, bt, bias);
      if (scale != 1.0)
        bv = math.binary(modc::BinaryKind::Mul, bv,
                         math.scalarConstant(b.getF32Type(), scale), bt);
      y = math.binary(modc::BinaryKind::Add, y, bv, resultType);
    }
    root->getResult(0).replaceAllUsesWith(y);
    // What only computed the old sum goes now, so that its partial sums are
    // not folded again.
    SmallVector<Operation *> dead = {root};
    while (!dead.empty()) {
      Operation *op = dead.pop_back_val();
      if (!op->use_empty() || !isOpTriviallyDead(op))
        continue;
      SmallVector<Operation *> producers;
      for (Value v : op->getOperands())
        if (Operation *def = v.getDefiningOp())
          producers.push_back(def);
      erased.insert(op);
      op->erase();
      dead.append(producers);
    }

    ++numFolded;
    numTerms += f.terms.size();
    modc::recordStat(&getContext(), getArgument(), "weights-folded", 1);
    modc::recordStat(&getContext(), getArgument(), "terms-folded",
                     int64_t(f.terms.size()));
  }
};

} // namespace
