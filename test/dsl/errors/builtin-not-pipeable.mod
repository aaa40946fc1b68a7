// Only the one-argument elementwise builtins can be piped into.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let a = x |> relu |> tanh;
  return x |> softmax;
}
// CHECK:      [[FILE]]:7:12: error: builtin 'softmax' cannot be used in a pipe
// CHECK-NEXT:   return x |> softmax;
// CHECK-NEXT:            ^
