# The default guest (issue 9): Linux 6.1 + BusyBox from Debian sources.
#   make images       build/images/{Image,rootfs.ext4,initramfs.cpio.gz,fw_*.bin,manifest.json}
#   make run-linux    boot it on the native CLI (a persistent copy of the disk)
#   make run-linux-qemu   the same guest on qemu-system-riscv64, for comparison
#   make test-linux   boot tests (tests/boot/linux.sh); VM=qemu to check them on QEMU
#   make bench-linux  time to prompt and to poweroff, riscv-vm beside QEMU
# The slow parts (kernel, BusyBox) are cached outside the clone in
# $(RISCV_VM_CACHE) (default ~/.cache/riscv-vm), keyed by a hash of their
# recipe, so a fresh clone with a warm cache builds the images in seconds.

IMG := $(BUILD)/images
IMG_SRC := images
LINUX_CMDLINE := console=ttyS0 root=/dev/vda rw earlycon=sbi
OPENSBI_DIR := /usr/lib/riscv64-linux-gnu/opensbi/generic
# run-linux boots a copy so the pristine rootfs.ext4 keeps the sha256 the
# manifest gives it; the copy persists across runs (delete it to start over).
RUN_DISK ?= $(BUILD)/linux-disk.ext4
# User-mode networking when the CLI has it (libslirp present).
RUN_ARGS ?= $(if $(HAVE_SLIRP),--net user)

IMG_ARTEFACTS := $(IMG)/Image $(IMG)/rootfs.ext4 $(IMG)/initramfs.cpio.gz \
	$(IMG)/fw_jump.bin $(IMG)/fw_dynamic.bin
IMG_MANIFEST_ARGS := opensbi-fw_jump=fw_jump.bin opensbi-fw_dynamic=fw_dynamic.bin \
	linux=Image rootfs=rootfs.ext4 initramfs=initramfs.cpio.gz

# xv6 only when XV6_DIR names a built tree; nothing is fetched or built.
ifneq ($(strip $(XV6_DIR)),)
IMG_ARTEFACTS += $(IMG)/xv6-kernel $(IMG)/xv6-fs.img
IMG_MANIFEST_ARGS += xv6-kernel=xv6-kernel xv6-fs=xv6-fs.img
$(IMG)/xv6-kernel: $(XV6_DIR)/kernel/kernel
	@mkdir -p $(dir $@)
	cp $< $@
$(IMG)/xv6-fs.img: $(XV6_DIR)/fs.img
	@mkdir -p $(dir $@)
	cp $< $@
endif
# The manifest must change when XV6_DIR is set or unset: remember its value.
IMG_XV6_STAMP := $(IMG)/.xv6-dir
ifneq ($(filter images run-linux run-linux-qemu test-linux bench-linux $(IMG)/%,$(MAKECMDGOALS)),)
$(shell mkdir -p $(IMG); [ "$$(cat $(IMG_XV6_STAMP) 2>/dev/null)" = "$(XV6_DIR)" ] || \
	{ echo "$(XV6_DIR)" >$(IMG_XV6_STAMP); rm -f $(IMG)/xv6-kernel $(IMG)/xv6-fs.img; })
endif

# Packages first (tools/install-deps.sh, quick when all are present); the
# stamp re-runs it when a package list changes.
$(IMG)/.deps: $(wildcard tools/deps/*.apt) tools/install-deps.sh
	@mkdir -p $(dir $@)
	bash tools/install-deps.sh
	@touch $@

# Debian's files are prerequisites when present (a package upgrade rebuilds);
# when absent, the .deps step installs them first.
$(IMG)/Image: $(IMG_SRC)/linux.config $(IMG_SRC)/build-kernel.sh $(IMG_SRC)/lib.sh \
		$(wildcard /usr/src/linux-source-6.1.tar.xz) | $(IMG)/.deps
	bash $(IMG_SRC)/build-kernel.sh $(IMG)

$(IMG)/busybox: $(IMG_SRC)/busybox.config $(IMG_SRC)/build-busybox.sh $(IMG_SRC)/deb-src.sh \
		$(IMG_SRC)/lib.sh | $(IMG)/.deps
	bash $(IMG_SRC)/build-busybox.sh $(IMG)

$(IMG)/rootfs.ext4 $(IMG)/initramfs.cpio.gz &: $(IMG)/busybox $(IMG_SRC)/mkrootfs.sh \
		$(IMG_SRC)/mkcpio.py $(shell find $(IMG_SRC)/rootfs -type f 2>/dev/null)
	bash $(IMG_SRC)/mkrootfs.sh $(IMG)

$(IMG)/fw_jump.bin $(IMG)/fw_dynamic.bin: $(IMG)/%: $(wildcard $(OPENSBI_DIR)/fw_*.bin) | $(IMG)/.deps
	cp $(OPENSBI_DIR)/$* $@

$(IMG)/manifest.json: $(IMG_ARTEFACTS) $(IMG_SRC)/manifest.py $(IMG_XV6_STAMP)
	python3 $(IMG_SRC)/manifest.py $(IMG) $(IMG_MANIFEST_ARGS)
	@echo "images: $(IMG)/manifest.json"

$(IMG_XV6_STAMP):
	@mkdir -p $(dir $@)
	@echo "$(XV6_DIR)" >$@

images: $(IMG)/manifest.json

.PHONY: run-linux run-linux-qemu test-linux bench-linux
run-linux: images $(BUILD)/riscv-vm
	@[ -f $(RUN_DISK) ] || cp $(IMG)/rootfs.ext4 $(RUN_DISK)
	$(BUILD)/riscv-vm --bios $(IMG)/fw_jump.bin --kernel $(IMG)/Image \
		--disk $(RUN_DISK) --append "$(LINUX_CMDLINE)" $(RUN_ARGS)

run-linux-qemu: images
	@[ -f $(BUILD)/linux-disk-qemu.ext4 ] || cp $(IMG)/rootfs.ext4 $(BUILD)/linux-disk-qemu.ext4
	qemu-system-riscv64 -machine virt -m 256M -nographic -bios $(IMG)/fw_jump.bin \
		-kernel $(IMG)/Image -append "$(LINUX_CMDLINE)" \
		-drive file=$(BUILD)/linux-disk-qemu.ext4,format=raw,id=hd0,if=none \
		-device virtio-blk-device,drive=hd0 -netdev user,id=n0 -device virtio-net-device,netdev=n0

# The VM is a required part: a CLI that does not build gives FAIL lines from
# the test script, not a stopped run.
test-linux: images
	-@$(MAKE) --no-print-directory $(BUILD)/riscv-vm >$(BUILD)/riscv-vm-build-linux.log 2>&1 \
		|| echo "riscv-vm did not build: see $(BUILD)/riscv-vm-build-linux.log"
	@BUILD=$(BUILD) bash tests/boot/linux.sh

bench-linux: images
	-@$(MAKE) --no-print-directory $(BUILD)/riscv-vm >$(BUILD)/riscv-vm-build-linux.log 2>&1 \
		|| echo "riscv-vm did not build: see $(BUILD)/riscv-vm-build-linux.log"
	@BUILD=$(BUILD) bash tests/bench/linux-boot.sh

TEST_TARGETS += test-linux
BENCH_TARGETS += bench-linux
