// Arithmetic takes tensors and numbers; unary minus too; only instances,
// entries and one-argument builtins can be piped into.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dim D = 4;
module Id(x: f32[N]) -> f32[N] { return x; }
id: Id;
entry f(x: f32[N]) -> f32[N] {
  let a = id + x;
  let b = x * id;
  let c = -id;
  let d = x |> D;
  let e = 3 |> relu;
  return x;
}
// CHECK:      [[FILE]]:10:14: error: left operand of '+' is not a tensor or a number
// CHECK-NEXT:   let a = id + x;
// CHECK-NEXT:              ^
// CHECK:      [[FILE]]:11:13: error: right operand of '*' is not a tensor or a number
// CHECK-NEXT:   let b = x * id;
// CHECK-NEXT:             ^
// CHECK:      [[FILE]]:12:11: error: unary '-' needs a number or a tensor
// CHECK-NEXT:   let c = -id;
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:13:13: error: this value cannot be called
// CHECK-NEXT:   let d = x |> D;
// CHECK-NEXT:             ^
// CHECK:      [[FILE]]:14:13: error: 'relu' needs one tensor argument
// CHECK-NEXT:   let e = 3 |> relu;
// CHECK-NEXT:             ^
