"""Training helpers: the dual-view collator, label filtering that reports drops, precise-BN recalibration."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import make_uint16_breast, tiny_mammo_efficientnet_config
from datasets import Dataset

from mammo_hf import MammoEfficientNetForImageClassification, MammoImageProcessor
from mammo_hf.training import DualViewCollator, labelled_rows, recalibrate_batchnorm


@pytest.fixture
def processor():
    return MammoImageProcessor(size={"height": 32, "width": 16})


def _row(seed: int, label) -> dict:
    return {"cc": make_uint16_breast(seed=seed), "mlo": make_uint16_breast(seed=seed + 100), "cancer": label}


def test_collator_batches_views_in_processor_order(processor):
    rows = [_row(1, 0), _row(2, 1)]
    batch = DualViewCollator(processor)(rows)
    assert batch["pixel_values"].shape == (2, 2, 3, 32, 16)
    assert batch["labels"].tolist() == [0, 1]
    expected = processor({"CC": rows[1]["cc"], "MLO": rows[1]["mlo"]})["pixel_values"][0]
    assert torch.equal(batch["pixel_values"][1], expected)


def test_collator_refuses_unlabelled_rows_and_missing_columns(processor):
    with pytest.raises(ValueError, match="labelled_rows"):
        DualViewCollator(processor)([_row(1, None)])
    with pytest.raises(KeyError, match="view column"):
        DualViewCollator(processor)([{"cc": make_uint16_breast(), "cancer": 1}])
    assert "labels" not in DualViewCollator(processor, label_column=None)([_row(1, None)])


def test_labelled_rows_counts_what_it_drops():
    ds = Dataset.from_dict({"cancer": [0, None, 1, -1, 1]})
    kept, dropped = labelled_rows(ds)
    assert kept["cancer"] == [0, 1, 1] and dropped == 2


def test_recalibration_makes_running_stats_exact_batch_averages():
    torch.manual_seed(0)
    model = MammoEfficientNetForImageClassification(tiny_mammo_efficientnet_config()).eval()
    batches = [{"pixel_values": torch.randn(4, 2, 3, 64, 32) * 3 + 2} for _ in range(3)]
    bn = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    seen = []
    hook = bn.register_forward_hook(lambda mod, inputs, out: seen.append(inputs[0].mean(dim=(0, 2, 3))))
    used = recalibrate_batchnorm(model, batches)
    hook.remove()
    assert used == 3 and not model.training  # the eval/train mode the caller had is restored
    assert bn.momentum == pytest.approx(0.1) and int(bn.num_batches_tracked) == 3
    # cumulative average over equal-size batches = the mean of the per-batch channel means
    np.testing.assert_allclose(bn.running_mean.numpy(), torch.stack(seen).mean(0).numpy(), rtol=1e-5, atol=1e-6)
    assert recalibrate_batchnorm(torch.nn.Sequential(torch.nn.Linear(2, 2)), batches) == 0
