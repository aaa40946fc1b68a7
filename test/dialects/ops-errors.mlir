// Every verifier rule of the mod dialect.
// RUN: mod-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{invalid init attribute specification: "gaussian"}}
mod.param @p : tensor<4xf32> init "gaussian"

// -----

// expected-error @+1 {{initialiser 'normal' takes 2 arguments, got 1}}
mod.param @p : tensor<4xf32> init normal [1.0]

// -----

// expected-error @+1 {{initialiser 'zeros' takes 0 arguments, got 1}}
mod.param @p : tensor<4xf32> init zeros [1.0]

// -----

// expected-error @+1 {{'mod.param' op attribute 'type' failed to satisfy constraint}}
mod.param @p : tensor<?xf32> init zeros

// -----

func.func @f() -> tensor<4xf32> {
  // expected-error @+1 {{'missing' does not name a mod.param}}
  %0 = mod.param_ref @missing : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

mod.param @p : tensor<4xf32> init zeros
func.func @f() -> tensor<8xf32> {
  // expected-error @+1 {{type 'tensor<8xf32>' differs from 'tensor<4xf32>' of 'p'}}
  %0 = mod.param_ref @p : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'nothing' does not name a module function}}
  %0 = mod.apply @nothing(%x) {instance = "a", num_params = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func private @plain(%x: tensor<4xf32>) -> tensor<4xf32>
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'plain' is not a module}}
  %0 = mod.apply @plain(%x) {instance = "a", num_params = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand or result types do not match}}
  %0 = mod.apply @M(%x) {instance = "a", num_params = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{num_params is 0 but 'M' has 1 parameter arguments}}
  %0 = mod.apply @M(%x, %x) {instance = "a", num_params = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{num_params 3 exceeds the number of operands}}
  %0 = mod.apply @M(%x, %x) {instance = "a", num_params = 3 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func private @plain(%x: tensor<4xf32>) -> tensor<4xf32>
// expected-error @+1 {{'plain' is not a module}}
mod.instance @i of @plain

// -----

func.func private @M(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.module = "M"}
// expected-error @+1 {{an instance array needs at least one element, got 0}}
mod.instance @i of @M count 0

// -----

func.func private @M(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.module = "M"}
// expected-error @+1 {{an instance array needs at least one element, got -3}}
mod.instance @i of @M count -3
