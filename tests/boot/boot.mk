# Bare-metal boot tests: kernels written here for each device of the virt
# board, run on build/riscv-vm (VM=qemu: on qemu-system-riscv64) by
# tests/boot/run-baremetal.sh; xv6-riscv when XV6_DIR names a built tree.

BOOT_SRC := tests/boot
BOOT_OUT := $(BUILD)/boot
BM_CROSS ?= riscv64-unknown-elf-
BM_CC := $(BM_CROSS)gcc
BM_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g -march=rv64gc -mabi=lp64d -mcmodel=medany \
	-ffreestanding -fno-builtin -fno-common -fno-pic -nostdlib -nostartfiles -static \
	-T $(BOOT_SRC)/link.ld -Wl,--no-warn-rwx-segments

# M-mode kernels, entered at 0x80000000 with --kernel alone.
BM_M_KERNELS := uart uartloop clint sstc plic vblk vblkbad syscon smp rtc spin
# S-mode kernels, started by OpenSBI fw_jump at 0x80200000.
BM_S_KERNELS := sbi
# ELF files the CLI must refuse (exit status 2): built from one assembly
# file, placed where no RAM is or larger than RAM.
BM_BAD := bad-below-ram bad-above-ram bad-huge

BM_ELFS := $(BM_M_KERNELS:%=$(BOOT_OUT)/%.elf) $(BM_S_KERNELS:%=$(BOOT_OUT)/%.elf) \
	$(BM_BAD:%=$(BOOT_OUT)/%.elf)
BM_COMMON := $(BOOT_SRC)/crt0.S $(BOOT_SRC)/bm.c $(BOOT_SRC)/vio.c
BM_DEPS := $(BM_COMMON) $(BOOT_SRC)/bm.h $(BOOT_SRC)/vio.h $(BOOT_SRC)/link.ld $(BOOT_SRC)/boot.mk

$(BM_M_KERNELS:%=$(BOOT_OUT)/%.elf): $(BOOT_OUT)/%.elf: $(BOOT_SRC)/%.c $(BM_DEPS)
	@mkdir -p $(dir $@)
	@echo "  BM      $@"
	@$(BM_CC) $(BM_CFLAGS) -o $@ $(BM_COMMON) $<

$(BM_S_KERNELS:%=$(BOOT_OUT)/%.elf): $(BOOT_OUT)/%.elf: $(BOOT_SRC)/%.c $(BM_DEPS)
	@mkdir -p $(dir $@)
	@echo "  BM      $@"
	@$(BM_CC) $(BM_CFLAGS) -DSMODE -Wl,--defsym=__load_base=0x80200000 -o $@ $(BM_COMMON) $<

$(BOOT_OUT)/bad-below-ram.elf: BM_BAD_BASE := 0x70000000
$(BOOT_OUT)/bad-above-ram.elf: BM_BAD_BASE := 0x90000000
$(BOOT_OUT)/bad-huge.elf: BM_BAD_BASE := 0x80000000
$(BOOT_OUT)/bad-huge.elf: BM_BAD_FLAGS := -DHUGE_BSS
$(BM_BAD:%=$(BOOT_OUT)/%.elf): $(BOOT_OUT)/%.elf: $(BOOT_SRC)/bad.S $(BOOT_SRC)/link.ld $(BOOT_SRC)/boot.mk
	@mkdir -p $(dir $@)
	@echo "  BM      $@"
	@$(BM_CC) -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static $(BM_BAD_FLAGS) \
		-T $(BOOT_SRC)/link.ld -Wl,--defsym=__load_base=$(BM_BAD_BASE) \
		-Wl,--no-warn-rwx-segments -o $@ $<

.PHONY: boot-kernels test-boot
boot-kernels: $(BM_ELFS)

# The VM is a required part: the harness prints FAIL lines when it is
# missing, so a failed CLI build must not stop the run here.
test-boot: boot-kernels
	@$(MAKE) --no-print-directory $(BUILD)/riscv-vm >$(BOOT_OUT)/riscv-vm-build.log 2>&1 \
		|| echo "riscv-vm did not build: see $(BOOT_OUT)/riscv-vm-build.log"
	@status=0; \
	BUILD=$(BUILD) bash $(BOOT_SRC)/run-baremetal.sh || status=1; \
	BUILD=$(BUILD) bash $(BOOT_SRC)/xv6.sh || status=1; \
	exit $$status

TEST_TARGETS += test-boot
