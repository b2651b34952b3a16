package reactor

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// groupEcho counts, per reactor, the Conns it accepted, and echoes.
type groupEcho struct {
	BaseHandler
	perLoop []atomic.Int64
	g       *Group
	written atomic.Int64 // bytes the loops wrote back
}

func (e *groupEcho) PostInit(c *Conn) {
	for i, r := range e.g.rs {
		if r == c.Reactor() {
			e.perLoop[i].Add(1)
		}
	}
}

func (e *groupEcho) ReceiveData(c *Conn, data []byte) {
	if n, err := c.Write(data); err == nil {
		e.written.Add(int64(n))
	}
}

// startGroup runs a group of n reactors with an echo listener on network
// and addr, with a watchdog; it returns the group, the handler and the
// address to dial.
func startGroup(t *testing.T, n int, network, addr string) (*Group, *groupEcho, string, chan error) {
	t.Helper()
	g, err := NewGroup(n)
	require.NoError(t, err)
	h := &groupEcho{perLoop: make([]atomic.Int64, n), g: g}
	require.NoError(t, g.Listen(network, addr, func(*Conn) Handler { return h }))
	ls := g.Listeners()
	require.NotEmpty(t, ls)
	for _, l := range ls {
		assert.Equal(t, ls[0].Addr().String(), l.Addr().String(), "one address for every loop")
	}
	done := make(chan error, 1)
	ran := make(chan struct{})
	go func() { done <- g.Run(); close(ran) }()
	dog := time.AfterFunc(watchdogTimeout, func() { panic("watchdog: " + t.Name() + " still running") })
	t.Cleanup(func() {
		dog.Stop()
		g.Stop()
		select {
		case <-ran:
		case <-time.After(waitTimeout):
			t.Error("the group did not stop")
		}
	})
	return g, h, ls[0].Addr().String(), done
}

// TestGroupSpreadsConnections: 1,000 connections to a Group of 4 are
// accepted by every loop (SO_REUSEPORT on TCP; dealt out from one
// listener on a unix socket), and each echoes on the loop that owns it.
func TestGroupSpreadsConnections(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{"tcp", "127.0.0.1:0"},
		{"unix", filepath.Join(t.TempDir(), "g.sock")},
	} {
		t.Run(tc.network, func(t *testing.T) {
			const n, conns = 4, 1000
			_, h, addr, _ := startGroup(t, n, tc.network, tc.addr)
			var wg sync.WaitGroup
			sem := make(chan struct{}, 64)
			for i := range conns {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					c, err := net.DialTimeout(tc.network, addr, waitTimeout)
					if !assert.NoError(t, err) {
						return
					}
					defer c.Close()
					msg := fmt.Sprintf("hello %d", i)
					c.Write([]byte(msg))
					buf := make([]byte, len(msg))
					c.SetReadDeadline(time.Now().Add(waitTimeout))
					_, err = io.ReadFull(c, buf)
					assert.NoError(t, err)
					assert.Equal(t, msg, string(buf))
				})
			}
			wg.Wait()
			total := int64(0)
			for i := range h.perLoop {
				got := h.perLoop[i].Load()
				assert.Positive(t, got, "loop %d accepted some", i)
				total += got
			}
			assert.EqualValues(t, conns, total)
		})
	}
}

// TestGroupShutdownUnderTraffic: Shutdown of a Group while clients send
// loses no byte the loops already wrote: what the clients receive before
// EOF is exactly what the handlers wrote.
func TestGroupShutdownUnderTraffic(t *testing.T) {
	g, h, addr, done := startGroup(t, 3, "tcp", "127.0.0.1:0")
	const clients = 30
	payload := make([]byte, 256<<10)
	for i := range payload {
		payload[i] = byte(i)
	}
	conns := make([]net.Conn, clients)
	for i := range conns {
		c, err := net.DialTimeout("tcp", addr, waitTimeout)
		require.NoError(t, err)
		defer c.Close()
		conns[i] = c
	}
	var received atomic.Int64
	for _, c := range conns { // one round trip each first: every loop has written
		c.Write([]byte{1})
		one := make([]byte, 1)
		c.SetReadDeadline(time.Now().Add(waitTimeout))
		_, err := io.ReadFull(c, one)
		require.NoError(t, err)
		received.Add(1)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			c.Write(payload) // in flight while the group drains; may be cut short
		})
		wg.Go(func() {
			c.SetReadDeadline(time.Now().Add(waitTimeout))
			n, err := io.Copy(io.Discard, c)
			assert.NoError(t, err, "EOF, not a reset: the drain closes cleanly")
			received.Add(n)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, g.Shutdown(ctx))
	for _, c := range conns {
		c.(*net.TCPConn).CloseWrite()
	}
	wg.Wait()
	assert.Positive(t, h.written.Load(), "the loops echoed some before the drain")
	assert.Equal(t, h.written.Load(), received.Load(), "every byte written reached its client")
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after Shutdown")
	}
}

// TestGroupLoopPanicStopsTheOthers: a panic that escapes one loop (a
// re-panicking WithPanicHandler) is returned by Run, and the other loops
// are stopped rather than left running unattended.
func TestGroupLoopPanicStopsTheOthers(t *testing.T) {
	g, err := NewGroup(3, WithPanicHandler(func(v any, _ []byte) { panic(v) }))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- g.Run() }()
	g.Reactors()[1].NextTick(func() { panic("loop 1 exploded") })
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "loop 1 panicked: loop 1 exploded")
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after a loop failed")
	}
	assert.False(t, g.Running(), "no loop left running")
}

// TestGroupNext: Next hands out every reactor in turn.
func TestGroupNext(t *testing.T) {
	g, err := NewGroup(3)
	require.NoError(t, err)
	defer func() { g.Stop(); g.Run() }()
	seen := map[*Reactor]int{}
	for range 9 {
		seen[g.Next()]++
	}
	assert.Len(t, seen, 3)
	for _, n := range seen {
		assert.Equal(t, 3, n)
	}
}
