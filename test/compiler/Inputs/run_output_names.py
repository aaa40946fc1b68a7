# Each entry and train block of output-names.mod runs (the library creates).
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
import modrt  # noqa: E402

m = modrt.load(sys.argv[1])
x = np.array([3.0], np.float32)
y = np.array([4.0], np.float32)
a = m.mul(x, y)
b, c = m.two(x)
d = m.both(np.array([7.0], np.float32), np.array([8.0], np.float32))
# A train block whose input is named `loss` (its loss output is `loss_`);
# w is 0 after create: loss (0 - 3)^2 = 9, w = 0 - 0.25 * 2 * (0 - 3) = 1.5.
e = m.fit(np.array([1.0], np.float32), np.array([3.0], np.float32))
print([int(a[0]), int(c[0]), int(d[0]), int(e), float(m["w"])])
