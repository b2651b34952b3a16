package reactor

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// SlowCallback is one callback that held the loop longer than the
// WithSlowCallback threshold.
type SlowCallback struct {
	// Name is the callback: a handler's type and method
	// ("*main.chatConn.ReceiveData"), or a function as Go names it
	// ("main.main.func2" for a timer's or a Defer completion's closure).
	// Reported while still running, it is the first function of the
	// program's own in the loop goroutine's stack.
	Name     string
	Duration time.Duration // how long it ran (so far, if Running)
	// Running is true when the watchdog found it still running; Stack is
	// then the loop goroutine's stack at that moment (showing the call it
	// is blocked in). The same callback is reported again, Running false,
	// if it ever returns.
	Running bool
	Stack   []byte
}

// WithSlowCallback turns the blocked-loop detector on: a callback
// (a handler method, a timer, a tick, a Defer completion) that holds the
// loop longer than threshold is reported to report, named; and a watchdog
// goroutine that looks every threshold/4 reports one still running, with
// the loop goroutine's stack. report runs on the loop goroutine for
// callbacks that returned and on the watchdog's goroutine for ones still
// running: it must be safe for concurrent use and must not block. It also
// makes Stats' LongestCallback meaningful. Default: off (each callback
// then costs nothing extra; on, two clock reads).
func WithSlowCallback(threshold time.Duration, report func(SlowCallback)) Option {
	return func(c *config) {
		if threshold > 0 && report != nil {
			c.slowThreshold, c.slowReport = threshold, report
		}
	}
}

// slowState is the detector's state. start, seq and reported are shared
// with the watchdog; name and method are the loop's.
type slowState struct {
	threshold time.Duration
	report    func(SlowCallback)
	base      time.Time    // origin of the monotonic stamps
	start     atomic.Int64 // stamp of the callback running now; 0: none
	seq       atomic.Uint64
	reported  atomic.Uint64 // the seq the watchdog reported as running
	name      any           // the handler (method != "") or the function running
	method    string
}

func (s *slowState) now() int64 { return int64(time.Since(s.base)) + 1 }

// begin stamps a callback's start; name is the handler (with method) or
// the function.
func (s *slowState) begin(name any, method string) int64 {
	s.name, s.method = name, method
	t := s.now()
	s.seq.Add(1)
	s.start.Store(t)
	return t
}

// rename makes fn the name of the callback running (a Defer completion's
// done, behind the pool's adapter).
func (s *slowState) rename(fn any) { s.name, s.method = fn, "" }

// end reports the callback begun at t if it was slow, and keeps the
// longest for Stats.
func (r *Reactor) slowEnd(t int64) {
	s := r.slow
	d := time.Duration(s.now() - t)
	s.start.Store(0)
	for {
		old := r.stats.longestNs.Load()
		if int64(d) <= old || r.stats.longestNs.CompareAndSwap(old, int64(d)) {
			break
		}
	}
	if d >= s.threshold {
		s.report(SlowCallback{Name: callbackName(s.name, s.method), Duration: d})
	}
}

// slowAbort forgets the callback running (it panicked).
func (r *Reactor) slowAbort() {
	if r.slow != nil {
		r.slow.start.Store(0)
	}
}

// callbackName names a handler method or a function.
func callbackName(v any, method string) string {
	if method != "" {
		return fmt.Sprintf("%T.%s", v, method)
	}
	name := funcName(v)
	return strings.TrimSuffix(name, "-fm")
}

// funcName names a function value as the runtime does.
func funcName(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return fmt.Sprintf("%T", fn)
	}
	if f := runtime.FuncForPC(v.Pointer()); f != nil {
		return f.Name()
	}
	return "?"
}

// watch is the watchdog: it reports a callback still running past the
// threshold, once, with the loop goroutine's stack. It returns when done
// is closed.
func (r *Reactor) watchSlow(done <-chan struct{}) {
	s := r.slow
	every := max(s.threshold/4, time.Millisecond)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		seq, t := s.seq.Load(), s.start.Load()
		if t == 0 || s.reported.Load() == seq {
			continue
		}
		d := time.Duration(s.now() - t)
		if d < s.threshold {
			continue
		}
		s.reported.Store(seq)
		stack := goroutineStack(r.loopGID.Load())
		s.report(SlowCallback{Name: frameName(stack), Duration: d, Running: true, Stack: stack})
	}
}

// goroutineStack returns the stack of goroutine id, from a dump of all.
func goroutineStack(id uint64) []byte {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	head := []byte("goroutine " + strconv.FormatUint(id, 10) + " [")
	i := bytes.Index(buf, head)
	if i < 0 {
		return nil
	}
	block := buf[i:]
	if j := bytes.Index(block, []byte("\n\n")); j >= 0 {
		block = block[:j]
	}
	return append([]byte(nil), block...)
}

// frameName is the innermost function of the stack that is the program's
// own: not the runtime's, the standard library's blocking calls, or the
// reactor's.
func frameName(stack []byte) string {
	for _, f := range stackFrames(stack) {
		if strings.Contains(f.fn, ".") && !isLibraryFrame(f.fn) {
			return f.fn
		}
	}
	return "?"
}

// isLibraryFrame reports whether fn belongs to the runtime, the standard
// library or the reactor itself.
func isLibraryFrame(fn string) bool {
	if strings.HasPrefix(fn, "github.com/evmachine/evmachine/reactor.") ||
		strings.HasPrefix(fn, "github.com/evmachine/evmachine/internal/") ||
		strings.HasPrefix(fn, "github.com/evmachine/evmachine/timer.") ||
		strings.HasPrefix(fn, "github.com/evmachine/evmachine/defer.") {
		return true
	}
	// The standard library's import paths have no dot in their first
	// element ("net/http", "time"); a module's have ("github.com/...").
	first := fn
	if i := strings.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	} else if i := strings.IndexByte(first, '.'); i >= 0 {
		first = first[:i] // "time.Sleep", "main.handler.ReceiveData"
	}
	return first != "main" && !strings.Contains(first, ".")
}
