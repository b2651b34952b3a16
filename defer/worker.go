package deferpool

import (
	"context"
	"runtime/debug"
	"sync/atomic"
)

// job is one submitted operation, and then its result on the way back.
// Jobs are recycled through Pool.jobs once their done has been called.
type job struct {
	op   func(ctx context.Context) (any, error)
	done func(any, error)
	res  any
	err  error
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
	j.op, j.done, j.res, j.err = nil, nil, nil, nil
	p.jobs.Put(j)
}

// workerStats are one worker's counters. Only that worker writes them, so
// the adds never contend; the padding keeps workers off each other's cache
// lines.
type workerStats struct {
	started   atomic.Uint64
	completed atomic.Uint64
	failed    atomic.Uint64
	_         [64 - 3*8]byte
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
		p.run(j)
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
