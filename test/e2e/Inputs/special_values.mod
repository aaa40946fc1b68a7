// Transcendental functions on special and extreme inputs (inf, NaN,
// overflow, subnormals): -O2 (polynomial approximations) against -O0 (libm)
// and NumPy.
model sv;
dyn N;
entry f(x: f32[N]) -> (f32[N], f32[N], f32[N], f32[N], f32[N], f32[N]) {
  return (exp(x), log(x), tanh(x), sigmoid(x), gelu(x), silu(x));
}
