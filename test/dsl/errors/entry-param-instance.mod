// Parameters and instances are declared in modules or at model level, not in
// entries.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
entry f(x: f32[N]) -> f32[N] {
  param w: f32[4];
  id: Id;
  return x;
}
// CHECK:      [[FILE]]:8:3: error: parameters are declared in modules or at model level
// CHECK-NEXT:   param w: f32[4];
// CHECK-NEXT:   ^
// CHECK:      [[FILE]]:9:3: error: instances are declared in modules or at model level
// CHECK-NEXT:   id: Id;
// CHECK-NEXT:   ^
