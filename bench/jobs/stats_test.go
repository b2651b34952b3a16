package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseCommandStats(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]int64
	}{
		{"empty", "", map[string]int64{}},
		{"redis 7", "# Commandstats\r\ncmdstat_brpop:calls=10000,usec=30211,usec_per_call=3.02,rejected_calls=0,failed_calls=0\r\n" +
			"cmdstat_config|resetstat:calls=1,usec=61,usec_per_call=61.00\r\n",
			map[string]int64{"brpop": 10000, "config|resetstat": 1}},
		{"redis 5", "cmdstat_LPUSH:calls=3,usec=4,usec_per_call=1.33\n", map[string]int64{"lpush": 3}},
		{"malformed", "cmdstat_:calls=1\ncmdstat_x\ncmdstat_y:usec=3\ncmdstat_z:calls=-1\ncmdstat_w:calls=abc\nother:1\n", map[string]int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, parseCommandStats(tc.in))
		})
	}
}

func FuzzParseCommandStats(f *testing.F) {
	f.Add("cmdstat_brpop:calls=10000,usec=30211\r\n")
	f.Add("cmdstat_a:calls=1\ncmdstat_a:calls=2")
	f.Fuzz(func(t *testing.T, in string) {
		for k, v := range parseCommandStats(in) {
			if k == "" || v < 0 {
				t.Fatalf("bad entry %q=%d", k, v)
			}
		}
	})
}

func TestMedian(t *testing.T) {
	id := func(x float64) float64 { return x }
	assert.Equal(t, 0.0, median(nil, id))
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}, id))
	assert.Equal(t, 2.5, median([]float64{4, 1, 2, 3}, id))
}

func TestSplice(t *testing.T) {
	sec := beginMark + "\nnew\n" + endMark
	assert.Equal(t, sec+"\n", splice("", sec))
	assert.Equal(t, "# R\n\n"+sec+"\n", splice("# R\n", sec))
	assert.Equal(t, "a\n"+sec+"\nb\n", splice("a\n"+beginMark+"\nold\n"+endMark+"\nb\n", sec))
}
