// Names a C header cannot use as they are: the model pointer `m`, the
// device form's `stream`, keywords of C and C++ (`class`, `this`), and a
// name taken by the renaming itself (`m_`).
model m;
dyn n;
dyn class;
entry forward(m: f32[n, class], stream: f32[n], this: f32[n], m_: f32[n]) -> f32[n, class] { return m; }
