// mod-gather-gpu-kernels: the kernels of gpu-kernel-outlining's modules
// move into one gpu.module @modc_kernels, each named after its old module,
// and the launches follow.
// RUN: mod-opt %s --mod-gather-gpu-kernels | FileCheck %s

// CHECK:       gpu.module @modc_kernels {
// CHECK:         gpu.func @f_kernel(
// CHECK:         gpu.func @f_kernel_0(
// CHECK-NOT:   gpu.module
// CHECK-LABEL: func.func @f
// CHECK:         gpu.launch_func @modc_kernels::@f_kernel blocks
// CHECK:         gpu.launch_func @modc_kernels::@f_kernel_0 blocks
module attributes {gpu.container_module} {
  gpu.module @f_kernel {
    gpu.func @f(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @f(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
}
