# The page's network over WebTransport (issue 8): worker/net/webtransport.mjs
# against netproxy --wt-listen, in Node (URL hash, stream records) and in
# headless Chromium (the page guest and a native --net-wt guest ping each
# other on one segment).
#   make test-web-wt
#   make bench-web-wt    guest -> host TCP from the page over WebTransport
#                        beside WebSocket, and the native --net-wt
# NODE_TEST and node_modules/.package-lock.json come from web/web.mk.

.PHONY: test-web-wt bench-web-wt

test-web-wt: web node_modules/.package-lock.json
	-@$(MAKE) --no-print-directory $(BUILD)/netproxy $(BUILD)/riscv-vm >/dev/null 2>&1
	@$(NODE_TEST) tests/web/net-wt-browser.test.mjs

bench-web-wt: web node_modules/.package-lock.json
	-@$(MAKE) --no-print-directory $(BUILD)/netproxy $(BUILD)/riscv-vm >/dev/null 2>&1
	@node tests/web/net-wt-bench.mjs

TEST_TARGETS += test-web-wt
BENCH_TARGETS += bench-web-wt
