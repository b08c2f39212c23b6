# aws-kinesis-agent (Go). `make demo` and `make test` are the two commands a newcomer needs.
SHELL := /bin/bash
GO ?= go
VERSION ?= 3.0.0
LDFLAGS := -s -w -X main.version=$(VERSION)
EMU := .ci/emulators

.PHONY: all build test test-short demo bench vet fmt emulators clean

all: build

build:
	@mkdir -p dist
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/aws-kinesis-agent ./cmd/aws-kinesis-agent
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/api_caller ./cmd/api_caller

emulators:
	@[ -d $(EMU)/node_modules/kinesalite ] || npm ci --prefix $(EMU) --no-audit --no-fund --omit=optional >/dev/null

vet:
	$(GO) vet ./...

# The one test command. Tests start kinesalite / kinesis-local themselves (internal/kinesistest).
test: emulators vet
	$(GO) test -count=1 -timeout 15m ./...

demo: build emulators
	./scripts/demo.sh

bench: build emulators
	./scripts/bench.sh

clean:
	rm -rf dist
