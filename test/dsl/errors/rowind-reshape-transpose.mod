// reshape and transpose that change or move the leading dyn axis are
// rejected, also when the rows are not the first axis: a reshape keeps the
// rows' axis and the number of elements before it.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module R(x: f32[N, 4]) -> f32[4, N] { return reshape(x, [4, N]); }
module T(x: f32[N, 4]) -> f32[4, N] { return transpose(x, [1, 0]); }
module Ok(x: f32[N, 4]) -> f32[N, 2, 2] { return reshape(x, [N, 2, 2]); }
module Inner(x: f32[N, 4]) -> f32[1, 4, N] {
  let q = expand(x, [1, N, 4]);
  let ok = reshape(q, [N, 2, 2]);
  return reshape(q, [1, 4, N]);
}
// CHECK:      [[FILE]]:7:46: error: 'reshape' changes the leading dimension: module R must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module R(x: f32[N, 4]) -> f32[4, N] { return reshape(x, [4, N]); }
// CHECK-NEXT:                                              ^
// CHECK:      [[FILE]]:8:46: error: 'transpose' moves the leading dimension: module T must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module T(x: f32[N, 4]) -> f32[4, N] { return transpose(x, [1, 0]); }
// CHECK-NEXT:                                              ^
// CHECK:      [[FILE]]:13:10: error: 'reshape' changes the leading dimension: module Inner must be row-independent along its leading dyn 'N'
// CHECK-NEXT:   return reshape(q, [1, 4, N]);
// CHECK-NEXT:          ^
