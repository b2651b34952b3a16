package reactor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queueOnAccept serves Conns of which the first n queue answer as soon as
// they exist.
func queueOnAccept(h *harness, answer []byte, n int) (*Listener, chan *probe) {
	return h.serve(func(p *probe) {
		if n--; n >= 0 {
			p.OnPostInit = func(c *Conn) { c.Write(answer) }
		}
	})
}

// TestShutdownFlushesQueuedOutput: Shutdown closes the listener at once,
// lets every Conn write what it has queued, then stops the reactor and
// returns nil.
func TestShutdownFlushesQueuedOutput(t *testing.T) {
	h := newHarness(t)
	answer := pattern(8<<20, 7)
	l, accepted := queueOnAccept(h, answer, 2)
	clients := []net.Conn{dial(t, "tcp", l.Addr().String()), dial(t, "tcp", l.Addr().String())}
	probes := []*probe{h.accepted(accepted), h.accepted(accepted)}

	result := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		result <- h.r.Shutdown(ctx)
	}()
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", l.Addr().String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, waitTimeout, 20*time.Millisecond, "the listener closes at once")
	select {
	case <-result:
		t.Fatal("Shutdown returned before the queued output was read")
	default:
	}

	for i, c := range clients {
		got, err := io.ReadAll(c)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(answer, got), "client %d got everything queued, then EOF", i)
		c.Close() // as a client does on EOF: the server's lingering socket ends now
	}
	select {
	case err := <-result:
		assert.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("Shutdown did not return")
	}
	assert.False(t, h.r.Running())
	for _, p := range probes {
		assert.NoError(t, p.waitUnbind(t))
	}
}

// TestShutdownContextEnds: when ctx ends before the output is flushed,
// Shutdown stops the reactor as Stop does (ErrStopped) and returns ctx's
// error.
func TestShutdownContextEnds(t *testing.T) {
	h := newHarness(t)
	l, accepted := queueOnAccept(h, pattern(16<<20, 8), 1)
	c := dial(t, "tcp", l.Addr().String()) // never reads
	p := h.accepted(accepted)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := h.r.Shutdown(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, h.r.Running(), "stopped when Shutdown returns")
	assert.ErrorIs(t, p.waitUnbind(t), ErrStopped)
	_, err = io.Copy(io.Discard, c)
	assert.True(t, err == nil || isReset(err), "the client sees the close: %v", err)
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// TestShutdownFromCallback: Shutdown called on the loop returns nil at once
// and the reactor stops after the flush.
func TestShutdownFromCallback(t *testing.T) {
	h := newHarness(t)
	answer := pattern(4<<20, 9)
	result := make(chan error, 1)
	l, accepted := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, _ []byte) {
			c.Write(answer)
			result <- h.r.Shutdown(context.Background())
			_, err := c.Write([]byte("late"))
			assert.ErrorIs(t, err, ErrClosed, "no writes once the Conn is draining")
		}
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	write(t, c, "bye")
	assert.NoError(t, <-result)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(answer, got))
	c.Close()
	assert.NoError(t, p.waitUnbind(t))
	select {
	case err := <-h.done:
		assert.NoError(t, err)
		h.done <- err
	case <-time.After(waitTimeout):
		t.Fatal("the reactor did not stop after the drain")
	}
}
