#!/bin/sh
# GPU check: the host's own scoring path (`swipy bench-score`) on the CUDA execution provider
# against the CPU, on the benchmark set of `cargo xtask bench`. Passes when the CUDA provider
# really loads for every encoder (`--device cuda` is strict: a session that cannot use CUDA
# is an error, never a silent CPU fallback) and every p_like equals the CPU's within 1e-3.
# See docs/GPU.md.
#
#   models/gpu_check.sh --offline [--pack DIR]
#       A machine without network (the GPU machine this project is sometimes lent): uses the
#       parts `models/gpu_pack.py` made (default target/gpu-pack: ONNX Runtime's CUDA build,
#       the models, a benchmark data dir, `swipy` built with CUDA) and the CUDA 13 / cuDNN
#       libraries the machine already has as Python packages (nvidia-*, or PyTorch's). Parts
#       may arrive over several calls: with some missing it says which and exits 3.
#   models/gpu_check.sh [--profiles N]
#       A machine with network, Rust and Python: prepares everything here first
#       (`cargo xtask models --gpu`, `cargo xtask bench`, a CUDA build of the host), then
#       runs the same check.
# Exit status: 0 passed, 1 a check failed, 2 no GPU / missing tools, 3 parts missing.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
T="$ROOT/target"
OFFLINE=0
PACK="$T/gpu-pack"
PROFILES=40
while [ $# -gt 0 ]; do
    case "$1" in
        --offline) OFFLINE=1 ;;
        --pack) PACK="$2"; shift ;;
        --profiles) PROFILES="$2"; shift ;;
        *) echo "gpu_check: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
PY="$(command -v python3 || true)"
[ -n "$PY" ] || { echo "gpu_check: python3 is required" >&2; exit 2; }

if [ "$OFFLINE" = 0 ]; then
    # Networked machine: build what the offline check carries, then run it from here.
    cargo xtask bench --profiles "$PROFILES"
    CARGO_TARGET_DIR="$T/cuda" cargo build --release -p swipy-host --features cuda --bin swipy
    "$PY" models/gpu_pack.py --swipy "$T/cuda/release/swipy" --out "$PACK"
fi

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L; then
    echo "gpu_check: no NVIDIA GPU visible (nvidia-smi)" >&2
    exit 2
fi

RUN="$T/gpu-run"
# Check the parts, join them, unpack once per pack.
"$PY" - "$PACK" "$RUN" <<'PY' || exit $?
import hashlib, io, json, lzma, sys, tarfile
from pathlib import Path
pack, run = Path(sys.argv[1]), Path(sys.argv[2])
meta_file = pack / "pack.json"
if not meta_file.is_file():
    print(f"gpu_check: {meta_file} missing (make it with models/gpu_pack.py)", file=sys.stderr)
    sys.exit(3)
meta = json.loads(meta_file.read_text())
done = run / ".pack-sha256"
if done.is_file() and done.read_text().strip() == meta["sha256"]:
    sys.exit(0)
missing = [p["name"] for p in meta["parts"] if not (pack / p["name"]).is_file()]
if missing:
    have = len(meta["parts"]) - len(missing)
    print(f"gpu_check: {have} of {len(meta['parts'])} parts here; still to carry: {' '.join(missing)}", file=sys.stderr)
    sys.exit(3)
blob = bytearray()
for p in meta["parts"]:
    data = (pack / p["name"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != p["sha256"]:
        print(f"gpu_check: {p['name']} is damaged (sha256); carry it again", file=sys.stderr)
        sys.exit(3)
    blob += data
if hashlib.sha256(blob).hexdigest() != meta["sha256"]:
    print("gpu_check: the joined pack does not match pack.json", file=sys.stderr)
    sys.exit(3)
run.mkdir(parents=True, exist_ok=True)
with tarfile.open(fileobj=lzma.open(io.BytesIO(bytes(blob))), mode="r") as tar:
    tar.extractall(run, filter="data")
(run / "swipy").chmod(0o755)
done.write_text(meta["sha256"] + "\n")
print(f"gpu_check: unpacked {len(blob) / 2**20:.0f} MiB into {run}", file=sys.stderr)
PY

# The CUDA 13 and cuDNN libraries of the machine's Python packages (nvidia-*/lib, torch/lib).
CUDA_LIBS="$("$PY" - <<'PY'
import glob, os, site, sys
dirs = []
for sp in site.getsitepackages() + [site.getusersitepackages()] + sys.path:
    for pat in ("nvidia/*/lib", "nvidia/cu13/lib", "torch/lib"):
        for d in sorted(glob.glob(os.path.join(sp, pat))):
            if os.path.isdir(d) and d not in dirs:
                dirs.append(d)
print(":".join(dirs))
PY
)"
if [ -z "$CUDA_LIBS" ]; then
    echo "gpu_check: no CUDA libraries found in the Python packages (nvidia-cublas-cu13, nvidia-cudnn-cu13, ...)" >&2
    exit 2
fi
export LD_LIBRARY_PATH="$RUN/ort:$CUDA_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ORT_DYLIB_PATH="$RUN/ort/libonnxruntime.so"
export SWIPY_MODELS_DIR="$RUN/models"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

status=0
for dev in cpu cuda; do
    # a fresh copy of the data dir each time: the first run fills its embedding cache
    rm -rf "$RUN/data-$dev"
    cp -r "$RUN/data" "$RUN/data-$dev"
    echo "gpu_check: swipy bench-score --device $dev" >&2
    if ! "$RUN/swipy" --data-dir "$RUN/data-$dev" --device "$dev" bench-score \
        --json "$RUN/$dev.json" 2>"$RUN/$dev.log"; then
        echo "gpu_check: FAIL: the $dev run failed:" >&2
        tail -20 "$RUN/$dev.log" >&2
        status=1
    fi
done
[ "$status" = 0 ] || exit 1

"$PY" - "$RUN" <<'PY' || status=1
import json, sys
from pathlib import Path
run = Path(sys.argv[1])
cpu, gpu = (json.loads((run / f"{d}.json").read_text()) for d in ("cpu", "cuda"))
c = {s["id"]: s["p_like"] for s in cpu["scores"]}
diff = max(abs(s["p_like"] - c[s["id"]]) for s in gpu["scores"])
log = ""
for f in sorted((run / "data-cuda").rglob("*.log")):
    log += f.read_text(errors="replace")
log += (run / "cuda.log").read_text(errors="replace")
on_cuda = log.count("CUDA execution provider")
print(f"gpu_check: {len(c)} profiles, max |p_cuda - p_cpu| = {diff:.2e} (tolerance 1e-3); "
      f"'CUDA execution provider' logged {on_cuda} time(s)")
for r in (cpu, gpu):
    st = ", ".join(f"{k} {v:.2f}" for k, v in r.get("stages", {}).items())
    print(f"gpu_check: {r['device']:<4} {r['profiles_per_second']:.2f} profiles/s, first score of a page "
          f"{r['page_top_card_seconds']:.2f} s, cold start {r['cold_start_to_first_score_seconds']:.2f} s; stages (s): {st}")
ok = diff <= 1e-3 and gpu["device"] == "cuda"
print("gpu_check: " + ("all checks passed" if ok else "FAILED"))
sys.exit(0 if ok else 1)
PY
exit $status
