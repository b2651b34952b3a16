package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/evmachine/evmachine/bench/internal/loadgen"
)

// progress shows what runs now. On a terminal it is one line on stderr,
// redrawn in place; otherwise (a log file, CI) it goes through slog every
// logEvery. Safe for concurrent use.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	log      *slog.Logger
	logEvery time.Duration

	label   string
	sc      Scenario
	started time.Time
	logged  time.Time
	shown   bool
}

func newProgress(w io.Writer, log *slog.Logger) *progress {
	return &progress{w: w, tty: isTerminal(w), log: log, logEvery: 5 * time.Second}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) begin(label string, sc Scenario) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label, p.sc, p.started, p.logged = label, sc, time.Now(), time.Time{}
}

func (p *progress) update(pr loadgen.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := p.line(pr, time.Since(p.started))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
		return
	}
	if time.Since(p.logged) >= p.logEvery {
		p.logged = time.Now()
		p.log.Info("progress", "run", p.label, "now", line)
	}
}

// line renders one progress line.
func (p *progress) line(pr loadgen.Progress, elapsed time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s | %s", p.label, pr.Phase)
	switch pr.Phase {
	case "warmup":
		fmt.Fprintf(&b, " %.1f/%.1fs", pr.Elapsed, p.sc.Warmup.Seconds())
	case "measuring":
		fmt.Fprintf(&b, " %.1f/%.1fs", pr.Elapsed, p.sc.Duration.Seconds())
	case "settling":
		fmt.Fprintf(&b, " %.1f/%.1fs", pr.Elapsed, p.sc.Settle.Seconds())
	default:
		fmt.Fprintf(&b, " %.1fs", pr.Elapsed)
	}
	conns := fmt.Sprintf("%s/%s conns", thousands(float64(pr.Connected)), thousands(float64(p.sc.Conns)))
	if p.sc.Churn {
		conns = thousands(float64(pr.Connected)) + " conns served"
	}
	fmt.Fprintf(&b, " | %s rt/s | %s | %d errors | %.0fs elapsed",
		thousands(pr.Rate), conns, pr.Errors, elapsed.Seconds())
	return b.String()
}

// end clears the line so that log lines start on a clean one.
func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
