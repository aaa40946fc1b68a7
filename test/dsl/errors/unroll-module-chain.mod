// Modules that each apply the next twice: 17 modules, 2^17 calls
// once inlined. The work budget counts what each call inlines, so the
// checker stops at the call that crosses it instead of the compiler
// running for hours.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module M30(x: f32[N, 2]) -> f32[N, 2] { return x * 2.0; }
module M29(x: f32[N, 2]) -> f32[N, 2] { inner: M30[2]; return x |> inner; }
module M28(x: f32[N, 2]) -> f32[N, 2] { inner: M29[2]; return x |> inner; }
module M27(x: f32[N, 2]) -> f32[N, 2] { inner: M28[2]; return x |> inner; }
module M26(x: f32[N, 2]) -> f32[N, 2] { inner: M27[2]; return x |> inner; }
module M25(x: f32[N, 2]) -> f32[N, 2] { inner: M26[2]; return x |> inner; }
module M24(x: f32[N, 2]) -> f32[N, 2] { inner: M25[2]; return x |> inner; }
module M23(x: f32[N, 2]) -> f32[N, 2] { inner: M24[2]; return x |> inner; }
module M22(x: f32[N, 2]) -> f32[N, 2] { inner: M23[2]; return x |> inner; }
module M21(x: f32[N, 2]) -> f32[N, 2] { inner: M22[2]; return x |> inner; }
module M20(x: f32[N, 2]) -> f32[N, 2] { inner: M21[2]; return x |> inner; }
module M19(x: f32[N, 2]) -> f32[N, 2] { inner: M20[2]; return x |> inner; }
module M18(x: f32[N, 2]) -> f32[N, 2] { inner: M19[2]; return x |> inner; }
module M17(x: f32[N, 2]) -> f32[N, 2] { inner: M18[2]; return x |> inner; }
module M16(x: f32[N, 2]) -> f32[N, 2] { inner: M17[2]; return route x to inner by all; }
module M15(x: f32[N, 2]) -> f32[N, 2] { inner: M16[2]; return x |> inner; }
module M14(x: f32[N, 2]) -> f32[N, 2] { inner: M15[2]; return x |> inner; }
top: M14;
entry f(x: f32[N, 2]) -> f32[N, 2] { return top(x); }
// CHECK: [[FILE]]:{{[0-9]+}}:{{[0-9]+}}: error: the program unrolls to more than {{[0-9]+}} operations (nested 'for' loops, template instantiations, modules or entries calling others, pipes or routes through large instance arrays)
