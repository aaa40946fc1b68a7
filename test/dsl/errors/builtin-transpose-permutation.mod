// transpose needs a permutation of all the axes: each once, in range.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 3, 4]) -> f32[N, 3, 4] {
  let a = transpose(x, [0, 1, 1]);
  let b = transpose(x, [0, 2]);
  let c = transpose(x, [0, 1, 3]);
  let d = transpose(x, [0, N, 1]);
  return x;
}
// CHECK:      [[FILE]]:6:24: error: 'transpose': axis 1 appears twice in the permutation
// CHECK-NEXT:   let a = transpose(x, [0, 1, 1]);
// CHECK-NEXT:                        ^
// CHECK:      [[FILE]]:7:24: error: 'transpose' needs a permutation of the 3 axes of f32[N, 3, 4]
// CHECK-NEXT:   let b = transpose(x, [0, 2]);
// CHECK-NEXT:                        ^
// CHECK:      [[FILE]]:8:24: error: axis 3 is out of range for rank 3
// CHECK-NEXT:   let c = transpose(x, [0, 1, 3]);
// CHECK-NEXT:                        ^
// CHECK:      [[FILE]]:9:24: error: 'transpose': the permutation must be compile-time integers
// CHECK-NEXT:   let d = transpose(x, [0, N, 1]);
// CHECK-NEXT:                        ^
