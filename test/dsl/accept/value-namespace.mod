// Values and callables share names (LANGUAGE.md §1): in a value position a
// dim or dyn is the value even where an instance has its name (`d(x) * d`
// multiplies by the dim), and left of a `.` the name is the instance (only
// an instance has members) even beside an argument of that name.
// RUN: modc %s --emit=mod | FileCheck %s
model ns;
dyn N;
dyn lin;
dim d = 2;
module Lin(x: f32[N, 3]) -> f32[N, 3] {
  param w: f32[3, 3];
  return x @ w;
}
module M(x: f32[N, 3]) -> f32[N, 3] {
  d: Lin;
  return d(x) * d;
}
m: M;
lin: Lin;
adapter: Lin;
entry f(x: f32[N, 3], y: f32[lin, 3]) -> (f32[N, 3], i64[lin]) {
  return (m(x) + lin(x), arange(lin));
}
entry g(adapter: f32[N, 3]) -> f32[3, 3] { return adapter.w; }
// CHECK-LABEL: func.func private @M
// CHECK: mod.apply @Lin({{.*}}) {instance = "d"
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK-LABEL: func.func @f
// CHECK: mod.apply @Lin({{.*}}) {instance = "lin"
// CHECK-LABEL: func.func @g
// CHECK: mod.param_ref @adapter.w
