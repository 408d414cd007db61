#!/bin/sh
# GPU check for a machine with an NVIDIA GPU (driver for CUDA 13) and PyPI access:
#   1. prepares the models and both ONNX Runtime builds (CPU: target/ort, CUDA: target/ort-gpu)
#   2. builds a venv with onnxruntime-gpu[cuda,cudnn]==1.31.1 (+ the pinned conversion
#      packages, minus the CPU onnxruntime which would shadow it)
#   3. runs models/gpu_check.py: CUDA EP must really load (no silent CPU fallback), heavy nodes
#      on CUDA, CUDA scores equal CPU scores within 1e-3, prints the benchmark
#   4. when the Rust benchmark example exists, runs it with the CUDA build too
#
#   models/gpu_check.sh [--profiles N]
# Exit status: 0 all checks passed, 1 a check failed, 2 no GPU / missing tools.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PROFILES=30
if [ "${1:-}" = "--profiles" ] && [ -n "${2:-}" ]; then PROFILES="$2"; fi
T="$ROOT/target"
GPU_REQ="onnxruntime-gpu[cuda,cudnn]==1.31.1"

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L; then
    echo "gpu_check: no NVIDIA GPU visible (nvidia-smi)" >&2
    exit 2
fi
command -v python3 >/dev/null 2>&1 || { echo "gpu_check: python3 is required" >&2; exit 2; }

python3 models/prepare.py --out "$T/models" --ort "$T/ort" --gpu-ort "$T/ort-gpu" \
    --fixtures "$T/fixtures/openpeople"

VENV="$T/gpu-venv"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
grep -v '^onnxruntime==' models/requirements.txt > "$T/gpu-requirements.txt"
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
    --find-links "$T/models-cache/wheels" -r "$T/gpu-requirements.txt" "$GPU_REQ"
if "$VENV/bin/pip" show onnxruntime >/dev/null 2>&1; then
    echo "gpu_check: the CPU onnxruntime package is installed in $VENV and would shadow onnxruntime-gpu" >&2
    exit 2
fi

"$T/models-venv/bin/python" models/bench_reference.py make-set \
    --photos "$T/fixtures/openpeople" --out "$T/bench" --profiles "$PROFILES"
status=0
"$VENV/bin/python" models/gpu_check.py --models "$T/models" --set "$T/bench" || status=1

# Rust pipeline with the CUDA build of ONNX Runtime (when the example exists): the same binary
# and library on CPU and on CUDA, scores compared
if [ -f models/examples/bench.rs ]; then
    cargo build --release -p swipy-models --features cuda --example bench
    for dev in cpu cuda; do
        (
            . "$T/ort-gpu/env.sh"
            "$T/release/examples/bench" --device "$dev" --models "$T/models" --set "$T/bench" \
                --json "$T/bench/rust-$dev.json"
        ) || status=1
    done
    "$VENV/bin/python" - "$T/bench" <<'PY' || status=1
import json, sys
from pathlib import Path
d = Path(sys.argv[1])
load = lambda n: json.loads((d / n).read_text())
cpu, gpu = load("rust-cpu.json"), load("rust-cuda.json")
c = {s["id"]: s["p_like"] for s in cpu["scores"]}
diff = max(abs(s["p_like"] - c[s["id"]]) for s in gpu["scores"])
print(f"rust: max |p_cuda - p_cpu| = {diff:.2e}")
for r, name in ((cpu, "cpu"), (gpu, "cuda")):
    print(f"rust bench {name:<4}: {r['profiles_per_second']:.2f} profiles/s, cold start {r['cold_start_to_first_score_seconds']:.2f} s")
sys.exit(0 if diff <= 1e-3 else 1)
PY
else
    echo "gpu_check: models/examples/bench.rs not found - Rust CUDA run skipped" >&2
fi
exit $status
