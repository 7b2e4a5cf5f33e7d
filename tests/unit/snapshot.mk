# Whole-machine snapshots: save part way, restore, compare with an
# uninterrupted run (tests/bench/cpubench.c as the guest).
SNAP_LIBS := -lfdt -lm

$(BUILD)/tests/test_snapshot: tests/unit/test_snapshot.c $(BUILD)/libvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(OPT) -o $@ $< $(BUILD)/libvm.a $(SNAP_LIBS)

$(BUILD)/tests/test_snapshot-san: tests/unit/test_snapshot.c $(BUILD)/libvm-san.a
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(SAN_FLAGS) -o $@ $< $(BUILD)/libvm-san.a $(SNAP_LIBS)

.PHONY: test-snapshot
test-snapshot: $(BUILD)/tests/test_snapshot $(BUILD)/tests/test_snapshot-san $(BUILD)/bench/cpubench.elf
	@$(BUILD)/tests/test_snapshot $(BUILD)/bench/cpubench.elf
	@set -o pipefail; $(BUILD)/tests/test_snapshot-san $(BUILD)/bench/cpubench.elf | sed 's/^\(PASS\|FAIL\): /\1: san./'

TEST_TARGETS += test-snapshot
