#!/usr/bin/env bash
# Runs test-mode ELFs and prints one PASS:/FAIL: line each.
#   run.sh vm   PREFIX ELF...   on build/riscv-vm (exit 0 = pass; the VM ends
#                               the run at the write to `tohost`)
#   run.sh qemu PREFIX ELF...   on qemu-system-riscv64 -machine virt, with
#                               the H extension off to match our misa (the ELF
#                               also writes the sifive,test syscon: exit 0 =
#                               pass, exit N = check N failed)
# PREFIX names the checks (isa -> "isa/<name>"). VM overrides the binary;
# VM_ARGS adds riscv-vm flags (--no-jit); JOBS=N runs N at a time. Exit status 1 if any ELF failed.
mode=${1:?usage: run.sh vm|qemu PREFIX ELF...}
prefix=${2:?usage: run.sh vm|qemu PREFIX ELF...}
shift 2
if [ "${JOBS:-1}" -gt 1 ] && [ $# -gt 1 ]; then
    printf '%s\n' "$@" | JOBS=1 xargs -P "$JOBS" -n 1 bash "$0" "$mode" "$prefix"
    [ $? -eq 0 ] && exit 0 || exit 1
fi
vm=${VM:-build/riscv-vm}
qemu=${QEMU:-qemu-system-riscv64}
status=0
for elf in "$@"; do
    name=$(basename "$elf" .elf)
    if [ "$mode" = vm ]; then
        if [ ! -x "$vm" ]; then
            echo "FAIL: $prefix/$name ($vm not built)"
            status=1
            continue
        fi
        out=$(timeout 20 "$vm" $VM_ARGS --kernel "$elf" </dev/null 2>&1)
        rc=$?
    else
        out=$(timeout 20 "$qemu" -machine virt -cpu rv64,h=false -bios none -nographic -m 128M \
            -monitor none -serial stdio -kernel "$elf" </dev/null 2>&1)
        rc=$?
    fi
    if [ $rc -eq 0 ] && ! grep -q 'FAIL' <<<"$out"; then
        echo "PASS: $prefix/$name"
    else
        why=$(grep -m1 -o 'FAIL test.*' <<<"$out" | tr -d '\r')
        [ $rc -eq 124 ] && why="timeout"
        [ -n "$why" ] || why="exit $rc: $(tail -c 200 <<<"$out" | tr '\n\r' '  ')"
        echo "FAIL: $prefix/$name ($why)"
        status=1
    fi
done
exit $status
