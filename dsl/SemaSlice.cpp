//===- SemaSlice.cpp - Indexing: instance arrays and tensor slices --------===//
//
// `name[i]` picks an element of an instance array when the name is a
// callable and slices a tensor when it is a value (LANGUAGE.md §6). A slice
// `x[s0, s1, ...]` becomes one Slice node: an offset and a size per dim of
// `x`, the dims indexed by an integer dropped. Bounds are linear dims; what
// the compiler cannot decide becomes a run-time check (error 1).
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"

namespace modc {
namespace detail {

namespace {

enum class Holds { Always, Never, Unknown };

/// Whether `lhs <= rhs` for every value of the dyns (all of them >= 0).
Holds compareDims(const Dim &lhs, const Dim &rhs) {
  std::optional<Dim> diff = addDims(rhs, lhs, -1);
  if (!diff)
    return Holds::Unknown;
  bool nonNegative = true, nonPositive = true;
  for (auto [sym, coeff] : diff->terms) {
    nonNegative &= coeff > 0;
    nonPositive &= coeff < 0;
  }
  if (diff->constant >= 0 && nonNegative)
    return Holds::Always;
  if (diff->constant < 0 && nonPositive)
    return Holds::Never;
  return Holds::Unknown;
}

} // namespace

bool Analyzer::requireNonNegativeSizes(Node *n, const std::vector<Dim> &shape,
                                       const std::string &what, SourceLoc loc) {
  const Dim zero = Dim::of(0);
  for (const Dim &d : shape) {
    std::string size = d.str(program_->dyns);
    switch (compareDims(zero, d)) {
    case Holds::Always:
      break;
    case Holds::Never:
      error(loc, what + ": the size " + size + " is negative");
      return false;
    case Holds::Unknown:
      n->checks.push_back({zero, d, what + ": needs 0 <= " + size});
      break;
    }
  }
  return true;
}

Val Analyzer::evalIndex(const Expr &e, Context &ctx, bool callee) {
  Val base =
      callee ? evalCallee(*e.operands[0], ctx) : eval(*e.operands[0], ctx);
  if (base.kind == Val::None)
    return base;
  if (base.kind == Val::Tensor)
    return evalSlice(e, base.node, ctx);
  bool nestedArray = base.kind == Val::Path && base.inst &&
                     base.inst->isArray && base.element < 0;
  if (base.kind != Val::Array && !nestedArray) {
    error(e.loc, "only tensors and instance arrays can be indexed");
    return Val::none();
  }
  if (e.operands.size() != 2 || e.operands[1]->kind == ExprKind::Range ||
      e.operands[1]->kind == ExprKind::Ellipsis) {
    error(e.operands[1]->loc,
          "an instance array takes one integer index, not a slice");
    return Val::none();
  }
  auto i = constInt(*e.operands[1], ctx, "an instance array index");
  if (!i)
    return Val::none();
  const InstanceSpec &inst =
      nestedArray ? *base.inst : (*ctx.instances)[base.index];
  if (*i < 0 || *i >= inst.count) {
    Diagnostic &d =
        error(e.operands[1]->loc,
              "index " + std::to_string(*i) + " is out of bounds for '" +
                  inst.name + "' of " + std::to_string(inst.count) +
                  " element" + (inst.count == 1 ? "" : "s"));
    DiagnosticEngine::note(d, inst.loc, "'" + inst.name + "' is declared here");
    return Val::none();
  }
  if (nestedArray) {
    base.name += "." + std::to_string(*i);
    base.element = *i;
    return base;
  }
  base.kind = Val::Instance;
  base.element = *i;
  return base;
}

std::optional<Dim> Analyzer::sliceBound(const Expr &e, const Dim &size,
                                        Context &ctx, std::string &written) {
  Val v = eval(e, ctx);
  if (v.kind == Val::None)
    return std::nullopt;
  if (v.kind != Val::Int) {
    if (!reportInexactDivision(v))
      error(e.loc, std::string("a slice bound must be an integer: a "
                               "compile-time integer or a linear expression "
                               "of dyns") +
                       (v.kind == Val::Tensor
                            ? " (to pick rows by a tensor of ids, use "
                              "'embedding')"
                            : ""));
    return std::nullopt;
  }
  written = v.dim.str(program_->dyns);
  // The run-time value of a dyn comes from the arguments' shapes.
  std::vector<DynSource> solved = solveDyns(ctx.argTypes);
  for (const auto &term : v.dim.terms) {
    int sym = term.first;
    bool bound = solves(solved, sym);
    if (!bound) {
      error(e.loc, "slice bound '" + v.dim.str(program_->dyns) +
                       "' uses dyn '" + program_->dyns[sym] +
                       "', which no argument's shape determines here");
      return std::nullopt;
    }
  }
  // Provably negative bounds count from the end, as in NumPy.
  bool negative = v.dim.constant < 0;
  for (auto [sym, coeff] : v.dim.terms)
    negative &= coeff < 0;
  if (!negative)
    return v.dim;
  std::optional<Dim> fromEnd = addDims(size, v.dim);
  if (!fromEnd)
    error(e.loc, "integer overflow in a slice bound");
  return fromEnd;
}

Val Analyzer::evalSlice(const Expr &e, Node *x, Context &ctx) {
  const TensorType &type = x->type;
  size_t rank = type.rank();
  std::vector<const Expr *> items;
  int ellipsis = -1;
  for (size_t i = 1; i < e.operands.size(); ++i) {
    const Expr &item = *e.operands[i];
    if (item.kind == ExprKind::Ellipsis) {
      if (ellipsis >= 0) {
        error(item.loc, "'...' may appear only once in a slice");
        return Val::none();
      }
      ellipsis = int(items.size());
    }
    items.push_back(&item);
  }
  size_t explicitItems = items.size() - (ellipsis >= 0 ? 1 : 0);
  if (explicitItems > rank) {
    error(e.loc, "slice of " + typeStr(type) + " has " +
                     std::to_string(explicitItems) + " items, more than its " +
                     std::to_string(rank) + " dims");
    return Val::none();
  }
  // The item of each dim of x (null: the whole dim).
  std::vector<const Expr *> perDim(rank, nullptr);
  size_t after = ellipsis >= 0 ? items.size() - size_t(ellipsis) - 1 : 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (int(i) == ellipsis)
      continue;
    size_t k = ellipsis >= 0 && int(i) > ellipsis
                   ? rank - after + (i - size_t(ellipsis) - 1)
                   : i;
    perDim[k] = items[i];
  }

  // Run-time messages name the slice by its place in the source.
  std::string text = "slice at " + std::to_string(e.loc.line) + ":" +
                     std::to_string(e.loc.col);
  TensorType result{type.elem, {}};
  std::vector<Dim> offsets;
  std::vector<int64_t> dropped;
  std::vector<DimCheck> checks;
  auto require = [&](const Dim &lhs, const Dim &rhs, SourceLoc loc,
                     const std::string &what) {
    Holds h = compareDims(lhs, rhs);
    if (h == Holds::Never) {
      error(loc, what);
      return false;
    }
    if (h == Holds::Unknown)
      checks.push_back({lhs, rhs,
                        text + ": " + what + ": needs " +
                            lhs.str(program_->dyns) +
                            " <= " + rhs.str(program_->dyns)});
    return true;
  };
  const Dim zero = Dim::of(0);
  for (size_t k = 0; k < rank; ++k) {
    const Expr *item = perDim[k];
    const Dim &size = type.shape[k];
    std::string axis = "axis " + std::to_string(k) + " of " + typeStr(type) +
                       " (size " + size.str(program_->dyns) + ")";
    Dim offset = zero, extent = size;
    bool drop = false;
    if (item && item->kind == ExprKind::Range) {
      size_t next = 0;
      std::string loText = "0", hiText = size.str(program_->dyns);
      if (item->hasLower) {
        auto lo = sliceBound(*item->operands[next++], size, ctx, loText);
        if (!lo)
          return Val::none();
        offset = *lo;
      }
      if (item->hasUpper) {
        auto hi = sliceBound(*item->operands[next], size, ctx, hiText);
        if (!hi)
          return Val::none();
        extent = *hi;
      }
      const std::string &lo = loText, &hi = hiText;
      if (!require(zero, offset, item->loc,
                   "the start " + lo + " is below 0 on " + axis) ||
          !require(offset, extent, item->loc,
                   "the start " + lo + " is past the end " + hi + " on " +
                       axis) ||
          !require(extent, size, item->loc,
                   "the end " + hi + " is past " + axis))
        return Val::none();
      auto d = addDims(extent, offset, -1);
      if (!d) {
        error(item->loc, "integer overflow in a slice bound");
        return Val::none();
      }
      extent = *d;
    } else if (item && item->kind != ExprKind::Ellipsis) {
      std::string at;
      auto i = sliceBound(*item, size, ctx, at);
      if (!i)
        return Val::none();
      auto next = addDims(*i, Dim::of(1));
      if (!next) {
        error(item->loc, "integer overflow in a slice bound");
        return Val::none();
      }
      if (!require(zero, *i, item->loc,
                   "index " + at + " is out of range for " + axis) ||
          !require(*next, size, item->loc,
                   "index " + at + " is out of range for " + axis))
        return Val::none();
      offset = *i;
      extent = Dim::of(1);
      drop = true;
    }
    bool whole = offset == zero && extent == size && !drop;
    if (!whole &&
        !checkRowIndependent(type, int64_t(k), item->loc, "a slice", ctx))
      return Val::none();
    offsets.push_back(offset);
    if (drop)
      dropped.push_back(int64_t(k));
    else
      result.shape.push_back(extent);
  }
  if (dropped.empty() && result == type)
    return Val::tensor(x); // `x[:]`, `x[...]`
  Node *n = addNode(ctx, Op::Slice, result, e.loc, {x});
  n->offsets = std::move(offsets);
  n->ints = std::move(dropped);
  n->checks = std::move(checks);
  return Val::tensor(n);
}

} // namespace detail
} // namespace modc
