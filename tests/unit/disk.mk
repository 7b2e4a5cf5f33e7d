# The copy-on-write disk engine (vm/disk/cow.c) against a fake asynchronous
# store, and its overlay file store (vm/disk/cowfile.c) on a fake file that
# loses power; plain and under ASan+UBSan.
#   make test-cow

COW_TESTS := test_cow test_cowfile
COW_TEST_BINS := $(foreach t,$(COW_TESTS),$(BUILD)/tests/cow/$(t) $(BUILD)/tests/cow-san/$(t))
COW_SRCS := vm/disk/cow.c vm/disk/cowfile.c
COW_TEST_DEPS := $(COW_SRCS) vm/disk/cow.h vm/disk/cowfile.h vm/host.h tests/unit/check.h

$(BUILD)/tests/cow/%: tests/unit/%.c $(COW_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(OPT) -Itests/unit -o $@ $< $(COW_SRCS)

$(BUILD)/tests/cow-san/%: tests/unit/%.c $(COW_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(COW_SRCS)

.PHONY: test-cow
test-cow: $(COW_TEST_BINS)
	@status=0; for t in $(COW_TEST_BINS); do echo "--- $$t"; $$t || status=1; done; exit $$status

TEST_TARGETS += test-cow
