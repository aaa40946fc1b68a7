// An entry whose intermediate (16 TiB per row) cannot be allocated.
model oom;
dim D = 4;
dim M = 1099511627776;
dyn N;

entry forward(x: f32[N, D]) -> f32[N, D] {
  return sum(expand(reshape(x, [N, 1, D]), [N, M, D]), axis = 1);
}

entry small(x: f32[N, D]) -> f32[N, D] {
  return x * 2.0;
}
// An intermediate of N x 1000 floats where N (2^52, the input empty) makes
// its byte count wrap past 2^64: code 4, not a small buffer overrun.
entry wraps(x: f32[N, 0]) -> f32 {
  return sum(sum(full([N, 1000], 1.0), axis = 1), axis = 0);
}
