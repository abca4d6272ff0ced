# zkmesh build and test entry points. CI runs .ci/run, which runs `make test`.
# Only targets that work belong here.

GO        ?= go
TIMEOUT   ?= 15m
FUZZTIME  ?= 60s
SEEDS     ?= 500
# Kazoo modes checked by `make test` / `make kazoo`: standalone, cluster or both.
KAZOO_MODE ?= both

.PHONY: test vet unit fuzz-short fuzz lint sim kazoo kazoo-apache difftest

## test: vet, unit and integration tests with -race, 20,000 execs of each fuzz target,
## then kazoo's own suite against zkmesh with the bar checked.
test: vet unit fuzz-short kazoo

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout $(TIMEOUT) ./...

## fuzz-short: every Fuzz target of every package for 20,000 executions (a
## count, not a duration: see scripts/fuzz.sh).
fuzz-short:
	scripts/fuzz.sh 20000x

## fuzz: every Fuzz target for FUZZTIME (default 60s).
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## lint: gofmt clean, go vet clean, go.mod/go.sum tidy.
lint:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt -l reports:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

## sim: the deterministic simulator over SEEDS seeds.
sim:
	$(GO) test -count=1 ./internal/sim -run TestSeeds -seeds=$(SEEDS) -timeout 0

## kazoo: kazoo 2.8.0's own suite against zkmesh; fails below the bar in
## scripts/kazoo-bar.txt (Apache ZooKeeper's own result on this machine).
kazoo:
	scripts/kazoo-suite.sh --target zkmesh --mode $(KAZOO_MODE) --bar scripts/kazoo-bar.txt

## kazoo-apache: the same suite against Apache ZooKeeper, to re-measure the bar.
kazoo-apache:
	scripts/kazoo-suite.sh --target apache --mode $(KAZOO_MODE) --bar scripts/kazoo-bar.txt

## difftest: the differential harness and zkCli comparison, verbose.
difftest:
	$(GO) test -race -count=1 -v -run 'Test(ApacheVs|ZkCli)' ./internal/difftest
