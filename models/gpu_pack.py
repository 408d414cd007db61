#!/usr/bin/env python3
"""Packs what `models/gpu_check.sh --offline` needs on an NVIDIA machine without network,
in parts small enough to travel one (or a few) at a time (default 56 MiB each).

    python3 models/gpu_pack.py --swipy PATH [--out target/gpu-pack] [--part-mib 56]
                               [--models target/models] [--data target/bench/data]
                               [--wheel-cache target/models-cache/wheels] [--only ID ...]

Contents of the packed tree (tar, xz):
  ort/libonnxruntime.so (+ .so.1.31.1), ort/libonnxruntime_providers_shared.so,
  ort/libonnxruntime_providers_cuda.so   from the pinned onnxruntime-gpu wheel (CUDA 13,
                                         models/manifests/onnxruntime-gpu.toml), downloaded
                                         with `pip download --no-deps` and checked by sha256;
                                         no CUDA/cuDNN libraries: the GPU machine's image has
                                         them as Python packages (nvidia-cublas-cu13, ...)
  models/<id>/...                        the prepared models (all, or `--only`)
  data/                                  a `swipy` data dir with the benchmark set imported
                                         and a head trained (`cargo xtask bench` leaves one in
                                         target/bench/data), scored again on CPU and CUDA
  swipy                                  the host built with `--features cuda`
Written to OUT: part-000, part-001, ... (the .tar.xz split), pack.json (part names, sizes,
sha256, the pack's sha256). Nothing here needs a GPU. Exit status 0, 1 on a failure.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBS = (
    "libonnxruntime_providers_shared.so",
    "libonnxruntime_providers_cuda.so",
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gpu_wheel(cache: Path) -> tuple[Path, dict]:
    m = tomllib.loads((HERE / "manifests" / "onnxruntime-gpu.toml").read_text())
    src = m["sources"][0]
    wheel = cache / src["wheel"]
    if not wheel.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"gpu_pack: downloading {src['package']}=={src['version']} (no dependencies)", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.11", f"{src['package']}=={src['version']}", "-d", str(cache)],
            check=True,
        )
    got = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if got != src["wheel_sha256"]:
        raise SystemExit(f"gpu_pack: {wheel.name}: sha256 {got}, expected {src['wheel_sha256']}")
    return wheel, src


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = HERE.parent
    ap.add_argument("--swipy", type=Path, required=True, help="swipy built with --features cuda")
    ap.add_argument("--out", type=Path, default=root / "target" / "gpu-pack")
    ap.add_argument("--part-mib", type=int, default=56)
    ap.add_argument("--models", type=Path, default=root / "target" / "models")
    ap.add_argument("--data", type=Path, default=root / "target" / "bench" / "data")
    ap.add_argument("--wheel-cache", type=Path, default=root / "target" / "models-cache" / "wheels")
    ap.add_argument("--only", nargs="*", default=["e5-small", "yunet", "sface", "open-nsfw"])
    a = ap.parse_args()

    wheel, src = gpu_wheel(a.wheel_cache)
    version = src["version"]
    buf = io.BytesIO()
    with lzma.open(buf, "wb", preset=3) as xz, tarfile.open(fileobj=xz, mode="w") as tar:
        with zipfile.ZipFile(wheel) as z:
            lib = z.read(src["member"])
            if sha256(lib) != src["member_sha256"]:
                raise SystemExit(f"gpu_pack: {src['member']}: sha256 mismatch")
            add_bytes(tar, f"ort/libonnxruntime.so.{version}", lib)
            add_bytes(tar, "ort/libonnxruntime.so", lib)
            for name in LIBS:
                add_bytes(tar, f"ort/{name}", z.read(f"onnxruntime/capi/{name}"))
        for mid in a.only:
            d = a.models / mid
            if not (d / "model.onnx").is_file():
                raise SystemExit(f"gpu_pack: {d}/model.onnx missing (cargo xtask models)")
            for f in sorted(d.iterdir()):
                if f.is_file() and not f.name.endswith(".part"):
                    tar.add(f, arcname=f"models/{mid}/{f.name}")
        if not (a.data / "swipy.db").exists():
            raise SystemExit(f"gpu_pack: {a.data} holds no swipy store (run cargo xtask bench first)")
        tar.add(a.data, arcname="data")
        tar.add(a.swipy, arcname="swipy")
    blob = buf.getvalue()
    a.out.mkdir(parents=True, exist_ok=True)
    for old in a.out.glob("part-*"):
        old.unlink()
    size = a.part_mib * 1024 * 1024
    parts = []
    for i in range(0, len(blob), size):
        chunk = blob[i : i + size]
        name = f"part-{i // size:03d}"
        (a.out / name).write_bytes(chunk)
        parts.append({"name": name, "bytes": len(chunk), "sha256": sha256(chunk)})
    meta = {"sha256": sha256(blob), "bytes": len(blob), "onnxruntime_gpu": version, "models": a.only, "parts": parts}
    (a.out / "pack.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"gpu_pack: {len(blob) / 2**20:.0f} MiB in {len(parts)} parts of <= {a.part_mib} MiB in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
