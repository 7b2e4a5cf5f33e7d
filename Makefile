# riscv-vm: one entry point.
#   make            build the native CLI (build/riscv-vm)
#   make start      install what is missing, build everything, serve the page
#   make test       every test layer; ends with "N passed, N failed"
#   make bench      figures beside QEMU (never timed assertions)
#   make images     the default guest from Debian sources
# Each part adds its own targets in a fragment (*/*.mk) included below and
# appends to TEST_TARGETS / BENCH_TARGETS.

SHELL := /bin/bash
.DEFAULT_GOAL := all

CC ?= cc
BUILD := build
WARN := -Wall -Wextra -Werror
CSTD := -std=c11
OPT ?= -O2 -g
CORE_CFLAGS := $(CSTD) $(WARN) -Ivm
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

CORE_SRCS := $(sort $(wildcard vm/*.c vm/cpu/*.c vm/devices/*.c vm/disk/*.c))
CLI_SRCS := $(sort $(wildcard vm/cli/*.c))
CLI_LIBS := -lfdt -lpthread -lm
CLI_EXTRA_CFLAGS :=

TEST_TARGETS :=
BENCH_TARGETS :=

# Optional native backends, enabled when their libraries are present.
HAVE_SLIRP := $(shell pkg-config --exists slirp 2>/dev/null && echo 1)
HAVE_LWS := $(shell pkg-config --exists libwebsockets 2>/dev/null && echo 1)

-include $(sort $(wildcard */*.mk tests/*/*.mk))

CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/native/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/native/%.o)
SAN_CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/san/%.o)
SAN_CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/san/%.o)
# The backends' -D flags belong to the CLI (and netproxy's objects), never
# to the core, which has no platform code.
$(CLI_OBJS) $(SAN_CLI_OBJS): EXTRA_CFLAGS = $(CLI_EXTRA_CFLAGS)
$(BUILD)/native/netproxy/%.o: EXTRA_CFLAGS = $(CLI_EXTRA_CFLAGS)

.PHONY: all start test bench images clean format deps
all: $(BUILD)/riscv-vm

# Installs what is missing, builds the wasm core, the page and the default
# guest, and serves http://localhost:8080/ (web/web.mk).
start: web-start

# Objects depend on the flags they were built with (net backends add -D
# flags when their libraries are present).
FLAGS_STAMP := $(BUILD)/flags.stamp
FLAGS_NOW := $(CC) $(CORE_CFLAGS) $(CLI_EXTRA_CFLAGS) $(OPT) | $(SAN_FLAGS)
$(shell mkdir -p $(BUILD); [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = "$(FLAGS_NOW)" ] || echo "$(FLAGS_NOW)" > $(FLAGS_STAMP))

$(BUILD)/native/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(EXTRA_CFLAGS) $(OPT) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(EXTRA_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libvm.a: $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libvm-san.a: $(SAN_CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/riscv-vm: $(CLI_OBJS) $(BUILD)/libvm.a
	$(CC) $(OPT) -o $@ $(CLI_OBJS) $(BUILD)/libvm.a $(CLI_LIBS)

$(BUILD)/san/riscv-vm: $(SAN_CLI_OBJS) $(BUILD)/libvm-san.a
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_CLI_OBJS) $(BUILD)/libvm-san.a $(CLI_LIBS)

# Installs what the project needs on a Debian machine (idempotent).
deps:
	@bash tools/install-deps.sh

# Runs every test layer, keeps going past failures, then prints one summary.
test:
	@mkdir -p $(BUILD); rm -f $(BUILD)/test.log; status=0; \
	for t in $(TEST_TARGETS); do \
	  echo "=== $$t"; \
	  $(MAKE) --no-print-directory $$t 2>&1 | tee -a $(BUILD)/test.log; \
	  [ $${PIPESTATUS[0]} -eq 0 ] || { status=1; echo "FAIL: make $$t exited non-zero" | tee -a $(BUILD)/test.log; }; \
	done; \
	bash tests/summary.sh $(BUILD)/test.log || status=1; exit $$status

bench:
	@for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory $$t || exit 1; done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/native $(BUILD)/san -type f -name '*.d' 2>/dev/null)
