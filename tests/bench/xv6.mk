# xv6-riscv benchmark: boot-to-prompt and `usertests -q` wall time on
# riscv-vm and QEMU side by side, when XV6_DIR names a built xv6-riscv tree.
.PHONY: bench-xv6
bench-xv6:
	@$(MAKE) --no-print-directory $(BUILD)/riscv-vm
	@BUILD=$(BUILD) bash tests/bench/xv6-bench.sh

BENCH_TARGETS += bench-xv6
