# tests/isa: the project's own ISA tests, one instruction family per file,
# run in test mode (tohost) on build/riscv-vm. `test-isa-qemu` runs the same
# sources on QEMU virt to prove the tests themselves right; they are built a
# second time with -DON_QEMU, which leaves out the few checks where QEMU 7.2
# departs from the spec or legally differs from riscv-vm (each marked in the
# source, listed in tests/isa/README.md).
ISA_CC := riscv64-unknown-elf-gcc
ISA_MARCH := rv64gc_zba_zbb_zbs_zicsr_zifencei_zihintpause
ISA_CFLAGS := -march=$(ISA_MARCH) -mabi=lp64d -nostdlib -nostartfiles -static \
	-mcmodel=medany -Itests/isa -Ttests/isa/link.ld -Wl,--no-relax \
	-Wl,--no-warn-rwx-segments
ISA_SRCS := $(sort $(wildcard tests/isa/*.S))
ISA_GEN := rv64i_alu rv64m zba zbb zbs branch ldst amo \
	fp_s0 fp_s1 fp_s2 fp_s3 fp_d0 fp_d1 fp_d2 fp_d3
ISA_NAMES := $(ISA_SRCS:tests/isa/%.S=%) $(ISA_GEN:%=gen_%)
ISA_ELFS := $(ISA_NAMES:%=$(BUILD)/isa/%.elf)
ISA_QEMU_ELFS := $(ISA_NAMES:%=$(BUILD)/isa-qemu/%.elf)
ISA_DEPS := tests/isa/test.h tests/isa/link.ld

$(BUILD)/isa/%.elf: tests/isa/%.S $(ISA_DEPS)
	@mkdir -p $(dir $@)
	$(ISA_CC) $(ISA_CFLAGS) $< -o $@

$(BUILD)/isa-qemu/%.elf: tests/isa/%.S $(ISA_DEPS)
	@mkdir -p $(dir $@)
	$(ISA_CC) $(ISA_CFLAGS) -DON_QEMU $< -o $@

$(BUILD)/isa/gen/stamp: tests/isa/gen_int.py tests/isa/gen_fp.py
	@mkdir -p $(dir $@)
	python3 tests/isa/gen_int.py $(dir $@) >/dev/null
	python3 tests/isa/gen_fp.py $(dir $@) >/dev/null
	@touch $@

$(BUILD)/isa/gen/gen_%.S: $(BUILD)/isa/gen/stamp
	@true

$(BUILD)/isa/gen_%.elf: $(BUILD)/isa/gen/gen_%.S $(ISA_DEPS)
	$(ISA_CC) $(ISA_CFLAGS) $< -o $@

$(BUILD)/isa-qemu/gen_%.elf: $(BUILD)/isa/gen/gen_%.S $(ISA_DEPS)
	@mkdir -p $(dir $@)
	$(ISA_CC) $(ISA_CFLAGS) -DON_QEMU $< -o $@

.PRECIOUS: $(BUILD)/isa/gen/gen_%.S
.PHONY: isa-elfs test-isa test-isa-interp test-isa-san test-isa-qemu test-riscv-tests
isa-elfs: $(ISA_ELFS) $(ISA_QEMU_ELFS)

test-isa: $(ISA_ELFS)
	@$(MAKE) --no-print-directory $(BUILD)/riscv-vm >/dev/null 2>&1 || true
	@JOBS=2 bash tests/isa/run.sh vm isa $(ISA_ELFS)

# the same on the interpreter alone (the wasm build has no translator)
test-isa-interp: $(ISA_ELFS)
	@$(MAKE) --no-print-directory $(BUILD)/riscv-vm >/dev/null 2>&1 || true
	@JOBS=2 VM_ARGS=--no-jit bash tests/isa/run.sh vm isa-interp $(ISA_ELFS)

# the same on the ASan+UBSan build: a guest must never crash the host
test-isa-san: $(ISA_ELFS)
	@$(MAKE) --no-print-directory $(BUILD)/san/riscv-vm >/dev/null 2>&1 || true
	@JOBS=2 VM=$(BUILD)/san/riscv-vm bash tests/isa/run.sh vm isa-san $(ISA_ELFS)

test-isa-qemu: $(ISA_QEMU_ELFS)
	@JOBS=2 bash tests/isa/run.sh qemu isa-qemu $(ISA_QEMU_ELFS)

# Public riscv-tests ELFs built outside the repository (never committed):
# RISCV_TESTS_DIR points at their isa/ folder.
RISCV_TESTS_GLOBS := rv64ui-p-* rv64um-p-* rv64ua-p-* rv64uf-p-* rv64ud-p-* \
	rv64uc-p-* rv64uzba-p-* rv64uzbb-p-* rv64uzbs-p-* rv64si-p-* rv64mi-p-* \
	rv64ui-v-* rv64um-v-* rv64ua-v-* rv64uf-v-* rv64ud-v-* rv64uc-v-*
test-riscv-tests:
	@if [ -z "$(RISCV_TESTS_DIR)" ]; then \
	  echo "SKIP: riscv-tests (RISCV_TESTS_DIR unset)"; \
	else \
	  $(MAKE) --no-print-directory $(BUILD)/riscv-vm >/dev/null 2>&1 || true; \
	  elfs=$$(cd "$(RISCV_TESTS_DIR)" && ls $(RISCV_TESTS_GLOBS) 2>/dev/null | grep -v '\.dump$$'); \
	  JOBS=2 bash tests/isa/run.sh vm riscv-tests $$(for e in $$elfs; do echo "$(RISCV_TESTS_DIR)/$$e"; done); \
	fi

TEST_TARGETS += test-isa test-isa-interp test-isa-san test-isa-qemu test-riscv-tests
