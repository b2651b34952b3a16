package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	ops := func(s sample) float64 { return float64(s.ops) }
	assert.Equal(t, 2.0, median([]sample{{ops: 3}, {ops: 1}, {ops: 2}}, ops))
	assert.Equal(t, 2.5, median([]sample{{ops: 4}, {ops: 1}, {ops: 2}, {ops: 3}}, ops))
}

func TestReportVerdicts(t *testing.T) {
	res := map[runKey][]sample{}
	for _, sc := range scenarios() {
		// evmachine: 4x the ops for a fifth of the CPU, memcached saturated.
		res[runKey{"evmachine", sc}] = []sample{{ops: 400, secs: 1, clientCPU: 400 * time.Microsecond, serverCPU: 950 * time.Millisecond, commands: 400, writes: 4}}
		res[runKey{"gomemcache", sc}] = []sample{{ops: 100, secs: 1, clientCPU: 500 * time.Microsecond, serverCPU: 500 * time.Millisecond}}
	}
	md := report(res, environment{cpus: 2, loadBefore: "1.00", loadAfter: "2.00"}, 1, time.Second)
	assert.Contains(t, md, "| GET | 1000 | evmachine | 400 | 1.00 | 2375.00 | 95% | 100.0 | 0 |")
	assert.Contains(t, md, "| GET | 1000 | 4.00x | 0.20x |")
	assert.Equal(t, 2, strings.Count(md, "(met); client CPU"))
	assert.Contains(t, md, "memcached's single worker thread was saturated")
	assert.NotContains(t, md, "not met")
}
