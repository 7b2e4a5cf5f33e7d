# Network tests (issue 7): netproxy's switch, limits and NAT uplink over
# loopback; guest tests skip until build/riscv-vm and build/images/ exist.
.PHONY: test-net
TEST_TARGETS += test-net

ifeq ($(HAVE_LWS)$(HAVE_SLIRP)$(HAVE_UV),111)
test-net: $(BUILD)/netproxy $(BUILD)/tests/net/netproxy-san $(BUILD)/tests/net/filter_test \
		$(BUILD)/tests/net/netback_test
	@$(BUILD)/tests/net/filter_test
	@timeout 120 $(BUILD)/tests/net/netback_test $(BUILD)/netproxy
	@bash tests/net/wss_test.sh $(BUILD)/tests/net/netback_test $(BUILD)/netproxy
	@bash tests/net/tap_test.sh $(BUILD)/tests/net/netback_test
	@NETPROXY=$(BUILD)/tests/net/netproxy-san NETPROXY_RSS=$(BUILD)/netproxy timeout 300 python3 tests/net/test_netproxy.py
	@BUILD=$(BUILD) timeout 600 bash tests/net/guest_net.sh
else
test-net:
	@echo "SKIP: network tests (need libwebsockets-dev, libwebsockets-evlib-uv, libuv1-dev, libslirp-dev: make deps)"
endif

$(BUILD)/tests/net/filter_test: tests/net/filter_test.c vm/cli/net_slirp.c vm/cli/net_slirp.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(SAN_FLAGS) -Ivm/cli -DRV_HAVE_SLIRP $$(pkg-config --cflags slirp) \
	  -o $@ tests/net/filter_test.c vm/cli/net_slirp.c $$(pkg-config --libs slirp)

NETBACK_SRCS := vm/cli/net_back.c vm/cli/net_ws.c vm/cli/net_slirp.c vm/cli/net_wt.c
$(BUILD)/tests/net/netback_test: tests/net/netback_test.c $(NETBACK_SRCS) $(wildcard vm/cli/net*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(SAN_FLAGS) -Ivm -Ivm/cli -DRV_HAVE_SLIRP -DRV_HAVE_LWS \
	  $$(pkg-config --cflags-only-I slirp | tr ' ' '\n' | grep slirp) \
	  -o $@ tests/net/netback_test.c $(NETBACK_SRCS) $$(pkg-config --libs slirp libwebsockets libuv)

# netproxy with ASan+UBSan (and leak checking at exit) for the hostile-input
# tests: a leak or overflow turns into a failed exit status.
$(BUILD)/tests/net/netproxy-san: $(NETPROXY_SRCS) vm/cli/net_slirp.h netproxy/switch.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(SAN_FLAGS) -Ivm/cli -DRV_HAVE_SLIRP \
	  $$(pkg-config --cflags $(NETPROXY_PKGS)) -o $@ $(NETPROXY_SRCS) \
	  $$(pkg-config --libs $(NETPROXY_PKGS))

# Figures only (bench_net.sh): TCP throughput guest -> host over --net user,
# over netproxy and on QEMU's -nic user; ping between two guests.
.PHONY: bench-net
BENCH_TARGETS += bench-net
bench-net: $(BUILD)/netproxy
	@BUILD=$(BUILD) bash tests/net/bench_net.sh
