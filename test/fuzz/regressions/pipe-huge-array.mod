// A pipe through an array of a million instances, inside a loop: billions
// of operations. The elaboration budget ends it with one error.
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
arr: Id[1000000];
entry f(x: f32[N]) -> f32[N] {
  let y = x;
  for i in 0..4096 {
    y = y |> arr;
  }
  return y;
}
