// python/modrt's parameter access and entry names (INTERFACE.md §4): entries
// named like the Model's metadata are reachable, parameters read and write
// as arrays, and a derived (folded) weight follows a written parameter.
model params;
dim D = 4;
dyn N;
module Lin<I>(x: f32[N, I]) -> f32[N, I] {
  param w: f32[I, I] = normal(0.0, 0.5);
  return x @ w;
}
module LoRA<I, r>(x: f32[N, I]) -> f32[N, I] {
  param A: f32[I, r] = normal(0.0, 0.5);
  param B: f32[r, I] = normal(0.0, 0.5);
  return (x @ A) @ B;
}
frozen base: Lin<D>;
adapter: LoRA<D, 2>;
param ids: i32[3] = zeros;
param flags: bool[3] = zeros;
entry forward(x: f32[N, D]) -> f32[N, D] { return base(x) + adapter(x); }
entry params(x: f32[N, D]) -> f32[N, D] { return x * 2.0; }
entry dims(x: f32[N, D]) -> f32[N, D] { return x * 3.0; }
entry name(x: f32[N, D]) -> f32[N, D] { return x * 4.0; }
entry path(x: f32[N, D]) -> f32[N, D] { return x * 5.0; }
entry entries(x: f32[N, D]) -> f32[N, D] { return x * 6.0; }
entry close(x: f32[N, D]) -> f32[N, D] { return x * 7.0; }
