# kvmcheck: `make run` runs the bundled cases, `make check` runs every test.
# Both install what is missing first (`make deps`).

CC ?= cc
PREFIX ?= /usr/local
BUILD := build
PKGS := yaml-0.1 libxml-2.0 unicorn jansson libpcre2-8 libxxhash capstone
CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -g -Iharness
CFLAGS ?= -O2
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lyaml -lxml2 -lunicorn -ljansson -lpcre2-8 -lxxhash -lcapstone)
LIBS = $(PKG_LIBS) -lpthread
# The tests expect plain TAP on stdout even when this Makefile runs inside a
# GitHub Actions step, and must not write that step's outputs and summary;
# tests/e2e/platforms.sh sets these itself.
unexport GITHUB_ACTIONS GITHUB_OUTPUT GITHUB_STEP_SUMMARY
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer

# One folder per pipeline stage (README "Layout"); every .c below harness/ is built.
# The zygote's preload library (harness/assemble/sandbox/zygote.h) is built
# alone, from its constructor and the sandbox's child side, never into kvmcheck.
ZYGOTE_PRELOAD_SRC := harness/assemble/sandbox/zygote_preload.c
ZYGOTE_SRC := $(ZYGOTE_PRELOAD_SRC) $(addprefix harness/assemble/sandbox/,zygote.c child.c mountns.c landlock.c \
	seccomp.c paths.c) harness/core/proc.c harness/core/bytes.c
ZYGOTE_OBJ := $(patsubst harness/%.c,$(BUILD)/pic/%.o,$(ZYGOTE_SRC))
ZYGOTE_LIB := $(BUILD)/kvmcheck-zygote.so
HARNESS_SRC := $(filter-out $(ZYGOTE_PRELOAD_SRC),$(sort $(shell find harness -name '*.c')))
MAIN_SRC := harness/cli/main.c
LIB_SRC := $(filter-out $(MAIN_SRC),$(HARNESS_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))

# The firmware (guests/firmware/firmware.asm) is assembled by nasm at build
# time and carried inside kvmcheck as a generated C array.
FIRMWARE_BIN := $(BUILD)/gen/firmware.bin
FIRMWARE_SRC := $(BUILD)/gen/firmware_image.c
FIRMWARE_OBJ := $(BUILD)/obj/gen/firmware_image.o
FIRMWARE_ASAN_OBJ := $(BUILD)/asan/gen/firmware_image.o

OBJ := $(patsubst harness/%.c,$(BUILD)/obj/%.o,$(HARNESS_SRC)) $(FIRMWARE_OBJ)
LIB_OBJ := $(patsubst harness/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(FIRMWARE_OBJ)
ASAN_LIB_OBJ := $(patsubst harness/%.c,$(BUILD)/asan/%.o,$(LIB_SRC)) $(FIRMWARE_ASAN_OBJ)
UNIT_BIN := $(BUILD)/unit-tests
UNIT_ASAN_BIN := $(BUILD)/unit-tests-asan
KVM_UNIT_BIN := $(BUILD)/kvm-unit-tests

# Debian packages: to build, to run the tests, to run KVM inside QEMU.
DEPS_BUILD := gcc libc6-dev make pkg-config nasm libyaml-dev libxml2-dev libunicorn-dev libjansson-dev libpcre2-dev libxxhash-dev libcapstone-dev time
DEPS_CHECK := libcriterion-dev libxml2-utils perl python3-yaml chromium dosbox jq
DEPS_KVM := qemu-system-x86 busybox-static cpio xz-utils kmod

.PHONY: all run check check-unit check-e2e check-kvm check-fuzz fuzz bench deps deps-check deps-kvm install clean

all: $(BUILD)/kvmcheck $(ZYGOTE_LIB)

# -MMD -MP: each object depends on the headers it includes, and no more.
$(BUILD)/obj/%.o: harness/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: harness/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O1 $(SANITIZE) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# Loaded into nasm: position-independent, and exporting nothing that could
# stand in for a symbol of nasm's.
$(BUILD)/pic/%.o: harness/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

$(ZYGOTE_LIB): $(ZYGOTE_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-z,defs $^ -o $@

-include $(OBJ:.o=.d) $(ASAN_LIB_OBJ:.o=.d) $(ZYGOTE_OBJ:.o=.d)

$(FIRMWARE_BIN): guests/firmware/firmware.asm
	@mkdir -p $(@D)
	nasm -f bin -o $@ $<

$(FIRMWARE_SRC): $(FIRMWARE_BIN) guests/firmware/embed.sh
	guests/firmware/embed.sh $< $@

$(FIRMWARE_OBJ): $(FIRMWARE_SRC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -c $< -o $@

$(FIRMWARE_ASAN_OBJ): $(FIRMWARE_SRC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O1 $(SANITIZE) -c $< -o $@

$(BUILD)/kvmcheck: $(OBJ)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

$(UNIT_BIN): $(UNIT_SRC) $(LIB_OBJ) tests/unit/*.h | $(ZYGOTE_LIB)
	$(CC) $(CFLAGS_BASE) -O1 -Itests/unit $(PKG_CFLAGS) $(UNIT_SRC) $(LIB_OBJ) -o $@ $(LIBS) -lcriterion

$(UNIT_ASAN_BIN): $(UNIT_SRC) $(ASAN_LIB_OBJ) tests/unit/*.h | $(ZYGOTE_LIB)
	$(CC) $(CFLAGS_BASE) -O1 $(SANITIZE) -Itests/unit $(PKG_CFLAGS) $(UNIT_SRC) $(ASAN_LIB_OBJ) -o $@ $(LIBS) -lcriterion

# The backend tests alone (every guest on every backend; kvm rows skip where
# /dev/kvm does not work): make check-kvm runs them inside QEMU, where it does.
KVM_UNIT_SRC := tests/unit/test_backends.c tests/unit/test_modes.c tests/unit/test_instruction_count.c tests/unit/test_timer.c
$(KVM_UNIT_BIN): $(KVM_UNIT_SRC) $(LIB_OBJ) tests/unit/*.h
	$(CC) $(CFLAGS_BASE) -O1 -Itests/unit $(PKG_CFLAGS) $(KVM_UNIT_SRC) $(LIB_OBJ) -o $@ $(LIBS) -lcriterion

run: deps all
	./$(BUILD)/kvmcheck --allow-read guests --tap reports/kvmcheck.tap --junit reports/junit.xml cases/*.yaml

check: deps deps-check
	tests/timed.sh build $(MAKE) all
	tests/timed.sh unit $(MAKE) check-unit
	tests/timed.sh e2e $(MAKE) check-e2e
	tests/timed.sh fuzz $(MAKE) check-fuzz
	tests/timed.sh kvm-in-qemu tests/kvm-in-qemu/check-kvm-if-possible.sh

check-unit: $(UNIT_BIN) $(UNIT_ASAN_BIN) $(KVM_UNIT_BIN)
	./$(UNIT_BIN) --jobs 2
	@# Criterion passes a test whose process leaks at exit: read the log as well.
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./$(UNIT_ASAN_BIN) --jobs 2 \
		>$(BUILD)/unit-asan.log 2>&1; status=$$?; cat $(BUILD)/unit-asan.log; \
		if grep -qE 'LeakSanitizer|runtime error:' $(BUILD)/unit-asan.log; then \
			echo "check-unit: sanitizer reports above"; exit 1; fi; exit $$status
	./$(KVM_UNIT_BIN)

check-e2e: all
	tests/layering.sh
	tests/e2e/run.sh ./$(BUILD)/kvmcheck
	tests/hostile/run.sh ./$(BUILD)/kvmcheck
	tests/cpu/run.sh ./$(BUILD)/kvmcheck
	tests/determinism.sh ./$(BUILD)/kvmcheck

check-kvm: deps deps-check deps-kvm all $(KVM_UNIT_BIN)
	tests/kvm-in-qemu/check-kvm.sh

$(BUILD)/bench: bench/bench.c $(LIB_OBJ)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) $^ -o $@ $(LIBS)

$(BUILD)/bench-reports: bench/report_writers.c $(LIB_OBJ)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) $^ -o $@ $(LIBS)

$(BUILD)/nasm-after-start.so: bench/nasm_after_start.c
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -fPIC -shared $< -o $@

# libFuzzer targets (tests/fuzz/): a minute each in make check, ten in make fuzz.
check-fuzz: deps
	PKGS="$(PKGS)" tests/fuzz/run.sh 60

fuzz: deps
	PKGS="$(PKGS)" KVMCHECK_FUZZ_REPEAT=1 tests/fuzz/run.sh 600

bench: deps all $(BUILD)/bench $(BUILD)/bench-reports $(BUILD)/nasm-after-start.so
	bench/run.sh ./$(BUILD)/bench ./$(BUILD)/kvmcheck

# Installs what is missing with apt-get; a no-op when all is there.
deps:
	@tests/deps.sh $(DEPS_BUILD)
deps-check:
	@tests/deps.sh $(DEPS_CHECK)
deps-kvm:
	@tests/deps.sh $(DEPS_KVM)

install: all
	install -D -m 0755 $(BUILD)/kvmcheck $(DESTDIR)$(PREFIX)/bin/kvmcheck
	install -D -m 0644 $(ZYGOTE_LIB) $(DESTDIR)$(PREFIX)/lib/kvmcheck/kvmcheck-zygote.so

clean:
	rm -rf $(BUILD)
