# tests/diff: random instruction programs run on build/riscv-vm and on
# qemu-system-riscv64 -machine virt; the printed register, FP and memory
# state must match block for block. See tests/diff/run_diff.py.
#   make test-diff             3000 programs, fixed seeds (part of make test),
#                              and 1000 more on the interpreter alone (--no-jit,
#                              the path the wasm build runs)
#   make diff N=100000 SEED=5  more programs; SEED defaults to the clock
DIFF_COUNT ?= 3000
DIFF_INTERP_COUNT ?= 1000
N ?= 100000
SEED ?= $(shell date +%s)

.PHONY: test-diff diff
test-diff:
	@$(MAKE) --no-print-directory $(BUILD)/riscv-vm >/dev/null 2>&1 || true
	@python3 tests/diff/run_diff.py --seed 1 --count $(DIFF_COUNT) --out $(BUILD)/diff
	@python3 tests/diff/run_diff.py --seed 101 --count $(DIFF_INTERP_COUNT) --out $(BUILD)/diff \
	  --vm-arg=--no-jit --name diff-interp

diff:
	@$(MAKE) --no-print-directory $(BUILD)/riscv-vm >/dev/null 2>&1 || true
	@python3 tests/diff/run_diff.py --seed $(SEED) --count $(N) --out $(BUILD)/diff

TEST_TARGETS += test-diff
