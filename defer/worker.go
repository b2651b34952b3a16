package deferpool

import (
	"context"
	"reflect"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// job is one submitted operation, and then its result on the way back.
// Jobs are recycled through Pool.jobs once their done has been called.
type job struct {
	op   func(ctx context.Context) (any, error)
	done func(any, error)
	res  any
	err  error
	name any // the function Running names (SubmitAs); nil: op
}

func (p *Pool) newJob(op func(context.Context) (any, error), done func(any, error)) *job {
	j, _ := p.jobs.Get().(*job)
	if j == nil {
		j = new(job)
	}
	j.op, j.done = op, done
	return j
}

func (p *Pool) free(j *job) {
	j.op, j.done, j.res, j.err, j.name = nil, nil, nil, nil, nil
	p.jobs.Put(j)
}

// workerStats are one worker's counters. Only that worker writes them, so
// the adds never contend; the padding keeps workers off each other's cache
// lines.
type workerStats struct {
	started   atomic.Uint64
	completed atomic.Uint64
	failed    atomic.Uint64
	cur       atomic.Pointer[job] // the job running now, for Running
	since     atomic.Int64        // when it started, Unix nanoseconds
	_         [64 - 5*8]byte
}

// work is a worker's loop: it runs jobs until Close closes the queue.
func (p *Pool) work(w *workerStats) {
	var cur *job // the job being run; still set if its op called runtime.Goexit
	defer func() {
		if cur != nil {
			// Goexit cannot be stopped: finish the job as failed and give
			// this worker's place to a new goroutine.
			w.failed.Add(1)
			p.deliver(cur)
			p.live.Add(1)
			go p.work(w)
		}
		p.exit()
	}()
	for j := range p.queue {
		if p.stopped.Load() {
			p.reject(j, ErrClosed)
			continue
		}
		w.started.Add(1)
		cur = j
		w.since.Store(time.Now().UnixNano())
		w.cur.Store(j)
		p.run(j)
		w.cur.Store(nil)
		cur = nil
		if j.err != nil {
			w.failed.Add(1)
		} else {
			w.completed.Add(1)
		}
		p.deliver(j)
	}
}

// run calls j.op and stores its result in j; a panic becomes a *PanicError.
// So does runtime.Goexit, which recover cannot stop (work deals with it).
func (p *Pool) run(j *job) {
	returned := false
	defer func() {
		if returned {
			return
		}
		v := recover()
		if v == nil { // Goexit; panic(nil) recovers a *runtime.PanicNilError
			v = errGoexit
		}
		j.res, j.err = nil, &PanicError{Value: v, Stack: debug.Stack()}
	}()
	j.res, j.err = j.op(p.ctx)
	returned = true
}

// exit is a worker's last act; the last one out tells Close.
func (p *Pool) exit() {
	if p.live.Add(-1) == 0 {
		close(p.exited)
	}
}

// reject finishes a job that did not run.
func (p *Pool) reject(j *job, err error) {
	j.res, j.err = nil, err
	p.rejected.Add(1)
	p.deliver(j)
}

// Running is an operation a worker is running.
type Running struct {
	Func string        // the operation's function, as runtime.FuncForPC names it
	For  time.Duration // how long it has been running
}

// Running lists the operations running now, e.g. those a Close whose grace
// expired left behind. Safe for concurrent use.
func (p *Pool) Running() []Running {
	if !p.started.Load() {
		return nil
	}
	var out []Running
	now := time.Now().UnixNano()
	for _, w := range p.workers {
		j := w.cur.Load()
		if j == nil {
			continue
		}
		name := j.name
		if name == nil {
			name = j.op
		}
		out = append(out, Running{Func: funcName(name), For: time.Duration(now - w.since.Load())})
	}
	return out
}

// funcName names a function value.
func funcName(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return "?"
	}
	if f := runtime.FuncForPC(v.Pointer()); f != nil {
		return f.Name()
	}
	return "?"
}
