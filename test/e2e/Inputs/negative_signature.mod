// Signature sizes linear in a dyn (test/e2e/dyn_bounds.test): N - 3 and
// 10 - N must not come out negative.
model ns;
dyn N;
module L(x: f32[N, 4]) -> f32[N, 4] { param w: f32[4, 4] = ones; return x @ w; }
ex: L[2];
entry al(x: f32[N - 3, 4]) -> f32[N - 3, 8] { return route x to ex by all combine concat; }
entry down(x: f32[10 - N, 4]) -> f32[10 - N, 4] { return x * 2.0; }
dyn M;
entry c(x: f32[N, 0], y: f32[M, 0], z: f32[N - M, 4], w: f32[3, 4]) -> f32[N - M + 3, 4] { return concat(z, w, axis = 0); }
