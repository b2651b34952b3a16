package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
)

// begin hands a fetched job to a worker goroutine, where it is also
// decoded, so the loop only moves bytes. There are as many workers as
// slots, and the channel holds as many: the send never blocks.
// Loop-only.
func (s *Server) begin(queue, raw string) {
	s.nextTID++
	ctx, cancel := context.WithCancel(context.Background())
	w := &work{tid: s.nextTID, raw: raw, queue: queue, runAt: time.Now().Unix(), ctx: ctx, cancel: cancel}
	s.running[w.tid] = w
	s.workCh <- w
}

// worker runs jobs until the channel closes (Shutdown). Long-lived
// goroutines keep their grown stacks, which a goroutine per job would
// grow again every time.
func (s *Server) worker(ch <-chan *work, chain HandlerFunc) {
	for w := range ch {
		j := new(Job)
		if err := j.UnmarshalJSON([]byte(w.raw)); err != nil {
			s.r.NextTick(func() { s.unparsable(w, err) })
			continue
		}
		err := invoke(w.ctx, chain, j)
		s.r.NextTick(func() { w.job = j; s.finish(w, err) })
	}
}

// unparsable sends a job that does not parse to the dead set, as
// Sidekiq does. Loop-only.
func (s *Server) unparsable(w *work, err error) {
	w.cancel()
	if w.abandoned {
		return
	}
	delete(s.running, w.tid)
	s.o.log.Error("jobs: job does not parse; moving it to the dead set", "queue", w.queue, "err", err)
	s.failed++
	s.processed++
	s.bury(w.raw, s.ack(w.queue, w.raw))
	s.fill()
	s.checkDrained()
}

// ack returns the command that removes a job from this process's working
// list (reliable fetch), or nil.
func (s *Server) ack(queue, raw string) []any {
	if !s.o.reliable {
		return nil
	}
	return []any{"LREM", "queue:" + queue + s.workingSuffix(), -1, raw}
}

// finish records a job's result: the ack, the stats, and for a failure
// the retry or dead set. Loop-only.
func (s *Server) finish(w *work, err error) {
	w.cancel()
	if w.abandoned {
		return // Shutdown pushed it back already
	}
	delete(s.running, w.tid)
	defer func() {
		s.fill()
		s.checkDrained()
	}()
	s.processed++
	ack := s.ack(w.queue, w.raw)
	if err == nil {
		if ack != nil {
			s.rc.Do(s.logErr("ack"), ack...)
		}
		return
	}
	s.failed++
	j := w.job
	now := time.Now()
	what, at := recordFailure(j, w.queue, err, now, s.o.maxRetries, s.rnd, s.o.retryIn)
	s.o.log.Warn("jobs: job failed", "class", j.Class, "jid", j.JID, "queue", w.queue, "err", err)
	switch what {
	case failDiscard:
		if ack != nil {
			s.rc.Do(s.logErr("ack"), ack...)
		}
	case failRetry:
		b, mErr := j.MarshalJSON()
		if mErr != nil {
			s.bury(w.raw, ack)
			return
		}
		cmds := [][]any{{"ZADD", "retry", scoreString(at), b}}
		if ack != nil {
			cmds = append(cmds, ack)
		}
		s.rc.Tx(func(_ []redis.Value, err error) { s.logErr("retry")(redis.Value{}, err) }, cmds...)
	case failDead:
		b, mErr := j.MarshalJSON()
		if mErr != nil {
			b = []byte(w.raw)
		}
		s.bury(string(b), ack)
	}
}

// bury adds a payload to the dead set as Sidekiq's DeadSet#kill does,
// capped by count and age, with the ack (if any) in the same
// transaction. Loop-only.
func (s *Server) bury(payload string, ack []any) {
	now := time.Now()
	cmds := [][]any{
		{"ZADD", "dead", scoreString(now), payload},
		{"ZREMRANGEBYSCORE", "dead", "-inf", scoreString(now.Add(-s.o.deadTimeout))},
		{"ZREMRANGEBYRANK", "dead", 0, -(s.o.deadMaxJobs + 1)}, // keeps deadMaxJobs (Sidekiq 6.4 keeps one fewer)
	}
	if ack != nil {
		cmds = append(cmds, ack)
	}
	s.rc.Tx(func(_ []redis.Value, err error) { s.logErr("dead set")(redis.Value{}, err) }, cmds...)
}

// logErr returns a callback that logs a failed command.
func (s *Server) logErr(what string) func(redis.Value, error) {
	return func(_ redis.Value, err error) {
		if err != nil {
			s.o.log.Error(fmt.Sprintf("jobs: %s failed", what), "err", err)
		}
	}
}
