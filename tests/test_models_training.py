"""models/: torch front end vs numpy, tiny training runs, resume, export parity (torch vs onnxruntime)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.require import require_module

torch = require_module("torch", "ISUDT_REQUIRE_TORCH")
ort = pytest.importorskip("onnxruntime")

from isudt.daemon.mel import mel_vector, sine  # noqa: E402
from isudt.models.config import load_config  # noqa: E402
from isudt.models.data import TorchMel, sines, sound_set  # noqa: E402
from isudt.models.stages import train  # noqa: E402

TINY = {
    "image": dict(epochs=3, subset=384, batch_size=64),
    "sound": dict(epochs=3, steps_per_epoch=15, batch_size=128, n_pitches=512),
    "mapper": dict(epochs=3, subset=384, warmup_epochs=1, cycle_ramp=[-1, 0]),  # full cycle weight from the start
    "inversion": dict(steps=60, batch_size=256, n_pitches=512),
    "ear": dict(epochs=3, subset=384, batch_size=128, random_sines=256, warmup_epochs=1, checkpoint_every=1),
    "reverse": dict(epochs=3, subset=384, batch_size=128, played_phases=2, random_sines=256, warmup_epochs=1,
                    cycle_ramp=[-1, 0], cycle_batch=32),
}


def tiny_config(stage: str, runs: Path, **extra):
    kw = dict(TINY[stage]) | extra
    if stage in ("mapper", "ear", "reverse"):
        kw |= {"image_run": str(runs / "image"), "sound_run": str(runs / "sound")}
    if stage == "inversion":
        kw["sound_run"] = str(runs / "sound")
    if stage in ("ear", "reverse"):
        kw |= {"mapper_run": str(runs / "mapper"), "inversion_run": str(runs / "inversion")}
    if stage == "reverse":
        kw["ear_run"] = str(runs / "ear")
    return load_config(stage, **kw)


def assert_resume_exact(stage: str, config, tmp_path: Path, history: bool = True) -> None:
    """2 epochs straight == 1 epoch, stop, resume for the 2nd: same weights (and history).

    `config(epochs)` builds the stage's config for that many epochs.
    """
    straight = train(stage, config(2), tmp_path / "a", "cpu", quiet=True)
    train(stage, config(1), tmp_path / "b", "cpu", quiet=True)
    resumed = train(stage, config(2), tmp_path / "b", "cpu", resume=True, quiet=True)
    for k, v in straight["model"].items():
        assert torch.equal(v, resumed["model"][k]), k
    if history:
        assert straight["history"] == resumed["history"]


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


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["image", "sound"])
def test_resume_continues_exactly(tmp_path, stage):
    """2 epochs straight == 1 epoch, stop, resume for the 2nd."""
    torch.set_num_threads(1)
    kw = dict(TINY[stage]) | ({"subset": 128} if stage == "image" else {})
    assert_resume_exact(stage, lambda epochs: load_config(stage, **(kw | {"epochs": epochs})), tmp_path)


def test_mapper_resume_continues_exactly(tiny_runs, tmp_path):
    runs, _ = tiny_runs
    assert_resume_exact("mapper", lambda epochs: tiny_config("mapper", runs, epochs=epochs), tmp_path, history=False)


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


# ---------------------------------------------------------------- Models v2 options (issue 9)

@pytest.mark.slow
def test_painter_decoder_trains_and_exports_at_full_size(tmp_path):
    """The painter image decoder: a tiny run lowers the loss, resumes exactly, and the exported decoder draws
    128 x 128 equal to torch within 1e-4 at batch 1 and 7."""
    from isudt.models.export import FullSizeImageDecoder, export_one
    from isudt.models.train import load_vae

    torch.set_num_threads(1)
    kw = dict(TINY["image"]) | {"decoder": "painter", "paint_pixels": 256, "subset": 128, "epochs": 2}
    straight = train("image", load_config("image", **kw), tmp_path / "a", "cpu", quiet=True)
    assert straight["history"][-1]["loss"] < straight["history"][0]["loss"]
    train("image", load_config("image", **(kw | {"epochs": 1})), tmp_path / "b", "cpu", quiet=True)
    resumed = train("image", load_config("image", **kw), tmp_path / "b", "cpu", resume=True, quiet=True)
    for k, v in straight["model"].items():
        assert torch.equal(v, resumed["model"][k]), k
    vae = load_vae(tmp_path / "a", "image")
    err = export_one(FullSizeImageDecoder(vae.decoder), torch.randn(1, 2), tmp_path / "dec.onnx", "z_image", "image", 17)
    assert err < 1e-4
    sess = ort.InferenceSession(str(tmp_path / "dec.onnx"), providers=["CPUExecutionProvider"])
    assert sess.run(None, {"z_image": np.zeros((7, 2), np.float32)})[0].shape == (7, 1, 128, 128)


def test_sampled_pixels_cover_the_square():
    """The painter trains on a window around each image's brightest pixel (the square) plus uniform pixels."""
    from isudt.daemon.square import render_square
    from isudt.models.train import sample_pixels
    x = torch.stack([torch.from_numpy(render_square(x, y))[None] for x, y in ((0, 0), (60, 17), (125, 125))])
    (cols, rows), values = sample_pixels(x, 300)
    assert values.shape == (3, 1, 300, 1)
    for i, (sx, sy) in enumerate(((0, 0), (60, 17), (125, 125))):
        on_square = (cols[i] >= sx) & (cols[i] <= sx + 1) & (rows[i] >= sy) & (rows[i] <= sy + 1)
        assert on_square.any() and torch.all(values[i, 0, on_square, 0] == 1.0)
    assert torch.equal(values[:, 0, :, 0], x[:, 0][torch.arange(3)[:, None], rows, cols])


def test_phase_views_target_is_the_phase_average():
    """With phase views the input is one phase and the target the mean of that pitch's phases; without, the
    sampler draws exactly what it drew before (old runs reproduce)."""
    plain, views = sound_set(16, seed=2), sound_set(16, seed=2, phase_views=4)
    assert torch.equal(views.views[:, 0], plain.unit_mel)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a, b = plain.sample(6, g1), plain.sample_with_target(6, g2)
    assert torch.equal(a[0], b[0]) and torch.equal(b[0], b[1])
    mel, target, pitch, amp = views.sample_with_target(500, torch.Generator().manual_seed(1))
    idx = torch.searchsorted(views.pitch.sort().values, pitch)  # the pitch identifies the tone
    order = views.pitch.argsort()
    shift = (20 * torch.log10(amp))[:, None] / 120
    assert torch.allclose(target, views.views.mean(1)[order[idx]] + shift, atol=1e-6)
    assert any(torch.allclose(mel[0], views.views[order[idx[0]], v] + shift[0], atol=1e-6) for v in range(4))


def test_level_distribution_in_db_is_uniform_in_db():
    ss = sound_set(8, seed=1, level_dist="db")
    db = 20 * torch.log10(ss.sample(20000, torch.Generator().manual_seed(0))[2])
    assert -40.01 < db.min() < -39 and -1 < db.max() < 0.01
    assert abs(float((db < -20).float().mean()) - 0.5) < 0.02


@pytest.mark.slow
def test_decoder_refit_keeps_the_encoder(tmp_path):
    """encoder_from + freeze_encoder: a new (painter) decoder learns while the encoder stays bit-identical, so
    the latent every later stage was trained on does not move."""
    torch.set_num_threads(1)
    base = train("image", load_config("image", **(dict(TINY["image"]) | {"epochs": 1, "subset": 128})), tmp_path / "a",
                 "cpu", quiet=True)
    kw = dict(TINY["image"]) | {"epochs": 2, "subset": 128, "decoder": "painter", "paint_pixels": 256,
                                "encoder_from": str(tmp_path / "a"), "freeze_encoder": True}
    refit = train("image", load_config("image", **kw), tmp_path / "b", "cpu", quiet=True)
    enc = {k: v for k, v in base["model"].items() if k.startswith("encoder.")}
    assert enc and all(torch.equal(v, refit["model"][k]) for k, v in enc.items())
    assert refit["history"][-1]["rec"] < refit["history"][0]["rec"]


@pytest.mark.slow
def test_point_head_polish_moves_only_the_point_and_brings_it_closer(tmp_path):
    """head_steps: after the epochs, the painter's point head alone is refitted on posterior means; the point
    lands nearer each image's square than before, nothing else moves, and resuming the polished run is a no-op."""
    from isudt.models.data import image_set
    from isudt.models.train import image_posteriors, load_vae, peak_of

    torch.set_num_threads(1)
    kw = dict(TINY["image"]) | {"epochs": 1, "subset": 128, "decoder": "painter", "paint_pixels": 256}
    plain = train("image", load_config("image", **kw), tmp_path / "a", "cpu", quiet=True)
    train("image", load_config("image", **kw), tmp_path / "b", "cpu", quiet=True)
    polished = train("image", load_config("image", **(kw | {"head_steps": 300})), tmp_path / "b", "cpu", resume=True,
                     quiet=True)
    moved = {k for k in plain["model"] if not torch.equal(plain["model"][k], polished["model"][k])}
    assert moved and all(k.startswith("decoder.head.") for k in moved), moved
    data = image_set(subset=128, seed=0)
    where = peak_of(data.batch(torch.arange(128)))

    def point_error(run: Path) -> float:
        vae = load_vae(run, "image")
        with torch.no_grad():
            return float(torch.linalg.norm(vae.decoder.centre(image_posteriors(vae, data)[0]) - where, dim=1).median())

    before, after = point_error(tmp_path / "a"), point_error(tmp_path / "b")
    assert after < before, (before, after)
    assert polished["head"]["head_point_med_px"] == pytest.approx(after, rel=1e-4)
    again = train("image", load_config("image", **(kw | {"head_steps": 300})), tmp_path / "b", "cpu", resume=True,
                  quiet=True)
    assert all(torch.equal(v, again["model"][k]) for k, v in polished["model"].items())


def test_sound_phase_term_trains(tmp_path):
    """phase_views + w_phase: the tiny sound VAE trains with the phase-consistency term logged as `aux`."""
    torch.set_num_threads(1)
    kw = dict(TINY["sound"]) | {"phase_views": 2, "w_phase": 100.0, "level_dist": "db"}
    ck = train("sound", load_config("sound", **kw), tmp_path / "s", "cpu", quiet=True)
    hist = ck["history"]
    assert "aux" in hist[-1] and hist[-1]["loss"] < hist[0]["loss"]
