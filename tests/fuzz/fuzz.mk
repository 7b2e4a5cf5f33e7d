# libFuzzer target for virtio-mmio + virtio-blk (a hostile guest's rings and
# register writes). make test runs it for a bounded time from seed inputs.
#   make test-fuzz-virtio                 (FUZZ_SECONDS=20 by default)

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_VIRTIO_SRCS := $(sort $(wildcard vm/devices/*.c)) vm/fdt_board.c vm/snapshot.c
FUZZ_VIRTIO_DEPS := tests/fuzz/fuzz_virtio_blk.c $(FUZZ_VIRTIO_SRCS) $(wildcard vm/devices/*.h) \
	vm/fdt_board.h vm/bus.h vm/host.h vm/snapshot.h

$(FUZZ_DIR)/fuzz_virtio_blk: $(FUZZ_VIRTIO_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CORE_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -o $@ tests/fuzz/fuzz_virtio_blk.c $(FUZZ_VIRTIO_SRCS) -lfdt

$(FUZZ_DIR)/fuzz_virtio_blk_seed: $(FUZZ_VIRTIO_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -DFUZZ_SEED_MAIN -o $@ tests/fuzz/fuzz_virtio_blk.c $(FUZZ_VIRTIO_SRCS) -lfdt

.PHONY: test-fuzz-virtio
test-fuzz-virtio:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  echo "SKIP: fuzz.virtio_blk ($(FUZZ_CC) not installed)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(FUZZ_DIR)/fuzz_virtio_blk $(FUZZ_DIR)/fuzz_virtio_blk_seed || \
	  { echo "FAIL: fuzz.virtio_blk (build)"; exit 1; }; \
	corpus=$(FUZZ_DIR)/corpus-virtio-blk; mkdir -p $$corpus; \
	$(FUZZ_DIR)/fuzz_virtio_blk_seed $$corpus || { echo "FAIL: fuzz.virtio_blk (seeds)"; exit 1; }; \
	log=$(FUZZ_DIR)/fuzz_virtio_blk.log; \
	if $(FUZZ_DIR)/fuzz_virtio_blk -max_total_time=$(FUZZ_SECONDS) -runs=5000000 \
	     -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 $$corpus >$$log 2>&1; then \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	  echo "PASS: fuzz.virtio_blk ($$runs runs, no crash)"; \
	else \
	  echo "FAIL: fuzz.virtio_blk (crash; see $$log and $(FUZZ_DIR)/crash-*)"; \
	  grep -m5 -E 'ERROR|SUMMARY' $$log; exit 1; \
	fi

TEST_TARGETS += test-fuzz-virtio
