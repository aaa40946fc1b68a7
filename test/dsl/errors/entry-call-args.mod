// An entry called like a module checks its arguments the same way; a module
// cannot call an entry.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry inner(x: f32[N, 4]) -> f32[N, 4] { return x; }
entry f(x: f32[N, 4], y: f32[N, 5]) -> f32[N, 4] {
  let a = inner(y);
  let b = inner(x, x);
  return x;
}
module M(x: f32[N, 4]) -> f32[N, 4] { return inner(x); }
// CHECK:      [[FILE]]:8:11: error: argument 1 of entry 'inner' has type f32[N, 5], expected f32[N, 4]
// CHECK-NEXT:   let a = inner(y);
// CHECK-NEXT:           ^
// CHECK-NEXT: [[FILE]]:6:7: note: 'inner' is defined here
// CHECK-NEXT: entry inner(x: f32[N, 4]) -> f32[N, 4] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:9:11: error: entry 'inner' takes 1 argument, got 2
// CHECK-NEXT:   let b = inner(x, x);
// CHECK-NEXT:           ^
// CHECK-NEXT: [[FILE]]:6:7: note: 'inner' is defined here
// CHECK-NEXT: entry inner(x: f32[N, 4]) -> f32[N, 4] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:12:46: error: a module cannot call the entry 'inner'
// CHECK-NEXT: module M(x: f32[N, 4]) -> f32[N, 4] { return inner(x); }
// CHECK-NEXT:                                              ^
