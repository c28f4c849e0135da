#!/usr/bin/env bash
# Runs every fuzz target of the main module (each `func FuzzX(f *testing.F)`
# in a _test.go file, found by grep, so a new target is picked up without
# editing this script) for FUZZTIME each, and prints one summary line per
# target: package, target, time, execs, new interesting inputs, result.
#
# Environment:
#   FUZZTIME      time per target, as go test's -fuzztime (default 20s: with
#                 the 12 targets of today that is 4 minutes of fuzzing plus
#                 about a minute of instrumented builds on a 2-core box)
#   FUZZPARALLEL  fuzzing workers per target (default: GOMAXPROCS)
#   FUZZKEEP      if 1, copy the inputs that found new coverage into each
#                 package's testdata/fuzz/FuzzX/ (to be committed)
#   FUZZTARGETS   a regular expression on "pkg.FuzzX" to run a subset
#
# Each target starts from its committed corpus (testdata/fuzz/FuzzX) and a
# fresh cache directory, so a CI run does not depend on earlier runs. A
# crash leaves its reproducer in testdata/fuzz/FuzzX/ (go test's own
# behaviour); the script goes on with the other targets and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-20s}
parallel=${FUZZPARALLEL:-}
keep=${FUZZKEEP:-0}
filter=${FUZZTARGETS:-.}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pkg<TAB>target for every fuzz target, skipping nested modules (folders
# starting with _ or ., as go ./... does) and testdata.
targets=$(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' . |
	grep -v -e '/_' -e '/\.' -e '/testdata/' |
	sed -E 's#^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1\t\2#' |
	sort -u | awk -F'\t' -v re="$filter" '($1 "." $2) ~ re')
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz target matches FUZZTARGETS=$filter" >&2
	exit 1
fi
echo "fuzz: $(echo "$targets" | wc -l) targets, $fuzztime each${parallel:+, $parallel workers}"

failed=0
summary=$work/summary
printf '%-12s %-18s %8s %12s %6s %s\n' package target time execs new result >"$summary"
while IFS=$'\t' read -r pkg target; do
	bin=$work/$(echo "$pkg" | tr / _).test
	if [ ! -x "$bin" ]; then
		go test -c -fuzz="^${target}\$" -o "$bin" "./$pkg"
	fi
	cache=$work/cache/$pkg
	log=$work/$(echo "$pkg" | tr / _).$target.log
	start=$(date +%s)
	result=ok
	(cd "$pkg" && "$bin" -test.run='^$' -test.fuzz="^${target}\$" -test.fuzztime="$fuzztime" \
		${parallel:+-test.parallel="$parallel"} -test.fuzzcachedir="$cache") >"$log" 2>&1 || result=FAIL
	secs=$(($(date +%s) - start))
	last=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+' "$log" | tail -1 || true)
	execs=$(echo "$last" | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
	new=0
	if [ -d "$cache/$target" ]; then
		new=$(find "$cache/$target" -type f | wc -l)
	fi
	if [ "$result" = FAIL ]; then
		failed=1
		echo "fuzz: $pkg $target failed:" >&2
		tail -40 "$log" >&2
	fi
	if [ "$keep" = 1 ] && [ "$new" -gt 0 ]; then
		mkdir -p "$pkg/testdata/fuzz/$target"
		cp "$cache/$target"/* "$pkg/testdata/fuzz/$target/"
	fi
	printf '%-12s %-18s %7ss %12s %6s %s\n' "$pkg" "$target" "$secs" "${execs:-?}" "$new" "$result" | tee -a "$summary"
done <<<"$targets"

echo "fuzz summary:"
cat "$summary"
if [ "$failed" = 1 ]; then
	echo "fuzz: a target failed; its reproducer is in the package's testdata/fuzz/" >&2
	exit 1
fi
echo "fuzz: ok"
