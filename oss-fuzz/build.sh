#!/bin/bash -eu
# OSS-Fuzz build script of tophash (projects/tophash/build.sh). The build
# itself lives in the repository, in .clusterfuzzlite/build.sh, so that
# OSS-Fuzz, ClusterFuzzLite and scripts/oss-fuzz-local build the same way.
exec bash -eu "$SRC/tophash/.clusterfuzzlite/build.sh" "$@"
