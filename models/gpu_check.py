#!/usr/bin/env python3
"""GPU check (run by models/gpu_check.sh inside a venv with onnxruntime-gpu).

1. The CUDA execution provider is available and really loads for every prepared model
   (a CUDA EP that fails to load makes ONNX Runtime fall back to CPU silently: refused here).
2. Node placement from ONNX Runtime's profiler: the heavy nodes (Conv, MatMul, Gemm) run on
   CUDA, not on the CPU.
3. Encoders on CUDA give the CPU's embeddings (max abs difference reported) and the
   end-to-end benchmark scores equal the CPU scores within 1e-3.
4. Prints the benchmark (profiles/second on CPU and CUDA).
Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

HEAVY = {"Conv", "MatMul", "Gemm", "FusedConv", "FusedMatMul", "FusedGemm"}


def fail(msg: str) -> None:
    print(f"gpu_check: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def placement(model: Path, feeds: dict) -> tuple[dict, object]:
    """Run once with profiling; count heavy nodes per execution provider."""
    import onnxruntime as ort

    import bench_reference as B

    o = ort.SessionOptions()
    o.enable_profiling = True
    o.log_severity_level = 3
    o.profile_file_prefix = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"swipy-gpu-{model.parent.name}")
    s = ort.InferenceSession(str(model), sess_options=o, providers=B.providers_for("cuda"))
    if "CUDAExecutionProvider" not in s.get_providers():
        fail(f"{model}: the CUDA execution provider did not load (providers: {s.get_providers()})")
    out = s.run(None, feeds)
    prof = s.end_profiling()
    counts: dict[str, int] = {}
    for ev in json.loads(Path(prof).read_text()):
        args = ev.get("args", {})
        if ev.get("cat") == "Node" and args.get("op_name") in HEAVY and ev.get("name", "").endswith("_kernel_time"):
            prov = args.get("provider", "?")
            counts[prov] = counts.get(prov, 0) + 1
    Path(prof).unlink(missing_ok=True)
    return counts, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, required=True)
    ap.add_argument("--set", type=Path, required=True, help="benchmark set (bench_reference.py make-set)")
    ap.add_argument("--tolerance", type=float, default=1e-3)
    args = ap.parse_args()

    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    import bench_reference as B
    import reference as R

    if hasattr(ort, "preload_dlls"):
        ort.preload_dlls()  # the NVIDIA libraries from the nvidia-* wheels in this venv
    print(f"onnxruntime {ort.__version__}, device {ort.get_device()}, providers {ort.get_available_providers()}")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        fail("CUDAExecutionProvider is not available in this onnxruntime build")

    # --- per-encoder placement and CPU vs CUDA outputs
    spec = json.loads((args.set / "profiles.json").read_text())
    photo_path = Path(spec["profiles"][0]["photos"][0])
    img = R.load_rgb(photo_path.read_bytes())
    tok = Tokenizer.from_file(str(args.models / "e5-small" / "tokenizer.json"))
    blob, _ = R.yunet_input(img)
    cases = {
        "e5-small": R.e5_batch(tok, [p["bio"] for p in spec["profiles"][:8]]),
        "yunet": {"input": blob},
        "sface": {"data": R.sface_input(img.resize((112, 112)))},
        "open-nsfw": {"input:0": R.photo_input(img)[None]},
    }
    ok = True
    for mid, feeds in cases.items():
        path = args.models / mid / "model.onnx"
        counts, gpu_out = placement(path, feeds)
        cpu = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        cpu_out = cpu.run(None, feeds)
        diff = max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in zip(cpu_out, gpu_out))
        on_cuda = counts.get("CUDAExecutionProvider", 0)
        on_cpu = counts.get("CPUExecutionProvider", 0)
        verdict = "ok" if on_cuda > 0 and on_cpu == 0 else "FAIL"
        ok &= verdict == "ok"
        print(f"{mid:<10} heavy nodes on CUDA {on_cuda:>4}, on CPU {on_cpu:>3}; max |cpu - cuda| = {diff:.2e}  {verdict}")

    # --- end to end: same profiles on CPU and on CUDA
    cpu_r = B.run(args.models, args.set, None, 0, "cpu")
    gpu_r = B.run(args.models, args.set, None, 0, "cuda")
    cpu_s = {s["id"]: s["p_like"] for s in cpu_r["scores"]}
    max_diff = max(abs(s["p_like"] - cpu_s[s["id"]]) for s in gpu_r["scores"])
    print(f"scores: {len(cpu_s)} profiles, max |p_cuda - p_cpu| = {max_diff:.2e} (tolerance {args.tolerance})")
    if max_diff > args.tolerance:
        ok = False
        print("gpu_check: FAIL: CUDA scores differ from CPU scores", file=sys.stderr)
    for r in (cpu_r, gpu_r):
        print(
            f"bench {r['device']:<4}: {r['profiles_per_second']:.2f} profiles/s, cold start to first score "
            f"{r['cold_start_to_first_score_seconds']:.2f} s, model load {r['model_load_seconds']:.2f} s"
        )
    print("gpu_check: " + ("all checks passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
