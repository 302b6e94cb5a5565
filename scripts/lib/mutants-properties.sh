# shellcheck shell=bash
# scripts/lib/mutants-properties.sh: the properties kind of scripts/mutants
# (the RapidCheck properties hunt the map's planted bugs). Sourced by
# scripts/mutants; sets the kind's facts and its mut_kind_* hooks.

: "${budget:=600}" "${cases:=300}"
mut_preset=release
mut_build=build/prop
mut_place=property
mut_results_kind=properties
mut_title="Planted bugs and the RapidCheck properties"
rc_params="max_success=$cases seed=7"
mut_budget_text="RC_PARAMS=\"$rc_params\" for every property, the same for the control, the null mutant and each planted bug; at most ${budget} s per property run (release preset)"
mut_sources=(properties/machine_test.cc reference/run_u64.cc)

mut_build_targets=(properties)
mut_intro="the properties are rebuilt and run. Time to kill: from the start of the
property run to the end of the first property that kills it."

# mut_kind_repro RC_PARAMS PROPERTY: how to rerun a failing property.
mut_kind_repro() { echo "RC_PARAMS=\"$1\" build/release/bin/properties --gtest_filter=$2"; }

# mut_kind_places: every property, for the table of kills per property.
mut_kind_places() {
  "$mut_build/bin/properties" --gtest_list_tests | awk '/^[^ ]/ { s = $1 } /^  / { print s $1 }'
}

# mut_kind_run NAME: one build's property run. Writes $failures (one line
# per failing property: "seconds|property|check|RC_PARAMS", seconds
# counted from the start of the run to the end of that property).
mut_kind_run() {
  local log="$mut_work/properties.log" status
  RC_PARAMS="$rc_params" timeout "$budget" "$mut_build/bin/properties" --gtest_brief=0 >"$log" 2>&1
  status=$?
  awk -v status="$status" -v budget="$budget" -v input="$rc_params" '
    function took(   t) { t = $(NF - 1); gsub(/[^0-9]/, "", t); ms += t }
    # The check: the check name of the lockstep checker, else the failed
    # RapidCheck assertion, else the first line of the failure.
    /^\[ RUN      \] / { cur = $4; checked = assertion = first = ""; next }
    cur != "" && checked == "" && /^check failed: / { checked = substr($0, 15); next }
    cur != "" && assertion == "" && /^RC_[A-Z_]+\(/ { assertion = $0; next }
    cur != "" && first == "" && /: Failure$/ { getline; first = $0; next }
    /^\[       OK \] / { took(); cur = ""; next }
    /^\[  FAILED  \] [A-Za-z0-9_.\/]+ \([0-9]+ ms\)/ {
      took()
      check = checked != "" ? checked : assertion != "" ? assertion : first != "" ? first : "failed"
      gsub(/\|/, "/", check)
      printf "%.2f|%s|%s|%s\n", ms / 1000, $4, check, input
      cur = ""; next
    }
    END {
      if (status == 124) printf "%.2f|%s|timeout|%s\n", budget, (cur == "" ? "(the run)" : cur), input
      else if (cur != "") printf "%.2f|%s|crashed (exit status %d)|%s\n", ms / 1000, cur, status, input
    }
  ' "$log" | awk '!seen[$0]++' >"$failures"
  # A run that failed without saying which property: the harness is broken.
  if [ "$status" -ne 0 ] && [ ! -s "$failures" ]; then
    echo "0.0|(the run)|exit status $status without a failing property|$rc_params" >"$failures"
  fi
}
