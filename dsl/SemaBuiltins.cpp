//===- SemaBuiltins.cpp - Type rules of the builtins ----------------------===//
//
// One rule per builtin of LANGUAGE.md §6: argument binding (positional and
// named), element types, symbolic result shapes, and row independence of the
// enclosing module (no reduction over its leading dyn axis).
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>

namespace modc {
namespace detail {

namespace {

bool mentions(const Dim &d, int sym) {
  for (auto [s, c] : d.terms)
    if (s == sym)
      return true;
  return false;
}

/// The smallest magnitude a float type rounds to infinity (its largest
/// finite value plus half an ulp; the tie goes to the even infinity).
double overflowThreshold(ElemType t) {
  switch (t) {
  case ElemType::F16:
    return 65520.0;
  case ElemType::BF16:
    return std::ldexp(2.0 - std::ldexp(1.0, -8), 127);
  default:
    return std::ldexp(2.0 - std::ldexp(1.0, -24), 127);
  }
}

/// A number as the source would write it.
std::string spelling(const Val &v) {
  if (v.kind != Val::Float)
    return std::to_string(v.dim.constant);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v.f);
  return buf;
}

} // namespace

std::optional<int64_t> Analyzer::normalizeAxis(int64_t axis, size_t rank,
                                               SourceLoc loc) {
  int64_t r = int64_t(rank);
  if (axis < -r || axis >= r) {
    error(loc, "axis " + std::to_string(axis) + " is out of range for rank " +
                   std::to_string(rank));
    return std::nullopt;
  }
  return axis < 0 ? axis + r : axis;
}

bool Analyzer::mentionsRowDim(const Dim &d, const Context &ctx) const {
  if (!ctx.module)
    return false;
  if (ctx.batchRank >= 0) {
    for (int sym : ctx.batchDyns)
      if (mentions(d, sym))
        return true;
    return false;
  }
  return ctx.leadingDyn >= 0 && mentions(d, ctx.leadingDyn);
}

std::string Analyzer::rowDimsText(const Context &ctx) const {
  if (ctx.batchRank >= 0)
    return "its '...' dims";
  return "its leading dyn '" + program_->dyns[ctx.leadingDyn] + "'";
}

bool Analyzer::checkRowIndependent(const TensorType &type, int64_t axis,
                                   SourceLoc loc, const std::string &what,
                                   Context &ctx) {
  if (axis < 0 || size_t(axis) >= type.rank() ||
      !mentionsRowDim(type.shape[axis], ctx))
    return true;
  error(loc, what + " over axis " + std::to_string(axis) + " (" +
                 type.shape[axis].str(program_->dyns) +
                 ") mixes rows: module " + ctx.moduleDisplay +
                 " must be row-independent along " + rowDimsText(ctx));
  return false;
}

std::optional<std::vector<size_t>>
Analyzer::bindArguments(const vocab::Entry &entry, SourceLoc callLoc,
                        const std::vector<SourceLoc> &argLocs,
                        const std::vector<std::string> &argNames,
                        const std::vector<SourceLoc> &argNameLocs) {
  std::string name(entry.name);
  std::vector<size_t> slots;
  std::vector<bool> given(entry.numArgs, false);
  size_t positional = 0;
  for (size_t i = 0; i < argLocs.size(); ++i) {
    size_t slot;
    if (argNames[i].empty()) {
      slot = positional++;
      if (slot >= entry.numArgs) {
        error(argLocs[i], "'" + name + "' takes at most " +
                              std::to_string(entry.numArgs) + " argument" +
                              (entry.numArgs == 1 ? "" : "s"));
        return std::nullopt;
      }
    } else {
      int found = entry.find(argNames[i]);
      if (found < 0) {
        error(argNameLocs[i],
              "'" + name + "' has no argument named '" + argNames[i] + "'");
        return std::nullopt;
      }
      slot = size_t(found);
    }
    if (given[slot]) {
      error(argLocs[i], "argument '" + std::string(entry.args[slot].name) +
                            "' of '" + name + "' is given twice");
      return std::nullopt;
    }
    given[slot] = true;
    slots.push_back(slot);
  }
  for (size_t i = 0; i < entry.numArgs; ++i)
    if (!given[i] && entry.args[i].def == vocab::Default::Required) {
      error(callLoc, "'" + name + "' needs the argument '" +
                         std::string(entry.args[i].name) + "'");
      return std::nullopt;
    }
  return slots;
}

bool Analyzer::requireNonEmptyAxis(Node *n, const TensorType &t, int64_t axis,
                                   const std::string &name, SourceLoc loc) {
  // max, min and argmax of nothing have no value (PyTorch and NumPy raise).
  const Dim &size = t.shape[size_t(axis)];
  std::string what = "'" + name + "' over axis " + std::to_string(axis) +
                     " of " + typeStr(t) + ", which is empty";
  if (size.isStatic()) {
    if (size.constant > 0)
      return true;
    error(loc, what);
    return false;
  }
  n->checks.push_back(
      {Dim::of(1), size, what + ": needs 1 <= " + size.str(program_->dyns)});
  return true;
}

Val Analyzer::evalBuiltin(const Expr &e, const std::string &name,
                          std::vector<Val> &args, Context &ctx) {
  using vocab::ArgType;
  using vocab::Rule;
  const vocab::Entry *entry = vocab::lookup(vocab::Kind::Builtin, name);
  // Routers and aggregations are not functions.
  if (!entry && vocab::lookup(vocab::Kind::Router, name)) {
    error(e.loc, "'" + name +
                     "' is a router; use it as 'route X to TARGETS "
                     "by " +
                     name + "(...)'");
    return Val::none();
  }
  if (!entry && vocab::lookup(vocab::Kind::Aggregation, name)) {
    error(e.loc, "'" + name + "' is an aggregation; use it after 'combine'");
    return Val::none();
  }
  if (!entry) {
    error(e.loc, "unknown builtin '" + name + "'");
    return Val::none();
  }

  // Positional and named arguments onto the builtin's parameter list.
  auto bind = [&](std::vector<Val> &out, std::vector<SourceLoc> &locs) {
    std::vector<SourceLoc> argLocs;
    for (size_t i = 0; i < args.size(); ++i)
      argLocs.push_back(e.operands[i + 1]->loc);
    auto slots =
        bindArguments(*entry, e.loc, argLocs, e.argNames, e.argNameLocs);
    if (!slots)
      return false;
    out.assign(entry->numArgs, Val::none());
    locs.assign(entry->numArgs, e.loc);
    for (size_t i = 0; i < args.size(); ++i) {
      out[(*slots)[i]] = args[i];
      locs[(*slots)[i]] = argLocs[i];
    }
    return true;
  };
  // The default of argument `slot` (a Default::Value argument).
  auto byDefault = [&](size_t slot) { return entry->args[slot].value; };
  auto needsFloat = [&](size_t slot) {
    return entry->args[slot].type == ArgType::FloatTensor;
  };
  auto tensorArg = [&](const Val &v, SourceLoc loc,
                       const char *what) -> Node * {
    if (v.kind == Val::Tensor)
      return v.node;
    error(loc, "'" + name + "': " + what + " must be a tensor");
    return nullptr;
  };
  auto floatTensor = [&](Node *n, SourceLoc loc) {
    if (isFloatType(n->type.elem))
      return true;
    error(loc, "'" + name + "' needs a floating-point tensor, got " +
                   typeStr(n->type));
    return false;
  };
  auto numericTensor = [&](Node *n, SourceLoc loc) {
    return requireArithmetic(n->type, loc, "'" + name + "'");
  };
  auto constIntArg = [&](const Val &v, SourceLoc loc,
                         const char *what) -> std::optional<int64_t> {
    if (v.isStaticInt())
      return v.dim.constant;
    if (!reportInexactDivision(v))
      error(loc, "'" + name + "': " + what + " must be a compile-time integer");
    return std::nullopt;
  };
  auto constBoolArg = [&](const Val &v, SourceLoc loc,
                          const char *what) -> std::optional<bool> {
    if (v.kind == Val::Bool)
      return v.f != 0.0;
    error(loc, "'" + name + "': " + what + " must be true or false");
    return std::nullopt;
  };
  auto make = [&](TensorType type, std::vector<Node *> operands) {
    Node *n =
        addNode(ctx, Op::Builtin, std::move(type), e.loc, std::move(operands));
    n->name = name;
    n->builtin = entry->builtin();
    return n;
  };
  auto shapeList = [&](const Val &v, SourceLoc loc,
                       std::vector<Dim> &out) -> bool {
    if (v.kind != Val::List) {
      error(loc, "'" + name + "' needs a list of dimensions like [N, 4]");
      return false;
    }
    for (const Val &el : v.elems) {
      if (el.kind != Val::Int) {
        if (!reportInexactDivision(el))
          error(loc, "'" + name + "': every dimension must be an integer");
        return false;
      }
      if (el.dim.isStatic() && el.dim.constant < 0) {
        error(loc, "'" + name + "': dimension " +
                       std::to_string(el.dim.constant) + " is negative");
        return false;
      }
      out.push_back(el.dim);
    }
    return true;
  };

  std::vector<Val> a;
  std::vector<SourceLoc> l;

  switch (entry->rule) {
  case Rule::Elementwise: {
    if (!bind(a, l))
      return Val::none();
    Node *x = tensorArg(a[0], l[0], "the argument");
    if (!x)
      return Val::none();
    if ((needsFloat(0) && !floatTensor(x, l[0])) || !numericTensor(x, l[0]))
      return Val::none();
    Node *n = addNode(ctx, Op::Unary, x->type, e.loc, {x});
    n->name = name;
    n->builtin = entry->builtin();
    return Val::tensor(n);
  }

  case Rule::AlongAxis: {
    if (!bind(a, l))
      return Val::none();
    Node *x = tensorArg(a[0], l[0], "the argument");
    if (!x || (needsFloat(0) && !floatTensor(x, l[0])))
      return Val::none();
    if (x->type.rank() == 0) {
      error(l[0], "'" + name + "' needs a tensor of rank 1 or more");
      return Val::none();
    }
    int64_t axis = int64_t(byDefault(1));
    if (a[1].kind != Val::None) {
      auto v = constIntArg(a[1], l[1], "axis");
      if (!v)
        return Val::none();
      axis = *v;
    }
    auto ax = normalizeAxis(axis, x->type.rank(), l[1]);
    if (!ax || !checkRowIndependent(x->type, *ax, e.loc, "'" + name + "'", ctx))
      return Val::none();
    TensorType type = x->type;
    bool argmax = entry->builtin() == vocab::Builtin::Argmax;
    if (argmax) {
      type.elem = ElemType::I64;
      type.shape.erase(type.shape.begin() + *ax);
    }
    Node *n = make(type, {x});
    n->ints = {*ax};
    if (argmax && !requireNonEmptyAxis(n, x->type, *ax, name, e.loc))
      return Val::none();
    return Val::tensor(n);
  }

  case Rule::Reduce: {
    if (!bind(a, l))
      return Val::none();
    Node *x = tensorArg(a[0], l[0], "the argument");
    if (!x)
      return Val::none();
    if (needsFloat(0) && !floatTensor(x, l[0]))
      return Val::none();
    // max/min of bools are any/all; sum/mean are arithmetic.
    bool summing = entry->builtin() == vocab::Builtin::Sum ||
                   entry->builtin() == vocab::Builtin::Mean;
    if (summing && !numericTensor(x, l[0]))
      return Val::none();
    auto v = constIntArg(a[1], l[1], "axis");
    if (!v)
      return Val::none();
    bool keep = byDefault(2) != 0;
    if (a[2].kind != Val::None) {
      auto b = constBoolArg(a[2], l[2], "keepdims");
      if (!b)
        return Val::none();
      keep = *b;
    }
    auto ax = normalizeAxis(*v, x->type.rank(), l[1]);
    if (!ax || !checkRowIndependent(x->type, *ax, e.loc, "'" + name + "'", ctx))
      return Val::none();
    TensorType type = x->type;
    if (keep)
      type.shape[*ax] = Dim::of(1);
    else
      type.shape.erase(type.shape.begin() + *ax);
    Node *n = make(type, {x});
    n->ints = {*ax};
    n->flag = keep;
    bool extremum = entry->builtin() == vocab::Builtin::Max ||
                    entry->builtin() == vocab::Builtin::Min;
    if (extremum && !requireNonEmptyAxis(n, x->type, *ax, name, e.loc))
      return Val::none();
    return Val::tensor(n);
  }

  case Rule::Normalize: {
    if (!bind(a, l))
      return Val::none();
    std::vector<Node *> operands;
    for (size_t i = 0; i + 1 < entry->numArgs; ++i) {
      Node *t = tensorArg(a[i], l[i], i == 0 ? "x" : "gamma/beta");
      if (!t || !floatTensor(t, l[i]))
        return Val::none();
      operands.push_back(t);
    }
    Node *x = operands[0];
    if (x->type.rank() == 0) {
      error(l[0], "'" + name + "' needs a tensor of rank 1 or more");
      return Val::none();
    }
    const Dim &last = x->type.shape.back();
    for (size_t i = 1; i < operands.size(); ++i) {
      const TensorType &t = operands[i]->type;
      if (t.elem != x->type.elem || t.rank() != 1 || t.shape[0] != last) {
        error(l[i], "'" + name + "': " + std::string(entry->args[i].name) +
                        " must be " + ast::elemTypeName(x->type.elem) + "[" +
                        last.str(program_->dyns) + "], got " + typeStr(t));
        return Val::none();
      }
    }
    size_t epsSlot = entry->numArgs - 1;
    double eps = byDefault(epsSlot);
    if (a[epsSlot].kind != Val::None) {
      if (a[epsSlot].kind == Val::Float)
        eps = a[epsSlot].f;
      else if (a[epsSlot].isStaticInt())
        eps = double(a[epsSlot].dim.constant);
      else {
        error(l[epsSlot], "'" + name + "': eps must be a compile-time number");
        return Val::none();
      }
      if (!(eps >= 0)) {
        error(l[epsSlot], "'" + name + "': eps must not be negative");
        return Val::none();
      }
    }
    if (!checkRowIndependent(x->type, int64_t(x->type.rank()) - 1, e.loc,
                             "'" + name + "'", ctx))
      return Val::none();
    Node *n = make(x->type, operands);
    n->constant = eps;
    return Val::tensor(n);
  }

  case Rule::Concat: {
    std::vector<Node *> parts;
    std::vector<SourceLoc> partLocs;
    int64_t axis = int64_t(byDefault(1));
    SourceLoc axisLoc = e.loc;
    for (size_t i = 0; i < args.size(); ++i) {
      SourceLoc argLoc = e.operands[i + 1]->loc;
      if (e.argNames[i] == "axis") {
        auto v = constIntArg(args[i], argLoc, "axis");
        if (!v)
          return Val::none();
        axis = *v;
        axisLoc = argLoc;
        continue;
      }
      if (!e.argNames[i].empty()) {
        error(e.argNameLocs[i],
              "'concat' has no argument named '" + e.argNames[i] + "'");
        return Val::none();
      }
      Node *t = tensorArg(args[i], argLoc, "every part");
      if (!t)
        return Val::none();
      parts.push_back(t);
      partLocs.push_back(argLoc);
    }
    if (parts.size() < 2) {
      error(e.loc, "'concat' needs at least two tensors");
      return Val::none();
    }
    const TensorType &first = parts[0]->type;
    if (first.rank() == 0) {
      error(partLocs[0], "'concat' needs tensors of rank 1 or more");
      return Val::none();
    }
    auto ax = normalizeAxis(axis, first.rank(), axisLoc);
    if (!ax)
      return Val::none();
    TensorType type = first;
    for (size_t i = 1; i < parts.size(); ++i) {
      const TensorType &t = parts[i]->type;
      bool ok = t.elem == first.elem && t.rank() == first.rank();
      for (size_t k = 0; ok && k < t.rank(); ++k)
        if (int64_t(k) != *ax)
          ok = t.shape[k] == first.shape[k];
      if (!ok) {
        error(partLocs[i], "'concat': " + typeStr(t) + " does not match " +
                               typeStr(first) + " outside axis " +
                               std::to_string(*ax));
        return Val::none();
      }
      auto sum = addDims(type.shape[*ax], t.shape[*ax]);
      if (!sum) {
        error(e.loc, "'concat': the result dimension overflows 2^62");
        return Val::none();
      }
      type.shape[*ax] = *sum;
    }
    if (!checkRowIndependent(first, *ax, e.loc, "'concat'", ctx))
      return Val::none();
    Node *n = make(type, parts);
    n->ints = {*ax};
    return Val::tensor(n);
  }

  case Rule::Reshape:
  case Rule::Expand: {
    if (!bind(a, l))
      return Val::none();
    Node *x = tensorArg(a[0], l[0], "the argument");
    std::vector<Dim> shape;
    if (!x || !shapeList(a[1], l[1], shape))
      return Val::none();
    if (entry->rule == Rule::Expand) {
      auto b = broadcastShapes(x->type.shape, shape);
      if (!b || *b != shape || shape.size() < x->type.rank()) {
        error(e.loc, "'expand': " + typeStr(x->type) +
                         " cannot be broadcast to " +
                         TensorType{x->type.elem, shape}.str(program_->dyns));
        return Val::none();
      }
    } else {
      // Element counts must agree as polynomials in the dyns. Each dim is
      // linear: write it as g * p with g the gcd of its coefficients and
      // constant and p primitive (first coefficient positive). Primitive
      // linear forms are irreducible, so the products agree exactly when
      // the constants (static dims times every g) and the multisets of p do.
      auto product = [&](const std::vector<Dim> &dims, int64_t &constant,
                         std::vector<Dim> &primitive) -> bool {
        constant = 1;
        for (const Dim &d : dims) {
          int64_t g = d.constant;
          if (!d.isStatic()) {
            g = std::abs(d.constant);
            for (auto [sym, coeff] : d.terms)
              g = std::gcd(g, std::abs(coeff));
            if (d.terms[0].second < 0)
              g = -g;
            Dim p = d;
            p.constant /= g;
            for (auto &term : p.terms)
              term.second /= g;
            primitive.push_back(p);
          }
          if (__builtin_mul_overflow(constant, g, &constant) ||
              std::abs(constant) > kMaxDim)
            return false;
        }
        return true;
      };
      int64_t ca = 1, cb = 1;
      std::vector<Dim> sa, sb;
      bool equal = product(x->type.shape, ca, sa) && product(shape, cb, sb) &&
                   ca == cb && sa.size() == sb.size();
      for (size_t i = 0; equal && i < sa.size(); ++i)
        equal = std::count(sb.begin(), sb.end(), sa[i]) ==
                std::count(sa.begin(), sa.end(), sa[i]);
      if (!equal) {
        error(e.loc, "'reshape': " + typeStr(x->type) + " and " +
                         TensorType{x->type.elem, shape}.str(program_->dyns) +
                         " do not have the same number of elements");
        return Val::none();
      }
      // Rows stay rows only if the axis that holds them keeps its size and
      // the same (static) number of elements before it; otherwise the
      // reshape reinterprets one row's elements as another's.
      auto rowAxis = [&](const std::vector<Dim> &dims, int64_t &before) {
        before = 1;
        for (size_t i = 0; i < dims.size(); ++i) {
          if (mentions(dims[i], ctx.leadingDyn))
            return int64_t(i);
          if (!dims[i].isStatic() ||
              __builtin_mul_overflow(before, dims[i].constant, &before))
            before = -1;
        }
        return int64_t(-1);
      };
      // In a rank-polymorphic module the `...` dims stay first and whole.
      auto keepsBatch = [&](const std::vector<Dim> &dims) {
        bool any = false;
        for (const Dim &d : dims)
          any |= mentionsRowDim(d, ctx);
        if (!any)
          return true;
        size_t k = ctx.batchDyns.size();
        if (dims.size() < k)
          return false;
        for (size_t i = 0; i < dims.size(); ++i)
          if (i < k ? dims[i] != Dim::symbol(ctx.batchDyns[i])
                    : mentionsRowDim(dims[i], ctx))
            return false;
        return true;
      };
      auto hasRows = [&](const std::vector<Dim> &dims) {
        return std::any_of(dims.begin(), dims.end(), [&](const Dim &d) {
          return mentionsRowDim(d, ctx);
        });
      };
      if (ctx.module && ctx.batchRank >= 0 &&
          (!keepsBatch(x->type.shape) || !keepsBatch(shape) ||
           hasRows(x->type.shape) != hasRows(shape))) {
        error(e.loc, "'reshape' changes the '...' dims: module " +
                         ctx.moduleDisplay + " must be row-independent along " +
                         rowDimsText(ctx));
        return Val::none();
      }
      int64_t beforeIn = 1, beforeOut = 1;
      int64_t in = ctx.module && ctx.leadingDyn >= 0 && ctx.batchRank < 0
                       ? rowAxis(x->type.shape, beforeIn)
                       : -1;
      int64_t out = in >= 0 ? rowAxis(shape, beforeOut) : -1;
      if (in >= 0 && (out < 0 || shape[out] != x->type.shape[in] ||
                      beforeIn < 0 || beforeIn != beforeOut)) {
        error(e.loc, "'reshape' changes the leading dimension: module " +
                         ctx.moduleDisplay + " must be row-independent along " +
                         rowDimsText(ctx));
        return Val::none();
      }
    }
    Node *n = make(TensorType{x->type.elem, shape}, {x});
    if (entry->rule == Rule::Expand &&
        !requireNonNegativeSizes(n, shape, "'expand'", e.loc))
      return Val::none();
    return Val::tensor(n);
  }

  case Rule::Transpose: {
    if (!bind(a, l))
      return Val::none();
    Node *x = tensorArg(a[0], l[0], "the argument");
    if (!x)
      return Val::none();
    if (a[1].kind != Val::List || a[1].elems.size() != x->type.rank()) {
      error(l[1], "'transpose' needs a permutation of the " +
                      std::to_string(x->type.rank()) + " axes of " +
                      typeStr(x->type));
      return Val::none();
    }
    std::vector<int64_t> perm;
    std::vector<bool> seen(x->type.rank(), false);
    TensorType type{x->type.elem, {}};
    for (const Val &el : a[1].elems) {
      if (!el.isStaticInt()) {
        if (!reportInexactDivision(el))
          error(l[1], "'transpose': the permutation must be compile-time "
                      "integers");
        return Val::none();
      }
      auto ax = normalizeAxis(el.dim.constant, x->type.rank(), l[1]);
      if (!ax)
        return Val::none();
      if (seen[*ax]) {
        error(l[1], "'transpose': axis " + std::to_string(*ax) +
                        " appears twice in the permutation");
        return Val::none();
      }
      seen[*ax] = true;
      perm.push_back(*ax);
      type.shape.push_back(x->type.shape[*ax]);
    }
    // Axes that hold rows stay in place.
    bool moves = false;
    for (size_t i = 0; i < perm.size(); ++i)
      moves |= perm[i] != int64_t(i) &&
               (mentionsRowDim(x->type.shape[i], ctx) ||
                mentionsRowDim(x->type.shape[perm[i]], ctx));
    if (ctx.batchRank < 0) // the leading dyn's dim stays first
      moves = !perm.empty() && perm[0] != 0 &&
              mentionsRowDim(x->type.shape[0], ctx);
    if (moves) {
      error(e.loc,
            std::string("'transpose' moves ") +
                (ctx.batchRank >= 0 ? "a '...' dim" : "the leading dimension") +
                ": module " + ctx.moduleDisplay +
                " must be row-independent along " + rowDimsText(ctx));
      return Val::none();
    }
    Node *n = make(type, {x});
    n->ints = perm;
    return Val::tensor(n);
  }

  case Rule::Embedding: {
    if (!bind(a, l))
      return Val::none();
    Node *table = tensorArg(a[0], l[0], "the table");
    Node *ids = tensorArg(a[1], l[1], "ids");
    if (!table || !ids)
      return Val::none();
    if (table->type.rank() < 1) {
      error(l[0], "'embedding': the table must have rank 1 or more");
      return Val::none();
    }
    if (ids->type.elem != ElemType::I32 && ids->type.elem != ElemType::I64) {
      error(l[1],
            "'embedding': ids must be i32 or i64, got " + typeStr(ids->type));
      return Val::none();
    }
    TensorType type = ids->type;
    type.elem = table->type.elem;
    type.shape.insert(type.shape.end(), table->type.shape.begin() + 1,
                      table->type.shape.end());
    return Val::tensor(make(type, {table, ids}));
  }

  case Rule::Onehot: {
    if (!bind(a, l))
      return Val::none();
    Node *ids = tensorArg(a[0], l[0], "ids");
    if (!ids)
      return Val::none();
    if (ids->type.elem != ElemType::I32 && ids->type.elem != ElemType::I64) {
      error(l[0],
            "'onehot': ids must be i32 or i64, got " + typeStr(ids->type));
      return Val::none();
    }
    auto n = constIntArg(a[1], l[1], "n");
    if (!n)
      return Val::none();
    if (*n < 1) {
      error(l[1], "'onehot': n must be positive");
      return Val::none();
    }
    TensorType type = ids->type;
    type.elem = ElemType::F32;
    type.shape.push_back(Dim::of(*n));
    Node *node = make(type, {ids});
    node->ints = {*n};
    return Val::tensor(node);
  }

  case Rule::Cast: {
    if (!bind(a, l))
      return Val::none();
    Node *x = tensorArg(a[0], l[0], "the argument");
    if (!x)
      return Val::none();
    if (a[1].kind != Val::TypeName) {
      error(l[1], "'cast' needs an element type such as f32");
      return Val::none();
    }
    ElemType to = a[1].elem;
    return Val::tensor(make(TensorType{to, x->type.shape}, {x}));
  }

  case Rule::Attention: {
    if (!bind(a, l))
      return Val::none();
    Node *q = tensorArg(a[0], l[0], "q");
    Node *k = tensorArg(a[1], l[1], "k");
    Node *v = tensorArg(a[2], l[2], "v");
    if (!q || !k || !v)
      return Val::none();
    for (int i = 0; i < 3; ++i) {
      Node *t = i == 0 ? q : i == 1 ? k : v;
      if (t->type.rank() != 3 || !floatTensor(t, l[i])) {
        if (t->type.rank() != 3)
          error(l[i], "'attention': " + std::string("qkv").substr(i, 1) +
                          " must be [B, T, D], got " + typeStr(t->type));
        return Val::none();
      }
    }
    const auto &qs = q->type.shape, &ks = k->type.shape, &vs = v->type.shape;
    if (q->type.elem != k->type.elem || q->type.elem != v->type.elem ||
        ks[0] != qs[0] || vs[0] != qs[0] || ks[2] != qs[2] || vs[2] != qs[2] ||
        vs[1] != ks[1]) {
      error(e.loc, "'attention': q " + typeStr(q->type) + ", k " +
                       typeStr(k->type) + " and v " + typeStr(v->type) +
                       " must be [B, Tq, D], [B, Tk, D], [B, Tk, D]");
      return Val::none();
    }
    int64_t heads = int64_t(byDefault(3));
    if (a[3].kind != Val::None) {
      auto h = constIntArg(a[3], l[3], "heads");
      if (!h)
        return Val::none();
      heads = *h;
    }
    bool causal = byDefault(4) != 0;
    if (a[4].kind != Val::None) {
      auto c = constBoolArg(a[4], l[4], "causal");
      if (!c)
        return Val::none();
      causal = *c;
    }
    if (heads < 1) {
      error(l[3], "'attention': heads must be positive");
      return Val::none();
    }
    if (!qs[2].isStatic() || qs[2].constant % heads != 0) {
      error(a[3].kind != Val::None ? l[3] : e.loc,
            "'attention': D = " + qs[2].str(program_->dyns) +
                " is not divisible by heads = " + std::to_string(heads));
      return Val::none();
    }
    if (!checkRowIndependent(k->type, 1, e.loc, "'attention'", ctx) ||
        !checkRowIndependent(q->type, 2, e.loc, "'attention'", ctx))
      return Val::none();
    std::vector<Node *> operands = {q, k, v};
    if (a[5].kind != Val::None) {
      // key_mask: [B, Tk], any element type, nonzero = attend.
      Node *m = tensorArg(a[5], l[5], "key_mask");
      if (!m)
        return Val::none();
      if (m->type.rank() != 2 || m->type.shape[0] != ks[0] ||
          m->type.shape[1] != ks[1]) {
        error(l[5], "'attention': key_mask must be [B, Tk] = " +
                        typeStr(TensorType{m->type.elem, {ks[0], ks[1]}}) +
                        ", got " + typeStr(m->type));
        return Val::none();
      }
      operands.push_back(m);
    }
    Node *n = make(q->type, operands);
    n->ints = {heads};
    n->flag = causal;
    return Val::tensor(n);
  }
  case Rule::Loss: {
    if (!bind(a, l))
      return Val::none();
    if (ctx.module) {
      error(e.loc, "'" + name +
                       "' reduces over every row: losses belong in "
                       "train blocks and entries, not in module " +
                       ctx.moduleDisplay);
      return Val::none();
    }
    Node *x = tensorArg(a[0], l[0], "the first argument");
    if (!x)
      return Val::none();
    // f16/bf16 inputs are widened (exactly) and the loss is computed in
    // f32, as every loss is an f32 scalar.
    if (!isFloatType(x->type.elem)) {
      error(l[0], "'" + name + "' needs a floating-point tensor, got " +
                      typeStr(x->type));
      return Val::none();
    }
    TensorType scalar{ElemType::F32, {}};
    switch (entry->builtin()) {
    case vocab::Builtin::Mse: {
      Node *y = tensorArg(a[1], l[1], "the second argument");
      if (!y)
        return Val::none();
      // mean((a - b)^2) over the elements of a - b: the shapes broadcast
      // as for '-' (as torch's mse_loss does).
      auto shape = broadcastShapes(x->type.shape, y->type.shape);
      if (y->type.elem != x->type.elem || !shape) {
        error(e.loc, "'mse' needs two tensors of one element type whose "
                     "shapes broadcast, got " +
                         typeStr(x->type) + " and " + typeStr(y->type));
        return Val::none();
      }
      auto widen = [&](Node *v) {
        if (v->type.shape == *shape)
          return v;
        Node *n = addNode(ctx, Op::Builtin, {v->type.elem, *shape}, e.loc, {v});
        n->name = "expand";
        n->builtin = vocab::Builtin::Expand;
        return n;
      };
      return Val::tensor(make(scalar, {widen(x), widen(y)}));
    }
    case vocab::Builtin::CrossEntropy: {
      Node *labels = tensorArg(a[1], l[1], "labels");
      if (!labels)
        return Val::none();
      if (x->type.rank() == 0) {
        error(l[0], "'cross_entropy': logits need a class axis, got " +
                        typeStr(x->type));
        return Val::none();
      }
      TensorType rows = x->type;
      rows.shape.pop_back();
      rows.elem = labels->type.elem;
      if ((labels->type.elem != ElemType::I32 &&
           labels->type.elem != ElemType::I64) ||
          labels->type != rows) {
        error(l[1], "'cross_entropy': labels must be i32 or i64 of shape " +
                        typeStr(TensorType{ElemType::I64, rows.shape}) +
                        " (the logits' without the class axis), got " +
                        typeStr(labels->type));
        return Val::none();
      }
      return Val::tensor(make(scalar, {x, labels}));
    }
    case vocab::Builtin::LoadBalance: {
      if (x->type.rank() == 0 || !x->type.shape.back().isStatic()) {
        error(l[0], "'load_balance': logits need a static expert axis, got " +
                        typeStr(x->type));
        return Val::none();
      }
      auto k = constIntArg(a[1], l[1], "k");
      if (!k)
        return Val::none();
      int64_t experts = x->type.shape.back().constant;
      if (*k < 1 || *k > experts) {
        error(l[1], "'load_balance': k = " + std::to_string(*k) +
                        " must be between 1 and the " +
                        std::to_string(experts) + " experts");
        return Val::none();
      }
      Node *n = make(scalar, {x});
      n->ints = {*k};
      return Val::tensor(n);
    }
    case vocab::Builtin::ZLoss:
      if (x->type.rank() == 0) {
        error(l[0],
              "'z_loss': logits need a class axis, got " + typeStr(x->type));
        return Val::none();
      }
      return Val::tensor(make(scalar, {x}));
    default:
      break;
    }
    break;
  }
  case Rule::Broadcast: {
    if (!bind(a, l))
      return Val::none();
    // Tensors and numbers, broadcast together; a number takes the
    // tensors' element type, as in `x + 1.0`.
    std::optional<ElemType> elem;
    // where(cond, a, b): cond is a bool tensor, a and b share a type.
    size_t firstValue = 0;
    if (entry->builtin() == vocab::Builtin::Where) {
      firstValue = 1;
      if (a[0].kind != Val::Tensor || a[0].node->type.elem != ElemType::Bool) {
        error(l[0], "'where' needs a bool condition (a comparison), got " +
                        (a[0].kind == Val::Tensor ? typeStr(a[0].node->type)
                                                  : std::string("a number")));
        return Val::none();
      }
    }
    for (size_t i = firstValue; i < a.size(); ++i) {
      if (a[i].kind == Val::Tensor) {
        if (elem && *elem != a[i].node->type.elem) {
          error(l[i], "'" + name + "': element types differ: " +
                          ast::elemTypeName(*elem) + " and " +
                          ast::elemTypeName(a[i].node->type.elem) +
                          " (use cast)");
          return Val::none();
        }
        elem = a[i].node->type.elem;
        continue;
      }
      if (a[i].kind != Val::Int && a[i].kind != Val::Float) {
        error(l[i], "'" + name + "': argument '" +
                        std::string(entry->args[i].name) +
                        "' must be a tensor or a number");
        return Val::none();
      }
    }
    // where(c, 1.0, 0.0): two numbers take `full`'s default types (f32 if
    // either is a float, else i64), as torch.where gives the default dtype.
    if (!elem && entry->builtin() == vocab::Builtin::Where)
      elem = a[1].kind == Val::Float || a[2].kind == Val::Float ? ElemType::F32
                                                                : ElemType::I64;
    if (!elem) {
      error(e.loc, "'" + name + "' needs at least one tensor argument");
      return Val::none();
    }
    if (entry->builtin() == vocab::Builtin::Pow && !isFloatType(*elem)) {
      error(e.loc, "'pow' needs floating-point tensors, got " +
                       std::string(ast::elemTypeName(*elem)));
      return Val::none();
    }
    std::vector<Node *> operands;
    std::vector<Dim> shape;
    for (size_t i = 0; i < a.size(); ++i) {
      Node *n = a[i].node;
      if (i < firstValue) {
        auto joined = broadcastShapes(shape, n->type.shape);
        shape = *joined;
        operands.push_back(n);
        continue;
      }
      if (a[i].kind != Val::Tensor) {
        if (a[i].kind == Val::Int && !a[i].dim.isStatic()) {
          error(l[i], "a dyn dimension cannot be used as a tensor value");
          return Val::none();
        }
        if (a[i].kind == Val::Float && !isFloatType(*elem)) {
          error(l[i], "'" + name +
                          "': float literal used with an integer "
                          "tensor of type " +
                          ast::elemTypeName(*elem));
          return Val::none();
        }
        n = constNode(ctx, *elem, a[i], l[i]);
      }
      auto joined = broadcastShapes(shape, n->type.shape);
      if (!joined) {
        error(l[i], "'" + name + "': shapes do not broadcast: " +
                        typeStr(TensorType{*elem, shape}) + " and " +
                        typeStr(n->type));
        return Val::none();
      }
      shape = *joined;
      operands.push_back(n);
    }
    return Val::tensor(make(TensorType{*elem, shape}, operands));
  }
  case Rule::Constant: {
    if (!bind(a, l))
      return Val::none();
    std::vector<Dim> shape;
    ElemType elem = ElemType::F32;
    vocab::Builtin which = entry->builtin();
    if (which == vocab::Builtin::Full) {
      if (!shapeList(a[0], l[0], shape))
        return Val::none();
      if (a[1].kind != Val::Int && a[1].kind != Val::Float) {
        error(l[1], "'full': the value must be a number");
        return Val::none();
      }
      if (a[1].kind == Val::Int && !a[1].dim.isStatic()) {
        error(l[1], "'full': a dyn dimension cannot be used as a value");
        return Val::none();
      }
      elem = a[1].kind == Val::Float ? ElemType::F32 : ElemType::I64;
      if (a[2].kind != Val::None) {
        if (a[2].kind != Val::TypeName) {
          error(l[2], "'full': dtype must be an element type such as f32");
          return Val::none();
        }
        elem = a[2].elem;
        if (!isFloatType(elem) && a[1].kind == Val::Float) {
          error(l[1], "'full': a float value for an integer dtype " +
                          std::string(ast::elemTypeName(elem)));
          return Val::none();
        }
      }
      // As torch.full: a value the dtype cannot hold is an error, not a
      // wrapped integer or an infinity.
      double value =
          a[1].kind == Val::Float ? a[1].f : double(a[1].dim.constant);
      bool fits = true;
      if (elem == ElemType::I32)
        fits = a[1].dim.constant >= INT32_MIN && a[1].dim.constant <= INT32_MAX;
      else if (isFloatType(elem))
        fits = !(std::fabs(value) >= overflowThreshold(elem));
      if (!fits) {
        error(l[1], "'full': the value " + spelling(a[1]) + " does not fit " +
                        std::string(ast::elemTypeName(elem)));
        return Val::none();
      }
    } else {
      if (a[0].kind != Val::Int) {
        if (!reportInexactDivision(a[0]))
          error(l[0], "'" + name + "': n must be an integer (a dim or a dyn)");
        return Val::none();
      }
      if (a[0].dim.isStatic() && a[0].dim.constant < 0) {
        error(l[0], "'" + name + "': n = " + std::to_string(a[0].dim.constant) +
                        " is negative");
        return Val::none();
      }
      shape.push_back(a[0].dim);
      if (which == vocab::Builtin::Eye)
        shape.push_back(a[0].dim);
      else
        elem = ElemType::I64;
    }
    // A dyn in the shape takes its size from the arguments of the function.
    std::vector<DynSource> solved = solveDyns(ctx.argTypes);
    for (const Dim &d : shape)
      for (const auto &term : d.terms) {
        int sym = term.first;
        bool bound = solves(solved, sym);
        if (!bound) {
          error(e.loc, "'" + name + "': dyn '" + program_->dyns[sym] +
                           "' is not the size of any argument here");
          return Val::none();
        }
      }
    Node *n = make(TensorType{elem, shape}, {});
    if (which == vocab::Builtin::Full)
      setNumber(*n, a[1]);
    if (!requireNonNegativeSizes(n, shape, "'" + name + "'", e.loc))
      return Val::none();
    return Val::tensor(n);
  }
  case Rule::Kron: {
    if (!bind(a, l))
      return Val::none();
    Node *x = tensorArg(a[0], l[0], "the first argument");
    Node *y = tensorArg(a[1], l[1], "the second argument");
    if (!x || !y)
      return Val::none();
    if (x->type.rank() != 2 || y->type.rank() != 2) {
      error(e.loc, "'kron' needs two 2-D tensors, got " + typeStr(x->type) +
                       " and " + typeStr(y->type));
      return Val::none();
    }
    if (x->type.elem != y->type.elem) {
      error(e.loc, "'kron': element types differ: " + typeStr(x->type) +
                       " and " + typeStr(y->type) + " (use cast)");
      return Val::none();
    }
    std::vector<Dim> shape;
    for (int i = 0; i < 2; ++i) {
      const Dim &p = x->type.shape[i], &q = y->type.shape[i];
      if (!p.isStatic() && !q.isStatic()) {
        error(e.loc, "'kron': dims '" + p.str(program_->dyns) + "' and '" +
                         q.str(program_->dyns) +
                         "' are both dyn: their product is not linear");
        return Val::none();
      }
      auto r = p.isStatic() ? scaleDim(q, p.constant) : scaleDim(p, q.constant);
      if (!r) {
        error(e.loc, "integer overflow in the result shape");
        return Val::none();
      }
      shape.push_back(*r);
    }
    return Val::tensor(make(TensorType{x->type.elem, shape}, {x, y}));
  }
  case Rule::Split: {
    if (!bind(a, l))
      return Val::none();
    Node *x = tensorArg(a[0], l[0], "the argument");
    std::vector<Dim> sizes;
    if (!x || !shapeList(a[1], l[1], sizes))
      return Val::none();
    if (x->type.rank() == 0) {
      error(l[0], "'split' needs a tensor of rank 1 or more");
      return Val::none();
    }
    int64_t axis = int64_t(byDefault(2));
    if (a[2].kind != Val::None) {
      auto v = constIntArg(a[2], l[2], "axis");
      if (!v)
        return Val::none();
      axis = *v;
    }
    auto ax = normalizeAxis(axis, x->type.rank(), l[2]);
    if (!ax || !checkRowIndependent(x->type, *ax, e.loc, "'split'", ctx))
      return Val::none();
    if (sizes.empty()) {
      error(l[1], "'split' needs at least one size");
      return Val::none();
    }
    Dim total = Dim::of(0);
    for (const Dim &d : sizes) {
      auto t = addDims(total, d);
      if (!t) {
        error(l[1], "integer overflow in the sizes");
        return Val::none();
      }
      total = *t;
    }
    if (total != x->type.shape[*ax]) {
      error(l[1], "'split': the sizes add up to " + total.str(program_->dyns) +
                      ", but axis " + std::to_string(*ax) + " of " +
                      typeStr(x->type) + " has " +
                      x->type.shape[*ax].str(program_->dyns));
      return Val::none();
    }
    // One piece per size: a slice at its offset along the axis.
    Val tuple;
    tuple.kind = Val::Tuple;
    Dim offset = Dim::of(0);
    for (const Dim &d : sizes) {
      TensorType piece = x->type;
      piece.shape[*ax] = d;
      Node *n = addNode(ctx, Op::Slice, piece, e.loc, {x});
      n->offsets.assign(x->type.rank(), Dim::of(0));
      n->offsets[*ax] = offset;
      // The sizes add up to the axis: none negative keeps each in bounds.
      if (!requireNonNegativeSizes(n, {d}, "'split'", l[1]))
        return Val::none();
      tuple.elems.push_back(Val::tensor(n));
      offset = *addDims(offset, d);
    }
    return tuple;
  }
  case Rule::Decision:
  case Rule::Combine:
  case Rule::Optimize:
    break;
  }
  error(e.loc, "internal error: '" + name + "' has no type rule");
  return Val::none();
}

Val Analyzer::callEntry(const Val &callee, std::vector<Val> args, SourceLoc loc,
                        Context &ctx) {
  if (ctx.module) {
    error(loc, "a module cannot call the entry '" + callee.name + "'");
    return Val::none();
  }
  int index = requireEntry(callee.name, loc);
  if (index < 0)
    return Val::none();
  const EntrySpec &target = program_->entries[index];
  if (args.size() != target.argTypes.size()) {
    Diagnostic &d =
        error(loc, "entry '" + target.name + "' takes " +
                       std::to_string(target.argTypes.size()) + " argument" +
                       (target.argTypes.size() == 1 ? "" : "s") + ", got " +
                       std::to_string(args.size()));
    DiagnosticEngine::note(d, target.loc,
                           "'" + target.name + "' is defined here");
    return Val::none();
  }
  // Entries are polymorphic in their dyns, like modules.
  std::vector<Node *> operands;
  std::vector<TensorType> argTypes;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].kind != Val::Tensor) {
      error(loc, "argument " + std::to_string(i + 1) + " of '" + target.name +
                     "' must be a tensor");
      return Val::none();
    }
    operands.push_back(args[i].node);
    argTypes.push_back(args[i].node->type);
  }
  std::vector<std::optional<Dim>> subst(program_->dyns.size());
  int bad = bindSignature(target.argTypes, argTypes, subst);
  if (bad >= 0) {
    Diagnostic &d =
        error(loc, "argument " + std::to_string(bad + 1) + " of entry '" +
                       target.name + "' has type " + typeStr(argTypes[bad]) +
                       ", expected " + typeStr(target.argTypes[bad]));
    DiagnosticEngine::note(d, target.loc,
                           "'" + target.name + "' is defined here");
    return Val::none();
  }
  std::vector<TensorType> results;
  for (const TensorType &t : target.resultTypes) {
    auto r = substituteType(t, subst);
    if (!r) {
      error(loc, "integer overflow in the result shape");
      return Val::none();
    }
    results.push_back(*r);
  }
  // The callee is inlined: its size counts, as a module call's does.
  if (!spendInlined(loc, inlinedEntrySize(size_t(index))))
    return Val::none();
  Node *call = addNode(ctx, Op::CallEntry, results[0], loc, operands);
  call->index = index;
  call->name = target.name;
  call->tupleTypes = results;
  if (results.size() == 1)
    return Val::tensor(call);
  Val tuple;
  tuple.kind = Val::Tuple;
  for (size_t i = 0; i < results.size(); ++i) {
    Node *get = addNode(ctx, Op::TupleGet, results[i], loc, {call});
    get->index = int64_t(i);
    tuple.elems.push_back(Val::tensor(get));
  }
  return tuple;
}

} // namespace detail
} // namespace modc
