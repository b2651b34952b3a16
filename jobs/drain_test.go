package jobs

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDrainRate measures how fast a Server with concurrency 10 drains
// preloaded no-op jobs from one local redis-server. It runs only with
// JOBS_DRAIN=n (the number of jobs); bench/jobs is the comparison with
// Ruby Sidekiq.
func TestDrainRate(t *testing.T) {
	n := 0
	if s := os.Getenv("JOBS_DRAIN"); s != "" {
		var err error
		n, err = atoiPositive(s)
		require.NoError(t, err)
	}
	if n == 0 {
		t.Skip("set JOBS_DRAIN=<jobs> to measure the drain rate")
	}
	for _, reliable := range []bool{false, true} {
		t.Run(map[bool]string{false: "basic", true: "reliable"}[reliable], func(t *testing.T) {
			e := newEnv(t)
			e.enqueueLoad(n)
			var ran atomic.Int64
			all := make(chan struct{})
			opts := []ServerOption{WithQueues("load")}
			if reliable {
				opts = append(opts, WithReliableFetch())
			}
			start := time.Now()
			e.server(map[string]HandlerFunc{"Work": func(ctx context.Context, j *Job) error {
				if ran.Add(1) == int64(n) {
					close(all)
				}
				return nil
			}}, opts...)
			wait(t, all, "the drain")
			el := time.Since(start)
			t.Logf("%d jobs in %v: %.0f jobs/s", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
		})
	}
}

func atoiPositive(s string) (int, error) {
	var n int
	_, err := fmt.Sscan(s, &n)
	return n, err
}
