# scripts/lib/common.sh: what every script here does the same way. Source
# it after setting `th_prog` (the script's name, for messages):
#
#   th_prog=campaign
#   . "$(dirname "$0")/lib/common.sh"     # cd's to the checkout's root
#
# Sourcing it changes to the checkout's root: resolve relative paths given
# on the command line before (realpath -m), or take them relative to the
# root and say so in the usage. It gives:
#   th_root                  the checkout's root (the working directory)
#   th_jobs                  build parallelism: --jobs N where a script takes
#                            it (th_set_jobs), else TOPHASH_JOBS, else nproc
#                            (JOBS=N: a deprecated spelling, with a warning)
#   th_die MSG               "PROG: MSG" on stderr, exit 2 (bad usage)
#   th_fail MSG              "PROG: MSG" on stderr, exit 1 (the work failed)
#   th_say MSG               "PROG: MSG" on stdout (progress)
#   th_warn MSG              "PROG: MSG" on stderr, going on
#   th_unknown OPT           dies: unknown option OPT (see --help)
#   th_need_value OPT ARGS   dies unless OPT is followed by a value
#   th_positive OPT VALUE    dies unless VALUE is a positive integer
#   th_set_jobs N            sets th_jobs (checked)
#   th_help FILE             prints FILE's header comment (its usage)
#   th_setup                 installs what is missing (scripts/setup), once
#   th_configure PRESET [DIR]        cmake --preset PRESET [-B DIR], quiet
#   th_build DIR [TARGET...]         cmake --build DIR -j th_jobs [--target ...]
#   th_preset_build PRESET [TARGET...]  configure + build build/PRESET
#   th_fuzz_targets          the fuzz targets, one name a line (fuzz/targets.txt)
#   th_fuzz_targets_without_go  those that do not run Go in-process (fuzz/go/)
#   th_fuzz_target NAME      dies unless NAME is one of them
#   th_fuzz_max_len          libFuzzer's -max_len of every target (fuzz/fuzz.options)
#   th_go                    the Go 1.19 toolchain's go command
#   th_go_env CMD...         runs CMD with Go's caches under build/go, offline
# shellcheck shell=bash

th_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$th_root" || exit 2
: "${th_prog:=$(basename "$0")}"
if [ -n "${JOBS:-}" ]; then  # the old spelling; the scripts this one runs see TOPHASH_JOBS
  echo "$th_prog: JOBS=N is deprecated: use --jobs N (or TOPHASH_JOBS=N)" >&2
  export TOPHASH_JOBS=${TOPHASH_JOBS:-$JOBS}
  unset JOBS
fi
th_jobs=${TOPHASH_JOBS:-$(nproc 2>/dev/null || echo 2)}

th_die() { echo "$th_prog: $*" >&2; exit 2; }
th_fail() { echo "$th_prog: $*" >&2; exit 1; }
th_say() { echo "$th_prog: $*"; }
th_warn() { echo "$th_prog: $*" >&2; }
th_unknown() { th_die "unknown option $1 (see scripts/$th_prog --help)"; }
th_need_value() { [ $# -ge 2 ] && [ -n "$2" ] || th_die "$1 needs a value"; }
th_positive() { [[ $2 =~ ^[1-9][0-9]*$ ]] || th_die "$1 wants a positive integer, not '$2'"; }
th_set_jobs() { th_positive --jobs "$1"; th_jobs=$1; }
th_help() { sed -n '2,/^[^#]/p' "$1" | sed '/^[^#]/d; s/^# \{0,1\}//'; }

th_setup() {
  [ -n "${TOPHASH_SETUP_DONE:-}" ] && return 0
  bash "$th_root/scripts/setup" || th_fail "setup failed (scripts/setup)"
  export TOPHASH_SETUP_DONE=1
}

th_configure() {  # preset [build dir]
  local preset=$1 dir=${2:-build/$1} log
  log=$(mktemp)
  if ! cmake --preset "$preset" -B "$dir" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    th_fail "configuring the $preset preset in $dir failed"
  fi
  rm -f "$log"
}

th_build() {  # build dir [targets...]
  local dir=$1; shift
  if [ $# -eq 0 ]; then
    cmake --build "$dir" -j "$th_jobs"
  else
    cmake --build "$dir" -j "$th_jobs" --target "$@"
  fi
}

th_preset_build() {  # preset [targets...]
  local preset=$1; shift
  th_setup
  th_configure "$preset"
  th_build "build/$preset" "$@"
}

th_fuzz_targets() { grep -vE '^[[:space:]]*(#|$)' "$th_root/fuzz/targets.txt"; }
# The targets that run the Go runtime in-process (their source is in
# fuzz/go/): built where Go 1.19 is found, left out of the OSS-Fuzz build.
th_fuzz_target_needs_go() { [ -f "$th_root/fuzz/go/fuzz_$1.cc" ]; }
th_fuzz_target_has_source() { [ -f "$th_root/fuzz/fuzz_$1.cc" ] || th_fuzz_target_needs_go "$1"; }
th_fuzz_targets_without_go() {
  local t
  th_fuzz_targets | while read -r t; do th_fuzz_target_needs_go "$t" || echo "$t"; done
}
th_fuzz_target() {
  th_fuzz_targets | grep -qxF -- "$1" ||
    th_die "unknown fuzz target '$1' (fuzz/targets.txt: $(th_fuzz_targets | paste -sd' '))"
}
th_fuzz_max_len() {
  local n
  n=$(sed -n 's/^max_len *= *\([0-9][0-9]*\) *$/\1/p' "$th_root/fuzz/fuzz.options")
  [ -n "$n" ] || th_fail "fuzz/fuzz.options sets no max_len"
  echo "$n"
}

th_go() {
  local go
  go=${GO:-$(command -v go 2>/dev/null || true)}
  [ -x "$go" ] || go=/usr/lib/go-1.19/bin/go
  [ -x "$go" ] || th_fail "Go 1.19 is missing (scripts/setup installs golang-1.19-go)"
  echo "$go"
}

th_go_env() {
  GOCACHE="$th_root/build/go/cache" GOPATH="$th_root/build/go/path" GOPROXY=off GOFLAGS=-mod=mod \
    GOTOOLCHAIN=local "$@"
}
