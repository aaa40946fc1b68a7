// Slicing (LANGUAGE.md §6): bounds outside the dim, too many items, '...'
// twice, non-integer bounds, unbound dyns, and the routed axis in a module.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 8;
dyn N;
dyn T;
dyn K;
module Rows(h: f32[N, D]) -> f32[D] { return h[0]; }
module Tail(h: f32[N, D]) -> f32[N, 4] { return h[:, 4:]; }
m0: Rows;
m1: Tail;
entry a(x: f32[N, T, D]) -> f32[D] {
  let b1 = x[:, :, 8];
  let b2 = x[:, :, -9];
  let b3 = x[..., 5:3];
  let b4 = x[..., 2:9];
  let b5 = x[0, 0, 0, 0];
  let b6 = x[..., 0, ...];
  let b7 = x[:, 1.5];
  let b8 = x[:, K];
  let b9 = x[:, x];
  let ok = m1(x[:, 0]) + x[:, -1, -4:];
  return m0(x[:, 0]);
}
entry c(x: f32[N, D]) -> f32[N, 1] {
  return x[:, D - 1:] + x[:, 7:D];
}
// CHECK: [[FILE]]:9:48: error: a slice over axis 0 (N) mixes rows: module Rows must be row-independent along its leading dyn 'N'
// CHECK: [[FILE]]:14:20: error: index 8 is out of range for axis 2 of f32[N, T, 8] (size 8)
// CHECK: [[FILE]]:15:20: error: index -9 is out of range for axis 2 of f32[N, T, 8] (size 8)
// CHECK: [[FILE]]:16:19: error: the start 5 is past the end 3 on axis 2 of f32[N, T, 8] (size 8)
// CHECK: [[FILE]]:17:19: error: the end 9 is past axis 2 of f32[N, T, 8] (size 8)
// CHECK: [[FILE]]:18:12: error: slice of f32[N, T, 8] has 4 items, more than its 3 dims
// CHECK: [[FILE]]:19:22: error: '...' may appear only once in a slice
// CHECK: [[FILE]]:20:17: error: a slice bound must be an integer: a compile-time integer or a linear expression of dyns
// CHECK: [[FILE]]:21:17: error: slice bound 'K' uses dyn 'K', which no argument's shape determines here
// CHECK: [[FILE]]:22:17: error: a slice bound must be an integer: a compile-time integer or a linear expression of dyns (to pick rows by a tensor of ids, use 'embedding')
