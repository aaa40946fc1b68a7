// Compacter (Karimi Mahabadi et al., 2021): an adapter whose projections are
// parameterised hypercomplex multiplications, W = sum_i kron(A_i, B_i), with
// the small A_i shared by every layer and the B_i per projection: a fraction
// of a bottleneck adapter's parameters. `kron` is v0.2.
model compacter;

dim D = 64;
dim K = 16;
dim n = 4;
dyn N;

// The rules shared by the layers: n matrices of n x n.
param A0: f32[n, n] = normal(0.0, 0.5);
param A1: f32[n, n] = normal(0.0, 0.5);

// A layer's own factors B_i of its down and up projections. A module cannot
// read model-level parameters, so the shared A_i and these factors meet in
// the entry, which reads both by path; the module is their holder (its
// state_dict names: layer1.down0, ...) and is not applied.
module Factors<M, R, m>(h: f32[N, M]) -> f32[N, M] {
  param down0: f32[M / m, R / m] = normal(0.0, 0.2);
  param down1: f32[M / m, R / m] = normal(0.0, 0.2);
  param up0: f32[R / m, M / m] = normal(0.0, 0.2);
  param up1: f32[R / m, M / m] = normal(0.0, 0.2);
  return h;
}

layer1: Factors<D, K, n>;
layer2: Factors<D, K, n>;

// One Compacter adapter: h + gelu(h W_down) W_up, each W a sum of two
// Kronecker products of a shared rule A_i and the layer's B_i.
entry adapt(h: f32[N, D]) -> f32[N, D] {
  let down = kron(A0, layer1.down0) + kron(A1, layer1.down1);
  let up = kron(A0, layer1.up0) + kron(A1, layer1.up1);
  let h1 = h + gelu(h @ down) @ up;
  let down2 = kron(A0, layer2.down0) + kron(A1, layer2.down1);
  let up2 = kron(A0, layer2.up0) + kron(A1, layer2.up1);
  return h1 + gelu(h1 @ down2) @ up2;
}
