// expand broadcasts to a shape NumPy-style: only size-1 dims grow, and it
// never drops dims.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param b: f32[1, 4];
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let ok = expand(b, [N, 4]);
  let a = expand(x, [N, 3, 5]);
  let c = expand(x, [4]);
  return x;
}
// CHECK:      [[FILE]]:9:11: error: 'expand': f32[N, 4] cannot be broadcast to f32[N, 3, 5]
// CHECK-NEXT:   let a = expand(x, [N, 3, 5]);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:10:11: error: 'expand': f32[N, 4] cannot be broadcast to f32[4]
// CHECK-NEXT:   let c = expand(x, [4]);
// CHECK-NEXT:           ^
