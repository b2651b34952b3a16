// Package stats summarises repeated benchmark runs: the median, the spread
// around it, and ratios between servers. Missing values are NaN and stay
// NaN through every function, so a skipped or failed run never turns into
// a zero that looks like a measurement.
//
// Everything here is pure and safe for concurrent use.
package stats

import (
	"math"
	"slices"
)

// Summary describes the runs of one figure.
type Summary struct {
	N      int     // runs with a value (NaN runs are left out)
	Median float64 // NaN when N == 0
	Min    float64
	Max    float64
}

// Summarize computes the summary of vs, ignoring NaNs.
func Summarize(vs []float64) Summary {
	xs := make([]float64, 0, len(vs))
	for _, v := range vs {
		if !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return Summary{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	slices.Sort(xs)
	return Summary{N: len(xs), Median: median(xs), Min: xs[0], Max: xs[len(xs)-1]}
}

// Median returns the median of vs (the mean of the middle two for an even
// count), ignoring NaNs; NaN when nothing is left.
func Median(vs []float64) float64 { return Summarize(vs).Median }

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Spread is the largest distance of a run from the median, relative to the
// median: 0.04 means every run lies within ±4 % of the reported figure.
// It is 0 for one run, NaN for none, and +Inf when the median is 0 but a
// run is not.
func (s Summary) Spread() float64 {
	if s.N == 0 {
		return math.NaN()
	}
	d := math.Max(s.Max-s.Median, s.Median-s.Min)
	if d == 0 {
		return 0
	}
	if s.Median == 0 {
		return math.Inf(1)
	}
	return d / math.Abs(s.Median)
}

// Ratio returns a/b, NaN when either is NaN or b is 0.
func Ratio(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return math.NaN()
	}
	return a / b
}
