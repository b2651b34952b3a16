package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/evmachine/evmachine/bench/internal/procfs"
)

// report prints the medians as Markdown tables.
func report(rounds int, bulkBytes int64, conns int, dur time.Duration, bulkMBps, bulkCPU map[string][]float64, pp map[string][]pingpongResult, only string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Medians of %d rounds, loopback, %d CPUs, %s/%s, %s; load average at the end %s.\n",
		rounds, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), procfs.LoadAvg())
	if only != "pingpong" {
		bulkTable(&b, bulkBytes, bulkMBps, bulkCPU)
	}
	if only != "bulk" {
		pingpongTable(&b, conns, dur, pp)
	}
	fmt.Print(b.String())
}

func bulkTable(b *strings.Builder, bulkBytes int64, mbps, cpu map[string][]float64) {
	id := func(x float64) float64 { return x }
	fmt.Fprintf(b, "\nBulk transfer, 1 connection, 64 KiB writes, %d MiB per run:\n\n", bulkBytes>>20)
	fmt.Fprintf(b, "| path | MB/s | proxy CPU s/GB | MB/s of each run |\n|---|---:|---:|---|\n")
	for _, mode := range []string{"direct", "relay", "relay-nosplice", "iocopy"} {
		runs := make([]string, len(mbps[mode]))
		for i, v := range mbps[mode] {
			runs[i] = fmt.Sprintf("%.0f", v)
		}
		c := "–"
		if mode != "direct" {
			c = fmt.Sprintf("%.2f", median(cpu[mode], id))
		}
		fmt.Fprintf(b, "| %s | %.0f | %s | %s |\n", label(mode), median(mbps[mode], id), c, strings.Join(runs, ", "))
	}
}

func pingpongTable(b *strings.Builder, conns int, dur time.Duration, pp map[string][]pingpongResult) {
	fmt.Fprintf(b, "\nPing-pong, %d connections, one 64-byte message in flight each, %v per run:\n\n", conns, dur)
	fmt.Fprintf(b, "| path | round trips/s | proxy CPU µs/round trip | proxy RSS KiB | proxy peak RSS KiB | proxy ctx switches/s |\n|---|---:|---:|---:|---:|---:|\n")
	for _, mode := range []string{"direct", "relay", "iocopy"} {
		rs := pp[mode]
		rtps := median(rs, func(r pingpongResult) float64 { return r.rtps })
		name := label(mode)
		if mode == "relay" {
			name = "evmachine relay" // small messages take the copy path either way
		}
		if mode == "direct" {
			fmt.Fprintf(b, "| %s | %.0f | – | – | – | – |\n", name, rtps)
			continue
		}
		fmt.Fprintf(b, "| %s | %.0f | %.2f | %.0f | %.0f | %.0f |\n", name, rtps,
			median(rs, func(r pingpongResult) float64 { return us(r.cpuPerTrip) }),
			median(rs, func(r pingpongResult) float64 { return float64(r.rssKiB) }),
			median(rs, func(r pingpongResult) float64 { return float64(r.hwmKiB) }),
			median(rs, func(r pingpongResult) float64 { return r.ctxSwitchPerSec }))
	}
}

func label(mode string) string {
	switch mode {
	case "direct":
		return "direct (no proxy)"
	case "relay":
		return "evmachine relay (splice)"
	case "relay-nosplice":
		return "evmachine relay (no splice)"
	case "iocopy":
		return "Go io.Copy proxy (2 goroutines/conn)"
	}
	return mode
}
