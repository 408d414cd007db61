#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, seeded from the parser
# fixtures and the hand-written seeds. Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`). Exit status is non-zero when a target finds a crash;
# the crashing input is then in shared/fuzz/artifacts/<target>/.
#
#   shared/fuzz/run.sh 60                    # all targets, 60 s each
#   shared/fuzz/run.sh 300 parse_recs        # one target
#
# SANITIZER (default: none — the shared crate has no unsafe code, so the fuzzer looks for
# panics and broken invariants, and runs several times faster without ASan).
set -euo pipefail
seconds="${1:-30}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(decode_request parse_recs parse_like_response swipe_from_url)
fi
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
sanitizer="${SANITIZER:-none}"
status=0
for t in "${targets[@]}"; do
  case "$t" in
    decode_request) seeds=(fuzz/seeds/decode_request) ;;
    parse_recs | parse_like_response) seeds=(tests/fixtures) ;;
    swipe_from_url) seeds=(fuzz/seeds/swipe_from_url) ;;
    *) echo "unknown fuzz target: $t" >&2; exit 2 ;;
  esac
  mkdir -p "fuzz/corpus/$t"
  echo "== $t: ${seconds}s" >&2
  if ! cargo +nightly fuzz run --sanitizer "$sanitizer" "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
      -max_total_time="$seconds" -dict=fuzz/json.dict -print_final_stats=1 -timeout=10 -rss_limit_mb=2048; then
    echo "== $t: FAILED (see fuzz/artifacts/$t/)" >&2
    status=1
  fi
done
exit "$status"
