# shellcheck shell=bash
# scripts/lib/mutants-concurrency.sh: the concurrency kind of scripts/mutants.
# Two hunters run on each build of mutants/concurrency-*: first the
# controlled scheduler and the reclamation torture (ctest -L schedule in
# the asan preset: concurrent-schedule's bounded and random exploration,
# AddressSanitizer watching), then the concurrent tests under
# ThreadSanitizer (ctest -L concurrent, tsan preset). A scheduler kill is
# reported with its check and the length of the failing schedule, and its
# time is the failing test's own.
# Sourced by scripts/mutants; sets the kind's facts and its mut_kind_* hooks.

: "${budget:=900}"
mut_preset=tsan
mut_build=build/tsan
mut_place=test
mut_results_kind=concurrency
mut_title="Planted concurrency bugs and the concurrent tests"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
mut_budget_text="ctest -L schedule in the asan preset (the controlled scheduler and the reclamation torture), then ctest -L concurrent -j $th_jobs in the tsan preset (each test with its own CTest TIMEOUT), at most ${budget} s per run, the same for the control, the null mutant and each planted bug; TSAN_OPTIONS=\"$TSAN_OPTIONS\""
mut_sched_build=build/asan
mut_sched_targets=(concurrent-schedule concurrent_torture_tests)
mut_sources=(tests/concurrent/stress_test.cc)

mut_build_targets=(concurrent)
mut_intro="the scheduler's tests are rebuilt under AddressSanitizer and run, then
the concurrent tests under ThreadSanitizer. Time to kill: the failing
scheduler test's own time, else the whole ThreadSanitizer ctest run. A
scheduler kill names its check and the failing schedule's length in steps."

# mut_kind_repro LOG TEST: how to rerun a failing test (LOG: the run's log).
mut_kind_repro() {
  case "$2" in
    schedule_*|torture.*) echo "ctest --test-dir $mut_sched_build -R '^$2\$' --output-on-failure (the run's log: $1)" ;;
    *) echo "ctest --test-dir build/tsan -R '^$2\$' --output-on-failure (the run's log: $1)" ;;
  esac
}

# mut_kind_evidence NAME: the first ThreadSanitizer or checker lines of a kill.
mut_kind_evidence() {
  echo "    first evidence:"
  cat "$mut_work/$1.sched.log" "$mut_work/$1.log" 2>/dev/null |
    grep -m4 -E 'schedule check failed|ERROR: AddressSanitizer|^schedule: |WARNING: ThreadSanitizer|not linearizable|Failure|broke Go' |
    cut -c1-200 | sed 's/^/      /'
}

# mut_ctest_failures MODE LOG TOOK STATUS KEPT: one line per failing test of
# a ctest log, "seconds|test|check|KEPT". MODE sched (the asan scheduler
# run: seconds are the test's own; the check is the scheduler's or ASan's,
# with the failing schedule's length) or tsan (seconds: TOOK, the whole
# run; the check is ThreadSanitizer's or the checkers').
mut_ctest_failures() {
  awk -v mode="$1" -v took="$3" -v status="$4" -v kept="$5" '
    function flush() {
      if (cur != "") {
        if (mode == "sched") {
          # "scheduler: CHECK" for the checks of the scheduler; the finding of a
          # sanitizer under the scheduler is named in the words of the sanitizer.
          check = sched != "" ? sched : asan != "" ? asan : lin != "" ? lin : gt != "" ? gt : ctest_status
          if (asan != "" && sched ~ /sanitizer/) check = "scheduler: " asan
          if (steps != "") check = check " (schedule of " steps " steps)"
        } else {
          check = tsan != "" ? tsan : lin != "" ? lin : go != "" ? go : gt != "" ? gt : ctest_status
        }
        gsub(/\|/, "/", check)
        printf "%s|%s|%s|%s\n", mode == "sched" ? secs : took, cur, check, kept
      }
      cur = sched = asan = tsan = lin = go = gt = steps = ""
    }
    # "12/30 Test #12: Name ......***Failed    1.23 sec": a result line.
    /^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / {
      flush()
      if ($0 ~ /\*\*\*/) {
        cur = $4
        secs = $0; sub(/ sec$/, "", secs); sub(/.* /, "", secs)
        ctest_status = $0
        sub(/ +[0-9.]+ sec$/, "", ctest_status); sub(/.*\.\.+ */, "", ctest_status)
        gsub(/\*/, "", ctest_status)
        ctest_status = "ctest: " ctest_status
      }
      next
    }
    /^The following tests FAILED:/ || /tests passed, [0-9]+ tests failed/ { flush(); next }
    cur == "" { next }
    sched == "" && /^schedule check failed: / { sched = $0; sub(/^schedule check failed: /, "scheduler: ", sched) }
    asan == "" && /: runtime error: / { asan = $0; sub(/.*: runtime error: /, "", asan); sub(/ of type .*/, "", asan); asan = "UndefinedBehaviorSanitizer: " asan }
    asan == "" && /ERROR: AddressSanitizer: / { asan = $0; sub(/.*ERROR: /, "", asan); sub(/ on .*| \(pid=.*/, "", asan) }
    steps == "" && /^steps \([0-9]+\)/ { steps = $0; sub(/^steps \(/, "", steps); sub(/\).*/, "", steps) }
    tsan == "" && /WARNING: ThreadSanitizer: / { tsan = $0; sub(/.*WARNING: /, "", tsan); sub(/ \(pid=.*/, "", tsan) }
    tsan == "" && /ERROR: ThreadSanitizer: / { tsan = $0; sub(/.*ERROR: /, "", tsan); sub(/ on .*| \(pid=.*/, "", tsan) }
    lin == "" && /: not linearizable/ { lin = "not linearizable" }
    go == "" && /broke Go.s contract/ { go = "Range broke Go contract" }
    gt == "" && /: Failure$/ { gt = "gtest failure" }
    END {
      flush()
      if (mode == "tsan" && status == 124) printf "%s|(the run)|timeout|%s\n", took, kept
    }
  ' "$2" | awk '!seen[$0]++'
}

# mut_sched_run NAME: the asan build's scheduler tests; appends to $failures
# one line per failing test, "seconds|test|check (schedule of N steps)|log".
mut_sched_run() {
  local log="$mut_work/$1.sched.log" status kept=""
  if [ ! -f "$mut_sched_build/build.ninja" ]; then th_configure asan "$mut_sched_build"; fi
  if ! th_build "$mut_sched_build" "${mut_sched_targets[@]}" >"$mut_work/$1.sched-build.log" 2>&1; then
    echo "0|(the asan build)|does not build|" >>"$failures"
    echo "    asan build: FAILED (log: $mut_work/$1.sched-build.log)"
    return
  fi
  timeout "$budget" ctest --test-dir "$mut_sched_build" -L schedule -j "$th_jobs" --output-on-failure >"$log" 2>&1
  status=$?
  if [ "$status" -ne 0 ] && { [ "$1" = control ] || [ "$1" = "$mut_null" ]; }; then
    kept="$(mut_inputs_dir)/$1-schedule.log"
    cp "$log" "$mut_root/$kept"
  fi
  mut_ctest_failures sched "$log" "" "$status" "$kept" >>"$failures"
  if [ "$status" -eq 124 ]; then echo "$budget|(the schedule run)|timeout|$kept" >>"$failures"; fi
  echo "    asan ctest -L schedule: $(grep -m1 -E 'tests passed' "$log" || echo "no summary (exit status $status)")"
}

# mut_kind_run NAME: one build's ctest run (log in $mut_work/NAME.log).
# Writes $failures: one line per failing test, "seconds|test|kind|log"
# (seconds: the whole run's; log: where the run's log is kept, for the
# control and the null mutant).
mut_kind_run() {
  local log="$mut_work/$1.log" t0 status took kept=""
  : >"$failures"
  mut_sched_run "$1"
  local before
  before=$(wc -l <"$failures")
  t0=$(mut_ms)
  timeout "$budget" ctest --test-dir "$mut_build" -L concurrent -j "$th_jobs" --output-on-failure >"$log" 2>&1
  status=$?
  took=$(mut_secs $(( $(mut_ms) - t0 )))
  if [ "$status" -ne 0 ] && { [ "$1" = control ] || [ "$1" = "$mut_null" ]; }; then
    kept="$(mut_inputs_dir)/$1-ctest.log"
    cp "$log" "$mut_root/$kept"
  fi
  mut_ctest_failures tsan "$log" "$took" "$status" "$kept" >>"$failures"
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ "$(wc -l <"$failures")" -eq "$before" ]; then
    echo "$took|(the run)|ctest exit status $status without a failing test|$kept" >>"$failures"
  fi
  echo "    ctest: $(grep -m1 -E 'tests passed' "$log" || echo "no summary (exit status $status)") ($took s)"
}
