// dyn names appear only linearly in shapes (LANGUAGE.md §3): N * M is an
// error, 2 * N and N + M are fine.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dyn M;
entry ok(x: f32[2 * N, N + M]) -> f32[2 * N, N + M] { return x; }
entry f(x: f32[N * M]) -> f32[N * M] { return x; }
// CHECK:      [[FILE]]:8:18: error: dyn dimensions may only appear linearly; 'N' * 'M' is not linear
// CHECK-NEXT: entry f(x: f32[N * M]) -> f32[N * M] { return x; }
// CHECK-NEXT:                  ^
// CHECK:      [[FILE]]:8:33: error: dyn dimensions may only appear linearly; 'N' * 'M' is not linear
// CHECK-NEXT: entry f(x: f32[N * M]) -> f32[N * M] { return x; }
// CHECK-NEXT:                                 ^
