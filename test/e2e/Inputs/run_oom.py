"""A kernel allocation that fails returns code 4 with a message; the model
stays usable and the process alive."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
import modrt  # noqa: E402

m = modrt.load(sys.argv[1])
x = np.ones((2, 4), np.float32)
try:
    m.forward(x)
    sys.exit("FAIL: the huge allocation succeeded")
except modrt.Error as e:
    assert e.code == 4, e
    assert "out of memory" in str(e), e
for _ in range(3):  # repeated failures do not leak or corrupt state
    try:
        m.forward(x)
    except modrt.Error as e:
        assert e.code == 4
assert np.array_equal(m.small(x), x * 2)
for n in (4611686018427388, 2**52):
    try:
        m.wraps(np.zeros((n, 0), np.float32))
        sys.exit(f"FAIL: a buffer of {n} x 1000 floats was allocated")
    except modrt.Error as e:
        assert e.code == 4 and "out of memory" in str(e), e
assert m.wraps(np.zeros((3, 0), np.float32)) == 3000.0
print("ok wrapping sizes")
print("PASS oom")
