# The two commands a newcomer needs (see README.md):
#   make demo    install what is missing, build, load the demo constituency, serve it
#   make check   install what is missing, build, run every test, also under ASan+UBSan
# and a few more for developers: build, bench, fuzz, format, clean.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DATA_DIR ?= var
LISTEN ?= 127.0.0.1:8080
FUZZ_SECONDS ?= 5

.PHONY: all build demo check browser-deps test test-asan test-fuzz bench fuzz format check-format clean deps

all: build

deps:
	@scripts/install-deps build

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DERMES_WERROR=ON >/dev/null
	@cmake --build build -j$(JOBS) --target ermes

demo: build
	@mkdir -p $(DATA_DIR)
	@./build/ermes init --demo --data-dir $(DATA_DIR) --admin-token-file $(DATA_DIR)/admin.token >/dev/null
	@if [ -z "$$(./build/ermes reports --data-dir $(DATA_DIR) --json --limit 1)" ]; then \
		echo "loading a week of demo Shadowserver reports about the demo constituency"; \
		for f in $$(scripts/make-demo-reports.py $(DATA_DIR)/demo-reports)/*.csv; do \
			./build/ermes ingest --feed shadowserver --data-dir $(DATA_DIR) "$$f" >/dev/null || exit 1; \
		done; fi
	@if [ ! -s $(DATA_DIR)/admin.password ]; then \
		umask 077; head -c 18 /dev/urandom | base64 | tr '+/' '-_' > $(DATA_DIR)/admin.password; \
		./build/ermes user passwd admin --data-dir $(DATA_DIR) < $(DATA_DIR)/admin.password >/dev/null; \
		head -c 18 /dev/urandom | base64 | tr '+/' '-_' > $(DATA_DIR)/uma.password; \
		./build/ermes user add uma --role constituent --org UMA --password-stdin \
			--data-dir $(DATA_DIR) < $(DATA_DIR)/uma.password >/dev/null; fi
	@echo
	@echo "ermes is starting on http://$(LISTEN) with the demo constituency in $(DATA_DIR)/"
	@echo "web interface: open http://$(LISTEN)/ and sign in as"
	@echo "  admin / $$(cat $(DATA_DIR)/admin.password)   (the CERT's administrator)"
	@echo "  uma   / $$(cat $(DATA_DIR)/uma.password)   (a constituent: the Union Medicines Agency's view)"
	@echo "admin API token (also in $(DATA_DIR)/admin.token):"
	@echo "  $$(cat $(DATA_DIR)/admin.token)"
	@echo "try, in another terminal:"
	@echo "  curl -H \"Authorization: Bearer \$$(cat $(DATA_DIR)/admin.token)\" http://$(LISTEN)/api/v1/organisations"
	@echo "  curl -H \"Authorization: Bearer \$$(cat $(DATA_DIR)/admin.token)\" 'http://$(LISTEN)/api/v1/lookup?ip=198.51.100.7'"
	@echo "  ./build/ermes lookup 198.51.100.7 --data-dir $(DATA_DIR)"
	@echo "stop it with Ctrl-C."
	@echo
	@exec ./build/ermes serve --data-dir $(DATA_DIR) --listen $(LISTEN)

# Every test: unit (cmocka) and integration (the real binary over HTTP), built with -Werror;
# then the same suite under AddressSanitizer and UndefinedBehaviorSanitizer; then each fuzz
# target for a few seconds on its seed corpus.
check: test test-asan test-fuzz
	@echo "make check: all test suites passed"

# The browser tests' node modules (playwright-core), as pinned by tests/browser/package-lock.json.
browser-deps:
	@if [ ! tests/browser/node_modules/.package-lock.json -nt tests/browser/package-lock.json ]; then \
		cd tests/browser && npm ci --no-audit --no-fund --loglevel=error; fi

test:
	@scripts/install-deps test
	@$(MAKE) --no-print-directory browser-deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DERMES_WERROR=ON >/dev/null
	@cmake --build build -j$(JOBS)
	@cd build && ERMES_REQUIRE_BROWSER=1 ctest -j$(JOBS) --output-on-failure

test-asan:
	@scripts/install-deps test
	@$(MAKE) --no-print-directory browser-deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DERMES_WERROR=ON -DERMES_SANITIZE=ON \
		-DERMES_BENCH=OFF >/dev/null
	@cmake --build build-asan -j$(JOBS)
	@cd build-asan && ERMES_REQUIRE_BROWSER=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -j$(JOBS) --output-on-failure

test-fuzz:
	@scripts/install-deps test
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DERMES_FUZZ=ON \
		-DERMES_BENCH=OFF -DERMES_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build build-fuzz -j$(JOBS)
	@cd build-fuzz && ctest -R '^fuzz\.' --output-on-failure

# Long fuzzing by hand: make fuzz FUZZ_SECONDS=600
fuzz: test-fuzz

bench:
	@scripts/install-deps build bench
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DERMES_WERROR=ON -DERMES_BENCH=ON >/dev/null
	@cmake --build build -j$(JOBS)
	@bench/run-all.sh build

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	@scripts/check-format

clean:
	rm -rf build build-asan build-fuzz
