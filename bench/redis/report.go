package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// median returns the median of what f gives for rs.
func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func pick(rs []result, client string, conc int) []result {
	var out []result
	for _, r := range rs {
		if r.client == client && r.conc == conc {
			out = append(out, r)
		}
	}
	return out
}

// render writes the report: medians per scenario, ratios against the
// peers measured in the same run, then every run.
func render(rs []result, concs []int, clients []string, dur time.Duration, runs int, args, load string) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# Redis client benchmark: evmachine vs go-redis v9 vs rueidis\n\n")
	fmt.Fprintf(&b, "Written by `go run ./bench/redis %s` on %s (%s, %d CPU visible to the pinned client, %s), %s.\n\n",
		args, host, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "The machine is shared: %s.\n\n", load)
	fmt.Fprintf(&b, "GET/SET of 64-byte values against one local redis-server (`--save '' --appendonly no`),\n"+
		"each caller alternating SET and GET on a key of its own. The clients run in this process\n"+
		"pinned to one CPU (so GOMAXPROCS is 1), redis-server on another. *N callers*: evmachine\n"+
		"keeps N commands outstanding on one reactor (each issued from the previous one's callback);\n"+
		"go-redis and rueidis run N goroutines doing synchronous calls (go-redis with its default\n"+
		"pool, rueidis with its default auto-pipelining, client-side cache off). Each figure is the\n"+
		"median of %d runs of %v (after a warm-up); the runs interleave the clients. Client CPU is\n"+
		"getrusage(RUSAGE_SELF) of this process over the window; server CPU is redis-server's\n"+
		"utime+stime from /proc (10 ms ticks).\n\n", runs, dur)
	fmt.Fprintf(&b, "| callers | client | ops/s | client CPU µs/op | server CPU µs/op | client busy | server busy | vs rueidis ops/s | vs go-redis CPU/op |\n")
	fmt.Fprintf(&b, "|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range concs {
		rue := median(pick(rs, "rueidis", n), result.opsPerSec)
		gr := median(pick(rs, "go-redis", n), result.clientPerOp)
		for _, c := range clients {
			p := pick(rs, c, n)
			ops, cpu := median(p, result.opsPerSec), median(p, result.clientPerOp)
			vsRue, vsGr := "", ""
			if rue > 0 {
				vsRue = fmt.Sprintf("%.2f×", ops/rue)
			}
			if gr > 0 {
				vsGr = fmt.Sprintf("%.2f×", cpu/gr)
			}
			fmt.Fprintf(&b, "| %d | %s | %.0f | %.2f | %.2f | %.0f%% | %.0f%% | %s | %s |\n",
				n, c, ops, cpu, median(p, result.serverPerOp), 100*median(p, result.clientUtil), 100*median(p, result.serverUtil), vsRue, vsGr)
		}
	}
	fmt.Fprintf(&b, "\n*client busy* and *server busy* are each side's CPU time over the window, as a share of its\n"+
		"one CPU: near 100%% on the server side the single-threaded redis-server bounds ops/s; near 100%%\n"+
		"on the client side the client does; well below 100%% on both, round-trip latency (or, on a\n"+
		"loaded machine, the CPU time other processes take) does.\n\n## Every run\n\n")
	fmt.Fprintf(&b, "| run | callers | client | ops | ops/s | client CPU µs/op | server busy | client ctx switches vol/invol |\n|---:|---:|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %d | %d | %s | %d | %.0f | %.2f | %.0f%% | %d / %d |\n",
			r.run, r.conc, r.client, r.ops, r.opsPerSec(), r.clientPerOp(), 100*r.serverUtil(), r.volCS, r.involCS)
	}
	return b.String()
}
