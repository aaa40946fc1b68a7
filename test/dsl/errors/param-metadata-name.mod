// A parameter named __metadata__ would be the safetensors header's metadata
// key: the file it saves would not load anywhere.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model meta;
dyn N;
param __metadata__: f32[2] = ones;
entry forward(x: f32[N, 2]) -> f32[N, 2] { return x * __metadata__; }
// CHECK: [[FILE]]:6:7: error: parameter '__metadata__' would be the weight file's metadata key (rename it)
