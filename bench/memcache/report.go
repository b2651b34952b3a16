package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// median of the samples' values of f.
func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// cell is the medians of one client in one scenario.
type cell struct {
	ops, clientUs, serverUs, serverShare, perWrite float64
	errs                                           int64
}

func cellOf(ss []sample) cell {
	c := cell{
		ops:         median(ss, sample.opsPerSec),
		clientUs:    median(ss, sample.clientUsPerOp),
		serverUs:    median(ss, sample.serverUsPerOp),
		serverShare: median(ss, sample.serverShare),
		perWrite:    median(ss, sample.perWrite),
	}
	for _, s := range ss {
		c.errs += s.errs
	}
	return c
}

// report renders the results as Markdown.
func report(res map[runKey][]sample, env environment, rounds int, dur time.Duration) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# memcached clients: evmachine vs bradfitz/gomemcache\n\n")
	p("Written by `go run ./bench/memcache` (bench/memcache/main.go says how it measures). ")
	p("%s; %s; %d CPUs (load average %s at the start, %s at the end: the machine is shared); memcached %s with one worker thread (`-t 1`). ",
		env.date, env.goVersion, env.cpus, env.loadBefore, env.loadAfter, env.memcached)
	p("GET and SET of 64-byte values (100 keys); each figure is the median of %d runs of %v, ", rounds, dur)
	p("the clients interleaved in each round, each run in its own process. ")
	p("evmachine: one Client, one connection, N commands outstanding on the loop. ")
	p("gomemcache: N goroutines, one command after the other each, N idle connections.\n\n")
	p("Client CPU is the client process's user + system time per operation; memcached's CPU is sampled over the same window.\n\n")
	p("| op | callers | client | ops/s | client CPU µs/op | memcached CPU µs/op | memcached CPU (share of a core) | commands per write | errors |\n")
	p("|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, sc := range scenarios() {
		for _, cl := range clients {
			c := cellOf(res[runKey{cl, sc}])
			pw := "1"
			if cl == "evmachine" {
				pw = fmt.Sprintf("%.1f", c.perWrite)
			}
			p("| %s | %d | %s | %.0f | %.2f | %.2f | %.0f%% | %s | %d |\n",
				strings.ToUpper(sc.op), sc.conc, cl, c.ops, c.clientUs, c.serverUs, 100*c.serverShare, pw, c.errs)
		}
	}
	p("\n## evmachine relative to gomemcache\n\n")
	p("| op | callers | ops/s ratio | client CPU per op ratio |\n|---|---:|---:|---:|\n")
	for _, sc := range scenarios() {
		e, g := cellOf(res[runKey{"evmachine", sc}]), cellOf(res[runKey{"gomemcache", sc}])
		p("| %s | %d | %.2fx | %.2fx |\n", strings.ToUpper(sc.op), sc.conc, e.ops/g.ops, e.clientUs/g.clientUs)
	}
	p("\n## The issue's target at 1,000 outstanding\n\n")
	p("At least gomemcache's ops/s, and at most half its client CPU per operation.\n\n")
	for _, op := range ops {
		sc := scenario{op, 1000}
		e, g := cellOf(res[runKey{"evmachine", sc}]), cellOf(res[runKey{"gomemcache", sc}])
		p("- %s: ops/s %.0f vs %.0f (%s); client CPU %.2f vs %.2f µs/op, %.2fx (%s). ",
			strings.ToUpper(op), e.ops, g.ops, verdict(e.ops >= g.ops), e.clientUs, g.clientUs, e.clientUs/g.clientUs, verdict(e.clientUs <= g.clientUs/2))
		p("memcached used %.0f%% of a core for evmachine (%.2f µs/op) and %.0f%% for gomemcache (%.2f µs/op); ",
			100*e.serverShare, e.serverUs, 100*g.serverShare, g.serverUs)
		p("the evmachine client used %.0f%% of a core%s.\n", e.ops*e.clientUs/1e4, bound(e))
	}
	p("\n## Reading the figures\n\n")
	p("- At 1 caller both clients wait for each reply before the next command: the figure is the loopback round trip, ")
	p("and both pay a write, a read and a wake-up per operation.\n")
	p("- With more callers gomemcache still pays a write and a read per operation, on as many connections as goroutines; ")
	p("evmachine writes the commands of a loop iteration together on one connection (the commands-per-write column), ")
	p("so its CPU per operation falls as the batches grow. New commands are held while memcached has more than twice as many ")
	p("to answer, so a deep pipeline goes out in large writes; the replies still come back in the pieces memcached writes them in, ")
	p("each a wake-up and a read for the client.\n")
	p("- memcached runs with one worker thread, so it can use at most one core; the share of a core says how close it came. ")
	p("Client, memcached and the rest of the machine share %d CPUs.\n", env.cpus)
	p("- The evmachine client keeps at most 32 KiB of commands unanswered (WithMaxPipelineBytes): an unbounded pipeline of ")
	p("SETs overran memcached's socket receive queue on loopback, the kernel dropped segments and the connection stalled ")
	p("for retransmission timeouts.\n")
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

// bound says what limited the evmachine run: memcached's one worker
// thread when it used nearly a whole core, the client's one loop when it
// did, else neither.
func bound(e cell) string {
	client := e.ops * e.clientUs / 1e6
	switch {
	case e.serverShare >= 0.9:
		return "; memcached's single worker thread was saturated: it was the limit"
	case client >= 0.9:
		return "; the client's loop was saturated: it was the limit"
	}
	return "; neither process used a whole core: the run was bound by wake-ups (each read of replies waits for memcached's next write) and by the machine's other load"
}
