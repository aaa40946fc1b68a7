//===- Shape.h - Symbolic shapes and broadcasting ---------------*- C++ -*-===//
//
// A dimension is a linear expression over the file's `dyn` symbols:
// constant + sum(coeff * dyn). Shapes are checked symbolically: two dims are
// equal only if the expressions are.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_DSL_SHAPE_H
#define MODC_DSL_SHAPE_H

#include "dsl/AST.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace modc {
namespace sema {

/// Largest magnitude of a dim or an integer literal (LANGUAGE.md §1).
constexpr int64_t kMaxDim = int64_t(1) << 62;
/// What the library's description holds (runtime/Descriptor.cpp): the rank
/// of a declared tensor type, the dyn terms of one dim, the dyns of one
/// entry.
constexpr size_t kMaxDeclaredRank = 32;
constexpr size_t kMaxDimTerms = 64;
constexpr size_t kMaxEntryDyns = 1024;

struct Dim {
  int64_t constant = 0;
  /// (dyn symbol, coefficient), sorted by symbol, no zero coefficients.
  std::vector<std::pair<int, int64_t>> terms;

  static Dim of(int64_t c) { return Dim{c, {}}; }
  static Dim symbol(int s) { return Dim{0, {{s, 1}}}; }
  bool isStatic() const { return terms.empty(); }
  bool operator==(const Dim &o) const {
    return constant == o.constant && terms == o.terms;
  }
  bool operator!=(const Dim &o) const { return !(*this == o); }
  std::string str(const std::vector<std::string> &dynNames) const;
};

/// Sum and scaled sum; nullopt on overflow past kMaxDim.
std::optional<Dim> addDims(const Dim &a, const Dim &b, int64_t scaleB = 1);
std::optional<Dim> scaleDim(const Dim &a, int64_t k);
/// Substitutes each symbol s by `subst[s]` (symbols without one stay).
std::optional<Dim> substitute(const Dim &d,
                              const std::vector<std::optional<Dim>> &subst);

struct TensorType {
  ast::ElemType elem = ast::ElemType::F32;
  std::vector<Dim> shape;

  size_t rank() const { return shape.size(); }
  bool isStatic() const;
  bool operator==(const TensorType &o) const {
    return elem == o.elem && shape == o.shape;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }
  /// `f32[N, 1024]`
  std::string str(const std::vector<std::string> &dynNames) const;
};

/// Binds the dyn symbols of a signature from its arguments: each parameter
/// dim that is a dyn alone (`N`) takes the argument's dim there (the first
/// occurrence wins), then a dim left with one unbound symbol solves it when
/// the division is exact (`2 * K` against `2 * T`: K = T; `K + 1` against
/// `T`: K = T - 1); then every argument must equal its parameter with the
/// binding applied. `binding` (indexed by dyn) is filled; returns the index
/// of the first argument that does not match, or -1. Counts must be equal.
int bindSignature(const std::vector<TensorType> &params,
                  const std::vector<TensorType> &args,
                  std::vector<std::optional<Dim>> &binding);

/// One step of reading the dyns from argument shapes: dim `dim` of argument
/// `arg` has the size `size`, in which `sym` (coefficient `coeff`) is the
/// one symbol no earlier step solved.
struct DynSource {
  int sym;
  int64_t coeff;
  size_t arg, dim;
  Dim size;
};

/// The dyns that the shapes `argTypes` determine, in solving order: first
/// each dim that is a symbol alone (`N`; the first occurrence), then dims
/// left with one unsolved symbol (`T + 1`, `2 * T`, `P + T` once T is
/// solved), until no step solves another.
std::vector<DynSource> solveDyns(const std::vector<TensorType> &argTypes);
/// Whether one of `steps` (solveDyns') reads dyn `sym`.
bool solves(const std::vector<DynSource> &steps, int sym);

/// `t` with `binding` applied to every dim; nullopt on overflow.
std::optional<TensorType>
substituteType(TensorType t, const std::vector<std::optional<Dim>> &binding);

/// NumPy broadcasting of two shapes; nullopt if they are incompatible.
std::optional<std::vector<Dim>> broadcastShapes(const std::vector<Dim> &a,
                                                const std::vector<Dim> &b);

/// NumPy matmul shape rule; nullopt with `why` set if incompatible.
std::optional<std::vector<Dim>>
matmulShape(const std::vector<Dim> &a, const std::vector<Dim> &b,
            std::string &why, const std::vector<std::string> &dynNames);

} // namespace sema
} // namespace modc

#endif // MODC_DSL_SHAPE_H
