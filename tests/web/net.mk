# Browser-side networking (issue 7): the worker's transports (worker/net/),
# their node:test and Playwright tests, and the page's throughput figure.
#   make test-web-net    node:test (NetLink; Linux in the Node worker through
#                        netproxy) and Playwright (the page through netproxy;
#                        page and native CLI guests on one segment)
#   make bench-web-net   guest -> host TCP from the page through netproxy,
#                        beside the native CLI's --net-ws on the same relay
# NODE_TEST and node_modules/.package-lock.json come from web/web.mk.

.PHONY: test-web-net bench-web-net

test-web-net: web node_modules/.package-lock.json
	-@$(MAKE) --no-print-directory $(BUILD)/netproxy $(BUILD)/riscv-vm >/dev/null 2>&1
	@$(NODE_TEST) tests/web/net.test.mjs tests/web/net-browser.test.mjs

bench-web-net: web node_modules/.package-lock.json
	-@$(MAKE) --no-print-directory $(BUILD)/netproxy $(BUILD)/riscv-vm >/dev/null 2>&1
	@node tests/web/net-bench.mjs

TEST_TARGETS += test-web-net
BENCH_TARGETS += bench-web-net
