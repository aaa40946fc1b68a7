// Verifier rules of the model-level ops and attributes: mod.model,
// mod.dim, mod.dyn, mod.derived, mod.signature and mod.abi_params.
// RUN: mod-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{'mod.model' must be a C identifier}}
module attributes {mod.model = "two words"} {
}

// -----

module attributes {mod.model = "m"} {
  mod.dyn "N"
  // expected-error @+1 {{dyn 'N' is declared twice}}
  mod.dyn "N"
}

// -----

// expected-error @+1 {{dim 'D' is negative (-1)}}
mod.dim "D" = -1

// -----

mod.param @w : tensor<4x4xf32> init zeros
// expected-error @+1 {{term operand @nope does not name a mod.param}}
mod.derived @d : tensor<4x4xf32> = [#mod.term<1.0, @nope>]

// -----

mod.param @a : tensor<4x2xf32> init zeros
mod.param @b : tensor<3x4xf32> init zeros
// expected-error @+1 {{multiplies 'tensor<4x2xf32>' by 'tensor<3x4xf32>', which is not 'tensor<4x4xf32>'}}
mod.derived @d : tensor<4x4xf32> = [#mod.term<1.0, @a, @b>]

// -----

// expected-error @+1 {{a derived weight is a 2-D f32 tensor}}
mod.derived @d : tensor<4xf32> = [#mod.term<1.0, @a>]

// -----

mod.param @w : tensor<4x4xf32> init zeros
// expected-error @+1 {{'mod.signature' must be a #mod.signature}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = 1 : i64} {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{signature dyn 'T' is not declared by a mod.dyn}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
    dyns = ["T"], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
  return %x : tensor<4xf32>
}

// -----

mod.dyn "N"
// expected-error @+1 {{the shape of 'x' uses dyn 'N', which the signature does not list}}
func.func @f(%x: tensor<?xf32>) -> tensor<?xf32> attributes {mod.signature = #mod.signature<
    dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0)>>]>} {
  return %x : tensor<?xf32>
}

// -----

// expected-error @+1 {{the shape of 'x' ranges over 1 symbols, but the module declares 0 dyns}}
func.func @f(%x: tensor<?xf32>) -> tensor<?xf32> attributes {mod.signature = #mod.signature<
    dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0)>>]>} {
  return %x : tensor<?xf32>
}

// -----

// expected-error @+1 {{'x' is 'tensor<4xf32>' in the function but #mod.tensor<"x" : f32, affine_map<() -> (5)>> in the signature}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
    dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (5)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{the signature has 2 inputs and 1 outputs, the function 1 and 1}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
    dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>, #mod.tensor<"z" : f32, affine_map<() -> (4)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{dim s0 floordiv 2 of 'x' is not linear in the dyns}}
#bad = #mod.tensor<"x" : f32, affine_map<()[s0] -> (s0 floordiv 2)>>

// -----

// expected-error @+1 {{'x' is named twice}}
#bad = #mod.signature<dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
                      outputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>]>

// -----

// expected-error @+1 {{'x' has element type 'f64', not one of f32, f16, bf16, i32, i64, i1}}
#bad = #mod.tensor<"x" : f64, affine_map<() -> (4)>>

// -----

// expected-error @+1 {{'mod.abi_params' entry "w" does not name a mod.param or mod.derived}}
func.func @f(%x: memref<4xf32>) attributes {mod.abi_params = ["w"]} {
  return
}
