"""scipy.misc's imread, imresize and imsave, which SciPy 1.2 removed and NetDissect-Lite imports.

Written here for bench/versus-netdissect (copied into the patched copy as unitscope_compat.py), with
the semantics SciPy 1.1 documents: PIL does the work, floats given to imresize with mode='F' stay
floats, other non-uint8 data is byte-scaled from its own min..max, sizes are (rows, columns).
"""
import numpy as np
from PIL import Image

_FILTERS = {"nearest": Image.NEAREST, "lanczos": Image.LANCZOS, "bilinear": Image.BILINEAR,
            "bicubic": Image.BICUBIC, "cubic": Image.BICUBIC}


def _bytescale(data):
    if data.dtype == np.uint8:
        return data
    low, high = float(data.min()), float(data.max())
    scale = 255.0 / (high - low) if high > low else 1.0
    return (np.clip((data - low) * scale + 0.4999, 0, 255)).astype(np.uint8)


def _toimage(arr, mode=None):
    arr = np.asarray(arr)
    if mode == "F":
        return Image.fromarray(arr.astype(np.float32), "F")
    return Image.fromarray(_bytescale(arr))


def _fromimage(image, mode=None):
    if mode is not None:
        image = image.convert(mode)
    elif image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    return np.array(image)


def imread(name, flatten=False, mode=None):
    with Image.open(name) as image:
        return _fromimage(image, "F" if flatten else mode)


def imresize(arr, size, interp="bilinear", mode=None):
    image = _toimage(arr, mode)
    if isinstance(size, (int, np.integer)):
        size = tuple(int(s * size / 100.0) for s in np.asarray(arr).shape[:2])
    elif isinstance(size, float):
        size = tuple(int(s * size) for s in np.asarray(arr).shape[:2])
    return _fromimage(image.resize((int(size[1]), int(size[0])), resample=_FILTERS[interp]))


def imsave(name, arr, format=None):
    _toimage(arr).save(name, format=format)
