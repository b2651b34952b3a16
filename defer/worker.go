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
	pool *Pool
	call func() // j.complete, bound once so that posting allocates nothing
}

// complete runs on the owner's goroutine (posted by deliver).
func (j *job) complete() {
	done, res, err := j.done, j.res, j.err
	j.pool.free(j)
	done(res, err)
}

func (p *Pool) newJob(op func(context.Context) (any, error), done func(any, error)) *job {
	j, _ := p.jobs.Get().(*job)
	if j == nil {
		j = &job{pool: p}
		j.call = j.complete
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
	defer p.exit()
	for j := range p.queue {
		if p.stopped.Load() {
			p.reject(j, ErrClosed)
			continue
		}
		w.started.Add(1)
		p.run(w, j)
		if j.err != nil {
			w.failed.Add(1)
		} else {
			w.completed.Add(1)
		}
		p.deliver(j)
	}
}

// run calls j.op and stores its result in j. A panic becomes a *PanicError.
// runtime.Goexit cannot be stopped: the job is finished here and a new
// worker takes this one's place.
func (p *Pool) run(w *workerStats, j *job) {
	returned := false
	defer func() {
		if returned {
			return
		}
		v := recover() // nil only for runtime.Goexit: panic(nil) recovers a *runtime.PanicNilError
		goexit := v == nil
		if goexit {
			v = errGoexit
		}
		j.res, j.err = nil, &PanicError{Value: v, Stack: debug.Stack()}
		if goexit {
			w.failed.Add(1)
			p.deliver(j)
			p.live.Add(1)
			go p.work(w)
		}
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

// deliver posts j's done, or drops it if the owner has detached.
func (p *Pool) deliver(j *job) {
	if j.done == nil {
		p.free(j)
		return
	}
	p.postMu.RLock()
	if p.detached {
		p.postMu.RUnlock()
		p.dropped.Add(1)
		p.free(j)
		return
	}
	p.post(j.call)
	p.postMu.RUnlock()
}
