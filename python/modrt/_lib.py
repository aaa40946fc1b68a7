"""ctypes view of the modrt reflection structs and the model wrapper."""

import _ctypes
import ctypes
import operator
import os
import sys

import numpy as np

ABI_VERSION = 2

_DTYPES = {0: np.float32, 1: np.float16, 2: np.uint16, 3: np.int32,
           4: np.int64, 5: np.bool_}
_DTYPE_NAMES = {0: "f32", 1: "f16", 2: "bf16", 3: "i32", 4: "i64", 5: "bool"}
_CODES = {1: "invalid argument", 2: "I/O error", 3: "bad file format",
          4: "out of memory", 5: "unsupported"}


class _Dim(ctypes.Structure):
    _fields_ = [("constant", ctypes.c_int64), ("num_terms", ctypes.c_int32),
                ("dyn_index", ctypes.POINTER(ctypes.c_int32)),
                ("coeff", ctypes.POINTER(ctypes.c_int64))]


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("dims", ctypes.POINTER(_Dim))]


class _ParamInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("trainable", ctypes.c_int32), ("count", ctypes.c_int64)]


class _EntryInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("num_dyns", ctypes.c_int32),
                ("dyns", ctypes.POINTER(ctypes.c_int32)),
                ("num_inputs", ctypes.c_int32), ("inputs", ctypes.POINTER(_TensorInfo)),
                ("num_outputs", ctypes.c_int32), ("outputs", ctypes.POINTER(_TensorInfo))]


class _Info(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("model_name", ctypes.c_char_p),
                ("num_params", ctypes.c_int32), ("params", ctypes.POINTER(_ParamInfo)),
                ("num_entries", ctypes.c_int32), ("entries", ctypes.POINTER(_EntryInfo)),
                ("num_dims", ctypes.c_int32), ("dim_names", ctypes.POINTER(ctypes.c_char_p)),
                ("dim_values", ctypes.POINTER(ctypes.c_int64)),
                ("num_dyns", ctypes.c_int32), ("dyn_names", ctypes.POINTER(ctypes.c_char_p)),
                ("num_trains", ctypes.c_int32), ("trains", ctypes.POINTER(_EntryInfo))]


def to_bf16(a):
    """A float array as bf16 (its uint16 bits, the form bf16 tensors take in
    modrt), rounded to nearest even like PyTorch's conversion. The shape is
    the input's, rank 0 included."""
    f = np.asarray(a, np.float32)
    # Flat, then back to f's shape: NumPy promotes a rank-0 array like a
    # scalar (its `uint64 >> 16` is a float) and gives scalars back.
    u = f.reshape(-1).view(np.uint32).astype(np.uint64)
    bits = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    # NaN is NaN (0x7FC0, as PyTorch), not what rounding its payload gives.
    return np.where(np.isnan(f), np.uint16(0x7FC0), bits.reshape(f.shape))


def from_bf16(bits):
    """bf16 bits (uint16) as float32, exactly, in the input's shape."""
    b = np.asarray(bits, np.uint16)
    # Flat, then back to b's shape: `u << 16` of a rank-0 array is a NumPy
    # scalar, which cannot be viewed as another dtype.
    u = b.reshape(-1).astype(np.uint32) << 16
    return u.view(np.float32).reshape(b.shape)


def _c_path(path):
    """`path` as the bytes a C call takes; a NUL in it would cut it short
    there, so it is refused as open() does."""
    b = os.fsencode(path)
    if b"\0" in b:
        raise ValueError("embedded null byte")
    return b


class Error(RuntimeError):
    """A call into the compiled library failed; ``code`` is its status."""

    def __init__(self, code, message):
        super().__init__(f"{message} (code {code}: {_CODES.get(code, 'error')})")
        self.code = code


class _Tensor:
    """A symbolic tensor of an entry signature."""

    def __init__(self, info):
        self.name = info.name.decode()
        self.dtype_code = info.dtype
        self.dtype = np.dtype(_DTYPES[info.dtype])
        self.dims = []
        for k in range(info.rank):
            d = info.dims[k]
            terms = [(d.dyn_index[i], d.coeff[i]) for i in range(d.num_terms)]
            self.dims.append((d.constant, terms))

    def shape(self, dyn_values):
        return tuple(c + sum(k * dyn_values[s] for s, k in terms)
                     for c, terms in self.dims)


def _symbol(lib, name):
    """The function `name` of `lib`. By attribute, which ctypes caches (the
    types set on it stay), except for names like `__m_f__` that ctypes'
    getattr refuses: those by item, a new object per lookup."""
    if name.startswith("__") and name.endswith("__"):
        return lib[name]
    return getattr(lib, name)


class _Entry:
    def __init__(self, model, info):
        self.name = info.name.decode()
        self.dyns = [info.dyns[i] for i in range(info.num_dyns)]
        self.inputs = [_Tensor(info.inputs[i]) for i in range(info.num_inputs)]
        self.outputs = [_Tensor(info.outputs[i]) for i in range(info.num_outputs)]
        fn = _symbol(model._lib, f"{model._name}_{self.name}")
        fn.restype = ctypes.c_int
        fn.argtypes = ([ctypes.c_void_p] + [ctypes.c_int64] * len(self.dyns)
                       + [ctypes.c_void_p] * (len(self.inputs) + len(self.outputs)))
        self._fn = fn
        self._model = model
        self._plans = {}  # input shapes -> (dyn values, output shapes)

    def _bind_dyns(self, arrays):
        """Solves the dyns from the inputs' dims, each `c + k1*d1 + ...`: a
        dim left with one unknown dyn gives it (exactly divided), then the
        next (`P + T` once T is known from another dim)."""
        values = {}
        dims = [(c, terms, size) for t, a in zip(self.inputs, arrays)
                for (c, terms), size in zip(t.dims, a.shape) if terms]
        progress = True
        while progress and len(values) < len(self.dyns):
            progress = False
            # A coefficient of one first: it always divides.
            for unit in (True, False):
                for c, terms, size in dims:
                    unknown = [(d, k) for d, k in terms if d not in values]
                    if len(unknown) != 1 or (unknown[0][1] == 1) != unit:
                        continue
                    d, k = unknown[0]
                    rest = size - c - sum(k2 * values[d2] for d2, k2 in terms
                                          if d2 != d)
                    if rest % k == 0:
                        values[d] = rest // k
                        progress = True
                if progress:
                    break
        for s in self.dyns:
            if s not in values:
                name = self._model.info.dyn_names[s]
                # Say which dim could not be solved (3 rows for 2 * N).
                for t, a in zip(self.inputs, arrays):
                    for k, ((c, terms), size) in enumerate(zip(t.dims, a.shape)):
                        if len(terms) == 1 and terms[0][0] == s:
                            raise ValueError(
                                f"{self.name}: argument '{t.name}' has {size} "
                                f"in dim {k}, which is not {terms[0][1]} * {name}"
                                f"{f' + {c}' if c else ''} for a whole {name}")
                raise ValueError(f"{self.name}: cannot infer dyn "
                                 f"'{name}' from the inputs")
        return values

    def _convert(self, t, a):
        """`a` as a C-contiguous array of t's dtype, or an error (the rank is
        the plan's to check). Not ascontiguousarray: it makes a rank-0
        input rank 1."""
        a = np.asarray(a)
        if a.dtype != t.dtype:
            raise TypeError(f"{self.name}: argument '{t.name}' has dtype {a.dtype}, "
                            f"expected {_DTYPE_NAMES[t.dtype_code]}")
        return np.asarray(a, order="C")

    def _plan(self, arrays):
        """The dyn values and output shapes for inputs of these shapes (the
        shapes checked against the signature)."""
        for t, a in zip(self.inputs, arrays):
            if a.ndim != len(t.dims):
                raise ValueError(f"{self.name}: argument '{t.name}' has rank {a.ndim}, "
                                 f"expected {len(t.dims)}")
        values = self._bind_dyns(arrays)
        for t, a in zip(self.inputs, arrays):
            want = t.shape(values)
            if tuple(a.shape) != want:
                raise ValueError(f"{self.name}: argument '{t.name}' has shape "
                                 f"{tuple(a.shape)}, expected {want}")
        # An output dim that comes out negative (`T - K` with K > T) means a
        # bound the library checks and reports: leave that to the call.
        return ([values[s] for s in self.dyns],
                [tuple(max(0, d) for d in t.shape(values)) for t in self.outputs])

    def __call__(self, *args):
        if len(args) != len(self.inputs):
            raise TypeError(f"{self.name}() takes {len(self.inputs)} arguments, "
                            f"got {len(args)}")
        # The common case (C-contiguous arrays of the right dtype, shapes
        # seen before) costs a few attribute reads and one dict lookup.
        arrays = [a if type(a) is np.ndarray and a.dtype == t.dtype
                  and a.flags.c_contiguous else self._convert(t, a)
                  for t, a in zip(self.inputs, args)]
        key = tuple(a.shape for a in arrays)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(arrays)
            if len(self._plans) < 256:
                self._plans[key] = plan
        dyn_values, out_shapes = plan
        outs = [np.empty(shape, dtype=t.dtype)
                for shape, t in zip(out_shapes, self.outputs)]
        rc = self._fn(self._model._handle, *dyn_values,
                      *[a.ctypes.data for a in arrays],
                      *[o.ctypes.data for o in outs])
        if rc:
            self._model._check(rc)
        return outs[0] if len(outs) == 1 else tuple(outs)


class _Train(_Entry):
    """A train block: one optimisation step on a batch, returning the loss
    (a float) computed before the update."""

    def __call__(self, *args):
        return float(super().__call__(*args))


class Info:
    """A compiled model's metadata: name, path, dims, dyn_names, params
    (name, dtype, shape, trainable, count) and entries (name -> callable)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return (f"Info(name={self.name!r}, dims={self.dims}, "
                f"params={[p['name'] for p in self.params]}, entries={list(self.entries)})")


# The libraries this process has opened by their own path, by real path:
# the file identity each had when it was opened, the names dlopen was given
# for it, and how many of those opens are still open. dlopen hands back the
# library already loaded from a path even after the file there was replaced
# (a candidate loop writing one file name), so such a file is opened
# through a private copy instead. An entry goes once its library is
# unloaded (checked when its last open closes, and for all of them now and
# then: the in-process compiler keeps its libraries loaded after ours
# close).
_opened = {}
_opened_checked = 0  # len(_opened) after the last sweep


class _Opened:
    __slots__ = ("identity", "names", "live")

    def __init__(self, identity):
        self.identity = identity
        self.names = set()
        self.live = 0


def _is_loaded(names):
    """Whether dlopen would hand back an already loaded library for one of
    `names` (RTLD_NOLOAD: nothing is loaded to find out)."""
    for name in names:
        try:
            handle = _ctypes.dlopen(name, os.RTLD_NOW | os.RTLD_NOLOAD)
        except OSError:
            continue
        _ctypes.dlclose(handle)
        return True
    return False


def _sweep_opened():
    global _opened_checked
    for real, entry in list(_opened.items()):
        if entry.live == 0 and not _is_loaded(entry.names):
            del _opened[real]
    _opened_checked = len(_opened)


def _open_library(path):
    """`path` opened with dlopen (a CDLL) and the key to close it with."""
    st = os.stat(path)
    identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    real = os.path.realpath(path)
    entry = _opened.get(real)
    if entry is None:
        entry = _opened[real] = _Opened(identity)
    if entry.identity == identity:
        try:
            lib = ctypes.CDLL(path)
        except BaseException:
            if entry.live == 0 and not entry.names:
                del _opened[real]
            raise
        entry.names.add(path)
        entry.live += 1
        if len(_opened) > max(64, 2 * _opened_checked):
            _sweep_opened()
        return lib, real
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory(prefix="modrt-") as tmp:
        copy = os.path.join(tmp, os.path.basename(real))
        shutil.copyfile(real, copy)
        # The mapping outlives the file; a path no one opens again.
        return ctypes.CDLL(copy), None


def _close_library(lib, key):
    """Undoes one _open_library (dlclose: the library is unloaded once no
    other open of it is left). Nothing may call into `lib` after this."""
    _ctypes.dlclose(lib._handle)
    entry = _opened.get(key) if key is not None else None
    if entry is not None:
        entry.live -= 1
        if entry.live == 0 and not _is_loaded(entry.names):
            del _opened[key]


class Model:
    """One instance of a compiled model: its parameters and its entries.

    Entries are attributes (``m.forward(x)``) and ``m.entry(name)``; the
    metadata is ``m.info``, so that only the methods below can hide an entry
    of the same name (INTERFACE.md §4). Parameters read and write as arrays:
    ``m["adapter.A"]``, ``m["adapter.A"] = a``, ``m.state_dict()``,
    ``m.load_state_dict(d)``."""

    def __init__(self, path):
        _c_path(path)
        path = os.path.abspath(path)
        self._handle = None
        self._on_close = []  # after the library's dlclose (modc's release)
        self._lib, self._lib_key = _open_library(path)
        self._path = path
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self):
        path = self._path
        describe = self._find_describe()
        info = describe().contents
        if info.abi_version != ABI_VERSION:
            raise Error(5, f"{path}: ABI version {info.abi_version}, expected {ABI_VERSION}")
        self._name = info.model_name.decode()
        params = []
        for i in range(info.num_params):
            p = info.params[i]
            params.append({
                "name": p.name.decode(), "dtype": _DTYPE_NAMES[p.dtype],
                "shape": tuple(p.shape[k] for k in range(p.rank)),
                "trainable": bool(p.trainable), "count": p.count})
        self._params_by_name = {p["name"]: p for p in params}
        self._param_dtypes = {p["name"]: np.dtype(_DTYPES[info.params[i].dtype])
                              for i, p in enumerate(params)}
        lib = self._lib
        self._fns = {}
        for suffix, restype, argtypes in [
                ("create", ctypes.c_void_p, []),
                ("destroy", None, [ctypes.c_void_p]),
                ("init", ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint64]),
                ("load", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
                ("save", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
                ("save_optimizer", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
                ("load_optimizer", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
                ("get_param", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]),
                ("set_param", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]),
                ("set_threads", ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
                ("error", ctypes.c_char_p, [ctypes.c_void_p])]:
            fn = _symbol(lib, f"{self._name}_{suffix}")
            fn.restype = restype
            fn.argtypes = argtypes
            self._fns[suffix] = fn
        self._handle = self._fns["create"]()
        if not self._handle:
            raise Error(4, f"{self._name}_create failed")
        entries = {}
        self.info = Info(
            name=self._name, path=path,
            dyn_names=[info.dyn_names[i].decode() for i in range(info.num_dyns)],
            dims={info.dim_names[i].decode(): info.dim_values[i] for i in range(info.num_dims)},
            params=params, entries=entries, trains={})
        for i in range(info.num_entries):
            e = _Entry(self, info.entries[i])
            entries[e.name] = e
        for i in range(info.num_trains):
            t = _Train(self, info.trains[i])
            self.info.trains[t.name] = t

    def _find_describe(self):
        # The model name is not known yet: find NAME_describe by the
        # library's file name first, then by scanning its dynamic symbols.
        base = os.path.basename(self._path)
        stem = base[3:] if base.startswith("lib") else base
        stem = stem.split(".so")[0]
        for name in [stem] + _exported_models(self._path):
            try:
                fn = _symbol(self._lib, f"{name}_describe")
            except AttributeError:
                continue
            fn.restype = ctypes.POINTER(_Info)
            fn.argtypes = []
            return fn
        raise Error(5, f"{self._path}: no NAME_describe symbol found")

    def _check(self, rc):
        if rc != 0:
            msg = self._fns["error"](self._handle)
            raise Error(rc, msg.decode() if msg else "failed")

    def __getattr__(self, name):
        info = self.__dict__.get("info")
        if info is not None and name in info.entries:
            return info.entries[name]
        if info is not None and name in info.trains:
            return info.trains[name]
        raise AttributeError(name)

    # Older spellings of the metadata; an entry of the same name wins.
    def _meta(name):  # noqa: N805
        def get(self):
            entries = self.info.entries
            return entries[name] if name in entries else getattr(self.info, name)
        return property(get)
    name = _meta("name")
    path = _meta("path")
    dims = _meta("dims")
    dyn_names = _meta("dyn_names")
    params = _meta("params")
    entries = _meta("entries")
    del _meta

    def entry(self, name):
        """The entry or train block `name`, whatever attribute would hide
        it."""
        if name in self.info.trains:
            return self.info.trains[name]
        try:
            return self.info.entries[name]
        except KeyError:
            raise AttributeError(f"{self._name} has no entry '{name}'") from None

    def init(self, seed=0):
        # The C seed is a uint64_t: ctypes would wrap 2**64 to 0 and -1.
        if isinstance(seed, bool) or not 0 <= operator.index(seed) < 2**64:
            raise ValueError(f"init: seed {seed!r} is not in [0, 2**64)")
        self._check(self._fns["init"](self._handle, seed))

    def load(self, path):
        self._check(self._fns["load"](self._handle, _c_path(path)))

    def save(self, path):
        self._check(self._fns["save"](self._handle, _c_path(path)))

    def save_optimizer(self, path):
        """Writes the optimiser state (PyTorch's names: PARAM.exp_avg, ...,
        TRAIN.step) as safetensors."""
        self._check(self._fns["save_optimizer"](self._handle, _c_path(path)))

    def load_optimizer(self, path):
        self._check(self._fns["load_optimizer"](self._handle, _c_path(path)))

    def set_threads(self, n):
        # An int in C: ctypes would wrap 2**32 + 2 to 2.
        if isinstance(n, bool) or not -2**31 <= operator.index(n) < 2**31:
            raise ValueError(f"set_threads: {n!r} is not a C int")
        self._check(self._fns["set_threads"](self._handle, n))

    def _param(self, name):
        try:
            return self._params_by_name[name]
        except KeyError:
            raise KeyError(f"{self._name} has no parameter '{name}'") from None

    def __getitem__(self, name):
        """A copy of parameter `name` (its state_dict name) as an array."""
        p = self._param(name)
        out = np.empty(p["shape"], dtype=self._param_dtypes[name])
        self._check(self._fns["get_param"](
            self._handle, name.encode(), out.ctypes.data_as(ctypes.c_void_p)))
        return out

    def _checked_value(self, name, value):
        p = self._param(name)
        a = np.asarray(value)
        want = self._param_dtypes[name]
        if a.dtype != want:
            raise TypeError(f"{name}: dtype {a.dtype}, expected {p['dtype']}")
        if tuple(a.shape) != p["shape"]:
            raise ValueError(f"{name}: shape {tuple(a.shape)}, expected {p['shape']}")
        return np.ascontiguousarray(a)

    def __setitem__(self, name, value):
        """Replaces parameter `name` (same shape and dtype); derived
        parameters are recomputed."""
        a = self._checked_value(name, value)
        self._check(self._fns["set_param"](
            self._handle, name.encode(), a.ctypes.data_as(ctypes.c_void_p)))

    def state_dict(self):
        """{name: array} for every parameter, in state_dict order."""
        return {p["name"]: self[p["name"]] for p in self.info.params}

    def load_state_dict(self, state):
        """Sets every parameter from `state`, all or nothing: a missing name
        or a wrong shape or dtype is an error; extra names are ignored."""
        missing = [p["name"] for p in self.info.params if p["name"] not in state]
        if missing:
            raise KeyError(f"load_state_dict: missing {', '.join(missing)}")
        values = {p["name"]: self._checked_value(p["name"], state[p["name"]])
                  for p in self.info.params}
        # set_param refuses these too, but only after the tensors before
        # this one were written.
        for name, a in values.items():
            if a.dtype == np.bool_ and (a.view(np.uint8) > 1).any():
                k = int(np.argmax(a.view(np.uint8).ravel() > 1))
                raise ValueError(f"load_state_dict: {name}: element {k} is the byte "
                                 f"{a.view(np.uint8).ravel()[k]}, not a bool (0 or 1)")
        # Whatever else a set refuses, the ones written before it go back.
        old = self.state_dict()
        done = []
        set_param = self._fns["set_param"]
        try:
            for name, a in values.items():
                self._check(set_param(self._handle, name.encode(),
                                      a.ctypes.data_as(ctypes.c_void_p)))
                done.append(name)
        except BaseException:
            for name in done:
                set_param(self._handle, name.encode(),
                          old[name].ctypes.data_as(ctypes.c_void_p))
            raise

    # The C instance belongs to one Model: a copy sharing it would destroy
    # it twice (and pickling cannot carry it).
    def _not_copyable(self, *args):
        raise TypeError(f"a modrt.Model ({self._name}) cannot be copied or pickled: "
                        f"load the library again and copy the parameters, "
                        f"modrt.load(m.info.path).load_state_dict(m.state_dict())")
    __copy__ = __deepcopy__ = __reduce__ = __reduce_ex__ = _not_copyable

    def close(self):
        """Destroys the instance (its worker threads stop) and closes the
        library, which is unloaded once no other Model has it open. The
        model's methods and entries then raise modrt.Error. Idempotent; not
        while another thread is inside a call of this model."""
        d = self.__dict__
        handle = d.get("_handle")
        if handle:
            self._handle = None
            self._fns["destroy"](handle)
        lib = d.get("_lib")
        if lib is None:
            return
        # Nothing left here may call into the library once it is closed:
        # every function of it this model holds goes.
        name = d.get("_name") or os.path.basename(d.get("_path", "model"))

        def closed(*args):
            raise Error(1, f"{name}: the model is closed")
        self._fns = dict.fromkeys(d.get("_fns", ()), closed)
        info = d.get("info")
        for e in ([*info.entries.values(), *info.trains.values()] if info else ()):
            e._fn = closed
        self._lib = None
        # At interpreter exit the process is going: no unloading under
        # objects that are being torn down in any order.
        if sys is not None and not sys.is_finalizing():
            _close_library(lib, self._lib_key)
        hooks, self._on_close = d.get("_on_close", []), []
        for hook in hooks:
            hook()

    def __del__(self):
        self.close()


def _exported_models(path):
    """Model names of the `*_describe` symbols in the ELF dynamic table."""
    names = []
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return names
    for chunk in data.split(b"\0"):
        if chunk.endswith(b"_describe") and 9 < len(chunk) < 65536:
            try:
                names.append(chunk[:-len("_describe")].decode())
            except UnicodeDecodeError:
                pass
    return names


def load(path):
    """Opens a library compiled by modc and creates one model instance."""
    return Model(path)
