// Template parameters are integers by default: a float argument is an
// error that suggests declaring the parameter `float`.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Lin<I, r>(x: f32[N, I]) -> f32[N, I] { return x; }
l: Lin<8, 2.5>;
// CHECK:      [[FILE]]:7:11: error: template parameter 'r' needs a compile-time integer (declare it 'float' to pass a float)
// CHECK-NEXT: l: Lin<8, 2.5>;
// CHECK-NEXT:           ^
