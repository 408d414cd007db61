"""Reference preprocessing and decoding for the prepared models (numpy + Pillow only).

This is the executable form of models/README.md: the golden checks and the Python
benchmark use it, and the host's Rust encoders implement the same steps.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

# ---------------------------------------------------------------- text (e5-small)
E5_PREFIX = "query: "
E5_MAX_TOKENS = 512
E5_PAD_ID = 1


def e5_batch(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    """Tokenise with the `tokenizers` Tokenizer of tokenizer.json; right-pad with id 1."""
    encs = []
    for t in texts:
        ids = tokenizer.encode(E5_PREFIX + t).ids
        if len(ids) > E5_MAX_TOKENS:
            ids = ids[: E5_MAX_TOKENS - 1] + [ids[-1]]  # keep </s>
        encs.append(ids)
    n = max(len(e) for e in encs)
    ids = np.full((len(encs), n), E5_PAD_ID, dtype=np.int64)
    mask = np.zeros((len(encs), n), dtype=np.int64)
    for i, e in enumerate(encs):
        ids[i, : len(e)] = e
        mask[i, : len(e)] = 1
    return {"input_ids": ids, "attention_mask": mask}


# ---------------------------------------------------------------- images
def load_rgb(data_or_path) -> Image.Image:
    if isinstance(data_or_path, (bytes, bytearray)):
        img = Image.open(io.BytesIO(data_or_path))
    else:
        img = Image.open(data_or_path)
    img.load()
    return img.convert("RGB")


# ---------------------------------------------------------------- YuNet
YUNET_SIZE = 640
YUNET_STRIDES = (8, 16, 32)


def yunet_input(img: Image.Image) -> tuple[np.ndarray, float]:
    """Letterbox to 640x640 (top-left, black), BGR float 0..255, NCHW. Returns (blob, scale)."""
    w, h = img.size
    scale = YUNET_SIZE / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = np.zeros((YUNET_SIZE, YUNET_SIZE, 3), dtype=np.float32)
    canvas[:nh, :nw] = np.asarray(img.resize((nw, nh), Image.Resampling.BILINEAR), dtype=np.float32)
    bgr = canvas[:, :, ::-1]
    return np.ascontiguousarray(bgr.transpose(2, 0, 1)[None]), scale


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[0], b[:, 0])
    y1 = np.maximum(a[1], b[:, 1])
    x2 = np.minimum(a[0] + a[2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[1] + a[3], b[:, 1] + b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    return inter / (a[2] * a[3] + b[:, 2] * b[:, 3] - inter + 1e-9)


def yunet_decode(outputs: dict[str, np.ndarray], scale: float, score_threshold: float = 0.6, nms_threshold: float = 0.3) -> list[dict]:
    """Faces as dicts {box: [x, y, w, h], landmarks: [[x, y] * 5], score} in photo pixels."""
    boxes, kpss, scores = [], [], []
    for s in YUNET_STRIDES:
        cols = YUNET_SIZE // s
        cls = np.clip(outputs[f"cls_{s}"][0, :, 0], 0, 1)
        obj = np.clip(outputs[f"obj_{s}"][0, :, 0], 0, 1)
        score = np.sqrt(cls * obj)
        idx = np.nonzero(score >= score_threshold)[0]
        if idx.size == 0:
            continue
        row, col = (idx // cols).astype(np.float32), (idx % cols).astype(np.float32)
        bb = outputs[f"bbox_{s}"][0, idx]
        kp = outputs[f"kps_{s}"][0, idx]
        cx, cy = (col + bb[:, 0]) * s, (row + bb[:, 1]) * s
        w, h = np.exp(bb[:, 2]) * s, np.exp(bb[:, 3]) * s
        boxes.append(np.stack([cx - w / 2, cy - h / 2, w, h], axis=1))
        lx = (kp[:, 0::2] + col[:, None]) * s
        ly = (kp[:, 1::2] + row[:, None]) * s
        kpss.append(np.stack([lx, ly], axis=2))
        scores.append(score[idx])
    if not boxes:
        return []
    b, k, sc = np.concatenate(boxes), np.concatenate(kpss), np.concatenate(scores)
    order = np.argsort(-sc, kind="stable")
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        if order.size == 1:
            break
        rest = order[1:]
        order = rest[_iou(b[i], b[rest]) <= nms_threshold]
    return [
        {"box": (b[i] / scale).tolist(), "landmarks": (k[i] / scale).tolist(), "score": float(sc[i])}
        for i in keep
    ]


# ---------------------------------------------------------------- SFace alignment
ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 matrix M (least-squares rotation + uniform scale + translation, Umeyama) with dst ≈ M·[src, 1]."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    sm, dm = src.mean(0), dst.mean(0)
    sd, dd = src - sm, dst - dm
    cov = dd.T @ sd / len(src)
    u, d, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    r = u @ sign @ vt
    var = sd.var(0).sum()
    c = float((d * np.diag(sign)).sum() / var) if var > 0 else 1.0
    t = dm - c * (r @ sm)
    return np.hstack([c * r, t[:, None]])


def align_face(img: Image.Image, landmarks, size: int = 112) -> Image.Image:
    m = similarity_transform(np.asarray(landmarks), ARCFACE_TEMPLATE * (size / 112.0))
    full = np.vstack([m, [0, 0, 1]])
    inv = np.linalg.inv(full)  # output pixel -> source pixel (PIL wants this direction)
    coeffs = tuple(inv[:2].reshape(-1).tolist())
    return img.transform((size, size), Image.Transform.AFFINE, coeffs, resample=Image.Resampling.BILINEAR, fillcolor=(0, 0, 0))


def sface_input(aligned: Image.Image) -> np.ndarray:
    """RGB 0..255 float, NCHW [1, 3, 112, 112]."""
    a = np.asarray(aligned.convert("RGB"), dtype=np.float32)
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None])


# ---------------------------------------------------------------- open-nsfw photo
PHOTO_MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)


def photo_input(img: Image.Image) -> np.ndarray:
    """256x256 bilinear resize, centre 224 crop, BGR minus mean, NHWC [224, 224, 3]."""
    r = img.resize((256, 256), Image.Resampling.BILINEAR).crop((16, 16, 240, 240))
    a = np.asarray(r, dtype=np.float32)[:, :, ::-1] - PHOTO_MEAN_BGR
    return np.ascontiguousarray(a)


def l2n(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def largest(faces: list[dict]) -> dict | None:
    return max(faces, key=lambda f: f["box"][2] * f["box"][3]) if faces else None


def cosine(a, b) -> float:
    a, b = l2n(a), l2n(b)
    return float((a * b).sum())


