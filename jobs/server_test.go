package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServerRunsJobs(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	got := map[string][]any{}
	done := make(chan struct{}, 100)
	e.server(map[string]HandlerFunc{"HardWorker": func(ctx context.Context, j *Job) error {
		var a int
		var b string
		if err := j.Bind(&a, &b); err != nil {
			return err
		}
		mu.Lock()
		got[j.JID] = []any{a, b}
		mu.Unlock()
		done <- struct{}{}
		return nil
	}}, WithQueues("critical", "default"))
	var jids []string
	for i := range 20 {
		j, _ := NewJob("HardWorker", i, "two")
		if i%2 == 0 {
			j.Queue = "critical"
		}
		jid, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
		jids = append(jids, jid)
	}
	for range 20 {
		wait(t, done, "a job")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, jid := range jids {
		assert.Equal(t, []any{i, "two"}, got[jid])
	}
	eventually(t, "stat:processed", func() bool { return e.int("GET", "stat:processed") == 20 })
	day := time.Now().UTC().Format("2006-01-02")
	assert.EqualValues(t, 20, e.int("GET", "stat:processed:"+day))
}

// With reliable fetch, a job pushed onto any of several empty queues is

// taken at once, not after the blocking fetch's timeout.

func TestReliableFetchWakesOnAnyQueue(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	e.server(map[string]HandlerFunc{"R": rec.handle}, WithReliableFetch(), WithQueues("a", "b", "c"),
		WithConcurrency(3), WithFetchTimeout(4*time.Second)) // Shutdown waits for the fetches in flight
	time.Sleep(300 * time.Millisecond) // let the fetches block
	for _, q := range []string{"c", "b", "a"} {
		j, _ := NewJob("R")
		j.Queue = q
		t0 := time.Now()
		_, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
		got := wait(t, rec.ch, "the job")
		assert.Equal(t, q, got.Queue)
		assert.Less(t, time.Since(t0), 2*time.Second, "queue %s waited for the fetch timeout", q)
	}
}

// A failed job comes back through the retry set and the poller.

// A payload that does not parse goes to the dead set, as in Sidekiq.

// The Web UI's quiet button (TSTP in <identity>-signals) stops fetching.

func TestRemoteQuiet(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	s := e.server(map[string]HandlerFunc{"Q": rec.handle})
	e.do("LPUSH", s.Identity()+"-signals", "TSTP")
	eventually(t, "quiet", func() bool {
		v, err := e.do("HGET", s.Identity(), "quiet").AsString()
		return err == nil && v == "true"
	})
	j, _ := NewJob("Q")
	_, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond) // the fetches in flight (200 ms) end
	assert.EqualValues(t, 1, e.int("LLEN", "queue:default"), "a quiet process fetches nothing")
	assert.Empty(t, rec.ch)
}

// A Server rides out a Redis restart: fetches fail and back off, the

// client reconnects, and jobs run again.

func TestServerSurvivesRedisRestart(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	e.server(map[string]HandlerFunc{"R": rec.handle}, WithReliableFetch())
	j, _ := NewJob("R", 1)
	_, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	wait(t, rec.ch, "the first job")
	e.srv.Kill()
	time.Sleep(300 * time.Millisecond)
	e.srv.Restart()
	j2, _ := NewJob("R", 2)
	jid, err := e.bc.Enqueue(context.Background(), j2)
	require.NoError(t, err)
	got := wait(t, rec.ch, "a job after the restart")
	assert.Equal(t, jid, got.JID)
	eventually(t, "the heartbeat and the working list's registration back", func() bool {
		return e.int("SCARD", "processes") == 1 && e.int("HLEN", registry) == 1
	})
}

// Client's callbacks run on the loop, later, never inside the call; bad

// jobs fail without a command sent.

// Shutdown ends even when Redis is gone.

// The dead set keeps at most its cap, newest first, as Sidekiq's

// DeadSet#kill trims it.

// A process that comes back with the same identity (WithIdentity) runs

// the jobs its earlier life left in its working list.

func TestSameIdentityRecoversItsOwnList(t *testing.T) {
	e := newEnv(t)
	j, _ := NewJob("R", "left")
	b, err := j.MarshalJSON()
	require.NoError(t, err)
	e.do("LPUSH", "queue:default:working:me:1:abc", b)
	e.do("HSET", registry, "queue:default:working:me:1:abc", registryValue("me:1:abc", "queue:default"))
	rec := newRecorder()
	e.server(map[string]HandlerFunc{"R": rec.handle}, WithReliableFetch(), WithIdentity("me:1:abc"))
	got := wait(t, rec.ch, "the left-over job")
	assert.JSONEq(t, `["left"]`, string(got.Args))
}
