"""Load a model bundle (docs/contracts.md, section 1): validate the manifest, verify the files, open ORT sessions.

The daemon holds no constants about the models: sizes, ranges and file names
all come from `manifest.yaml`. Everything that can be wrong with a bundle is
raised as `BundleError` with one line naming the file and the problem, so a
start fails clearly and a reload can be refused while the old bundle plays.

Bundles ship one folder each under `isudt.exported` (`exported/<name>/`,
e.g. `exported/square-sine/`, the default); `resolve_bundle` turns a shipped
name or a directory into the folder, `shipped_bundles` lists them and
`isudt bundles` prints them. A manifest says which world its images come
from (`image.world`, or `square` when it has `image.square`) and which synth plays its
parameters (`synth:`, a sine when absent); `load_manifest` reads any of them,
`open_bundle` (the serving loader) refuses those this daemon cannot serve
(`check_servable`).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from .mel import DEFAULT_MEL, MelSpec
from .square import SquareSpec
from .synths import SINE, SYNTHS, SynthDef, SynthParam, parse_synth

log = logging.getLogger(__name__)

FORMAT = "isudt-bundle/1"
INDEX_FORMAT = "isudt-bundles/1"   # exported/manifest.yaml: the index of the shipped bundles, not a bundle
# role -> (input name, output name)
ROLES = {
    "image_encoder": ("image", "mu"),
    "image_decoder": ("z_image", "image"),
    "mapper": ("z_image", "z_sound"),
    "sound_encoder": ("mel", "mu"),
    "sound_decoder": ("z_sound", "mel"),
    "inversion": ("mel", "params"),
    "reverse_mapper": ("z_sound", "z_image"),  # optional: the way back (docs/contracts.md, section 3)
}
SERVING_ROLES = ("image_encoder", "mapper", "sound_decoder", "inversion")
# the way back (sound -> image, docs/contracts.md, section 3): optional; loaded with `way_back=True` when the bundle has all of them
WAY_BACK_ROLES = ("sound_encoder", "reverse_mapper", "image_decoder")
NO_WAY_BACK = "this bundle has no way back"


class BundleError(Exception):
    """A bundle that cannot be used; the message is one line fit for a log or an OSC /error."""


DEFAULT_BUNDLE = "square-sine"
PLAYABLE_SYNTHS = ("sine", "fm")   # synth kinds the engine plays (daemon/synths.py, engine.set_voice_params)
SQUARE_WORLD = "square"            # the one world with squares: /pictslider, /square and the position table


def shipped_root() -> Path:
    """The folder of the shipped bundles: the package `isudt.exported`."""
    return Path(str(resources.files("isudt.exported")))


def default_bundle_dir() -> Path:
    """The default bundle shipped inside the package: `isudt.exported/square-sine`."""
    return shipped_root() / DEFAULT_BUNDLE


def shipped_bundles() -> dict[str, Path]:
    """Every shipped bundle, name -> folder: the folders under `isudt.exported` holding a manifest.yaml (sorted)."""
    root = shipped_root()
    return {d.name: d for d in sorted(root.iterdir(), key=lambda d: d.name)
            if d.is_dir() and (d / "manifest.yaml").is_file()}


def _known() -> str:
    return ", ".join(shipped_bundles()) or "none"


def resolve_bundle(name_or_dir: str | Path) -> Path:
    """A shipped bundle's name (`square-sine`) or a bundle directory -> the bundle's folder.

    A bare name (no path separator) that a shipped bundle has means that
    bundle, even if the working directory holds a folder of the same name
    (write `./NAME` for the folder). A bare name that is neither shipped nor
    an existing directory is a `BundleError` naming the shipped ones; any
    other path is returned as given (`load_manifest` says what is wrong with it).
    """
    s = str(name_or_dir)
    shipped = shipped_bundles()
    if isinstance(name_or_dir, str) and s in shipped:
        return shipped[s]
    p = Path(s).expanduser()
    if isinstance(name_or_dir, str) and "/" not in s and "\\" not in s and not p.exists():
        raise BundleError(f"no shipped bundle named {s!r} and no such directory (shipped: {_known()})")
    return p


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _require(d: dict, key: str, where: str):
    if not isinstance(d, dict) or key not in d:
        raise BundleError(f"manifest: missing '{where}{key}'")
    return d[key]


@dataclass(frozen=True)
class Box:
    """Axis-aligned latent range the daemon clamps into."""

    lo: np.ndarray
    hi: np.ndarray

    def clamp(self, z: np.ndarray) -> np.ndarray:
        return np.clip(z, self.lo, self.hi)


@dataclass(frozen=True)
class Manifest:
    """The parts of `manifest.yaml` the runtime uses, validated."""

    root: Path
    model_id: str
    image_size: int
    image_latent: int
    sound_latent: int
    n_mels: int
    square: SquareSpec | None   # None for a world other than the square (no /pictslider, /square, position table)
    image_box: Box
    sound_box: Box
    files: dict[str, Path]
    raw: dict = field(repr=False)
    image_world: str = "square"
    synth: SynthDef | None = None  # always set by load_manifest (a sine when the manifest has no `synth:`)
    mel: MelSpec = DEFAULT_MEL     # the sound side's mel front end (the manifest's `sound:` fields)

    @property
    def name(self) -> str:
        """The bundle's folder name (a shipped bundle's name)."""
        return self.root.name


def _box(section: dict, where: str, dim: int) -> Box:
    r = _require(section, "latent_range", where)
    lo, hi = np.asarray(_require(r, "min", where + "latent_range."), np.float32), np.asarray(_require(r, "max", where + "latent_range."), np.float32)
    if lo.shape != (dim,) or hi.shape != (dim,) or np.any(lo >= hi):
        raise BundleError(f"manifest: {where}latent_range must be min < max with {dim} values each")
    return Box(lo, hi)


def _sine_from_sound(sound: dict) -> SynthDef:
    """The synth of a manifest without `synth:` (older bundles): a sine over the sound section's ranges."""
    pitch = sound.get("pitch_range") or (38.0, 86.0)
    amp = sound.get("amplitude_range") or (0.01, 1.0)
    db = [round(20.0 * float(np.log10(float(a))), 6) for a in amp]
    return SynthDef("sine", (SynthParam("pitch", "MIDI", float(pitch[0]), float(pitch[1])),
                             SynthParam("db", "dB", db[0], db[1])))


def mel_spec(sound: dict) -> MelSpec:
    """The mel front end a manifest's `sound:` section describes (the fields it lacks keep DEFAULT_MEL's values).

    square-sine's manifest gives exactly DEFAULT_MEL; digits-fm's its own band (40 Hz - 16 kHz).
    """
    d = DEFAULT_MEL
    db = sound.get("db_range") or (d.db_min, d.db_max)
    pitch = sound.get("pitch_range") or (d.pitch_min, d.pitch_max)
    amp = sound.get("amplitude_range") or (d.amp_min, d.amp_max)
    return MelSpec(sample_rate=int(sound.get("sample_rate", d.sample_rate)), n_fft=int(sound.get("n_fft", d.n_fft)),
                   hop_length=int(sound.get("hop_length", d.hop_length)), n_mels=int(sound.get("n_mels", d.n_mels)),
                   f_min=float(sound.get("f_min", d.f_min)), f_max=float(sound.get("f_max", d.f_max)),
                   n_samples=int(sound.get("n_samples", d.n_samples)), top_db=float(sound.get("top_db", d.top_db)),
                   db_min=float(db[0]), db_max=float(db[1]), pitch_min=float(pitch[0]), pitch_max=float(pitch[1]),
                   amp_min=float(amp[0]), amp_max=float(amp[1]))


def _synth(raw: dict, sound: dict, path: Path) -> SynthDef:
    section = raw.get("synth")
    if section is None:
        return _sine_from_sound(sound)
    try:
        return parse_synth(section)
    except ValueError as e:
        raise BundleError(f"{path}: {e}") from None


def _image_world(raw: dict, image: dict):
    """The name of the bundle's image world: `image.world`; else `square` when the manifest has `image.square`;
    else the image source a world export records (`image.source.source`: mnist5k, digits, a folder); else the
    world's name (`world.name`)."""
    if "world" in image:
        return image["world"]
    if "square" in image:
        return "square"
    for section, key in ((image.get("source"), "source"), (raw.get("world"), "name")):
        if isinstance(section, dict) and section.get(key):
            return str(section[key])
    return "unknown"


def _which_bundles(root: Path) -> str:
    """For a folder that is not a bundle: the bundles it holds, or else the shipped ones (only on an error)."""
    inside = [d.name for d in sorted(root.iterdir()) if (d / "manifest.yaml").is_file()] if root.is_dir() else []
    return f"it holds bundles {', '.join(inside)}: name one" if inside else f"shipped bundles: {_known()}"


def load_manifest(root: str | Path, verify: bool = True) -> Manifest:
    """Parse and check `root/manifest.yaml`; with `verify`, every file must exist and match its sha256.

    Reads bundles of any world and synth (`isudt bundles` lists them); whether
    this daemon can serve one is `check_servable`'s question.
    """
    root = Path(root)
    path = root / "manifest.yaml"
    if not path.is_file():
        raise BundleError(f"no manifest.yaml in {root} ({_which_bundles(root)})")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise BundleError(f"{path}: not valid YAML ({e.__class__.__name__})") from None
    if isinstance(raw, dict) and raw.get("format") == INDEX_FORMAT:
        raise BundleError(f"{path} is an index of bundles, not a bundle ({_which_bundles(root)})")
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BundleError(f"{path}: format must be '{FORMAT}'")
    image, sound, files = _require(raw, "image", ""), _require(raw, "sound", ""), _require(raw, "files", "")
    world = _image_world(raw, image) if isinstance(image, dict) else "square"
    if not isinstance(world, str) or not world:
        raise BundleError(f"{path}: image.world must be a name (e.g. square)")
    spec: SquareSpec | None = None
    try:
        if world == "square":
            sq = _require(image, "square", "image.")
            spec = SquareSpec(size=int(image["height"]), square=int(sq["size"]), positions=int(sq["positions"]),
                              glow_scale=float(sq["glow_scale"]), glow_exponent=float(sq["glow_exponent"]))
        size = int(image["height"])
        li, ls, n_mels = int(image["latent_dim"]), int(sound["latent_dim"]), int(sound["n_mels"])
        mel = mel_spec(sound)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise BundleError(f"{path}: bad image/sound section ({e})") from None
    synth = _synth(raw, sound, path)
    paths: dict[str, Path] = {}
    # optional files: evaluation and the way back; `position_table` is data (.npz), described under `reverse:`
    for role in SERVING_ROLES + ("image_decoder", "sound_encoder", "reverse_mapper", "position_table"):
        entry = files.get(role)
        if entry is None:
            if role in SERVING_ROLES:
                raise BundleError(f"manifest: files.{role} is missing")
            continue
        p = root / str(_require(entry, "path", f"files.{role}."))
        if verify:
            if not p.is_file():
                raise BundleError(f"{p}: listed in the manifest but missing")
            if sha256(p) != entry.get("sha256"):
                raise BundleError(f"{p}: sha256 does not match the manifest (corrupt or replaced)")
        paths[role] = p
    return Manifest(root, str(raw.get("model_id", "unknown")), size, li, ls, n_mels, spec,
                    _box(image, "image.", li), _box(sound, "sound.", ls), paths, raw, world, synth, mel)


def check_servable(manifest: Manifest) -> None:
    """Refuse, with one line, a bundle this daemon cannot serve: a synth it cannot play (or whose parameters are
    not that synth's), or images that are not square (the image encoder takes [N, 1, S, S]).

    Any image world is served; what only the square world has (`/pictslider`, `/square`, the position table)
    is refused per request in the others (docs/contracts.md, section 4).
    """
    name = manifest.name
    synth = manifest.synth or SINE
    if synth.kind not in PLAYABLE_SYNTHS:
        raise BundleError(f"bundle {name}: synth kind {synth.kind!r} is not playable by this daemon "
                          f"(plays: {', '.join(PLAYABLE_SYNTHS)})")
    want = SYNTHS[synth.kind].names
    if synth.names != want:
        raise BundleError(f"bundle {name}: a {synth.kind} takes parameters {list(want)}, the manifest lists "
                          f"{list(synth.names)}")
    w = int(manifest.raw.get("image", {}).get("width", manifest.image_size))
    if w != manifest.image_size:
        raise BundleError(f"bundle {name}: images of {manifest.image_size} x {w} are not served "
                          f"(the image encoder takes square images, [N, 1, S, S])")


def describe(manifest: Manifest) -> str:
    """One line about a bundle: name, model id, image world, synth kind and its parameters (`isudt bundles`)."""
    w = int(manifest.raw.get("image", {}).get("width", manifest.image_size))
    synth = manifest.synth or SINE
    return (f"{manifest.name}  {manifest.model_id}  {manifest.image_world} {manifest.image_size}x{w}, "
            f"latent {manifest.image_latent}  synth {synth.kind} ({', '.join(synth.names)})")


def session_options(threads: int = 1):
    """One intra-op thread (by default), one inter-op thread, sequential, no spinning.

    Inference runs inline on the event loop (pipeline.py): a thread pool would
    put back the thread hand-offs that cost more than these models do at batch
    1, and spinning threads would steal the audio thread's core.
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    so.log_severity_level = 3
    return so


def resolve_providers(choice: str) -> list[str]:
    """`auto`: CUDA when onnxruntime offers it, else CPU; `cuda`/`cpu` ask for one explicitly."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if choice == "cpu":
        return ["CPUExecutionProvider"]
    if choice == "cuda":
        if "CUDAExecutionProvider" not in available:
            raise BundleError(f"providers: cuda asked for, but onnxruntime offers only {available}")
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if choice == "auto":
        return (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []) + ["CPUExecutionProvider"]
    raise BundleError(f"providers: {choice!r} is not one of auto, cpu, cuda")


def expected_shapes(manifest: Manifest) -> dict[str, tuple[list[int], list[int]]]:
    """Per role, the (input, output) shapes after the batch axis that the manifest implies."""
    h = manifest.image_size
    w = int(manifest.raw.get("image", {}).get("width", h))
    li, ls, m = manifest.image_latent, manifest.sound_latent, manifest.n_mels
    n = len((manifest.synth or SINE).params)     # the inversion gives the synth's parameters, in its order
    return {"image_encoder": ([1, h, w], [li]), "image_decoder": ([li], [1, h, w]), "mapper": ([li], [ls]),
            "sound_encoder": ([m], [ls]), "sound_decoder": ([ls], [m]), "inversion": ([m], [n]),
            "reverse_mapper": ([ls], [li])}


def _check_signature(role: str, session, manifest: Manifest) -> None:
    """A model whose input/output names or fixed sizes disagree with the manifest is refused at load.

    Without this, a manifest that does not match its files (latent_dim, n_mels
    or image size edited, or a model from another export) loads, warms up on
    the models' own shapes and only fails on the first request whose size
    comes from the manifest (`/latent/image` with latent_dim values).
    """
    path = manifest.files[role]
    want_in, want_out = expected_shapes(manifest)[role]
    for what, args, name, want in (("input", session.get_inputs(), ROLES[role][0], want_in),
                                   ("output", session.get_outputs(), ROLES[role][1], want_out)):
        if not args or args[0].name != name:
            raise BundleError(f"{path}: {what} is {args[0].name if args else 'missing'!r}, the manifest format "
                              f"needs {name!r}")
        shape = list(args[0].shape)
        if len(shape) != 1 + len(want) or any(isinstance(g, int) and g != e for g, e in zip(shape[1:], want)):
            raise BundleError(f"{path}: {what} {name!r} has shape {shape}, the manifest implies [N, "
                              + ", ".join(map(str, want)) + "]")


class Models:
    """The ORT sessions of one bundle and the four steps of the serving path, batched.

    All inputs and outputs are float32 numpy arrays with a leading batch axis.
    """

    def __init__(self, manifest: Manifest, providers: str = "auto", threads: int = 1, roles=SERVING_ROLES,
                 way_back: bool = False) -> None:
        import onnxruntime as ort

        self.manifest = manifest
        wanted = resolve_providers(providers)
        self.sessions = {}
        self.position_table: np.ndarray | None = None   # [P*P, Li], index y * P + x (the square world's readout)
        self._way_back = False
        if way_back and has_way_back(manifest):
            roles = tuple(roles) + tuple(r for r in WAY_BACK_ROLES if r not in roles)
            if manifest.square is not None:
                self.position_table = load_position_table(manifest)
            self._way_back = True
        for role in roles:
            try:
                self.sessions[role] = ort.InferenceSession(str(manifest.files[role]), session_options(threads), providers=wanted)
            except KeyError:
                raise BundleError(f"bundle has no {role}") from None
            except Exception as e:  # ORT raises its own types for corrupt graphs
                raise BundleError(f"{manifest.files[role]}: onnxruntime cannot load it ({str(e).splitlines()[0][:160]})") from None
            _check_signature(role, self.sessions[role], manifest)
        used = self.sessions[roles[0]].get_providers()
        if "CUDAExecutionProvider" in wanted and "CUDAExecutionProvider" not in used:
            if providers == "cuda":   # asked for by name: never serve it silently on the CPU
                raise BundleError("providers: cuda asked for, but onnxruntime could not start the CUDA provider "
                                  "(driver, CUDA or cuDNN libraries missing?); use providers: auto or cpu")
            log.warning("CUDA provider offered but not usable; running on CPU")
        self.provider = "cuda" if "CUDAExecutionProvider" in used else "cpu"

    def run(self, role: str, x: np.ndarray) -> np.ndarray:
        inp, _ = ROLES[role]
        return self.sessions[role].run(None, {inp: np.ascontiguousarray(x, dtype=np.float32)})[0]

    def encode_image(self, images: np.ndarray) -> np.ndarray:
        """[N, 1, H, W] in [0, 1] -> z_image [N, Li] (posterior mean)."""
        return self.run("image_encoder", images)

    def map(self, z_image: np.ndarray) -> np.ndarray:
        return self.run("mapper", z_image)

    def decode(self, z_sound: np.ndarray) -> np.ndarray:
        return self.run("sound_decoder", z_sound)

    def invert(self, mel: np.ndarray) -> np.ndarray:
        """mel [N, M] -> [N, P]: the synth's parameters in `manifest.synth.params` order (sine: MIDI pitch, dB)."""
        return self.run("inversion", mel)

    # the way back: present only when loaded with way_back=True from a bundle that has it
    @property
    def way_back(self) -> bool:
        """Loaded with the way back (and, in the square world, its position table)."""
        return self._way_back and all(r in self.sessions for r in WAY_BACK_ROLES)

    def encode_sound(self, mel: np.ndarray) -> np.ndarray:
        """mel [N, M] -> z_sound [N, Ls] (posterior mean)."""
        return self.run("sound_encoder", mel)

    def reverse(self, z_sound: np.ndarray) -> np.ndarray:
        """z_sound [N, Ls] -> z_image [N, Li] (the reverse mapper)."""
        return self.run("reverse_mapper", z_sound)

    def decode_image(self, z_image: np.ndarray) -> np.ndarray:
        """z_image [N, Li] -> images [N, 1, H, W] (about [0, 1])."""
        return self.run("image_decoder", z_image)


def has_way_back(manifest: Manifest) -> bool:
    """All the files the way back needs are listed (and, when verified, present and intact): its three models,
    and in the square world the position table (its `/square` readout)."""
    extra = ("position_table",) if manifest.square is not None else ()
    return all(r in manifest.files for r in WAY_BACK_ROLES + extra)


def load_position_table(manifest: Manifest) -> np.ndarray:
    """`position_table.npz`'s z[y, x] flattened to [P*P, Li] (row-major in y), checked against the manifest."""
    path = manifest.files["position_table"]
    try:
        with np.load(path) as f:
            z = np.asarray(f["z"], np.float32)
    except Exception as e:  # not an npz, no `z`
        raise BundleError(f"{path}: cannot read the position table ({e.__class__.__name__})") from None
    if manifest.square is None:  # only the square world has positions
        raise BundleError(f"{path}: a position table needs the square world, not {manifest.image_world!r}")
    p, li = manifest.square.positions, manifest.image_latent
    if z.shape != (p, p, li) or not np.all(np.isfinite(z)):
        raise BundleError(f"{path}: z must be finite with shape [{p}, {p}, {li}], got {list(z.shape)}")
    return z.reshape(p * p, li)


def open_bundle(root: str | Path | None = None, providers: str = "auto", threads: int = 1, roles=SERVING_ROLES,
                way_back: bool = False) -> Models:
    """The serving loader: manifest + sessions in one call; raises BundleError with one clear line.

    `root`: a shipped bundle's name or a directory (`resolve_bundle`); None:
    the default bundle. A bundle this daemon cannot serve (`check_servable`)
    is refused before any model is opened. `way_back`: also load the sound ->
    image roles when the bundle has them (`Models.way_back` says whether it
    did); a bundle without them still opens.
    """
    manifest = load_manifest(resolve_bundle(root) if root else default_bundle_dir())
    check_servable(manifest)
    return Models(manifest, providers, threads, roles, way_back)


def main(args=None) -> int:
    """`isudt bundles`: the shipped bundles, one line each (`describe`)."""
    bundles = shipped_bundles()
    if not bundles:
        print(f"no bundles shipped in {shipped_root()}")
        return 1
    rc = 0
    for name, folder in bundles.items():
        try:
            line = describe(load_manifest(folder, verify=False))
        except BundleError as e:
            line, rc = f"{name}  unreadable: {e}", 1
        print(line + ("  (default)" if name == DEFAULT_BUNDLE else ""))
    return rc
