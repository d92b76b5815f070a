"""Write checkpoints in the exact upstream key layout and container format, from PyPI reference modules.

No upstream (CC BY-NC-SA) code is used: `efficientnet-pytorch==0.7.1` is bit-identical to the encoder Mammo-CLIP
vendors, timm provides MAM-CLIP's ConvNeXt and transformers its BERT (reference upstream.md §5). Random weights, with
BatchNorm running statistics calibrated on random data first: with default init the EfficientNet activations shrink
by ~10 orders of magnitude and would hide padding bugs (upstream.md §5.3).
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

TINY_BERT = dict(vocab_size=99, hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37)


@contextlib.contextmanager
def fake_omegaconf():
    """Register a stand-in `omegaconf` package (omegaconf 2.3 module paths) while pickling; yields a node factory."""
    names = {"dictconfig": "DictConfig", "listconfig": "ListConfig", "nodes": "AnyNode", "base": "ContainerMetadata"}
    pkg = types.ModuleType("omegaconf")
    pkg.__path__ = []
    mods = {"omegaconf": pkg}
    classes = {}
    for sub, cls_name in names.items():
        mod = types.ModuleType(f"omegaconf.{sub}")
        cls = type(cls_name, (), {"__module__": f"omegaconf.{sub}"})
        setattr(mod, cls_name, cls)
        classes[cls_name] = cls
        mods[f"omegaconf.{sub}"] = mod
    saved = {k: sys.modules.get(k) for k in mods}
    sys.modules.update(mods)

    def node(cls_name, **state):
        obj = classes[cls_name]()
        obj.__dict__.update(state)
        return obj

    try:
        yield node
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def parity_input(size: tuple[int, int], seed: int = 0) -> torch.Tensor:
    """The input `verify_parity` draws first: `randn(1, 3, H, W)` from a generator seeded with `seed`."""
    return torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(seed))


def calibrate_batchnorm(forward, model: nn.Module, inputs: torch.Tensor) -> nn.Module:
    """One train-mode forward with BN momentum 1.0, so running stats become the statistics of `inputs`; eval().

    Calibrating on the very input the parity check uses keeps every BN output at unit scale for it, so pooled
    features are O(1) and a 1e-4 absolute tolerance is meaningful (relative fp32 noise is ~1e-6).
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.momentum = 1.0
    model.train()
    with torch.no_grad():
        forward(inputs)
    for bn, mom in zip(bns, momenta):
        bn.momentum = mom
    return model.eval()


def reference_efficientnet(variant: str, seed: int = 0, calib_size: tuple[int, int] = (256, 160)) -> nn.Module:
    """efficientnet-pytorch `from_name` (static padding for the nominal size, as upstream), BN calibrated."""
    from efficientnet_pytorch import EfficientNet

    torch.manual_seed(seed)
    model = EfficientNet.from_name(f"efficientnet-{variant}", num_classes=1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):  # non-trivial affine params so the mapping of every BN is tested
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    # drop-connect would randomly skip residual branches during the calibration forward
    params = model._global_params
    model._global_params = params._replace(drop_connect_rate=0.0)
    calibrate_batchnorm(model.extract_features, model, parity_input(calib_size))
    model._global_params = params
    return model.eval()


def efficientnet_upstream_state(model: nn.Module) -> OrderedDict:
    """`image_encoder.*` keys as in the upstream checkpoints: `_fc` is commented out upstream, so never saved."""
    return OrderedDict(
        (f"image_encoder.{k}", v.clone()) for k, v in model.state_dict().items() if not k.startswith("_fc.")
    )


def reference_bert(seed: int = 0, **overrides):
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    return BertModel(BertConfig(**{**TINY_BERT, **overrides}), add_pooling_layer=True).eval()


def mammo_clip_model_state(
    variant: str, seed: int = 0, projection_dim: int = 512, calib_size: tuple[int, int] = (256, 160)
) -> OrderedDict:
    """`BreastClip.state_dict()` layout (upstream.md §1.7)."""
    image = reference_efficientnet(variant, seed, calib_size)
    bert = reference_bert(seed)
    out_dim = {"b2": 1408, "b5": 2048}[variant]
    gen = torch.Generator().manual_seed(seed + 1)
    sd = efficientnet_upstream_state(image)
    for k, v in bert.state_dict().items():
        sd[f"text_encoder.text_encoder.{k}"] = v.clone()
    sd["image_projection.projection.weight"] = torch.randn(projection_dim, out_dim, generator=gen) * out_dim**-0.5
    sd["image_projection.projection.bias"] = torch.randn(projection_dim, generator=gen) * 0.1
    hidden = bert.config.hidden_size
    sd["text_projection.projection.weight"] = torch.randn(projection_dim, hidden, generator=gen) * hidden**-0.5
    sd["text_projection.projection.bias"] = torch.randn(projection_dim, generator=gen) * 0.1
    sd["logit_scale"] = torch.tensor(2.6592600)
    return sd


def write_mammo_clip_tar(
    path: Path, variant: str = "b2", seed: int = 0, model_state: dict | None = None, calib_size=(256, 160)
) -> Path:
    """A pretraining `.tar` as `breastclip/trainer.py` saves it: torch zip archive, config with omegaconf nodes."""
    sd = model_state if model_state is not None else mammo_clip_model_state(variant, seed, calib_size=calib_size)
    with fake_omegaconf() as node:
        scale = node("ListConfig", _metadata=node("ContainerMetadata"), _content=[node("AnyNode", _val=0.8)])
        config = {
            "model": {
                "name": "clip_custom",
                "image_encoder": {
                    "name": {"b2": "tf_efficientnetv2-detect", "b5": "tf_efficientnet_b5_ns-detect"}[variant]
                },
                "text_encoder": {"name": "emilyalsentzer/Bio_ClinicalBERT", "pooling": "eos", "cache_dir": "/ocean/x"},
            },
            "base": {"text_max_length": 256, "mean": 0.3089279, "std": 0.25053555408335154},
            "transform": {"train": {"transform": {"affine_scale": scale}}},
        }
        first = next(iter(sd.values()))
        torch.save(
            {
                "model": sd,
                "optimizer": {"state": {0: {"exp_avg": torch.zeros_like(first)}}, "param_groups": [{"lr": 5e-5}]},
                "scheduler": {"last_epoch": 7, "base_lrs": [5e-5]},
                "config": config,
                "epoch": 7,
                "train_loss": torch.tensor(1.234),
            },
            path,
        )
    return path


def write_mammo_clip_downstream(
    path: Path, variant: str = "b2", n_class: int = 4, seed: int = 0, calib_size=(256, 160)
) -> Path:
    """A downstream classifier `.pth` (`BreastClipClassifier.state_dict()` + numpy predictions)."""
    import numpy as np

    image = reference_efficientnet(
        variant, seed + 7, calib_size
    )  # its own BN statistics, as upstream linear probes have
    sd = efficientnet_upstream_state(image)
    out_dim = {"b2": 1408, "b5": 2048}[variant]
    gen = torch.Generator().manual_seed(seed + 3)
    sd["classifier.classification_head.weight"] = torch.randn(n_class, out_dim, generator=gen) * out_dim**-0.5
    sd["classifier.classification_head.bias"] = torch.randn(n_class, generator=gen)
    torch.save({"model": sd, "predictions": np.zeros((5, n_class)), "epoch": 3, "auroc": np.float64(0.71)}, path)
    return path


# ---------------------------------------------------------------------------------------------------------------
# MAM-CLIP (igulluk/MAM-CLIP): timm ConvNeXt + PubMedBERT-shaped BERT + OpenCLIP fusion block
# ---------------------------------------------------------------------------------------------------------------
TINY_PUBMEDBERT = dict(
    vocab_size=99, hidden_size=768, num_hidden_layers=1, num_attention_heads=12, intermediate_size=64
)


def reference_convnext(variant: str = "convnext_tiny", seed: int = 0) -> nn.Module:
    import timm

    torch.manual_seed(seed)
    model = timm.create_model(variant, pretrained=False)
    model.head.fc = nn.Linear(768, 768)  # upstream VLModel replaces the classifier with the 768-d embedding head
    with torch.no_grad():  # non-zero layer scale (timm inits gamma to 1e-6) so every block contributes
        for name, p in model.named_parameters():
            if name.endswith("gamma"):
                p.uniform_(0.1, 0.5)
    return model.eval()


def mam_clip_vlmodel_state(variant: str = "convnext_tiny", seed: int = 0, mlm_vocab: int = 120) -> OrderedDict:
    """`lightningModel.state_dict()` of upstream `VLModel` (keys prefixed `VLModel.`; upstream.md §3.4)."""
    vision = reference_convnext(variant, seed)
    bert = reference_bert(seed, **TINY_PUBMEDBERT)
    gen = torch.Generator().manual_seed(seed + 5)
    sd = OrderedDict()
    for k, v in vision.state_dict().items():
        sd[f"VLModel.vision_encoder.{k}"] = v.clone()
    for k, v in bert.state_dict().items():
        sd[f"VLModel.text_encoder.{k}"] = v.clone()
    width = 768
    sd["VLModel.text_projection"] = torch.randn(width, width, generator=gen) * width**-0.5
    sd["VLModel.mlm_projection"] = torch.randn(width, mlm_vocab, generator=gen) * width**-0.5
    sd["VLModel.logit_scale"] = torch.tensor(2.6592600)
    sd["VLModel.img_special_token"] = torch.randn(1, 1, width, generator=gen) * 0.02
    sd["VLModel.positional_embedding"] = torch.randn(100, width, generator=gen) * 0.01
    sd["VLModel.ln_final.weight"] = torch.ones(width)
    sd["VLModel.ln_final.bias"] = torch.zeros(width)
    block = {
        "attn.in_proj_weight": (3 * width, width),
        "attn.in_proj_bias": (3 * width,),
        "attn.out_proj.weight": (width, width),
        "attn.out_proj.bias": (width,),
        "ln_1.weight": (width,),
        "ln_1.bias": (width,),
        "mlp.c_fc.weight": (4 * width, width),
        "mlp.c_fc.bias": (4 * width,),
        "mlp.c_proj.weight": (width, 4 * width),
        "mlp.c_proj.bias": (width,),
        "ln_2.weight": (width,),
        "ln_2.bias": (width,),
    }
    for k, shape in block.items():
        sd[f"VLModel.fusion_module.resblocks.0.{k}"] = torch.randn(*shape, generator=gen) * 0.02
    return sd


def write_mam_clip_ckpt(path: Path, variant: str = "convnext_tiny", seed: int = 0) -> Path:
    """A Lightning 2.1 `.ckpt`: `state_dict` + omegaconf `hyper_parameters` + trainer state."""
    sd = mam_clip_vlmodel_state(variant, seed)
    with fake_omegaconf() as node:
        cfg = node(
            "DictConfig",
            _metadata=node("ContainerMetadata"),
            _content={"vision_model": node("DictConfig", _content={"name": node("AnyNode", _val=variant)})},
        )
        torch.save(
            {
                "epoch": 74,
                "global_step": 1234,
                "pytorch-lightning_version": "2.1.0",
                "state_dict": sd,
                "loops": {"fit_loop": {"state_dict": {}}},
                "callbacks": {"ModelCheckpoint{'monitor': 'valid_loss'}": {"best_model_score": torch.tensor(0.5)}},
                "optimizer_states": [{"state": {}, "param_groups": [{"lr": 1e-4}]}],
                "lr_schedulers": [],
                "hparams_name": "cfg",
                "hyper_parameters": {"cfg": cfg},
            },
            path,
        )
    return path


def write_mam_clip_finetuned(path: Path, variant: str = "convnext_tiny", seed: int = 0) -> Path:
    """A fine-tuned `.pth`: plain timm state dict + `birads_layer.0` (5) + `density_layer.0` (4)."""
    vision = reference_convnext(variant, seed + 11)
    sd = OrderedDict((k, v.clone()) for k, v in vision.state_dict().items())
    gen = torch.Generator().manual_seed(seed + 13)
    sd["birads_layer.0.weight"] = torch.randn(5, 768, generator=gen) * 768**-0.5
    sd["birads_layer.0.bias"] = torch.randn(5, generator=gen) * 0.1
    sd["density_layer.0.weight"] = torch.randn(4, 768, generator=gen) * 768**-0.5
    sd["density_layer.0.bias"] = torch.randn(4, generator=gen) * 0.1
    torch.save(sd, path)
    return path
