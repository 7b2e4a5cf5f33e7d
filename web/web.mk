# The browser build: the C core compiled by Emscripten, the worker and page
# bundles (esbuild), the static server, and their tests.
#   make wasm                 build/web/riscv-vm-core.{mjs,wasm} (browser) and
#                             build/web/node/riscv-vm-core.{cjs,wasm} (Node)
#   make web                  wasm + bundles + page under build/web/
#   make web-start            deps, build, default images, serve :8080
#   make test-web-node        node:test suites (tests/web/*.test.mjs)
#   make test-web-playwright  headless Chromium against the page
#   make bench-web            CPU bench under Node's wasm beside native; Linux
#                             boot to prompt in headless Chromium

EMCC ?= emcc
# Debian's emcc needs Debian's node modules (acorn) for -O2 and up.
EMCC_ENV := NODE_PATH=/usr/share/nodejs
WEB := $(BUILD)/web
RISCV_VM_CACHE ?= $(HOME)/.cache/riscv-vm
WEB_PORT ?= 8080
WEB_HOST ?= 127.0.0.1

WASM_OPT := -O3 -flto
WASM_CFLAGS := $(CORE_CFLAGS) $(WASM_OPT) -mbulk-memory -I$(WEB)/libfdt-include
WASM_LINK := $(WASM_OPT) -mbulk-memory -sMODULARIZE=1 -sEXPORT_NAME=createRiscvVmCore \
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=2GB \
  -sABORTING_MALLOC=0 -sFILESYSTEM=0 -sEXIT_RUNTIME=0 -sINVOKE_RUN=0 \
  -sTOTAL_STACK=1MB -sEXPORTED_FUNCTIONS=_malloc,_free \
  -sEXPORTED_RUNTIME_METHODS=[] -sINCOMING_MODULE_JS_API=[wasmBinary,instantiateWasm,wvmHooks,print,printErr,onAbort]

WASM_SRCS := $(CORE_SRCS) $(sort $(wildcard worker/*.c))
WASM_OBJS := $(WASM_SRCS:%.c=$(WEB)/obj/%.o)
LIBFDT_SRCS := fdt.c fdt_ro.c fdt_wip.c fdt_sw.c fdt_rw.c fdt_strerror.c fdt_empty_tree.c fdt_addresses.c fdt_overlay.c
LIBFDT_STAMP := $(WEB)/libfdt-include/.stamp
LIBFDT_OBJS := $(LIBFDT_SRCS:%.c=$(WEB)/obj/libfdt/%.o)

WEB_JS := $(sort $(wildcard web/*.mjs web/*.js worker/*.mjs worker/*.js worker/*/*.mjs))
WEB_STATIC := $(sort $(wildcard web/static/*))

.PHONY: wasm web web-start test-web-node test-web-playwright bench-web web-baremetal

# libfdt: Debian ships no source in libfdt-dev; the Debian source package
# (device-tree-compiler) is unpacked into a cache outside the clone.
$(LIBFDT_STAMP):
	@bash worker/get-libfdt.sh "$(RISCV_VM_CACHE)/dtc-src" "$(WEB)/libfdt-include"
	@touch $@

$(WEB)/obj/libfdt/%.o: $(LIBFDT_STAMP)
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) -O3 -flto -mbulk-memory -I$(WEB)/libfdt-include -c $(WEB)/libfdt-include/src/$*.c -o $@

$(WEB)/obj/%.o: %.c $(LIBFDT_STAMP)
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(WASM_CFLAGS) -MMD -MP -c $< -o $@

$(WEB)/riscv-vm-core.mjs: $(WASM_OBJS) $(LIBFDT_OBJS) web/web.mk
	$(EMCC_ENV) $(EMCC) $(WASM_LINK) -sEXPORT_ES6=1 -sENVIRONMENT=web,worker \
	  $(WASM_OBJS) $(LIBFDT_OBJS) -o $@

$(WEB)/node/riscv-vm-core.cjs: $(WASM_OBJS) $(LIBFDT_OBJS) web/web.mk
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(WASM_LINK) -sENVIRONMENT=node -sWASM_ASYNC_COMPILATION=0 \
	  $(WASM_OBJS) $(LIBFDT_OBJS) -o $(WEB)/node/riscv-vm-core.js
	mv $(WEB)/node/riscv-vm-core.js $@

wasm: $(WEB)/riscv-vm-core.mjs $(WEB)/node/riscv-vm-core.cjs

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

ESBUILD := node_modules/.bin/esbuild --bundle --format=esm --target=es2022 --log-level=warning --loader:.css=text --minify --sourcemap

$(WEB)/worker.js: $(WEB_JS) $(WEB)/riscv-vm-core.mjs node_modules/.package-lock.json
	$(ESBUILD) worker/worker.browser.mjs --outfile=$@ --platform=browser

# The disk manager's worker (exports; OPFS needs a worker).
$(WEB)/disk-worker.js: $(WEB_JS) $(WEB)/riscv-vm-core.mjs node_modules/.package-lock.json
	$(ESBUILD) worker/disk/disk-worker.mjs --outfile=$@ --platform=browser

$(WEB)/page.js: $(WEB_JS) node_modules/.package-lock.json
	$(ESBUILD) web/page.mjs --outfile=$@ --platform=browser

$(WEB)/riscv-vm.js: $(WEB_JS) $(WEB)/riscv-vm-core.mjs node_modules/.package-lock.json
	$(ESBUILD) web/index.mjs --outfile=$@ --platform=browser

$(WEB)/.static: $(WEB_STATIC) node_modules/.package-lock.json
	@mkdir -p $(WEB)
	cp $(WEB_STATIC) $(WEB)/
	cp node_modules/@xterm/xterm/css/xterm.css $(WEB)/xterm.css
	@touch $@

web: wasm $(WEB)/worker.js $(WEB)/disk-worker.js $(WEB)/page.js $(WEB)/riscv-vm.js $(WEB)/.static

# The bare-metal test kernel (prints, echoes a line, powers off).
WEB_BAREMETAL := $(BUILD)/tests/web/hello.elf
$(WEB_BAREMETAL): tests/web/hello.c tests/web/start.S tests/web/hello.ld
	@mkdir -p $(dir $@)
	riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 -ffreestanding \
	  -nostdlib -nostartfiles -Wall -Wextra -Werror -T tests/web/hello.ld \
	  tests/web/start.S tests/web/hello.c -o $@
web-baremetal: $(WEB_BAREMETAL)

web-start:
	@command -v npm >/dev/null || { SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; $$SUDO apt-get install -y -qq npm; }
	@bash tools/install-deps.sh
	@$(MAKE) --no-print-directory web
	@[ -f $(BUILD)/images/manifest.json ] || $(MAKE) --no-print-directory images
	node web/serve.mjs --host $(WEB_HOST) --port $(WEB_PORT) --root $(WEB) --images $(BUILD)/images

NODE_TEST := node --test --test-reporter=./tests/web/reporter.mjs --test-reporter-destination=stdout

test-web-node: wasm $(WEB_BAREMETAL) node_modules/.package-lock.json
	-@$(MAKE) --no-print-directory $(BUILD)/boot/vblk.elf >/dev/null 2>&1
	@$(NODE_TEST) tests/web/node.test.mjs

test-web-playwright: web $(WEB_BAREMETAL) node_modules/.package-lock.json
	@$(NODE_TEST) tests/web/page.test.mjs

bench-web: web node_modules/.package-lock.json
	-@$(MAKE) --no-print-directory $(BUILD)/riscv-vm $(BUILD)/bench/cpubench.elf >/dev/null
	@node tests/web/bench.mjs

TEST_TARGETS += test-web-node test-web-playwright
BENCH_TARGETS += bench-web
