// hi - lo of these bounds is 2^63: the unroll limit check overflowed int64
// (UBSan) and the loop ran for ever.
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  for i in -4611686018427387904..4611686018427387904 {
  }
  return x;
}
