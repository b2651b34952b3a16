package reactor

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// offLoop runs fn on a new goroutine and returns what it panicked with.
func offLoop(fn func()) (v any) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { v = recover() }()
		fn()
	}()
	<-done
	return v
}

// TestLoopCheckPanicsOffLoop: with the check on (the default under -race,
// WithLoopCheck(true) otherwise), a loop-only method called from another
// goroutine while the loop runs panics with a message naming the method
// and the fix; on the loop, and before Run, the same calls work; with the
// check off nothing is checked.
func TestLoopCheckPanicsOffLoop(t *testing.T) {
	assert.Equal(t, raceEnabled, defaultConfig().loopCheck, "on by default exactly in race builds")

	h := newHarness(t, WithLoopCheck(true))
	l, accepted := h.serve(echoSetup)
	c := dial(t, "tcp", l.Addr().String())
	defer c.Close()
	srv := h.accepted(accepted).Conn()

	for name, call := range map[string]func(){
		"Conn.Write":       func() { srv.Write([]byte("x")) },
		"Conn.Close":       func() { srv.Close() },
		"Conn.Pause":       func() { srv.Pause() },
		"Reactor.AddTimer": func() { h.r.AddTimer(time.Second, func() {}) },
		"Reactor.Connect":  func() { h.r.Connect("tcp", l.Addr().String(), BaseHandler{}) },
	} {
		v := offLoop(call)
		require.NotNil(t, v, "%s off the loop must panic", name)
		msg := fmt.Sprint(v)
		assert.Contains(t, msg, "reactor: "+name+" called on goroutine")
		assert.Contains(t, msg, "r.NextTick")
		assert.Contains(t, msg, "c.AsyncWrite")
	}
	h.do(func() { _, err := srv.Write([]byte("on the loop")); assert.NoError(t, err) })

	// Before Run, set-up from any goroutine is allowed.
	r, err := New(WithLoopCheck(true))
	require.NoError(t, err)
	assert.Nil(t, offLoop(func() { r.AddTimer(time.Second, func() {}).Cancel() }))
	r.Stop()
	require.NoError(t, r.Run())

	// Off: not checked (the call is still a bug; it is just not caught).
	r2, err := New(WithLoopCheck(false))
	require.NoError(t, err)
	assert.False(t, r2.cfg.loopCheck)
	r2.Stop()
	require.NoError(t, r2.Run())
}

// TestAsyncWriteFromManyGoroutines: 100 goroutines each AsyncWrite 100
// numbered chunks to one Conn; the peer receives every byte, each
// goroutine's chunks in its order; AsyncClose then closes the Conn after
// the writes queued before it.
func TestAsyncWriteFromManyGoroutines(t *testing.T) {
	const writers, chunks = 100, 100
	h := newHarness(t, WithLoopCheck(true))
	l, accepted := h.serve(func(p *probe) {})
	c := dial(t, "tcp", l.Addr().String())
	defer c.Close()
	srv := h.accepted(accepted).Conn()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			buf := make([]byte, 0, 16)
			for i := range chunks {
				buf = fmt.Appendf(buf[:0], "%03d:%03d;", w, i)
				srv.AsyncWrite(buf) // buf is reused at once: AsyncWrite copied it
			}
		})
	}
	wg.Wait()
	srv.AsyncClose()
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Len(t, got, writers*chunks*8)
	next := make([]int, writers)
	for rec := range bytes.SplitSeq(bytes.TrimSuffix(got, []byte(";")), []byte(";")) {
		var w, i int
		_, err := fmt.Sscanf(string(rec), "%03d:%03d", &w, &i)
		require.NoError(t, err, "record %q", rec)
		require.Equal(t, next[w], i, "writer %d's chunks in order", w)
		next[w]++
	}
	for w := range writers {
		assert.Equal(t, chunks, next[w])
	}
}

// BenchmarkLoopCheck is the cost the check adds to each loop-only call
// with WithLoopCheck(true) (the README quotes it); off, it is one
// predictable branch.
func BenchmarkLoopCheck(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("on=%v", on), func(b *testing.B) {
			r := &Reactor{cfg: config{loopCheck: on}}
			r.running.Store(true)
			if on && lockForCheck {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			r.loopGID.Store(goid())
			r.loopID = loopIdentity()
			for b.Loop() {
				if r.cfg.loopCheck {
					r.checkLoop("Conn.Write")
				}
			}
		})
	}
}
