//===- Init.cpp - Deterministic parameter initialisers --------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// NAME_init(m, seed) must give the same parameters on every machine and
/// target. This comment is that contract; changing any step changes every
/// initialised model, so it needs a new descriptor version.
///
/// Random stream of a parameter (all integer arithmetic modulo 2^64):
///   fnv1a64(s)    FNV-1a over the bytes of the parameter name: h =
///                 0xcbf29ce484222325; per byte b: h = (h ^ b) *
///                 0x100000001b3.
///   splitmix64(x) z = x + 0x9e3779b97f4a7c15;
///                 z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
///                 z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
///                 result z ^ (z >> 31).
///   key           splitmix64(seed ^ fnv1a64(name)).
///   u_i           ((splitmix64(key + i) >> 40) + 0.5) * 2^-24, i = 0, 1, ...
///                 (24 random bits; exact in double; strictly in (0, 1)).
///
/// Value of element j (row-major index) of a parameter, in double:
///   zeros, ones, const(v)  0, 1, v.
///   uniform(lo, hi)        lo + (hi - lo) * u_j.
///   xavier                 uniform(-a, a) with a = sqrt(6 / (fan_in +
///                          fan_out)); fan_in = shape[rank-2] and fan_out =
///                          shape[rank-1] for rank >= 2, both shape[0] for
///                          rank 1, both 1 for rank 0.
///   normal(m, s)           m + s * (sqrt(-2 * ln(u_{2j})) *
///                          cos(2 pi u_{2j+1})), Box-Muller's cosine branch.
///
/// Arithmetic is IEEE-754 binary64 with round-to-nearest-even, each operation
/// rounded as written: no FMA contraction (this file is compiled with
/// -ffp-contract=off and the pragma below), no extended precision, no
/// fast-math. sqrt is IEEE's correctly rounded square root. ln and cos do not
/// come from libm, whose last bits differ between libraries: they are
/// logPositive() and cosTwoPi() below, fixed polynomial evaluations made of
/// +, -, *, / and frexp, accurate to a few units in the last place of a
/// double.
///
///   ln(x): x = f * 2^e with f in [sqrt(1/2), sqrt(2)) (frexp, then f *= 2,
///     e -= 1 when f < 0x1.6a09e667f3bcdp-1); s = (f - 1) / (f + 1);
///     s2 = s * s; p = 1/23; for k = 10 down to 1: p = p * s2 + 1/(2k+1);
///     ln f = 2 * s + 2 * s * (s2 * p);
///     ln x = e * 0x1.62e42feep-1 + (e * 0x1.a39ef35793c76p-33 + ln f).
///   cos(2 pi t), t in [0, 1]: r = t; if r > 1/2: r = 1 - r; if r > 1/4:
///     r = 1/2 - r and negate the result; if r > 1/8: r = 1/4 - r and use
///     sine (all three subtractions are exact). x = r * 0x1.921fb54442d18p+2;
///     x2 = x * x; cosine: Horner in x2 of sum_{k=0..10} (-1)^k x2^k / (2k)!;
///     sine: x * (Horner in x2 of sum_{k=0..10} (-1)^k x2^k / (2k+1)!); the
///     coefficients are 1.0 / n! rounded once (every n! used is exact).
///
/// Storing the double v: f32 rounds to nearest even; f16 and bf16 round to
/// f32 first, then to nearest even in the 16-bit format (overflow gives
/// infinity); i32 and i64 truncate toward zero, saturating at the type's
/// limits; bool stores v != 0 (as `cast(x, bool)`: 0.5 is true).
///
//===----------------------------------------------------------------------===//

#include "Init.h"

#include <cfloat>
#include <cmath>
#include <cstring>

#if defined(__FAST_MATH__)
#error                                                                         \
    "Init.cpp must not be built with -ffast-math: it breaks the init contract"
#endif
#if FLT_EVAL_METHOD != 0
#error "Init.cpp needs FLT_EVAL_METHOD == 0 (no extended precision)"
#endif
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

namespace modrt {
namespace detail {

uint64_t splitmix64(uint64_t X) {
  uint64_t Z = X + 0x9e3779b97f4a7c15ULL;
  Z = (Z ^ (Z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  Z = (Z ^ (Z >> 27)) * 0x94d049bb133111ebULL;
  return Z ^ (Z >> 31);
}

uint64_t streamKey(uint64_t Seed, const char *Name) {
  return splitmix64(Seed ^ fnv1a64(Name, std::strlen(Name)));
}

double uniformDraw(uint64_t Key, uint64_t Index) {
  uint64_t Bits = splitmix64(Key + Index) >> 40;
  return (double(Bits) + 0.5) * 0x1p-24;
}

double logPositive(double X) {
  int Exponent;
  double F = std::frexp(X, &Exponent);
  if (F < 0x1.6a09e667f3bcdp-1) {
    F *= 2.0;
    --Exponent;
  }
  // ln f = 2 atanh(s), s = (f - 1) / (f + 1), |s| < 0.172: the odd series
  // 2 (s + s^3/3 + s^5/5 + ...) reaches double precision by s^23/23.
  double S = (F - 1.0) / (F + 1.0);
  double S2 = S * S;
  double P = 1.0 / 23.0;
  P = P * S2 + 1.0 / 21.0;
  P = P * S2 + 1.0 / 19.0;
  P = P * S2 + 1.0 / 17.0;
  P = P * S2 + 1.0 / 15.0;
  P = P * S2 + 1.0 / 13.0;
  P = P * S2 + 1.0 / 11.0;
  P = P * S2 + 1.0 / 9.0;
  P = P * S2 + 1.0 / 7.0;
  P = P * S2 + 1.0 / 5.0;
  P = P * S2 + 1.0 / 3.0;
  double LogF = 2.0 * S + 2.0 * S * (S2 * P);
  // ln 2 split so that E * Ln2Hi is exact.
  const double Ln2Hi = 0x1.62e42feep-1;
  const double Ln2Lo = 0x1.a39ef35793c76p-33;
  double E = double(Exponent);
  return E * Ln2Hi + (E * Ln2Lo + LogF);
}

double cosTwoPi(double T) {
  // Reduce to r in [0, 1/8] with exact subtractions (Sterbenz).
  double R = T;
  if (R > 0.5)
    R = 1.0 - R;
  bool Negate = false;
  if (R > 0.25) {
    R = 0.5 - R;
    Negate = true;
  }
  bool UseSine = false;
  if (R > 0.125) {
    R = 0.25 - R;
    UseSine = true;
  }
  double X = R * 0x1.921fb54442d18p+2;
  double X2 = X * X;
  double Result;
  if (UseSine) {
    double P = 1.0 / 51090942171709440000.0;
    P = P * X2 - 1.0 / 121645100408832000.0;
    P = P * X2 + 1.0 / 355687428096000.0;
    P = P * X2 - 1.0 / 1307674368000.0;
    P = P * X2 + 1.0 / 6227020800.0;
    P = P * X2 - 1.0 / 39916800.0;
    P = P * X2 + 1.0 / 362880.0;
    P = P * X2 - 1.0 / 5040.0;
    P = P * X2 + 1.0 / 120.0;
    P = P * X2 - 1.0 / 6.0;
    P = P * X2 + 1.0;
    Result = X * P;
  } else {
    double P = 1.0 / 2432902008176640000.0;
    P = P * X2 - 1.0 / 6402373705728000.0;
    P = P * X2 + 1.0 / 20922789888000.0;
    P = P * X2 - 1.0 / 87178291200.0;
    P = P * X2 + 1.0 / 479001600.0;
    P = P * X2 - 1.0 / 3628800.0;
    P = P * X2 + 1.0 / 40320.0;
    P = P * X2 - 1.0 / 720.0;
    P = P * X2 + 1.0 / 24.0;
    P = P * X2 - 1.0 / 2.0;
    P = P * X2 + 1.0;
    Result = P;
  }
  return Negate ? -Result : Result;
}

double normalSample(uint64_t Key, uint64_t Element) {
  double U1 = uniformDraw(Key, 2 * Element);
  double U2 = uniformDraw(Key, 2 * Element + 1);
  return std::sqrt(-2.0 * logPositive(U1)) * cosTwoPi(U2);
}

uint16_t floatToHalf(float Value) {
  uint32_t Bits;
  std::memcpy(&Bits, &Value, sizeof(Bits));
  uint16_t Sign = uint16_t((Bits >> 16) & 0x8000u);
  uint32_t Abs = Bits & 0x7fffffffu;
  if (Abs > 0x7f800000u)
    return uint16_t(Sign | 0x7e00u); // NaN stays a (quiet) NaN.
  if (Abs >= 0x477ff000u)
    return uint16_t(Sign | 0x7c00u); // >= 65520 rounds to infinity.
  if (Abs >= 0x38800000u) {
    // Normal half: rebias the exponent (127 -> 15) and round the 13
    // dropped mantissa bits to nearest even; a carry bumps the exponent.
    uint32_t Rebased = Abs - 0x38000000u;
    uint32_t Rounded = Rebased + 0xfffu + ((Rebased >> 13) & 1u);
    return uint16_t(Sign | (Rounded >> 13));
  }
  if (Abs <= 0x33000000u)
    return Sign; // <= 2^-25 rounds to zero (the tie goes to even).
  // Subnormal half: count units of 2^-24, rounding to nearest even.
  uint32_t Exponent = Abs >> 23;
  uint32_t Mantissa = (Abs & 0x7fffffu) | 0x800000u;
  uint32_t Shift = 126 - Exponent;
  uint32_t Units = Mantissa >> Shift;
  uint32_t Rest = Mantissa & ((1u << Shift) - 1);
  uint32_t Half = 1u << (Shift - 1);
  if (Rest > Half || (Rest == Half && (Units & 1u)))
    ++Units;
  return uint16_t(Sign | Units);
}

float halfToFloat(uint16_t Bits) {
  uint32_t Sign = uint32_t(Bits & 0x8000u) << 16, Exp = (Bits >> 10) & 0x1fu,
           Man = Bits & 0x3ffu;
  uint32_t Word;
  if (Exp == 0x1fu) {
    Word = Sign | 0x7f800000u | (Man << 13); // Infinity or NaN.
  } else if (Exp != 0) {
    Word = Sign | ((Exp + 112) << 23) | (Man << 13);
  } else {
    // Zero or subnormal: Man units of 2^-24, exact in f32.
    float V = float(Man) * 0x1p-24f;
    return Sign ? -V : V;
  }
  float V;
  std::memcpy(&V, &Word, sizeof(V));
  return V;
}

uint16_t floatToBFloat16(float Value) {
  uint32_t Bits;
  std::memcpy(&Bits, &Value, sizeof(Bits));
  if ((Bits & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((Bits >> 16) | 0x40u); // Quiet NaN.
  uint32_t Rounded = Bits + 0x7fffu + ((Bits >> 16) & 1u);
  return uint16_t(Rounded >> 16);
}

} // namespace detail

namespace {

int64_t toInt64(double V) {
  if (std::isnan(V))
    return 0;
  if (V >= 9223372036854775808.0)
    return INT64_MAX;
  if (V <= -9223372036854775808.0)
    return INT64_MIN;
  return int64_t(V); // Truncates toward zero.
}

int32_t toInt32(double V) {
  if (std::isnan(V))
    return 0;
  if (V >= 2147483648.0)
    return INT32_MAX;
  if (V <= -2147483649.0)
    return INT32_MIN;
  return int32_t(V); // Truncates toward zero.
}

/// Stores Value(j) for every element j of the parameter, converted to its
/// dtype as the contract says.
template <typename ValueFn>
void fill(const modrt_param_info &Param, void *Data, ValueFn Value) {
  int64_t Count = Param.count;
  switch (Param.dtype) {
  case MODRT_F32: {
    float *Out = static_cast<float *>(Data);
    for (int64_t J = 0; J < Count; ++J)
      Out[J] = float(Value(J));
    return;
  }
  case MODRT_F16: {
    uint16_t *Out = static_cast<uint16_t *>(Data);
    for (int64_t J = 0; J < Count; ++J)
      Out[J] = detail::floatToHalf(float(Value(J)));
    return;
  }
  case MODRT_BF16: {
    uint16_t *Out = static_cast<uint16_t *>(Data);
    for (int64_t J = 0; J < Count; ++J)
      Out[J] = detail::floatToBFloat16(float(Value(J)));
    return;
  }
  case MODRT_I32: {
    int32_t *Out = static_cast<int32_t *>(Data);
    for (int64_t J = 0; J < Count; ++J)
      Out[J] = toInt32(Value(J));
    return;
  }
  case MODRT_I64: {
    int64_t *Out = static_cast<int64_t *>(Data);
    for (int64_t J = 0; J < Count; ++J)
      Out[J] = toInt64(Value(J));
    return;
  }
  case MODRT_BOOL: {
    uint8_t *Out = static_cast<uint8_t *>(Data);
    for (int64_t J = 0; J < Count; ++J) {
      // The f32 draw, as for an f32 parameter, then cast's rule.
      Out[J] = float(Value(J)) != 0.0f ? 1 : 0;
    }
    return;
  }
  }
}

} // namespace

void initParameter(const modrt_param_info &Param, const InitSpec &Spec,
                   uint64_t Seed, void *Data) {
  if (Param.count <= 0)
    return;
  uint64_t Key = detail::streamKey(Seed, Param.name);
  switch (Spec.Kind) {
  case InitKind::Zeros:
    fill(Param, Data, [](int64_t) { return 0.0; });
    return;
  case InitKind::Ones:
    fill(Param, Data, [](int64_t) { return 1.0; });
    return;
  case InitKind::Const: {
    double V = Spec.A;
    fill(Param, Data, [V](int64_t) { return V; });
    return;
  }
  case InitKind::Normal: {
    double Mean = Spec.A, Std = Spec.B;
    fill(Param, Data, [=](int64_t J) {
      return Mean + Std * detail::normalSample(Key, uint64_t(J));
    });
    return;
  }
  case InitKind::Uniform:
  case InitKind::Xavier: {
    double Lo = Spec.A, Hi = Spec.B;
    if (Spec.Kind == InitKind::Xavier) {
      double FanIn = 1.0, FanOut = 1.0;
      if (Param.rank >= 2) {
        FanIn = double(Param.shape[Param.rank - 2]);
        FanOut = double(Param.shape[Param.rank - 1]);
      } else if (Param.rank == 1) {
        FanIn = FanOut = double(Param.shape[0]);
      }
      // count > 0, so every dimension and hence the sum is positive.
      double A = std::sqrt(6.0 / (FanIn + FanOut));
      Lo = -A;
      Hi = A;
    }
    fill(Param, Data, [=](int64_t J) {
      return Lo + (Hi - Lo) * detail::uniformDraw(Key, uint64_t(J));
    });
    return;
  }
  }
}

} // namespace modrt
