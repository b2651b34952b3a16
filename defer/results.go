package deferpool

// Completions go back to the owner in batches, as EventMachine drains its
// whole result queue in one loop-break: a finished job goes into the
// results mailbox, and only the first job of a batch posts a drain. Under
// load, post (the reactor's NextTick: a lock and perhaps a wake-up write)
// runs once per batch instead of once per operation.

// deliver hands j to the owner, or drops it if the owner has detached.
// Any goroutine.
func (p *Pool) deliver(j *job) {
	if j.done == nil {
		p.free(j)
		return
	}
	if !p.results.Post(j) {
		p.dropped.Add(1)
		p.free(j)
	}
}

// drain runs, on the owner's goroutine, the done of every job finished
// before it took the batch; jobs finished meanwhile wait for the next
// drain, so one drain is bounded. If a done panics, the rest of the batch
// goes back to the mailbox (and a new drain is posted) before the panic
// goes on to the owner's recovery, so that every other done still runs
// exactly once.
func (p *Pool) drain() { p.results.Drain(p.finishFn) }

// finish runs one finished job's done, after recycling the job.
func (p *Pool) finish(j *job) {
	done, res, err := j.done, j.res, j.err
	p.free(j)
	done(res, err)
}

// Detach tells the pool that its owner no longer runs posted functions (the
// reactor's loop has stopped). Completions that were waiting for a drain,
// and every later one, rejections included, are dropped and counted in
// Stats.Dropped; their done never runs. Called on the owner's goroutine,
// it guarantees that no done runs after it returns. A worker that was
// already handing a batch over may still call post once, with a function
// that then finds nothing to run. Idempotent; safe for concurrent use.
func (p *Pool) Detach() {
	dropped := p.results.Close()
	for _, j := range dropped {
		p.free(j)
	}
	p.dropped.Add(uint64(len(dropped)))
}
