// `cast` to an unsupported element type is an error at the type argument;
// its second argument must be an element type.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  let a = cast(x, f16);
  let b = cast(x, 3);
  return x;
}
// CHECK:      [[FILE]]:7:19: error: element type 'f16' is not supported yet (f32, i32, i64 and bool are)
// CHECK-NEXT:   let a = cast(x, f16);
// CHECK-NEXT:                   ^
// CHECK:      [[FILE]]:8:19: error: 'cast' needs an element type such as f32
// CHECK-NEXT:   let b = cast(x, 3);
// CHECK-NEXT:                   ^
