"""python/modc where the process limits bite (INTERFACE.md §5: no input
makes the API crash or hang): a session whose 256 MiB compiler thread
cannot start is a MemoryError, not an abort; a session used in a fork's
child works there."""

import os
import resource
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import modc  # noqa: E402

SRC = "model m; dyn N; entry f(x: f32[N]) -> f32[N] { return x * 2.0; }"

s = modc.Session()
assert s.check(SRC) == []

# The child of a fork has no copy of the session's thread.
pid = os.fork()
if pid == 0:
    try:
        ok = s.check(SRC) == [] and s.check("model") != []
        os._exit(0 if ok else 1)
    except BaseException:
        os._exit(2)
deadline_ok = False
for _ in range(600):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        deadline_ok = True
        break
    import time
    time.sleep(0.1)
if not deadline_ok:
    os.kill(pid, 9)
    sys.exit("FAIL: the forked child hung")
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
assert s.check(SRC) == []
print("ok session in a fork's child")

# Room for about one more compiler stack: further sessions are refused.
with open("/proc/self/status") as f:
    vm = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, ((vm << 10) + (400 << 20),) * 2)
sessions, refused = [], False
for _ in range(8):
    try:
        t = modc.Session()
        t.check(SRC)
        sessions.append(t)
    except MemoryError:
        refused = True
        break
assert refused, "no session was refused"
assert s.check(SRC) == []
print("ok sessions refused under an address-space limit")
print("PASS modc session limits")
