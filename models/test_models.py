"""Unit tests of the model preparation and reference code.

    target/models-venv/bin/python -m unittest discover -s models -p 'test_*.py'

Tests that need the prepared models (target/models, `cargo xtask models`) fail under CI=true
when they are missing and are skipped with a message otherwise.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import unittest
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import convert_faces  # noqa: E402
import reference as R  # noqa: E402

MODELS = Path(os.environ.get("SWIPY_MODELS_DIR", HERE.parent / "target" / "models"))


def need(path: Path) -> None:
    if path.exists():
        return
    if os.environ.get("CI") == "true":
        raise AssertionError(f"{path} is missing (run `cargo xtask models`)")
    raise unittest.SkipTest(f"{path} not prepared (run `cargo xtask models`)")


class Alignment(unittest.TestCase):
    def test_similarity_transform_recovers_a_known_transform(self):
        angle, scale, t = math.radians(12), 1.7, np.array([30.0, -12.0])
        rot = scale * np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        src = R.ARCFACE_TEMPLATE
        dst = src @ rot.T + t
        m = R.similarity_transform(src, dst)
        np.testing.assert_allclose(m[:, :2], rot, atol=1e-9)
        np.testing.assert_allclose(m[:, 2], t, atol=1e-9)

    def test_align_face_puts_landmarks_on_the_template(self):
        from PIL import Image

        # a photo where the "landmarks" are bright dots; after alignment they sit on the template
        img = Image.new("RGB", (400, 300))
        rot = 2.0 * np.array([[math.cos(0.2), -math.sin(0.2)], [math.sin(0.2), math.cos(0.2)]])
        lms = R.ARCFACE_TEMPLATE @ rot.T + np.array([120.0, 40.0])
        px = img.load()
        for x, y in lms:
            for dx in range(-2, 3):
                for dy in range(-2, 3):
                    px[int(round(x)) + dx, int(round(y)) + dy] = (255, 255, 255)
        aligned = np.asarray(R.align_face(img, lms)).astype(float).sum(2)
        for x, y in R.ARCFACE_TEMPLATE:
            self.assertGreater(aligned[int(round(y)), int(round(x))], 300, (x, y))


class YuNetDecode(unittest.TestCase):
    def outputs(self):
        out = {}
        for s in R.YUNET_STRIDES:
            n = (R.YUNET_SIZE // s) ** 2
            out[f"cls_{s}"] = np.zeros((1, n, 1), np.float32)
            out[f"obj_{s}"] = np.zeros((1, n, 1), np.float32)
            out[f"bbox_{s}"] = np.zeros((1, n, 4), np.float32)
            out[f"kps_{s}"] = np.zeros((1, n, 10), np.float32)
        return out

    def test_one_anchor_decodes_to_box_and_landmarks(self):
        out = self.outputs()
        s, row, col = 16, 10, 7
        i = row * (R.YUNET_SIZE // s) + col
        out["cls_16"][0, i, 0] = 0.81
        out["obj_16"][0, i, 0] = 1.0
        out["bbox_16"][0, i] = [0.5, 0.25, math.log(4), math.log(5)]
        out["kps_16"][0, i] = [0.1, 0.2] * 5
        faces = R.yunet_decode(out, scale=0.5)
        self.assertEqual(len(faces), 1)
        f = faces[0]
        self.assertAlmostEqual(f["score"], 0.9, places=5)
        cx, cy, w, h = (col + 0.5) * s, (row + 0.25) * s, 4 * s, 5 * s
        np.testing.assert_allclose(f["box"], np.array([cx - w / 2, cy - h / 2, w, h]) / 0.5, rtol=1e-5)
        np.testing.assert_allclose(f["landmarks"][0], np.array([(col + 0.1) * s, (row + 0.2) * s]) / 0.5, rtol=1e-5)

    def test_low_scores_are_dropped_and_overlaps_suppressed(self):
        out = self.outputs()
        cols = R.YUNET_SIZE // 8
        for c, score in ((20, 0.95), (21, 0.9), (60, 0.3)):  # two overlapping, one weak
            out["cls_8"][0, 10 * cols + c, 0] = score
            out["obj_8"][0, 10 * cols + c, 0] = score
            out["bbox_8"][0, 10 * cols + c] = [0, 0, math.log(8), math.log(8)]
        faces = R.yunet_decode(out, scale=1.0)
        self.assertEqual(len(faces), 1)
        self.assertAlmostEqual(faces[0]["score"], 0.95, places=5)

    def test_no_face(self):
        self.assertEqual(R.yunet_decode(self.outputs(), 1.0), [])


class Dequantize(unittest.TestCase):
    def test_block_dequantize_repeats_scales_along_the_axis(self):
        x = np.array([[1, 2, 3, 4, 5]], dtype=np.int8)
        scale = np.array([[0.5, 2.0, 10.0]], dtype=np.float32)
        zp = np.array([[1, 0, 5]], dtype=np.int8)
        y = convert_faces._dequant(x, scale, zp, axis=1, block=2)
        np.testing.assert_allclose(y, [[0.0, 0.5, 6.0, 8.0, 0.0]])

    def test_per_axis_dequantize(self):
        x = np.ones((2, 3), dtype=np.uint8) * 4
        y = convert_faces._dequant(x, np.array([1.0, 2.0], np.float32), np.array([2, 0], np.uint8), axis=0, block=0)
        np.testing.assert_allclose(y, [[2, 2, 2], [8, 8, 8]])


class E5Format(unittest.TestCase):
    def test_q4_block_layout(self):
        import convert_e5

        # one row of 32 weights: scale 0.5, byte j = low nibble weight j, high nibble weight j+16
        qs = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
        block = struct.pack("<e", 0.5) + qs
        f = convert_e5.E5File.__new__(convert_e5.E5File)
        f.buf = block
        f.dir = {"w": (1, 32, 0, len(block))}
        w = f.q4_dequant("w", 1)[0]
        np.testing.assert_allclose(w[:16], (np.arange(16) - 8) * 0.5)
        np.testing.assert_allclose(w[16:], (15 - np.arange(16) - 8) * 0.5)


class TextBatch(unittest.TestCase):
    class Tok:
        def encode(self, text):
            class E:
                pass

            e = E()
            e.ids = [0] + [5] * len(text) + [2]
            return e

    def test_padding_and_mask(self):
        b = R.e5_batch(self.Tok(), ["ab", ""])
        n0 = len("query: ab") + 2
        self.assertEqual(b["input_ids"].shape, (2, n0))
        self.assertEqual(b["attention_mask"][1].sum(), len("query: ") + 2)
        self.assertTrue((b["input_ids"][1][b["attention_mask"][1] == 0] == R.E5_PAD_ID).all())

    def test_truncation_keeps_the_end_token(self):
        b = R.e5_batch(self.Tok(), ["x" * 2000])
        self.assertEqual(b["input_ids"].shape, (1, R.E5_MAX_TOKENS))
        self.assertEqual(b["input_ids"][0, -1], 2)
        self.assertEqual(b["input_ids"][0, 0], 0)


class PreparedModels(unittest.TestCase):
    def test_e5_long_and_empty_texts(self):
        need(MODELS / "e5-small" / "model.onnx")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(MODELS / "e5-small" / "tokenizer.json"))
        s = ort.InferenceSession(str(MODELS / "e5-small" / "model.onnx"), providers=["CPUExecutionProvider"])
        feeds = R.e5_batch(tok, ["Wandern, Kaffee und Hunde. " * 200, ""])
        self.assertEqual(feeds["input_ids"].shape[1], 512)
        e = s.run(["sentence_embedding"], feeds)[0]
        np.testing.assert_allclose(np.linalg.norm(e, axis=1), [1, 1], atol=1e-4)
        self.assertLess(float(e[0] @ e[1]), 0.99)

    def test_photo_and_face_shapes(self):
        need(MODELS / "open-nsfw" / "model.onnx")
        import onnxruntime as ort
        from PIL import Image

        img = Image.new("RGB", (640, 800), (120, 90, 60))
        s = ort.InferenceSession(str(MODELS / "open-nsfw" / "model.onnx"), providers=["CPUExecutionProvider"])
        pool = s.run(["pool"], {"input:0": R.photo_input(img)[None]})[0]
        self.assertEqual(pool.shape, (1, 1024))
        det = ort.InferenceSession(str(MODELS / "yunet" / "model.onnx"), providers=["CPUExecutionProvider"])
        blob, scale = R.yunet_input(img)
        names = [o.name for o in det.get_outputs()]
        self.assertEqual(R.yunet_decode(dict(zip(names, det.run(None, {"input": blob}))), scale), [])

    def test_manifest_checksums_match_prepared_files(self):
        need(MODELS / "e5-small" / "prepared.json")
        import tomllib

        import prepare

        for mid in prepare.MODEL_ORDER:
            with open(HERE / "manifests" / f"{mid}.toml", "rb") as f:
                m = tomllib.load(f)
            for entry in m["files"]:
                self.assertEqual(prepare.sha256_file(MODELS / mid / entry["name"]), entry["sha256"], f"{mid}/{entry['name']}")


if __name__ == "__main__":
    unittest.main()
