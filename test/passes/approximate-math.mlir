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

// With `logarithms` (the GPU path, which has no libm): log too, its input
// scaled by 2^23 below the smallest normal (exact for subnormals), and powf
// through exp and log.
// RUN: mod-opt %s --mod-approximate-math=logarithms=true | FileCheck %s --check-prefix=GPU
// GPU-LABEL: func.func @logs
// GPU-NOT:     math.log
// GPU-NOT:     math.powf
// GPU:         arith.constant 1.17549435E-38 : f32
// GPU:         %[[SMALL:.*]] = arith.cmpf olt, %arg0
// GPU:         arith.constant 0x4B000000 : f32
// GPU:         arith.select %[[SMALL]]
// GPU:         arith.constant 15.9423847 : f32
// GPU-NOT:     math.log
// GPU-NOT:     math.powf
// GPU:         return
func.func @logs(%x: f32, %y: f32) -> (f32, f32) {
  %a = math.log %x : f32
  %b = math.powf %x, %y : f32
  return %a, %b : f32, f32
}
