// The rules of eye, arange, full and kron.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model e;
dyn N;
dyn M;
dyn K;
entry f(x: f32[N, M], v: f32[N]) -> f32[N] {
  let a = eye(K + 1);
  let b = kron(x, x);
  let c = full([N], 0.5, dtype = i32);
  let d = arange(-2);
  let g = kron(v, v);
  return v;
}
// CHECK: [[FILE]]:8:11: error: 'eye': dyn 'K' is not the size of any argument here
// CHECK: [[FILE]]:9:11: error: 'kron': dims 'N' and 'N' are both dyn: their product is not linear
// CHECK: [[FILE]]:10:21: error: 'full': a float value for an integer dtype i32
// CHECK: [[FILE]]:11:18: error: 'arange': n = -2 is negative
// CHECK: [[FILE]]:12:11: error: 'kron' needs two 2-D tensors, got f32[N] and f32[N]
