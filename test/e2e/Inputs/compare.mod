// Comparisons, where and bool tensors (LANGUAGE.md §6, v0.2): bool inputs
// and outputs, numbers taking the other side's type, cast to and from bool.
model cmpm;
dyn N;
entry f(x: f32[N, 4], y: f32[N, 4], i: i64[N], m: bool[N, 4]) -> (bool[N, 4], f32[N, 4], f32[N, 4], i64[N], bool[N, 4], f32[N, 4]) {
  let c = x < y;
  let g = (x >= 0.5) == (y != 0.0);
  return (c, where(c, x, y * 2.0), cast(x > 0.0, f32), where(i <= 2, i, 7), m, where(m, 1.0, x));
}
// Two numbers: f32 if either is a float, else i64 (torch.where's dtypes).
entry lits(x: f32[N, 4], i: i64[N]) -> (f32[N, 4], i64[N]) {
  return (where(x > 0.0, 1.0, 0), where(i == 1, 5, -2));
}
