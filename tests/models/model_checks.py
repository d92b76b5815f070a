"""Checks shared by the per-family model tests (not a test module itself)."""

from __future__ import annotations

import torch
from safetensors.torch import load_file, save_file


def assert_all_params_get_grad(model: torch.nn.Module, loss: torch.Tensor) -> None:
    model.zero_grad(set_to_none=True)
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    assert not missing, f"parameters without gradient: {missing}"


def drop_tensor(directory, key_fragment: str) -> str:
    """Remove the first tensor whose name contains `key_fragment` from `model.safetensors`; returns its name."""
    path = f"{directory}/model.safetensors"
    state = load_file(path)
    name = next(k for k in state if key_fragment in k)
    del state[name]
    save_file(state, path, metadata={"format": "pt"})
    return name


def reshape_tensor(directory, key_fragment: str) -> str:
    path = f"{directory}/model.safetensors"
    state = load_file(path)
    name = next(k for k in state if key_fragment in k and state[k].ndim >= 1)
    state[name] = torch.zeros(state[name].shape[0] + 1, *state[name].shape[1:])
    save_file(state, path, metadata={"format": "pt"})
    return name


@torch.no_grad()
def calibrate_batchnorm(model: torch.nn.Module, *inputs, **kw) -> torch.nn.Module:
    """Make a random EfficientNet produce non-vanishing activations (reference upstream.md §5.3): BN weights to 1,
    one train-mode forward with momentum 1 to set running statistics, then eval()."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    saved = [m.momentum for m in bns]
    for m in bns:
        torch.nn.init.ones_(m.weight)
        m.momentum = 1.0
    model.train()
    model(*inputs, **kw)
    for m, momentum in zip(bns, saved):
        m.momentum = momentum
    return model.eval()
