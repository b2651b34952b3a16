package reactor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShutdownBeforeRunReturnsWhenCtxEnds(t *testing.T) {
	r, err := New()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Shutdown(ctx) }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown before Run hung after its ctx ended")
	}
	// Run afterwards returns promptly: the stop was requested.
	ran := make(chan error, 1)
	go func() { ran <- r.Run() }()
	select {
	case err := <-ran:
		assert.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("Run after an expired Shutdown did not return")
	}
}
