// An instance array has between 1 and 1000000 elements, a compile-time
// integer.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
a: Id[0];
b: Id[N];
c: Id[1000001];
ok: Id[2];
// CHECK:      [[FILE]]:7:7: error: an instance array needs between 1 and 1000000 elements, got 0
// CHECK-NEXT: a: Id[0];
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:8:7: error: an instance array size must be a compile-time integer
// CHECK-NEXT: b: Id[N];
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:9:7: error: an instance array needs between 1 and 1000000 elements, got 1000001
// CHECK-NEXT: c: Id[1000001];
// CHECK-NEXT:       ^
