"""NAME_save's temporary file (INTERFACE.md §2): a legal long target name
saves, two threads saving to one path each leave a whole file, and the
old file's permissions are kept."""

import os
import stat
import sys
import threading

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import modrt  # noqa: E402

lib, work = sys.argv[1], sys.argv[2]

# A 254-byte name: legal, and a suffix after it would not be.
a = modrt.load(lib)
a.init(1)
long_path = os.path.join(work, "y" * 251 + ".st")
a.save(long_path)
assert np.array_equal(modrt.read_safetensors(long_path)["base.w"], a["base.w"])
print("ok long name")

# Two models (different weights) saving to one path at once: every save
# succeeds and the file is one model's whole, never a mix.
b = modrt.load(lib)
b.init(2)
same = os.path.join(work, "same.st")
errors = []


def save(model):
    try:
        model.save(same)
    except modrt.Error as e:
        errors.append(str(e))


ka, kb = a.state_dict(), b.state_dict()
for _ in range(30):
    threads = [threading.Thread(target=save, args=(m,)) for m in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = modrt.read_safetensors(same)
    whole = [all(np.array_equal(got[k], ref[k]) for k in ref) for ref in (ka, kb)]
    assert any(whole), "a file mixing both models"
assert not errors, errors[0]
assert not [f for f in os.listdir(work) if f.startswith(".modrt-save")]
print("ok concurrent saves")

# The old file's permissions stay.
os.chmod(same, 0o600)
a.save(same)
assert stat.S_IMODE(os.stat(same).st_mode) == 0o600
print("ok permissions kept")

# A FIFO is written into: with no reader that is an error, not a hang;
# with one, it gets the file.
fifo = os.path.join(work, "fifo")
os.mkfifo(fifo)
try:
    a.save(fifo)
    sys.exit("FAIL: a save into a FIFO without a reader succeeded")
except modrt.Error as e:
    assert e.code == 2 and "no reader" in str(e), e
# (The reader's end is open first; the file is smaller than the pipe.)
reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
a.save(fifo)
got = os.read(reader, 1 << 20)
os.close(reader)
with open(long_path, "rb") as f:
    assert got == f.read()
print("ok FIFO")
print("PASS save files")
