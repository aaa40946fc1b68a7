"""Routes over NaN and +-inf: the same numbers from every library given
(-O0, -O2, the loop lowering of --gpu-mapped-on-host) and as torch's rules
(NaN is the largest logit, as torch.topk; softmax of a non-finite logit
is NaN; max over outputs propagates NaN, as torch.maximum)."""
import sys

import numpy as np

from harness import modrt

nan, inf = np.nan, np.inf
x = np.ones((4, 4), np.float32)
g = np.array([[nan, 1, 2], [1, nan, 2], [0, 0, nan], [nan, nan, nan]],
             np.float32)
gi = np.array([[inf, 0, 1], [1, 0, -inf], [2, 2, 2], [-inf, 0, 5]], np.float32)
g1 = np.array([[nan], [inf], [-inf], [0.5]], np.float32)
failed = 0


def same(a, b):
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


results = []
for path in sys.argv[1:]:
    m = modrt.load(path)
    m.init(0)
    m["sc.0.s"] = np.array([nan, 1, 1, 1], np.float32)
    m["sc.1.s"] = np.array([1, nan, 1, 1], np.float32)
    wg = np.array([[1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    out = {
        "k1 nan": m.k1(x, g), "k2 nan": m.k2(x, g), "ec nan": m.ec(x, g),
        "k1 inf": m.k1(x, gi), "k2 inf": m.k2(x, gi), "ec inf": m.ec(x, gi),
        "wmax": m.wmax(x, wg), "amax": m.amax(x),
        "one_k": m.one_k(x, g1), "one_s": m.one_s(x, g1),
        "one_sum": m.one_sum(x, g1),
    }
    results.append(out)
    ex = [x @ m["ex.%d.w" % e] for e in range(3)]
    # NaN first: every row of g holds a NaN, chosen with weight softmax([NaN]).
    checks = [
        ("k1 nan all NaN", np.isnan(out["k1 nan"]).all()),
        ("k2 nan all NaN", np.isnan(out["k2 nan"]).all()),
        # +inf first; its softmax weight over [inf] is NaN.
        ("k1 inf row 0 NaN", np.isnan(out["k1 inf"][0]).all()),
        ("k1 inf row 3 expert 2", np.allclose(out["k1 inf"][3], ex[2][3])),
        ("wmax", same(out["wmax"], np.array(
            [[nan, nan, 2, 2], [nan, 2, 2, 2], [2, nan, 2, 2], [2, 2, 2, 2]],
            np.float32))),
        ("amax", np.isnan(out["amax"][:, :2]).all()
         and (out["amax"][:, 2:] == 2).all()),
        ("one_k", np.isnan(out["one_k"][:3]).all()
         and (out["one_k"][3] == 2).all()),
        ("one_s", same(out["one_s"], out["one_k"])),
        ("one_sum", (out["one_sum"] == 2).all()),
    ]
    for name, ok in checks:
        failed += not ok
        if not ok:
            print("FAIL", path, name)
for other in results[1:]:
    for name in results[0]:
        if not same(results[0][name], other[name]):
            failed += 1
            print("FAIL libraries disagree on", name)
            print(results[0][name], other[name])
print("FAIL routes nonfinite" if failed else "PASS routes nonfinite")
