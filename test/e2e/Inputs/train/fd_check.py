"""Finite-difference checks of mod-differentiate's rules, one builtin at a
time, independent of any reference implementation: each program computes a
scalar from a trainable parameter through one builtin; its train block
takes one sgd(lr = 1.0) step, so the step is minus the gradient, which must
match central differences of the program's own entry (float32, step 1e-2,
tolerance 2e-3 relative to max(1, |g|)) on a few coordinates of each
parameter.

    fd_check.py
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "python"))
import modc  # noqa: E402

# name -> the scalar over x (f32[N, 6]), ids (i64[N]) and the trained
# parameters p (f32[6, 6]) and q (f32[6]).
CASES = {
    "relu": "sum(sum(relu(x @ p) * x, 1), 0)",
    "gelu": "sum(sum(gelu(x @ p) * x, 1), 0)",
    "silu": "sum(sum(silu(x @ p) * x, 1), 0)",
    "sigmoid": "sum(sum(sigmoid(x @ p) * x, 1), 0)",
    "tanh": "sum(sum(tanh(x @ p) * x, 1), 0)",
    "exp": "sum(sum(exp(x @ p * 0.3), 1), 0)",
    "log": "sum(sum(log(abs(x @ p) + 1.0), 1), 0)",
    "sqrt": "sum(sum(sqrt(abs(x @ p) + 0.5), 1), 0)",
    "abs": "sum(sum(abs(x @ p) * x, 1), 0)",
    "neg_sub_div": "sum(sum((x - x @ p) / (q * q + 1.0), 1), 0)",
    "softmax": "sum(sum(softmax(x @ p, axis = -1) * x, 1), 0)",
    "log_softmax": "sum(sum(log_softmax(x @ p, axis = 1) * x, 1), 0)",
    "mean_max": "mean(max(x @ p, 1), 0) + mean(mean(x @ p, 1), 0)",
    "layernorm": "sum(sum(layernorm(x @ p, q, q * 0.5) * x, 1), 0)",
    "rmsnorm": "sum(sum(rmsnorm(x @ p, q) * x, 1), 0)",
    "concat": "sum(sum(concat(x @ p, x * q, axis = 1) @ concat(p, p, axis = 0), 1), 0)",
    "reshape_transpose": "sum(sum(reshape(transpose(reshape(x @ p, [N, 2, 3]), [0, 2, 1]), [N, 6]) * x, 1), 0)",
    "expand": "sum(sum(expand(q, [N, 6]) * (x @ p), 1), 0)",
    "broadcast_bias": "sum(sum(tanh(x @ p + q) * x, 1), 0)",
    "attention": "sum(sum(sum(attention(reshape(x @ p, [1, N, 6]), reshape(x, [1, N, 6]), reshape(x * q, [1, N, 6]), heads = 2, causal = true), 2), 1), 0)",
    "mse": "mse(x @ p, x)",
    "cross_entropy": "cross_entropy(x @ p, ids)",
    "z_loss": "z_loss(x @ p)",
    "load_balance": "load_balance(x @ p, 2)",
    "embedding": "sum(sum(embedding(p, ids) * x, 1), 0)",
    "softplus": "sum(sum(softplus(x @ p * 3.0) * x, 1), 0)",
    "pow": "sum(sum(pow(abs(x @ p) + 0.5, q * 0.5) * x, 1), 0)",
    "pow_negative_base": "sum(sum(pow(x @ p, 3.0), 1), 0)",
    "minimum_maximum": "sum(sum(minimum(x @ p, q) * x + maximum(x @ p, 0.1) * x, 1), 0)",
    "clamp": "sum(sum(clamp(x @ p, -0.3, q * 0.5) * x, 1), 0)",
    "min": "sum(min(x @ p, 1), 0) + sum(sum(min(x @ p, 0, keepdims = true), 1), 0)",
    "where": "sum(sum(where(x > 0.0, x @ p, q * 0.5 + x) * x, 1), 0)",
    "kron_eye": "sum(sum(tanh(kron(p, eye(2)) @ full([12, 1], 0.5)), 1), 0) + sum(sum(x @ (p + eye(6)), 1), 0)",
}


def program(expr):
    return f"""model fd;
dyn N;
param p: f32[6, 6] = normal(0.0, 0.5);
param q: f32[6] = normal(1.0, 0.3);
entry f(x: f32[N, 6], ids: i64[N]) -> f32 {{
  return {expr};
}}
train step(x: f32[N, 6], ids: i64[N]) {{
  minimize f(x, ids);
  update p, q with sgd(lr = 1.0);
}}
"""


def main():
    s = modc.Session()
    rng = np.random.default_rng(5)
    failed = 0
    for name, expr in CASES.items():
        m = s.compile(program(expr), filename=f"{name}.mod")
        m.init(1)
        x = rng.standard_normal((5, 6)).astype(np.float32)
        ids = rng.integers(0, 6, 5).astype(np.int64)
        before = m.state_dict()
        m.step(x, ids)
        after = m.state_dict()
        m.load_state_dict(before)
        worst = 0.0
        for pname, value in before.items():
            grad = value.astype(np.float64) - after[pname]
            flat = value.reshape(-1)
            for i in rng.choice(flat.size, size=min(6, flat.size), replace=False):
                h = 1e-2
                vals = []
                for sign in (1, -1):
                    v = flat.copy()
                    v[i] += sign * h
                    m[pname] = v.reshape(value.shape)
                    vals.append(float(m.f(x, ids)))
                m[pname] = value
                fd = (vals[0] - vals[1]) / (2 * h)
                g = grad.reshape(-1)[i]
                err = abs(fd - g) / max(1.0, abs(g))
                worst = max(worst, err)
        status = "ok" if worst < 2e-3 else "FAIL"
        failed += status == "FAIL"
        print(f"{status} {name}: worst relative error {worst:.1e}")
    # Ties: `max` sends the gradient to the first maximum, and a `max`
    # route to the earlier target; relu's gradient at 0 is 0.
    ties = program("max(q, 0) + sum(sum(relu(x * 0.0), 1), 0)").replace(
        "normal(1.0, 0.3)", "ones")
    m = s.compile(ties, filename="ties.mod")
    m.init(1)
    before = m.state_dict()
    x = rng.standard_normal((5, 6)).astype(np.float32)
    m.step(x, np.zeros(5, np.int64))
    g = before["q"] - m["q"]
    assert np.array_equal(g, [1, 0, 0, 0, 0, 0]), g
    assert np.array_equal(m["p"], before["p"])
    print("ok ties: the first maximum takes the gradient")
    if failed:
        sys.exit(f"{failed} finite-difference checks failed")
    print("PASS finite differences")


main()
