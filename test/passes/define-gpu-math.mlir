// mod-define-gpu-math: the one-instruction libdevice functions the NVVM
// conversion calls get bodies on LLVM's intrinsics; others stay declared.
// RUN: mod-opt %s --pass-pipeline="builtin.module(gpu.module(mod-define-gpu-math))" | FileCheck %s

// CHECK-LABEL: llvm.func internal @__nv_sqrtf(%arg0: f32) -> f32
// CHECK:         llvm.intr.sqrt(%arg0)
// CHECK-LABEL: llvm.func internal @__nv_fmaf(
// CHECK:         llvm.intr.fma(
// CHECK-LABEL: llvm.func internal @__nv_floor(%arg0: f64) -> f64
// CHECK:         llvm.intr.floor(%arg0)
// CHECK-LABEL: llvm.func internal @__nv_rsqrtf(
// CHECK:         llvm.intr.sqrt
// CHECK:         llvm.fdiv
// CHECK-LABEL: llvm.func internal @__nv_fmodf(
// CHECK:         llvm.frem
// CHECK:       llvm.func @__nv_expf(f32) -> f32
// CHECK-NOT:     llvm.intr
module attributes {gpu.container_module} {
  gpu.module @modc_kernels {
    llvm.func @__nv_sqrtf(f32) -> f32
    llvm.func @__nv_fmaf(f32, f32, f32) -> f32
    llvm.func @__nv_floor(f64) -> f64
    llvm.func @__nv_rsqrtf(f32) -> f32
    llvm.func @__nv_fmodf(f32, f32) -> f32
    llvm.func @__nv_expf(f32) -> f32
  }
}
