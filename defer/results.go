package deferpool

// Completions go back to the owner in batches, as EventMachine drains its
// whole result queue in one loop-break: a finished job is appended to
// p.results, and only the append that finds no drain pending posts one.
// Under load, post (the reactor's NextTick: a lock and perhaps a wake-up
// write) runs once per batch instead of once per operation.

// deliver hands j to the owner, or drops it if the owner has detached.
// Any goroutine.
func (p *Pool) deliver(j *job) {
	if j.done == nil {
		p.free(j)
		return
	}
	p.resMu.Lock()
	if p.detached {
		p.resMu.Unlock()
		p.dropped.Add(1)
		p.free(j)
		return
	}
	p.results = append(p.results, j)
	post := !p.posted
	p.posted = true
	p.resMu.Unlock()
	if post {
		p.post(p.drainFn)
	}
}

// drain runs, on the owner's goroutine, the done of every job finished
// before it took the batch; jobs finished meanwhile wait for the next
// drain, so one drain is bounded. If a done panics, the rest of the batch
// is handed back (and a new drain posted) before the panic goes on to the
// owner's recovery, so that every other done still runs exactly once.
func (p *Pool) drain() {
	p.resMu.Lock()
	batch := p.results
	p.results, p.spare = p.spare, nil
	p.posted = false
	p.resMu.Unlock()

	i := 0
	defer func() {
		if i < len(batch) {
			p.requeue(batch[i+1:])
		}
	}()
	for ; i < len(batch); i++ {
		j := batch[i]
		batch[i] = nil
		done, res, err := j.done, j.res, j.err
		p.free(j)
		done(res, err)
	}

	p.resMu.Lock()
	if p.spare == nil {
		p.spare = batch[:0]
	}
	p.resMu.Unlock()
}

// requeue puts jobs back at the front of the results, after a panic in
// drain.
func (p *Pool) requeue(jobs []*job) {
	if len(jobs) == 0 {
		return
	}
	p.resMu.Lock()
	if p.detached {
		p.resMu.Unlock()
		p.dropped.Add(uint64(len(jobs)))
		return
	}
	p.results = append(jobs[:len(jobs):len(jobs)], p.results...)
	post := !p.posted
	p.posted = true
	p.resMu.Unlock()
	if post {
		p.post(p.drainFn)
	}
}

// Detach tells the pool that its owner no longer runs posted functions (the
// reactor's loop has stopped). Completions that were waiting for a drain,
// and every later one, rejections included, are dropped and counted in
// Stats.Dropped; their done never runs. Called on the owner's goroutine,
// it guarantees that no done runs after it returns. A worker that was
// already handing a batch over may still call post once, with a function
// that then finds nothing to run. Idempotent; safe for concurrent use.
func (p *Pool) Detach() {
	p.resMu.Lock()
	p.detached = true
	dropped := p.results
	p.results = nil
	p.resMu.Unlock()
	for _, j := range dropped {
		p.free(j)
	}
	p.dropped.Add(uint64(len(dropped)))
}
