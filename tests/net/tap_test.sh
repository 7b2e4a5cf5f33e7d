#!/usr/bin/env bash
# --net-tap inside a network namespace made for the test, so nothing touches
# the host's interfaces. Skips with a message when namespaces or TAP are not
# allowed here.
t=${1:?usage: tap_test.sh NETBACK_TEST}
if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
  echo "SKIP: --net-tap (unshare or ip missing)"; exit 0
fi
if ! unshare -n true 2>/dev/null; then
  echo "SKIP: --net-tap (no privilege to create a network namespace)"; exit 0
fi
exec timeout 60 unshare -n "$t" tap
