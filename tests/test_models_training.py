"""models/: torch front end vs numpy, tiny training runs, resume, export parity (torch vs onnxruntime)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from isudt.daemon.mel import mel_vector, sine  # noqa: E402
from isudt.models.config import load_config  # noqa: E402
from isudt.models.data import TorchMel, sines, sound_set  # noqa: E402
from isudt.models.train import train  # noqa: E402

TINY = {
    "image": dict(epochs=3, subset=384, batch_size=64),
    "sound": dict(epochs=3, steps_per_epoch=15, batch_size=128, n_pitches=512),
    "mapper": dict(epochs=3, subset=384, warmup_epochs=1, cycle_ramp=[-1, 0]),  # full cycle weight from the start
    "inversion": dict(steps=60, batch_size=256, n_pitches=512),
}


def tiny_config(stage: str, runs: Path, **extra):
    kw = dict(TINY[stage]) | extra
    if stage == "mapper":
        kw |= {"image_run": str(runs / "image"), "sound_run": str(runs / "sound")}
    if stage == "inversion":
        kw["sound_run"] = str(runs / "sound")
    return load_config(stage, **kw)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory) -> tuple[Path, dict]:
    """All four stages trained on the tiny configuration, once for this module."""
    runs = tmp_path_factory.mktemp("runs")
    torch.set_num_threads(1)
    cks = {s: train(s, tiny_config(s, runs), runs / s, "cpu", quiet=True) for s in ("image", "sound", "inversion", "mapper")}
    return runs, cks


def test_torch_mel_matches_numpy_reference():
    front = TorchMel()
    pitch = torch.tensor([38.0, 52.25, 71.9, 86.0], dtype=torch.float64)
    amp = torch.tensor([0.01, 0.3, 0.77, 1.0])
    offset = torch.tensor([0, 999, 20000, 39807])
    sign = torch.tensor([1.0, -1.0, 1.0, -1.0])
    got = front(sines(pitch, amp, offset, sign)).numpy()
    for k in range(4):
        ref = mel_vector(sine(float(pitch[k]), float(amp[k]), offset=int(offset[k]), sign=float(sign[k])))
        assert np.abs(got[k] - ref).max() < 1e-4


def test_sound_set_amplitude_shift_is_exact():
    """SoundSet adds 20 log10(a) / 120 to unit-amplitude vectors: check against a real quiet sine."""
    ss = sound_set(8, seed=3)
    idx, amp = torch.tensor([2]), torch.tensor([0.05])
    shifted = ss.with_amplitude(idx, amp).numpy()[0]
    unit = ss.unit_mel[2].numpy()
    assert np.allclose(shifted - unit, 20 * np.log10(0.05) / 120, atol=1e-6)


@pytest.mark.parametrize("stage", ["image", "sound"])
def test_training_lowers_the_loss(tiny_runs, stage):
    _, cks = tiny_runs
    hist = cks[stage]["history"]
    assert hist[-1]["loss"] < hist[0]["loss"], [h["loss"] for h in hist]


def test_mapper_training_lowers_the_loss(tiny_runs, tmp_path):
    """From the published plain initialisation (not the aligned identity, where locality is already 0)."""
    runs, _ = tiny_runs
    ck = train("mapper", tiny_config("mapper", runs, identity_start=False), tmp_path / "m", "cpu", quiet=True)
    hist = ck["history"]
    assert hist[-1]["loss"] < hist[0]["loss"], [h["loss"] for h in hist]


def test_inversion_training_lowers_the_loss(tiny_runs):
    hist = tiny_runs[1]["inversion"]["history"]
    assert hist[-1]["loss"] < hist[0]["loss"]


def test_checkpoints_are_plain_state(tiny_runs):
    runs, _ = tiny_runs
    for stage in ("image", "sound", "mapper", "inversion"):
        ck = torch.load(runs / stage / "checkpoint.pt", weights_only=True)  # refuses pickled objects
        assert isinstance(ck["model"], dict) and isinstance(ck["config"], dict)


@pytest.mark.parametrize("stage", ["image", "sound"])
def test_resume_continues_exactly(tmp_path, stage):
    """2 epochs straight == 1 epoch, stop, resume for the 2nd."""
    torch.set_num_threads(1)
    kw = dict(TINY[stage]) | {"epochs": 2}
    if stage == "image":
        kw["subset"] = 128
    straight = train(stage, load_config(stage, **kw), tmp_path / "a", "cpu", quiet=True)
    train(stage, load_config(stage, **(kw | {"epochs": 1})), tmp_path / "b", "cpu", quiet=True)
    resumed = train(stage, load_config(stage, **kw), tmp_path / "b", "cpu", resume=True, quiet=True)
    for k, v in straight["model"].items():
        assert torch.equal(v, resumed["model"][k]), k
    assert straight["history"] == resumed["history"]


def test_mapper_resume_continues_exactly(tiny_runs, tmp_path):
    runs, _ = tiny_runs
    straight = train("mapper", tiny_config("mapper", runs, epochs=2), tmp_path / "a", "cpu", quiet=True)
    train("mapper", tiny_config("mapper", runs, epochs=1), tmp_path / "b", "cpu", quiet=True)
    resumed = train("mapper", tiny_config("mapper", runs, epochs=2), tmp_path / "b", "cpu", resume=True, quiet=True)
    for k, v in straight["model"].items():
        assert torch.equal(v, resumed["model"][k]), k


def test_mapper_starts_at_the_aligned_identity(tiny_runs):
    """Before training, the mapper is the moment alignment: image-latent statistics become the sound latent's."""
    from isudt.models.networks import Mapper
    m = Mapper()
    z_img = torch.randn(500, 2) * torch.tensor([0.3, 2.0]) + torch.tensor([1.0, -4.0])
    z_snd = torch.randn(500, 2) * torch.tensor([0.8, 0.5]) + torch.tensor([-0.2, 0.1])
    m.set_alignment(z_img, z_snd, spread=0.8)
    with torch.no_grad():
        out = m(z_img)
    assert torch.allclose(out.mean(0), z_snd.mean(0), atol=1e-4)
    assert torch.allclose(out.std(0), z_snd.std(0) * 0.8, atol=1e-4)


def test_unknown_config_key_is_named():
    with pytest.raises(ValueError, match="learning_rate"):
        load_config("image", learning_rate=1.0)


def test_export_parity_onnx_vs_torch(tiny_runs, tmp_path):
    """Every exported model equals torch within 1e-4 at batch 1 and 7 on fresh random inputs."""
    from isudt.daemon.bundle import load_manifest, open_bundle
    from isudt.models.export import export
    from isudt.models.networks import Inversion, Mapper
    from isudt.models.train import load_vae

    runs, cks = tiny_runs
    manifest = export(runs, tmp_path / "bundle")
    assert load_manifest(tmp_path / "bundle").model_id == manifest["model_id"]
    image_vae, sound_vae = load_vae(runs / "image", "image"), load_vae(runs / "sound", "sound")
    mapper = Mapper(**cks["mapper"]["net"]); mapper.load_state_dict(cks["mapper"]["model"]); mapper.eval()
    inv = Inversion(**cks["inversion"]["net"]); inv.load_state_dict(cks["inversion"]["model"]); inv.eval()
    ref = {
        "image_encoder": (lambda x: image_vae.encode(x)[0], (1, 128, 128)),
        "image_decoder": (image_vae.decoder.full_size, (2,)),
        "mapper": (mapper, (2,)),
        "sound_encoder": (lambda x: sound_vae.encode(x)[0], (64,)),
        "sound_decoder": (sound_vae.decode, (2,)),
        "inversion": (inv, (64,)),
    }
    models = open_bundle(tmp_path / "bundle", "cpu", roles=tuple(ref))
    g = torch.Generator().manual_seed(7)
    for role, (fn, shape) in ref.items():
        for batch in (1, 7):
            x = torch.rand((batch, *shape), generator=g)
            if role != "image_encoder":  # images live in [0, 1], everything else around 0
                x = x * 4 - 2
            with torch.no_grad():
                want = fn(x).numpy()
            got = models.run(role, x.numpy())
            assert got.shape == want.shape
            assert np.abs(got - want).max() < 1e-4, role
