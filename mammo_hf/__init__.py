"""mammo-hf: Hugging Face-native mammography models, processors, datasets and recipes.

`import mammo_hf` is cheap: public names are resolved lazily on first access (see `_LAZY_EXPORTS`), and our
classes are registered with transformers' Auto* factories as soon as transformers loads them (see
`mammo_hf._auto_registration`), so

>>> import mammo_hf  # doctest: +SKIP
>>> from transformers import AutoModel  # doctest: +SKIP
>>> model = AutoModel.from_pretrained("path/to/converted/mammo-clip")  # doctest: +SKIP

works without touching torch until you actually use a model.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _auto_registration

__version__ = "0.1.0.dev0"

# public name -> module that defines it
_LAZY_EXPORTS: dict[str, str] = {
    # pixels
    "MammoImage": "mammo_hf.imaging",
    "MammoImageError": "mammo_hf.imaging",
    "read_image": "mammo_hf.imaging",
    "crop_breast": "mammo_hf.imaging",
    "tile_views": "mammo_hf.imaging",
    "MammoImageProcessor": "mammo_hf.image_processing_mammo",
    # models
    "MammoClipConfig": "mammo_hf.models.mammo_clip.configuration_mammo_clip",
    "MammoClipModel": "mammo_hf.models.mammo_clip.modeling_mammo_clip",
    "MammoClipForImageClassification": "mammo_hf.models.mammo_clip.modeling_mammo_clip",
    "MammoClipProcessor": "mammo_hf.models.mammo_clip.processing_mammo_clip",
    "MamClipConfig": "mammo_hf.models.mam_clip.configuration_mam_clip",
    "MamClipModel": "mammo_hf.models.mam_clip.modeling_mam_clip",
    "MamClipForImageClassification": "mammo_hf.models.mam_clip.modeling_mam_clip",
    "MamClipProcessor": "mammo_hf.models.mam_clip.processing_mam_clip",
    "MammoEfficientNetConfig": "mammo_hf.models.mammo_efficientnet.configuration_mammo_efficientnet",
    "MammoEfficientNetForImageClassification": "mammo_hf.models.mammo_efficientnet.modeling_mammo_efficientnet",
    # evaluation
    "PredictionTable": "mammo_hf.evaluation",
    "evaluate_predictions": "mammo_hf.evaluation",
    "metrics_to_eval_results": "mammo_hf.evaluation",
}

__all__ = ["__version__", *_LAZY_EXPORTS]


def __getattr__(name: str) -> Any:
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'mammo_hf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # cache: next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_EXPORTS))


_auto_registration.install()
