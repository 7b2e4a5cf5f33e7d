#!/usr/bin/env bash
# Counts the PASS:/FAIL:/SKIP: lines every test prints and closes the run
# with the one line CI reads. Exit status 1 when anything failed or nothing ran.
log=${1:?usage: summary.sh LOG}
pass=$(grep -c '^PASS: ' "$log" || true)
fail=$(grep -c '^FAIL: ' "$log" || true)
skip=$(grep -c '^SKIP: ' "$log" || true)
if [ "$fail" -gt 0 ]; then
  echo "Failures:"
  grep '^FAIL: ' "$log" | sed 's/^/  /'
fi
if [ "$skip" -gt 0 ]; then
  echo "Skipped:"
  grep '^SKIP: ' "$log" | sed 's/^/  /'
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
