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

func TestRetryRunsAgain(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	tries := 0
	done := make(chan *Job, 1)
	e.server(map[string]HandlerFunc{"Twice": func(ctx context.Context, j *Job) error {
		mu.Lock()
		defer mu.Unlock()
		if tries++; tries == 1 {
			return errors.New("first try fails")
		}
		done <- j
		return nil
	}}, WithRetryIn(func(j *Job, count int, err error) time.Duration { return 100 * time.Millisecond }))
	j, _ := NewJob("Twice", "x")
	jid, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	got := wait(t, done, "the retry")
	assert.Equal(t, jid, got.JID)
	require.NotNil(t, got.RetryCount)
	assert.Equal(t, 0, *got.RetryCount)
	assert.Equal(t, "first try fails", got.ErrorMessage)
	assert.NotZero(t, got.EnqueuedAt)
	assert.EqualValues(t, 0, e.int("ZCARD", "retry"))
}

func TestUnparsableJobIsBuried(t *testing.T) {
	e := newEnv(t)
	e.server(nil, WithReliableFetch())
	e.do("LPUSH", "queue:default", `{"class":`)
	eventually(t, "the dead set", func() bool { return e.int("ZCARD", "dead") == 1 })
	assert.Equal(t, []string{`{"class":`}, e.strings("ZRANGE", "dead", 0, -1))
	eventually(t, "the ack", func() bool { return e.int("EXISTS", "queue:default:working:"+e.workingOwner(t)) == 0 })
}

func TestDeadSetCap(t *testing.T) {
	e := newEnv(t)
	e.server(map[string]HandlerFunc{"Dies": func(ctx context.Context, j *Job) error { return errors.New("no") }},
		WithDeadSet(2, time.Hour), WithConcurrency(1))
	for i := range 3 {
		j, _ := NewJob("Dies", i)
		j.Retry = 0
		_, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
		eventually(t, "the dead job", func() bool { return deadCount(e) == min(i+1, 2) && e.int("GET", "stat:failed") == int64(i+1) })
		time.Sleep(5 * time.Millisecond) // distinct scores
	}
	dead := e.zrange("dead")
	require.Len(t, dead, 2)
	var first, second Job
	require.NoError(t, first.UnmarshalJSON([]byte(dead[0].json)))
	require.NoError(t, second.UnmarshalJSON([]byte(dead[1].json)))
	assert.JSONEq(t, `[1]`, string(first.Args))
	assert.JSONEq(t, `[2]`, string(second.Args))
}

func deadCount(e *env) int { return int(e.int("ZCARD", "dead")) }
