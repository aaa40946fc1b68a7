// A `float` template parameter takes a compile-time number; an integer is
// converted, anything else is an error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Scale<alpha: float>(x: f32[N]) -> f32[N] { return x * alpha; }
ok: Scale<2>;
param w: f32[4];
bad: Scale<w>;
// CHECK:      [[FILE]]:9:12: error: 'w' is a model-level parameter, not a compile-time value
// CHECK-NEXT: bad: Scale<w>;
// CHECK-NEXT:            ^
