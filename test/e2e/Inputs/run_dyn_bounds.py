"""dyn_bounds.mod: ids checked against dyn-sized bounds, against NumPy."""

import sys

import numpy as np

from harness import modrt

m = modrt.load(sys.argv[1])
rng = np.random.default_rng(0)


def fails(call, text):
    try:
        call()
    except modrt.Error as e:
        assert e.code == 1 and text in str(e), str(e)
        return True
    return False


for classes in (2, 3, 7):
    x = rng.standard_normal((4, classes)).astype(np.float32)
    labels = np.array([0, classes - 1, classes // 2, 0])
    lse = np.log(np.exp(x.astype(np.float64)).sum(axis=1))
    ref = np.mean(lse - x[np.arange(4), labels])
    assert abs(m.ce(x, labels) - ref) < 1e-5
    assert fails(lambda: m.ce(x, np.array([0, classes, 0, 0])),
                 f"id {classes} at position 1 is outside [0, {classes})")
    print(f"ok cross_entropy C={classes}")
for rows in (1, 5):
    table = rng.standard_normal((rows, 4)).astype(np.float32)
    ids = np.array([rows - 1, 0], np.int32)
    assert np.array_equal(m.emb(table, ids), table[ids])
    assert fails(lambda: m.emb(table, np.array([rows], np.int32)),
                 f"is outside [0, {rows})")
    print(f"ok embedding V={rows}")
big = rng.standard_normal((5000, 256)).astype(np.float32)
assert np.array_equal(m.head(big), big[:4096] * 2)
assert fails(lambda: m.head(big[:3]), "needs 4096 <= N (got 4096 > 3)")
print("ok slice past the end")
x = rng.standard_normal((5, 2)).astype(np.float32)
a, b = m.pieces(x)
assert np.array_equal(a, x[:3]) and np.array_equal(b, x[3:])
assert np.array_equal(m.tail(x), x[3:])
# The signature's own N - 3 is checked first (LANGUAGE.md §8).
assert fails(lambda: m.pieces(x[:1]),
             "output 'y1' has a negative size on axis 0: N - 3 < 0")
assert fails(lambda: m.tail(x[:1]), "'split': needs 0 <= N - 2")
print("ok split pieces")
y = np.array([1.0, 2.0], np.float32)
f, ar, e, ex = m.sizes(x, y)
assert np.array_equal(f, np.full((2, 2), 1.5, np.float32))
assert np.array_equal(ar, np.arange(2)) and np.array_equal(e, np.eye(2))
assert np.array_equal(ex, np.broadcast_to(y, (2, 2)))
assert fails(lambda: m.sizes(x[:1], y),
             "output 'y0' has a negative size on axis 0: N - 3 < 0")
assert np.array_equal(m.inner(x, y), np.array([5.0, 7.0], np.float32))
assert fails(lambda: m.inner(x[:1], y), "needs 0 <= N - 3")
print("ok negative sizes")
ones = np.ones((3, 4), np.float32)
assert np.array_equal(m.boxed(ones, np.zeros((2, 0), np.float32)), np.full(4, 2.0))
assert fails(lambda: m.boxed(ones, np.zeros((2**40, 0), np.float32)),
             "needs K <= N (got 1099511627776 > 3)")
print("ok refused slice ends the call")
print("PASS dyn bounds")
