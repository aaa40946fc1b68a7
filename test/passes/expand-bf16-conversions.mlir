// bf16 arithmetic is computed in f32 between conversions, and the
// conversions become integer arithmetic (round to nearest even: bias 0x7fff
// plus bit 16; NaN to 0x7fc0); f16 is left to LLVM.
// RUN: mod-opt %s --mod-expand-bf16-conversions | FileCheck %s

// CHECK-LABEL: func.func @mul
// CHECK-NOT:     arith.extf
// CHECK-NOT:     arith.truncf
// CHECK-DAG:     arith.constant 32767 : i32
// CHECK-DAG:     arith.constant 32704 : i16
// CHECK-DAG:     arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK-DAG:     arith.shrui
// CHECK-DAG:     arith.cmpf une
// CHECK:         return %{{.*}} : bf16
func.func @mul(%x: bf16, %y: bf16) -> bf16 {
  %p = arith.mulf %x, %y : bf16
  return %p : bf16
}

// CHECK-LABEL: func.func @widen
// CHECK:         arith.bitcast %{{.*}} : bf16 to i16
// CHECK:         arith.extui
// CHECK:         arith.shli
// CHECK:         arith.bitcast %{{.*}} : i32 to f32
func.func @widen(%x: bf16) -> f32 {
  %w = arith.extf %x : bf16 to f32
  return %w : f32
}

// CHECK-LABEL: func.func @half
// CHECK:         arith.mulf %{{.*}}, %{{.*}} : f16
// CHECK:         arith.extf %{{.*}} : f16 to f32
func.func @half(%x: f16, %y: f16) -> f32 {
  %p = arith.mulf %x, %y : f16
  %w = arith.extf %p : f16 to f32
  return %w : f32
}
