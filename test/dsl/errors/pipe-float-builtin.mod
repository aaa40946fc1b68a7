// A piped elementwise builtin checks its argument's element type as a call
// does (the vocabulary's argument type): gelu needs floats, relu does not.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: i32[N, 4]) -> i32[N, 4] {
  let r = x |> relu |> abs;
  return r |> gelu;
}
// CHECK:      [[FILE]]:8:12: error: 'gelu' needs a floating-point tensor, got i32[N, 4]
// CHECK-NEXT:   return r |> gelu;
// CHECK-NEXT:            ^
