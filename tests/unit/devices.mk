# Device model and device tree unit tests (vm/devices/, vm/fdt_board.c).
# Built straight from the device sources (not libvm.a) so they run while the
# rest of the core is in progress; each test runs twice, plain and under
# ASan+UBSan.
#   make test-devices

DEV_TEST_LIB_SRCS := $(sort $(wildcard vm/devices/*.c)) vm/fdt_board.c vm/snapshot.c
DEV_TEST_DEPS := $(DEV_TEST_LIB_SRCS) $(wildcard vm/devices/*.h) vm/fdt_board.h vm/bus.h \
	vm/host.h vm/snapshot.h
DEV_TESTS := $(sort $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_devices*.c)))
DEV_TEST_BINS := $(DEV_TESTS:%=$(BUILD)/tests/devices/%) $(DEV_TESTS:%=$(BUILD)/tests/devices-san/%)
DEV_QEMU_DTB := $(BUILD)/tests/devices/qemu-virt.dtb

$(BUILD)/tests/devices/%: tests/unit/%.c $(DEV_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(OPT) -o $@ $< $(DEV_TEST_LIB_SRCS) -lfdt

$(BUILD)/tests/devices-san/%: tests/unit/%.c $(DEV_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(SAN_FLAGS) -o $@ $< $(DEV_TEST_LIB_SRCS) -lfdt

# QEMU's own virt tree (2 harts, 256 MiB), for the structural comparison.
$(DEV_QEMU_DTB):
	@mkdir -p $(dir $@)
	@if command -v qemu-system-riscv64 >/dev/null; then \
	  qemu-system-riscv64 -machine virt,dumpdtb=$@ -smp 2 -m 256M -nographic >/dev/null 2>&1 || rm -f $@; \
	fi; true

.PHONY: test-devices
test-devices: $(DEV_TEST_BINS) $(DEV_QEMU_DTB)
	@status=0; dtb=$$( [ -s $(DEV_QEMU_DTB) ] && echo $(DEV_QEMU_DTB) ); \
	for t in $(DEV_TEST_BINS); do \
	  echo "--- $$t"; $$t $$dtb || status=1; \
	done; exit $$status

TEST_TARGETS += test-devices
