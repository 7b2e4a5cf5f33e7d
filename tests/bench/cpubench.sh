#!/usr/bin/env bash
# Runs the CPU benchmark on riscv-vm and on QEMU TCG and prints the figures
# side by side: instructions, wall time, MIPS, ratio. Figures only: no
# assertion on time (shared, noisy machines); the checksums must agree.
set -u
vm=${1:?riscv-vm binary}
elf=${2:?benchmark ELF}
runs=${RUNS:-3}
best() { sort -n | head -1; }
t_vm=(); t_q=()
out_vm=""; out_q=""; insns=""
for i in $(seq "$runs"); do
  s=$(date +%s.%N)
  out_vm=$("$vm" --stats --kernel "$elf" </dev/null 2>/tmp/cpubench.stats.$$)
  e=$(date +%s.%N)
  t_vm+=("$(echo "$e - $s" | bc -l)")
  insns=$(sed -n 's/.*instructions: \([0-9]*\).*/\1/p' /tmp/cpubench.stats.$$)
  if command -v qemu-system-riscv64 >/dev/null; then
    s=$(date +%s.%N)
    out_q=$(timeout 300 qemu-system-riscv64 -machine virt -bios none -nographic -m 256M \
      -monitor none -serial stdio -kernel "$elf" </dev/null 2>/dev/null)
    e=$(date +%s.%N)
    t_q+=("$(echo "$e - $s" | bc -l)")
  fi
done
rm -f /tmp/cpubench.stats.$$
bv=$(printf '%s\n' "${t_vm[@]}" | best)
echo "cpubench (best of $runs runs)"
echo "  riscv-vm: $(echo "$out_vm" | tr -d '\r' | grep checksum)"
printf '  riscv-vm: %s instructions, %.3f s, %.0f MIPS\n' "$insns" "$bv" "$(echo "$insns / $bv / 1000000" | bc -l)"
if [ ${#t_q[@]} -gt 0 ]; then
  bq=$(printf '%s\n' "${t_q[@]}" | best)
  echo "  qemu:     $(echo "$out_q" | tr -d '\r' | grep checksum)"
  printf '  qemu:     %.3f s (same program; %.0f MIPS at the same instruction count)\n' "$bq" "$(echo "$insns / $bq / 1000000" | bc -l)"
  printf '  wall-time ratio riscv-vm/qemu: %.2f\n' "$(echo "$bv / $bq" | bc -l)"
  a=$(echo "$out_vm" | grep -o 'checksum [0-9a-f]*'); b=$(echo "$out_q" | grep -o 'checksum [0-9a-f]*')
  [ "$a" = "$b" ] || { echo "  checksums differ: riscv-vm '$a' qemu '$b'"; exit 1; }
fi
