// The type rules of pow, minimum, maximum and clamp: tensors or numbers of
// one element type, broadcasting; pow is floating-point only.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4], i: i32[N, 4], y: f32[N, 3]) -> f32[N, 4] {
  let a = pow(i, 2);
  let b = minimum(x, i);
  let c = maximum(x, y);
  let d = clamp(1.0, 0.0, 2.0);
  let e = minimum(i, 0.5);
  return x;
}
// CHECK: [[FILE]]:7:11: error: 'pow' needs floating-point tensors, got i32
// CHECK: [[FILE]]:8:22: error: 'minimum': element types differ: f32 and i32 (use cast)
// CHECK: [[FILE]]:9:22: error: 'maximum': shapes do not broadcast: f32[N, 4] and f32[N, 3]
// CHECK: [[FILE]]:10:11: error: 'clamp' needs at least one tensor argument
// CHECK: [[FILE]]:11:22: error: 'minimum': float literal used with an integer tensor of type i32
