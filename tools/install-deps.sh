#!/usr/bin/env bash
# Installs what the project needs on a Debian 12 machine; quick when done.
# Each part lists its Debian packages in tools/deps/<part>.apt (one a line).
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(cat tools/deps/*.apt | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u | grep -v '^$')
missing=()
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
