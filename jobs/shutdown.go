package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
)

// recoverOrphans pushes back the working lists of processes whose
// heartbeat key has expired (reliable fetch). Loop-only.
func (s *Server) recoverOrphans() {
	if s.stopping {
		return
	}
	s.rc.DoMap(func(m map[string]string, err error) {
		if err != nil {
			s.o.log.Error("jobs: reading the working lists", "err", err)
			return
		}
		for list, val := range m {
			var v []string
			if json.Unmarshal([]byte(val), &v) != nil || len(v) != 2 {
				continue
			}
			if v[0] == s.o.identity {
				continue
			}
			s.requeue(list, v[0], v[1], true, func(n int64) {
				if n > 0 {
					s.o.log.Warn("jobs: recovered the jobs of a dead process", "identity", v[0], "queue", v[1], "jobs", n)
				}
			})
		}
	}, "HGETALL", registry)
}

// requeue moves a working list back to its queue (only if its owner is
// dead, when ifDead) and calls then with the number of jobs moved (-1:
// the owner is alive). Loop-only.
func (s *Server) requeue(list, identity, queueKey string, ifDead bool, then func(int64)) {
	flag := "0"
	if ifDead {
		flag = "1"
	}
	requeueWorking.run(s.rc, []string{identity, list, queueKey, registry}, []any{list, flag}, func(v redis.Value, err error) {
		if err != nil {
			s.o.log.Error("jobs: requeueing a working list", "list", list, "err", err)
			then(0)
			return
		}
		then(v.Int)
	})
}

// Shutdown stops fetching, waits for running jobs until ctx ends or the
// shutdown timeout passes, pushes the unfinished ones back onto their
// queues (RPUSH, so they are fetched next; with reliable fetch, the
// whole working list), removes the heartbeat and closes the Redis
// client. When ctx ends first, Shutdown stops waiting for the jobs but
// still pushes them back before it returns ctx's error; it returns
// ErrShutdownTimeout when the timeout left jobs unfinished. Either
// way the reactor must keep running until Shutdown returns. Any goroutine
// but the loop's (it waits for the loop).
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	s.r.NextTick(func() { s.stop(time.Now().Add(s.o.shutdownTimeout), func(err error) { done <- err }) })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.r.NextTick(s.giveUp)
	<-done
	return ctx.Err()
}

// giveUp ends the wait for running jobs at once. Loop-only.
func (s *Server) giveUp() {
	if s.abandonTimer != nil && s.abandonTimer.Cancel() {
		s.abandonTimer = nil
		s.drained = nil
		s.abandon()
	}
}

// ShutdownAsync is Shutdown for the loop: done (may be nil) runs on the
// loop when the Server has stopped. Loop-only.
func (s *Server) ShutdownAsync(done func(error)) {
	s.stop(time.Now().Add(s.o.shutdownTimeout), done)
}

// stop is the shutdown sequence, on the loop. Every caller's done runs
// once it is over.
func (s *Server) stop(deadline time.Time, done func(error)) {
	if s.stopped {
		if done != nil {
			s.r.NextTick(func() { done(nil) })
		}
		return
	}
	if done != nil {
		s.waiters = append(s.waiters, done)
	}
	if s.stopping {
		return
	}
	s.stopping, s.quiet = true, true
	for _, t := range s.timers {
		t.Cancel()
	}
	s.timers = nil
	if !s.started {
		s.finishStop(nil)
		return
	}
	s.o.log.Info("jobs: shutting down", "running", len(s.running))
	// With Redis unreachable the last commands could wait for the
	// client's reconnects; past this bound the Server stops without them.
	s.r.AddTimer(max(time.Until(deadline), 0)+s.o.fetchTimeout+s.o.redisGrace, func() {
		if !s.stopped {
			s.o.log.Error("jobs: Redis did not answer during shutdown; stopping without it")
			s.finishStop(ErrRedisGone)
		}
	})
	s.drained = func() {
		if s.abandonTimer != nil {
			s.abandonTimer.Cancel()
			s.abandonTimer = nil
		}
		s.afterDrain(nil)
	}
	s.abandonTimer = s.r.AddTimer(max(time.Until(deadline), 0), func() {
		s.abandonTimer = nil
		s.drained = nil
		s.abandon()
	})
	s.checkDrained()
}

// abandon gives up on the running jobs: their contexts are cancelled
// and, with basic fetch, each is pushed back with RPUSH (reliable fetch
// moves the whole working list back in afterDrain). Fetches in flight
// are still waited for: a job they bring back must not be lost.
func (s *Server) abandon() {
	n := len(s.running)
	for _, w := range s.running {
		w.abandoned = true
		w.cancel()
		if !s.o.reliable {
			s.rc.Do(s.logErr("requeue"), "RPUSH", "queue:"+w.queue, w.raw)
		}
	}
	clear(s.running)
	s.o.log.Warn("jobs: stopped waiting for the running jobs; pushed them back", "jobs", n)
	s.drained = func() { s.afterDrain(ErrShutdownTimeout) }
	s.checkDrained()
}

// afterDrain runs once nothing runs and nothing is fetched: the last
// stats, the working lists back, the heartbeat removed, the client
// closed.
func (s *Server) afterDrain(result error) {
	s.beat(nil)
	lists := 0
	next := func() {
		s.clearHeartbeat(func() { s.finishStop(result) })
	}
	if !s.o.reliable {
		next()
		return
	}
	for _, k := range s.order.keys {
		lists++
		s.requeue(k+s.workingSuffix(), s.o.identity, k, false, func(n int64) {
			if n > 0 {
				s.o.log.Info("jobs: pushed the working list back", "queue", k, "jobs", n)
			}
			if lists--; lists == 0 {
				next()
			}
		})
	}
}

func (s *Server) finishStop(result error) {
	if s.stopped {
		return
	}
	s.stopped = true
	s.rc.Close()
	if s.workCh != nil {
		close(s.workCh) // idle workers exit; abandoned jobs' workers when their job returns
	}
	ws := s.waiters
	s.waiters = nil
	for _, w := range ws {
		w(result)
	}
	s.o.log.Info("jobs: stopped", "identity", s.o.identity)
}
