// Transcendental functions on special and extreme inputs (inf, NaN,
// overflow, subnormals): -O2 (polynomial approximations) against -O0 (libm)
// and NumPy.
model sv;
dyn N;
entry f(x: f32[N]) -> (f32[N], f32[N], f32[N], f32[N], f32[N], f32[N]) {
  return (exp(x), log(x), tanh(x), sigmoid(x), gelu(x), silu(x));
}
// argmax with NaNs: the first NaN is the maximum, as in PyTorch.
entry am(x: f32[N, 4]) -> i64[N] { return argmax(x, axis = -1); }
// softplus far below 0 (log1p of a tiny exp): relative precision kept.
entry sp(x: f32[N]) -> f32[N] { return softplus(x); }
// pow at its special values (C's and PyTorch's): pow(0, 0) = 1, pow(x, 0)
// = 1 for NaN x, pow(1, NaN) = 1, pow(-1, inf) = 1, a negative base to a
// fractional power is NaN, to an odd one negative (-0 too).
entry pw(x: f32[N], y: f32[N]) -> f32[N] { return pow(x, y); }
