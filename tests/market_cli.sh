#!/usr/bin/env bash
# End-to-end checks of `alchemiser data`.  Usage: market_cli.sh ALCHEMISER TMPDIR
# Prints "N passed, N failed" and exits non-zero on any failure.
ALC=$1
T=$2
CASE=market_cli
. "$(dirname "$0")/lib.sh" # environment, ok, bad, has, alc_summary
rm -rf "$T" && mkdir -p "$T" || exit 1

# expect STATUS CMD... : run, capture stdout/stderr in $T/out, $T/err
expect() {
    want=$1; shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "exit $got (want $want): $*"; cat "$T/err"; fi
}

# usage errors: exit 2
expect 2 "$ALC" data
expect 2 "$ALC" data frobnicate
has "$T/err" "unknown subcommand 'frobnicate'"
expect 2 "$ALC" data synth
has "$T/err" "--out PATH is required"
expect 2 "$ALC" data synth --out "$T/x.h5" --seed abc
expect 2 "$ALC" data synth --out "$T/x.h5" --seed -1
expect 2 "$ALC" data synth --out "$T/x.h5" --from 2020-02-30
expect 2 "$ALC" data synth --out "$T/x.h5" --from 2021-01-01 --to 2020-01-01
expect 2 "$ALC" data synth --out "$T/x.h5" --bogus
expect 2 "$ALC" data synth --out "$T/x.h5" --tickers spy
expect 2 "$ALC" data import onlyone
expect 2 "$ALC" data info
expect 0 "$ALC" data --help
has "$T/out" "usage: alchemiser data import"

# synth -> HDF5, info text and JSON
expect 0 "$ALC" data synth --out "$T/s.h5" --seed 7 --from 2020-01-01 --to 2020-03-31
has "$T/out" "50 tickers x 65 bars, seed 7"
[ ! -e "$T/s.h5.tmp.$$" ] && ok || bad "temp file left"
expect 0 "$ALC" data info "$T/s.h5"
has "$T/out" "tickers: 50, bars: 3250, dates: 2020-01-01 .. 2020-03-31"
has "$T/out" "TQQQ            65  2020-01-01  2020-03-31"
expect 0 "$ALC" data info --json "$T/s.h5"
has "$T/out" '"format":	"hdf5"'
[ "$(grep -c '"ticker":' "$T/out")" -eq 50 ] && ok || bad "json: not 50 tickers"

# same seed, same bytes; other seed, other bytes
expect 0 "$ALC" data synth --out "$T/s2.h5" --seed=7 --from=2020-01-01 --to=2020-03-31
cmp -s "$T/s.h5" "$T/s2.h5" && ok || bad "same seed gave different files"
expect 0 "$ALC" data synth --out "$T/s3.h5" --seed 8 --from 2020-01-01 --to 2020-03-31
cmp -s "$T/s.h5" "$T/s3.h5" && bad "different seeds gave identical files" || ok

# synth --csv -> import -> same market
expect 0 "$ALC" data synth --csv --out "$T/csv" --seed 7 --from 2020-01-01 --to 2020-03-31 \
    --tickers SPY,TQQQ,NEW1
[ "$(ls "$T/csv" | wc -l)" -eq 3 ] && ok || bad "csv dir should hold 3 files"
has "$T/csv/NEW1.csv" "date,open,high,low,close,volume"
expect 0 "$ALC" data import "$T/csv" "$T/imported.h5"
has "$T/out" "3 tickers, 195 bars"
"$ALC" data info "$T/csv" | tail -n +2 >"$T/info_csv"
"$ALC" data info "$T/imported.h5" | tail -n +2 >"$T/info_h5"
cmp -s "$T/info_csv" "$T/info_h5" && ok || bad "info differs between CSV and imported HDF5"
"$ALC" data synth --out "$T/sub.h5" --seed 7 --from 2020-01-01 --to 2020-03-31 \
    --tickers SPY,TQQQ,NEW1 >/dev/null
cmp -s "$T/sub.h5" "$T/imported.h5" && ok || bad "import of synth CSV != synth HDF5"

# data errors: exit 1, "alchemiser data: file:line: message"
mkdir -p "$T/bad"
printf 'date,open,high,low,close,volume\n2019-01-02,1,2,0.5,1.5,10\n2019-01-03,1,2,0.5,oops,10\n' \
    >"$T/bad/BAD.csv"
expect 1 "$ALC" data import "$T/bad" "$T/bad.h5"
has "$T/err" "alchemiser data: $T/bad/BAD.csv:3:"
has "$T/err" "close: cannot parse 'oops'"
[ ! -e "$T/bad.h5" ] && ok || bad "failed import created output"
expect 1 "$ALC" data info "$T/nonexistent.h5"
has "$T/err" "alchemiser data: $T/nonexistent.h5: cannot access"
mkdir -p "$T/nocsv"
expect 1 "$ALC" data info "$T/nocsv"
has "$T/err" "no TICKER.csv files"
expect 1 "$ALC" data import "$T/csv" "$T/no-such-dir/out.h5"
has "$T/err" "no-such-dir/out.h5"

alc_summary
