// Run-time bounds that depend on dyns: a class count or table size that is
// a dyn bounds the ids checked against it.
model dynb;
dyn N;
dyn C;
dyn V;
entry ce(x: f32[N, C + 2], labels: i64[N]) -> f32 {
  return cross_entropy(x, labels);
}
entry emb(table: f32[V, 4], ids: i32[N]) -> f32[N, 4] {
  return embedding(table, ids);
}
// Sizes sema cannot prove in range: the call fails with code 1 and reads
// nothing outside its inputs (a slice or split piece past the end, a
// negative size of full, arange, eye or expand).
entry head(x: f32[N, 256]) -> f32[4096, 256] {
  return x[0:4096] * 2.0;
}
entry pieces(x: f32[N, 2]) -> (f32[3, 2], f32[N - 3, 2]) {
  let (a, b) = split(x, [3, N - 3], axis = 0);
  return (a, b);
}
entry tail(x: f32[N, 2]) -> f32[2, 2] {
  let (a, b) = split(x, [N - 2, 2], axis = 0);
  return b;
}
entry sizes(x: f32[N, 2], y: f32[2]) -> (f32[N - 3, 2], i64[N - 3], f32[N - 3, N - 3], f32[N - 3, 2]) {
  return (full([N - 3, 2], 1.5), arange(N - 3), eye(N - 3), expand(y, [N - 3, 2]));
}
// The same sizes inside, not in the signature (whose own negative sizes the
// entry refuses first).
entry inner(x: f32[N, 2], y: f32[2]) -> f32[2] {
  return sum(full([N - 3, 2], 1.5), 0) + sum(expand(y, [N - 3, 2]), 0);
}
// A refused slice of K rows ends the call at the check: K = 2^40 would
// need a 16 TiB box (code 4) if the code after the check ran.
dyn K;
entry boxed(x: f32[N, 4], k: f32[K, 0]) -> f32[4] {
  return sum(x[0:K], 0);
}
