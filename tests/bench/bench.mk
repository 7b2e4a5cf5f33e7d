# CPU benchmark: the same bare-metal ELF on riscv-vm and on QEMU TCG.
BENCH_CC := riscv64-unknown-elf-gcc
BENCH_CFLAGS := -O2 -march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -ffreestanding -static \
	-T tests/bench/link.ld -Wl,--no-relax

$(BUILD)/bench/cpubench.elf: tests/bench/cpubench.c tests/bench/start.S tests/bench/link.ld
	@mkdir -p $(dir $@)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ tests/bench/start.S tests/bench/cpubench.c

.PHONY: bench-cpu
bench-cpu: $(BUILD)/riscv-vm $(BUILD)/bench/cpubench.elf
	@bash tests/bench/cpubench.sh $(BUILD)/riscv-vm $(BUILD)/bench/cpubench.elf

BENCH_TARGETS += bench-cpu
