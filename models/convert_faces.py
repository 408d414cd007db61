"""Make the OpenCV Zoo YuNet / SFace int8 block-quantized models loadable by ONNX Runtime.

As shipped (opset 21) their weights pass through block-quantized `DequantizeLinear` nodes,
which ONNX Runtime rejects ("block_size must be 0 for per-tensor quantization"). The
weights are constants, so each such node is evaluated here once —
y = (x - zero_point) * scale, with scale/zero_point repeated `block_size` times along
`axis` — and replaced by an fp32 initializer. The graph is then re-declared as opset 17
(no opset 18+ operator remains) and initializers are dropped from the graph inputs.

The fixed sizes the files declare are relaxed where the graph allows it: YuNet takes any
input height and width that are multiples of 32 (its outputs then hold (h/s)·(w/s)
anchors per stride s), so a 640x800 photo can be detected at a smaller input; SFace takes
a batch of faces.

SFace's 27 per-channel `PRelu` nodes take more than half of its time in ONNX Runtime's
CPU kernel; each is rewritten as `Relu(x) + slope * Min(x, 0)`, which gives bit-identical
outputs (one of the two terms is exactly zero) and runs about 1.4x faster there.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

OPSET = 17
# Attributes added after opset 17 that would make a node invalid when re-declared.
NEWER_ATTRS = {"Resize": {"antialias", "axes", "keep_aspect_ratio_policy"}, "Reshape": set()}


def _dequant(x: np.ndarray, scale: np.ndarray, zp: np.ndarray | None, axis: int, block: int) -> np.ndarray:
    xf = x.astype(np.float32)
    zf = np.zeros_like(scale, dtype=np.float32) if zp is None else zp.astype(np.float32)
    sf = scale.astype(np.float32)
    if block and block > 0:
        axis = axis % x.ndim
        sf = np.repeat(sf, block, axis=axis)
        zf = np.repeat(zf, block, axis=axis)
        idx = [slice(None)] * x.ndim
        idx[axis] = slice(0, x.shape[axis])
        sf, zf = sf[tuple(idx)], zf[tuple(idx)]
    elif sf.ndim == 1 and sf.size > 1:  # per-axis
        axis = axis % x.ndim
        shape = [1] * x.ndim
        shape[axis] = sf.size
        sf, zf = sf.reshape(shape), zf.reshape(shape)
    return ((xf - zf) * sf).astype(np.float32)


# Dimensions made symbolic: {kind: ({input dim index: name}, {output dim index: name})}.
DYNAMIC = {
    "yunet": ({2: "height", 3: "width"}, {1: "anchors"}),
    "sface": ({0: "batch"}, {0: "batch"}),
}


def _relax(graph, kind: str | None) -> None:
    if kind not in DYNAMIC:
        return
    ins, outs = DYNAMIC[kind]
    for values, dims in ((graph.input, ins), (graph.output, outs)):
        for v in values:
            shape = v.type.tensor_type.shape.dim
            for i, name in dims.items():
                if i < len(shape):
                    shape[i].ClearField("dim_value")
                    shape[i].dim_param = name


def _prelu_as_relu(nodes: list, inits: list) -> list:
    """PRelu(x, a) -> Add(Relu(x), Mul(Min(x, 0), a)): same values, faster CPU kernels."""
    zero = "swipy_prelu_zero"
    out = []
    for n in nodes:
        if n.op_type != "PRelu":
            out.append(n)
            continue
        x, a = n.input[0], n.input[1]
        base = n.name or n.output[0]
        if not any(t.name == zero for t in inits):
            inits.append(numpy_helper.from_array(np.zeros((1,), np.float32), zero))
        out += [
            helper.make_node("Relu", [x], [f"{base}_pos"], name=f"{base}_relu"),
            helper.make_node("Min", [x, zero], [f"{base}_neg"], name=f"{base}_min"),
            helper.make_node("Mul", [f"{base}_neg", a], [f"{base}_neg_scaled"], name=f"{base}_mul"),
            helper.make_node("Add", [f"{base}_pos", f"{base}_neg_scaled"], list(n.output), name=f"{base}_add"),
        ]
    return out


def fold(src: str, dst: str, kind: str | None = None) -> dict:
    model = onnx.load(src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    consts: dict[str, np.ndarray] = {}
    for n in g.node:  # Constant nodes can feed the quantized weights too
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)

    def value(name: str) -> np.ndarray | None:
        if name in inits:
            return numpy_helper.to_array(inits[name])
        return consts.get(name)

    keep = []
    new_inits: list[onnx.TensorProto] = []
    folded = 0
    for n in g.node:
        if n.op_type == "DequantizeLinear":
            x = value(n.input[0])
            s = value(n.input[1])
            z = value(n.input[2]) if len(n.input) > 2 and n.input[2] else None
            if x is None or s is None:
                raise ValueError(f"DequantizeLinear {n.name} has a non-constant input")
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            y = _dequant(x, s, z, int(attrs.get("axis", 1)), int(attrs.get("block_size", 0)))
            new_inits.append(numpy_helper.from_array(y, n.output[0]))
            folded += 1
            continue
        bad = NEWER_ATTRS.get(n.op_type, set()) & {a.name for a in n.attribute}
        if bad:
            raise ValueError(f"{n.op_type} {n.name} uses attributes newer than opset {OPSET}: {bad}")
        keep.append(n)

    if kind == "sface":
        keep = _prelu_as_relu(keep, new_inits)
    used = {i for n in keep for i in n.input} | {o.name for o in g.output}
    all_inits = [t for t in g.initializer if t.name in used] + [t for t in new_inits if t.name in used]
    init_names = {t.name for t in all_inits}
    inputs = [i for i in g.input if i.name in used and i.name not in init_names]
    graph = helper.make_graph(keep, g.name, inputs, list(g.output), initializer=all_inits)
    _relax(graph, kind)
    out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="swipy-models")
    out.ir_version = 8
    onnx.checker.check_model(out, full_check=True)
    with open(dst, "wb") as f:
        f.write(out.SerializeToString())
    return {"folded": folded, "nodes": len(keep)}


if __name__ == "__main__":
    import sys

    print(fold(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
