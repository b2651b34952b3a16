package jobs

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
)

// registry is the hash of reliable fetch's working lists: field the list
// key, value the JSON array [identity, queue key].
const registry = "evmachine:working"

// workingSuffix is what reliable fetch appends to a queue key to name
// this process's working list for it.
func (s *Server) workingSuffix() string { return ":working:" + s.o.identity }

// register records this process's working lists in the registry, so that
// a live process can recover them if this one dies. Jobs already in them
// are the leftovers of an earlier life of the same identity
// (WithIdentity): they go back to their queues first. Loop-only.
func (s *Server) register(then func()) {
	if !s.o.reliable {
		then()
		return
	}
	// The HSET waits for the requeues, whose scripts may be sent twice
	// (EVALSHA, then EVAL after NOSCRIPT): their HDEL must come first.
	left := len(s.order.keys)
	for _, k := range s.order.keys {
		s.requeue(k+s.workingSuffix(), s.o.identity, k, false, func(n int64) {
			if n > 0 {
				s.o.log.Warn("jobs: pushed back the jobs an earlier process of this identity left", "queue", k, "jobs", n)
			}
			if left--; left > 0 {
				return
			}
			s.rc.Do(func(_ redis.Value, err error) {
				if err != nil {
					s.o.log.Error("jobs: registering the working lists", "err", err)
				}
				then()
			}, s.registerCmd()...)
		})
	}
}

// registerCmd is the HSET of this process's working lists.
func (s *Server) registerCmd() []any {
	args := []any{"HSET", registry}
	for _, k := range s.order.keys {
		args = append(args, k+s.workingSuffix(), registryValue(s.o.identity, k))
	}
	return args
}

func registryValue(identity, queueKey string) string {
	b, _ := json.Marshal([]string{identity, queueKey}) // strings always marshal
	return string(b)
}

// fill starts fetches until every free slot has one. Loop-only.
func (s *Server) fill() {
	for !s.quiet && len(s.running)+s.fetching < s.o.concurrency {
		s.fetching++
		if s.o.reliable {
			s.fetchReliable()
		} else {
			s.fetchBasic()
		}
	}
}

// timeoutArg formats the fetch timeout for BRPOP/BLMOVE: whole seconds
// as Sidekiq writes them, or a decimal (Redis 6+).
func (s *Server) timeoutArg() string {
	d := s.o.fetchTimeout
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// fetchBasic is Sidekiq's BasicFetch: an atomic pop from the first
// non-empty queue in the fetch order. It first tries a non-blocking pop
// of every queue in one script on the pipelined connection (so the
// fetches of all free slots go out in one write while the queues are
// busy), and when all are empty waits with BRPOP queue:a queue:b ... 2
// on a connection of the blocking pool.
func (s *Server) fetchBasic() {
	s.popOr(basicPop, s.order.next(s.rnd), nil, s.gotBasic, s.brpop)
}

// popOr runs a pop script over the queue keys: a job it pops goes to got;
// when the queues are empty, block waits for one (unless the server is
// quiet now).
func (s *Server) popOr(sc *script, keys []string, args []any, got func(key, raw string), block func()) {
	sc.run(s.rc, keys, args, func(v redis.Value, err error) {
		switch {
		case err != nil:
			s.fetching--
			s.fetchFailed(err)
		case len(v.Elems) == 2:
			s.fetching--
			got(v.Elems[0].Str, v.Elems[1].Str)
		case s.quiet:
			s.fetching--
			s.fetched()
		default:
			block()
		}
	})
}

// brpop waits for a job with BRPOP on the blocking pool.
func (s *Server) brpop() {
	keys := s.order.next(s.rnd)
	args := make([]string, 0, len(keys)+2)
	args = append(args, "BRPOP")
	args = append(args, keys...)
	args = append(args, s.timeoutArg())
	s.rc.DoStrings(func(v redis.Value, err error) {
		s.fetching--
		if err != nil {
			s.fetchFailed(err)
			return
		}
		if v.IsNull() || len(v.Elems) != 2 {
			s.fetched()
			return
		}
		s.gotBasic(v.Elems[0].Str, v.Elems[1].Str)
	}, args...)
}

// gotBasic runs a popped job, or after Shutdown began puts it back,
// unrun, where the next fetch takes it.
func (s *Server) gotBasic(key, raw string) {
	if s.quiet {
		s.rc.Do(s.logErr("requeue"), "RPUSH", key, raw)
	} else {
		s.begin(strings.TrimPrefix(key, "queue:"), raw)
	}
	s.fetched()
}

// fetchReliable tries every queue in order with a non-blocking LMOVE
// into its working list (one script, one round trip), and when all are
// empty waits with BLMOVE on one queue: the fetches in flight take the
// queues in turn, so with at least as many fetches as queues a job
// pushed onto any empty queue is taken at once.
func (s *Server) fetchReliable() {
	keys := s.order.next(s.rnd)
	s.fetchSeq++
	first := s.order.keys[s.fetchSeq%len(s.order.keys)]
	s.popOr(reliablePop, keys, []any{s.workingSuffix()}, s.gotReliable, func() {
		s.rc.DoStrings(func(v redis.Value, err error) {
			s.fetching--
			if err != nil {
				s.fetchFailed(err)
				return
			}
			if v.IsNull() {
				s.fetched()
				return
			}
			s.gotReliable(first, v.Str)
		}, "BLMOVE", first, first+s.workingSuffix(), "RIGHT", "LEFT", s.timeoutArg())
	})
}

// gotReliable runs a job moved into a working list; after Shutdown began
// it stays there, and Shutdown moves it back.
func (s *Server) gotReliable(key, raw string) {
	if !s.quiet {
		s.begin(strings.TrimPrefix(key, "queue:"), raw)
	}
	s.fetched()
}

// fetched is called after every fetch reply: fetch again, or tell
// Shutdown that one less is in flight.
func (s *Server) fetched() {
	s.fill()
	s.checkDrained()
}

// fetchFailed backs off for a second after a failed fetch (Redis down),
// as Sidekiq's processor does, instead of spinning.
func (s *Server) fetchFailed(err error) {
	if !s.quiet {
		s.o.log.Warn("jobs: fetch failed", "err", err)
	}
	s.fetching++ // the slot stays taken while backing off
	s.r.AddTimer(time.Second, func() {
		s.fetching--
		s.fetched()
	})
}

func (s *Server) checkDrained() {
	if s.drained != nil && s.fetching == 0 && len(s.running) == 0 {
		d := s.drained
		s.drained = nil
		d()
	}
}
