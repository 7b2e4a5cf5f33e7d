# Unit tests for the hart (vm/cpu/): decoder, MMU, PMP, traps and
# self-modifying code, on a hand-built bus without the board. Each test is
# linked twice, against libvm.a and libvm-san.a (ASan+UBSan), and both run.
# The decoder tables are assembled by the cross assembler; without it the
# table checks print SKIP.
#   make test-cpu-unit

CPU_UNIT_DIR := $(BUILD)/tests/cpu
CPU_UNIT_TESTS := test_decode test_mmu test_pmp test_exec test_jit
CPU_UNIT_BINS := $(CPU_UNIT_TESTS:%=$(CPU_UNIT_DIR)/%) $(CPU_UNIT_TESTS:%=$(CPU_UNIT_DIR)/san/%)
CPU_UNIT_HDRS := tests/unit/cpu_harness.h vm/cpu/hart.h vm/cpu/ops.h vm/cpu/jit.h
# these also run with the translator (CPU_TEST_JIT=1, checks named jit.*)
CPU_UNIT_JIT_TESTS := test_mmu test_pmp test_exec test_jit
RV_AS ?= riscv64-unknown-elf-as
RV_OBJCOPY ?= riscv64-unknown-elf-objcopy
RV_OBJDUMP ?= riscv64-unknown-elf-objdump
CPU_AS_MARCH := -march=rv64gc_zicsr_zifencei_zba_zbb_zbs -mno-relax

$(CPU_UNIT_DIR)/%: tests/unit/%.c $(CPU_UNIT_HDRS) $(BUILD)/libvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -D_DEFAULT_SOURCE -Itests/unit $(OPT) -o $@ $< $(BUILD)/libvm.a -lfdt -lm

$(CPU_UNIT_DIR)/san/%: tests/unit/%.c $(CPU_UNIT_HDRS) $(BUILD)/libvm-san.a
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -D_DEFAULT_SOURCE -Itests/unit $(SAN_FLAGS) -o $@ $< $(BUILD)/libvm-san.a -lfdt -lm

# decode_table.txt: the left of each '|' is one instruction, no compression.
$(CPU_UNIT_DIR)/decode_table.bin: tests/unit/decode_table.txt
	@mkdir -p $(dir $@)
	awk -F'|' 'BEGIN { print ".option norvc"; print ".text" } \
	  /^[ \t]*#/ || /^[ \t]*$$/ { next } { print $$1 }' $< > $(@:.bin=.S)
	$(RV_AS) $(CPU_AS_MARCH) $(@:.bin=.S) -o $(@:.bin=.o)
	$(RV_OBJCOPY) -O binary -j .text $(@:.bin=.o) $@

# rvc_table.txt, assembled twice, one 4-byte slot per line: with RVC the
# first form, without RVC the second form (or the same line).
$(CPU_UNIT_DIR)/rvc%.bin: tests/unit/rvc_table.txt
	@mkdir -p $(dir $@)
	awk -v m=$(if $(filter 16,$*),rvc,norvc) -v col=$(if $(filter 16,$*),1,2) \
	  'BEGIN { print ".option " m; print ".text"; k = 0 } { sub(/#.*/, "") } \
	  /^[ \t]*$$/ { next } { n = split($$0, f, "|"); t = (col == 2 && n > 1) ? f[2] : f[1]; \
	  printf ".org %d\n%s\n", 4 * k, t; k++ } END { printf ".org %d\n", 4 * k }' $< > $(@:.bin=.S)
	$(RV_AS) $(CPU_AS_MARCH) $(@:.bin=.S) -o $(@:.bin=.o)
	$(RV_OBJCOPY) -O binary -j .text $(@:.bin=.o) $@

# Random words (written by test_decode --gen), disassembled by objdump:
# objdump.txt holds the words, objdump.mn the mnemonic of each.
$(CPU_UNIT_DIR)/objdump.mn: $(CPU_UNIT_DIR)/test_decode
	$< --gen $(CPU_UNIT_DIR)/objdump.S $(CPU_UNIT_DIR)/objdump.txt 100000
	$(RV_AS) $(CPU_AS_MARCH) $(CPU_UNIT_DIR)/objdump.S -o $(CPU_UNIT_DIR)/objdump.o
	$(RV_OBJDUMP) -d -M no-aliases,numeric $(CPU_UNIT_DIR)/objdump.o | \
	  awk -F'\t' 'NF >= 3 { split($$3, a, " "); print a[1] }' > $@

CPU_DECODE_TABLES := $(CPU_UNIT_DIR)/decode_table.bin $(CPU_UNIT_DIR)/rvc16.bin \
	$(CPU_UNIT_DIR)/rvc32.bin $(CPU_UNIT_DIR)/objdump.mn

.PHONY: test-cpu-unit
test-cpu-unit: $(CPU_UNIT_BINS)
	@status=0; tables=; \
	if command -v $(RV_AS) >/dev/null 2>&1 && \
	   $(MAKE) --no-print-directory $(CPU_DECODE_TABLES) >/dev/null; then \
	  tables="tests/unit/decode_table.txt $(CPU_UNIT_DIR)/decode_table.bin \
	    tests/unit/rvc_table.txt $(CPU_UNIT_DIR)/rvc16.bin $(CPU_UNIT_DIR)/rvc32.bin \
	    $(CPU_UNIT_DIR)/objdump.txt $(CPU_UNIT_DIR)/objdump.mn"; \
	else echo "SKIP: cpu.decode_tables ($(RV_AS) missing or failed)"; fi; \
	for t in $(CPU_UNIT_TESTS); do \
	  for b in $(CPU_UNIT_DIR)/$$t $(CPU_UNIT_DIR)/san/$$t; do \
	    echo "--- $$b"; \
	    if [ $$t = test_decode ]; then $$b $$tables || status=1; else $$b || status=1; fi; \
	    case " $(CPU_UNIT_JIT_TESTS) " in *" $$t "*) \
	      echo "--- CPU_TEST_JIT=1 $$b"; CPU_TEST_JIT=1 $$b || status=1;; esac; \
	  done; \
	done; exit $$status

TEST_TARGETS += test-cpu-unit
