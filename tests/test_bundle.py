"""The shipped bundle (exported/): manifest, files, and its metrics re-measured with onnxruntime."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from isudt.daemon.bundle import ROLES, BundleError, load_manifest, open_bundle
from isudt.models.evaluate import TARGETS, evaluate_bundle

# re-measured values may differ from the manifest only by float noise (same files, same seeds)
AGREE = 1e-3

# Targets the shipped bundle does not reach, with the measured value; the target itself is not
# lowered. strict=True: the day a retrained bundle meets it, this xfail fails and must be removed.
KNOWN_SHORTFALLS = {
    "image_layout_spearman": "measured 0.965 (target >= 0.985); the shipped image encoder is kept (its latent carries the forward maps); see the README",
    "sound_to_image_order_spearman": "measured 0.8706 (target >= 0.9); at the forward map's own limit: an exact inverse of it (the square whose sine is nearest) measures 0.873; see the README",
}


def target_cases():
    for name in TARGETS:
        reason = KNOWN_SHORTFALLS.get(name)
        yield pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason) if reason else ())


@pytest.fixture(scope="module")
def remeasured(bundle_dir: Path) -> dict:
    return evaluate_bundle(bundle_dir, out=None, plots=False)


def test_manifest_validates_and_every_file_loads(bundle_dir: Path):
    manifest = load_manifest(bundle_dir)  # checks every sha256
    assert manifest.raw["format"] == "isudt-bundle/1"
    assert manifest.model_id.startswith("isudt-")
    roles = tuple(r for r in ROLES if r in manifest.files)  # reverse_mapper is optional in the format
    models = open_bundle(bundle_dir, "cpu", roles=roles)
    assert set(models.sessions) == set(roles)


def test_manifest_records_provenance(bundle_dir: Path):
    raw = load_manifest(bundle_dir).raw
    prov = raw["provenance"]
    for key in ("torch", "onnxruntime", "opset", "size_changes_from_published"):
        assert prov[key], key
    for stage in ("image", "sound", "mapper", "inversion"):
        s = prov["stages"][stage]
        assert s["config"]["seed"] == s["seed"] and s["epochs_or_steps"] > 0 and s["final_losses"]
    assert "method" in raw["files"]["inversion"]


def test_batch_axis_is_dynamic(bundle_dir: Path):
    models = open_bundle(bundle_dir, "cpu")
    for n in (1, 7):
        z = models.map(np.zeros((n, 2), np.float32))
        assert models.invert(models.decode(z)).shape == (n, 2)


def test_manifest_holds_every_metric(bundle_dir: Path):
    metrics = load_manifest(bundle_dir).raw["metrics"]
    assert set(metrics) == set(TARGETS)
    for k, m in metrics.items():
        assert m["met"] == TARGETS[k].met(m["value"]), k


@pytest.mark.parametrize("name", target_cases())
def test_remeasured_metric_agrees_with_the_manifest_and_meets_its_target(bundle_dir: Path, remeasured: dict, name: str):
    stored = load_manifest(bundle_dir).raw["metrics"][name]["value"]
    value = remeasured[name]["value"]
    assert value == pytest.approx(stored, abs=AGREE)
    assert TARGETS[name].met(value), f"{name} = {value}, target {TARGETS[name].op} {TARGETS[name].bound}"


def test_slow_drag_glides_instead_of_stepping(bundle_dir: Path):
    """The continuous inversion: a 1-pixel move changes pitch by less than the published 0.38-semitone grid step,
    and never snaps: many distinct pitch values along one row."""
    from isudt.daemon.square import render_square
    models = open_bundle(bundle_dir, "cpu")
    row = np.stack([render_square(x, 60)[None] for x in range(126)]).astype(np.float32)
    pitch = models.invert(models.decode(models.map(models.encode_image(row))))[:, 0]
    steps = np.abs(np.diff(pitch))
    assert np.median(steps) < 0.38
    assert len(np.unique(np.round(pitch, 3))) > 100


def _copy(bundle_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(bundle_dir, dst, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return dst


def test_corrupt_file_is_refused_with_one_line(bundle_dir: Path, tmp_path: Path):
    b = _copy(bundle_dir, tmp_path)
    (b / "mapper.onnx").write_bytes(b"not a model")
    with pytest.raises(BundleError, match="mapper.onnx: sha256 does not match"):
        load_manifest(b)


def test_missing_file_and_bad_manifest_are_refused(bundle_dir: Path, tmp_path: Path):
    b = _copy(bundle_dir, tmp_path)
    (b / "sound_decoder.onnx").unlink()
    with pytest.raises(BundleError, match="sound_decoder.onnx: listed in the manifest but missing"):
        load_manifest(b)
    raw = yaml.safe_load((b / "manifest.yaml").read_text())
    raw["format"] = "something-else"
    (b / "manifest.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(BundleError, match="format must be"):
        load_manifest(b)
