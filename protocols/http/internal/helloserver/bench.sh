#!/usr/bin/env bash
# Hello-world keep-alive GET: evmachine's Server against net/http, same run.
# Server pinned to CPU 0, wrk to CPU 1 (taskset); each cell runs ROUNDS
# times, alternating the servers, and the median is reported.
#
#   protocols/http/internal/helloserver/bench.sh            # 100 and 10000 connections
#   CONNS="100" ROUNDS=5 DURATION=10s protocols/http/internal/helloserver/bench.sh
#
# Needs wrk (apt-get install -y wrk) and a file limit of at least 20,000
# for 10,000 connections (the script raises the soft limit).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
CONNS=${CONNS:-"100 10000"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
ADDR=${ADDR:-127.0.0.1:8090}
BIN=$(mktemp -d)/helloserver
ulimit -n 20000
go build -o "$BIN" ./protocols/http/internal/helloserver
PIN_SRV=""; PIN_WRK=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN_SRV="taskset -c 0"; PIN_WRK="taskset -c 1"; fi

cputicks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# one IMPL CONNS -> "reqs/s p99_ms rss_kb cpu_us_per_req"
one() {
	local impl=$1 c=$2 threads=1
	[ "$c" -gt 1000 ] && threads=2
	$PIN_SRV "$BIN" -impl "$impl" -addr "$ADDR" >/dev/null &
	local pid=$!
	for _ in $(seq 50); do (echo >/dev/tcp/${ADDR%:*}/${ADDR#*:}) 2>/dev/null && break; sleep 0.1; done
	local t0; t0=$(cputicks $pid)
	local out; out=$($PIN_WRK wrk -t$threads -c"$c" -d"$DURATION" --timeout 10s --latency "http://$ADDR/")
	local t1; t1=$(cputicks $pid)
	local rss; rss=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
	kill $pid; wait $pid 2>/dev/null || true
	local rps p99 n errs
	rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
	p99=$(awk '$1=="99%"{v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
	n=$(awk '/requests in/{print $1}' <<<"$out")
	errs=$(awk '/Socket errors/{print $0}' <<<"$out")
	[ -n "$errs" ] && echo "  ($impl c=$c: $errs)" >&2
	local tck; tck=$(getconf CLK_TCK)
	echo "$rps $p99 $rss $(awk -v d=$((t1 - t0)) -v n="$n" -v h="$tck" 'BEGIN{printf "%.1f", d/h*1e6/n}')"
	sleep 1
}

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "| server | conns | req/s | p99 latency (ms) | peak RSS (MiB) | server CPU per request (µs) |"
echo "|---|---:|---:|---:|---:|---:|"
for c in $CONNS; do
	declare -A R=()
	for round in $(seq "$ROUNDS"); do
		for impl in evm nethttp; do
			R[$impl]+="$(one "$impl" "$c")"$'\n'
		done
	done
	for impl in evm nethttp; do
		rows=$(printf '%s' "${R[$impl]}" | sed '/^$/d')
		rps=$(awk '{print $1}' <<<"$rows" | median)
		p99=$(awk '{print $2}' <<<"$rows" | median)
		rss=$(awk '{print $3}' <<<"$rows" | median)
		cpu=$(awk '{print $4}' <<<"$rows" | median)
		name=$([ "$impl" = evm ] && echo "evmachine protocols/http" || echo "net/http")
		printf '| %s | %s | %.0f | %s | %.1f | %s |\n' "$name" "$c" "$rps" "$p99" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$cpu"
	done
	unset R
done
