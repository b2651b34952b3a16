package reactor

import (
	"bytes"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// safeCall runs a callback that belongs to no Conn (a timer, a tick, a
// completion). A panic is recovered and reported; the loop goes on.
func (r *Reactor) safeCall(fn func()) {
	defer func() {
		if v := recover(); v != nil {
			r.slowAbort()
			r.reportPanic(v, debug.Stack(), nil)
		}
	}()
	if r.slow != nil {
		t := r.slow.begin(fn, "")
		fn()
		r.slowEnd(t)
		return
	}
	fn()
}

// reportPanic hands a recovered panic to the panic handler, or logs it.
func (r *Reactor) reportPanic(v any, stack []byte, c *Conn) {
	if r.cfg.panicHandler != nil {
		r.cfg.panicHandler(v, stack)
		return
	}
	frames := panicFrames(stack)
	at := ""
	if len(frames) > 0 {
		at = frames[0].Value.String()
	}
	if c != nil {
		r.log.Error("reactor: connection callback panicked; closing the connection", "panic", v, "fd", c.fd,
			"at", at, "stack", slog.GroupValue(frames...))
		return
	}
	r.log.Error("reactor: callback panicked", "panic", v, "at", at, "stack", slog.GroupValue(frames...))
}

// maxPanicFrames bounds the frames a logged panic carries.
const maxPanicFrames = 32

// panicFrames turns debug.Stack's text into one attribute per frame, from
// the function that panicked outwards ("0": "main.(*conn).ReceiveData
// /src/conn.go:42"), so that a log line shows the stack readably (one key
// a frame) rather than as one escaped block. The recovery's own frames,
// up to the runtime's panic, are left out.
func panicFrames(stack []byte) []slog.Attr {
	frames := stackFrames(stack)
	for i, f := range frames {
		if f.fn == "panic" {
			frames = frames[i+1:]
			break
		}
	}
	var attrs []slog.Attr
	for _, f := range frames {
		if len(attrs) == maxPanicFrames {
			break
		}
		if len(attrs) == 0 && strings.HasPrefix(f.fn, "runtime.") {
			continue // runtime.sigpanic, runtime.panicmem: not where it happened
		}
		attrs = append(attrs, slog.String(strconv.Itoa(len(attrs)), f.fn+" "+f.loc))
	}
	return attrs
}

// stackFrame is one frame of a goroutine's stack as runtime.Stack and
// debug.Stack print it: the function (without its argument words) and
// its file:line (without the pc offset).
type stackFrame struct{ fn, loc string }

// stackFrames parses one goroutine's stack text ("goroutine N [...]:",
// then a function line and a tab-indented file:line line per frame).
func stackFrames(stack []byte) []stackFrame {
	lines := bytes.Split(stack, []byte("\n"))
	var frames []stackFrame
	for i := 1; i+1 < len(lines); i += 2 {
		fn := string(bytes.TrimSpace(lines[i]))
		if p := strings.LastIndexByte(fn, '('); p > 0 {
			fn = fn[:p]
		}
		loc := string(bytes.TrimSpace(lines[i+1]))
		if p := strings.LastIndex(loc, " +0x"); p > 0 {
			loc = loc[:p]
		}
		frames = append(frames, stackFrame{fn, loc})
	}
	return frames
}

// connPanic closes c with ErrPanic after one of its callbacks panicked.
// It is called from a deferred recover in the dispatch functions.
func (r *Reactor) connPanic(c *Conn, v any) {
	r.slowAbort()
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
