// Rank polymorphism misuse (LANGUAGE.md §4): '...' outside a module
// signature, a result without it, reductions, slices and transposes over
// the '...' dims, and calls whose '...' dims disagree.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model bad;
dim D = 8;
dyn N;
dyn B;
dyn T;
module Sum<M>(h: f32[..., M]) -> f32[..., M] { return h - mean(h, axis = 0, keepdims = true); }
module First<M>(h: f32[..., M]) -> f32[..., M] { return h[0] + h; }
module Swap<M>(h: f32[..., M, M]) -> f32[..., M, M] { return transpose(h, [1, 0, 2]); }
module Lose<M>(h: f32[..., M]) -> f32[M] { return h; }
module Make<M>(h: f32[M]) -> f32[..., M] { return h; }
module Pair<M>(a: f32[..., M], b: f32[..., M]) -> f32[..., M] { return a + b; }
module Ok<M>(h: f32[..., M]) -> f32[..., M] { return h * 2.0; }
param w: f32[..., D];
s: Sum<D>;
f: First<D>;
sw: Swap<D>;
l: Lose<D>;
mk: Make<D>;
p: Pair<D>;
ok: Ok<D>;
entry e1(x: f32[..., D]) -> f32[N, D] { return x; }
entry e2(x: f32[N, D], y: f32[B, T, D], z: f32[B, D]) -> f32[N, D] {
  let a = p(x, y);
  let b = p(x, z);
  let c = ok(2.0);
  let d = ok(z[0, 0]);
  return x;
}
// CHECK: [[FILE]]:10:59: error: 'mean' over axis 0 (...) mixes rows: module Sum<8> must be row-independent along its '...' dims
// CHECK: [[FILE]]:11:59: error: a slice over axis 0 (...) mixes rows: module First<8> must be row-independent along its '...' dims
// CHECK: [[FILE]]:12:62: error: 'transpose' moves a '...' dim: module Swap<8> must be row-independent along its '...' dims
// CHECK: [[FILE]]:13:35: error: a module with '...' arguments must return '...' first (it is row-independent along those dims), e.g. f32[..., M]
// CHECK: [[FILE]]:14:34: error: '...' in the result needs an argument that starts with '...' (that is where its dims come from)
// CHECK: [[FILE]]:17:14: error: '...' is allowed only as the first dim of a module's argument and result types
// CHECK: [[FILE]]:25:17: error: '...' is allowed only as the first dim of a module's argument and result types
// CHECK: [[FILE]]:27:11: error: argument 2 of 'p' has type f32[B, T, 8], but Pair<8> expects the 1 leading dims '...' stands for in the arguments before it
// CHECK: [[FILE]]:28:11: error: argument 2 of 'p' has type f32[B, 8], but Pair<8> expects f32[..., 8]
// CHECK: [[FILE]]:29:11: error: argument 1 of 'ok' must be a tensor
// CHECK: [[FILE]]:30:11: error: argument 1 of 'ok' has type f32, but Ok<8> expects rank 1 or more (the dims after '...')
