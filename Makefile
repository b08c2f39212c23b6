# aws-kinesis-agent (Go). `make demo` and `make test` are the two commands a newcomer needs.
SHELL := /bin/bash
GO ?= go
VERSION ?= 3.0.0
LDFLAGS := -s -w -X main.version=$(VERSION)
EMU := .ci/emulators

.PHONY: all build test test-race soak demo bench vet fmt emulators clean

all: build

build:
	@mkdir -p dist
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/aws-kinesis-agent ./cmd/aws-kinesis-agent
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/api_caller ./cmd/api_caller

emulators:
	@[ -d $(EMU)/node_modules/kinesalite ] || npm ci --prefix $(EMU) --no-audit --no-fund --omit=optional >/dev/null

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

# The one test command. Tests start kinesalite / kinesis-local themselves (internal/kinesistest).
test: emulators vet
	$(GO) test -count=1 -timeout 15m ./...

# Every test again under the race detector (needs cgo: a C compiler). CI runs it after `make test`.
test-race: emulators
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...

# The long fault suite (docs/RELIABILITY.md): SIGKILL/SIGTERM under load, outages, throttling, ...
soak: emulators
	AGENT_SOAK=1 $(GO) test -count=1 -timeout 30m ./internal/reliability/...

demo: build emulators
	./scripts/demo.sh

bench: build emulators
	./scripts/bench.sh

clean:
	rm -rf dist

# ---- Packages (packaging/, docs/INSTALL.md). nfpm v2.45.2 is pinned in the nested module tools/. ----
NFPM := .bin/nfpm
PKG_ARCHS ?= amd64 arm64

.PHONY: package package-test

$(NFPM): tools/go.mod tools/go.sum
	$(GO) -C tools build -o ../$(NFPM) github.com/goreleaser/nfpm/v2/cmd/nfpm

# dist/aws-kinesis-agent-$(VERSION)-1.{x86_64,aarch64}.rpm and dist/aws-kinesis-agent_$(VERSION)-1_{amd64,arm64}.deb
package: $(NFPM)
	@set -e; for arch in $(PKG_ARCHS); do \
	  mkdir -p dist/linux_$$arch; \
	  echo "go build linux/$$arch"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/linux_$$arch/aws-kinesis-agent ./cmd/aws-kinesis-agent; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/linux_$$arch/api_caller ./cmd/api_caller; \
	  for fmt in rpm deb; do VERSION=$(VERSION) ARCH=$$arch $(NFPM) package --config packaging/nfpm.yaml --packager $$fmt --target dist/; done; \
	done

package-test: package
	VERSION=$(VERSION) NFPM=$(NFPM) packaging/test.sh
