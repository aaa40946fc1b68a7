// Arithmetic has no bool form (true would count as -1): + - * / @, unary -,
// elementwise builtins and sum/mean of bool tensors are errors; comparisons,
// where, cast, max/min (any/all), maximum/minimum and argmax are not.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model e;
dyn N;
entry f(a: f32[N], b: f32[N]) -> bool[N] {
  let p = a > 0.0;
  let q = b > 0.0;
  let s = p + q;
  let n = -p;
  let r = relu(p);
  let t = sum(p, 0);
  let u = p @ q;
  let v = p |> abs;
  let ok = maximum(p, q) == (max(concat(p, q), 0) < (argmax(p, 0) > 0));
  return where(p, q, p) != cast(a, bool);
}
// CHECK: [[FILE]]:10:13: error: '+' does arithmetic, got bool[N] (cast it to f32 or i64 first)
// CHECK: [[FILE]]:11:11: error: unary '-' does arithmetic, got bool[N] (cast it to f32 or i64 first)
// CHECK: [[FILE]]:12:16: error: 'relu' does arithmetic, got bool[N] (cast it to f32 or i64 first)
// CHECK: [[FILE]]:13:15: error: 'sum' does arithmetic, got bool[N] (cast it to f32 or i64 first)
// CHECK: [[FILE]]:14:13: error: '@' does arithmetic, got bool[N] (cast it to f32 or i64 first)
// CHECK: [[FILE]]:15:13: error: 'abs' does arithmetic, got bool[N] (cast it to f32 or i64 first)
