// In a value, integer / integer is Python's true division (docs/design.md):
// 3 / 2 is 1.5, an exact one stays an integer and may be a dim.
// RUN: modc %s --check
model m;
dyn N;
dim D = 8;
module Scale<a, b>(x: f32[N, D / 2]) -> f32[N, D / 2] { return x * (a / b); }
s: Scale<3, 2>;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  return s(x) * (3 / 2) + x * (-7 / 2) + reshape(reshape(x, [N, 4 / 2, 2]), [N, 4]);
}

