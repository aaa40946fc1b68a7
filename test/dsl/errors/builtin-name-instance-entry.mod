// Router and aggregation names are builtin callables too: an instance named
// `topk` or an entry named `merge` is an error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
topk: Id;
entry merge(x: f32[N]) -> f32[N] { return x; }
// CHECK:      [[FILE]]:7:1: error: 'topk' is the name of a builtin and cannot be redefined
// CHECK-NEXT: topk: Id;
// CHECK-NEXT: ^
// CHECK:      [[FILE]]:8:7: error: 'merge' is the name of a builtin and cannot be redefined
// CHECK-NEXT: entry merge(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
