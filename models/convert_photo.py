"""open-nsfw (ResNet-50-thin, NHWC) with its 1024-d global-average-pool features as an output.

The graph's `pool/AvgPool:0` tensor ([batch, 1024, 1, 1] after the model's internal NCHW
transpose) is flattened into a new output `pool` [batch, 1024]; the original softmax output
`outputs` [batch, 2] is kept. Nothing else changes (opset 9, weights untouched).
"""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

POOL_TENSOR = "pool/AvgPool:0"


def add_pool_output(src: str, dst: str) -> None:
    model = onnx.load(src)
    g = model.graph
    if not any(POOL_TENSOR in n.output for n in g.node):
        raise ValueError(f"{src}: tensor {POOL_TENSOR} not found")
    g.node.append(helper.make_node("Flatten", [POOL_TENSOR], ["pool"], name="swipy_pool_flatten", axis=1))
    g.output.append(helper.make_tensor_value_info("pool", TensorProto.FLOAT, ["batch", 1024]))
    # name the dynamic batch dimension consistently
    for v in list(g.input) + list(g.output):
        dims = v.type.tensor_type.shape.dim
        if dims and not dims[0].dim_value:
            dims[0].dim_param = "batch"
    onnx.checker.check_model(model, full_check=True)
    with open(dst, "wb") as f:
        f.write(model.SerializeToString())


if __name__ == "__main__":
    import sys

    add_pool_output(sys.argv[1], sys.argv[2])
