# shellcheck shell=bash
# scripts/lib/mutants.sh: what the mutation check's three kinds share
# (scripts/mutants; the kinds' own parts are scripts/lib/mutants-KIND.sh).
# Sourced after scripts/lib/common.sh, not run.
#
# The rules every kind follows:
#   - the control (the unmutated tree) runs exactly what each mutant runs
#     (same targets or tests, same seeds, same budget) and every failure it
#     shows is recorded as "where|check" (fuzz target, property or test,
#     and the failed check or sanitizer kind);
#   - a mutant is killed only by a failure the control does not show; a
#     failure the control shows too (same place, same check) is a false
#     alarm of the harness, reported as "not killed (control fails the
#     same way)";
#   - mutants/null-comment.patch (one comment line) runs with the planted
#     bugs as a second control: it must survive;
#   - a control that fails at all is reported loudly, with the check and
#     the failing input, and the run exits non-zero;
#   - the results go to a new dated file results/mutants-KIND-<stamp>.md
#     (scripts/lib/results.sh: date, machine, compiler, flags, commit;
#     then the budget, one row per mutant, the control's outcome).

mut_root=$th_root
mut_null=null-comment

# mut_name ARG: a mutant's name from NAME, NAME.patch or mutants/NAME.patch;
# exits 2 when there is no such patch.
mut_name() {
  local n
  n=$(basename "$1" .patch)
  [ -f "$mut_root/mutants/$n.patch" ] || th_die "no such mutant: $1 (mutants/$n.patch)"
  echo "$n"
}

# mut_default_names GLOB: the names of mutants/GLOB.patch without the null
# mutant (which every script adds by itself).
mut_default_names() {
  local p n
  for p in "$mut_root"/mutants/$1.patch; do
    [ -f "$p" ] || continue
    n=$(basename "$p" .patch)
    case "$n" in "$mut_null") continue ;; esac
    echo "$n"
  done
}

# mut_what NAME: the first sentence of the patch's opening paragraph (what
# the mutant plants).
mut_what() {
  awk 'NF == 0 { exit } { printf "%s%s", sep, $0; sep = " " } END { print "" }' "$mut_root/mutants/$1.patch" |
    sed -E 's/^(Planted bug|Null mutant): //; s/\. .*//; s/\.$//; s/\|/\\|/g'
}

# mut_scratch_copy KIND KEEP: copies the working tree as it is (tracked
# files and untracked ones that are not ignored; never build/) into a new
# scratch directory and cd's into the copy. Sets mut_scratch (the copy)
# and mut_work (logs and artifacts, beside it). KEEP=1 keeps both at the
# end; otherwise they go when the script exits.
mut_scratch_copy() {
  local top
  top=$(mktemp -d "${TMPDIR:-/tmp}/tophash-$1.XXXXXX") || exit 1
  mut_scratch=$top/tree
  mut_work=$top/work
  mkdir -p "$mut_scratch" "$mut_work"
  if [ "$2" = 1 ]; then
    th_say "scratch copy kept: $mut_scratch (logs: $mut_work)"
  else
    # shellcheck disable=SC2064  # the path is fixed now
    trap "rm -rf '$top'" EXIT
  fi
  (cd "$mut_root" && git ls-files -z -c -o --exclude-standard | grep -zv '^build/' |
     xargs -0 -I{} cp --parents {} "$mut_scratch"/ 2>/dev/null)
  [ -d "$mut_scratch/impl" ] || th_fail "copying the tree to $mut_scratch failed"
  cd "$mut_scratch" || exit 1
  export CCACHE_BASEDIR="$mut_scratch" CCACHE_NOHASHDIR=1
}

# mut_apply NAME: applies mutants/NAME.patch to the scratch copy, all or
# nothing; status 1 when it does not apply.
mut_apply() {
  patch -p1 -s -f --dry-run <"$mut_root/mutants/$1.patch" >/dev/null 2>&1 || return 1
  patch -p1 -s -f <"$mut_root/mutants/$1.patch" >/dev/null
}

# mut_revert NAME: takes mutants/NAME.patch back out; exits when it cannot
# (every later result would be wrong).
mut_revert() {
  patch -p1 -s -f -R <"$mut_root/mutants/$1.patch" >/dev/null ||
    th_fail "cannot revert $1: stopping"
}

mut_ms() { echo $(( $(date +%s%N) / 1000000 )); }
mut_secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# --- failures and the control ----------------------------------------------
# A failures file has one line per failure: "seconds|where|check|input"
# (input: a failing input kept for reproduction, or empty).

# mut_failure_keys FILE: the distinct "where|check" of a failures file.
mut_failure_keys() { [ -s "$1" ] && cut -d'|' -f2,3 "$1" | sort -u; }

# mut_control_shows WHERE CHECK: status 0 when the control showed that failure.
mut_control_shows() { grep -qxF -- "$1|$2" "$mut_work/control.keys" 2>/dev/null; }

# mut_set_control FILE: the control's failures file; prints nothing.
mut_set_control() { mut_failure_keys "$1" >"$mut_work/control.keys"; cp "$1" "$mut_work/control.failures"; }

# mut_control_failed: status 0 when the control showed any failure.
mut_control_failed() { [ -s "$mut_work/control.keys" ]; }

# mut_shout LINE...: a message that must not be missed, on stderr.
mut_shout() {
  {
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    printf '!! %s\n' "$@"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo
  } >&2
}

# mut_report_control REPRO: after the control has run; prints its failures
# loudly (each distinct where|check once, with the first input that showed
# it and how to reproduce it: the function REPRO, given the input and the
# place, prints the command).
mut_report_control() {
  mut_control_failed || { th_say "control: no failure (as it must be)"; return; }
  local lines=("THE CONTROL FAILS: the unmutated tree fails under the same runs as the mutants."
               "The harness itself raises an alarm here; a mutant failing the same way is not a kill."
               "Failures of the control (where: check, first after, input):")
  local key where check first input
  while IFS= read -r key; do
    where=${key%%|*} check=${key#*|}
    first=$(awk -F'|' -v w="$where" -v c="$check" '$2 == w && $3 == c { print; exit }' "$mut_work/control.failures")
    input=$(cut -d'|' -f4 <<<"$first")
    lines+=("  $where: $check (after $(cut -d'|' -f1 <<<"$first") s)")
    if [ -n "$input" ]; then
      lines+=("    input: $input" "    reproduce: $("$1" "$input" "$where")")
    fi
  done <"$mut_work/control.keys"
  mut_shout "${lines[@]}"
}

# mut_control_table: the control's failures as a markdown table (or a
# sentence when there are none), for the results file.
mut_control_table() {
  if ! mut_control_failed; then
    echo "The control shows no failure."
    return
  fi
  echo "**The control FAILS**: the unmutated tree fails under the same runs as"
  echo "the mutants, so the harness raises a false alarm (or the tree has a real"
  echo "bug). A mutant failure with the same place and check is not counted as"
  echo "a kill."
  echo
  echo "| where | check | first after | times seen | input |"
  echo "|---|---|---|---|---|"
  local key where check first n input
  while IFS= read -r key; do
    where=${key%%|*} check=${key#*|}
    first=$(awk -F'|' -v w="$where" -v c="$check" '$2 == w && $3 == c { print; exit }' "$mut_work/control.failures")
    n=$(awk -F'|' -v w="$where" -v c="$check" '$2 == w && $3 == c { n++ } END { print n + 0 }' "$mut_work/control.failures")
    input=$(cut -d'|' -f4 <<<"$first")
    echo "| $where | $(sed 's/|/\\|/g' <<<"$check") | $(cut -d'|' -f1 <<<"$first") s | $n | ${input:+\`$input\`} |"
  done <"$mut_work/control.keys"
}

# --- inputs kept ---------------------------------------------------------

# mut_inputs_dir: where failing inputs of the control and the null mutant
# are kept (build/mutants/<stamp>/, relative to the repository root).
mut_inputs_dir() {
  mkdir -p "$mut_root/build/mutants/$th_results_stamp" || exit 1
  echo "build/mutants/$th_results_stamp"
}
