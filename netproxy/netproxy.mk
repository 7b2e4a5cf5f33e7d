# netproxy: the WebSocket relay (Ethernet switch per path + libslirp NAT uplink).
# Needs libwebsockets-dev (+ libwebsockets-evlib-uv), libuv1-dev and
# libslirp-dev (tools/deps/net.apt); `make` builds it when they are present.
NETPROXY_SRCS := netproxy/netproxy.c netproxy/switch.c vm/cli/net_slirp.c
NETPROXY_PKGS := libwebsockets slirp libuv
HAVE_UV := $(shell pkg-config --exists libuv 2>/dev/null && echo 1)

.PHONY: netproxy
netproxy: $(BUILD)/netproxy

ifeq ($(HAVE_LWS)$(HAVE_SLIRP)$(HAVE_UV),111)
all: $(BUILD)/netproxy
$(BUILD)/netproxy: $(NETPROXY_SRCS) vm/cli/net_slirp.h netproxy/switch.h netproxy/netproxy.mk
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -Ivm/cli -DRV_HAVE_SLIRP \
	  $$(pkg-config --cflags $(NETPROXY_PKGS)) -o $@ $(NETPROXY_SRCS) \
	  $$(pkg-config --libs $(NETPROXY_PKGS))
else
$(BUILD)/netproxy:
	@echo "netproxy needs libwebsockets-dev, libuv1-dev and libslirp-dev (make deps)" >&2; exit 1
endif

# The CLI's native network backends (vm/cli/net_*.c, compiled into
# build/riscv-vm): TAP always; libslirp user networking and the WebSocket
# client when their libraries are present, otherwise netback_open() says
# what is missing.
CLI_EXTRA_CFLAGS += -DRV_CLI_NET
ifeq ($(HAVE_SLIRP),1)
CLI_EXTRA_CFLAGS += -DRV_HAVE_SLIRP $(shell pkg-config --cflags-only-I slirp | tr ' ' '\n' | grep slirp)
CLI_LIBS += $(shell pkg-config --libs slirp)
endif
ifeq ($(HAVE_LWS)$(HAVE_UV),11)
CLI_EXTRA_CFLAGS += -DRV_HAVE_LWS
CLI_LIBS += $(shell pkg-config --libs libwebsockets libuv)
endif
