// Parameters are read-only outside `update` (LANGUAGE.md §6): assigning to
// one by name or by path, or to a slice, is a located error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model w;
dim D = 4;
dyn N;
module A(x: f32[N, D]) -> f32[N, D] { param s: f32[D] = ones; return x * s; }
a: A;
layers: A[2];
param p: f32[D] = ones;
entry f(x: f32[N, D]) -> f32[N, D] {
  a.s = x[0];
  layers[1].s = x[0];
  p = x[0];
  x[0] = p;
  return a(x);
}
// CHECK: [[FILE]]:12:5: error: parameters are read-only here: 'a.s' cannot be assigned (a train block changes parameters with 'update')
// CHECK: [[FILE]]:13:13: error: parameters are read-only here: 'layers[1].s' cannot be assigned (a train block changes parameters with 'update')
// CHECK: [[FILE]]:14:3: error: assignment to 'p', which is not a 'let' in scope (parameters are read-only here; a train block changes them with 'update')
// CHECK: [[FILE]]:15:3: error: a slice or an instance cannot be assigned: tensors are values (build a new one, e.g. with 'concat' or 'where')
