// Parameter reads by path (LANGUAGE.md §6): a wrong path says what is wrong;
// arrays need an element; modules read their own parameters by name.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dyn N;
module Adapter(x: f32[N, D]) -> f32[N, D] {
  param down: f32[D, 2] = zeros;
  return x;
}
module Outer(x: f32[N, D]) -> f32[N, D] {
  inner: Adapter;
  return x + inner.down;
}
adapters: Adapter[2];
outer: Outer;
entry f(x: f32[N, D]) -> f32[D, 2] {
  let a = adapters[0].up;
  let b = adapters.down;
  let c = adapters[5].down;
  let d = x.down;
  return adapters[1].down;
}
// CHECK-DAG: [[FILE]]:13:20: error: parameters are read by path ('a.b') in entries and train blocks; a module reads its own by name
// CHECK-DAG: [[FILE]]:18:23: error: 'adapters.0' (Adapter) has no parameter or instance 'up'
// CHECK-DAG: [[FILE]]:7:8: note: module defined here
// CHECK-DAG: [[FILE]]:19:20: error: 'adapters' is an instance array: pick an element first, as in 'adapters[0].down'
// CHECK-DAG: [[FILE]]:20:20: error: index 5 is out of bounds for 'adapters' of 2 elements
// CHECK-DAG: [[FILE]]:15:1: note: 'adapters' is declared here
// CHECK-DAG: [[FILE]]:21:13: error: '.down' needs an instance on its left (a parameter is read as 'instance.down')
