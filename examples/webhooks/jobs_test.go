package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/internal/redistest"
	"github.com/evmachine/evmachine/jobs"
	"github.com/evmachine/evmachine/protocols/redis"
)

// TestRubyEnqueuesReport: a Report job pushed by Ruby's Sidekiq client,
// as a Rails app would push it, runs here and its result reaches the
// account's receiver.
func TestRubyEnqueuesReport(t *testing.T) {
	redistest.Require(t, "ruby", "ruby")
	if err := exec.Command("ruby", "-rsidekiq", "-e", "").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Ruby's sidekiq is missing under CI; .ci/run must install the Debian package ruby-sidekiq")
		}
		t.Skip("Ruby's sidekiq is not installed (Debian: apt-get install ruby-sidekiq); skipping")
	}
	srv := redistest.Start(t)
	api := startApp(t, srv.Addr)
	rc := newReceiver(t, 0, 0)
	require.Equal(t, http.StatusCreated, call(t, "POST", api+"/hooks", hookRequest{"initech", rc.srv.URL}, nil))

	cmd := exec.Command("ruby", "-rsidekiq", "-e", `
Redis.silence_deprecations = true
print Sidekiq::Client.push("class" => "Report", "args" => ["initech", [1, 2, 3.5]])`)
	cmd.Env = append(os.Environ(), "REDIS_URL=redis://"+srv.Addr+"/0")
	out, err := cmd.Output()
	require.NoError(t, err)
	jid := strings.TrimSpace(string(out))
	require.Len(t, jid, 24)

	deadline := time.Now().Add(watchdog)
	for {
		got, _, bad := rc.snapshot()
		require.Empty(t, bad)
		if r, ok := got[jid]; ok {
			assert.Equal(t, Result{ID: jid, Account: "initech", Job: reportClass,
				Summary: Summary{Count: 3, Sum: 6.5, Mean: 6.5 / 3, Min: 1, Max: 3.5}, FinishedAt: r.FinishedAt}, r)
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "watchdog: the result of Ruby's job did not arrive")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReportWithoutDispatcherFails: a Report whose result nobody is
// subscribed to fails, so that the jobs server retries it and the result
// is not lost while the dispatcher is down.
func TestReportWithoutDispatcherFails(t *testing.T) {
	srv := redistest.Start(t)
	r := reactortest.Start(t)
	a := &app{r: r, log: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	dialed := make(chan error, 1)
	r.NextTick(func() {
		var err error
		a.rc, err = redis.Dial(r, srv.Addr)
		dialed <- err
	})
	require.NoError(t, <-dialed)
	t.Cleanup(func() { r.NextTick(a.rc.Close) })
	j, err := jobs.NewJob(reportClass, "acme", []float64{1})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	require.ErrorIs(t, a.report(ctx, j), errNoDispatcher)
}
