// Names live in two namespaces (LANGUAGE.md §1): in a call, pipe or
// route-target position a name is the callable even where a value of the
// same name is in scope, so `lin(lin)` applies the instance `lin` to the
// argument `lin`, and `x |> relu` is the builtin beside a `let relu`.
// RUN: modc %s --emit=mod | FileCheck %s
model names;
dyn N;
module Lin(x: f32[N, 3]) -> f32[N, 3] {
  param w: f32[3, 3];
  return x @ w;
}
lin: Lin;
arr: Lin[2];
entry f(lin: f32[N, 3], arr: f32[N, 3], exp: f32[N, 3]) -> f32[N, 3] {
  let relu = lin * 2.0;
  return lin(lin) + arr[0](arr) + exp(exp) + (route exp to arr by all) + (relu |> relu);
}
// CHECK: mod.apply @Lin(%{{.*}}, %arg0) {instance = "lin"
// CHECK: mod.apply @Lin(%{{.*}}, %arg1) {instance = "arr.0"
// CHECK: math.exp
// CHECK: mod.apply @Lin(%{{.*}}, %arg2) {instance = "arr.0"
// CHECK: mod.apply @Lin(%{{.*}}, %arg2) {instance = "arr.1"
// CHECK: arith.maximumf
