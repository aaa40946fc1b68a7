// Named arguments are for builtins only.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
id: Id;
entry f(x: f32[N]) -> f32[N] {
  return id(x = x);
}
// CHECK:      [[FILE]]:8:13: error: named arguments are only for builtins
// CHECK-NEXT:   return id(x = x);
// CHECK-NEXT:             ^
