package main

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Metric
	}{
		{"hits:1|c", Metric{Name: "hits", Kind: Counter, Value: 1, Rate: 1}},
		{"hits:-3.5|c", Metric{Name: "hits", Kind: Counter, Value: -3.5, Rate: 1}},
		{"hits:1|c|@0.1", Metric{Name: "hits", Kind: Counter, Value: 1, Rate: 0.1}},
		{"api.req-ok_2:7|c|@1\r", Metric{Name: "api.req-ok_2", Kind: Counter, Value: 7, Rate: 1}},
		{"temp:21|g", Metric{Name: "temp", Kind: Gauge, Value: 21, Rate: 1}},
		{"temp:+2|g", Metric{Name: "temp", Kind: Gauge, Value: 2, Delta: true, Rate: 1}},
		{"temp:-2.5|g", Metric{Name: "temp", Kind: Gauge, Value: -2.5, Delta: true, Rate: 1}},
		{"lat:12.5|ms", Metric{Name: "lat", Kind: Timer, Value: 12.5, Rate: 1}},
		{"lat:3|ms|@0.5", Metric{Name: "lat", Kind: Timer, Value: 3, Rate: 0.5}},
		{"lat:3|h", Metric{Name: "lat", Kind: Timer, Value: 3, Rate: 1}},
		{"users:alice|s", Metric{Name: "users", Kind: Set, Member: "alice", Rate: 1}},
		{"users:a:b|s", Metric{Name: "users", Kind: Set, Member: "a:b", Rate: 1}},
		{"hits:1|c|#env:prod,az:1", Metric{Name: "hits", Kind: Counter, Value: 1, Rate: 1}},
		{"hits:1|c|@0.5|#env:prod", Metric{Name: "hits", Kind: Counter, Value: 1, Rate: 0.5}},
	} {
		got, err := ParseLine([]byte(tc.line))
		require.NoError(t, err, tc.line)
		assert.Equal(t, tc.want, got, tc.line)
	}
}

func TestParseLineRefuses(t *testing.T) {
	for _, tc := range []struct {
		line string
		err  error
	}{
		{"", errNoColon},
		{"hits", errNoColon},
		{"hits 1|c", errNoColon},
		{":1|c", errBadName},
		{"a b:1|c", errBadName},
		{"a\x00:1|c", errBadName},
		{"é:1|c", errBadName},
		{"a|b:1|c", errBadName},
		{"a@b:1|c", errBadName},
		{strings.Repeat("n", 256) + ":1|c", errBadName},
		{"hits:1", errBadType},
		{"hits:1|", errBadType},
		{"hits:1|x", errBadType},
		{"hits:1|C", errBadType},
		{"hits:|c", errBadValue},
		{"hits:one|c", errBadValue},
		{"hits:NaN|c", errBadValue},
		{"hits:+Inf|g", errBadValue},
		{"hits:1e999|ms", errBadValue},
		{"users:|s", errBadValue},
		{"users:a b|s", errBadValue},
		{"hits:1|c|@0", errBadRate},
		{"hits:1|c|@1.5", errBadRate},
		{"hits:1|c|@-1", errBadRate},
		{"hits:1|c|@x", errBadRate},
		{"hits:1|c|@", errBadField},
		{"hits:1|c|x", errBadField},
	} {
		_, err := ParseLine([]byte(tc.line))
		assert.ErrorIs(t, err, tc.err, "%q", tc.line)
	}
}

func TestFormatRoundTrips(t *testing.T) {
	for _, line := range []string{"hits:1|c", "hits:0.25|c|@0.1", "temp:21|g", "temp:+2|g", "temp:-2|g", "lat:12.5|ms", "users:alice|s"} {
		m, err := ParseLine([]byte(line))
		require.NoError(t, err)
		assert.Equal(t, line, Format(m))
	}
}

// FuzzParseLine: no input panics; an accepted line keeps ParseLine's
// promises and survives Format and ParseLine again unchanged.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"hits:1|c", "hits:1|c|@0.1", "temp:-2|g", "lat:12.5|ms|#a:b", "users:x|s", "a:b:c|s", "x:1|c|@", ":|", "x:0x1p3|g\r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := ParseLine(line)
		if err != nil {
			return
		}
		require.True(t, validName([]byte(m.Name)), "name %q", m.Name)
		require.True(t, m.Rate > 0 && m.Rate <= 1, "rate %v", m.Rate)
		require.False(t, math.IsNaN(m.Value) || math.IsInf(m.Value, 0))
		again, err := ParseLine([]byte(Format(m)))
		require.NoError(t, err, "format %q", Format(m))
		require.Equal(t, m, again)
	})
}
