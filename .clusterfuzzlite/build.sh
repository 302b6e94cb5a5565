#!/bin/bash -eu
# Builds every tophash fuzz target the way OSS-Fuzz and ClusterFuzzLite do:
# the compiler and flags come from the environment ($CC $CXX $CFLAGS
# $CXXFLAGS $LIB_FUZZING_ENGINE) and everything lands in $OUT:
#
#   $OUT/fuzz_T                  one binary per fuzz/fuzz_T.cc
#   $OUT/fuzz_T_seed_corpus.zip  corpus/T and corpus/regressions/T
#   $OUT/fuzz_T.dict             fuzz/T.dict, where there is one
#   $OUT/fuzz_T.options          libFuzzer options (max_len)
#
# The build needs only a C++20 compiler: no CMake, no presets. It is also
# run outside Docker by scripts/oss-fuzz-local, which sets the same
# variables. TOPHASH_BUILD_JOBS caps parallel compiles (default: nproc).

# The checkout: the directory above this script when it sits in the repo
# (.clusterfuzzlite/build.sh), else the working directory OSS-Fuzz starts
# us in (the Dockerfile's WORKDIR), else $SRC/tophash.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=""
for candidate in "$here/.." "$PWD" "${SRC:-/nonexistent}/tophash"; do
  if [ -f "$candidate/impl/include/tophash/bucket_map.h" ]; then
    root=$(cd "$candidate" && pwd)
    break
  fi
done
if [ -z "$root" ]; then
  echo "build.sh: cannot find the tophash checkout (looked beside this script, in \$PWD and \$SRC/tophash)" >&2
  exit 1
fi

: "${CXX:?}" "${OUT:?}" "${LIB_FUZZING_ENGINE:?}"
CXXFLAGS=${CXXFLAGS:-}
WORK=${WORK:-$(mktemp -d)}
jobs=${TOPHASH_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}
obj="$WORK/tophash-obj"
rm -rf "$obj"
mkdir -p "$obj" "$OUT"

# $CXXFLAGS is split on spaces on purpose: that is how OSS-Fuzz passes it.
# shellcheck disable=SC2206
flags=($CXXFLAGS -std=c++20 -I"$root/impl/include" -I"$root/reference" -I"$root/fuzz")
# Where the engine instruments for coverage (libFuzzer's fuzzer-no-link,
# or -fsanitize-coverage=...), leave out the harness's templates, as the
# CMake fuzz build does (fuzz/coverage-ignorelist.txt says why).
case " $CXXFLAGS " in
  *fuzzer-no-link*|*-fsanitize-coverage=*)
    flags+=(-fsanitize-coverage-ignorelist="$root/fuzz/coverage-ignorelist.txt" -Wno-unused-command-line-argument) ;;
esac

# The harness-only sources carry no coverage feedback, as in the CMake fuzz
# build (reference/CMakeLists.txt): the fuzzer should learn from the map
# and the trace parser, not from the model, and it keeps throughput up.
harness_only=" decode.cc model.cc iter_oracle.cc executor.cc "
# The files that instantiate the map keep its edges but not the tracing of
# its compares, as in the CMake fuzz build (reference/CMakeLists.txt says why).
map_files=" run_u64.cc run_string.cc run_double.cc run_counted.cc "
untraced=()
case " $CXXFLAGS " in
  *fuzzer-no-link*|*-fsanitize-coverage=*) untraced=(-fno-sanitize-coverage=trace-cmp) ;;
esac

pids=()
compile() {  # source object [extra flags...]
  local src=$1 o=$2; shift 2
  "$CXX" "${flags[@]}" "$@" -c "$src" -o "$o" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
}
wait_all() {
  local p
  for p in "${pids[@]}"; do wait "$p"; done
  pids=()
}

targets=()
for f in "$root"/fuzz/fuzz_*.cc; do
  t=$(basename "$f" .cc)
  targets+=("${t#fuzz_}")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "build.sh: no fuzz targets (fuzz/fuzz_*.cc) in $root" >&2
  exit 1
fi

# reference/: the op language, model, oracles and executor, as one archive
# so each target links only what it uses.
ref_objs=()
for f in "$root"/reference/*.cc; do
  name=$(basename "$f")
  extra=()
  case "$harness_only" in *" $name "*) extra=(-fno-sanitize=fuzzer-no-link) ;; esac
  case "$map_files" in *" $name "*) extra=("${untraced[@]}") ;; esac
  compile "$f" "$obj/ref_${name%.cc}.o" "${extra[@]}"
  ref_objs+=("$obj/ref_${name%.cc}.o")
done
compile "$root/fuzz/sanitizer_options.cc" "$obj/sanitizer_options.o"
for t in "${targets[@]}"; do
  compile "$root/fuzz/fuzz_$t.cc" "$obj/fuzz_$t.o"
done
wait_all

ar=${AR:-ar}
command -v "$ar" >/dev/null 2>&1 || ar=llvm-ar
rm -f "$obj/libtophash_reference.a"
"$ar" rcs "$obj/libtophash_reference.a" "${ref_objs[@]}"

# Link (libFuzzer's driver comes from $LIB_FUZZING_ENGINE).
# shellcheck disable=SC2086
for t in "${targets[@]}"; do
  "$CXX" "${flags[@]}" "$obj/fuzz_$t.o" "$obj/sanitizer_options.o" "$obj/libtophash_reference.a" \
    $LIB_FUZZING_ENGINE -o "$OUT/fuzz_$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
done
wait_all

# Seed corpora, dictionaries and options. The zip holds the inputs flat,
# regressions under a prefix so no name collides. Files with a dot in the
# name (the readable .trace beside a regression input) are not inputs, as
# for fuzz-decode. Python's zipfile, so no zip binary is needed.
zip_corpus() {  # zipfile seed-dir regression-dir
  python3 - "$@" <<'PY'
import os, sys, zipfile
out, seeds, regressions = sys.argv[1:4]
n = 0
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for d, prefix in ((seeds, ""), (regressions, "regression-")):
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if os.path.isfile(path) and "." not in name:
                z.write(path, arcname=prefix + name)
                n += 1
print(f"{os.path.basename(out)}: {n} inputs")
PY
}

for t in "${targets[@]}"; do
  zip_corpus "$OUT/fuzz_${t}_seed_corpus.zip" "$root/corpus/$t" "$root/corpus/regressions/$t"
  if [ -f "$root/fuzz/$t.dict" ]; then
    cp "$root/fuzz/$t.dict" "$OUT/fuzz_$t.dict"
  fi
  # As scripts/campaign: byte targets decode 4-byte commands, so 2048
  # bytes is a long program and keeps executions fast; traces are text and
  # the longest seed traces are about 6 KB.
  max_len=2048
  [ "$t" = trace ] && max_len=8192
  {
    echo "[libfuzzer]"
    echo "max_len = $max_len"
  } >"$OUT/fuzz_$t.options"
done

echo "build.sh: built ${#targets[@]} fuzz targets into $OUT: ${targets[*]}"
