// Verifier rules of the model-level ops and attributes: mod.model,
// mod.dim, mod.dyn, mod.derived, mod.signature, mod.abi_params and
// mod.train.
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

// -----

// Names that become C identifiers of the header and keys of the library's
// description.
// expected-error @+1 {{entry name 'a-b' is not a C identifier}}
func.func @"a-b"(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
    dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{an entry cannot be named 'init': NAME_init is a function of every compiled library}}
func.func @init(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
    dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{tensor name 'x y' is not a C identifier}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
    dyns = [], inputs = [#mod.tensor<"x y" : f32, affine_map<() -> (4)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
  return %x : tensor<4xf32>
}

// -----

// A dim computed from dyns is dynamic in the function too: a static one
// would be written whatever size the caller passed.
module attributes {mod.model = "m"} {
  mod.dyn "N"
  // expected-error @+1 {{'y' is 'tensor<8x4xf32>' in the function but #mod.tensor<"y" : f32, affine_map<()[s0] -> (s0, 4)>> in the signature}}
  func.func @f(%x: tensor<?x4xf32>) -> tensor<8x4xf32> attributes {mod.signature = #mod.signature<
      dyns = ["N"], inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0, 4)>>],
      outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0, 4)>>]>} {
    %c = arith.constant dense<0.0> : tensor<8x4xf32>
    return %c : tensor<8x4xf32>
  }
}

// -----

// mod.train (LANGUAGE.md §10): trainable mod.params, none twice, a rank-0
// f32 loss.
module attributes {mod.model = "m"} {
  mod.param @w : tensor<4xf32> init zeros frozen
  // expected-error @+1 {{updates frozen parameter 'w'}}
  func.func @fit(%x: tensor<4xf32>) -> tensor<f32> attributes {mod.signature = #mod.signature<
      dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
      outputs = [#mod.tensor<"loss" : f32, affine_map<() -> ()>>]>,
      mod.train = [#mod.update<sgd, [@w], [1.0, 0.0, 0.0, 0.0]>]} {
    %c = arith.constant dense<0.0> : tensor<f32>
    return %c : tensor<f32>
  }
}

// -----

// Integer and bool parameters carry no gradient: never an update target.
module attributes {mod.model = "m"} {
  mod.param @k : tensor<4xi64> init zeros
  // expected-error @+1 {{updates parameter 'k' of type 'tensor<4xi64>': only floating-point parameters can be updated}}
  func.func @fit(%x: tensor<4xf32>) -> tensor<f32> attributes {mod.signature = #mod.signature<
      dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
      outputs = [#mod.tensor<"loss" : f32, affine_map<() -> ()>>]>,
      mod.train = [#mod.update<sgd, [@k], [1.0, 0.0, 0.0, 0.0]>]} {
    %c = arith.constant dense<0.0> : tensor<f32>
    return %c : tensor<f32>
  }
}

// -----

module attributes {mod.model = "m"} {
  mod.param @w : tensor<4xf32> init zeros
  // expected-error @+1 {{parameter 'w' is updated twice}}
  func.func @fit(%x: tensor<4xf32>) -> tensor<f32> attributes {mod.signature = #mod.signature<
      dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
      outputs = [#mod.tensor<"loss" : f32, affine_map<() -> ()>>]>,
      mod.train = [#mod.update<sgd, [@w], [1.0, 0.0, 0.0, 0.0]>,
                   #mod.update<adam, [@w], [1.0, 0.9, 0.999, 1.0e-08, 0.0]>]} {
    %c = arith.constant dense<0.0> : tensor<f32>
    return %c : tensor<f32>
  }
}

// -----

module attributes {mod.model = "m"} {
  mod.param @w : tensor<4xf32> init zeros
  // expected-error @+1 {{updates unknown parameter 'v'}}
  func.func @fit(%x: tensor<4xf32>) -> tensor<f32> attributes {mod.signature = #mod.signature<
      dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
      outputs = [#mod.tensor<"loss" : f32, affine_map<() -> ()>>]>,
      mod.train = [#mod.update<sgd, [@v], [1.0, 0.0, 0.0, 0.0]>]} {
    %c = arith.constant dense<0.0> : tensor<f32>
    return %c : tensor<f32>
  }
}

// -----

module attributes {mod.model = "m"} {
  mod.param @w : tensor<4xf32> init zeros
  // expected-error @+1 {{a train block returns a rank-0 f32 loss first}}
  func.func @fit(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
      dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
      outputs = [#mod.tensor<"loss" : f32, affine_map<() -> (4)>>]>,
      mod.train = [#mod.update<sgd, [@w], [1.0, 0.0, 0.0, 0.0]>]} {
    return %x : tensor<4xf32>
  }
}

// -----

// expected-error @+1 {{an entry cannot be named '__modc_par_body_0': names beginning with __modc are the compiler's}}
func.func @__modc_par_body_0(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<
    dyns = [], inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{model name 'int' cannot name the library's C type}}
module attributes {mod.model = "int"} {
}

// -----

// expected-error @+1 {{'__metadata__' is the weight file's metadata key, not a parameter name}}
mod.param @__metadata__ : tensor<2xf32> init zeros

// -----

// Names reach the library's descriptor and header as they are: only
// state_dict names (no record of the descriptor can be forged).
module attributes {mod.model = "m"} {
  // expected-error @+1 {{'w f32 1 1 trainable zeros' is not a parameter name}}
  mod.param @"w f32 1 1 trainable zeros" : tensor<4xf32> init zeros
}

// -----

module attributes {mod.model = "m"} {
  // expected-error @+1 {{parameter 'd' has element type 'f64'; parameters are f32, f16, bf16, i32, i64 or i1}}
  mod.param @d : tensor<3xf64> init zeros
}

// -----

module attributes {mod.model = "m"} {
  // expected-error @+1 {{parameter 'h' holds more than 2^58 elements}}
  mod.param @h : tensor<4611686018427387904x4xf32> init zeros
}

// -----

module attributes {mod.model = "m"} {
  // expected-error @+1 {{'D D' is not a dim name}}
  mod.dim "D D" = 3
}

// -----

// A cycle of calls through an entry (inlining it would never end).
module attributes {mod.model = "m"} {
  mod.dyn "N"
  mod.param @a.w : tensor<4xf32> init ones
  // expected-error @+1 {{calls itself through 'f': a cycle of calls, applications or route targets cannot be inlined}}
  func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"} {
    %y = call @f(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
  mod.instance @a of @M
  func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.signature = #mod.signature<dyns = ["N"], inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0, 4)>>], outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0, 4)>>]>} {
    %w = mod.param_ref @a.w : tensor<4xf32>
    %y = mod.apply @M(%w, %x) {instance = "a", num_params = 1 : i64} : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
}
