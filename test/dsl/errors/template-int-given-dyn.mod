// An integer template argument must be a compile-time integer; a dyn is
// only known at run time.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Rep<K>(x: f32[N]) -> f32[N] { return x * K; }
r: Rep<N>;
// CHECK:      [[FILE]]:7:8: error: template parameter 'K' needs a compile-time integer
// CHECK-NEXT: r: Rep<N>;
// CHECK-NEXT:        ^
