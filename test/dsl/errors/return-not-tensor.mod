// Only tensors are returned: a constant or an instance is an error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
id: Id;
entry f(x: f32[N]) -> f32[N] { return 1.0; }
entry g(x: f32[N]) -> f32[N] { return id; }
// CHECK:      [[FILE]]:7:39: error: a constant cannot be returned; return a tensor
// CHECK-NEXT: entry f(x: f32[N]) -> f32[N] { return 1.0; }
// CHECK-NEXT:                                       ^
// CHECK:      [[FILE]]:8:39: error: the returned value is not a tensor
// CHECK-NEXT: entry g(x: f32[N]) -> f32[N] { return id; }
// CHECK-NEXT:                                       ^
