package reactor

import (
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPanicInReceiveData closes only the panicking Conn, with ErrPanic, logs
// the panic with its stack, and keeps serving the other Conns.
func TestPanicInReceiveData(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, data []byte) {
			if string(data) == "boom" {
				c.Write([]byte("last"))
				panic("handler exploded")
			}
			c.Write(data)
		}
	})
	good := dial(t, "tcp", l.Addr().String())
	goodP := h.accepted(accepted)
	bad := dial(t, "tcp", l.Addr().String())
	badP := h.accepted(accepted)

	write(t, bad, "boom")
	reason := badP.waitUnbind(t)
	assert.ErrorIs(t, reason, ErrPanic)
	assert.Contains(t, reason.Error(), "handler exploded")
	got, _ := io.ReadAll(bad)
	assert.Equal(t, "last", string(got), "bytes the kernel took before the panic are not taken back")

	logs := h.logs.String()
	assert.Contains(t, logs, "handler exploded")
	assert.Contains(t, logs, "panic_test.go", "the log carries the stack")
	assert.Regexp(t, `at="github.com/evmachine/evmachine/reactor.TestPanic[^"]*func[^"]* /[^"]*panic_test.go:\d+"`, logs,
		"the first frame is the function that panicked, with its file and line")
	assert.Regexp(t, `stack\.0="[^"]*panic_test.go:\d+" stack\.1=`, logs, "one key a frame, readable")
	assert.NotContains(t, logs, `\n\t`, "no escaped multi-line block")

	for i := range 10 {
		msg := strings.Repeat(string(rune('a'+i)), 100)
		write(t, good, msg)
		buf := make([]byte, len(msg))
		_, err := io.ReadFull(good, buf)
		require.NoError(t, err)
		assert.Equal(t, msg, string(buf))
	}
	assert.False(t, goodP.Unbound())
}

// TestPanicInEveryConnCallback: a panic in PostInit, ConnectionCompleted,
// OutboundDrained or PeerClosedWrite closes that Conn with ErrPanic; one in
// Unbind is only reported. The reactor goes on.
func TestPanicInEveryConnCallback(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(p *probe) {
		p.HalfCloser = true
		p.Drainer = true
		p.OnData = func(c *Conn, data []byte) {
			switch string(data) {
			case "drain":
				c.Write(make([]byte, 16<<20))
			case "unbind":
				c.Close()
			}
		}
		p.OnDrained = func(*Conn) { panic("in OutboundDrained") }
		p.OnPeerClosed = func(*Conn) { panic("in PeerClosedWrite") }
		p.OnUnbind = func(c *Conn, _ error) {
			if c.Handler() != nil && strings.Contains(string(p.Got()), "unbind") {
				panic("in Unbind")
			}
		}
	})
	// PeerClosedWrite
	c1 := dial(t, "tcp", l.Addr().String())
	p1 := h.accepted(accepted)
	c1.Close()
	assert.ErrorIs(t, p1.waitUnbind(t), ErrPanic)
	// OutboundDrained
	c2 := dial(t, "tcp", l.Addr().String())
	p2 := h.accepted(accepted)
	write(t, c2, "drain")
	go io.Copy(io.Discard, c2)
	assert.ErrorIs(t, p2.waitUnbind(t), ErrPanic)
	// Unbind: reported, the Conn is already closed with its own reason.
	c3 := dial(t, "tcp", l.Addr().String())
	p3 := h.accepted(accepted)
	write(t, c3, "unbind")
	assert.NoError(t, p3.waitUnbind(t))
	// PostInit and ConnectionCompleted of outbound Conns.
	for _, which := range []string{"post", "completed"} {
		p := h.newProbe()
		if which == "post" {
			p.OnPostInit = func(*Conn) { panic("in PostInit") }
		} else {
			p.OnCompleted = func(*Conn) { panic("in ConnectionCompleted") }
		}
		h.connect("tcp", l.Addr().String(), p)
		assert.ErrorIs(t, p.waitUnbind(t), ErrPanic, which)
		h.accepted(accepted)
	}
	for _, where := range []string{"OutboundDrained", "PeerClosedWrite", "Unbind", "PostInit", "ConnectionCompleted"} {
		assert.Contains(t, h.logs.String(), "in "+where)
	}
	assert.True(t, h.r.Running())
}

// TestPanicInNewHandler: a panicking newHandler closes the accepted
// connection and nothing else.
func TestPanicInNewHandler(t *testing.T) {
	h := newHarness(t)
	n := 0
	l := h.listen("tcp", "127.0.0.1:0", func(c *Conn) Handler {
		n++
		switch n {
		case 1:
			panic("in newHandler")
		case 2:
			return nil
		}
		p := h.newProbe()
		echoSetup(p)
		return p
	})
	for range 2 {
		c := dial(t, "tcp", l.Addr().String())
		_, err := io.ReadAll(c)
		assert.NoError(t, err, "closed cleanly")
	}
	c := dial(t, "tcp", l.Addr().String())
	write(t, c, "still serving")
	buf := make([]byte, 13)
	_, err := io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Contains(t, h.logs.String(), "in newHandler")
}

// TestWithPanicHandler: the handler gets the value and the stack instead
// of the log; the Conn still closes with ErrPanic.
func TestWithPanicHandler(t *testing.T) {
	var mu sync.Mutex
	var values []any
	var stacks []string
	h := newHarness(t, WithPanicHandler(func(v any, stack []byte) {
		mu.Lock()
		defer mu.Unlock()
		values = append(values, v)
		stacks = append(stacks, string(stack))
	}))
	l, accepted := h.serve(func(p *probe) {
		p.OnData = func(*Conn, []byte) { panic("custom") }
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	write(t, c, "x")
	assert.ErrorIs(t, p.waitUnbind(t), ErrPanic)
	fired := make(chan struct{})
	h.do(func() {
		h.r.AddTimer(0, func() { panic("timer") })
		h.r.AddTimer(time.Millisecond, func() { close(fired) })
	})
	waitClosed(t, fired, "a timer after the panic")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []any{"custom", "timer"}, values)
	require.Len(t, stacks, 2)
	assert.Contains(t, stacks[0], "panic_test.go")
	assert.NotContains(t, h.logs.String(), "custom", "the handler replaces the log")
}

// TestPanicHandlerRepanics: a panic handler that re-panics crashes out of
// Run, as documented.
func TestPanicHandlerRepanics(t *testing.T) {
	r, err := New(WithPanicHandler(func(v any, _ []byte) { panic(v) }))
	require.NoError(t, err)
	r.NextTick(func() { panic("fatal") })
	guard := time.AfterFunc(waitTimeout, r.Stop) // fail, not hang, if the panic were swallowed
	defer guard.Stop()
	var got any
	func() {
		defer func() { got = recover() }()
		r.Run()
	}()
	assert.Equal(t, "fatal", got)
	r.teardown() // Run left early: release the poller here
}
