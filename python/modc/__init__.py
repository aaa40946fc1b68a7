"""modc: the compiler in-process (INTERFACE.md §5).

For program-induction experiments that check, compile and run thousands of
generated programs in one process::

    import modc
    s = modc.Session()
    errs = s.check(src)                   # [] or [modc.Diagnostic(...)]
    m = s.compile(src, opt=2, defines={"D": 64})   # a loaded modrt.Model
    s.compile(src, output="libx.so")      # also write the library
    modc.vocabulary()                     # the search space

The package finds ``libmodc.so`` at ``$MODC_LIBRARY``, beside itself, or in
the build tree (``build/lib``).
"""

import ctypes
import json
import operator
import os
import threading
from collections import namedtuple

import modrt

__all__ = ["CompileError", "Diagnostic", "Session", "vocabulary", "version"]

Diagnostic = namedtuple("Diagnostic", "file line col severity message")
Diagnostic.__doc__ = "One diagnostic: severity is 'error' or 'note'; line 0 has no location."


class CompileError(Exception):
    """A check or compile that failed: ``diagnostics`` says why."""

    def __init__(self, code, diagnostics):
        self.code = code
        self.diagnostics = diagnostics
        lines = [f"{d.file}:{d.line}:{d.col}: {d.severity}: {d.message}" if d.line
                 else f"{d.file}: {d.severity}: {d.message}" for d in diagnostics]
        super().__init__("\n".join(lines) or f"modc failed with code {code}")


def _library_path():
    env = os.environ.get("MODC_LIBRARY")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "libmodc.so"),
                      os.path.join(here, os.pardir, os.pardir, "build", "lib", "libmodc.so")):
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    raise OSError("libmodc.so not found: build it (make build) or set MODC_LIBRARY")


_lib = None


def _api():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(_library_path())
    c_size, c_char_p, c_void_p, c_int = ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int
    p_int = ctypes.POINTER(c_int)
    for name, restype, argtypes in [
            ("modc_version", c_char_p, []),
            ("modc_session_create", c_void_p, []),
            ("modc_session_destroy", None, [c_void_p]),
            ("modc_check", c_int, [c_void_p, c_char_p, c_size, c_char_p, c_char_p]),
            ("modc_compile", c_int, [c_void_p, c_char_p, c_size, c_char_p, c_char_p,
                                     ctypes.POINTER(c_void_p)]),
            ("modc_diagnostic_count", c_size, [c_void_p]),
            ("modc_diagnostic", c_char_p, [c_void_p, c_size, p_int, p_int, p_int]),
            ("modc_statistics", c_char_p, [c_void_p]),
            ("modc_library_symbol", c_void_p, [c_void_p, c_char_p]),
            ("modc_library_write", c_int, [c_void_p, c_char_p]),
            ("modc_library_path", c_char_p, [c_void_p]),
            ("modc_library_release", None, [c_void_p]),
            ("modc_vocabulary_json", c_char_p, [])]:
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    _lib = lib
    return lib


def version():
    """The compiler's version string."""
    return _api().modc_version().decode()


def vocabulary():
    """Builtins, routers and aggregations with their positional and named
    arguments (type, required, default): what a generator enumerates."""
    return json.loads(_api().modc_vocabulary_json().decode())


class _Library:
    """Keeps a compiled library alive as long as a model uses it: released
    when the model closes (or is collected). Unless the session's cache
    still holds it, the library is then unloaded and its file removed."""

    def __init__(self, handle):
        self.handle = handle

    def release(self):
        if self.handle and _lib is not None:
            handle, self.handle = self.handle, None
            _lib.modc_library_release(handle)

    __del__ = release


def _integer(value, what):
    """`value` as an int, refusing floats and bools (3.7 is not a size)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {value!r}") from None


def _options(opt, defines, options):
    words = [f"-O{_integer(opt, 'opt')}"]
    for name, value in (defines or {}).items():
        words.append(f"-D{name}={_integer(value, f'defines[{name!r}]')}")
    if options:
        words.append(options)
    return " ".join(words)


class Session:
    """One compiler session (use one per thread). Compiled libraries are
    cached by content: compiling the same program again returns at once."""

    def __init__(self):
        self._api = _api()
        # A session is for one thread; a second thread's call waits for the
        # first (its diagnostics are read before the next call starts).
        self._lock = threading.RLock()
        self._handle = self._api.modc_session_create()
        if not self._handle:
            raise MemoryError("modc_session_create failed")

    def close(self):
        with self._lock:
            if self._handle:
                self._api.modc_session_destroy(self._handle)
                self._handle = None

    def _live(self):
        if not self._handle:
            raise ValueError("the modc.Session is closed")
        return self._handle

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _diagnostics(self, filename):
        out = []
        line, col, is_error = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        for i in range(self._api.modc_diagnostic_count(self._handle)):
            msg = self._api.modc_diagnostic(self._handle, i, ctypes.byref(line),
                                            ctypes.byref(col), ctypes.byref(is_error))
            out.append(Diagnostic(filename, line.value, col.value,
                                  "error" if is_error.value else "note",
                                  msg.decode(errors="replace")))
        return out

    @staticmethod
    def _bytes(src):
        return src.encode() if isinstance(src, str) else bytes(src)

    def check(self, src, filename="input.mod", defines=None, options=None):
        """Parses and checks a program: [] if it is well-typed, else its
        diagnostics (errors, each followed by its notes)."""
        data = self._bytes(src)
        with self._lock:
            rc = self._api.modc_check(self._live(), data, len(data),
                                      filename.encode(),
                                      _options(2, defines, options).encode())
            diags = self._diagnostics(filename)
        if rc == 2:
            raise CompileError(rc, diags)
        return diags

    def statistics(self):
        """What each pass did in this session's last compile that ran the
        pipeline: {"PASS: NAME": N} ({} after a check or a cache hit)."""
        out = {}
        with self._lock:
            text = self._api.modc_statistics(self._live()).decode()
        for line in text.splitlines():
            key, _, value = line.rpartition(" = ")
            out[key] = int(value)
        return out

    def compile(self, src, opt=2, defines=None, output=None, filename="input.mod",
                options=None):
        """Compiles a program and returns it loaded (a ``modrt.Model``, the
        same API as ``modrt.load``); with ``output``, also writes the .so."""
        data = self._bytes(src)
        lib = ctypes.c_void_p()
        with self._lock:
            rc = self._api.modc_compile(self._live(), data, len(data),
                                        filename.encode(),
                                        _options(opt, defines, options).encode(),
                                        ctypes.byref(lib))
            diags = self._diagnostics(filename) if rc != 0 else None
        if rc != 0:
            raise CompileError(rc, diags)
        keep = _Library(lib.value)
        if output is not None and self._api.modc_library_write(lib, os.fsencode(output)) != 0:
            raise OSError(f"cannot write {output}")
        # The model opens the loaded file again (one more dlopen of the
        # same copy); it releases `keep` after its own dlclose.
        model = modrt.Model(self._api.modc_library_path(lib).decode())
        model._on_close.append(keep.release)
        return model
