// Loops big enough to be split over threads (mod-outline-parallel): every
// elementwise builtin, reductions over the last and the first axis, norms,
// broadcasting and attention, at sizes that cross the runtime's threshold.
model par;

dim D = 96;
dyn N;

param gamma: f32[D] = ones;
param beta: f32[D] = zeros;

entry elementwise(x: f32[N, D]) -> f32[N, D] {
  return gelu(x) + silu(x) * tanh(x) - sigmoid(x) + relu(x) * exp(-abs(x))
         + log(abs(x) + 1.0) + sqrt(abs(x)) / (x * x + 1.0);
}

entry norms(x: f32[N, D]) -> (f32[N, D], f32[N, D], f32[N, D], f32[N, D]) {
  return (layernorm(x, gamma, beta), rmsnorm(x, gamma), softmax(x),
          log_softmax(x, axis = 0));
}

entry reductions(x: f32[N, D]) -> (f32[N], f32[D], f32[N, 1], i64[N]) {
  return (sum(x, -1), mean(x, 0), max(x, 1, keepdims = true), argmax(x));
}

entry attend(q: f32[N, 16, D], k: f32[N, 24, D]) -> f32[N, 16, D] {
  return attention(q, k, k, heads = 4, causal = true);
}
