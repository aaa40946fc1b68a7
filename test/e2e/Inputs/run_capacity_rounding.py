"""capacity_rounding.mod: C as LANGUAGE.md §7 computes it, in f64."""

import math
import sys

import numpy as np

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(0)
n = 10
x = np.zeros((n, 1), np.float32)
logits = np.tile(np.array([[0.0, 1.0, 2.0]], np.float32), (n, 1))
# topk: k = E = 3, every row picks every target, each keeps its first C.
c = math.ceil(0.1 * n * 3 / 3)
assert c == 1
kept = m.tk(x, logits).ravel()
assert kept.sum() == 3 * c and np.all(kept[:c] == 3) and np.all(kept[c:] == 0), kept
# expert_choice: each target keeps its C rows of largest probability (the
# rows tie: the first C).
c = min(math.ceil(2.1 * n / 3), n)
assert c == 7
kept = m.ec(x, logits).ravel()
assert kept.sum() == 3 * c and np.all(kept[:c] == 3) and np.all(kept[c:] == 0), kept
print("PASS capacity rounding")
