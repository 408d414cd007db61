#!/usr/bin/env python3
"""Python reference for `cargo xtask bench`: onnxruntime + Pillow + tokenizers on the same
prepared models, the same Tinder-shaped profiles and the same trained head as the host.

    python models/bench_reference.py make-set --photos DIR --out SET_DIR [--profiles N] [--train N]
    python models/bench_reference.py run --models DIR --set SET_DIR --head HEAD.onnx [--json OUT]

`make-set` builds, from the openpeople fixture photos (10 people x 6 photos), a
deterministic set of Tinder-shaped profiles: 6 photos of 640x800 each (what Tinder's
`processedFiles` serve), JPEG and WebP, some photos composed of two people pasted side by
side (two faces), some cropped to a region without a face, bios in several languages (one
in fourteen empty, the others all different). It writes them as the prototype's seed
layout, which `swipy import-seed` reads: SET_DIR/seed/images/{id}_{name}_{n}.{jpeg,webp}, bios.pkl ({id: {name, bio, age}})
and labels.pkl (labels only for the `--train` profiles: the host trains its head on them;
the N bench profiles stay unlabelled, so nothing of them is cached before the run), plus
SET_DIR/profiles.json ({"profiles": [{"id", "bio", "age", "photos": [paths]}]}, bench
profiles only) for this script.

`run` scores every bench profile the way the host does, one profile at a time: decode every
photo → open-nsfw `pool` (batched over the profile's photos) → YuNet on each photo → every
face kept (NMS, at least 20 % of the largest face's area, at most 4) aligned and embedded
with SFace → the face that recurs across the photos → e5 text of the bio → the host's
feature vector → the host's trained head (HEAD.onnx, which `swipy bench-score --head-out`
writes). Feature vector (models/src/head.rs `Layout`): photo mean (1024) | photo max (1024) |
dominant face (128) | text (384) | meta (10) = 2570 floats.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pickle  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PHOTO_DIM, FACE_DIM, TEXT_DIM, META_DIM = 1024, 128, 384, 10
FEATURES = 2 * PHOTO_DIM + FACE_DIM + TEXT_DIM + META_DIM
PHOTOS_PER_PROFILE = 6
# models/src/face.rs and features.rs
MAX_FACES = 4
MIN_FACE_AREA_RATIO = 0.2
SAME_FACE_COSINE = 0.4
BIOS = [
    "I love hiking in the mountains and cooking Italian food on weekends.",
    "Ich liebe Wandern in den Bergen und koche am Wochenende gern italienisch.",
    "Café le matin, concerts le soir. Je cherche quelqu'un pour découvrir Paris à vélo.",
    "Me encanta bailar salsa, el mar y las tapas con amigos. ¿Un café?",
    "",
    "Medical student, bookworm, bad at chess but I try.",
    "Studentessa di medicina, amo i libri e la pizza napoletana 🍕",
    "Looking for someone to travel the world with ✈️🌍",
    "Szukam kogoś do wspólnych wypraw w góry i wieczorów z planszówkami.",
    "Люблю путешествия, джаз и долгие прогулки по набережной.",
    "猫と映画とラーメンが好きです。週末は写真を撮りに出かけます。",
    "Gym, sushi, sunsets. Swipe right if you can cook.",
    "Kahve, kitaplar ve deniz kenarında uzun yürüyüşler.",
    "Adoro viajar, praia e música ao vivo. Vamos tomar um açaí?",
]


# ---------------------------------------------------------------- the set
def _tinder_sized(img):
    """Centre crop to 4:5 and resize to 640x800 (Lanczos)."""
    from PIL import Image

    w, h = img.size
    if w * 5 > h * 4:
        cw = h * 4 // 5
        img = img.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
    else:
        ch = w * 5 // 4
        img = img.crop((0, (h - ch) // 2, w, (h - ch) // 2 + ch))
    return img.resize((640, 800), Image.Resampling.LANCZOS)


def _two_faces(a, b):
    """Person `a` on the left half, person `b` on the right half (centre strips)."""
    out = a.copy()
    out.paste(b.crop((160, 0, 480, 800)), (320, 0))
    out.paste(a.crop((160, 0, 480, 800)), (0, 0))
    return out


def _no_face(a):
    """The bottom fifth of the photo (clothes, background), stretched to 640x800."""
    from PIL import Image

    return a.crop((0, 640, 640, 800)).resize((640, 800), Image.Resampling.BILINEAR)


def make_set(photos_dir: Path, out: Path, n: int, n_train: int) -> None:
    from PIL import Image

    people = sorted(p for p in photos_dir.iterdir() if p.is_dir() and p.name.startswith("P"))
    if not people:
        raise SystemExit(f"bench: no photos in {photos_dir} (run tests/fixtures/fetch-photos.sh)")
    base = {}
    for person in people:
        base[person.name] = [_tinder_sized(Image.open(p).convert("RGB")) for p in sorted(person.glob("*.jpg"))]
    seed = out / "seed"
    images = seed / "images"
    if images.exists():
        for f in images.iterdir():
            f.unlink()
    images.mkdir(parents=True, exist_ok=True)
    bios, labels, profiles = {}, {}, []
    counts = {"jpeg": 0, "webp": 0, "two_faces": 0, "no_face": 0}
    for i in range(n + n_train):
        train = i >= n
        pid = f"{'train' if train else 'bench'}{i:04d}"
        person = people[i % len(people)].name
        other = people[(i + 3) % len(people)].name
        mine = base[person]
        k = PHOTOS_PER_PROFILE if not train else 2
        paths = []
        for j in range(k):
            img = mine[(i // len(people) + j) % len(mine)]
            if not train and j == 3 and i % 3 == 0:
                img = _two_faces(img, base[other][(i + j) % len(base[other])])
                counts["two_faces"] += 1
            elif not train and j == 5 and i % 2 == 0:
                img = _no_face(img)
                counts["no_face"] += 1
            ext = "webp" if (i + j) % 2 else "jpeg"
            counts[ext] += 1
            path = images / f"{pid}_{person}_{j}.{ext}"
            if ext == "webp":
                img.save(path, "WEBP", quality=85)
            else:
                img.save(path, "JPEG", quality=90)
            paths.append(str(path.resolve()))
        bio = BIOS[i % len(BIOS)]
        if bio:  # every bio its own text, as on Tinder (nothing shared through a cache)
            bio = f"{bio} #{i}"
        age = 20 + i % 15
        bios[pid] = {"name": person, "bio": bio, "age": age}
        if train:
            # a taste the head can learn: some people liked, the rest not
            labels[pid] = 1 if int(person[1:]) % 2 == 0 else 0
        else:
            profiles.append({"id": pid, "bio": bio, "age": age, "photos": paths})
    (seed / "bios.pkl").write_bytes(pickle.dumps(bios, protocol=2))
    (seed / "labels.pkl").write_bytes(pickle.dumps(labels, protocol=2))
    out.mkdir(parents=True, exist_ok=True)
    (out / "profiles.json").write_text(json.dumps({"features": FEATURES, "profiles": profiles}, indent=1) + "\n")
    print(f"bench: {n} bench + {n_train} training profiles in {out} ({counts})", file=sys.stderr)


# ---------------------------------------------------------------- scoring
def providers_for(device: str) -> list:
    """CPU only, or CUDA first (TF32 off, so results stay comparable with the CPU) + CPU for
    the few shape/integer nodes CUDA does not take."""
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda":
        return [("CUDAExecutionProvider", {"device_id": "0", "use_tf32": "0"}), "CPUExecutionProvider"]
    raise SystemExit(f"bench: unknown device {device!r}")


def dominant_face(per_photo: list[list[tuple[object, float]]]):
    """models/src/features.rs `dominant_face`: greedy clusters by cosine, the cluster present
    in most photos wins (ties: higher summed score); its normalised mean."""
    import numpy as np

    clusters = []  # [sum, photos, score]
    for p, faces in enumerate(per_photo):
        for emb, score in faces:
            best, best_cos = None, None
            for ci, c in enumerate(clusters):
                if p in c[1]:
                    continue
                s = c[0]
                cos = float(np.dot(s, emb) / max(np.linalg.norm(s) * np.linalg.norm(emb), 1e-12))
                if cos >= SAME_FACE_COSINE and (best_cos is None or cos > best_cos):
                    best, best_cos = ci, cos
            if best is None:
                clusters.append([emb.astype(np.float32).copy(), [p], score])
            else:
                clusters[best][0] = clusters[best][0] + emb
                clusters[best][1].append(p)
                clusters[best][2] += score
    if not clusters:
        return None
    win = clusters[0]
    for c in clusters[1:]:
        if (len(c[1]), c[2]) > (len(win[1]), win[2]):
            win = c
    v = win[0]
    return v / max(float(np.linalg.norm(v)), 1e-12)


def run(models: Path, set_dir: Path, head_path: Path, json_out: Path | None, threads: int, device: str = "cpu") -> dict:
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
    head = session(head_path)
    det_names = [o.name for o in det.get_outputs()]
    head_in = head.get_inputs()[0]
    if head_in.shape[1] != FEATURES:
        raise SystemExit(f"bench: the head takes {head_in.shape[1]} features, this script builds {FEATURES}")
    load_s = time.perf_counter() - t_load
    stages = {k: 0.0 for k in ("decode", "detect", "face", "photo", "text", "head")}
    faces_found = [0, 0, 0]  # photos with 0, 1, 2+ faces

    def timed(stage, f, *a):
        t = time.perf_counter()
        r = f(*a)
        stages[stage] += time.perf_counter() - t
        return r

    def score(p: dict) -> float:
        imgs = timed("decode", lambda: [R.load_rgb(Path(f).read_bytes()) for f in p["photos"]])
        feats = np.zeros(FEATURES, np.float32)
        if imgs:
            pools = timed("photo", lambda: photo.run(["pool"], {"input:0": np.stack([R.photo_input(im) for im in imgs])})[0])
            pools = R.l2n(pools)
            feats[:PHOTO_DIM] = pools.mean(0)
            feats[PHOTO_DIM : 2 * PHOTO_DIM] = pools.max(0)
        per_photo = []
        for im in imgs:
            def detect(im=im):
                blob, scale = R.yunet_input(im)
                return R.yunet_decode(dict(zip(det_names, det.run(None, {"input": blob}))), scale)

            dets = timed("detect", detect)
            if dets:
                big = max(d["box"][2] * d["box"][3] for d in dets)
                dets = [d for d in dets if d["box"][2] * d["box"][3] >= MIN_FACE_AREA_RATIO * big][:MAX_FACES]
            faces_found[min(len(dets), 2)] += 1

            def embed(im=im, dets=dets):
                return [
                    (R.l2n(rec.run(["fc1"], {"data": R.sface_input(R.align_face(im, d["landmarks"]))})[0][0]), d["score"])
                    for d in dets
                ]

            per_photo.append(timed("face", embed))
        face = dominant_face(per_photo)
        o = 2 * PHOTO_DIM
        if face is not None:
            feats[o : o + FACE_DIM] = face
        o += FACE_DIM
        bio = p["bio"].strip()
        if bio:
            feats[o : o + TEXT_DIM] = timed("text", lambda: text.run(["sentence_embedding"], R.e5_batch(tok, [bio]))[0][0])
        o += TEXT_DIM
        age = p.get("age")
        feats[o : o + META_DIM] = [
            float(age or 0),
            1.0 if age else 0.0,
            0.0,
            0.0,
            math.log1p(len(bio)),
            float(len(imgs)),
            1.0 if imgs else 0.0,
            1.0 if face is not None else 0.0,
            1.0 if bio else 0.0,
            0.0,
        ]
        return float(timed("head", lambda: head.run(None, {head_in.name: feats[None]})[0][0, 0]))

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
    x = rng.standard_normal((1000, 1540)).astype(np.float32)
    y = (x[:, :8].sum(1) > 0).astype(np.float32)
    t_train = time.perf_counter()
    w = np.zeros(1540, np.float32)
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
        # one profile at a time: the first profile's score is also its page's first
        "page_top_card_seconds": round(first - t0, 3) if first else None,
        "cold_start_to_first_score_seconds": round((first or time.perf_counter()) - T_START, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "train_1000_seconds": round(train_s, 3),
        "stages": {k: round(v, 3) for k, v in stages.items()},
        "photos_by_faces": {"0": faces_found[0], "1": faces_found[1], "2+": faces_found[2]},
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
    a.add_argument("--profiles", type=int, default=40)
    a.add_argument("--train", type=int, default=24)
    b = sub.add_parser("run")
    b.add_argument("--models", type=Path, required=True)
    b.add_argument("--set", type=Path, required=True)
    b.add_argument("--head", type=Path, required=True)
    b.add_argument("--json", type=Path)
    b.add_argument("--threads", type=int, default=0, help="ONNX Runtime intra-op threads (0 = its default)")
    b.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = ap.parse_args()
    if args.cmd == "make-set":
        make_set(args.photos, args.out, args.profiles, args.train)
        return 0
    r = run(args.models, args.set, args.head, args.json, args.threads, args.device)
    summary = {k: v for k, v in r.items() if k != "scores"}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
