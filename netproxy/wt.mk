# WebTransport (issue 8): netproxy's HTTP/3 listener (netproxy/wt.c over the
# shared QUIC + HTTP/3 layer netproxy/h3.c) and the CLI's --net-wt client
# (vm/cli/net_wt.c, linked with h3.c through $(BUILD)/libwt.a). Needs
# libngtcp2-dev, libngtcp2-crypto-gnutls-dev, libnghttp3-dev and
# libgnutls28-dev (tools/deps/wt.apt); without them --net-wt and
# --wt-listen say what is missing.
WT_PKGS := libngtcp2 libngtcp2_crypto_gnutls libnghttp3 gnutls
HAVE_WT := $(shell pkg-config --exists $(WT_PKGS) 2>/dev/null && echo 1)
WT_SAN_DIR := $(BUILD)/tests/net/wt

# netproxy links wt.c always (it stubs itself without the headers), h3.c and
# the libraries when present. netproxy.mk's recipe reads these lists when it
# runs, so appending here is enough; the prerequisites are added below.
NETPROXY_SRCS += netproxy/wt.c
$(BUILD)/netproxy: netproxy/wt.c netproxy/wt.h netproxy/h3.c netproxy/h3.h

ifeq ($(HAVE_WT),1)
NETPROXY_SRCS += netproxy/h3.c
NETPROXY_PKGS += $(WT_PKGS)
CLI_EXTRA_CFLAGS += -DRV_HAVE_WT
CLI_LIBS += $(BUILD)/libwt.a $(shell pkg-config --libs $(WT_PKGS))
$(BUILD)/riscv-vm $(BUILD)/san/riscv-vm: $(BUILD)/libwt.a

$(BUILD)/libwt.a: $(BUILD)/native/netproxy/h3.o
	@rm -f $@
	ar rcs $@ $^
endif

.PHONY: test-wt
TEST_TARGETS += test-wt

WT_NETBACK_SRCS := vm/cli/net_back.c vm/cli/net_ws.c vm/cli/net_slirp.c vm/cli/net_wt.c netproxy/h3.c
WT_TEST_DEPS := tests/net/wt/wt_test.c $(WT_NETBACK_SRCS) $(wildcard vm/cli/net*.h) netproxy/h3.h
WTPROXY_SRCS := tests/net/wt/wtproxy.c netproxy/wt.c netproxy/h3.c netproxy/switch.c vm/cli/net_slirp.c

# wt_test against netproxy (with sanitizers) covers the C side; the browser
# test needs Debian's chromium and playwright-core (npm ci), the guest test
# build/riscv-vm and build/images/ (each SKIPs with a reason otherwise).
ifeq ($(HAVE_WT)$(HAVE_SLIRP)$(HAVE_LWS)$(HAVE_UV),1111)
test-wt: $(WT_SAN_DIR)/wt_test $(BUILD)/tests/net/netproxy-san $(BUILD)/netproxy
	@timeout 240 $(WT_SAN_DIR)/wt_test $(BUILD)/tests/net/netproxy-san --netproxy
	@timeout 180 node tests/net/wt/browser_wt.mjs $(BUILD)/tests/net/netproxy-san --listen 127.0.0.1:0
	@BUILD=$(BUILD) timeout 900 bash tests/net/wt/guest_wt.sh
else
test-wt:
	@echo "SKIP: WebTransport tests (need libngtcp2-dev libngtcp2-crypto-gnutls-dev libnghttp3-dev libgnutls28-dev, and netproxy's libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libslirp-dev: make deps)"
endif

# The relay alone with only wt.c (no libwebsockets): `make wtproxy-test`.
.PHONY: wtproxy-test
wtproxy-test: $(WT_SAN_DIR)/wt_test $(WT_SAN_DIR)/wtproxy
	@timeout 240 $(WT_SAN_DIR)/wt_test $(WT_SAN_DIR)/wtproxy

# The test client: the CLI's WebTransport backend without a guest.
$(WT_SAN_DIR)/wt_test: $(WT_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(SAN_FLAGS) -Ivm -Ivm/cli -DRV_HAVE_WT -DRV_HAVE_LWS -DRV_HAVE_SLIRP \
	  $$(pkg-config --cflags-only-I slirp | tr ' ' '\n' | grep slirp) -o $@ tests/net/wt/wt_test.c \
	  $(WT_NETBACK_SRCS) $$(pkg-config --libs $(WT_PKGS) slirp libwebsockets libuv)

# A relay with only the WebTransport listener and the switch, with ASan and
# UBSan: a leak or overflow at exit fails the run.
$(WT_SAN_DIR)/wtproxy: $(WTPROXY_SRCS) netproxy/wt.h netproxy/h3.h netproxy/switch.h vm/cli/net_slirp.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(SAN_FLAGS) -Inetproxy -Ivm/cli -DRV_HAVE_SLIRP \
	  $$(pkg-config --cflags slirp $(WT_PKGS)) -o $@ $(WTPROXY_SRCS) \
	  $$(pkg-config --libs slirp $(WT_PKGS))

# Figures only: WebTransport beside WebSocket (tests/net/wt/bench_wt.sh).
.PHONY: bench-wt
BENCH_TARGETS += bench-wt
bench-wt: $(BUILD)/netproxy
	@BUILD=$(BUILD) bash tests/net/wt/bench_wt.sh
