#!/usr/bin/env python3
"""Python reference for `cargo xtask bench`: onnxruntime + Pillow + tokenizers on the same
prepared models and the same profiles as the Rust pipeline.

    python models/bench_reference.py make-set --photos DIR --out SET_DIR [--profiles N]
    python models/bench_reference.py run --models DIR --set SET_DIR [--json OUT]

`make-set` writes SET_DIR/profiles.json (a fixed, deterministic set of profiles built from
the openpeople fixture photos and EN/DE bios) and SET_DIR/head.onnx (a logistic head,
Gemm + Sigmoid, with fixed pseudo-random weights; the same numbers in SET_DIR/head.json as
{"w": [1540 floats], "b": float}) — the inputs both implementations use.
`run` scores every profile end to end, one profile at a time: decode every photo →
YuNet → align → SFace on the largest face → open-nsfw pool → e5 text → features → head.

Feature vector (FEATURES = 1540 floats, in this order):
  photo mean of L2-normalised `pool` (1024) | L2-normalised SFace embedding of the largest
  face over all photos, zeros when none (128) | e5 sentence_embedding (384) |
  meta: age/100, distance_km/100, bio characters/500, photo count/10 (4)
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PHOTO_DIM, FACE_DIM, TEXT_DIM, META_DIM = 1024, 128, 384, 4
FEATURES = PHOTO_DIM + FACE_DIM + TEXT_DIM + META_DIM
BIOS = [
    "I love hiking in the mountains and cooking Italian food on weekends.",
    "Ich liebe Wandern in den Bergen und koche am Wochenende gern italienisch.",
    "Coffee first. Then techno, dogs and long walks by the river.",
    "Erst Kaffee. Dann Techno, Hunde und lange Spaziergänge am Fluss.",
    "",
    "Medical student, bookworm, bad at chess but I try.",
    "Medizinstudentin, Leseratte, schlecht im Schach, aber ich gebe nicht auf.",
    "Looking for someone to travel the world with ✈️🌍",
    "Suche jemanden, mit dem ich die Welt bereisen kann ✈️🌍",
    "Gym, sushi, sunsets. Swipe right if you can cook.",
]


def make_set(photos_dir: Path, out: Path, n: int) -> None:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    people = sorted(p for p in photos_dir.iterdir() if p.is_dir() and p.name.startswith("P"))
    if not people:
        raise SystemExit(f"bench: no photos in {photos_dir} (run tests/fixtures/fetch-photos.sh)")
    from PIL import Image

    # Tinder serves 640x800 JPEGs (processedFiles); the fixtures are ~1700x2500, so the set
    # uses 640x800 copies (centre crop to 4:5, Lanczos, JPEG quality 90).
    photo_dir = out / "photos"
    photo_dir.mkdir(parents=True, exist_ok=True)

    def tinder_sized(src: Path) -> Path:
        dst = photo_dir / f"{src.parent.name}_{src.name}"
        if not dst.exists():
            img = Image.open(src).convert("RGB")
            w, h = img.size
            if w * 5 > h * 4:  # too wide: crop width
                cw = h * 4 // 5
                img = img.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
            else:
                ch = w * 5 // 4
                img = img.crop((0, (h - ch) // 2, w, (h - ch) // 2 + ch))
            img.resize((640, 800), Image.Resampling.LANCZOS).save(dst, "JPEG", quality=90)
        return dst

    profiles = []
    for i in range(n):
        person = people[i % len(people)]
        jpgs = sorted(person.glob("*.jpg"))
        k = 1 + i % 3  # 1..3 photos
        chosen = [tinder_sized(jpgs[(i // len(people) + j) % len(jpgs)]) for j in range(k)]
        bio = BIOS[i % len(BIOS)]
        profiles.append(
            {
                "id": f"bench{i:04d}",
                "bio": bio,
                "photos": [str(p.resolve()) for p in chosen],
                "meta": [float(20 + i % 15), float(1 + (i * 7) % 60), float(len(bio)), float(k)],
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "profiles.json").write_text(json.dumps({"features": FEATURES, "profiles": profiles}, indent=1) + "\n")
    rng = np.random.default_rng(20261128)
    w = (rng.standard_normal((FEATURES, 1)) * 0.05).astype(np.float32)
    b = np.array([-0.1], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["features", "w", "b"], ["logit"], name="gemm"),
            helper.make_node("Sigmoid", ["logit"], ["p_like"], name="sigmoid"),
        ],
        "bench_head",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", FEATURES])],
        [helper.make_tensor_value_info("p_like", TensorProto.FLOAT, ["batch", 1])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="swipy-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    (out / "head.onnx").write_bytes(model.SerializeToString())
    # the same head as plain numbers, for pipelines that apply it without ONNX Runtime
    (out / "head.json").write_text(json.dumps({"w": [float(v) for v in w[:, 0]], "b": float(b[0])}) + "\n")
    print(f"bench: {n} profiles in {out}", file=sys.stderr)


def providers_for(device: str) -> list:
    """CPU only, or CUDA first (TF32 off, so results stay comparable with the CPU) + CPU for
    the few shape/integer nodes CUDA does not take."""
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda":
        return [("CUDAExecutionProvider", {"device_id": "0", "use_tf32": "0"}), "CPUExecutionProvider"]
    raise SystemExit(f"bench: unknown device {device!r}")


def run(models: Path, set_dir: Path, json_out: Path | None, threads: int, device: str = "cpu") -> dict:
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    import reference as R

    spec = json.loads((set_dir / "profiles.json").read_text())
    profiles = spec["profiles"]

    def session(p: Path):
        o = ort.SessionOptions()
        o.log_severity_level = 3
        if threads:
            o.intra_op_num_threads = threads
        s = ort.InferenceSession(str(p), sess_options=o, providers=providers_for(device))
        if device == "cuda" and "CUDAExecutionProvider" not in s.get_providers():
            raise SystemExit(f"bench: the CUDA execution provider did not load for {p} (no silent CPU fallback)")
        return s

    t_load = time.perf_counter()
    tok = Tokenizer.from_file(str(models / "e5-small" / "tokenizer.json"))
    text = session(models / "e5-small" / "model.onnx")
    det = session(models / "yunet" / "model.onnx")
    rec = session(models / "sface" / "model.onnx")
    photo = session(models / "open-nsfw" / "model.onnx")
    head = session(set_dir / "head.onnx")
    det_names = [o.name for o in det.get_outputs()]
    load_s = time.perf_counter() - t_load

    def score(p: dict) -> float:
        imgs = [R.load_rgb(Path(f).read_bytes()) for f in p["photos"]]
        pools = photo.run(["pool"], {"input:0": np.stack([R.photo_input(im) for im in imgs])})[0]
        photo_vec = R.l2n(pools).mean(0) if len(imgs) else np.zeros(PHOTO_DIM, np.float32)
        best, best_area, best_img = None, -1.0, None
        for im in imgs:
            blob, scale = R.yunet_input(im)
            f = R.largest(R.yunet_decode(dict(zip(det_names, det.run(None, {"input": blob}))), scale))
            if f is not None and f["box"][2] * f["box"][3] > best_area:
                best, best_area, best_img = f, f["box"][2] * f["box"][3], im
        face_vec = np.zeros(FACE_DIM, np.float32)
        if best is not None:
            aligned = R.align_face(best_img, best["landmarks"])
            face_vec = R.l2n(rec.run(["fc1"], {"data": R.sface_input(aligned)})[0][0])
        text_vec = text.run(["sentence_embedding"], R.e5_batch(tok, [p["bio"]]))[0][0]
        age, dist, bio_len, n_photos = p["meta"]
        meta = np.array([age / 100, dist / 100, bio_len / 500, n_photos / 10], np.float32)
        feats = np.concatenate([photo_vec, face_vec, text_vec, meta]).astype(np.float32)[None]
        return float(head.run(["p_like"], {"features": feats})[0][0, 0])

    scores = []
    t0 = time.perf_counter()
    first = None
    for p in profiles:
        scores.append({"id": p["id"], "p_like": score(p)})
        if first is None:
            first = time.perf_counter()
    elapsed = time.perf_counter() - t0

    # training reference: logistic regression by gradient descent on 1,000 cached feature rows
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1000, FEATURES)).astype(np.float32)
    y = (x[:, :8].sum(1) > 0).astype(np.float32)
    t_train = time.perf_counter()
    w = np.zeros(FEATURES, np.float32)
    for _ in range(200):
        pr = 1 / (1 + np.exp(-(x @ w)))
        w -= 0.5 * (x.T @ (pr - y) / len(y) + 1e-3 * w)
    train_s = time.perf_counter() - t_train

    result = {
        "impl": "python",
        "device": device,
        "profiles": len(profiles),
        "photos": sum(len(p["photos"]) for p in profiles),
        "seconds": round(elapsed, 3),
        "profiles_per_second": round(len(profiles) / elapsed, 3),
        "model_load_seconds": round(load_s, 3),
        "cold_start_to_first_score_seconds": round((first or time.perf_counter()) - T_START, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "train_1000_seconds": round(train_s, 3),
        "threads": threads or "default",
        "scores": scores,
    }
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=1) + "\n")
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("make-set")
    a.add_argument("--photos", type=Path, required=True)
    a.add_argument("--out", type=Path, required=True)
    a.add_argument("--profiles", type=int, default=30)
    b = sub.add_parser("run")
    b.add_argument("--models", type=Path, required=True)
    b.add_argument("--set", type=Path, required=True)
    b.add_argument("--json", type=Path)
    b.add_argument("--threads", type=int, default=0, help="ONNX Runtime intra-op threads (0 = its default)")
    b.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = ap.parse_args()
    if args.cmd == "make-set":
        make_set(args.photos, args.out, args.profiles)
        return 0
    r = run(args.models, args.set, args.json, args.threads, args.device)
    summary = {k: v for k, v in r.items() if k != "scores"}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
