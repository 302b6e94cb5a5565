# shellcheck shell=bash
# scripts/lib/mutants-fuzz.sh: the fuzz kind of scripts/mutants (the fuzz
# targets hunt the map's planted bugs). Sourced by scripts/mutants, which
# documents the schedule; sets the kind's facts and its mut_kind_* hooks.

: "${budget:=60}" "${slice:=5}"
mut_preset=fuzz
mut_build=build/fuzz
mut_place=target
max_len=$(th_fuzz_max_len)
# The byte targets: the trace target fuzzes the replayer's parser, which
# no planted bug touches.
mapfile -t targets < <(th_fuzz_targets | grep -vx trace)
if [ $seeds = 1 ]; then
  mut_results_kind=fuzz mut_title="Planted bugs and the fuzz harness"
  how="the seed corpora once (-runs=0), then fuzzing"
else
  mut_results_kind=fuzz-no-seeds mut_title="Planted bugs and the fuzz harness, without seed corpora"
  how="no seed corpora: fuzzing from empty corpora"
fi
mut_budget_text="${budget} s per build, the same for the control, the null mutant and each planted bug: $how in ${slice}-second turns of each target (${targets[*]}), libFuzzer -seed=1 -max_len=$max_len -rss_limit_mb=2048 -timeout=30, one scratch corpus per target carried over between turns; ASan+UBSan (fuzz preset)"
mut_sources=(fuzz/fuzz_u64_real.cc reference/run_u64.cc)

mut_build_targets=("${targets[@]/#/fuzz_}")
mut_intro="the fuzz targets are rebuilt, and the runs above hunt it. Time to kill
is wall time from the first run."

# mut_kind_repro INPUT TARGET: how to look at a failing input of the control.
mut_kind_repro() {
  case "$1" in
    *.log) echo "no input was written; read the run's log, $1" ;;
    *) echo "build/fuzz/bin/fuzz_$2 $1 (replay); scripts/repro $1 $2 (explain, minimise, file as a regression)" ;;
  esac
}

# fuzz_check LOG STATUS: the failed check of a run's log: the lockstep
# checker's check name, or the sanitizer's (or libFuzzer's) kind of report,
# or how the process ended when it left no report.
fuzz_check() {
  local line
  line=$(grep -m1 -E '^check failed: |ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): |runtime error: ' "$1")
  case "$line" in
    "check failed: "*) echo "${line#check failed: }" ;;
    *"runtime error: "*)
      echo "UBSan: $(sed -E 's/.*runtime error: //; s/0x[0-9a-fA-F]+/ADDR/g; s/[0-9]+/N/g; s/:.*//' <<<"$line")" ;;
    *"ERROR: AddressSanitizer: "*)
      echo "AddressSanitizer: $(sed -E 's/.*ERROR: AddressSanitizer: ([A-Za-z-]+).*/\1/' <<<"$line")" ;;
    *"ERROR: LeakSanitizer: "*) echo "LeakSanitizer: detected memory leaks" ;;
    *"ERROR: libFuzzer: "*)
      echo "libFuzzer: $(sed -E 's/.*ERROR: libFuzzer: ([a-z -]+).*/\1/; s/ +$//; s/ after$//' <<<"$line")" ;;
    *) if [ "$2" -gt 128 ]; then echo "killed by signal $(( $2 - 128 )) without a report"
       else echo "exit status $2 without a report"; fi ;;
  esac
}

# run_target TARGET ARGS...: one libFuzzer run. On failure appends
# "seconds|target|check|input" to $failures; the input (or, when the run
# wrote none, its log) is kept in build/mutants/<stamp>/ when $keep_as
# names the build (control, null mutant).
run_target() {
  local t=$1; shift
  local log="$mut_work/run-$t.log"
  rm -f "$mut_work"/artifact-*
  "$mut_build/bin/fuzz_$t" -seed=1 -max_len="$max_len" -rss_limit_mb=2048 -timeout=30 \
    -artifact_prefix="$mut_work/artifact-$t-" "$@" >"$log" 2>&1 && return 0
  local status=$? check artifact kept="" inputs
  check=$(fuzz_check "$log" "$status")
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if [ -n "$keep_as" ]; then
    inputs=$(mut_inputs_dir)
    if [ -f "$artifact" ]; then
      kept="$inputs/$keep_as-$(basename "$artifact")"
      cp "$artifact" "$mut_root/$kept"
      cp "$log" "$mut_root/$kept.log"
    else  # no input to keep: the log says what happened
      kept="$inputs/$keep_as-$t-$(mut_ms).log"
      cp "$log" "$mut_root/$kept"
    fi
  fi
  echo "$(mut_secs $(( $(mut_ms) - start )))|$t|${check//|/\/}|$kept" >>"$failures"
  return 1
}

# stop_here: after a failure, whether the build's runs stop: the
# control's go on (every failure it shows is recorded), a mutant's stop at
# its first failure the control does not show (a kill).
stop_here() {
  local s w c
  IFS='|' read -r s w c _ <<<"$(tail -1 "$failures")"
  if [ "$name" = control ]; then
    echo "    control fails: $w: $c (after $s s); going on"
    return 1
  fi
  if mut_control_shows "$w" "$c"; then
    echo "    $w: $c (after $s s): the control fails the same way, not a kill; going on"
    return 1
  fi
  return 0
}

# mut_kind_run NAME: one build's runs, the same for the control and every
# mutant: the seed corpora, then fuzzing in turns until the budget is
# spent or a mutant is killed. Failures go to $failures.
mut_kind_run() {
  name=$1
  keep_as=""
  [ "$name" = control ] || [ "$name" = "$mut_null" ] && keep_as=$name
  : >"$failures"
  local t round=0 left s dirs
  # Emptied before the clock starts: removing the last build's corpora
  # can take seconds on a busy machine.
  for t in "${targets[@]}"; do rm -rf "$mut_work/corpus-$t"; mkdir -p "$mut_work/corpus-$t"; done
  start=$(mut_ms)
  if [ $seeds = 1 ]; then
    # Seeds only: corpus/regressions/ may hold open bugs of the real map.
    for t in "${targets[@]}"; do
      if ! run_target "$t" -runs=0 "corpus/$t"; then stop_here && return; fi
    done
  fi
  while :; do
    round=$((round + 1))
    echo "    turn $round ($(mut_secs $(( $(mut_ms) - start ))) s of $budget s)"
    for t in "${targets[@]}"; do
      left=$(( budget * 1000 - ($(mut_ms) - start) ))
      [ $left -gt 0 ] || return 0
      s=$slice
      [ $left -lt $(( s * 1000 )) ] && s=$(( left / 1000 + 1 ))
      dirs=("$mut_work/corpus-$t")
      [ $seeds = 1 ] && dirs+=("corpus/$t")
      if ! run_target "$t" -max_total_time="$s" "${dirs[@]}"; then stop_here && return; fi
    done
  done
}
