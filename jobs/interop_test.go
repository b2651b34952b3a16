package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a handler that records the jobs it ran.
type recorder struct {
	mu   sync.Mutex
	jobs map[string]*Job
	ch   chan *Job
}

func newRecorder() *recorder { return &recorder{jobs: map[string]*Job{}, ch: make(chan *Job, 1000)} }

func (rc *recorder) handle(ctx context.Context, j *Job) error {
	rc.mu.Lock()
	rc.jobs[j.JID] = j
	rc.mu.Unlock()
	rc.ch <- j
	return nil
}

func TestRubyEnqueueGoRuns(t *testing.T) {
	requireSidekiq(t)
	e := newEnv(t)
	rec := newRecorder()
	e.server(map[string]HandlerFunc{"HardWorker": rec.handle})
	jid := e.ruby(`puts Sidekiq::Client.push("class" => "HardWorker", "args" => [1, "two", {"k" => [nil, 2.5]}], "custom" => {"a" => 1})`)
	j := wait(t, rec.ch, "the Ruby job")
	assert.Equal(t, jid, j.JID)
	assert.JSONEq(t, `[1,"two",{"k":[null,2.5]}]`, string(j.Args))
	assert.Equal(t, "default", j.Queue)
	assert.JSONEq(t, `{"a":1}`, string(j.Extra["custom"]))
	var a int
	var b string
	require.NoError(t, j.Bind(&a, &b))
	assert.Equal(t, 1, a)
	assert.Equal(t, "two", b)
}

func TestGoEnqueueRubyRuns(t *testing.T) {
	requireSidekiq(t)
	e := newEnv(t)
	e.startSidekiq()
	j, _ := NewJob("RubyWorker", 1, "two", map[string]any{"k": []any{nil, 2.5}})
	jid, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	eventually(t, "Ruby to run the job", func() bool { return len(e.rubyRuns()) == 1 })
	run := e.rubyRuns()[0]
	assert.Equal(t, jid, run.JID)
	assert.JSONEq(t, `[1,"two",{"k":[null,2.5]}]`, string(run.Args))
}

func TestGoFailureInRubyRetrySet(t *testing.T) {
	requireSidekiq(t)
	e := newEnv(t)
	e.server(map[string]HandlerFunc{"Flaky": func(ctx context.Context, j *Job) error {
		return fmt.Errorf("flaky %s", j.JID)
	}})
	j, _ := NewJob("Flaky", 7)
	jid, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	eventually(t, "the retry", func() bool { return e.int("ZCARD", "retry") == 1 })
	out := e.ruby(`Sidekiq::RetrySet.new.each { |j| puts JSON.dump({"jid" => j.jid, "klass" => j.klass, "args" => j.args,
		"queue" => j.queue, "retry_count" => j["retry_count"], "error_class" => j["error_class"],
		"error_message" => j["error_message"], "at" => j.at.to_f, "failed_at" => j["failed_at"],
		"enqueued_at" => j.enqueued_at.to_f}) }`)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, jid, got["jid"])
	assert.Equal(t, "Flaky", got["klass"])
	assert.Equal(t, []any{7.0}, got["args"])
	assert.Equal(t, "default", got["queue"])
	assert.Equal(t, 0.0, got["retry_count"])
	assert.Equal(t, "errors.errorString", got["error_class"])
	assert.Equal(t, "flaky "+jid, got["error_message"])
	now := float64(time.Now().Unix())
	assert.InDelta(t, now+20, got["at"].(float64), 12)
	assert.InDelta(t, now, got["failed_at"].(float64), 10)

	// Ruby's API retries it now (a manual retry lowers retry_count first,
	// so it does not count); the Go worker runs it again, fails again and
	// stamps retried_at.
	e.ruby(`Sidekiq::RetrySet.new.each(&:retry)`)
	eventually(t, "the second failure", func() bool {
		ms := e.zrange("retry")
		if len(ms) != 1 {
			return false
		}
		j := new(Job)
		return j.UnmarshalJSON([]byte(ms[0].json)) == nil && j.RetryCount != nil && *j.RetryCount == 0 && j.RetriedAt > 0
	})
}

func TestRubyProcessSetListsGoWorker(t *testing.T) {
	requireSidekiq(t)
	e := newEnv(t)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	s := e.server(map[string]HandlerFunc{"Slow": func(ctx context.Context, j *Job) error {
		started <- struct{}{}
		<-release
		return nil
	}}, WithQueues("critical", "default"), WithConcurrency(7), WithProcessTag("gotag"))
	defer close(release)
	j, _ := NewJob("Slow", "x")
	jid, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	wait(t, started, "the job to start")
	var procs, workers string
	eventually(t, "Ruby to see the process busy", func() bool {
		procs = e.ruby(`Sidekiq::ProcessSet.new.each { |p| puts JSON.dump({"identity" => p.identity,
			"hostname" => p["hostname"], "pid" => p["pid"], "queues" => p["queues"], "concurrency" => p["concurrency"],
			"busy" => p["busy"], "tag" => p["tag"], "quiet" => p.stopping?, "started_at" => p["started_at"]}) }`)
		return strings.Contains(procs, `"busy":1`)
	})
	var p map[string]any
	require.NoError(t, json.Unmarshal([]byte(procs), &p), procs)
	host, _ := os.Hostname()
	assert.Equal(t, s.Identity(), p["identity"])
	assert.Equal(t, host, p["hostname"])
	assert.Equal(t, float64(os.Getpid()), p["pid"])
	assert.Equal(t, []any{"critical", "default"}, p["queues"])
	assert.Equal(t, 7.0, p["concurrency"])
	assert.Equal(t, "gotag", p["tag"])
	assert.Equal(t, false, p["quiet"])
	eventually(t, "Ruby to see the job", func() bool {
		workers = e.ruby(`Sidekiq::Workers.new.each { |pid, tid, w| puts JSON.dump({"pid" => pid, "queue" => w["queue"],
			"jid" => w["payload"]["jid"], "class" => w["payload"]["class"], "run_at" => w["run_at"]}) }`)
		return strings.Contains(workers, jid)
	})
	var w map[string]any
	require.NoError(t, json.Unmarshal([]byte(workers), &w), workers)
	assert.Equal(t, s.Identity(), w["pid"])
	assert.Equal(t, "default", w["queue"])
	assert.Equal(t, "Slow", w["class"])
	stats := e.ruby(`s = Sidekiq::Stats.new; puts JSON.dump({"processes" => s.processes_size, "workers" => s.workers_size})`)
	assert.JSONEq(t, `{"processes":1,"workers":1}`, stats)
}

func TestScheduledBothWays(t *testing.T) {
	requireSidekiq(t)
	e := newEnv(t)
	rec := newRecorder()
	// The Go worker listens on "go" only; Ruby's on "default".
	e.server(map[string]HandlerFunc{"GoWorker": rec.handle}, WithQueues("go"))
	e.startSidekiq()

	// Ruby schedules for Go.
	rjid := e.ruby(`puts Sidekiq::Client.push("class" => "GoWorker", "queue" => "go", "args" => [1], "at" => Time.now.to_f + 1)`)
	require.EqualValues(t, 1, e.int("ZCARD", "schedule"))
	j := wait(t, rec.ch, "the job Ruby scheduled")
	assert.Equal(t, rjid, j.JID)
	assert.NotZero(t, j.EnqueuedAt)

	// Go schedules for Ruby.
	gj, _ := NewJob("RubyWorker", "later")
	gjid, err := e.bc.EnqueueIn(context.Background(), time.Second, gj)
	require.NoError(t, err)
	eventually(t, "Ruby to run the job Go scheduled", func() bool { return len(e.rubyRuns()) == 1 })
	assert.Equal(t, gjid, e.rubyRuns()[0].JID)
	assert.EqualValues(t, 0, e.int("ZCARD", "schedule"))
	require.False(t, errors.Is(err, context.Canceled))
}

// Go's and Ruby's pollers move due jobs side by side, and each job is
// pushed once: Sidekiq's atomic pop runs on both sides.
func TestPollersSideBySide(t *testing.T) {
	requireSidekiq(t)
	e := newEnv(t)
	var mu sync.Mutex
	runs := map[string]int{}
	total := make(chan struct{}, 1000)
	e.server(map[string]HandlerFunc{"GoWorker": func(ctx context.Context, j *Job) error {
		mu.Lock()
		runs[j.JID]++
		mu.Unlock()
		total <- struct{}{}
		return nil
	}}, WithQueues("go"), WithPollInterval(20*time.Millisecond))
	e.startSidekiq()
	const n = 300
	var js []*Job
	for i := range n {
		j, _ := NewJob("GoWorker", i)
		j.Queue = "go"
		js = append(js, j)
	}
	// Due in 3 s, so both pollers are running when they come due.
	for _, j := range js {
		_, err := e.bc.EnqueueAt(context.Background(), time.Now().Add(3*time.Second), j)
		require.NoError(t, err)
	}
	for range n {
		wait(t, total, "a scheduled job")
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would show up now
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, runs, n)
	for jid, c := range runs {
		assert.Equal(t, 1, c, jid)
	}
	assert.EqualValues(t, 0, e.int("ZCARD", "schedule"))
}

// Sidekiq's own Web UI (the Rack app, rendered through Rack::MockRequest)
// shows the Go process busy with its job, the Go failure in Retries and
// the stats on the dashboard.
func TestSidekiqWebUIShowsGoWorker(t *testing.T) {
	requireSidekiq(t)
	e := newEnv(t)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	s := e.server(map[string]HandlerFunc{
		"SlowGoJob": func(ctx context.Context, j *Job) error {
			started <- struct{}{}
			<-release
			return nil
		},
		"FlakyGoJob": func(ctx context.Context, j *Job) error { return errors.New("flaky go failure") },
	}, WithProcessTag("go-web-tag"))
	defer close(release)
	for _, class := range []string{"FlakyGoJob", "SlowGoJob"} {
		j, _ := NewJob(class, "x")
		_, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
	}
	wait(t, started, "the slow job")
	eventually(t, "the retry", func() bool { return e.int("ZCARD", "retry") == 1 })
	page := func(path string) string {
		return e.ruby(`require "sidekiq/web"; require "rack/mock"
res = Rack::MockRequest.new(Sidekiq::Web).get("` + path + `", "rack.session" => {})
raise "status #{res.status}" unless res.status == 200
puts res.body`)
	}
	var busy string
	eventually(t, "the Busy page to show the job", func() bool {
		busy = page("/busy")
		return strings.Contains(busy, "SlowGoJob")
	})
	assert.Contains(t, busy, s.Identity())
	assert.Contains(t, busy, "go-web-tag")
	retries := page("/retries")
	assert.Contains(t, retries, "FlakyGoJob")
	assert.Contains(t, retries, "flaky go failure")
	assert.Contains(t, page("/"), "Processed")
}

// A Go panic's stack, stored as Sidekiq stores error_backtrace (Base64 of
// zlib-deflated JSON), reads back in Ruby as an array of lines.
func TestErrorBacktraceReadsInRuby(t *testing.T) {
	requireSidekiq(t)
	e := newEnv(t)
	e.server(map[string]HandlerFunc{"Panicky": func(ctx context.Context, j *Job) error { panic("go panic") }})
	j, _ := NewJob("Panicky")
	require.NoError(t, j.Set("backtrace", 5))
	_, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	eventually(t, "the retry", func() bool { return e.int("ZCARD", "retry") == 1 })
	out := e.ruby(`j = Sidekiq::RetrySet.new.first; puts JSON.dump({"class" => j["error_class"], "bt" => j.error_backtrace})`)
	var got struct {
		Class string   `json:"class"`
		BT    []string `json:"bt"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, "Panic", got.Class)
	require.Len(t, got.BT, 5)
	assert.Contains(t, strings.Join(got.BT, "\n"), "goroutine")
}
