// `cast` converts to any element type (f16 too); its second argument must
// be an element type.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  let a = cast(x, f16);
  let b = cast(x, 3);
  return x;
}
// CHECK:      [[FILE]]:8:19: error: 'cast' needs an element type such as f32
// CHECK-NEXT:   let b = cast(x, 3);
// CHECK-NEXT:                   ^
