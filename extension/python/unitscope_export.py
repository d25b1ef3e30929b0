#!/usr/bin/env python3
"""UnitScope's exporter: the user's own model, their checkpoint, out comes an ONNX file.

The VS Code extension runs this with the user's Python ("UnitScope: Import model from training
code"); it is also usable by hand:

    python unitscope_export.py --model train.py:Net --kwargs '{"num_classes": 4}' \\
        --checkpoint runs/best.pth --input-size 3,64,64 --output runs/best.onnx

It imports the user's module (the project root first on sys.path, the module's ``__name__`` not
``"__main__"``, so training code behind ``if __name__ == "__main__"`` does not run), builds the model
(a class, a factory function, or a module-level model instance), loads the checkpoint's state_dict
strictly (a bare state_dict or one under ``state_dict`` / ``model_state_dict`` / ``model``, a
DataParallel ``module.`` prefix stripped, as the UnitScope daemon reads them), runs one forward
pass, and exports with ``torch.onnx.export`` (the TorchScript exporter) in eval mode with
BatchNorm kept as its own node (``TrainingMode.PRESERVE``), so every module's output is addressable
by its ``named_modules()`` path: PyTorch >= 1.13 names each node after the module calls it ran in
(``/layer4/layer4.1/conv2/Conv``), which the daemon maps back to ``layer4.1.conv2``.

Checkpoints are read without running pickled code: only the tensor-rebuild globals are allowed
(checkpoint_globals.json beside this script, the list the daemon's reader embeds). ``--trust-checkpoint`` uses plain ``torch.load`` for files
that pickle whole models or other objects.

Output: exactly one JSON line on stdout (anything the user's code prints goes to stderr):
    {"ok": true, "onnx": ..., "inputSize": [C, H, W], "outputShape": [...], "classCount": N,
     "modules": [{"path": "conv1", "kind": "Conv2d"}, ...], "scopedNodeNames": true, ...}
or  {"ok": false, "error": {"kind": ..., "message": ..., "traceback": ..., ...}}

Exit status: 0 exported; 2 bad arguments; 3 PyTorch missing or too old; 4 the user's code failed
(import, constructor/factory, forward pass); 5 the checkpoint cannot be read or is refused;
6 the checkpoint does not fit the model (missing/unexpected keys, shapes); 7 the export failed.

Needs Python >= 3.8 and PyTorch >= 1.10 (module paths in node names need >= 1.13), nothing else.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import importlib.util
import inspect
import io
import json
import os
import pickle
import platform
import struct
import sys
import traceback
import warnings

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_TORCH = 3
EXIT_USER_CODE = 4
EXIT_CHECKPOINT = 5
EXIT_MISMATCH = 6
EXIT_EXPORT = 7

DEFAULT_OPSET = 14
MIN_TORCH = (1, 10)
LISTED = 20  # keys listed per kind in a mismatch message
WRAPPER_KEYS = ("state_dict", "model_state_dict", "model")
DATA_PARALLEL_PREFIX = "module."


class ExportError(Exception):
    """A failure reported as {"ok": false, "error": {...}} with an exit status."""

    def __init__(self, kind, message, exit_code, **details):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.exit_code = exit_code
        self.details = details


# ----------------------------------------------------------------------------------------------
# Arguments


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit 2 itself
        raise ExportError("usage", message, EXIT_USAGE)


def parse_args(argv):
    p = _Parser(prog="unitscope_export.py", description="Export the user's PyTorch model to ONNX for UnitScope.")
    p.add_argument("--model", required=True,
                   help="FILE.py:Name or package.module:Name (a class, a factory function, or a model instance)")
    p.add_argument("--kwargs", default="{}", help="constructor/factory keyword arguments as a JSON object")
    p.add_argument("--checkpoint", required=True, help="state_dict checkpoint (.pth/.pt/.tar, safetensors)")
    p.add_argument("--input-size", required=True,
                   help="C,H,W (e.g. 3,224,224) or H,W (channels from the first convolution)")
    p.add_argument("--output", required=True, help="ONNX file to write")
    p.add_argument("--project-root", default=None,
                   help="folder put first on sys.path (default: the current directory)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="read the checkpoint with plain torch.load, which runs pickled code")
    args = p.parse_args(argv)
    try:
        kwargs = json.loads(args.kwargs)
    except ValueError as e:
        raise ExportError("usage", "--kwargs is not valid JSON: %s" % e, EXIT_USAGE)
    if not isinstance(kwargs, dict):
        raise ExportError("usage", "--kwargs must be a JSON object, e.g. {\"num_classes\": 10}", EXIT_USAGE)
    args.kwargs = kwargs
    args.input_size = parse_input_size(args.input_size)
    if ":" not in args.model.strip(":"):
        raise ExportError("usage", "--model must be FILE.py:Name or package.module:Name; got %r" % args.model, EXIT_USAGE)
    return args


def parse_input_size(text):
    """'3,224,224' / '3x224x224' / '224,224' -> [C or None, H, W]."""
    parts = [p for p in text.replace("x", ",").replace("X", ",").replace("×", ",").replace(" ", ",").split(",") if p]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (2, 3) or any(v <= 0 for v in values) or any(v > 8192 for v in values[-2:]):
        raise ExportError("usage", "--input-size must be C,H,W or H,W with positive sizes (e.g. 3,224,224); got %r" % text,
                          EXIT_USAGE)
    return values if len(values) == 3 else [None] + values


# ----------------------------------------------------------------------------------------------
# The user's code


def user_traceback(exc):
    """The traceback of an exception raised in the user's code, without this script's frames and
    importlib's frozen ones."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) != os.path.abspath(__file__) and not f.filename.startswith("<frozen")]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def user_location(exc):
    """The innermost frame of the traceback in the user's own files (not the standard library, not an
    installed package, not this script): {"file", "line"}, or None."""
    library = [os.path.abspath(p) + os.sep for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = os.path.abspath(frame.filename)
        parts = path.split(os.sep)
        if frame.filename.startswith("<") or path == os.path.abspath(__file__):
            continue
        if "site-packages" in parts or "dist-packages" in parts or any(path.startswith(p) for p in library):
            continue
        return {"file": path, "line": frame.lineno}
    return None


def split_spec(spec):
    """'path/to/train.py:Net' -> ('path/to/train.py', 'Net'); 'pkg.mod:make' -> ('pkg.mod', 'make')."""
    where, _, name = spec.strip().rpartition(":")
    return where, name


def is_file_spec(where):
    return where.endswith(".py") or os.sep in where or "/" in where or os.path.isfile(where)


def module_name_for(path, root):
    """The dotted name `path` is importable as from `root`, or None (outside it, or not identifiers)."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if rel.startswith(os.pardir) or os.path.isabs(rel):
        return None
    parts = rel[:-3].split(os.sep) if rel.endswith(".py") else None
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or None


def user_file(where, root):
    """The model file's absolute path: a relative one is relative to the current directory, as --checkpoint and
    --output are, else to the project root (so 'code/resnet.py' run from the project with --project-root code finds
    code/resnet.py, not code/code/resnet.py)."""
    if os.path.isabs(where):
        tried = [where]
    else:
        tried = [os.path.abspath(where)]
        beside_root = os.path.abspath(os.path.join(root, where))
        if beside_root != tried[0]:
            tried.append(beside_root)
    for path in tried:
        if os.path.isfile(path):
            return path
    raise ExportError("import", "No such file: %s" % tried[0] + "".join(" (nor %s)" % p for p in tried[1:]), EXIT_USER_CODE)


def import_user_module(where, root):
    """Imports the user's module: a file (by its dotted name under the project root when it has one,
    so relative imports work, else by path) or a dotted module name."""
    if not is_file_spec(where):
        return importlib.import_module(where)
    path = user_file(where, root)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(1, folder)  # after the project root: `import utils` beside the file works
    dotted = module_name_for(path, root)
    if dotted is not None and dotted not in sys.modules:
        try:
            module = importlib.import_module(dotted)
        except ModuleNotFoundError as e:
            if e.name is None or not dotted.startswith(e.name):
                raise  # the user's module imports something missing: their error
            module = None
        if module is not None and os.path.abspath(getattr(module, "__file__", "") or "") == path:
            return module
    # Outside the root, a name that clashes with a module already imported, or not importable by name.
    name = "unitscope_user_" + "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def candidates(module, nn):
    """Names in `module` that could build a model: nn.Module subclasses and functions defined there."""
    found = []
    for key, value in vars(module).items():
        if key.startswith("_"):
            continue
        defined_here = getattr(value, "__module__", None) == module.__name__
        if inspect.isclass(value) and issubclass(value, nn.Module) and defined_here:
            found.append(key)
        elif inspect.isfunction(value) and defined_here:
            found.append(key)
        elif isinstance(value, nn.Module):
            found.append(key)
    return found


def resolve(module, name, nn):
    target = module
    for part in name.split("."):
        if not hasattr(target, part):
            options = candidates(module, nn)
            raise ExportError("not_found", "%s has no %r; it defines: %s" % (
                module.__name__, name, ", ".join(options) if options else "no nn.Module class or function"), EXIT_USER_CODE,
                candidates=options)
        target = getattr(target, part)
    return target


def build_model(target, name, kwargs, nn):
    if isinstance(target, nn.Module):
        if kwargs:
            raise ExportError("usage", "%s is a model instance, not a class or factory: it takes no --kwargs" % name, EXIT_USAGE)
        return target
    if not callable(target):
        raise ExportError("not_a_model", "%s is a %s, not an nn.Module class, a factory or a model" % (
            name, type(target).__name__), EXIT_USER_CODE)
    try:
        model = target(**kwargs)
    except Exception as e:  # the user's constructor: report it with its traceback
        raise ExportError("build", "%s(%s) raised %s: %s" % (name, format_kwargs(kwargs), type(e).__name__, e),
                          EXIT_USER_CODE, traceback=user_traceback(e), location=user_location(e))
    if not isinstance(model, nn.Module):
        raise ExportError("not_a_model", "%s(%s) returned a %s, not an nn.Module" % (
            name, format_kwargs(kwargs), type(model).__name__), EXIT_USER_CODE)
    return model


def format_kwargs(kwargs):
    return ", ".join("%s=%r" % (k, v) for k, v in kwargs.items())


# ----------------------------------------------------------------------------------------------
# Checkpoints


class _Unreadable(ValueError):
    """A checkpoint this reader cannot read, with a message that says why (the daemon's words)."""


# What a damaged or truncated file makes the readers raise (the pickle, zip and struct modules, and torch.load's
# own zip reader, which says "PytorchStreamReader failed ...").
DAMAGED = (pickle.UnpicklingError, EOFError, struct.error, UnicodeDecodeError, OverflowError, MemoryError)


def damaged(e):
    import zipfile
    return isinstance(e, DAMAGED + (zipfile.BadZipFile,)) or (isinstance(e, RuntimeError) and "PytorchStreamReader" in str(e))


class _Refused(pickle.UnpicklingError):
    def __init__(self, global_name):
        super().__init__(global_name)
        self.global_name = global_name


STORAGE_DTYPES = {"FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
                  "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
                  "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool"}
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType(object):
    def __init__(self, name):
        self.name = name


class _Storage(object):
    """A storage named by the pickle; its data is read after (legacy) or on demand (zip)."""

    def __init__(self, dtype, key):
        self.dtype, self.key, self.flat = dtype, key, None


class _Deferred(object):
    """A tensor to build once its storage's bytes are read: storage viewed as (size, stride, offset)."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def _rebuild_tensor(storage, storage_offset, size, stride, *_):
    return _Deferred(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *_):
    return data


class _Namespace(object):
    """argparse.Namespace saved beside the weights: its attributes, inert."""


GLOBALS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoint_globals.json")


def allowed_globals():
    """The allow-list shared with the daemon (checkpoint_globals.json): {"globals", "storageModules", "storageTypes"}."""
    with open(GLOBALS_FILE, encoding="utf-8") as f:
        return json.load(f)


def global_implementations():
    """What each allowed global builds here: plain data, or a deferred tensor. numpy is imported only when a
    checkpoint names it (a best accuracy saved as a numpy scalar)."""
    import codecs

    def numpy_dtype(*args):
        import numpy
        return numpy.dtype(*args)

    def numpy_scalar(dtype, data=None):
        import numpy
        return numpy.frombuffer(data, dtype=dtype)[0].item() if data is not None else None

    return {
        "collections.OrderedDict": collections.OrderedDict,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
        "torch.Size": tuple,
        "_codecs.encode": codecs.encode,
        "numpy.core.multiarray.scalar": numpy_scalar,
        "numpy._core.multiarray.scalar": numpy_scalar,
        "numpy.dtype": numpy_dtype,
        "argparse.Namespace": _Namespace,
    }


def _restricted_unpickler():
    """A pickle.Unpickler that resolves only the globals of the shared allow-list to functions of ours that build
    plain data, so reading a checkpoint runs no pickled code."""
    listed = allowed_globals()
    implemented = global_implementations()
    allowed = {name: implemented[name] for name in listed["globals"]}  # a KeyError here: listed but not implemented
    storage_modules, storage_types = set(listed["storageModules"]), set(listed["storageTypes"])

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            full = "%s.%s" % (module, name)
            if full in allowed:
                return allowed[full]
            if module in storage_modules and name in storage_types:
                return _StorageType(name)
            raise _Refused(full)

    return Unpickler


def _storage_for(pid, storages):
    if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
        raise _Refused("persistent id %r (not a tensor storage)" % (pid[0] if isinstance(pid, tuple) and pid else pid,))
    storage_type, key = pid[1], str(pid[2])
    if not isinstance(storage_type, _StorageType):
        raise _Refused("a storage of type %r" % (storage_type,))
    if key not in storages:
        storages[key] = _Storage(STORAGE_DTYPES[storage_type.name], key)
    return storages[key]


def _flat(torch, dtype, data):
    dtype = getattr(torch, dtype)
    if not data:
        return torch.empty(0, dtype=dtype)
    return torch.frombuffer(bytearray(data), dtype=dtype)


def _materialize(obj, torch):
    if isinstance(obj, _Deferred):
        flat = obj.storage.flat
        return flat.as_strided(obj.size, obj.stride, obj.offset).clone() if flat.numel() else torch.empty(obj.size, dtype=flat.dtype)
    if isinstance(obj, dict):
        for k in list(obj):
            obj[k] = _materialize(obj[k], torch)
        return obj
    if isinstance(obj, list):
        obj[:] = [_materialize(v, torch) for v in obj]
        return obj
    if isinstance(obj, tuple):
        return tuple(_materialize(v, torch) for v in obj)
    return obj


def read_torch_checkpoint(path, torch):
    """torch.save's zip and legacy formats, read with the restricted unpickler (torch.load's own
    pickle_module argument is ignored by some versions, so it cannot be relied on)."""
    import zipfile
    Unpickler = _restricted_unpickler()
    storages = {}
    with open(path, "rb") as f:
        zipped = f.read(4) == b"PK\x03\x04"
    if zipped and not zipfile.is_zipfile(path):
        raise _Unreadable("the file is damaged or truncated: a zip without its central directory")
    if zipped:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
            if not pickles:
                raise _Unreadable("a zip file without data.pkl: not a torch.save checkpoint")
            prefix = pickles[0][:-len("data.pkl")]
            if prefix + "byteorder" in names and archive.read(prefix + "byteorder").strip() == b"big":
                raise _Unreadable("a big-endian checkpoint; load it with --trust-checkpoint")
            unpickler = Unpickler(io.BytesIO(archive.read(pickles[0])), encoding="utf-8")
            unpickler.persistent_load = lambda pid: _storage_for(pid, storages)
            result = unpickler.load()
            for key, storage in storages.items():
                storage.flat = _flat(torch, storage.dtype, archive.read(prefix + "data/" + key))
        return _materialize(result, torch)

    with open(path, "rb") as f:
        def load():
            u = Unpickler(f, encoding="utf-8")
            u.persistent_load = lambda pid: _storage_for(pid, storages)
            return u.load()
        if load() != LEGACY_MAGIC:
            raise _Unreadable("not a torch.save checkpoint (no PyTorch magic number)")
        load()  # protocol version
        info = load()
        if isinstance(info, dict) and not info.get("little_endian", True):
            raise _Unreadable("a big-endian checkpoint; load it with --trust-checkpoint")
        result = load()
        keys = load()
        for key in keys:
            storage = storages.get(str(key))
            count = struct.unpack("<q", f.read(8))[0]
            size = torch.empty(0, dtype=getattr(torch, storage.dtype if storage else "uint8")).element_size()
            data = f.read(count * size)
            if len(data) != count * size:
                raise _Unreadable("the file is truncated: it ends inside storage %s" % key)
            if storage is not None:
                storage.flat = _flat(torch, storage.dtype, data)
        return _materialize(result, torch)


SAFETENSORS_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
                      "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def is_safetensors(path):
    with open(path, "rb") as f:
        head = f.read(9)
    return len(head) == 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] > 0


def read_safetensors(path, torch):
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        if length > os.path.getsize(path) - 8:
            raise _Unreadable("the file is truncated: its safetensors header says %d bytes, more than the file holds" % length)
        header = json.loads(f.read(length).decode("utf-8"))
        data = f.read()
    result = collections.OrderedDict()
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        result[name] = _flat(torch, SAFETENSORS_DTYPES[entry["dtype"]], data[begin:end]).reshape(entry["shape"])
    return result


def load_checkpoint(path, trust):
    import torch
    if not os.path.isfile(path):
        raise ExportError("checkpoint", "Checkpoint not found: %s" % path, EXIT_CHECKPOINT)
    try:
        if is_safetensors(path):
            return read_safetensors(path, torch)
        if not trust:
            return read_torch_checkpoint(path, torch)
        kwargs = {"map_location": "cpu"}
        if "weights_only" in inspect.signature(torch.load).parameters:
            kwargs["weights_only"] = False  # trusted: whole pickled models and other objects load
        return torch.load(path, **kwargs)
    except _Refused as e:
        return refuse(path, e.global_name)
    except Exception as e:
        refused = _refused_in(e)
        if refused is not None:
            return refuse(path, refused.global_name)
        if isinstance(e, _Unreadable):
            raise ExportError("checkpoint", "Cannot read checkpoint %s: %s" % (path, e), EXIT_CHECKPOINT)
        if damaged(e):
            raise ExportError("checkpoint", "Cannot read checkpoint %s: the file is damaged or truncated (%s: %s)" % (
                path, type(e).__name__, e), EXIT_CHECKPOINT)
        raise ExportError("checkpoint", "Cannot read checkpoint %s: %s: %s" % (path, type(e).__name__, e),
                          EXIT_CHECKPOINT, traceback=user_traceback(e), location=user_location(e))


def _refused_in(e):
    while e is not None:
        if isinstance(e, _Refused):
            return e
        e = e.__cause__ or e.__context__
    return None


def refuse(path, global_name):
    raise ExportError(
        "unsafe_checkpoint",
        "Refused to read %s: its pickle names %s, and only tensor-rebuild globals are allowed (a whole pickled "
        "model, or other objects saved beside the weights). If you trust the file, run again with "
        "--trust-checkpoint, or save model.state_dict() instead." % (path, global_name),
        EXIT_CHECKPOINT, **{"global": global_name})


def extract_state_dict(obj, nn, torch):
    """The state_dict in what torch.load returned, as the daemon finds it; (dict, where)."""
    where = "the file"
    if isinstance(obj, nn.Module):
        return obj.state_dict(), where
    if not isinstance(obj, dict):
        raise ExportError("state_dict", "The checkpoint holds a %s, not a state_dict" % type(obj).__name__, EXIT_CHECKPOINT)
    weights = obj
    for key in WRAPPER_KEYS:
        inner = obj.get(key)
        if isinstance(inner, nn.Module):
            inner = inner.state_dict()
        if isinstance(inner, dict):
            weights, where = inner, "the file's %r entry" % key
            break
    tensors = collections.OrderedDict((k, v) for k, v in weights.items() if isinstance(k, str) and isinstance(v, torch.Tensor))
    if not tensors:
        keys = ", ".join(str(k) for k in list(obj)[:10])
        raise ExportError("state_dict", "No state_dict found: the checkpoint holds no tensors under state_dict, "
                          "model_state_dict or model (keys: %s)" % keys, EXIT_CHECKPOINT)
    if all(k.startswith(DATA_PARALLEL_PREFIX) for k in tensors):
        tensors = collections.OrderedDict((k[len(DATA_PARALLEL_PREFIX):], v) for k, v in tensors.items())
    return tensors, where


def check_fits(model, state, where):
    """Strict loading, with every offending key listed (PyTorch's own message stops at the shapes)."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and not k.endswith(".num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    shapes = [{"key": k, "checkpoint": list(state[k].shape), "model": list(v.shape)}
              for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if not (missing or unexpected or shapes):
        # Checkpoints from before PyTorch 0.4.1 lack num_batches_tracked: keep the model's own.
        for k, v in expected.items():
            if k not in state:
                state[k] = v
        return
    parts = []
    if missing:
        parts.append("%d missing from the checkpoint: %s" % (len(missing), _listed(missing)))
    if unexpected:
        parts.append("%d not in the model: %s" % (len(unexpected), _listed(unexpected)))
    if shapes:
        parts.append("%d with a different shape: %s" % (len(shapes), _listed(
            ["%s (checkpoint %s, model %s)" % (s["key"], s["checkpoint"], s["model"]) for s in shapes])))
    hint = (" Check the constructor arguments (--kwargs, e.g. num_classes or width): they must be those the "
            "checkpoint was trained with." if shapes else "")
    raise ExportError("mismatch", "The checkpoint (%d tensors in %s) does not fit the model: %s.%s" % (
        len(state), where, "; ".join(parts), hint), EXIT_MISMATCH,
        missingKeys=missing, unexpectedKeys=unexpected, shapeMismatches=shapes)


def _listed(keys):
    text = ", ".join(keys[:LISTED])
    return text + (", and %d more" % (len(keys) - LISTED) if len(keys) > LISTED else "")


# ----------------------------------------------------------------------------------------------
# Export


def first_conv_channels(model, nn):
    for _, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            return m.in_channels
    return None


def node_names(onnx_bytes):
    """The names of the graph's nodes (ModelProto.graph = 7, GraphProto.node = 1, NodeProto.name = 3),
    read with a minimal protobuf walk: the onnx package is not needed."""
    def fields(buf):
        i, n = 0, len(buf)
        while i < n:
            tag, i = _varint(buf, i)
            number, wire = tag >> 3, tag & 7
            if wire == 0:
                _, i = _varint(buf, i)
                value = None
            elif wire == 2:
                length, i = _varint(buf, i)
                value, i = buf[i:i + length], i + length
            elif wire == 5:
                value, i = None, i + 4
            elif wire == 1:
                value, i = None, i + 8
            else:
                return
            yield number, wire, value

    names = []
    view = memoryview(onnx_bytes)
    for number, wire, graph in fields(view):
        if number == 7 and wire == 2:
            for gn, gw, node in fields(graph):
                if gn == 1 and gw == 2:
                    names += [bytes(v).decode("utf-8", "replace") for f, w, v in fields(node) if f == 3 and w == 2]
    return names


def _varint(buf, i):
    result = shift = 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


@contextlib.contextmanager
def fixed_sizes_but_the_batch(torch):
    """While tracing, PyTorch 1.x gives sizes as 0-d tensors, so code that passes one to an op taking ints
    (``F.avg_pool2d(out, out.size()[3])``, the CIFAR ResNets' pooling) fails. Inside this block ``size()`` and
    ``shape`` give plain ints for every dimension but the first (the batch, which stays symbolic so batches of
    any size run): the export is then for the input size given, which is how UnitScope runs the model."""
    size, had_shape = torch.Tensor.size, "shape" in torch.Tensor.__dict__

    def concrete(value):
        return int(value) if isinstance(value, torch.Tensor) and value.dim() == 0 else value

    def fixed_size(self, *args, **kwargs):
        result = size(self, *args, **kwargs)
        if args or kwargs:
            dim = args[0] if args else kwargs.get("dim")
            return result if dim is None or dim == 0 or dim == -self.dim() else concrete(result)
        return torch.Size([result[0]] + [concrete(v) for v in result[1:]]) if len(result) else result

    torch.Tensor.size = fixed_size
    torch.Tensor.shape = property(lambda self: fixed_size(self))
    try:
        yield
    finally:
        torch.Tensor.size = size
        if not had_shape:
            del torch.Tensor.shape


def traced_sizes_problem(e):
    """True for the TypeError tracing gives when a traced size reaches an op that takes Python ints."""
    return isinstance(e, TypeError) and "not Tensor" in str(e)


def export(model, x, output, opset, torch):
    """torch.onnx.export with the batch dimension symbolic; when tracing fails on sizes used as ints, once more
    with every other dimension fixed. Returns a note when that was needed, else None."""
    try:
        _export(model, x, output, opset, torch)
        return None
    except Exception as e:
        if not traced_sizes_problem(e):
            raise
    with fixed_sizes_but_the_batch(torch):
        _export(model, x, output, opset, torch)
    return ("the model's forward uses tensor sizes as numbers (e.g. F.avg_pool2d(out, out.size()[3])): the export fixes "
            "every size but the batch, so it runs at %dx%d only" % (x.shape[2], x.shape[3]))


def _export(model, x, output, opset, torch):
    kwargs = dict(input_names=["input"], output_names=["output"], opset_version=opset,
                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    params = inspect.signature(torch.onnx.export).parameters
    if "training" in params:
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE  # eval mode, BatchNorm kept as its own node
    if "dynamo" in params:
        kwargs["dynamo"] = False  # the TorchScript exporter: it writes module paths into node names
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, ".%s.%d.tmp" % (os.path.basename(output), os.getpid()))
    try:
        torch.onnx.export(model, x, temporary, **kwargs)
        os.replace(temporary, output)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def run(args):
    try:
        import torch
        import torch.nn as nn
    except Exception as e:
        raise ExportError("torch", "PyTorch cannot be imported by %s (%s: %s); install torch in this environment, "
                          "or choose the interpreter that has it" % (sys.executable, type(e).__name__, e), EXIT_TORCH)
    version = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2] if p.isdigit())
    if version < MIN_TORCH:
        raise ExportError("torch", "PyTorch %s is too old: the exporter needs %d.%d or later" % (
            torch.__version__, MIN_TORCH[0], MIN_TORCH[1]), EXIT_TORCH)

    root = os.path.abspath(args.project_root or os.getcwd())
    if root not in sys.path:
        sys.path.insert(0, root)
    where, name = split_spec(args.model)
    try:
        module = import_user_module(where, root)
    except ExportError:
        raise
    except BaseException as e:  # SystemExit / KeyboardInterrupt from module-level code count too
        if isinstance(e, KeyboardInterrupt):
            raise
        raise ExportError("import", "Importing %s raised %s: %s" % (where, type(e).__name__, e), EXIT_USER_CODE,
                          traceback=user_traceback(e), location=user_location(e))
    model = build_model(resolve(module, name, nn), name, args.kwargs, nn)

    state, where_found = extract_state_dict(load_checkpoint(os.path.abspath(args.checkpoint), args.trust_checkpoint), nn, torch)
    check_fits(model, state, where_found)
    try:
        model.load_state_dict(state, strict=True)
    except Exception as e:
        raise ExportError("mismatch", "load_state_dict(strict=True) failed: %s" % e, EXIT_MISMATCH,
                          traceback=user_traceback(e))
    model.eval()

    channels, height, width = args.input_size
    conv_channels = first_conv_channels(model, nn)
    if channels is None:
        channels = conv_channels or 3
    elif conv_channels is not None and conv_channels != channels:
        raise ExportError("input", "The model's first convolution takes %d channels, but the input size says %d: "
                          "use --input-size %d,%d,%d" % (conv_channels, channels, conv_channels, height, width), EXIT_USAGE)
    if channels not in (1, 3):
        raise ExportError("input", "The model takes %d channels at %dx%d: UnitScope analyses image models, whose input has 1 "
                          "(grey) or 3 (RGB) channels; a model fed noise or other tensors (a GAN generator takes a "
                          "%d-channel noise vector) cannot be imported" % (channels, height, width, channels), EXIT_USAGE)
    x = torch.zeros(1, channels, height, width)
    try:
        with torch.no_grad():
            y = model(x)
    except Exception as e:
        raise ExportError("forward", "The model's forward pass on a %dx%dx%d input raised %s: %s" % (
            channels, height, width, type(e).__name__, e), EXIT_USER_CODE,
            traceback=user_traceback(e), location=user_location(e))
    notes = []
    if isinstance(y, (tuple, list)) and y and isinstance(y[0], torch.Tensor):
        # (logits, features) and the like: the graph keeps every output, the daemon runs the first.
        notes.append("the model returns a %s of %d; UnitScope analyses its first element (shape %s)" % (
            type(y).__name__, len(y), list(y[0].shape)))
        y = y[0]
    if not isinstance(y, torch.Tensor):
        raise ExportError("output", "The model returns a %s; UnitScope needs one tensor of class scores (or a tuple "
                          "whose first element is one)" % type(y).__name__, EXIT_USER_CODE)

    caught = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fixed = export(model, x, args.output, args.opset, torch)
        except Exception as e:
            location = user_location(e)
            where = " (at %s:%d)" % (location["file"], location["line"]) if location else ""
            raise ExportError("export", "torch.onnx.export failed%s: %s: %s" % (where, type(e).__name__, e), EXIT_EXPORT,
                              traceback=user_traceback(e), location=location)
    if fixed:
        notes.append(fixed)
    with open(args.output, "rb") as f:
        names = node_names(f.read())
    scoped = any(n.startswith("/") and n.count("/") >= 2 for n in names)
    for w in caught:
        text = str(w.message).strip().split("\n")[0]
        if "constant folding" in text.lower() or text in notes:
            continue  # PRESERVE in eval mode: the folding warning does not apply
        if fixed and "Converting a tensor to a Python integer" in text:
            continue  # what fixing the sizes means, said above
        notes.append(text)
    if not scoped:
        notes.append("PyTorch %s writes no module paths into ONNX node names: layers will be named after the nodes "
                     "(PyTorch 1.13 or later keeps them)" % torch.__version__)
    shape = list(y.shape[1:])
    count = 1
    for d in shape:
        count *= int(d)
    return {
        "ok": True,
        "onnx": os.path.abspath(args.output),
        "inputSize": [channels, height, width],
        "outputShape": shape,
        "classCount": count,
        "modules": [{"path": p, "kind": type(m).__name__} for p, m in model.named_modules() if p],
        "scopedNodeNames": scoped,
        "nodeCount": len(names),
        "opset": args.opset,
        "model": name,
        "checkpointTensors": len(state),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "warnings": notes,
    }


def main(argv=None):
    # Our JSON goes to the real stdout; everything else written to fd 1 (the user's prints, native
    # libraries) goes to stderr, so stdout carries exactly one line.
    sys.stdout.flush()
    result_fd = os.dup(1)
    os.dup2(2, 1)
    result_out = os.fdopen(result_fd, "w", encoding="utf-8")
    status = EXIT_OK
    with contextlib.redirect_stdout(sys.stderr):
        try:
            result = run(parse_args(sys.argv[1:] if argv is None else argv))
        except ExportError as e:
            status = e.exit_code
            error = {"kind": e.kind, "message": e.message}
            error.update(e.details)
            result = {"ok": False, "error": error}
        except Exception as e:  # a bug here, not the user's: still one JSON line
            status = EXIT_EXPORT
            result = {"ok": False, "error": {"kind": "internal", "message": "%s: %s" % (type(e).__name__, e),
                                             "traceback": traceback.format_exc()}}
        sys.stderr.flush()
    result_out.write(json.dumps(result) + "\n")
    result_out.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
