"""The shipped bundles (exported/<name>/, the default exported/square-sine/): manifest, files, and its metrics
re-measured with onnxruntime; finding bundles by name and refusing those this daemon cannot serve."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from isudt.daemon.bundle import (DEFAULT_BUNDLE, INDEX_FORMAT, ROLES, BundleError, default_bundle_dir, expected_shapes,
                                 load_manifest, open_bundle, resolve_bundle, shipped_bundles)
from isudt.daemon.synths import SINE
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


@pytest.mark.parametrize("name", list(TARGETS))
def test_remeasured_metric_agrees_with_the_manifest(bundle_dir: Path, remeasured: dict, name: str):
    """Every metric, missed targets included: the shipped files measure what their manifest says."""
    stored = load_manifest(bundle_dir).raw["metrics"][name]["value"]
    assert remeasured[name]["value"] == pytest.approx(stored, abs=AGREE)


@pytest.mark.parametrize("name", target_cases())
def test_remeasured_metric_meets_its_target(remeasured: dict, name: str):
    """Only this is the strict xfail for KNOWN_SHORTFALLS: the agreement check above runs and passes for them too."""
    value = remeasured[name]["value"]
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


def test_shipped_bundles_one_folder_each(bundle_dir: Path):
    shipped = shipped_bundles()
    assert DEFAULT_BUNDLE == "square-sine" and shipped["square-sine"] == bundle_dir == default_bundle_dir()
    assert bundle_dir.parent.name == "exported"
    for name, folder in shipped.items():
        assert folder.name == name and (folder / "manifest.yaml").is_file()
    # exported/manifest.yaml indexes the folders: the same names, the default, each one's world and synth
    index = yaml.safe_load((bundle_dir.parent / "manifest.yaml").read_text())
    assert index["format"] == INDEX_FORMAT and index["default"] == DEFAULT_BUNDLE
    assert sorted(index["bundles"]) == sorted(shipped)
    for name, folder in shipped.items():
        m = load_manifest(folder, verify=False)
        assert index["bundles"][name] == {"world": m.image_world, "synth": (m.synth or SINE).kind}


def test_resolve_bundle_by_name_or_directory(bundle_dir: Path, tmp_path: Path, monkeypatch):
    assert resolve_bundle("square-sine") == bundle_dir
    assert resolve_bundle(str(bundle_dir)) == bundle_dir
    monkeypatch.chdir(bundle_dir.parent)
    assert resolve_bundle("./square-sine") == Path("./square-sine")      # a path, not the name
    with pytest.raises(BundleError, match=r"no shipped bundle named 'no-such' .*\(shipped: .*square-sine"):
        resolve_bundle("no-such")
    # a directory that is not a bundle: the loader says so and names what it holds / what is shipped
    with pytest.raises(BundleError, match=r"is an index of bundles, not a bundle \(it holds bundles .*square-sine"):
        load_manifest(resolve_bundle(str(bundle_dir.parent)))
    (tmp_path / "holder" / "mine").mkdir(parents=True)
    (tmp_path / "holder" / "mine" / "manifest.yaml").write_text("format: isudt-bundle/1\n")
    with pytest.raises(BundleError, match=r"no manifest.yaml in .*holder \(it holds bundles mine: name one"):
        load_manifest(tmp_path / "holder")
    with pytest.raises(BundleError, match=r"no manifest.yaml in .*shipped bundles: .*square-sine"):
        open_bundle(str(tmp_path / "nowhere"))


def test_manifest_synth_section(bundle_dir: Path, tmp_path: Path):
    m = load_manifest(bundle_dir, verify=False)
    assert m.image_world == "square" and m.synth.kind == "sine"
    sound = m.raw["sound"]
    (pitch, db) = m.synth.params
    assert (pitch.name, pitch.unit, pitch.scale, [pitch.min, pitch.max]) == ("pitch", "MIDI", "linear", sound["pitch_range"])
    assert (db.name, db.unit, db.scale) == ("db", "dB", "linear")
    assert [db.min, db.max] == pytest.approx([20 * np.log10(a) for a in sound["amplitude_range"]])
    # an older manifest without `synth:` reads as the same sine
    b = _copy(bundle_dir, tmp_path)
    raw = yaml.safe_load((b / "manifest.yaml").read_text())
    del raw["synth"]
    (b / "manifest.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    assert load_manifest(b, verify=False).synth == m.synth


def _edited(bundle_dir: Path, tmp_path: Path, name: str, edit) -> Path:
    b = tmp_path / name
    shutil.copytree(bundle_dir, b, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    raw = yaml.safe_load((b / "manifest.yaml").read_text())
    edit(raw)
    (b / "manifest.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return b


def test_any_world_and_both_synths_are_served_and_what_cannot_be_is_refused_in_one_line(bundle_dir: Path,
                                                                                      tmp_path: Path):
    fm_params = [{"name": "pitch", "unit": "MIDI", "min": 38.0, "max": 86.0, "scale": "linear"},
                 {"name": "ratio", "unit": "x carrier", "min": 0.1, "max": 10.0, "scale": "log"},
                 {"name": "index", "unit": "", "min": 0.1, "max": 10.0, "scale": "log"}]

    def fm(raw):
        raw["synth"] = {"kind": "fm", "params": fm_params}
    b = _edited(bundle_dir, tmp_path, "square-fm", fm)
    m = load_manifest(b)                              # FM is playable: the shapes are what is checked ...
    assert m.synth.kind == "fm" and m.synth.names == ("pitch", "ratio", "index")
    assert expected_shapes(m)["inversion"] == ([64], [3])
    with pytest.raises(BundleError) as e:             # ... and square-sine's inversion gives 2 values, not 3
        open_bundle(b, "cpu")
    assert str(e.value).endswith("output 'params' has shape ['N', 2], the manifest implies [N, 3]")
    assert "\n" not in str(e.value)

    def granular(raw):
        raw["synth"]["kind"] = "granular"
    b = _edited(bundle_dir, tmp_path, "square-granular", granular)
    with pytest.raises(BundleError) as e:
        open_bundle(b, "cpu")
    assert str(e.value) == "bundle square-granular: synth kind 'granular' is not playable by this daemon (plays: sine, fm)"

    def renamed(raw):
        raw["synth"]["params"][1]["name"] = "level"
    with pytest.raises(BundleError, match=r"^bundle renamed: a sine takes parameters \['pitch', 'db'\], the manifest "
                                          r"lists \['pitch', 'level'\]$"):
        open_bundle(_edited(bundle_dir, tmp_path, "renamed", renamed), "cpu")

    def world(raw):
        raw["image"]["world"] = "digits"
        del raw["image"]["square"]
    b = _edited(bundle_dir, tmp_path, "digits-sine", world)
    assert load_manifest(b).square is None
    models = open_bundle(str(b), "cpu", way_back=True)   # another world is served: no squares, no position table
    assert models.manifest.image_world == "digits" and models.position_table is None and models.way_back

    def world_export(raw):                              # the layout of models/world_export.py's manifests
        raw["world"] = {"name": "digits-fm"}
        raw["image"]["source"] = {"source": "mnist5k"}
        del raw["image"]["square"]
    b = _edited(bundle_dir, tmp_path, "mnist-sine", world_export)
    assert load_manifest(b, verify=False).image_world == "mnist5k"
    assert open_bundle(b, "cpu").manifest.square is None

    def oblong(raw):
        raw["image"]["width"] = 64
    with pytest.raises(BundleError, match=r"^bundle oblong: images of 128 x 64 are not served"):
        open_bundle(_edited(bundle_dir, tmp_path, "oblong", oblong), "cpu")

    def bad(raw):
        raw["synth"]["params"][0]["max"] = 10.0        # min >= max
    with pytest.raises(BundleError, match="synth parameter 'pitch' needs finite min < max"):
        load_manifest(_edited(bundle_dir, tmp_path, "bad", bad), verify=False)


def test_isudt_bundles_lists_one_line_each(bundle_dir: Path, capsys):
    from isudt.daemon.cli import main
    assert main(["bundles"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(shipped_bundles())
    model_id = load_manifest(bundle_dir, verify=False).model_id
    line = next(x for x in lines if x.startswith("square-sine "))
    assert line.split()[:2] == ["square-sine", model_id]
    assert "square 128x128, latent 2" in line and "synth sine (pitch, db)" in line and line.endswith("(default)")


def test_bundle_flag_and_config_take_a_shipped_name(bundle_dir: Path, tmp_path: Path, capsys):
    from isudt.daemon.cli import build_parser
    from isudt.daemon.config import from_dict
    from isudt.daemon.server import bundle_path_of, reload_allowed

    for cmd in (["serve"], ["eval"], ["render", "in.csv", "out.wav"]):
        assert build_parser().parse_args([*cmd, "--bundle", "square-sine"]).bundle == str(bundle_dir)
        assert build_parser().parse_args([*cmd, "--bundle", str(tmp_path)]).bundle == str(tmp_path)
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args(["serve", "--bundle", "no-such"])
    assert e.value.code == 2 and "no shipped bundle named 'no-such'" in capsys.readouterr().err
    cfg = from_dict({"bundle": {"path": "square-sine"}})
    shipped = bundle_path_of(cfg, str(tmp_path / "config.yaml"), from_flag=False)
    assert shipped == bundle_dir.resolve()
    # a SIGHUP may switch between shipped bundles; elsewhere only inside bundle.reload_dirs
    assert reload_allowed(shipped, None, ()) and reload_allowed(None, shipped, ())
    assert not reload_allowed(tmp_path / "other", shipped, ())
