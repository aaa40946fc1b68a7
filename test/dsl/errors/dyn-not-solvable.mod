// A dyn must be readable from the arguments' shapes: a dim that is the dyn
// alone, or a dim in which it is the one dyn not read before (`T + 1`,
// `P + T` once T is). `P + T` alone determines neither. Module arguments
// bind the same way: `K + 1` against `T` gives K = T - 1.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dyn T;
dyn P;
dyn K;
module Drop(x: f32[N, K + 1]) -> f32[N, K] { return x[:, 1:]; }
module Both(x: f32[N, P + K]) -> f32[N, P + K] { return x; }
drop: Drop;
entry ok(x: f32[N, T]) -> f32[N, T - 1] { return drop(x); }
entry pt(x: f32[P + T]) -> f32[P + T] { return x; }
// CHECK: [[FILE]]:12:16: error: dyn 'P' in dimension 'P + K' cannot be read from the arguments' shapes: give it a dimension of its own in some argument
// CHECK: [[FILE]]:15:13: error: dyn 'T' in dimension 'T + P' cannot be read from the arguments' shapes: give it a dimension of its own in some argument
