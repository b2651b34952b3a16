package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	cases := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd unsorted", []float64{3, 1, 2}, 2},
		{"even takes the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"NaN runs are left out", []float64{math.NaN(), 10, 30}, 20},
		{"duplicates", []float64{5, 5, 1}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.InDelta(t, c.want, Median(c.in), 1e-12)
		})
	}
	assert.True(t, math.IsNaN(Median(nil)), "no runs: no median")
	assert.True(t, math.IsNaN(Median([]float64{math.NaN()})), "only failed runs: no median")
}

func TestSummarizeDoesNotReorderInput(t *testing.T) {
	in := []float64{3, 1, 2}
	s := Summarize(in)
	assert.Equal(t, []float64{3, 1, 2}, in)
	assert.Equal(t, Summary{N: 3, Median: 2, Min: 1, Max: 3}, s)
}

func TestSpread(t *testing.T) {
	assert.InDelta(t, 0.10, Summarize([]float64{90, 100, 105}).Spread(), 1e-12, "largest distance from the median wins")
	assert.InDelta(t, 0.05, Summarize([]float64{100, 105, 100}).Spread(), 1e-12)
	assert.Equal(t, 0.0, Summarize([]float64{42}).Spread(), "one run has no spread")
	assert.Equal(t, 0.0, Summarize([]float64{0, 0, 0}).Spread())
	assert.True(t, math.IsInf(Summarize([]float64{0, 0, 1}).Spread(), 1))
	assert.True(t, math.IsNaN(Summarize(nil).Spread()))
	assert.InDelta(t, 0.5, Summarize([]float64{-2, -2, -1}).Spread(), 1e-12, "relative to |median|")
}

func TestRatio(t *testing.T) {
	assert.InDelta(t, 0.8, Ratio(8, 10), 1e-12)
	assert.True(t, math.IsNaN(Ratio(1, 0)), "division by zero is not a figure")
	assert.True(t, math.IsNaN(Ratio(math.NaN(), 1)))
	assert.True(t, math.IsNaN(Ratio(1, math.NaN())))
	assert.Equal(t, 0.0, Ratio(0, 5))
}
