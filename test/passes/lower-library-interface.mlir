// mod-lower-library-interface: the descriptor, the lifecycle wrappers and one
// checked entry wrapper per kernel, built from the module's model-level ops;
// what is left is plain LLVM dialect.
// RUN: mod-opt %s --split-input-file --mod-lower-library-interface --verify-diagnostics | FileCheck %s
// RUN: mod-opt %s --split-input-file --mod-lower-library-interface --verify-diagnostics | FileCheck %s --check-prefix=ENTRY
// RUN: mod-opt %s --split-input-file --mod-lower-library-interface --verify-diagnostics | FileCheck %s --check-prefix=DEVICE

// CHECK-NOT: mod.
// CHECK-DAG: llvm.mlir.global private constant @modc.descriptor("modrt 1\0Amodel m\0Adim D 4\0Adyn N\0Aparam w f32 2 4 4 frozen const 0.5\0Aparam v f32 2 4 2 trainable normal 0 0.02\0Aparam u f32 2 2 4 trainable zeros\0Aderived d 4 4 2 w 1 0 ab 2 1 2\0Aentry f 1 0\0Ain x f32 2 0 1 0 1 4 0\0Aout y f32 1 0 1 0 2\0Aend\0A\00")
// CHECK-DAG: llvm.func @m_create() -> !llvm.ptr
// CHECK-DAG: llvm.func @m_destroy(%{{.*}}: !llvm.ptr)
// CHECK-DAG: llvm.func @m_init(%{{.*}}: !llvm.ptr, %{{.*}}: i64) -> i32
// CHECK-DAG: llvm.func @m_load(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK-DAG: llvm.func @m_save(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK-DAG: llvm.func @m_set_threads(%{{.*}}: !llvm.ptr, %{{.*}}: i32) -> i32
// CHECK-DAG: llvm.func @m_error(%{{.*}}: !llvm.ptr) -> !llvm.ptr
// CHECK-DAG: llvm.func @m_describe() -> !llvm.ptr
// CHECK-DAG: llvm.func @modrt_create(!llvm.ptr) -> !llvm.ptr
// CHECK-DAG: llvm.func @modrt_fail(!llvm.ptr, i32, !llvm.ptr, ...) -> i32
// CHECK-DAG: llvm.func @_setjmp(!llvm.ptr) -> i32 attributes {passthrough = ["returns_twice"]}
// CHECK-DAG: llvm.func internal @modc.kernel.f(
// ENTRY: llvm.func @m_f(%[[M:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[X:.*]]: !llvm.ptr, %[[Y:.*]]: !llvm.ptr) -> i32
// ENTRY:   llvm.call @modrt_check_dyn(%[[M]], %{{.*}}, %{{.*}}, %[[N]])
// ENTRY:   llvm.call @modrt_param_data(%[[M]], %{{.*}}) : (!llvm.ptr, i32) -> !llvm.ptr
// ENTRY:   llvm.call @modrt_fail(%[[M]], {{.*}}) vararg
// ENTRY:   llvm.call @modrt_begin_call(%[[M]])
// ENTRY:   llvm.call @_setjmp(
// ENTRY:   llvm.call @modc.kernel.f(
// ENTRY:   llvm.call @modrt_end_call(%[[M]])
// ENTRY:   %[[RC:.*]] = llvm.call @modrt_kernel_error_take(%[[M]])
// ENTRY:   llvm.return %[[RC]] : i32
module attributes {mod.model = "m"} {
  mod.dim "D" = 4
  mod.dyn "N"
  mod.param @w : tensor<4x4xf32> init const [0.5] frozen
  mod.param @v : tensor<4x2xf32> init normal [0.0, 0.02]
  mod.param @u : tensor<2x4xf32> init zeros
  mod.derived @d : tensor<4x4xf32> = [#mod.term<1.0, @w>, #mod.term<2.0, @v, @u>]
  // One 2-D parameter, then x: [N, 4] and y: [2 N] (7 + 7 + 5 arguments).
  llvm.func @f(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64, %a5: i64, %a6: i64,
               %x0: !llvm.ptr, %x1: !llvm.ptr, %x2: i64, %x3: i64, %x4: i64, %x5: i64, %x6: i64,
               %y0: !llvm.ptr, %y1: !llvm.ptr, %y2: i64, %y3: i64, %y4: i64)
      attributes {mod.abi_params = ["w"], mod.signature = #mod.signature<dyns = ["N"],
        inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0, 4)>>],
        outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0 * 2)>>]>} {
    llvm.return
  }
}

// -----

// expected-error @+1 {{the module has no 'mod.model' name: it is not a model}}
module {
}

// -----

module attributes {mod.model = "m"} {
  // expected-error @+1 {{entry 'f' has no 'mod.abi_params': run mod-lower-entry-abi first}}
  llvm.func @f(%y0: !llvm.ptr, %y1: !llvm.ptr, %y2: i64, %y3: i64, %y4: i64)
      attributes {mod.signature = #mod.signature<dyns = [], inputs = [],
        outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
    llvm.return
  }
}

// -----

module attributes {mod.model = "m"} {
  // expected-error @+1 {{the kernel of entry 'f' takes 1 arguments, its signature gives 5}}
  llvm.func @f(%y0: !llvm.ptr)
      attributes {mod.abi_params = [], mod.signature = #mod.signature<dyns = [], inputs = [],
        outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
    llvm.return
  }
}

// -----

module attributes {mod.model = "m"} {
  // expected-error @+1 {{entry 'f' must be lowered to the LLVM dialect first}}
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
      dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
      outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
    return %x : tensor<4xf32>
  }
}

// -----

// --target=cuda: an entry's device form (mod.device_entry, from
// mod-stage-entry-buffers) is exported as NAME_ENTRY_device with a trailing
// stream, which the runtime uses for the call; it is not a second entry of
// the descriptor.
// DEVICE: llvm.mlir.global private constant @modc.descriptor("modrt 1\0Amodel m\0Adyn N\0Aentry f 1 0\0Ain x f32 1 0 1 0 1\0Aout y f32 1 0 1 0 1\0Aend\0A\00")
// DEVICE: llvm.func @m_f(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// DEVICE-NOT:     modrt_gpu_set_stream
// DEVICE:         llvm.call @modc.kernel.f(
// DEVICE: llvm.func @m_f_device(%[[M:.*]]: !llvm.ptr, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %[[S:.*]]: !llvm.ptr) -> i32
// DEVICE:         llvm.call @modrt_begin_call(%[[M]])
// DEVICE:         llvm.call @modrt_gpu_set_stream(%[[S]])
// DEVICE-NEXT:    llvm.call @modc.kernel.f.device(
// DEVICE:         %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// DEVICE-NEXT:    llvm.call @modrt_gpu_set_stream(%[[NULL]])
// DEVICE:         llvm.call @modrt_end_call(%[[M]])
module attributes {mod.model = "m"} {
  mod.dyn "N"
  llvm.func @f(%x0: !llvm.ptr, %x1: !llvm.ptr, %x2: i64, %x3: i64, %x4: i64,
               %y0: !llvm.ptr, %y1: !llvm.ptr, %y2: i64, %y3: i64, %y4: i64)
      attributes {mod.abi_params = [], mod.signature = #mod.signature<dyns = ["N"],
        inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0)>>],
        outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0)>>]>} {
    llvm.return
  }
  llvm.func @modc.device.f(%x0: !llvm.ptr, %x1: !llvm.ptr, %x2: i64, %x3: i64, %x4: i64,
               %y0: !llvm.ptr, %y1: !llvm.ptr, %y2: i64, %y3: i64, %y4: i64)
      attributes {mod.abi_params = [], mod.device_entry = #mod.signature<dyns = ["N"],
        inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0)>>],
        outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0)>>]>} {
    llvm.return
  }
}
