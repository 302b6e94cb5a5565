#!/bin/bash -eu
# Builds every tophash fuzz target the way OSS-Fuzz and ClusterFuzzLite do,
# through the project's own CMake (the same sources, the same
# fuzz/coverage-ignorelist.txt and per-file flags as the fuzz preset). The
# compiler and flags come from the environment ($CXX $CXXFLAGS
# $LIB_FUZZING_ENGINE); everything lands in $OUT:
#
#   $OUT/fuzz_T                  one binary per name in fuzz/targets.txt
#   $OUT/fuzz_T_seed_corpus.zip  corpus/T and corpus/regressions/T
#   $OUT/fuzz_T.dict             fuzz/T.dict, where there is one
#   $OUT/fuzz_T.options          fuzz/fuzz.options (max_len, as the campaign's)
#
# Needs CMake 3.25 or newer (the Dockerfiles install it) and python3 (for
# the seed corpus zips). It is also run outside Docker by
# scripts/oss-fuzz-local, which sets the same variables. TOPHASH_JOBS caps
# parallel compiles (default: nproc).

# The checkout: the directory above this script when it sits in the repo
# (.clusterfuzzlite/build.sh), else the working directory OSS-Fuzz starts
# us in (the Dockerfile's WORKDIR), else $SRC/tophash.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=""
for candidate in "$here/.." "$PWD" "${SRC:-/nonexistent}/tophash"; do
  if [ -f "$candidate/impl/include/tophash/bucket_map.h" ]; then
    root=$(cd "$candidate" && pwd -P)  # physical: CMake wants one spelling of each path
    break
  fi
done
if [ -z "$root" ]; then
  echo "build.sh: cannot find the tophash checkout (looked beside this script, in \$PWD and \$SRC/tophash)" >&2
  exit 1
fi
th_prog=build.sh
# shellcheck source=../scripts/lib/common.sh
. "$root/scripts/lib/common.sh"

: "${CXX:?}" "${OUT:?}" "${LIB_FUZZING_ENGINE:?}"
WORK=${WORK:-$(mktemp -d)}
build="$WORK/tophash-build"
mkdir -p "$OUT"
# The targets that run the Go 1.19 runtime in-process (fuzz/go/) are left
# out: the OSS-Fuzz images have no Go 1.19 toolchain, and Go's runtime is
# not built with their sanitizers (fuzz/go/README.md).
mapfile -t targets < <(th_fuzz_targets_without_go)
[ ${#targets[@]} -gt 0 ] || th_fail "no fuzz targets in fuzz/targets.txt"

# The instrumentation is in $CXXFLAGS already (TOPHASH_FUZZ_INSTRUMENT
# empty); the engine is $LIB_FUZZING_ENGINE; no build type, so the
# environment's -O and -g stand; only the library and the fuzz targets
# (the image lacks the dependencies of the properties and benchmarks).
generator="Unix Makefiles"
command -v ninja >/dev/null 2>&1 && generator=Ninja
rm -rf "$build"
cmake -S "$root" -B "$build" -G "$generator" \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="${CXXFLAGS:-}" -DCMAKE_BUILD_TYPE= \
  -DTOPHASH_FUZZ=ON -DTOPHASH_FUZZ_ONLY=ON -DTOPHASH_FUZZ_INSTRUMENT= \
  -DTOPHASH_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" >"$WORK/tophash-configure.log" 2>&1 ||
  { cat "$WORK/tophash-configure.log" >&2; th_fail "configuring with CMake failed"; }
th_build "$build" "${targets[@]/#/fuzz_}"

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
  cp "$build/bin/fuzz_$t" "$OUT/fuzz_$t"
  zip_corpus "$OUT/fuzz_${t}_seed_corpus.zip" "$root/corpus/$t" "$root/corpus/regressions/$t"
  if [ -f "$root/fuzz/$t.dict" ]; then
    cp "$root/fuzz/$t.dict" "$OUT/fuzz_$t.dict"
  fi
  cp "$root/fuzz/fuzz.options" "$OUT/fuzz_$t.options"
done

th_say "built ${#targets[@]} fuzz targets into $OUT: ${targets[*]}"
