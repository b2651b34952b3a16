package jobs

import (
	"encoding/json"
	"os"
	"runtime/metrics"
	"strconv"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
)

// statsTTL is how long the daily stat keys live, as Sidekiq's STATS_TTL.
const statsTTL = 5 * 365 * 24 * 60 * 60

// info is the process hash's info field, as Sidekiq's Launcher#to_data.
func (s *Server) info() string {
	host, _ := os.Hostname()
	labels := s.o.labels
	if labels == nil {
		labels = []string{}
	}
	b, _ := json.Marshal(struct {
		Hostname    string          `json:"hostname"`
		StartedAt   json.RawMessage `json:"started_at"`
		PID         int             `json:"pid"`
		Tag         string          `json:"tag"`
		Concurrency int             `json:"concurrency"`
		Queues      []string        `json:"queues"`
		Labels      []string        `json:"labels"`
		Identity    string          `json:"identity"`
	}{host, AppendFloat(nil, s.startedAt), os.Getpid(), s.o.tag, s.o.concurrency, s.o.queues, labels, s.o.identity})
	return string(b)
}

// beat writes the heartbeat as Sidekiq's Launcher#❤: the stats since the
// last beat and the :workers hash in one MULTI, then the processes set
// and the process hash in another, and reads the Web UI's signal list.
// then (may be nil) runs after the second. Loop-only.
func (s *Server) beat(then func()) {
	id := s.o.identity
	procd, fails := s.processed, s.failed
	s.processed, s.failed = 0, 0
	day := time.Now().UTC().Format("2006-01-02")
	wk := id + ":workers"
	cmds := [][]any{
		{"INCRBY", "stat:processed", procd},
		{"INCRBY", "stat:processed:" + day, procd},
		{"EXPIRE", "stat:processed:" + day, statsTTL},
		{"INCRBY", "stat:failed", fails},
		{"INCRBY", "stat:failed:" + day, fails},
		{"EXPIRE", "stat:failed:" + day, statsTTL},
		{"UNLINK", wk},
	}
	if len(s.running) > 0 {
		hset := []any{"HSET", wk}
		for tid, w := range s.running {
			hset = append(hset, tidString(tid), workerJSON(w))
		}
		cmds = append(cmds, hset)
	}
	cmds = append(cmds, []any{"EXPIRE", wk, s.ttlSeconds()})
	sent := time.Now()
	s.rc.Tx(func(_ []redis.Value, err error) {
		if err != nil {
			// Keep the counts for the next beat, as Sidekiq does.
			s.processed += procd
			s.failed += fails
			s.o.log.Error("jobs: heartbeat", "err", err)
		} else {
			s.rttUS = time.Since(sent).Microseconds()
		}
	}, cmds...)
	cmds = [][]any{
		{"SADD", "processes", id},
		{"EXISTS", id},
		{"HSET", id, "info", s.info(), "busy", len(s.running), "beat", FormatFloat(epoch(time.Now())),
			"rtt_us", s.rttUS, "quiet", strconv.FormatBool(s.quiet), "rss", rssKB()},
		{"EXPIRE", id, s.ttlSeconds()},
		{"RPOP", id + "-signals"},
	}
	if s.o.reliable && !s.stopping {
		// Registered again on every beat, so a Redis that lost it (a
		// restart without persistence, a failover) learns it again.
		cmds = append(cmds, s.registerCmd())
	}
	s.rc.Tx(func(vs []redis.Value, err error) {
		if err != nil {
			s.o.log.Error("jobs: heartbeat", "err", err)
		} else if len(vs) >= 5 && !vs[4].IsNull() {
			s.signal(vs[4].Str)
		}
		if then != nil {
			then()
		}
	}, cmds...)
}

// workerJSON is one entry of the :workers hash, as Sidekiq's processor
// records it: the queue, the job as fetched, and when it began.
func workerJSON(w *work) string {
	b, _ := json.Marshal(struct {
		Queue   string `json:"queue"`
		Payload string `json:"payload"`
		RunAt   int64  `json:"run_at"`
	}{w.queue, w.raw, w.runAt})
	return string(b)
}

// signal obeys the Web UI's buttons: TSTP quiets the process (no more
// fetching; the jobs running finish), and TERM, as in Sidekiq, sends
// SIGTERM to the process itself, whose handler (examples/jobs's) calls
// Shutdown.
func (s *Server) signal(sig string) {
	s.o.log.Info("jobs: remote signal", "signal", sig)
	switch sig {
	case "TSTP":
		s.quiet = true
	case "TERM":
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Signal(syscall.SIGTERM)
		}
	}
}

// rssKB approximates the resident size in KiB with the Go runtime's
// mapped memory (reading it needs no system call and no stop of the
// world).
func rssKB() int64 {
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(sample[0].Value.Uint64() / 1024)
}

// clearHeartbeat removes the process from the processes set and its
// :workers hash, as Sidekiq's Launcher#clear_heartbeat. Loop-only.
func (s *Server) clearHeartbeat(then func()) {
	s.rc.Do(nil, "SREM", "processes", s.o.identity)
	s.rc.Do(func(redis.Value, error) { then() }, "UNLINK", s.o.identity+":workers")
}

// ttlSeconds is the heartbeat keys' TTL in whole seconds, at least 1.
func (s *Server) ttlSeconds() int64 {
	return max(int64((s.o.processTTL+time.Second-1)/time.Second), 1)
}
