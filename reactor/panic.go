package reactor

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
)

// safeCall runs a callback that belongs to no Conn (a timer, a tick, a
// completion). A panic is recovered and reported; the loop goes on.
func (r *Reactor) safeCall(fn func()) {
	defer func() {
		if v := recover(); v != nil {
			r.reportPanic(v, debug.Stack(), nil)
		}
	}()
	fn()
}

// reportPanic hands a recovered panic to the panic handler, or logs it.
func (r *Reactor) reportPanic(v any, stack []byte, c *Conn) {
	if r.cfg.panicHandler != nil {
		r.cfg.panicHandler(v, stack)
		return
	}
	if c != nil {
		r.log.Error("reactor: connection callback panicked; closing the connection", "panic", v, "fd", c.fd, "stack", string(stack))
		return
	}
	r.log.Error("reactor: callback panicked", "panic", v, "stack", string(stack))
}

// connPanic closes c with ErrPanic after one of its callbacks panicked.
// It is called from a deferred recover in the dispatch functions.
func (r *Reactor) connPanic(c *Conn, v any) {
	stack := debug.Stack()
	c.closeWith(fmt.Errorf("%w: %v", ErrPanic, v))
	r.reportPanic(v, stack, c)
}

// goid returns the calling goroutine's id, parsed from its stack header.
// It is only used on rare paths (Shutdown) to tell the loop goroutine from
// others.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
