// RUN: mod-opt %s --split-input-file --mod-stage-entry-buffers --verify-diagnostics | FileCheck %s

// An entry is exported twice. Its host form copies every buffer argument
// into a GPU-addressable one and the outputs back; its device form (a copy
// made first, signature under mod.device_entry) passes the caller's device
// buffers to the kernels as they are, except one that host code reads: that
// one is staged with device copies (modrt_gpu_copy), never dereferenced.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:    mod.signature
// CHECK:         %[[X:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK:         memref.copy %arg1, %[[X]]
// CHECK:         %[[Y:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK-NOT:     memref.copy
// CHECK:         gpu.launch_func @k::@f {{.*}} args(%arg0 : memref<4x4xf32>, %[[X]] : memref<?x4xf32>, %[[Y]] : memref<?x4xf32>)
// CHECK:         memref.load %[[X]]
// CHECK:         memref.copy %[[Y]], %arg2
// CHECK:         return
// CHECK-LABEL: func.func @modc.device.forward(
// CHECK-SAME:    mod.device_entry = #mod.signature
// CHECK-NOT:     mod.signature
// CHECK:         %[[DX:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK:         %[[TO:.*]] = memref.extract_aligned_pointer_as_index %[[DX]]
// CHECK:         %[[FROM:.*]] = memref.extract_aligned_pointer_as_index %arg1
// CHECK:         call @modrt_gpu_copy(
// CHECK-NOT:     memref.copy
// CHECK:         gpu.launch_func @k::@f {{.*}} args(%arg0 : memref<4x4xf32>, %[[DX]] : memref<?x4xf32>, %arg2 : memref<?x4xf32>)
// CHECK:         memref.load %[[DX]]
// CHECK-NOT:     memref.copy
// CHECK:         memref.dealloc %[[DX]]
// CHECK-NEXT:    return
#map = affine_map<()[s0] -> (s0, 4)>
module attributes {gpu.container_module, mod.model = "m"} {
  mod.dyn "N"
  mod.param @w : tensor<4x4xf32> init zeros
  gpu.binary @k [#gpu.object<#nvvm.target, "">]
  func.func @forward(%w: memref<4x4xf32>, %x: memref<?x4xf32>, %y: memref<?x4xf32>) attributes {mod.abi_params = ["w"], mod.signature = #mod.signature<dyns = ["N"], inputs = [#mod.tensor<"x" : f32, #map>], outputs = [#mod.tensor<"y" : f32, #map>]>} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = memref.dim %x, %c0 : memref<?x4xf32>
    gpu.launch_func @k::@f blocks in (%n, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<4x4xf32>, %x : memref<?x4xf32>, %y : memref<?x4xf32>)
    %v = memref.load %x[%c0, %c0] {mod.device_to_host} : memref<?x4xf32>
    return
  }
}

// -----

// Arguments passed to a part of a split function count by what the part
// does with them: here only a launch, so nothing is staged.
// CHECK-LABEL: func.func @modc.device.forward(
// CHECK-NOT:     memref.alloc
// CHECK:         call @part(%arg0, %arg1)
#map = affine_map<()[s0] -> (s0, 4)>
module attributes {gpu.container_module, mod.model = "m"} {
  mod.dyn "N"
  gpu.binary @k [#gpu.object<#nvvm.target, "">]
  func.func private @part(%x: memref<?x4xf32>, %y: memref<?x4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?x4xf32>, %y : memref<?x4xf32>)
    return
  }
  func.func @forward(%x: memref<?x4xf32>, %y: memref<?x4xf32>) attributes {mod.abi_params = [], mod.signature = #mod.signature<dyns = ["N"], inputs = [#mod.tensor<"x" : f32, #map>], outputs = [#mod.tensor<"y" : f32, #map>]>} {
    func.call @part(%x, %y) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
    return
  }
}

// -----

// An entry named like another entry's device form would export the same
// symbol twice.
#map = affine_map<()[s0] -> (s0, 4)>
module attributes {gpu.container_module, mod.model = "m"} {
  mod.dyn "N"
  func.func @forward(%x: memref<?x4xf32>, %y: memref<?x4xf32>) attributes {mod.abi_params = [], mod.signature = #mod.signature<dyns = ["N"], inputs = [#mod.tensor<"x" : f32, #map>], outputs = [#mod.tensor<"y" : f32, #map>]>} {
    return
  }
  // expected-error @+1 {{entry 'forward_device' has the name of the device form of entry 'forward' in a --target=cuda library (rename it)}}
  func.func @forward_device(%x: memref<?x4xf32>, %y: memref<?x4xf32>) attributes {mod.abi_params = [], mod.signature = #mod.signature<dyns = ["N"], inputs = [#mod.tensor<"x" : f32, #map>], outputs = [#mod.tensor<"y" : f32, #map>]>} {
    return
  }
}
