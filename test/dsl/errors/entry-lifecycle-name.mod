// Every compiled library exports NAME_create, NAME_init, ... (INTERFACE.md):
// an entry with one of those names, or a __modc... name, is an error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry create(x: f32[N]) -> f32[N] { return x; }
entry init(x: f32[N]) -> f32[N] { return x; }
entry load(x: f32[N]) -> f32[N] { return x; }
entry save(x: f32[N]) -> f32[N] { return x; }
entry destroy(x: f32[N]) -> f32[N] { return x; }
entry set_threads(x: f32[N]) -> f32[N] { return x; }
entry error(x: f32[N]) -> f32[N] { return x; }
entry describe(x: f32[N]) -> f32[N] { return x; }
entry get_param(x: f32[N]) -> f32[N] { return x; }
entry set_param(x: f32[N]) -> f32[N] { return x; }
entry __modc_par_body_0(x: f32[N]) -> f32[N] { return x + 1.0; }
// CHECK:      [[FILE]]:6:7: error: an entry cannot be named 'create': NAME_create is a function of every compiled library
// CHECK-NEXT: entry create(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:7:7: error: an entry cannot be named 'init': NAME_init is a function of every compiled library
// CHECK-NEXT: entry init(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:8:7: error: an entry cannot be named 'load': NAME_load is a function of every compiled library
// CHECK-NEXT: entry load(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:9:7: error: an entry cannot be named 'save': NAME_save is a function of every compiled library
// CHECK-NEXT: entry save(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:10:7: error: an entry cannot be named 'destroy': NAME_destroy is a function of every compiled library
// CHECK-NEXT: entry destroy(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:11:7: error: an entry cannot be named 'set_threads': NAME_set_threads is a function of every compiled library
// CHECK-NEXT: entry set_threads(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:12:7: error: an entry cannot be named 'error': NAME_error is a function of every compiled library
// CHECK-NEXT: entry error(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:13:7: error: an entry cannot be named 'describe': NAME_describe is a function of every compiled library
// CHECK-NEXT: entry describe(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:14:7: error: an entry cannot be named 'get_param': NAME_get_param is a function of every compiled library
// CHECK:      [[FILE]]:15:7: error: an entry cannot be named 'set_param': NAME_set_param is a function of every compiled library
// CHECK:      [[FILE]]:16:7: error: an entry cannot be named '__modc_par_body_0': names beginning with __modc are the compiler's
