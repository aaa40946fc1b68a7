// Every module body is checked, also a template's that nothing
// instantiates: its names must resolve, and its instances must not lead back
// to it (a cycle is an error whether or not it is used). A template whose
// parameters all have defaults is elaborated with them.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dyn N;
module Unused<I>(x: f32[N, I]) -> f32[N, I] { return x @ x + undefined_thing; }
module Self<I>(x: f32[N, I]) -> f32[N, I] {
  inner: Self<I>;
  return inner(x);
}
module A<I>(x: f32[N, I]) -> f32[N, I] { b: B<I>; return b(x); }
module B<I>(x: f32[N, I]) -> f32[N, I] { a: A<I>; return a(x); }
module Fine<I, r = 2>(x: f32[N, I]) -> f32[N, I] {
  param w: f32[I, r] = zeros;
  lin: Lin<I>;
  for i in 0..2 { let y = relu(x) + lin(x) * D; }
  let (p, q) = pair(x);
  return p + q;
}
module Lin<I>(x: f32[N, I]) -> f32[N, I] { return x; }
module UsesModelLevel<I>(x: f32[N, I]) -> f32[N, I] { return x * scale; }
module Defaults<I = 3>(x: f32[N, I]) -> f32[N, I] { return x + nope; }
param scale: f32 = ones;
entry pair(x: f32[N, 4]) -> (f32[N, 4], f32[N, 4]) { return (x, x); }
entry f(x: f32[N, 4]) -> f32[N, 4] { return x; }
// CHECK: [[FILE]]:9:62: error: unknown name 'undefined_thing'
// CHECK: [[FILE]]:11:10: error: module 'Self' instantiates itself
// CHECK: [[FILE]]:10:8: note: 'Self' is defined here
// CHECK: [[FILE]]:15:45: error: module 'A' instantiates itself (A -> B -> A)
// CHECK: [[FILE]]:14:8: note: 'A' is defined here
// CHECK: [[FILE]]:24:66: error: 'scale' is a model-level parameter; a module may use only its own parameters, instances and arguments
// CHECK: [[FILE]]:25:64: error: unknown name 'nope'
