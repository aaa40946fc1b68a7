// Entries calling entries are inlined too: each calling the one before it
// twice doubles the code per level, and the budget counts it.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model chain;
dyn N;
param w: f32[4];
entry e0(x: f32[N, 4]) -> f32[N, 4] { return x * w; }
entry e1(x: f32[N, 4]) -> f32[N, 4] { return e0(e0(x)); }
entry e2(x: f32[N, 4]) -> f32[N, 4] { return e1(e1(x)); }
entry e3(x: f32[N, 4]) -> f32[N, 4] { return e2(e2(x)); }
entry e4(x: f32[N, 4]) -> f32[N, 4] { return e3(e3(x)); }
entry e5(x: f32[N, 4]) -> f32[N, 4] { return e4(e4(x)); }
entry e6(x: f32[N, 4]) -> f32[N, 4] { return e5(e5(x)); }
entry e7(x: f32[N, 4]) -> f32[N, 4] { return e6(e6(x)); }
entry e8(x: f32[N, 4]) -> f32[N, 4] { return e7(e7(x)); }
entry e9(x: f32[N, 4]) -> f32[N, 4] { return e8(e8(x)); }
entry e10(x: f32[N, 4]) -> f32[N, 4] { return e9(e9(x)); }
entry e11(x: f32[N, 4]) -> f32[N, 4] { return e10(e10(x)); }
entry e12(x: f32[N, 4]) -> f32[N, 4] { return e11(e11(x)); }
entry e13(x: f32[N, 4]) -> f32[N, 4] { return e12(e12(x)); }
entry e14(x: f32[N, 4]) -> f32[N, 4] { return e13(e13(x)); }
entry e15(x: f32[N, 4]) -> f32[N, 4] { return e14(e14(x)); }
entry e16(x: f32[N, 4]) -> f32[N, 4] { return e15(e15(x)); }
// CHECK: [[FILE]]:{{[0-9]+}}:{{[0-9]+}}: error: the program unrolls to more than {{[0-9]+}} operations (nested 'for' loops, template instantiations, modules or entries calling others, pipes or routes through large instance arrays)
