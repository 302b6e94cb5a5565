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
mut_sources=(properties/machine_test.cc reference/run_u64.cc properties/go/go_lockstep_test.cc)

# The property binaries, run one after the other: properties, and
# properties_go (a real Go map beside BucketMap, properties/go/; it needs
# Go 1.19, which scripts/setup installs).
mut_prop_bins=(properties properties_go)
mut_build_targets=("${mut_prop_bins[@]}")
mut_intro="the property binaries (properties, properties_go) are rebuilt and run,
one after the other. Time to kill: from the start of the binary's run to
the end of the first property that kills it (the least over the binaries)."

# mut_prop_bin PROPERTY: the binary that holds a property.
mut_prop_bin() { case "$1" in GoLockstep.*) echo properties_go ;; *) echo properties ;; esac; }

# mut_kind_repro RC_PARAMS PROPERTY: how to rerun a failing property.
mut_kind_repro() { echo "RC_PARAMS=\"$1\" build/release/bin/$(mut_prop_bin "$2") --gtest_filter=$2"; }

# mut_kind_places: every property, for the table of kills per property.
mut_kind_places() {
  local bin
  for bin in "${mut_prop_bins[@]}"; do
    "$mut_build/bin/$bin" --gtest_list_tests | awk '/^[^ ]/ { s = $1 } /^  / { print s $1 }'
  done
}

# mut_kind_run NAME: one build's property runs. Writes $failures (one line
# per failing property: "seconds|property|check|RC_PARAMS", seconds
# counted from the start of its binary's run to the end of that property),
# the quickest kill first.
mut_kind_run() {
  local bin all="$mut_work/failures.all"
  : >"$all"
  for bin in "${mut_prop_bins[@]}"; do
    mut_prop_run "$bin"
    cat "$failures" >>"$all"
  done
  sort -t'|' -k1,1g -s "$all" >"$failures"
}

# mut_prop_run BIN: one binary's run; writes its failures to $failures.
mut_prop_run() {
  local log="$mut_work/$1.log" status
  RC_PARAMS="$rc_params" timeout "$budget" "$mut_build/bin/$1" --gtest_brief=0 >"$log" 2>&1
  status=$?
  awk -v status="$status" -v budget="$budget" -v input="$rc_params" -v bin="$1" '
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
      if (status == 124) printf "%.2f|%s|timeout|%s\n", budget, (cur == "" ? "(the run of " bin ")" : cur), input
      else if (cur != "") printf "%.2f|%s|crashed (exit status %d)|%s\n", ms / 1000, cur, status, input
    }
  ' "$log" | awk '!seen[$0]++' >"$failures"
  # A run that failed without saying which property: the harness is broken.
  if [ "$status" -ne 0 ] && [ ! -s "$failures" ]; then
    echo "0.0|(the run of $1)|exit status $status without a failing property|$rc_params" >"$failures"
  fi
}
