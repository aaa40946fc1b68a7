//===- Init.h - Deterministic parameter initialisers ------------*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Runs the initialisers of LANGUAGE.md section 4 so that a seed gives the
/// same parameter bits on every machine; Init.cpp states the algorithm.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_INIT_H
#define MODRT_INIT_H

#include "Descriptor.h"

#include "modrt/modrt.h"

#include <cstdint>

namespace modrt {

/// Fills Data (Param.count elements of Param.dtype, row-major) with the
/// values of Spec for Seed.
void initParameter(const modrt_param_info &Param, const InitSpec &Spec,
                   uint64_t Seed, void *Data);

/// The pieces of the algorithm, exposed for tests.
namespace detail {
uint64_t splitmix64(uint64_t X);
/// The key of a parameter's random stream.
uint64_t streamKey(uint64_t Seed, const char *Name);
/// Draw Index of a stream: a multiple of 2^-25, strictly inside (0, 1).
double uniformDraw(uint64_t Key, uint64_t Index);
/// Natural logarithm of a positive normal double, bit-identical everywhere.
double logPositive(double X);
/// cos(2 pi T) for T in [0, 1], bit-identical everywhere.
double cosTwoPi(double T);
/// Standard normal sample of element Element of a stream (Box-Muller).
double normalSample(uint64_t Key, uint64_t Element);
/// IEEE half and bfloat16 bits of Value, rounded to nearest even.
uint16_t floatToHalf(float Value);
uint16_t floatToBFloat16(float Value);
/// The float an IEEE half's bits stand for (exact).
float halfToFloat(uint16_t Bits);
} // namespace detail

} // namespace modrt

#endif // MODRT_INIT_H
