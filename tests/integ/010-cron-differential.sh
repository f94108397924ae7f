#!/bin/bash
# Differential test of daemon/cron.c against the reference oracle
# (../shared/tools/cron_oracle.py, DESIGN §4).
#
# 1. Always: runs $VIBE_BUILD/tests/cronq over the committed vectors
#    (tests/vectors/cron.tsv) and requires zero disagreements.
# 2. When $VIBE_SHARED/tools/cron_oracle.py exists: draws 1,000 fresh
#    queries with a new seed (printed; set CRON_DIFF_SEED to replay) and
#    compares cronq with the oracle live.
#
# Agreement: valid expressions must give exactly the oracle's fires; for an
# invalid one our message must be the oracle's, optionally followed by a
# hint " (...)". Prints counts and the first few differences; exits 1 on
# any disagreement.
set -u
: "${VIBE_BUILD:?}" "${VIBE_SRC:?}"
cronq=$VIBE_BUILD/tests/cronq
vectors=$VIBE_SRC/tests/vectors/cron.tsv
gen=$VIBE_SRC/tests/vectors/gen-cron-vectors.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$cronq" ] || { echo "missing $cronq (build first)"; exit 1; }
status=0

# compare LABEL FILE: FILE holds EXPR ZONE START N EXPECTED lines.
compare() {
	local label=$1 file=$2
	grep -v '^#' "$file" | cut -f1-4 >"$tmp/q"
	grep -v '^#' "$file" | cut -f5 >"$tmp/want"
	"$cronq" <"$tmp/q" >"$tmp/got" || { echo "$label: cronq failed"; return 1; }
	paste "$tmp/q" "$tmp/want" "$tmp/got" | awk -F'\t' -v label="$label" '
	function agree(want, got) {
		if (want == got) return 1
		return want ~ /^error: / && index(got, want " (") == 1 &&
		       substr(got, length(got)) == ")"
	}
	{
		n++
		if ($5 ~ /^error: /) inv++
		if (!agree($5, $6)) {
			bad++
			if (bad <= 5)
				printf "  DIFF %s | %s | %s | n=%s\n    want: %s\n    got:  %s\n",
				       $1, $2, $3, $4, $5, $6
		}
	}
	END {
		printf "%s: %d cases (%d invalid), %d disagreements\n",
		       label, n, inv, bad
		exit bad > 0
	}'
}

compare "committed vectors" "$vectors" || status=1

oracle=${VIBE_SHARED:-}/tools/cron_oracle.py
if [ -n "${VIBE_SHARED:-}" ] && [ -f "$oracle" ]; then
	seed=${CRON_DIFF_SEED:-$(( $(date +%s) ^ $$ ))}
	echo "live: seed $seed (replay with CRON_DIFF_SEED=$seed)"
	if python3 "$gen" --seed "$seed" --count 1000 --oracle "$oracle" \
		--out "$tmp/live.tsv"; then
		compare "live oracle" "$tmp/live.tsv" || status=1
	else
		echo "live: generator failed"; status=1
	fi
else
	echo "live: skipped (no \$VIBE_SHARED/tools/cron_oracle.py)"
fi
exit $status
