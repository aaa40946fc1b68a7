//===- Shape.cpp - Symbolic shapes and broadcasting -----------------------===//

#include "dsl/Shape.h"

#include "support/LinearText.h"

#include <algorithm>

namespace modc {
namespace sema {

namespace {
bool checkedAdd(int64_t a, int64_t b, int64_t &out) {
  if (__builtin_add_overflow(a, b, &out))
    return false;
  return out <= kMaxDim && out >= -kMaxDim;
}
bool checkedMul(int64_t a, int64_t b, int64_t &out) {
  if (__builtin_mul_overflow(a, b, &out))
    return false;
  return out <= kMaxDim && out >= -kMaxDim;
}
} // namespace

std::string Dim::str(const std::vector<std::string> &dynNames) const {
  std::vector<std::pair<std::string, int64_t>> named;
  for (auto [sym, coeff] : terms)
    named.push_back({sym >= 0 && size_t(sym) < dynNames.size()
                         ? dynNames[sym]
                         : "?" + std::to_string(sym),
                     coeff});
  return formatLinearDim(constant, named);
}

std::optional<Dim> addDims(const Dim &a, const Dim &b, int64_t scaleB) {
  Dim r;
  int64_t bc;
  if (!checkedMul(b.constant, scaleB, bc) ||
      !checkedAdd(a.constant, bc, r.constant))
    return std::nullopt;
  size_t i = 0, j = 0;
  while (i < a.terms.size() || j < b.terms.size()) {
    if (j == b.terms.size() ||
        (i < a.terms.size() && a.terms[i].first < b.terms[j].first)) {
      r.terms.push_back(a.terms[i++]);
      continue;
    }
    int64_t scaled;
    if (!checkedMul(b.terms[j].second, scaleB, scaled))
      return std::nullopt;
    if (i == a.terms.size() || b.terms[j].first < a.terms[i].first) {
      if (scaled != 0)
        r.terms.push_back({b.terms[j].first, scaled});
      ++j;
      continue;
    }
    int64_t sum;
    if (!checkedAdd(a.terms[i].second, scaled, sum))
      return std::nullopt;
    if (sum != 0)
      r.terms.push_back({a.terms[i].first, sum});
    ++i;
    ++j;
  }
  return r;
}

std::optional<Dim> scaleDim(const Dim &a, int64_t k) {
  return addDims(Dim::of(0), a, k);
}

std::optional<Dim> substitute(const Dim &d,
                              const std::vector<std::optional<Dim>> &subst) {
  Dim r = Dim::of(d.constant);
  for (auto [sym, coeff] : d.terms) {
    Dim term = sym >= 0 && size_t(sym) < subst.size() && subst[sym]
                   ? *subst[sym]
                   : Dim::symbol(sym);
    auto next = addDims(r, term, coeff);
    if (!next)
      return std::nullopt;
    r = *next;
  }
  return r;
}

namespace {

/// The symbols of `d` that `known` does not hold.
template <typename Known>
std::vector<std::pair<int, int64_t>> unknownTerms(const Dim &d, Known &&known) {
  std::vector<std::pair<int, int64_t>> out;
  for (auto term : d.terms)
    if (!known(term.first))
      out.push_back(term);
  return out;
}

} // namespace

bool solves(const std::vector<DynSource> &steps, int sym) {
  return std::any_of(steps.begin(), steps.end(),
                     [&](const DynSource &s) { return s.sym == sym; });
}

std::vector<DynSource> solveDyns(const std::vector<TensorType> &argTypes) {
  std::vector<DynSource> steps;
  auto solved = [&](int sym) { return solves(steps, sym); };
  for (bool alone : {true, false})
    for (bool progress = true; progress;) {
      progress = false;
      for (size_t a = 0; a < argTypes.size(); ++a)
        for (size_t k = 0; k < argTypes[a].rank(); ++k) {
          const Dim &d = argTypes[a].shape[k];
          bool isAlone =
              d.constant == 0 && d.terms.size() == 1 && d.terms[0].second == 1;
          if (alone != isAlone)
            continue;
          auto unknown = unknownTerms(d, solved);
          if (unknown.size() != 1)
            continue;
          steps.push_back({unknown[0].first, unknown[0].second, a, k, d});
          progress = !alone;
        }
    }
  return steps;
}

int bindSignature(const std::vector<TensorType> &params,
                  const std::vector<TensorType> &args,
                  std::vector<std::optional<Dim>> &binding) {
  auto bound = [&](int sym) {
    return sym < 0 || size_t(sym) >= binding.size() || binding[sym];
  };
  // Calls fn(parameter dim, argument dim) for the arguments of the right
  // rank.
  auto eachDim = [&](auto fn) {
    for (size_t i = 0; i < args.size(); ++i)
      if (params[i].rank() == args[i].rank())
        for (size_t k = 0; k < params[i].rank(); ++k)
          fn(params[i].shape[k], args[i].shape[k]);
  };
  eachDim([&](const Dim &w, const Dim &a) {
    if (w.constant == 0 && w.terms.size() == 1 && w.terms[0].second == 1 &&
        !bound(w.terms[0].first))
      binding[w.terms[0].first] = a;
  });
  // Then dims with one unbound symbol: w = c + k * s + (bound terms) is the
  // argument's dim a, so s = (a - c - bound terms) / k where every
  // coefficient divides exactly.
  for (bool progress = true; progress;) {
    progress = false;
    eachDim([&](const Dim &w, const Dim &a) {
      auto unknown = unknownTerms(w, bound);
      if (unknown.size() != 1)
        return;
      auto [sym, coeff] = unknown[0];
      Dim rest = w;
      rest.terms.erase(
          std::find(rest.terms.begin(), rest.terms.end(), unknown[0]));
      auto restValue = substitute(rest, binding);
      auto diff = restValue ? addDims(a, *restValue, -1) : std::nullopt;
      if (!diff || diff->constant % coeff != 0)
        return;
      Dim value = Dim::of(diff->constant / coeff);
      for (auto [s, c] : diff->terms) {
        if (c % coeff != 0)
          return;
        value.terms.push_back({s, c / coeff});
      }
      binding[sym] = value;
      progress = true;
    });
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const TensorType &want = params[i];
    bool match = want.elem == args[i].elem && want.rank() == args[i].rank();
    for (size_t k = 0; match && k < want.rank(); ++k) {
      auto d = substitute(want.shape[k], binding);
      match = d && *d == args[i].shape[k];
    }
    if (!match)
      return int(i);
  }
  return -1;
}

std::optional<TensorType>
substituteType(TensorType t, const std::vector<std::optional<Dim>> &binding) {
  for (Dim &d : t.shape) {
    auto s = substitute(d, binding);
    if (!s)
      return std::nullopt;
    d = *s;
  }
  return t;
}

bool TensorType::isStatic() const {
  for (const Dim &d : shape)
    if (!d.isStatic())
      return false;
  return true;
}

std::string TensorType::str(const std::vector<std::string> &dynNames) const {
  std::string out = ast::elemTypeName(elem);
  if (shape.empty())
    return out;
  out += "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      out += ", ";
    out += shape[i].str(dynNames);
  }
  return out + "]";
}

std::optional<std::vector<Dim>> broadcastShapes(const std::vector<Dim> &a,
                                                const std::vector<Dim> &b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<Dim> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const Dim *da = i < a.size() ? &a[a.size() - 1 - i] : nullptr;
    const Dim *db = i < b.size() ? &b[b.size() - 1 - i] : nullptr;
    Dim &o = out[rank - 1 - i];
    if (!da || (da->isStatic() && da->constant == 1 && db))
      o = *db;
    else if (!db || (db->isStatic() && db->constant == 1))
      o = *da;
    else if (*da == *db)
      o = *da;
    else
      return std::nullopt;
  }
  return out;
}

std::optional<std::vector<Dim>>
matmulShape(const std::vector<Dim> &a, const std::vector<Dim> &b,
            std::string &why, const std::vector<std::string> &dynNames) {
  if (a.empty() || b.empty()) {
    why = "operands of '@' must have rank 1 or more";
    return std::nullopt;
  }
  std::vector<Dim> la = a, lb = b;
  bool vecA = la.size() == 1, vecB = lb.size() == 1;
  if (vecA)
    la.insert(la.begin(), Dim::of(1));
  if (vecB)
    lb.push_back(Dim::of(1));
  const Dim &k1 = la[la.size() - 1];
  const Dim &k2 = lb[lb.size() - 2];
  if (k1 != k2) {
    why = "inner dimensions of '@' differ: " + k1.str(dynNames) + " and " +
          k2.str(dynNames);
    return std::nullopt;
  }
  std::vector<Dim> batchA(la.begin(), la.end() - 2);
  std::vector<Dim> batchB(lb.begin(), lb.end() - 2);
  auto batch = broadcastShapes(batchA, batchB);
  if (!batch) {
    why = "batch dimensions of '@' do not broadcast";
    return std::nullopt;
  }
  std::vector<Dim> out = *batch;
  if (!vecA)
    out.push_back(la[la.size() - 2]);
  if (!vecB)
    out.push_back(lb[lb.size() - 1]);
  return out;
}

} // namespace sema
} // namespace modc
