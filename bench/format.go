package main

import (
	"fmt"
	"math"

	"github.com/evmachine/evmachine/bench/internal/stats"
)

// thousands and fmtF format report figures (bench/internal/stats).
var (
	thousands = stats.Thousands
	fmtF      = stats.Fixed
)

// fmtSig formats v with about three significant digits.
func fmtSig(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "–"
	case a == 0:
		return "0"
	case a >= 1000:
		return thousands(v)
	case a >= 100:
		return fmtF(v, 0)
	case a >= 10:
		return fmtF(v, 1)
	case a >= 1:
		return fmtF(v, 2)
	default:
		return fmtF(v, 3)
	}
}

// fmtSpread formats a summary as "median ±spread%" (no spread for one run).
func fmtSpread(s stats.Summary, f func(float64) string) string {
	if s.N == 0 {
		return "–"
	}
	sp := s.Spread()
	if s.N == 1 {
		return f(s.Median)
	}
	if math.IsInf(sp, 1) {
		return f(s.Median) + " (±∞)"
	}
	return fmt.Sprintf("%s ±%.0f%%", f(s.Median), sp*100)
}

// fmtRatio formats a ratio as "1.23×".
func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", r)
}
