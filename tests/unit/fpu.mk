# tests/unit/fpu.mk: vm/cpu/fpu.c against the host's x86-64 floating point.
# Three builds of the same test: normal flags; the portable 64x64->128
# multiply (RV_FPU_PORTABLE, the path wasm and targets without __int128
# use) with the RNE host fast path off (RV_FPU_NO_HOST_FP), so the integer
# code is checked in RNE as well; and ASan+UBSan. The argument is random
# operations per family and rounding mode; the second labels PASS lines.
FPU_TEST_CFLAGS := $(CORE_CFLAGS) -frounding-math -fno-fast-math
FPU_TEST_DEPS := tests/unit/test_fpu.c vm/cpu/fpu.c vm/cpu/fpu.h

$(BUILD)/tests/test_fpu: $(FPU_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(FPU_TEST_CFLAGS) $(OPT) -o $@ tests/unit/test_fpu.c vm/cpu/fpu.c -lm

$(BUILD)/tests/test_fpu-portable: $(FPU_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(FPU_TEST_CFLAGS) $(OPT) -DRV_FPU_PORTABLE -DRV_FPU_NO_HOST_FP -o $@ tests/unit/test_fpu.c vm/cpu/fpu.c -lm

$(BUILD)/tests/test_fpu-san: $(FPU_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(FPU_TEST_CFLAGS) $(SAN_FLAGS) -o $@ tests/unit/test_fpu.c vm/cpu/fpu.c -lm

.PHONY: test-fpu bench-fpu
test-fpu: $(BUILD)/tests/test_fpu $(BUILD)/tests/test_fpu-portable $(BUILD)/tests/test_fpu-san
	@status=0; \
	$(BUILD)/tests/test_fpu 500000 || status=1; \
	$(BUILD)/tests/test_fpu-portable 200000 portable || status=1; \
	$(BUILD)/tests/test_fpu-san 50000 san || status=1; \
	exit $$status

bench-fpu: $(BUILD)/tests/test_fpu
	@$(BUILD)/tests/test_fpu --bench

TEST_TARGETS += test-fpu
BENCH_TARGETS += bench-fpu
