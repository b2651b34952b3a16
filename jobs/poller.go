package jobs

import (
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
)

// schedulePoll arms the next run of the scheduled poller: after
// WithPollInterval, or Sidekiq's random interval (a first wait of 10 to
// 15 s, then ±50% around 5 s times the number of processes, or 0 to that
// average from 10 processes on). Loop-only.
func (s *Server) schedulePoll(first bool) {
	if s.quiet {
		return
	}
	arm := func(d time.Duration) {
		s.timers = append(s.timers, s.r.AddTimer(d, s.poll))
	}
	switch {
	case s.o.pollInterval > 0:
		arm(s.o.pollInterval)
	case first:
		arm(10*time.Second + time.Duration(s.rnd.Int64N(int64(5*time.Second))))
	default:
		s.rc.DoInt(func(n int64, err error) {
			if err != nil || n < 1 {
				n = 1
			}
			avg := time.Duration(n) * 5 * time.Second
			if n >= 10 {
				arm(time.Duration(s.rnd.Int64N(int64(avg)))) // enough processes to spread evenly
				return
			}
			arm(avg/2 + time.Duration(s.rnd.Int64N(int64(avg))))
		}, "SCARD", "processes")
	}
}

// poll moves the due jobs of schedule, then of retry, to their queues,
// then arms the next poll. Loop-only.
func (s *Server) poll() {
	s.enqueueDue("schedule", func() {
		s.enqueueDue("retry", func() { s.schedulePoll(false) })
	})
}

// enqueueDue pops due jobs from a sorted set one at a time with
// Sidekiq's atomic ZPOPBYSCORE script and pushes each onto its queue
// with a fresh enqueued_at, as Sidekiq's Client.push does. Loop-only.
func (s *Server) enqueueDue(set string, then func()) {
	if s.quiet {
		then()
		return
	}
	now := FormatFloat(epoch(time.Now()))
	zpopByScore.run(s.rc, []string{set}, []any{now}, func(v redis.Value, err error) {
		if err != nil {
			s.o.log.Error("jobs: scheduled poller", "set", set, "err", err)
			then()
			return
		}
		if v.IsNull() {
			then()
			return
		}
		j := new(Job)
		if err := j.UnmarshalJSON([]byte(v.Str)); err != nil {
			s.o.log.Error("jobs: scheduled job does not parse; moving it to the dead set", "set", set, "err", err)
			s.bury(v.Str, nil)
			s.enqueueDue(set, then)
			return
		}
		if j.Queue == "" {
			j.Queue = "default"
		}
		j.EnqueuedAt = epoch(time.Now())
		b, err := j.MarshalJSON()
		if err != nil {
			s.bury(v.Str, nil)
			s.enqueueDue(set, then)
			return
		}
		push(s.rc, j.Queue, [][]byte{b}, func(err error) {
			if err != nil {
				s.o.log.Error("jobs: scheduled poller push", "jid", j.JID, "err", err)
			}
			s.enqueueDue(set, then)
		})
	})
}
