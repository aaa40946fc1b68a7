// v0.2 math builtins (LANGUAGE.md §6): softplus, pow (PyTorch semantics,
// a negative base with an integral exponent), minimum, maximum, clamp and the
// min reduction, broadcasting with numbers.
model nb;
dyn N;
entry f(x: f32[N, 4], y: f32[N, 4]) -> (f32[N, 4], f32[N, 4], f32[N, 4], f32[N, 4], f32[N, 4], f32[N], f32[N, 1]) {
  return (softplus(x * 30.0), pow(abs(x) + 0.5, y), minimum(x, y), maximum(x, 0.25), clamp(x, -0.5, y), min(x, 1), min(y, 1, keepdims = true));
}
entry g(x: f32[N]) -> f32[N] { return pow(x, 3.0); }
