package main

import (
	"fmt"
	"math"

	"github.com/evmachine/evmachine/bench/internal/stats"
)

// Target is one of the goals for evmachine, checked against the
// medians of the same run, and against the spread of the runs.
type Target struct {
	Scenario string
	Text     string
	Known    bool // both sides were measured
	Met      bool // on the medians
	// Robust: the verdict holds for every pairing of runs (evmachine's
	// worst against gnet's best and the other way round), so the
	// run-to-run noise cannot have decided it.
	Robust bool
	Figure string
}

// ratioCheck is a target of the form "evmachine / gnet >= or <= bound".
type ratioCheck struct {
	sc     string
	m      Metric
	bound  float64
	higher bool // higher is better: the ratio must be at least bound
}

// eval returns the median ratio, the range of ratios over all pairings
// of runs, whether the median meets the bound and whether the whole range
// gives the same verdict.
func (c ratioCheck) eval(res *Results) (med, lo, hi float64, met, robust bool) {
	return c.evalPair(res, subject, refGnet)
}

// evalPair is eval with the server measured and its reference named.
func (c ratioCheck) evalPair(res *Results, subj, ref string) (med, lo, hi float64, met, robust bool) {
	e, g := res.Summary(c.sc, subj, c.m), res.Summary(c.sc, ref, c.m)
	med = stats.Ratio(e.Median, g.Median)
	lo, hi = stats.Ratio(e.Min, g.Max), stats.Ratio(e.Max, g.Min)
	if c.higher {
		met = med >= c.bound
		robust = (met && lo >= c.bound) || (!met && hi < c.bound)
	} else {
		met = med <= c.bound
		robust = (met && hi <= c.bound) || (!met && lo > c.bound)
	}
	return med, lo, hi, met, robust
}

// evaluateTargets checks the targets: evmachine against gnet's one
// loop (S1-S4) and on its own (S5).
func evaluateTargets(res *Results) []Target {
	ev := func(sc string, m Metric) float64 { return res.Median(sc, subject, m) }
	gn := func(sc string, m Metric) float64 { return res.Median(sc, refGnet, m) }
	one := func(text string, c ratioCheck, figure string) Target {
		med, lo, hi, met, robust := c.eval(res)
		return Target{Scenario: c.sc, Text: c.sc + ": " + text, Known: !math.IsNaN(med), Met: met, Robust: robust,
			Figure: fmt.Sprintf("%s (%s; runs %s)", figure, fmtRatio(med), ratioRange(lo, hi))}
	}
	out := []Target{
		one("round trips/s at least gnet's", ratioCheck{"S2", mRate, 1, true},
			fmt.Sprintf("%s vs %s rt/s", thousands(ev("S2", mRate)), thousands(gn("S2", mRate)))),
		one("server CPU per round trip at most 0.8× gnet's", ratioCheck{"S2", mCPUPerRT, 0.8, false},
			fmt.Sprintf("%s vs %s µs", fmtF(ev("S2", mCPUPerRT), 2), fmtF(gn("S2", mCPUPerRT), 2))),
		one("RSS per idle connection at most 0.5× gnet's", ratioCheck{"S3", mRSSPerConn, 0.5, false},
			fmt.Sprintf("%s vs %s KiB", fmtF(ev("S3", mRSSPerConn), 2), fmtF(gn("S3", mRSSPerConn), 2))),
		one("MB/s at least 1.1× gnet's", ratioCheck{"S4", mMBps, 1.1, true},
			fmt.Sprintf("%s vs %s MB/s", fmtSig(ev("S4", mMBps)), fmtSig(gn("S4", mMBps)))),
	}
	rate := one("", ratioCheck{"S1", mRate, 1, true}, fmt.Sprintf("%s vs %s rt/s", thousands(ev("S1", mRate)), thousands(gn("S1", mRate))))
	p99 := one("", ratioCheck{"S1", mP99, 1, false}, fmt.Sprintf("p99 %s vs %s µs", fmtSig(ev("S1", mP99)), fmtSig(gn("S1", mP99))))
	s1 := Target{Scenario: "S1", Text: "S1: round trips/s at least gnet's with a p99 no worse",
		Known: rate.Known && p99.Known, Met: rate.Met && p99.Met, Figure: rate.Figure + ", " + p99.Figure}
	if s1.Met {
		s1.Robust = rate.Robust && p99.Robust
	} else {
		s1.Robust = (!rate.Met && rate.Robust) || (!p99.Met && p99.Robust)
	}
	return append(out, s1, s5Target(res))
}

func ratioRange(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "–"
	}
	return fmt.Sprintf("%.2f–%.2f×", lo, hi)
}

// s5Target: every run held all 19,000 connections with no error at all.
func s5Target(res *Results) Target {
	t := Target{Scenario: "S5", Text: "S5: every connection served, zero errors"}
	recs := res.records("S5", subject)
	if len(recs) == 0 {
		t.Figure = "S5 was not run"
		return t
	}
	t.Known, t.Met, t.Robust = true, true, true
	errs, minConn, want := 0.0, math.MaxInt, 0
	for _, r := range recs {
		errs += mErrors(r)
		minConn = min(minConn, r.Result.Connected)
		want = r.Result.Conns
		if r.Err != "" || r.Result.Errors > 0 || r.Result.Connected < r.Result.Conns || r.Result.RoundTrips == 0 {
			t.Met = false
		}
	}
	t.Figure = fmt.Sprintf("%d run(s): at least %s of %s connected, %s errors, %s rt/s median",
		len(recs), thousands(float64(minConn)), thousands(float64(want)), thousands(errs), thousands(res.Median("S5", subject, mRate)))
	return t
}

// evaluateTLSTargets checks issue 15's TLS targets: evmachine's TLS server
// against Go's crypto/tls with a goroutine per connection, both on one
// core.
func evaluateTLSTargets(res *Results) []Target {
	med := func(sc, srv string, m Metric) float64 { return res.Median(sc, srv, m) }
	one := func(text string, c ratioCheck, unit string, f func(float64) string) Target {
		m, lo, hi, met, robust := c.evalPair(res, subjectTLS, refTLS)
		figure := fmt.Sprintf("%s vs %s %s (%s; runs %s)", f(med(c.sc, subjectTLS, c.m)), f(med(c.sc, refTLS, c.m)), unit, fmtRatio(m), ratioRange(lo, hi))
		return Target{Scenario: c.sc, Text: c.sc + ": " + text, Known: !math.IsNaN(m), Met: met, Robust: robust, Figure: figure}
	}
	f2 := func(v float64) string { return fmtF(v, 2) }
	out := []Target{
		one("server CPU per round trip at most 0.9× Go crypto/tls's", ratioCheck{"T1", mCPUPerRT, 0.9, false}, "µs", f2),
		one("server CPU per round trip at most 0.9× Go crypto/tls's", ratioCheck{"T2", mCPUPerRT, 0.9, false}, "µs", f2),
		one("RSS per idle TLS connection at most 0.5× Go crypto/tls's", ratioCheck{"T3", mRSSPerConn, 0.5, false}, "KiB", f2),
		one("new TLS connections (handshakes) per second at least 0.9× Go crypto/tls's", ratioCheck{"T4", mHandshakes, 0.9, true}, "/s", thousands),
	}
	// Beside the handshake rate, which the load generator may cap: the
	// server's CPU per new connection, which it cannot.
	cpu := one("", ratioCheck{"T4", mCPUPerHS, 1, false}, "µs", func(v float64) string { return fmtF(v, 1) })
	if t := &out[len(out)-1]; cpu.Known {
		t.Figure += "; server CPU per connection " + cpu.Figure
	}
	return out
}
