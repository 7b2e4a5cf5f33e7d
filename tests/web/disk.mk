# Disks that persist (issue 6): the browser's disks (worker/disk/: the core's
# copy-on-write engine over OPFS or IndexedDB), the CLI's
# `--disk IMG,overlay=FILE` (vm/cli/disk_overlay.c), their tests and the
# disk benchmark. The engine's own C tests are tests/unit/disk.mk.
#   make test-disk-node     node:test of worker/disk/ with the wasm engine, on
#                           fake-indexeddb and an in-memory OPFS
#   make test-disk-overlay  the CLI's overlay file (harness + Linux guest when the CLI has it)
#   make test-disk-browser  Playwright, persistent Chromium profile: write, close, reopen, read, export
#   make bench-disk         dd and randio inside the guest on the page's disk (OPFS,
#                           IndexedDB), cold/warm boot; the CLI and QEMU beside it
# NODE_TEST and node_modules/.package-lock.json come from web/web.mk.

.PHONY: test-disk-node test-disk-overlay test-disk-browser bench-disk

test-disk-node: wasm node_modules/.package-lock.json
	@$(NODE_TEST) tests/web/disk.test.mjs

test-disk-overlay:
	-@$(MAKE) --no-print-directory $(BUILD)/riscv-vm >/dev/null 2>&1
	@BUILD=$(BUILD) bash tests/boot/overlay.sh

test-disk-browser: web node_modules/.package-lock.json
	@$(NODE_TEST) tests/web/disk-browser.test.mjs

# randio: random 4 KiB O_DIRECT I/O inside the guest (no C library).
$(BUILD)/bench/randio: tests/bench/randio.c
	@mkdir -p $(dir $@)
	riscv64-linux-gnu-gcc -std=c11 -Wall -Wextra -Werror -Os -march=rv64gc -mabi=lp64d -static \
	  -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie \
	  -fno-asynchronous-unwind-tables -Wl,--build-id=none -s -o $@ $<

bench-disk: web images $(BUILD)/riscv-vm $(BUILD)/bench/randio node_modules/.package-lock.json
	@BUILD=$(BUILD) bash tests/bench/disk-native.sh
	@node tests/web/disk-bench.mjs

TEST_TARGETS += test-disk-node test-disk-overlay test-disk-browser
BENCH_TARGETS += bench-disk
