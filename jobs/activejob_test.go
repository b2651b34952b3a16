package jobs

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rubyActiveJobPayload is what Rails 6.1's Sidekiq adapter pushed for
// HardJob.perform_later(1, "two", {"k" => "v", sym: 2}).
const rubyActiveJobPayload = `{"retry":true,"queue":"default","class":"ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper",` +
	`"wrapped":"HardJob","args":[{"job_class":"HardJob","job_id":"e4c738b9-2896-4985-a78b-0329535b9222",` +
	`"provider_job_id":null,"queue_name":"default","priority":null,"arguments":[1,"two",{"k":"v","sym":2,` +
	`"_aj_symbol_keys":["sym"]}],"executions":0,"exception_executions":{},"locale":"en","timezone":null,` +
	`"enqueued_at":"2026-12-05T02:38:45Z"}],"jid":"54e9c445d583ea26046466ac","created_at":1796438325.4706032}`

func TestActiveJobDecode(t *testing.T) {
	j := new(Job)
	require.NoError(t, j.UnmarshalJSON([]byte(rubyActiveJobPayload)))
	assert.Equal(t, "HardJob", j.Wrapped())
	aj, err := j.ActiveJob()
	require.NoError(t, err)
	assert.Equal(t, "e4c738b9-2896-4985-a78b-0329535b9222", aj.JobID)
	assert.Equal(t, "default", aj.QueueName)
	var a int
	var b string
	var c map[string]any
	require.NoError(t, j.Bind(&a, &b, &c))
	assert.Equal(t, 1, a)
	assert.Equal(t, "two", b)
	assert.Equal(t, "v", c["k"])

	plain, _ := NewJob("HardWorker", 1)
	assert.Equal(t, "", plain.Wrapped())
	_, err = plain.ActiveJob()
	assert.Error(t, err)
}

func TestNewActiveJob(t *testing.T) {
	j, err := NewActiveJob("RubyJob", 1, "two")
	require.NoError(t, err)
	j.Queue = "low"
	e := newEnv(t)
	_, err = e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	items := e.strings("LRANGE", "queue:low", 0, -1)
	require.Len(t, items, 1)
	var got Job
	require.NoError(t, got.UnmarshalJSON([]byte(items[0])))
	assert.Equal(t, "RubyJob", got.Wrapped())
	aj, err := got.ActiveJob()
	require.NoError(t, err)
	assert.Equal(t, "low", aj.QueueName)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, aj.JobID)
	assert.JSONEq(t, `[1,"two"]`, string(aj.Arguments))
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(got.Args[1:len(got.Args)-1], &m))
	for _, k := range []string{"job_class", "job_id", "provider_job_id", "queue_name", "priority", "arguments",
		"executions", "exception_executions", "locale", "timezone", "enqueued_at"} {
		assert.Contains(t, m, k)
	}
}

// requireActiveJob skips unless Ruby has ActiveJob (Debian:
// ruby-activejob), and fails under CI.
func requireActiveJob(t *testing.T) {
	t.Helper()
	requireSidekiq(t)
	if err := exec.Command("ruby", "-ractive_job", "-e", "1").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ruby cannot load active_job under CI (%v); .ci/run must install ruby-activejob", err)
		}
		t.Skipf("ruby cannot load active_job (%v); Debian: apt-get install ruby-activejob; skipping", err)
	}
}

// A Rails app's ActiveJob runs on a Go handler of its class, and a Go
// ActiveJob runs on Rails' (a real Sidekiq process with ActiveJob).
func TestActiveJobBothWays(t *testing.T) {
	requireActiveJob(t)
	e := newEnv(t)
	rec := newRecorder()
	e.server(map[string]HandlerFunc{"HardJob": rec.handle}, WithQueues("go"))
	e.ruby(`require "active_job"; require "active_job/queue_adapters/sidekiq_adapter"
ActiveJob::Base.queue_adapter = :sidekiq
ActiveJob::Base.logger = Logger.new(nil)
class HardJob < ActiveJob::Base
  queue_as :go
end
HardJob.perform_later(1, "two")`)
	j := wait(t, rec.ch, "the Rails job")
	var a int
	var b string
	require.NoError(t, j.Bind(&a, &b))
	assert.Equal(t, 1, a)
	assert.Equal(t, "two", b)

	e.startSidekiq()
	gj, err := NewActiveJob("RubyActiveJob", 3, "four")
	require.NoError(t, err)
	_, err = e.bc.Enqueue(context.Background(), gj)
	require.NoError(t, err)
	eventually(t, "Rails to run the Go ActiveJob", func() bool { return e.int("LLEN", "ruby:activejob") == 1 })
	assert.JSONEq(t, `[3,"four"]`, e.strings("LRANGE", "ruby:activejob", 0, -1)[0])
}
