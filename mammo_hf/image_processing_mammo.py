"""`MammoImageProcessor`: the one pixel contract shared by every mammo-hf model family.

This file is **Hub-bound**: `save_pretrained` copies it (and its sibling `mammo_pixels.py`) beside the weights so
`AutoImageProcessor.from_pretrained(repo, trust_remote_code=True)` works without mammo-hf installed. It imports only
numpy, PIL, torch and transformers. DICOM decoding is package-side (`mammo_hf.imaging.read_image`) and used only
when available.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image
from transformers.image_processing_utils import BaseImageProcessor, BatchFeature
from transformers.processing_utils import ImagesKwargs

from .mammo_pixels import (
    RESAMPLE_FILTERS,
    apply_crop,
    breast_crop_box_and_side,
    flip_horizontal,
    heatmap_to_original,
    minmax_normalize,
    resize,
    to_float32,
)

__all__ = ["MammoImageProcessor", "MammoImageProcessorKwargs", "PRESETS"]


class MammoImageProcessorKwargs(ImagesKwargs, total=False):
    """Keyword arguments accepted by `MammoImageProcessor` on top of transformers' `ImagesKwargs`."""

    do_crop: bool
    crop_margin: float
    do_flip: bool
    canonical_side: str
    do_minmax: bool
    input_bit_depth: int | None
    num_channels: int
    views: list[str]
    return_geometry: bool


# Family presets: the attribute values that reproduce each family's training-time input.
PRESETS: dict[str, dict[str, Any]] = {
    # Mammo-CLIP (upstream.md §0.7, §1.5): breast crop, INTER_AREA resize to H1520×W912, 3 identical channels,
    # per-image min-max to [0, 1], then one scalar mean/std for all channels (no ImageNet statistics). Upstream
    # never flipped to a canonical side (it trained with random horizontal flips), so neither does the preset.
    "mammo_clip": {
        "size": {"height": 1520, "width": 912},
        "resample": "box",
        "do_flip": False,
        "do_minmax": True,
        "do_normalize": True,
        "image_mean": 0.3089279,
        "image_std": 0.25053555408335154,
    },
    # MAM-CLIP (upstream.md §3): H1024×W768, min-max to [0, 1] only; breasts cropped upstream (YOLOX), not flipped.
    "mam_clip": {
        "size": {"height": 1024, "width": 768},
        "resample": "bilinear",
        "do_flip": False,
        "do_minmax": True,
        "do_normalize": False,
        "image_mean": 0.0,
        "image_std": 1.0,
    },
    # EfficientNet-B4 baseline (our choice, documented in the README): H1024×W512 per view — in the range Kaggle
    # RSNA baselines use (1024×512 to 1536×768) and far above B4's native 380 px, which is too small for
    # calcifications. min-max, then the gray equivalent of the ImageNet statistics the timm weights expect
    # (mean of ImageNet mean/std over RGB), since grayscale is replicated to 3 channels.
    "mammo_efficientnet": {
        "size": {"height": 1024, "width": 512},
        "resample": "bilinear",
        "do_minmax": True,
        "do_normalize": True,
        "image_mean": 0.449,
        "image_std": 0.226,
    },
}


def _scalar(value: Any) -> float:
    """Accept a scalar or a per-channel sequence of equal values (mammograms are gray: one statistic)."""
    if isinstance(value, (list, tuple)):
        if len(set(float(v) for v in value)) != 1:
            raise ValueError(f"MammoImageProcessor uses one scalar mean/std for all channels, got {value}")
        value = value[0]
    return float(value)


class MammoImageProcessor(BaseImageProcessor):
    r"""Image processor for (dual-view) mammograms.

    Every attribute below is saved in `preprocessor_config.json`, and together they fully define the model input.
    Per view, in order: decode → optional breast crop (Otsu + largest component) → optional flip so the chest wall
    is on `canonical_side` → resize to `size` → per-image min-max to `[0, 1]` (or fixed `1 / (2**bits - 1)`
    scaling) → `(x - image_mean) / image_std` with scalar statistics → replicate to `num_channels`.

    Inputs (`images`): one image, a pair (a `tuple` of `len(views)` images, or a dict `{"CC": ..., "MLO": ...}`),
    or a batch (`list`) of those. Each image is a 2-D numpy array (uint8/uint16/float), a PIL image (`L`, `I;16`,
    `I`, `F`, `RGB`), a `torch.Tensor`, a `mammo_hf.imaging.MammoImage` (anything with a `.pixels` array), or a
    path/bytes (DICOM through `mammo_hf.imaging.read_image` when mammo-hf is installed; PNG/TIFF/JPEG through PIL).
    A single image or a list of single images gives `num_views = 1`.

    Returns:
        `BatchFeature` with `pixel_values` of shape `(batch_size, num_views, num_channels, height, width)`, and with
        `return_geometry=True` also `crop_boxes (batch, views, 4)`, `flipped (batch, views)` and
        `original_sizes (batch, views, 2)` to map heatmaps back (`map_to_original`).

    Args:
        size (`dict[str, int]`): `{"height": H, "width": W}` of each processed view.
        resample (`str`): PIL filter name: `"nearest"`, `"bilinear"`, `"bicubic"`, `"lanczos"`, `"hamming"`,
            `"box"`/`"area"` (area averaging, like `cv2.INTER_AREA`).
        do_crop (`bool`): Crop each view to the breast bounding box first.
        crop_margin (`float`): Margin added around the crop box, as a fraction of the image size.
        do_flip (`bool`): Flip each view so the chest wall is on `canonical_side`.
        canonical_side (`str`): `"L"` or `"R"`: the image side the chest wall is placed on when `do_flip`.
        do_minmax (`bool`): Per-image min-max to `[0, 1]`; if False, divide by `2**input_bit_depth - 1`.
        input_bit_depth (`int`, *optional*): Bit depth for fixed scaling; `None` infers from the dtype.
        do_normalize (`bool`): Apply `(x - image_mean) / image_std`.
        image_mean (`float`), image_std (`float`): Scalar statistics (same for all channels).
        num_channels (`int`): Channels in the output (gray replicated), 1 or 3.
        views (`list[str]`): View order of the second axis, default `["CC", "MLO"]`.
        return_geometry (`bool`): Also return crop boxes, flip flags and original sizes.

    Example:
        >>> import numpy as np
        >>> from mammo_hf import MammoImageProcessor
        >>> processor = MammoImageProcessor(size={"height": 64, "width": 32})
        >>> cc = np.random.default_rng(0).integers(0, 4096, (120, 80), dtype=np.uint16)
        >>> batch = processor({"CC": cc, "MLO": cc}, return_tensors="pt")
        >>> tuple(batch["pixel_values"].shape)
        (1, 2, 3, 64, 32)
    """

    model_input_names = ["pixel_values"]
    valid_kwargs = MammoImageProcessorKwargs

    def __init__(
        self,
        size: dict[str, int] | None = None,
        resample: str = "bilinear",
        do_crop: bool = True,
        crop_margin: float = 0.01,
        do_flip: bool = True,
        canonical_side: str = "L",
        do_minmax: bool = True,
        input_bit_depth: int | None = None,
        do_normalize: bool = True,
        image_mean: float | Sequence[float] = 0.5,
        image_std: float | Sequence[float] = 0.5,
        num_channels: int = 3,
        views: Sequence[str] = ("CC", "MLO"),
        return_geometry: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        size = dict(size or {"height": 1024, "width": 768})
        if set(size) != {"height", "width"} or min(size.values()) < 1:
            raise ValueError(f"size must be {{'height': H, 'width': W}} with positive values, got {size}")
        if isinstance(resample, int) or resample not in RESAMPLE_FILTERS:
            raise ValueError(f"resample must be one of {sorted(RESAMPLE_FILTERS)}, got {resample!r}")
        if canonical_side not in ("L", "R"):
            raise ValueError(f"canonical_side must be 'L' or 'R', got {canonical_side!r}")
        if num_channels not in (1, 3):
            raise ValueError(f"num_channels must be 1 or 3, got {num_channels}")
        if _scalar(image_std) <= 0:
            raise ValueError("image_std must be positive")
        self.size = {"height": int(size["height"]), "width": int(size["width"])}
        self.resample = resample
        self.do_crop = bool(do_crop)
        self.crop_margin = float(crop_margin)
        self.do_flip = bool(do_flip)
        self.canonical_side = canonical_side
        self.do_minmax = bool(do_minmax)
        self.input_bit_depth = input_bit_depth
        self.do_normalize = bool(do_normalize)
        self.image_mean = _scalar(image_mean)
        self.image_std = _scalar(image_std)
        self.num_channels = int(num_channels)
        self.views = [str(v).upper() for v in views]
        self.return_geometry = bool(return_geometry)

    @classmethod
    def from_preset(cls, family: str, **overrides: Any) -> MammoImageProcessor:
        """Build the processor a model family was trained with (`"mammo_clip"`, `"mam_clip"`, `"mammo_efficientnet"`).

        Example:
            >>> MammoImageProcessor.from_preset("mammo_clip").size
            {'height': 1520, 'width': 912}
        """
        if family not in PRESETS:
            raise ValueError(f"unknown preset {family!r}; available: {sorted(PRESETS)}")
        return cls(**{**PRESETS[family], **overrides})

    # ------------------------------------------------------------------------------------------------------------
    # input handling
    # ------------------------------------------------------------------------------------------------------------
    def _is_single_image(self, obj: Any) -> bool:
        if isinstance(obj, (str, bytes, os.PathLike, Image.Image)) or hasattr(obj, "pixels"):
            return True
        if hasattr(obj, "ndim") and hasattr(obj, "shape"):  # numpy array or torch tensor
            return obj.ndim == 2 or (obj.ndim == 3 and obj.shape[-1] in (1, 3, 4))
        return False

    def _as_examples(self, images: Any) -> list[list[Any]]:
        """Normalise the accepted input structures to a list (batch) of lists (views)."""
        if self._is_single_image(images) or isinstance(images, (Mapping, tuple)):
            images = [images]
        if not isinstance(images, list) or not images:
            raise ValueError(
                "images must be an image, a pair (tuple or {'CC': ..., 'MLO': ...}), or a non-empty list of those; "
                f"got {type(images).__name__}"
            )
        examples = []
        for index, example in enumerate(images):
            if isinstance(example, Mapping):
                upper = {str(k).upper(): v for k, v in example.items()}
                missing = [v for v in self.views if upper.get(v) is None]
                if missing:
                    raise ValueError(
                        f"example {index} is missing view(s) {missing} (expected {self.views}); pass every view, or "
                        "a single image if the model accepts single-view input"
                    )
                examples.append([upper[v] for v in self.views])
            elif isinstance(example, tuple):
                if len(example) != len(self.views):
                    raise ValueError(f"example {index}: a tuple must hold one image per view {self.views}")
                examples.append(list(example))
            elif self._is_single_image(example):
                examples.append([example])
            else:
                raise ValueError(f"example {index}: unsupported input type {type(example).__name__}")
        if len({len(e) for e in examples}) != 1:
            raise ValueError("all examples in a batch must have the same number of views")
        return examples

    @staticmethod
    def _to_array(image: Any) -> np.ndarray:
        """Decode one image to a 2-D numeric array (gray, bright = dense)."""
        if hasattr(image, "pixels"):  # mammo_hf.imaging.MammoImage
            image = image.pixels
        if isinstance(image, (str, bytes, os.PathLike)):
            try:  # package-side reader: DICOM with VOI/MONOCHROME1 handling, PHI never copied
                from mammo_hf.imaging import read_image
            except ImportError:  # pragma: no cover - only without mammo-hf installed (remote code users)
                read_image = None
            if read_image is not None:
                image = read_image(image, output="float32").pixels  # VOI + MONOCHROME1 applied, [0, 1]
            else:
                import io

                image = Image.open(io.BytesIO(image) if isinstance(image, bytes) else image)
        if isinstance(image, Image.Image):
            if image.mode in ("RGB", "RGBA", "LA", "P", "CMYK"):
                image = image.convert("L")
            image = np.asarray(image)
        if hasattr(image, "detach"):  # torch tensor
            image = image.detach().cpu().numpy()
        arr = np.asarray(image)
        if arr.ndim == 3:
            arr = (
                arr[..., 0]
                if arr.shape[-1] in (1, 3, 4) and np.all(arr[..., :1] == arr[..., :3])
                else (
                    arr[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
                    if arr.shape[-1] >= 3
                    else arr[..., 0]
                )
            )
        if arr.ndim != 2 or arr.size == 0:
            raise ValueError(f"expected a non-empty 2-D grayscale image, got shape {arr.shape}")
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"unsupported pixel dtype {arr.dtype}")
        return arr

    def _process_view(self, image: Any, params: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        arr = self._to_array(image)
        original_size = arr.shape
        box, flipped = (0, 0, *original_size), False
        if params["do_crop"] or params["do_flip"]:  # one thumbnail analysis gives both the box and the side
            box, side = breast_crop_box_and_side(arr, margin=params["crop_margin"], crop=params["do_crop"])
            arr = apply_crop(arr, box)
            flipped = bool(params["do_flip"] and side != params["canonical_side"])
        if flipped:
            arr = flip_horizontal(arr)
        size = params["size"]
        dtype = arr.dtype
        arr = resize(arr, (size["height"], size["width"]), params["resample"])
        if params["do_minmax"]:
            arr = minmax_normalize(arr, out=arr)
        else:
            bits = params["input_bit_depth"] or (8 if dtype == np.uint8 else 16 if dtype == np.uint16 else None)
            if bits is not None:
                arr *= np.float32(1.0 / (2**bits - 1))
        if params["do_normalize"]:
            arr -= np.float32(params["image_mean"])
            arr *= np.float32(1.0 / params["image_std"])
        geometry = {"crop_box": box, "flipped": flipped, "original_size": original_size}
        return arr, geometry

    # ------------------------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------------------------
    def preprocess(self, images: Any, return_tensors: str | None = "pt", **kwargs: Any) -> BatchFeature:
        """Process one image, a pair, or a batch of pairs; see the class docstring for the accepted structures.

        Any attribute (e.g. `size`, `do_crop`) can be overridden for this call by passing it as a keyword.
        """
        unknown = set(kwargs) - set(MammoImageProcessorKwargs.__annotations__) - {"data_format", "input_data_format"}
        if unknown:
            raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)} for MammoImageProcessor")
        params = {key: kwargs.get(key, getattr(self, key, None)) for key in MammoImageProcessorKwargs.__annotations__}
        params["image_mean"], params["image_std"] = _scalar(params["image_mean"]), _scalar(params["image_std"])
        examples = self._as_examples(images)
        batch, num_views = len(examples), len(examples[0])
        height, width = params["size"]["height"], params["size"]["width"]
        pixel_values = np.empty((batch, num_views, self.num_channels, height, width), dtype=np.float32)
        geometries = []
        for b, example in enumerate(examples):
            row = []
            for v, image in enumerate(example):
                arr, geometry = self._process_view(image, params)
                pixel_values[b, v, :] = arr  # broadcast: gray replicated to every channel
                row.append(geometry)
            geometries.append(row)
        data: dict[str, Any] = {"pixel_values": pixel_values}
        if params["return_geometry"]:
            data["crop_boxes"] = np.array([[g["crop_box"] for g in row] for row in geometries], dtype=np.int64)
            data["flipped"] = np.array([[g["flipped"] for g in row] for row in geometries], dtype=bool)
            data["original_sizes"] = np.array([[g["original_size"] for g in row] for row in geometries], np.int64)
        return BatchFeature(data=data, tensor_type=return_tensors)

    def map_to_original(
        self, heatmap: Any, original_size: Sequence[int], crop_box: Sequence[int] | None = None, flipped: bool = False
    ) -> np.ndarray:
        """Map a per-view heatmap (e.g. Grad-CAM on the processed view) back onto the original image grid.

        Use the `crop_boxes`, `flipped` and `original_sizes` returned with `return_geometry=True`.

        Example:
            >>> import numpy as np
            >>> p = MammoImageProcessor(size={"height": 4, "width": 2})
            >>> p.map_to_original(np.ones((4, 2)), (10, 6), crop_box=(0, 0, 8, 4)).shape
            (10, 6)
        """
        if hasattr(heatmap, "detach"):
            heatmap = heatmap.detach().float().cpu().numpy()
        box = tuple(int(x) for x in crop_box) if crop_box is not None else None
        size = (int(original_size[0]), int(original_size[1]))
        return heatmap_to_original(to_float32(np.asarray(heatmap)), size, box, bool(flipped))

    def to_dict(self) -> dict[str, Any]:
        output = super().to_dict()
        output["views"] = list(self.views)
        for key in ("_valid_kwargs_names", "_processor_class"):
            output.pop(key, None)
        return output


# Saving copies this file (and mammo_pixels.py) and writes `auto_map` so trust_remote_code users can load it.
MammoImageProcessor.register_for_auto_class("AutoImageProcessor")
