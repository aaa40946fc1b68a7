"""modrt: call a library compiled by modc from Python (INTERFACE.md §4).

Pure Python over ctypes and NumPy, no build step::

    import modrt
    m = modrt.load("liblora.so")
    m.init(0)
    y = m.forward(x)          # x: numpy array; dyn sizes from its shape

The library describes itself (``NAME_describe``), so any compiled model
works without generated bindings. Shapes and dtypes are checked before the
call; a failed call raises ``modrt.Error`` with the library's message.
bf16 tensors are uint16 arrays of their bits: ``modrt.to_bf16`` rounds
floats to them, ``modrt.from_bf16`` reads them back.
"""

from ._lib import Error, Info, Model, from_bf16, load, to_bf16
from ._safetensors import read_safetensors

__all__ = ["Error", "Info", "Model", "from_bf16", "load", "read_safetensors",
           "to_bf16"]
