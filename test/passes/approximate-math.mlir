// f32 transcendental functions become polynomial arithmetic; sqrt (an
// instruction) and log (exact for subnormal inputs only in libm) stay.
// RUN: mod-opt %s --mod-approximate-math | FileCheck %s

// CHECK-LABEL: func.func @funcs
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.tanh
// CHECK-NOT:     math.erf
// CHECK:         math.log
// CHECK-NOT:     math.erf
// CHECK:         math.sqrt
func.func @funcs(%x: f32) -> (f32, f32, f32, f32, f32) {
  %a = math.exp %x : f32
  %b = math.tanh %x : f32
  %c = math.log %x : f32
  %d = math.erf %x : f32
  %e = math.sqrt %x : f32
  return %a, %b, %c, %d, %e : f32, f32, f32, f32, f32
}
