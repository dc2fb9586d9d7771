"""The shipped bundle's way back (issue 9): files, manifest readout, batch axis, and the readout's meaning.

The targets themselves (round trip, sound -> image order, decoded image) are
re-measured with every other metric in tests/test_bundle.py.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from isudt.daemon.bundle import load_manifest, open_bundle
from isudt.daemon.square import render_square
from isudt.models.evaluate import load_position_table, position_from_image, position_from_latent

SOME = ((0, 0), (125, 0), (0, 125), (125, 125), (63, 40), (7, 99), (100, 51))


@pytest.fixture(scope="module")
def models(bundle_dir: Path):
    return open_bundle(bundle_dir, "cpu", roles=("image_encoder", "image_decoder", "sound_encoder", "reverse_mapper"))


def test_manifest_describes_the_way_back(bundle_dir: Path):
    raw = load_manifest(bundle_dir).raw
    assert {"reverse_mapper", "position_table"} <= set(raw["files"])
    assert raw["files"]["reverse_mapper"]["input"] == "z_sound" and raw["files"]["reverse_mapper"]["output"] == "z_image"
    assert raw["files"]["reverse_mapper"]["parity_max_abs_err"] < 1e-4
    readout = raw["reverse"]["position_readout"]
    assert readout["from_latent"]["method"] == "nearest" and readout["from_latent"]["file"] == "position_table"
    assert readout["from_image"]["method"] == "brightest_block" and readout["from_image"]["block"] == 2
    stage = raw["provenance"]["stages"]["reverse"]
    assert stage["config"]["seed"] == stage["seed"] and stage["epochs_or_steps"] > 0 and stage["final_losses"]


def test_reverse_mapper_batch_axis_is_dynamic(models):
    for n in (1, 7):
        assert models.run("reverse_mapper", np.zeros((n, 2), np.float32)).shape == (n, 2)


def test_position_table_reads_back_every_rendered_square_exactly(models):
    """The from_latent readout of an encoded square is that square: the table is the shipped encoder's."""
    images = np.stack([render_square(x, y)[None] for x, y in SOME]).astype(np.float32)
    table = load_position_table(models)
    pos = position_from_latent(models.encode_image(images), table, 126)
    assert pos.tolist() == [list(map(float, p)) for p in SOME]


def test_from_image_readout_finds_the_square_in_a_rendered_image():
    images = np.stack([render_square(x, y)[None] for x, y in SOME]).astype(np.float32)
    assert position_from_image(images, 126).tolist() == [list(map(float, p)) for p in SOME]
