package main

import (
	"fmt"

	"math"
	"slices"
	"strings"

	"github.com/evmachine/evmachine/bench/internal/stats"
)

// summaryText is the report's reading of the figures: plain sentences
// drawn from the medians, the missed targets named with their figures.
func summaryText(res *Results) string {
	var parts []string
	if s := rankText(res, "S2", mCPUPerRT, true, "At 10,000 connections (S2) the server CPU per round trip, the figure that stays comparable when the load generator is the limit, ranks", "µs"); s != "" {
		parts = append(parts, s)
	}
	if s := rankText(res, "S3", mRSSPerConn, true, "Memory per idle connection (S3) ranks", "KiB"); s != "" {
		parts = append(parts, s)
	}
	if s := rankText(res, "S1", mRate, false, "With 100 connections (S1), round trips/s rank", "rt/s"); s != "" {
		parts = append(parts, s)
	}
	if s := rankText(res, "S4", mMBps, false, "With one connection and 16 KiB messages (S4), MB/s rank", "MB/s"); s != "" {
		parts = append(parts, s)
	}
	parts = append(parts, targetsText(evaluateTargets(res))...)
	parts = append(parts, busyText(res), otherLoadText(res), errorText(res))
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " ")
}

// rankText ranks the servers by one metric's median.
func rankText(res *Results, sc string, m Metric, lessIsBetter bool, lead, unit string) string {
	type entry struct {
		label string
		v     float64
	}
	var es []entry
	for _, s := range res.ran() {
		if v := res.Median(sc, s.Name, m); !math.IsNaN(v) {
			es = append(es, entry{s.Label, v})
		}
	}
	if len(es) < 2 {
		return ""
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		if lessIsBetter {
			return cmpF(a.v, b.v)
		}
		return cmpF(b.v, a.v)
	})
	items := make([]string, len(es))
	for i, e := range es {
		items[i] = fmt.Sprintf("%s %s", e.label, fmtSig(e.v))
	}
	return fmt.Sprintf("%s (%s): %s.", lead, map[bool]string{true: "lower is better", false: "higher is better"}[lessIsBetter]+", "+unit, strings.Join(items, ", "))
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// busyText says where the load generator may have set the pace.
func busyText(res *Results) string {
	var busy []string
	n, total := 0, 0
	for _, r := range res.Records {
		if r.Err != "" || r.Result.WindowSeconds == 0 {
			continue
		}
		total++
		if r.Busy() {
			n++
			if tag := r.Scenario; !slices.Contains(busy, tag) {
				busy = append(busy, tag)
			}
		}
	}
	if n == 0 {
		return fmt.Sprintf("The load generator stayed below %.0f %% of its core in every measured run: it did not set the pace.", busyShare*100)
	}
	return fmt.Sprintf("The load generator was above %.0f %% of its core in %d of %d measured runs (%s): there it may have set the pace, so round trips/s understate the faster servers and server CPU per round trip is the fairer comparison.",
		busyShare*100, n, total, strings.Join(busy, ", "))
}

// errorText lists the servers and scenarios with errors.
func errorText(res *Results) string {
	var bad []string
	for _, s := range res.ran() {
		for _, sc := range res.Scenarios {
			if e := res.Total(sc.ID, s.Name, mErrors); e > 0 {
				bad = append(bad, fmt.Sprintf("%s in %s: %s", s.Label, sc.ID, thousands(e)))
			}
		}
	}
	if len(bad) == 0 {
		return "No run had an error or a byte mismatch."
	}
	return "Errors (lost connections, failed connects or byte mismatches, summed over runs): " + strings.Join(bad, "; ") + "."
}

// otherLoadText says how much the rest of the machine competed.
func otherLoadText(res *Results) string {
	var vs []float64
	for _, r := range res.Records {
		if v := mOtherCPU(r); !math.IsNaN(v) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return ""
	}
	s := stats.Summarize(vs)
	if s.Max < 0.1 {
		return "The machine was otherwise quiet during the measured windows (other processes below 0.1 core)."
	}
	noise := fmt.Sprintf("round trips/s moved by a median ±%.0f %% between runs of one server, and CPU per round trip by ±%.0f %%. Where that noise is larger than the gap between two servers, the order between them is not settled by this run; the servers took turns within each round so that it hit them alike.",
		100*medianSpread(res, mRate), 100*medianSpread(res, mCPUPerRT))
	if s.Median < 0.25 {
		return fmt.Sprintf("The machine was mostly quiet (other processes used a median %.2f cores, up to %.2f in some windows); %s", s.Median, s.Max, noise)
	}
	return fmt.Sprintf("Other processes used a median %.2f cores (up to %.2f) during the measured windows of this shared 2-core machine, so the server and the load generator, each pinned to one core, waited for CPU: %s", s.Median, s.Max, noise)
}

// medianSpread is the median, over servers and load scenarios, of one
// metric's run-to-run spread.
func medianSpread(res *Results, m Metric) float64 {
	var sp []float64
	for _, sc := range res.Scenarios {
		for _, s := range res.ran() {
			if sum := res.Summary(sc.ID, s.Name, m); sum.N > 1 {
				sp = append(sp, sum.Spread())
			}
		}
	}
	return stats.Median(sp)
}

// targetsText says which targets were missed, met, or decided by noise.
func targetsText(ts []Target) []string {
	var missed, met, noisy []string
	for _, t := range ts {
		switch {
		case !t.Known:
		case !t.Met:
			note := ""
			if !t.Robust {
				note = ", within the noise"
			}
			missed = append(missed, fmt.Sprintf("%s (%s%s)", t.Text, t.Figure, note))
		case t.Robust:
			met = append(met, t.Text)
		default:
			noisy = append(noisy, fmt.Sprintf("%s (%s)", t.Text, t.Figure))
		}
	}
	var out []string
	if len(missed) > 0 {
		out = append(out, fmt.Sprintf("evmachine **misses %d target(s)**: %s.", len(missed), strings.Join(missed, "; ")))
	}
	if len(met) > 0 {
		out = append(out, fmt.Sprintf("It meets %d beyond the run-to-run noise: %s.", len(met), strings.Join(met, "; ")))
	}
	if len(noisy) > 0 {
		out = append(out, fmt.Sprintf("%d more are met on the medians only, and the runs disagree, so this run does not settle them: %s.", len(noisy), strings.Join(noisy, "; ")))
	}
	return out
}
