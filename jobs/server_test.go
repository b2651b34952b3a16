package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnqueueWireFormat(t *testing.T) {
	e := newEnv(t)
	j, err := NewJob("HardWorker", 1, "two")
	require.NoError(t, err)
	require.NoError(t, j.Set("tags", []string{"a"}))
	jid, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{24}$`, jid)
	assert.Equal(t, []string{"default"}, e.strings("SMEMBERS", "queues"))
	items := e.strings("LRANGE", "queue:default", 0, -1)
	require.Len(t, items, 1)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(items[0]), &m))
	assert.JSONEq(t, `"HardWorker"`, string(m["class"]))
	assert.JSONEq(t, `[1,"two"]`, string(m["args"]))
	assert.JSONEq(t, `true`, string(m["retry"]))
	assert.JSONEq(t, `"default"`, string(m["queue"]))
	assert.JSONEq(t, `["a"]`, string(m["tags"]))
	assert.Equal(t, `"`+jid+`"`, string(m["jid"]))
	assert.Regexp(t, `^\d+\.\d+$`, string(m["created_at"]))
	assert.Regexp(t, `^\d+\.\d+$`, string(m["enqueued_at"]))

	at := time.Now().Add(time.Hour)
	j2, _ := NewJob("Later")
	_, err = e.bc.EnqueueAt(context.Background(), at, j2)
	require.NoError(t, err)
	sched := e.zrange("schedule")
	require.Len(t, sched, 1)
	assert.NotContains(t, sched[0].json, "enqueued_at")
	assert.InDelta(t, epoch(at), sched[0].score, 0.001)
}

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

func TestFailureGoesToRetrySet(t *testing.T) {
	e := newEnv(t)
	e.server(map[string]HandlerFunc{
		"Fails":   func(ctx context.Context, j *Job) error { return errors.New("boom") },
		"Panics":  func(ctx context.Context, j *Job) error { panic("kaboom") },
		"NoRetry": func(ctx context.Context, j *Job) error { return errors.New("gone") },
	})
	j1, _ := NewJob("Fails", 1)
	j2, _ := NewJob("Panics")
	require.NoError(t, j2.Set("backtrace", true))
	j3, _ := NewJob("NoRetry")
	j3.Retry = false
	j4, _ := NewJob("Missing")
	j4.Retry = 0
	for _, j := range []*Job{j1, j2, j3, j4} {
		_, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
	}
	eventually(t, "two retries", func() bool { return e.int("ZCARD", "retry") == 2 })
	eventually(t, "one dead", func() bool { return e.int("ZCARD", "dead") == 1 })
	eventually(t, "failed stats", func() bool { return e.int("GET", "stat:failed") == 4 })
	byClass := map[string]*Job{}
	now := epoch(time.Now())
	for _, m := range e.zrange("retry") {
		assert.True(t, m.score > now+10 && m.score < now+30, "retry at %v, now %v", m.score, now)
		j := new(Job)
		require.NoError(t, json.Unmarshal([]byte(m.json), j))
		byClass[j.Class] = j
	}
	f := byClass["Fails"]
	require.NotNil(t, f)
	require.NotNil(t, f.RetryCount)
	assert.Equal(t, 0, *f.RetryCount)
	assert.Equal(t, "boom", f.ErrorMessage)
	assert.Equal(t, "errors.errorString", f.ErrorClass)
	assert.NotZero(t, f.FailedAt)
	p := byClass["Panics"]
	require.NotNil(t, p)
	assert.Equal(t, "Panic", p.ErrorClass)
	assert.Contains(t, p.ErrorMessage, "kaboom")
	_, ok := p.Extra["error_backtrace"]
	assert.True(t, ok)
	dead := e.strings("ZRANGE", "dead", 0, -1)
	require.Len(t, dead, 1)
	assert.Contains(t, dead[0], `"NameError"`)
}
