# libFuzzer targets for the hart (vm/cpu/): the decoder, the Sv39/Sv48
# walker against a reference walk, and whole-hart execution of random
# bytes. make test runs each for CPU_FUZZ_SECONDS (default 15) from a
# corpus kept under build/fuzz/cpu/ (seeded with the assembled decoder
# tables when the cross assembler is there).
#   make test-fuzz-cpu                      (all three)
#   make fuzz-cpu-exec CPU_FUZZ_SECONDS=600 (one, longer)

FUZZ_CC ?= clang
CPU_FUZZ_SECONDS ?= 15
CPU_FUZZ_DIR := $(BUILD)/fuzz/cpu
CPU_FUZZ_SRCS := $(sort $(wildcard vm/cpu/*.c)) vm/snapshot.c
CPU_FUZZ_DEPS := $(CPU_FUZZ_SRCS) $(wildcard vm/cpu/*.h) vm/snapshot.h
CPU_FUZZERS := decode mmu exec

$(CPU_FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(CPU_FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CORE_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -o $@ $< $(CPU_FUZZ_SRCS) -lm

# fuzz_mmu seeds: a valid 3-level (4-level) walk to a 4 KiB leaf, then a
# load, a store and a fetch through it (layout in tests/fuzz/fuzz_mmu.c).
CPU_FUZZ_MMU_W := \x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01
CPU_FUZZ_MMU_T := \x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00
CPU_FUZZ_MMU_SV39 := \x01\x00\x00\x00\x00\x03$(CPU_FUZZ_MMU_W)\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02\x02\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x03$(CPU_FUZZ_MMU_T)
CPU_FUZZ_MMU_SV48 := \x02\x00\x00\x00\x00\x04$(CPU_FUZZ_MMU_W)\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x04$(CPU_FUZZ_MMU_T)

# Seed writer for fuzz_exec (self-modifying loops), a plain build.
$(CPU_FUZZ_DIR)/fuzz_exec_seed: tests/fuzz/fuzz_exec.c $(CPU_FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -DFUZZ_SEED_MAIN -o $@ $< $(CPU_FUZZ_SRCS) -lm

.PHONY: test-fuzz-cpu $(CPU_FUZZERS:%=fuzz-cpu-%)
test-fuzz-cpu:
	@status=0; for f in $(CPU_FUZZERS); do \
	  $(MAKE) --no-print-directory fuzz-cpu-$$f || status=1; done; exit $$status

# One fuzzer: build, seed, run bounded, one PASS/FAIL line.
$(CPU_FUZZERS:%=fuzz-cpu-%): fuzz-cpu-%:
	@name=fuzz.cpu_$*; mkdir -p $(CPU_FUZZ_DIR); \
	if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  echo "SKIP: $$name ($(FUZZ_CC) not installed)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(CPU_DECODE_TABLES) >/dev/null 2>&1 || true; \
	$(MAKE) --no-print-directory $(CPU_FUZZ_DIR)/fuzz_$* >$(CPU_FUZZ_DIR)-build-$*.log 2>&1 || \
	  { echo "FAIL: $$name (build; see $(CPU_FUZZ_DIR)-build-$*.log)"; exit 1; }; \
	corpus=$(CPU_FUZZ_DIR)/corpus-$*; mkdir -p $$corpus; \
	if [ $* != mmu ] && [ -s $(BUILD)/tests/cpu/decode_table.bin ]; then \
	  { head -c 32 /dev/zero; cat $(BUILD)/tests/cpu/decode_table.bin; } >$$corpus/seed-table; \
	  { printf '\001\000\000\000\000\000\000\000\000\000\000\103\000\000\000\001'; \
	    head -c 16 /dev/zero; cat $(BUILD)/tests/cpu/rvc16.bin; } >$$corpus/seed-rvc; fi; \
	if [ $* = exec ]; then \
	  $(MAKE) --no-print-directory $(CPU_FUZZ_DIR)/fuzz_exec_seed >/dev/null && \
	  $(CPU_FUZZ_DIR)/fuzz_exec_seed $$corpus || { echo "FAIL: $$name (seeds)"; exit 1; }; fi; \
	if [ $* = mmu ]; then \
	  printf '$(CPU_FUZZ_MMU_SV39)' >$$corpus/seed-sv39; \
	  printf '$(CPU_FUZZ_MMU_SV48)' >$$corpus/seed-sv48; fi; \
	log=$(CPU_FUZZ_DIR)/fuzz_$*.log; \
	if $(CPU_FUZZ_DIR)/fuzz_$* -max_total_time=$(CPU_FUZZ_SECONDS) -timeout=10 \
	     -rss_limit_mb=2048 -artifact_prefix=$(CPU_FUZZ_DIR)/$*- -print_final_stats=1 \
	     $$corpus >$$log 2>&1; then \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	  echo "PASS: $$name ($$runs runs in $(CPU_FUZZ_SECONDS) s, no crash)"; \
	else \
	  echo "FAIL: $$name (crash; see $$log and $(CPU_FUZZ_DIR)/$*-crash-*)"; \
	  grep -m8 -E '^fuzz_|^x[0-9]|^f[0-9]|^csr|^pc |^first RAM|ERROR|SUMMARY|runtime error' $$log; exit 1; \
	fi

TEST_TARGETS += test-fuzz-cpu
