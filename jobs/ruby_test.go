package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/internal/redistest"
)

// requireSidekiq skips the test unless ruby with the sidekiq gem is
// installed (Debian: ruby-sidekiq, ruby-redis), and fails it under CI.
func requireSidekiq(t *testing.T) {
	t.Helper()
	redistest.Require(t, "ruby", "ruby-sidekiq")
	if err := exec.Command("ruby", "-rsidekiq", "-e", "1").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ruby cannot load sidekiq under CI (%v); .ci/run must install ruby-sidekiq and ruby-redis", err)
		}
		t.Skipf("ruby cannot load sidekiq (%v); Debian: apt-get install ruby-sidekiq ruby-redis; skipping", err)
	}
}

// sidekiqBin returns the path of Sidekiq's executable.
func sidekiqBin(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"sidekiq", "/usr/bin/sidekiq"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("ruby loads sidekiq but its executable is missing")
	return ""
}

// rubyPrelude configures Sidekiq's client from REDIS_URL.
const rubyPrelude = `require "sidekiq"; require "sidekiq/api"; require "json"
Sidekiq.logger.level = Logger::WARN
Sidekiq.configure_client { |c| c.redis = { url: ENV.fetch("REDIS_URL") } }
`

// ruby runs a Ruby script with Sidekiq's client on e's Redis and returns
// its standard output.
func (e *env) ruby(script string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ruby", "-e", rubyPrelude+script)
	cmd.Env = append(os.Environ(), "REDIS_URL=redis://"+e.srv.Addr+"/0")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(e.t, cmd.Run(), "ruby: %s", errOut.String())
	return strings.TrimSpace(out.String())
}

// rubyWorker is the worker file of a real Sidekiq process: RubyWorker
// records each run (its jid and args) in the list ruby:runs.
const rubyWorker = `require "sidekiq"
Sidekiq.configure_server do |c|
  c.redis = { url: ENV.fetch("REDIS_URL") }
end
Sidekiq.options[:poll_interval_average] = 1
if ENV["WITH_ACTIVEJOB"]
  require "active_job"
  require "active_job/queue_adapters/sidekiq_adapter"
  ActiveJob::Base.queue_adapter = :sidekiq
  class RubyActiveJob < ActiveJob::Base
    def perform(*args)
      Sidekiq.redis { |r| r.rpush("ruby:activejob", Sidekiq.dump_json(args)) }
    end
  end
end
class RubyWorker
  include Sidekiq::Worker
  def perform(*args)
    Sidekiq.redis { |r| r.rpush("ruby:runs", Sidekiq.dump_json({ "jid" => jid, "args" => args })) }
  end
end
`

// startSidekiq starts `sidekiq -r worker.rb -q default -c 2` on e's Redis;
// it is stopped by PID in t.Cleanup.
func (e *env) startSidekiq() {
	e.t.Helper()
	dir := e.t.TempDir()
	file := filepath.Join(dir, "worker.rb")
	require.NoError(e.t, os.WriteFile(file, []byte(rubyWorker), 0o644))
	cmd := exec.Command(sidekiqBin(e.t), "-r", file, "-q", "default", "-c", "2")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REDIS_URL=redis://"+e.srv.Addr+"/0")
	if exec.Command("ruby", "-ractive_job", "-e", "1").Run() == nil {
		cmd.Env = append(cmd.Env, "WITH_ACTIVEJOB=1")
	}
	var log nettest.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(e.t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	e.t.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if e.t.Failed() {
			e.t.Logf("sidekiq output:\n%s", log.String())
		}
	})
}

// rubyRuns returns the runs RubyWorker recorded.
func (e *env) rubyRuns() []struct {
	JID  string          `json:"jid"`
	Args json.RawMessage `json:"args"`
} {
	e.t.Helper()
	var out []struct {
		JID  string          `json:"jid"`
		Args json.RawMessage `json:"args"`
	}
	for _, s := range e.strings("LRANGE", "ruby:runs", 0, -1) {
		var r struct {
			JID  string          `json:"jid"`
			Args json.RawMessage `json:"args"`
		}
		require.NoError(e.t, json.Unmarshal([]byte(s), &r))
		out = append(out, r)
	}
	return out
}
