"""The ear and reverse mapper stages (issue 9): training lowers the loss, resume is exact, export parity
batch 1 and 7, the ear changes the sound encoder only."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.require import require_module

torch = require_module("torch", "ISUDT_REQUIRE_TORCH")
pytest.importorskip("onnxruntime")

from test_models_training import assert_resume_exact, tiny_config  # noqa: E402  (tests/ is on sys.path, see conftest.py)

from isudt.models.stages import train  # noqa: E402


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory) -> tuple[Path, dict]:
    """All six stages on the tiny configuration (ear and reverse last: they need the other four)."""
    runs = tmp_path_factory.mktemp("runs")
    torch.set_num_threads(1)
    stages = ("image", "sound", "inversion", "mapper", "ear", "reverse")
    return runs, {s: train(s, tiny_config(s, runs), runs / s, "cpu", quiet=True) for s in stages}


def test_reverse_training_lowers_the_loss(tiny_runs):
    hist = tiny_runs[1]["reverse"]["history"]
    assert hist[-1]["loss"] < hist[0]["loss"], [h["loss"] for h in hist]
    assert hist[-1]["loop"] < hist[0]["loop"], [h["loop"] for h in hist]
    assert all(h["cycle"] > 0 for h in hist)  # the cycle term is on (full weight from the start here)


def test_ear_training_lowers_the_loss_and_keeps_the_decoder(tiny_runs):
    """The ear pulls played sines toward the latent that played them; the decoder stays bit for bit."""
    runs, cks = tiny_runs
    hist = cks["ear"]["history"]
    assert hist[-1]["played"] < hist[0]["played"], [h["played"] for h in hist]
    assert all(h["keep"] >= 0 and h["recon"] > 0 for h in hist)
    assert {"heard_med_px", "heard_phase_p95_px"} <= set(hist[-1])
    sound, ear = cks["sound"]["model"], cks["ear"]["model"]
    assert set(sound) == set(ear)
    assert all(torch.equal(sound[k], ear[k]) for k in sound if k.startswith("decoder."))
    assert any(not torch.equal(sound[k], ear[k]) for k in sound if k.startswith("encoder."))


def test_ear_resume_continues_exactly(tiny_runs, tmp_path):
    """2 epochs straight == 1 epoch, stop, resume for the 2nd: same encoder, same history."""
    runs, _ = tiny_runs
    assert_resume_exact("ear", lambda epochs: tiny_config("ear", runs, epochs=epochs), tmp_path)


def test_reverse_starts_at_the_inverse_alignment(tiny_runs):
    """Before training, reverse(align_forward(z)) == z: the aligned start point undoes the forward alignment."""
    from isudt.models.networks import Mapper, ReverseMapper
    runs, cks = tiny_runs
    fwd = Mapper(**cks["mapper"]["net"]); fwd.load_state_dict(cks["mapper"]["model"])
    rev = ReverseMapper(2, 2)
    rev.set_inverse_alignment(fwd)
    z = torch.randn(50, 2)
    with torch.no_grad():
        assert torch.allclose(rev(fwd.align(z)), z, atol=1e-5)


def test_reverse_resume_continues_exactly(tiny_runs, tmp_path):
    """2 epochs straight == 1 epoch, stop, resume for the 2nd: same weights, same history."""
    runs, _ = tiny_runs
    assert_resume_exact("reverse", lambda epochs: tiny_config("reverse", runs, epochs=epochs), tmp_path)


def test_reverse_export_parity_and_position_table(tiny_runs, tmp_path):
    """reverse_mapper.onnx equals torch within 1e-4 at batch 1 and 7; the manifest says how to read a position,
    and the position table is the exported encoder's mean of every rendered square."""
    from isudt.daemon.bundle import load_manifest, open_bundle
    from isudt.daemon.square import render_square
    from isudt.models.export import export
    from isudt.models.networks import ReverseMapper

    runs, cks = tiny_runs
    export(runs, tmp_path / "bundle")
    manifest = load_manifest(tmp_path / "bundle")
    assert {"reverse_mapper", "position_table"} <= set(manifest.files)
    readout = manifest.raw["reverse"]["position_readout"]
    assert readout["from_latent"]["method"] == "nearest" and readout["from_image"]["block"] == 2
    rev = ReverseMapper(**cks["reverse"]["net"]); rev.load_state_dict(cks["reverse"]["model"]); rev.eval()
    models = open_bundle(tmp_path / "bundle", "cpu", roles=("reverse_mapper", "image_encoder"))
    g = torch.Generator().manual_seed(11)
    for batch in (1, 7):
        x = torch.rand((batch, 2), generator=g) * 6 - 3
        with torch.no_grad():
            want = rev(x).numpy()
        got = models.run("reverse_mapper", x.numpy())
        assert got.shape == want.shape == (batch, 2)
        assert np.abs(got - want).max() < 1e-4
    # the exported sound encoder is the ear's; the sound decoder is the sound VAE's
    from isudt.models.train import load_vae
    ear, sound = load_vae(runs / "ear", "sound"), load_vae(runs / "sound", "sound")
    both = open_bundle(tmp_path / "bundle", "cpu", roles=("sound_encoder", "sound_decoder"))
    mel = torch.rand(5, 64, generator=g)
    with torch.no_grad():
        assert np.abs(both.run("sound_encoder", mel.numpy()) - ear.encode(mel)[0].numpy()).max() < 1e-4
        z = torch.randn(5, 2, generator=g)
        assert np.abs(both.run("sound_decoder", z.numpy()) - sound.decode(z).numpy()).max() < 1e-4
    assert "train ear" in manifest.raw["files"]["sound_encoder"]["method"]
    with np.load(manifest.files["position_table"]) as f:
        table = f["z"]
    assert table.shape == (126, 126, 2)
    img = np.stack([render_square(x, y)[None] for x, y in ((0, 0), (17, 90), (125, 3))]).astype(np.float32)
    z = models.encode_image(img)
    assert np.allclose(z, [table[0, 0], table[90, 17], table[3, 125]], atol=1e-6)


def test_import_bundle_rebuilds_checkpoints_that_match_the_onnx_files(tiny_runs, tmp_path):
    """A bundle's forward models read back into torch checkpoints (for training later stages against
    shipped models); rebuild() itself refuses anything over 1e-4 from the ONNX files."""
    from isudt.models.export import export
    from isudt.models.import_bundle import rebuild
    from isudt.models.train import load_vae

    runs, cks = tiny_runs
    export(runs, tmp_path / "bundle")
    errors = rebuild(tmp_path / "bundle", tmp_path / "rebuilt")
    assert set(errors) == {"image_encoder", "image_decoder", "sound_encoder", "sound_decoder", "mapper", "inversion"}
    assert max(errors.values()) < 1e-4
    vae = load_vae(tmp_path / "rebuilt" / "image", "image")
    x = torch.rand(3, 1, 128, 128)
    with torch.no_grad():
        assert torch.allclose(vae.encode(x)[0], load_vae(runs / "image", "image").encode(x)[0], atol=1e-5)


def test_train_py_imports_no_later_stage() -> None:
    """The stage dispatch is models/stages.py: train.py imports neither ear.py nor reverse.py (no import cycle)."""
    import ast
    tree = ast.parse((Path(__file__).resolve().parents[1] / "models" / "train.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"ear", "reverse", "stages"}, imported
