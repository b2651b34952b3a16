package reactor_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubbornLookup ignores its context, as a blocking call without one does.
func stubbornLookup(release chan struct{}) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		<-release
		return "late", nil
	}
}

// TestStopLogsOperationsIgnoringContext: Stop cancels the context of a
// running Defer operation; one that ignores it holds Run for the grace
// period and is then named in the log (its function, how long it ran).
func TestStopLogsOperationsIgnoringContext(t *testing.T) {
	logs := &nettest.Buffer{}
	const grace = 100 * time.Millisecond
	r, err := reactor.New(reactor.WithDeferCloseGrace(grace),
		reactor.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	require.NoError(t, err)
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	r.NextTick(func() {
		reactor.Defer(r, func(ctx context.Context) (string, error) {
			close(started)
			return stubbornLookup(release)(ctx)
		}, nil)
		r.Defer(func(context.Context) (any, error) { <-release; return nil, nil }, nil)
	})
	done := make(chan error, 1)
	go func() { done <- r.Run() }()
	select {
	case <-started:
	case <-time.After(asyncWatchdog):
		t.Fatal("the operation did not start")
	}
	time.Sleep(10 * time.Millisecond) // let the second worker pick its job up too; a bound, not a measurement
	start := time.Now()
	r.Stop()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(asyncWatchdog):
		t.Fatal("Run did not return after the grace period")
	}
	assert.GreaterOrEqual(t, time.Since(start), grace, "Run waited the grace period")
	out := logs.String()
	assert.Contains(t, out, "Defer operations still running after stop")
	assert.Regexp(t, `op=github.com/evmachine/evmachine/reactor_test.TestStopLogsOperationsIgnoringContext.func[\d.]+ running_for=\d+`, out,
		"the typed Defer's operation is named, not its adapter")
	assert.Regexp(t, `op=github.com/evmachine/evmachine/reactor_test.TestStopLogsOperationsIgnoringContext.func[\d.]+ running_for=\S+\n.*op=github.com/evmachine/evmachine/reactor_test.TestStopLogsOperationsIgnoringContext.func[\d.]+`, out,
		"both operations are named")
}
