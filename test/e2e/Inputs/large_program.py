"""A generated program of about LINES lines (model-level instances of small
modules, one entry of ~LINES statements with skips reaching far back, two
results) and its float64 numpy reference: a compiled library whose entry is
split into many functions must compute what the program says.

usage: large_program.py LINES OUT.mod              writes the program
       large_program.py LINES LIB.so --check       runs and compares
"""
import os
import sys

import numpy as np

D = 8
ROWS = 5


def plan(lines):
    n = max(2, lines // 20)
    rng = np.random.default_rng(lines)
    steps = []
    for k in range(1, lines - 2 * n - 12):
        kind = int(rng.integers(0, 4))
        j = int(rng.integers(0, n))
        back = int(rng.integers(2, min(k, 300) + 1)) if k >= 2 else 1
        steps.append((kind, j, back))
    return n, steps


def source(lines):
    n, steps = plan(lines)
    out = ["model large;", f"dim D = {D};", "dyn N;",
           "module Lin<I>(x: f32[N, I]) -> f32[N, I] {",
           "  param w: f32[I, I] = normal(0.0, 0.3);",
           "  return x @ w;", "}",
           "module Gate<I>(x: f32[N, I]) -> f32[N, I] {",
           "  param g: f32[I] = normal(1.0, 0.1);",
           "  return sigmoid(x) * g;", "}"]
    out += [f"l{i}: Lin<D>;" for i in range(n)]
    out += [f"param p{i}: f32[D, D] = normal(0.0, 0.3);" for i in range(n)]
    out.append("entry forward(x: f32[N, D]) -> (f32[N, D], f32[N, D]) {")
    out.append("  let h0 = x;")
    for k, (kind, j, back) in enumerate(steps, start=1):
        prev, far = f"h{k - 1}", f"h{max(0, k - back)}"
        if kind == 0:
            e = f"relu(l{j}({prev})) + {prev}"
        elif kind == 1:
            e = f"tanh({prev} @ p{j}) * 0.5 + {far}"
        elif kind == 2:
            e = f"{prev} * 0.75 + {far} * 0.25"
        else:
            e = f"sigmoid({prev}) * {far}"
        out.append(f"  let h{k} = {e};")
    last = len(steps)
    out.append(f"  return (h{last}, h{last // 2} + h{last // 3});")
    out.append("}")
    return "\n".join(out) + "\n"


def reference(lines, sd, x):
    n, steps = plan(lines)
    h = [x.astype(np.float64)]
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))
    for k, (kind, j, back) in enumerate(steps, start=1):
        prev, far = h[k - 1], h[max(0, k - back)]
        if kind == 0:
            v = np.maximum(prev @ sd[f"l{j}.w"], 0.0) + prev
        elif kind == 1:
            v = np.tanh(prev @ sd[f"p{j}"]) * 0.5 + far
        elif kind == 2:
            v = prev * 0.75 + far * 0.25
        else:
            v = sig(prev) * far
        h.append(v)
    last = len(steps)
    return h[last], h[last // 2] + h[last // 3]


def main():
    lines, path = int(sys.argv[1]), sys.argv[2]
    if "--check" not in sys.argv:
        with open(path, "w") as f:
            f.write(source(lines))
        return
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
    import modrt
    m = modrt.load(path)
    m.init(7)
    sd = {k: v.astype(np.float64) for k, v in m.state_dict().items()}
    x = np.random.default_rng(1).standard_normal((ROWS, D)).astype(np.float32)
    got = m.forward(x)
    want = reference(lines, sd, x)
    for g, w, name in zip(got, want, ["first", "second"]):
        err = np.max(np.abs(g - w) / (1.0 + np.abs(w)))
        assert np.isfinite(w).all() and err < 1e-3, (name, err)
    print(f"PASS large program of {lines} lines")


main()
