// A parameter of 2^124 elements, and a million-element array of arrays:
// counting the elements overflowed int64 and listing them never ended.
model m;
dyn N;
module Big(x: f32[N]) -> f32[N] {
  param w: f32[1000000, 1000000];
  return x;
}
module Many(x: f32[N]) -> f32[N] {
  inner: Big[1000000];
  return x;
}
param huge: f32[4611686018427387904, 4611686018427387904];
lots: Many[1000000];
entry f(x: f32[N]) -> f32[N] { return x; }
