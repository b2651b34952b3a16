package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evmachine/evmachine/bench/internal/stats"
)

// results is one run of the comparison, saved as results.json.
type results struct {
	Command    string        `json:"command"`
	Machine    machine       `json:"machine"`
	Revision   string        `json:"revision"`
	Started    time.Time     `json:"started"`
	Finished   time.Time     `json:"finished"`
	LoadBefore string        `json:"load_before"`
	LoadAfter  string        `json:"load_after"`
	Rounds     int           `json:"rounds"`
	Duration   time.Duration `json:"duration"`
	Conns      []int         `json:"conns"`
	Threads    int           `json:"wrk_threads"`
	WrkVersion string        `json:"wrk_version"`
	Servers    []server      `json:"servers"`
	Samples    []sample      `json:"samples"`
	Profiles   []profile     `json:"profiles,omitempty"`
}

// profile is one server under Go's CPU profiler.
type profile struct {
	Server      string  `json:"server"`
	Conns       int     `json:"conns"`
	ReqPerSec   float64 `json:"req_per_s"`
	CPUPerReqUs float64 `json:"server_cpu_us_per_req"`
	Top         string  `json:"top"`
}

// metric is one figure of a sample; NaN when the sample has none.
type metric func(sample) float64

var (
	mRate   metric = func(s sample) float64 { return ifOK(s, s.ReqPerSec) }
	mCPU    metric = func(s sample) float64 { return ifOK(s, s.CPUPerReqUs) }
	mP99    metric = func(s sample) float64 { return ifOK(s, s.P99ms) }
	mRSS    metric = func(s sample) float64 { return ifOK(s, s.PeakRSSMiB) }
	mWrk    metric = func(s sample) float64 { return ifOK(s, s.WrkCPUShare*100) }
	mServer metric = func(s sample) float64 { return ifOK(s, s.ServerShare*100) }
	mOther  metric = func(s sample) float64 { return ifOK(s, s.OtherCPU) }
)

func ifOK(s sample, v float64) float64 {
	if s.Err != "" || s.Requests == 0 {
		return math.NaN()
	}
	return v
}

func (r *results) summary(srv string, conns int, m metric) stats.Summary {
	var vs []float64
	for _, s := range r.Samples {
		if s.Server == srv && s.Conns == conns {
			vs = append(vs, m(s))
		}
	}
	return stats.Summarize(vs)
}

func (r *results) med(srv string, conns int, m metric) float64 {
	return r.summary(srv, conns, m).Median
}

func (r *results) errors(srv string, conns int) (n int64, failed int) {
	for _, s := range r.Samples {
		if s.Server == srv && s.Conns == conns {
			n += s.Errors
			if s.Err != "" {
				failed++
			}
		}
	}
	return n, failed
}

func (r *results) label(name string) string {
	for _, s := range r.Servers {
		if s.Name == name {
			return s.Label
		}
	}
	return name
}

func (r *results) has(name string) bool {
	for _, s := range r.Servers {
		if s.Name == name {
			return true
		}
	}
	return false
}

func loadResults(path string) (*results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func writeOutputs(dir string, r *results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	notes, _ := os.ReadFile(filepath.Join(dir, notesFile))
	return os.WriteFile(filepath.Join(dir, "RESULTS.md"), []byte(render(r, string(notes))), 0o644)
}

// target is one of issue 17's HTTP goals, checked on the medians.
type target struct {
	text, figure string
	known, met   bool
	noisy        bool // the rounds, paired, disagree about the verdict
}

// paired summarises subj's figure over ref's in the same round (the
// servers take turns within a round, so a pair shares the machine's mood).
func (r *results) paired(subj, ref string, conns int, m metric) stats.Summary {
	byRound := map[int]float64{}
	for _, s := range r.Samples {
		if s.Server == ref && s.Conns == conns {
			byRound[s.Round] = m(s)
		}
	}
	var rs []float64
	for _, s := range r.Samples {
		if v, ok := byRound[s.Round]; ok && s.Server == subj && s.Conns == conns {
			rs = append(rs, stats.Ratio(m(s), v))
		}
	}
	return stats.Summarize(rs)
}

func (r *results) targets() []target {
	var ts []target
	f2 := func(v float64) string { return fmtF(v, 2) }
	cmp := func(conns int, m metric, ref, text, unit string, lower bool, f func(float64) string) {
		if !r.has(subject) || !r.has(ref) {
			return
		}
		e, o := r.med(subject, conns, m), r.med(ref, conns, m)
		t := target{text: fmt.Sprintf("%s connections: %s", thousands(float64(conns)), text), known: !math.IsNaN(e) && !math.IsNaN(o)}
		if lower {
			t.met = e <= o
		} else {
			t.met = e >= o
		}
		t.figure = fmt.Sprintf("%s vs %s %s (%s)", f(e), f(o), unit, fmtRatio(stats.Ratio(e, o)))
		if p := r.paired(subject, ref, conns, m); p.N > 1 {
			t.figure += fmt.Sprintf("; round by round %s to %s, median %s", fmtRatio(p.Min), fmtRatio(p.Max), fmtRatio(p.Median))
			t.noisy = (lower && (p.Min <= 1) != (p.Max <= 1)) || (!lower && (p.Min >= 1) != (p.Max >= 1))
		}
		ts = append(ts, t)
	}
	for _, c := range r.Conns {
		cmp(c, mCPU, refFast, "server CPU per request at or below fasthttp's", "µs", true, f2)
		cmp(c, mCPU, refStd, "server CPU per request below net/http's", "µs", true, f2)
		cmp(c, mCPU, refNbhtp, "server CPU per request below nbhttp's", "µs", true, f2)
		cmp(c, mRate, refStd, "requests/s ahead of net/http's", "req/s", false, thousands)
		cmp(c, mRate, refNbhtp, "requests/s ahead of nbhttp's", "req/s", false, thousands)
	}
	return ts
}

func mark(t target) string {
	switch {
	case !t.known:
		return "❔ not measured"
	case t.met && t.noisy:
		return "⚠️ met on the medians, not in every round"
	case t.met:
		return "✅ met"
	case t.noisy:
		return "❌ **missed** on the medians, not in every round"
	}
	return "❌ **missed**"
}

// notesFile, when it is in the output directory, is the hand-written
// reading of the profile, drawn into RESULTS.md as it is.
const notesFile = "NOTES.md"

// render writes RESULTS.md, with notes (NOTES.md) after the profile.
func render(r *results, notes string) string {
	var b strings.Builder
	b.WriteString("# HTTP servers, one core each: evmachine vs fasthttp vs net/http vs nbhttp\n\n")
	fmt.Fprintf(&b, "Generated by `%s` (from the repository root) on %s (%s of runs), evmachine commit %s. Do not edit by hand; re-run it to refresh this file and `results.json`.\n\n",
		r.Command, r.Finished.UTC().Format("2006-01-02 15:04 UTC"), r.Finished.Sub(r.Started).Round(time.Second), orUnknown(r.Revision))
	b.WriteString("Hello world over keep-alive connections: `GET /` answered 200 with the 13-byte body `Hello, World!` as text/plain. ")
	fmt.Fprintf(&b, "Each server runs alone on CPU 0 (taskset, GOMAXPROCS=1); wrk (%s, %d thread%s) runs on CPU 1. ", orUnknown(shortWrkVersion(r.WrkVersion)), r.Threads, plural(r.Threads))
	fmt.Fprintf(&b, "Every figure is the median of %d round%s of a %v window, a fresh server process per window, the servers taking turns within each round; `±` is the largest distance of a round from the median.\n\n", r.Rounds, plural(r.Rounds), r.Duration)

	b.WriteString("## Targets (issue 17, same run, medians)\n\n")
	b.WriteString("*Round by round* is the ratio of the two servers' figures in the same round (they ran back to back), over the rounds; a verdict the rounds do not all share is marked.\n\n")
	for _, t := range r.targets() {
		fmt.Fprintf(&b, "- %s: %s — %s\n", mark(t), t.text, t.figure)
	}
	b.WriteString("\n")

	for _, c := range r.Conns {
		fmt.Fprintf(&b, "## %s connections\n\n", thousands(float64(c)))
		b.WriteString("| server | req/s | ×fasthttp | ×net/http | p99 ms | server CPU µs/req | ×fasthttp | ×net/http | server CPU % | peak RSS MiB | wrk CPU % | errors | other load, cores |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, s := range r.Servers {
			rate, cpu := r.summary(s.Name, c, mRate), r.summary(s.Name, c, mCPU)
			errs, failed := r.errors(s.Name, c)
			e := thousands(float64(errs))
			if errs > 0 {
				e = "**" + e + "**"
			}
			if failed > 0 {
				e += fmt.Sprintf(" (%d run%s failed)", failed, plural(failed))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.Label,
				fmtSpread(rate, thousands), fmtRatio(stats.Ratio(rate.Median, r.med(refFast, c, mRate))), fmtRatio(stats.Ratio(rate.Median, r.med(refStd, c, mRate))),
				fmtF(r.med(s.Name, c, mP99), 2),
				fmtSpread(cpu, func(v float64) string { return fmtF(v, 2) }), fmtRatio(stats.Ratio(cpu.Median, r.med(refFast, c, mCPU))), fmtRatio(stats.Ratio(cpu.Median, r.med(refStd, c, mCPU))),
				fmtF(r.med(s.Name, c, mServer), 0), fmtF(r.med(s.Name, c, mRSS), 1), fmtF(r.med(s.Name, c, mWrk), 0), e, fmtF(r.med(s.Name, c, mOther), 2))
		}
		b.WriteString("\n")
		for _, s := range r.Samples {
			switch {
			case s.Conns != c:
			case s.Err != "":
				fmt.Fprintf(&b, "%s, round %d failed: %s\n\n", s.Server, s.Round, oneLine(s.Err))
			case s.ErrorLine != "":
				fmt.Fprintf(&b, "%s, round %d: %s\n\n", s.Server, s.Round, s.ErrorLine)
			}
		}
	}

	b.WriteString("## What bounds the figures\n\n")
	b.WriteString(boundsText(r))
	b.WriteString("\n\n")
	if len(r.Profiles) > 0 {
		b.WriteString("## Where the CPU goes\n\n")
		for _, p := range r.Profiles {
			fmt.Fprintf(&b, "### %s\n\nRun once more under `pprof.StartCPUProfile`, at %s connections (%s req/s, %s µs of CPU per request, the profiler's own cost included). `go tool pprof -top`, flat then cumulative:\n\n```\n%s\n```\n\n",
				r.label(p.Server), thousands(float64(p.Conns)), thousands(p.ReqPerSec), fmtF(p.CPUPerReqUs, 2), strings.TrimSpace(p.Top))
		}
	}
	if notes = strings.TrimSpace(notes); notes != "" {
		b.WriteString(notes)
		b.WriteString("\n\n")
	}
	b.WriteString("## Machine and method\n\n")
	m := r.Machine
	fmt.Fprintf(&b, "%s, %d cores, kernel %s, %s; open files %d per process; load average (1, 5, 15 min) %s before the run and %s after.\n\n",
		m.CPU, m.Cores, orUnknown(m.Kernel), m.Go, m.NoFile, r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(&b, "wrk: `taskset -c 1 wrk -t%d -c<conns> -d%ds --timeout 10s --latency http://127.0.0.1:<port>/`, after an unmeasured warm-up run at up to 100 connections. ", r.Threads, int(r.Duration.Seconds()))
	b.WriteString("req/s and p99 are wrk's (its latency distribution; at 10,000 connections and one wrk thread wrk's own queueing is in it). ")
	b.WriteString("Server CPU is utime+stime of all the server's threads from /proc/PID/stat, read before and after the wrk window; per request it is that over wrk's request count (connection set-up included, the same for every server). ")
	b.WriteString("Peak RSS is the server's VmHWM at the end of the window. wrk CPU is wrk's CPU (rusage) over the window, of its one core: near 100 % it is wrk, not the server, that sets req/s, and CPU per request is the comparable figure. Other load is the CPU every other process used during the window, in cores.\n\n")
	b.WriteString("| server | how |\n|---|---|\n")
	for _, s := range r.Servers {
		fmt.Fprintf(&b, "| %s | `%s`: %s |\n", s.Label, s.Pkg, s.Note)
	}
	b.WriteString("\n")
	return b.String()
}

// boundsText reads the figures: who is wrk-bound, how far apart the
// servers are.
func boundsText(r *results) string {
	var parts []string
	for _, c := range r.Conns {
		var wrkBound []string
		for _, s := range r.Servers {
			if v := r.med(s.Name, c, mWrk); v >= 90 {
				wrkBound = append(wrkBound, fmt.Sprintf("%s (wrk %s %%)", s.Label, fmtF(v, 0)))
			}
		}
		if len(wrkBound) > 0 {
			parts = append(parts, fmt.Sprintf("At %s connections wrk was at or near its core against %s: there req/s is wrk's limit as much as the server's, and server CPU per request is the figure to compare.", thousands(float64(c)), strings.Join(wrkBound, ", ")))
		}
		var busy []string
		for _, s := range r.Servers {
			if v := r.med(s.Name, c, mServer); v >= 90 {
				busy = append(busy, s.Label)
			}
		}
		if len(busy) > 0 {
			parts = append(parts, fmt.Sprintf("At %s connections the server's core was full (≥ 90 %%) for %s: their req/s is their CPU per request's reciprocal.", thousands(float64(c)), strings.Join(busy, ", ")))
		}
	}
	var other []float64
	for _, s := range r.Samples {
		if v := mOther(s); !math.IsNaN(v) {
			other = append(other, v)
		}
	}
	if o := stats.Summarize(other); o.N > 0 {
		parts = append(parts, fmt.Sprintf("Other processes used a median %.2f cores (up to %.2f) during the windows.", o.Median, o.Max))
	}
	return strings.Join(parts, " ")
}

// shortWrkVersion drops the copyright from wrk -v's first line.
func shortWrkVersion(v string) string {
	v, _, _ = strings.Cut(v, " Copyright")
	return strings.TrimSpace(v)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// thousands and fmtF format report figures (bench/internal/stats).
var (
	thousands = stats.Thousands
	fmtF      = stats.Fixed
)

func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

func fmtSpread(s stats.Summary, f func(float64) string) string {
	if s.N == 0 || math.IsNaN(s.Median) {
		return "–"
	}
	if s.N == 1 {
		return f(s.Median)
	}
	sp := s.Spread()
	if math.IsInf(sp, 0) || math.IsNaN(sp) {
		return f(s.Median)
	}
	return fmt.Sprintf("%s ±%.0f%%", f(s.Median), sp*100)
}
