# shellcheck shell=bash
# scripts/lib/mutants-concurrency.sh: the concurrency kind of scripts/mutants
# (the concurrent tests under ThreadSanitizer hunt mutants/concurrency-*).
# Sourced by scripts/mutants; sets the kind's facts and its mut_kind_* hooks.

: "${budget:=900}"
mut_preset=tsan
mut_build=build/tsan
mut_place=test
mut_results_kind=concurrency
mut_title="Planted concurrency bugs and the concurrent tests"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
mut_budget_text="ctest -L concurrent -j $th_jobs (each test with its own CTest TIMEOUT), at most ${budget} s per run, the same for the control, the null mutant and each planted bug; TSAN_OPTIONS=\"$TSAN_OPTIONS\" (tsan preset)"
mut_sources=(tests/concurrent/stress_test.cc)

mut_build_targets=(concurrent)
mut_intro="the concurrent tests are rebuilt under ThreadSanitizer and run. Time to
kill: the whole ctest run."

# mut_kind_repro LOG TEST: how to rerun a failing test (LOG: the run's log).
mut_kind_repro() { echo "ctest --test-dir build/tsan -R '^$2\$' --output-on-failure (the run's log: $1)"; }

# mut_kind_evidence NAME: the first ThreadSanitizer or checker lines of a kill.
mut_kind_evidence() {
  echo "    first evidence:"
  grep -m3 -E 'WARNING: ThreadSanitizer|not linearizable|Failure|broke Go' "$mut_work/$1.log" | sed 's/^/      /'
}

# mut_kind_run NAME: one build's ctest run (log in $mut_work/NAME.log).
# Writes $failures: one line per failing test, "seconds|test|kind|log"
# (seconds: the whole run's; log: where the run's log is kept, for the
# control and the null mutant).
mut_kind_run() {
  local log="$mut_work/$1.log" t0 status took kept=""
  t0=$(mut_ms)
  timeout "$budget" ctest --test-dir "$mut_build" -L concurrent -j "$th_jobs" --output-on-failure >"$log" 2>&1
  status=$?
  took=$(mut_secs $(( $(mut_ms) - t0 )))
  if [ "$status" -ne 0 ] && { [ "$1" = control ] || [ "$1" = "$mut_null" ]; }; then
    kept="$(mut_inputs_dir)/$1-ctest.log"
    cp "$log" "$mut_root/$kept"
  fi
  awk -v took="$took" -v status="$status" -v kept="$kept" '
    function flush() {
      if (cur != "") {
        kind = tsan != "" ? tsan : lin != "" ? lin : go != "" ? go : gt != "" ? gt : ctest_status
        gsub(/\|/, "/", kind)
        printf "%s|%s|%s|%s\n", took, cur, kind, kept
      }
      cur = tsan = lin = go = gt = ""
    }
    # "12/30 Test #12: Name ......***Failed    1.23 sec": a result line.
    /^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / {
      flush()
      if ($0 ~ /\*\*\*/) {
        cur = $4
        ctest_status = $0
        sub(/ +[0-9.]+ sec$/, "", ctest_status); sub(/.*\.\.+ */, "", ctest_status)
        gsub(/\*/, "", ctest_status)
        ctest_status = "ctest: " ctest_status
      }
      next
    }
    /^The following tests FAILED:/ || /tests passed, [0-9]+ tests failed/ { flush(); next }
    cur == "" { next }
    tsan == "" && /WARNING: ThreadSanitizer: / { tsan = $0; sub(/.*WARNING: /, "", tsan); sub(/ \(pid=.*/, "", tsan) }
    tsan == "" && /ERROR: ThreadSanitizer: / { tsan = $0; sub(/.*ERROR: /, "", tsan); sub(/ on .*| \(pid=.*/, "", tsan) }
    lin == "" && /: not linearizable/ { lin = "not linearizable" }
    go == "" && /broke Go.s contract/ { go = "Range broke Go contract" }
    gt == "" && /: Failure$/ { gt = "gtest failure" }
    END {
      flush()
      if (status == 124) printf "%s|(the run)|timeout|%s\n", took, kept
    }
  ' "$log" | awk '!seen[$0]++' >"$failures"
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ ! -s "$failures" ]; then
    echo "$took|(the run)|ctest exit status $status without a failing test|$kept" >"$failures"
  fi
  echo "    ctest: $(grep -m1 -E 'tests passed' "$log" || echo "no summary (exit status $status)") ($took s)"
}
