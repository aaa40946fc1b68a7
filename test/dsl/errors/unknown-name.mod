// A name that is declared nowhere is an error at its use.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  return x + bias;
}
// CHECK:      [[FILE]]:6:14: error: unknown name 'bias'
// CHECK-NEXT:   return x + bias;
// CHECK-NEXT:              ^
