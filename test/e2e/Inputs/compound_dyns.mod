// Dyns that appear only inside compound dims (LANGUAGE.md §3: `T + P`,
// `2 * T`) are read from those dims: T = size - 1, T = size / 2, and
// P = size - T once T is known. They used to be 0 in the body, leaving the
// outputs unwritten.
model compound;
dim D = 3;
dyn N;
dyn T;
dyn P;
dyn K;

// K only in compound dims of a module's arguments.
module Tail(x: f32[N, T + 1]) -> f32[N, T] { return x[:, 1:]; }
module Pair(x: f32[N, 2 * T]) -> f32[N, T] {
  return mean(reshape(x, [N, T, 2]), axis = 2);
}

// K bound at the call from `K + 1` against the argument's `T + 2`.
module Drop(x: f32[N, K + 1]) -> f32[N, K] { return x[:, 1:] * 2.0; }

tailer: Tail;
dropper: Drop;
pairer: Pair;

entry tail(x: f32[T + 1]) -> f32[T] { return x[1:]; }
entry rows(x: f32[2 * T]) -> f32[T] { return reshape(x, [2, T])[1]; }
entry count(x: f32[T + 2]) -> i64[T] { return arange(T); }
entry window(q: f32[N, T, D], kv: f32[N, P + T, D]) -> f32[N, T, D] {
  return kv[:, P:, :] + q;
}
entry tail_mod(x: f32[N, T + 1], y: f32[T]) -> f32[N, T] { return tailer(x) + y; }
entry pair_mod(x: f32[N, T, 2]) -> f32[N, T] {
  return pairer(reshape(x, [N, 2 * T]));
}
entry drop_mod(x: f32[N, T + 2]) -> f32[N, T + 1] { return dropper(x); }

// A dim of four dyns in a signature (the verifier read freed memory from
// the fourth term on and crashed).
entry four(n: f32[N], t: f32[T], p: f32[P], k: f32[K]) -> f32[N + T + P + K] {
  return concat(concat(n, t), concat(p, k));
}
