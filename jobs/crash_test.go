package jobs

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With reliable fetch, a worker killed with kill -9 mid-run loses no
// job: a second worker recovers its working list once its heartbeat
// expires, and every job runs at least once.
func TestCrashReliableFetchLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	e := newEnv(t)
	const n = 10000
	jids := e.enqueueLoad(n)
	a := e.startWorker(true, time.Millisecond)
	eventually(t, "worker A to run a fifth of the jobs", func() bool { return e.int("HLEN", "runs") >= n/5 })
	a.signal(t, syscall.SIGKILL)
	inFlight := e.int("LLEN", "queue:load:working:"+e.workingOwner(t))
	t.Logf("killed worker A after %d jobs, %d in its working list", e.int("HLEN", "runs"), inFlight)

	b := e.startWorker(true, time.Millisecond)
	eventually(t, "every job to run", func() bool { return e.int("HLEN", "runs") == n })
	eventually(t, "the queue and working lists to empty", func() bool {
		return e.int("LLEN", "queue:load") == 0 && e.int("HLEN", registry) == 1 // only B's
	})
	runs := e.runs()
	twice := 0
	for _, jid := range jids {
		require.GreaterOrEqual(t, runs[jid], 1, "job %s lost", jid)
		if runs[jid] > 1 {
			twice++
		}
	}
	assert.LessOrEqual(t, twice, int(inFlight), "only the jobs in flight at the kill may run twice")
	t.Logf("%d jobs ran twice (at least once is the promise)", twice)
	b.signal(t, syscall.SIGTERM)
	assert.Equal(t, 0, b.exitCode())
}

// workingOwner returns the identity of the one process in the working
// list registry.
func (e *env) workingOwner(t *testing.T) string {
	t.Helper()
	m, err := e.do("HGETALL", registry).AsMap()
	require.NoError(t, err)
	require.Len(t, m, 1)
	for k := range m {
		const prefix = "queue:load:working:"
		require.True(t, len(k) > len(prefix))
		return k[len(prefix):]
	}
	return ""
}

// A worker stopped with SIGTERM under load finishes what it runs and
// puts back what it fetched but did not start: with a second worker
// finishing the queue, every job runs exactly once.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	for _, reliable := range []bool{false, true} {
		name := map[bool]string{false: "basic", true: "reliable"}[reliable]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			const n = 3000
			jids := e.enqueueLoad(n)
			a := e.startWorker(reliable, 2*time.Millisecond)
			eventually(t, "worker A to run a third of the jobs", func() bool { return e.int("HLEN", "runs") >= n/3 })
			a.signal(t, syscall.SIGTERM)
			require.Equal(t, 0, a.exitCode(), "worker A's shutdown")
			doneA := e.int("HLEN", "runs")
			assert.Less(t, doneA, int64(n), "A stopped before the end")
			assert.EqualValues(t, n-doneA, e.int("LLEN", "queue:load"), "every job A did not run is back on the queue")
			assert.EqualValues(t, 0, e.int("SCARD", "processes"), "A removed its heartbeat")

			b := e.startWorker(reliable, 0)
			eventually(t, "every job to run", func() bool { return e.int("HLEN", "runs") == n })
			b.signal(t, syscall.SIGTERM)
			require.Equal(t, 0, b.exitCode())
			runs := e.runs()
			for _, jid := range jids {
				require.Equal(t, 1, runs[jid], "job %s", jid)
			}
			assert.Len(t, runs, n)
			assert.EqualValues(t, n, e.int("GET", "stat:processed"))
		})
	}
}
