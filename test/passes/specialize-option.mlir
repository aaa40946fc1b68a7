// --mod-eliminate-inactive-modules=specialize=ENTRY.ARG=VALUE does what
// `modc --specialize` does: the task route reaches one target.
// RUN: mod-opt %s --mod-eliminate-inactive-modules=specialize=f.t=1 | FileCheck %s
// RUN: not mod-opt %s --mod-eliminate-inactive-modules=specialize=f.nope=1 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not mod-opt %s --mod-eliminate-inactive-modules=specialize=f.t=x 2>&1 | FileCheck %s --check-prefix=BAD

mod.dyn "N"

func.func private @A(%w: tensor<4x4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32>
    attributes {mod.module = "A<4>"}

// CHECK-LABEL: func.func @f
// CHECK-NOT:     mod.dispatch
// CHECK:         mod.apply @A(%arg3, %arg0) {instance = "e.1", num_params = 1 : i64}
// ERR: --specialize f.nope=1: entry 'f' has no argument 'nope'
// BAD: --specialize f.t=x: 'x' is not an integer
func.func @f(%x: tensor<?x4xf32>, %t: tensor<?xi32>, %a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<?x4xf32>
    attributes {mod.signature = #mod.signature<dyns = ["N"],
      inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0, 4)>>, #mod.tensor<"t" : i32, affine_map<()[s0] -> (s0)>>,
                #mod.tensor<"a" : f32, affine_map<()[s0] -> (4, 4)>>, #mod.tensor<"b" : f32, affine_map<()[s0] -> (4, 4)>>],
      outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0, 4)>>]>} {
  %i, %w = mod.task %t {num_targets = 2 : i64, entry = "f", arg = "t"} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %y = mod.dispatch %x, %i, %w params(%a, %b) {targets = [@A, @A], instances = ["e.0", "e.1"],
       param_segments = array<i64: 1, 1>, aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
