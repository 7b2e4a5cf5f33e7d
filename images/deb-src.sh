#!/usr/bin/env bash
# Makes Debian source packages reachable (`apt-get source`): adds deb-src
# entries for the same archives, suites and components as the machine's deb
# entries, in a file of our own, then refreshes the index. Idempotent.
set -euo pipefail
list=/etc/apt/sources.list.d/riscv-vm-src.sources
if apt-cache showsrc busybox 2>/dev/null | grep -q '^Package: busybox'; then
    exit 0
fi
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
tmp=$(mktemp)
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # deb822: copy each stanza whose Types include deb, as deb-src.
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /(^|\n)Types:[^\n]*(^| )deb( |\n|$)/ {
             gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' \
        /etc/apt/sources.list.d/debian.sources >"$tmp"
elif [ -f /etc/apt/sources.list ]; then
    # one-line format: turn each "deb" line into the same deb-src line, as a
    # deb822 stanza so the file name stays one.
    awk '$1 == "deb" { opts = ""; i = 2
           if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
           printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i+1)
           for (j = i + 2; j <= NF; j++) printf " %s", $j
           printf "\n\n" }' /etc/apt/sources.list >"$tmp"
fi
[ -s "$tmp" ] || { rm -f "$tmp"; echo "deb-src.sh: no deb entries found to mirror" >&2; exit 1; }
echo "images: adding deb-src entries in $list" >&2
$SUDO install -m 644 "$tmp" "$list"
rm -f "$tmp"
$SUDO apt-get update -qq
