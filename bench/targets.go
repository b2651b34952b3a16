package main

import (
	"fmt"
	"math"

	"github.com/evmachine/evmachine/bench/internal/stats"
)

// Target is one of the goals for evmachine, checked against the
// medians of the same run.
type Target struct {
	Scenario string
	Text     string
	Known    bool // both sides were measured
	Met      bool
	Figure   string
}

// evaluateTargets checks the targets: evmachine against gnet's one
// loop (S1-S4) and on its own (S5).
func evaluateTargets(res *Results) []Target {
	ev := func(sc string, m Metric) float64 { return res.Median(sc, subject, m) }
	gn := func(sc string, m Metric) float64 { return res.Median(sc, refGnet, m) }
	ratio := func(sc string, m Metric) float64 { return stats.Ratio(ev(sc, m), gn(sc, m)) }
	var out []Target

	r := ratio("S2", mRate)
	out = append(out, mk("S2", "round trips/s at least gnet's", r, r >= 1,
		fmt.Sprintf("%s vs %s rt/s (%s)", thousands(ev("S2", mRate)), thousands(gn("S2", mRate)), fmtRatio(r))))
	r = ratio("S2", mCPUPerRT)
	out = append(out, mk("S2", "server CPU per round trip at most 0.8× gnet's", r, r <= 0.8,
		fmt.Sprintf("%s vs %s µs (%s)", fmtF(ev("S2", mCPUPerRT), 2), fmtF(gn("S2", mCPUPerRT), 2), fmtRatio(r))))
	r = ratio("S3", mRSSPerConn)
	out = append(out, mk("S3", "RSS per idle connection at most 0.5× gnet's", r, r <= 0.5,
		fmt.Sprintf("%s vs %s KiB (%s)", fmtF(ev("S3", mRSSPerConn), 2), fmtF(gn("S3", mRSSPerConn), 2), fmtRatio(r))))
	r = ratio("S4", mMBps)
	out = append(out, mk("S4", "MB/s at least 1.1× gnet's", r, r >= 1.1,
		fmt.Sprintf("%s vs %s MB/s (%s)", fmtSig(ev("S4", mMBps)), fmtSig(gn("S4", mMBps)), fmtRatio(r))))
	r, rp := ratio("S1", mRate), ratio("S1", mP99)
	ok := r >= 1 && rp <= 1
	if math.IsNaN(rp) {
		r = math.NaN()
	}
	out = append(out, mk("S1", "round trips/s at least gnet's with a p99 no worse", r, ok,
		fmt.Sprintf("%s vs %s rt/s (%s), p99 %s vs %s µs (%s)", thousands(ev("S1", mRate)), thousands(gn("S1", mRate)), fmtRatio(r),
			fmtSig(ev("S1", mP99)), fmtSig(gn("S1", mP99)), fmtRatio(rp))))
	out = append(out, s5Target(res))
	return out
}

func mk(sc, text string, ratio float64, met bool, figure string) Target {
	known := !math.IsNaN(ratio)
	return Target{Scenario: sc, Text: sc + ": " + text, Known: known, Met: known && met, Figure: figure}
}

// s5Target: every run held all 19,000 connections with no error at all.
func s5Target(res *Results) Target {
	t := Target{Scenario: "S5", Text: "S5: every connection served, zero errors"}
	recs := res.records("S5", subject)
	if len(recs) == 0 {
		t.Figure = "S5 was not run"
		return t
	}
	t.Known, t.Met = true, true
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
