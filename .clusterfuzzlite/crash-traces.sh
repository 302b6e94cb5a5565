#!/usr/bin/env bash
# Makes each crash ClusterFuzzLite saved readable: reruns every crash input
# on the fuzz targets that were built and keeps, beside the input, the
# output of each target that fails on it: the decoded program as a trace
# (TOPHASH_PRINT_TRACE=1), the failing check with the layout dump, or the
# sanitizer's stack trace.
#
#   .clusterfuzzlite/crash-traces.sh ARTIFACTS_DIR FUZZERS_DIR
#
# Writes ARTIFACTS_DIR/<input>.<target>.txt and lists them; exit 1 when a
# crash input reproduces on no target (the upload then carries the input
# alone, and the log says so).
set -uo pipefail
artifacts=${1:?artifacts directory}
fuzzers=${2:?fuzzers directory}

shopt -s nullglob
bins=()
for b in "$fuzzers"/fuzz_*; do
  case "$b" in *.*) continue ;; esac
  [ -x "$b" ] && bins+=("$b")
done
if [ ${#bins[@]} -eq 0 ]; then
  echo "crash-traces: no fuzz targets in $fuzzers" >&2
  exit 1
fi
[ -x "$fuzzers/llvm-symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$fuzzers/llvm-symbolizer"
export TOPHASH_PRINT_TRACE=1

status=0
found=0
for input in "$artifacts"/*; do
  [ -f "$input" ] || continue
  case "$(basename "$input")" in *.*) continue ;; esac  # reports, not inputs
  found=$((found + 1))
  hits=0
  for b in "${bins[@]}"; do
    t=$(basename "$b")
    report="$input.$t.txt"
    if timeout -k 5 60 "$b" -runs=1 "$input" >"$report" 2>&1; then
      rm -f "$report"
    else
      hits=$((hits + 1))
      echo "crash-traces: $(basename "$input") fails on $t: $report"
    fi
  done
  if [ $hits -eq 0 ]; then
    echo "crash-traces: $(basename "$input") reproduces on no target" >&2
    status=1
  fi
done
echo "crash-traces: $found crash input(s) in $artifacts"
exit $status
