// A model-level parameter cannot take the name of a module, instance, entry
// or train block: all are symbols of the one IR module (the compile failed
// after --check passed, or crashed). Dims, dyns, arguments and lets may.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module L(x: f32[N, 4]) -> f32[N, 4] { param w: f32[4]; return x * w; }
l: L;
param L: f32[4];
param l: f32[4];
param f: f32[4];
param fit: f32[4];
param w: f32[4];
entry f(x: f32[N, 4]) -> f32[N, 4] { return x; }
train fit(x: f32[N, 4]) { minimize mse(x * w, x); update w with sgd(lr = 1.0); }
// CHECK: [[FILE]]:9:7: error: parameter 'L' has the name of a module, instance, entry or train block (rename one)
// CHECK: [[FILE]]:7:8: note: 'L' declared here
// CHECK: [[FILE]]:10:7: error: parameter 'l' has the name of a module, instance, entry or train block (rename one)
// CHECK: [[FILE]]:11:7: error: parameter 'f' has the name of a module, instance, entry or train block (rename one)
// CHECK: [[FILE]]:12:7: error: parameter 'fit' has the name of a module, instance, entry or train block (rename one)
