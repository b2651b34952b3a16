package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The markers around this benchmark's section of the report file.
const (
	beginMark = "<!-- bench/jobs: begin (written by go run ./bench/jobs) -->"
	endMark   = "<!-- bench/jobs: end -->"
)

// target is the ratio of jobs per CPU-second the Go worker must reach
// against Sidekiq's.
const target = 5.0

type report struct {
	settings settings
	drains   []drain
	enqueues []enqueue
	took     time.Duration
	load     string
	versions string
	notes    string // bench/jobs/NOTES.md, hand-written, drawn in as it is
}

// write replaces the section between the markers in file (or appends it).
func (r report) write(file string) error {
	old, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(file, []byte(splice(string(old), r.section())), 0o644)
}

// splice puts section in place of the marked one in doc, or at its end.
func splice(doc, section string) string {
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i >= 0 && j > i {
		return doc[:i] + section + doc[j+len(endMark):]
	}
	if doc != "" && !strings.HasSuffix(doc, "\n\n") {
		doc = strings.TrimRight(doc, "\n") + "\n\n"
	}
	return doc + section + "\n"
}

func (r report) byWorker(name string) []drain {
	var out []drain
	for _, d := range r.drains {
		if d.Worker == name {
			out = append(out, d)
		}
	}
	return out
}

func (r report) byClient(name string) []enqueue {
	var out []enqueue
	for _, q := range r.enqueues {
		if q.Client == name {
			out = append(out, q)
		}
	}
	return out
}

func names[T any](xs []T, f func(T) string) []string {
	var out []string
	for _, x := range xs {
		if n := f(x); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// section renders the report's section, markers included.
func (r report) section() string {
	var b strings.Builder
	s := r.settings
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "%s\n## Background jobs: evmachine's `jobs` against Ruby Sidekiq 6.4 (bench/jobs)\n\n", beginMark)
	fmt.Fprintf(&b, "Written by `go run ./bench/jobs -rounds %d -go-jobs %d -ruby-jobs %d` on %s (%s, %d CPUs, %s; %s) "+
		"at %s, in %s. **The machine was shared** with other work: load average %s at the end.\n\n",
		s.rounds, s.goJobs, s.rubyJobs, host, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), r.versions,
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), r.took.Round(time.Second), r.load)

	gw, rw := r.byWorker("evmachine jobs"), r.byWorker("Sidekiq 6.4")
	gPer, rPer := median(gw, drain.jobsPerCPU), median(rw, drain.jobsPerCPU)
	verdict := "not met"
	if rPer > 0 && gPer/rPer >= target {
		verdict = "met"
	}
	fmt.Fprintf(&b, "| target (same run, medians of %d rounds) | evmachine jobs | Sidekiq 6.4 | ratio | verdict |\n|---|---:|---:|---:|---|\n", s.rounds)
	fmt.Fprintf(&b, "| no-op jobs per CPU-second of the worker process, >= %.0fx Sidekiq's | %.0f | %.0f | %.2fx | %s |\n",
		target, gPer, rPer, safeDiv(gPer, rPer), verdict)
	gRate, rRate := median(gw, drain.jobsPerSec), median(rw, drain.jobsPerSec)
	fmt.Fprintf(&b, "| (for scale) no-op jobs per second | %.0f | %.0f | %.2fx | |\n\n", gRate, rRate, safeDiv(gRate, rRate))

	fmt.Fprintf(&b, "### Drain: no-op jobs, concurrency %d, one local redis-server\n\n", s.concurrency)
	b.WriteString("| worker | jobs per round | jobs/s | worker CPU µs/job | jobs per CPU-second | redis-server CPU µs/job | Redis commands per job |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, ws := range [][]drain{gw, r.byWorker("evmachine jobs, reliable fetch"), rw} {
		if len(ws) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.1f | %.0f | %.1f | %s |\n", ws[0].Worker, ws[0].Jobs,
			median(ws, drain.jobsPerSec), median(ws, func(d drain) float64 { return us(d.CPU) / float64(d.Jobs) }),
			median(ws, drain.jobsPerCPU), median(ws, func(d drain) float64 { return us(d.RedisCPU) / float64(d.Jobs) }),
			commandMix(ws[len(ws)/2]))
	}
	b.WriteString("\nEach round preloads the jobs under another key and RENAMEs it into the worker's queue, which wakes the\n" +
		"worker's blocked BRPOPs; the round ends when the queue is empty (then at most -concurrency no-op jobs are\n" +
		"still running). CPU is each process's utime+stime from /proc (10 ms ticks) over the round. Commands per job\n" +
		"are INFO commandstats over the round (after CONFIG RESETSTAT), less the harness's own LLEN polls and\n" +
		"RENAME; they count the commands a script runs as well as the script (EVALSHA and the RPOP it runs are\n" +
		"one command on the wire). The other worker idles meanwhile (a BRPOP timing out every 2 s per processor, a heartbeat every\n" +
		"5 s), which adds a few commands to a round.\n\n")

	r.bounds(&b, gw, r.byWorker("evmachine jobs, reliable fetch"), rw)
	if r.notes != "" {
		b.WriteString(strings.TrimSpace(r.notes) + "\n\n")
	}

	fmt.Fprintf(&b, "### Enqueue\n\n| client | jobs per round | jobs/s | jobs per CPU-second of the client |\n|---|---:|---:|---:|\n")
	for _, name := range names(r.enqueues, func(q enqueue) string { return q.Client }) {
		qs := r.byClient(name)
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.0f |\n", name, qs[0].Jobs, median(qs, enqueue.jobsPerSec), median(qs, enqueue.jobsPerCPU))
	}
	b.WriteString("\nEach client is a process of its own and times the enqueueing alone (its start-up and connection\n" +
		"excluded): wall time and its own CPU time (getrusage, Process.clock_gettime). Every job is then counted in\n" +
		"the queue. Enqueue is SADD queues + LPUSH per job, pipelined by the loop; Sidekiq::Client.push waits for\n" +
		"each push's reply before the next.\n\n")

	b.WriteString("### Every round\n\n| round | side | jobs | seconds | CPU seconds | jobs/s | jobs per CPU-second |\n|---:|---|---:|---:|---:|---:|---:|\n")
	for _, d := range r.drains {
		fmt.Fprintf(&b, "| %d | drain: %s | %d | %.3f | %.2f | %.0f | %.0f |\n", d.Round, d.Worker, d.Jobs,
			d.Elapsed.Seconds(), d.CPU.Seconds(), d.jobsPerSec(), d.jobsPerCPU())
	}
	for _, q := range r.enqueues {
		fmt.Fprintf(&b, "| %d | enqueue: %s | %d | %.3f | %.2f | %.0f | %.0f |\n", q.Round, q.Client, q.Jobs,
			q.Wall.Seconds(), q.CPU.Seconds(), q.jobsPerSec(), q.jobsPerCPU())
	}
	b.WriteString("\n" + endMark)
	return b.String()
}

// bounds writes what bounds the drain, from the round's figures.
func (r report) bounds(b *strings.Builder, gw, relw, rw []drain) {
	if len(gw) == 0 || len(rw) == 0 {
		return
	}
	cpu := func(d drain) float64 { return us(d.CPU) / float64(d.Jobs) }
	rcpu := func(d drain) float64 { return us(d.RedisCPU) / float64(d.Jobs) }
	mid := func(ds []drain) drain { return ds[len(ds)/2] }
	fmt.Fprintf(b, "### What bounds the drain\n\n"+
		"A no-op job costs its fetch and nothing else on either side: no per-job write back (both count\n"+
		"processed and failed jobs in memory and flush them with the heartbeat every 5 s). Sidekiq makes one\n"+
		"Redis round trip per job (commands per job %s): each of its %d processors BRPOPs on a connection of\n"+
		"its own and sends the next BRPOP when its job is done, so every job pays a write, a read and a\n"+
		"wake-up, and %.1f µs of CPU in Ruby (under the GVL: the fetch, the job's JSON, the middleware chain,\n"+
		"the processor's bookkeeping) against redis-server's %.1f µs.\n\n",
		commandMix(mid(rw)), r.settings.concurrency, median(rw, cpu), median(rw, rcpu))
	fmt.Fprintf(b, "The Go worker sends its fetches over its one pipelined connection while the queues have jobs (a\n"+
		"script that pops the next job: commands per job %s) and falls back to BRPOP on a connection of the\n"+
		"blocking pool only when they are empty. The loop writes the fetches of all %d slots in one write and\n"+
		"reads their replies in one read, so several jobs share each round trip: %.1f µs of worker CPU per job,\n"+
		"redis-server %.1f µs.",
		commandMix(mid(gw)), r.settings.concurrency, median(gw, cpu), median(gw, rcpu))
	if len(relw) > 0 {
		fmt.Fprintf(b, " Reliable fetch adds the working list (%s): %.1f µs, redis-server %.1f µs.",
			commandMix(mid(relw)), median(relw, cpu), median(relw, rcpu))
	}
	b.WriteString(" What is left per job is the hand-off to the slot's goroutine and back to the loop (the futex\n" +
		"and nanosleep calls below) and redis-server's own work; the round trips are no longer one per job.\n\n")
}

// commandMix lists the commands of a round per job, most frequent first,
// leaving out those under 0.01 per job.
func commandMix(d drain) string {
	type kv struct {
		k string
		v float64
	}
	var l []kv
	var total float64
	for k, v := range d.Commands {
		per := float64(v) / float64(d.Jobs)
		total += per
		if per >= 0.01 {
			l = append(l, kv{k, per})
		}
	}
	slices.SortFunc(l, func(a, b kv) int {
		if a.v != b.v {
			if a.v > b.v {
				return -1
			}
			return 1
		}
		return strings.Compare(a.k, b.k)
	})
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = fmt.Sprintf("%s %.2f", strings.ToUpper(e.k), e.v)
	}
	return fmt.Sprintf("%.2f: %s", total, strings.Join(parts, ", "))
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
