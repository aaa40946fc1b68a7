// Values and callables live in two namespaces (LANGUAGE.md §1): a dim and a
// module may share a name, but two modules may not.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim Lin = 4;
dyn N;
module Lin(x: f32[N, 4]) -> f32[N, 4] { return x; }
module Lin(x: f32[N, 4]) -> f32[N, 4] { return x; }
// CHECK:      [[FILE]]:8:8: error: redefinition of 'Lin'
// CHECK-NEXT: module Lin(x: f32[N, 4]) -> f32[N, 4] { return x; }
// CHECK-NEXT:        ^
// CHECK-NEXT: [[FILE]]:7:8: note: previous definition is here
// CHECK-NEXT: module Lin(x: f32[N, 4]) -> f32[N, 4] { return x; }
// CHECK-NEXT:        ^
