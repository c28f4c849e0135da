"""bitnet: the bitnet engine from Python through libbitnet's C ABI (ctypes only).

    import bitnet
    m = bitnet.Model()                      # the embedded model; or Model("model.gguf")
    print(m.generate("In the beginning", max_tokens=24))
    for piece in m.generate("In the beginning", max_tokens=24, stream=True):
        print(piece, end="", flush=True)

libbitnet.so is found through $BITNET_LIBRARY, then next to this file, then
the system's library path. See docs/library.md.
"""

import ctypes
import ctypes.util
import os
import queue
import threading

__all__ = ["Model", "BitnetError", "version"]


class BitnetError(RuntimeError):
    """A libbitnet call failed; the message is bitnet_last_error's."""


class _LoadOptions(ctypes.Structure):
    _fields_ = [("threads", ctypes.c_int32), ("context", ctypes.c_int32), ("max_sequences", ctypes.c_int32),
                ("max_batch", ctypes.c_int32), ("kv_budget", ctypes.c_int64), ("chat_template", ctypes.c_char_p)]


class _GenerateOptions(ctypes.Structure):
    _fields_ = [("max_tokens", ctypes.c_int32), ("temperature", ctypes.c_float), ("top_k", ctypes.c_int32),
                ("top_p", ctypes.c_float), ("min_p", ctypes.c_float), ("repeat_penalty", ctypes.c_float),
                ("seed", ctypes.c_uint64), ("stop", ctypes.POINTER(ctypes.c_char_p)), ("n_stop", ctypes.c_size_t),
                ("ignore_eos", ctypes.c_int32)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_char), ctypes.c_size_t, ctypes.c_void_p)


def _open_library():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libbitnet.so")
    for path in (os.environ.get("BITNET_LIBRARY"), here, ctypes.util.find_library("bitnet")):
        if path and (os.path.exists(path) or not os.path.dirname(path)):
            lib = ctypes.CDLL(path)
            break
    else:
        raise BitnetError("libbitnet not found: set BITNET_LIBRARY or put libbitnet.so next to bitnet.py")
    lib.bitnet_version.restype = ctypes.c_char_p
    lib.bitnet_last_error.restype = ctypes.c_char_p
    lib.bitnet_model_load.restype = ctypes.c_void_p
    lib.bitnet_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(_LoadOptions)]
    lib.bitnet_free.argtypes = [ctypes.c_void_p]
    lib.bitnet_generate.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(_GenerateOptions), _CALLBACK,
                                    ctypes.c_void_p, ctypes.c_void_p]
    lib.bitnet_generate.restype = ctypes.c_int
    return lib


_lib = _open_library()


def version():
    """The library's version string."""
    return _lib.bitnet_version().decode()


class Model:
    """A loaded model (path None: the embedded model). Safe to use from several threads."""

    def __init__(self, path=None, threads=0, context=0):
        opts = _LoadOptions(threads=threads, context=context)
        self._h = _lib.bitnet_model_load(path.encode() if path else None, ctypes.byref(opts))
        if not self._h:
            raise BitnetError(_lib.bitnet_last_error().decode())

    def close(self):
        """Free the model; later calls raise BitnetError."""
        if self._h:
            _lib.bitnet_free(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def generate(self, prompt, max_tokens=0, temperature=0.0, seed=0, stream=False):
        """The continuation of prompt (greedy by default), or with stream=True an iterator over its pieces."""
        if not self._h:
            raise BitnetError("bitnet: model closed")
        opts = _GenerateOptions(max_tokens=max_tokens, temperature=temperature, seed=seed)
        if stream:
            return self._stream(prompt, opts)
        pieces = []
        self._run(prompt, opts, pieces.append, lambda: False)
        return "".join(pieces)

    def _run(self, prompt, opts, emit, stopped):
        def cb(text, n, _user):
            emit(ctypes.string_at(text, n).decode("utf-8"))
            return 1 if stopped() else 0
        rc = _lib.bitnet_generate(self._h, prompt.encode(), ctypes.byref(opts), _CALLBACK(cb), None, None)
        if rc < 0:
            raise BitnetError(_lib.bitnet_last_error().decode())

    def _stream(self, prompt, opts):
        q, done, stop = queue.Queue(), object(), threading.Event()

        def work():
            try:
                self._run(prompt, opts, q.put, stop.is_set)
                q.put(done)
            except BitnetError as e:
                q.put(e)
        t = threading.Thread(target=work, daemon=True)
        t.start()
        try:
            while True:
                item = q.get()
                if item is done:
                    return
                if isinstance(item, BitnetError):
                    raise item
                yield item
        finally:
            stop.set()
            t.join()
