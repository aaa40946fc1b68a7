// Three nested loops of 4096 iterations unroll to 6.9e10 steps: the checker
// hung. Now the elaboration budget stops it with one error.
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  let y = x;
  for i in 0..4096 {
    for j in 0..4096 {
      for k in 0..4096 {
        y = y + 1.0;
      }
    }
  }
  return y;
}
