// f16 and bf16 (LANGUAGE.md §3) never mix implicitly with f32 or each
// other: `cast` converts.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param w: bf16[4];
entry f(x: f16[N]) -> f32[N] { return x; }
entry g(x: f32[4], h: f16[4]) -> f32[4] { return x + w + h; }
entry ok(x: f16[N], y: f32[N]) -> bf16[N] { return cast(cast(x, f32) + y, bf16); }
// CHECK: [[FILE]]:7:39: error: returned value has type f16[N] but the declared result is f32[N]
// CHECK: [[FILE]]:8:52: error: element types differ: f32 + bf16 (use cast)
