# The copy-on-write disk engine (vm/disk/cow.c) against a fake asynchronous
# store, plain and under ASan+UBSan.
#   make test-cow

COW_TEST_BINS := $(BUILD)/tests/cow/test_cow $(BUILD)/tests/cow-san/test_cow
COW_TEST_DEPS := tests/unit/test_cow.c vm/disk/cow.c vm/disk/cow.h vm/host.h

$(BUILD)/tests/cow/test_cow: $(COW_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(OPT) -o $@ tests/unit/test_cow.c vm/disk/cow.c

$(BUILD)/tests/cow-san/test_cow: $(COW_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(SAN_FLAGS) -o $@ tests/unit/test_cow.c vm/disk/cow.c

.PHONY: test-cow
test-cow: $(COW_TEST_BINS)
	@status=0; for t in $(COW_TEST_BINS); do echo "--- $$t"; $$t || status=1; done; exit $$status

TEST_TARGETS += test-cow
