// A route to a million targets costs a million steps; inside a loop of 4096
// iterations the checker ran for hours and kept every target list. Routes
// are charged to the elaboration budget by their number of targets.
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
arr: Id[1000000];
entry f(x: f32[N]) -> f32[N] {
  let y = x;
  for i in 0..4096 {
    y = route y to arr by all;
  }
  return y;
}
