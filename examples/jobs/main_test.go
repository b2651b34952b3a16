package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/internal/redistest"
	"github.com/evmachine/evmachine/jobs"
)

const watchdog = 30 * time.Second

func TestEnqueueThenWork(t *testing.T) {
	srv := redistest.Start(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"enqueue", "-redis", srv.Addr, "HardWorker", `[1,"two"]`}, &out, slog.Default()))
	jid := strings.TrimSpace(out.String())
	assert.Regexp(t, `^[0-9a-f]{24}$`, jid)
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"enqueue", "-redis", srv.Addr, "-queue", "critical", "Sleeper", `[0.01]`}, &out, slog.Default()))
	require.Error(t, run(context.Background(), []string{"enqueue", "-redis", srv.Addr, "HardWorker", `{"not":"an array"}`}, &out, slog.Default()))

	var logs nettest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"work", "-redis", srv.Addr, "-queues", "critical,default", "-concurrency", "3", "-reliable"}, nil, log)
	}()
	deadline := time.Now().Add(watchdog)
	for !(strings.Contains(logs.String(), `args="[1,\"two\"]"`) && strings.Contains(logs.String(), "class=Sleeper")) {
		require.True(t, time.Now().Before(deadline), "watchdog: the worker did not run both jobs; log:\n%s", logs.String())
		time.Sleep(20 * time.Millisecond)
	}
	assert.Contains(t, logs.String(), "jid="+jid)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(watchdog):
		t.Fatal("watchdog: the worker did not stop")
	}
	assert.Contains(t, logs.String(), "jobs: stopped")
}

func TestQueueOptions(t *testing.T) {
	for _, tc := range []struct {
		spec string
		ok   bool
	}{
		{"default", true}, {"critical,default", true}, {"critical:3,default", true},
		{"a:0", false}, {"a:x", false}, {"", false}, {"a,,b", false},
	} {
		opts, err := queueOptions(tc.spec)
		if !tc.ok {
			assert.Error(t, err, tc.spec)
			continue
		}
		require.NoError(t, err, tc.spec)
		assert.Len(t, opts, 1)
		var _ []jobs.ServerOption = opts
	}
}
