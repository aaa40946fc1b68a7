// bool (v0.2) is a type, and returning an f32 value as bool is a type
// error; a bf16 parameter is fine.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param w: bf16[4];
entry f(x: f32[N]) -> bool[N] { return x; }
// CHECK:      [[FILE]]:7:40: error: returned value has type f32[N] but the declared result is bool[N]
