//===- LinearText.h - Dims linear in dyns, as text ---------------*- C++
//-*-===//
//
// `2 * T + 1` style text for a dimension constant + sum coeff * dyn, shared
// by the front end's types (dsl/Shape.cpp) and the dialect's signatures
// (dialects/Mod/ModModel.cpp), so diagnostics and headers read the same.
// Header-only, no dependencies.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_SUPPORT_LINEARTEXT_H
#define MODC_SUPPORT_LINEARTEXT_H

#include <cstdint>
#include <string>

namespace modc {

/// `terms` is a range of (name, coefficient) pairs in order.
template <typename Terms>
std::string formatLinearDim(int64_t constant, const Terms &terms) {
  std::string out;
  for (const auto &[name, coeff] : terms) {
    if (!out.empty())
      out += coeff < 0 ? " - " : " + ";
    else if (coeff < 0)
      out += "-";
    int64_t mag = coeff < 0 ? -coeff : coeff;
    if (mag != 1)
      out += std::to_string(mag) + " * ";
    out += name;
  }
  if (out.empty())
    return std::to_string(constant);
  if (constant > 0)
    out += " + " + std::to_string(constant);
  else if (constant < 0)
    out += " - " + std::to_string(-constant);
  return out;
}

} // namespace modc

#endif // MODC_SUPPORT_LINEARTEXT_H
