#!/usr/bin/env bash
# Runs every Fuzz target of every package for FUZZTIME each (default 2s).
#
# Usage: scripts/fuzz.sh [FUZZTIME] [packages...]
#   FUZZTIME  a go test -fuzztime value (20000x, 60s)
#
# CI uses a count (Nx), never a duration: with a duration, Go 1.26's fuzz
# coordinator can report "context deadline exceeded" at the deadline with no
# failing input (golang/go#75804, fixed in Go 1.27), which would fail a run
# that found nothing. A count has no deadline to race.
#   packages  import paths or patterns (default ./...)
#
# `go test -fuzz` takes one package and one target at a time, so the targets
# are listed per package with `go test -list` and run one by one. New
# findings are written under the package's testdata/fuzz as usual.
set -euo pipefail
fuzztime="${1:-20000x}"
shift || true
pkgs=("$@")
[[ ${#pkgs[@]} -eq 0 ]] && pkgs=(./...)

cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=0
for pkg in $(go list "${pkgs[@]}"); do
	targets="$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)"
	for t in $targets; do
		echo "fuzz $pkg $t for $fuzztime"
		go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg"
		n=$((n + 1))
	done
done
echo "fuzz: ran $n targets for $fuzztime each"
