package deferpool

// Stats is a snapshot of a pool's counters. Each field is read atomically,
// but not all at the same instant, so under load the fields may disagree by
// the few operations that moved between two reads.
type Stats struct {
	Workers   int    // worker goroutines alive (0 before the first Submit and after Close)
	Queued    int    // accepted and waiting for a worker
	Running   int    // running on a worker now
	Completed uint64 // ran and returned a nil error
	Failed    uint64 // ran and returned an error or panicked
	Rejected  uint64 // did not run: ErrQueueFull or ErrClosed
	Dropped   uint64 // done not posted because the owner had detached
}

// Stats returns the pool's counters. Safe for concurrent use.
func (p *Pool) Stats() Stats {
	s := Stats{
		Workers:  int(p.live.Load()),
		Rejected: p.rejected.Load(),
		Dropped:  p.dropped.Load(),
	}
	if !p.started.Load() {
		return s
	}
	s.Queued = len(p.queue)
	var started uint64
	for _, w := range p.workers {
		// Finished before started: a worker counts started first, so the
		// difference cannot go negative.
		s.Completed += w.completed.Load()
		s.Failed += w.failed.Load()
		started += w.started.Load()
	}
	s.Running = int(started - s.Completed - s.Failed)
	return s
}
