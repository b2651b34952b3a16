package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// loopAgg is one loop's share of the server: the PacketHandler of that
// loop's socket and the metrics it gathered since the last flush.
type loopAgg struct {
	r   *reactor.Reactor
	log *slog.Logger
	cur *Aggregates
}

// ReceivePacket parses a datagram's lines (separated by '\n'; empty ones
// skipped) into the loop's aggregates. A bad line is counted and logged at
// debug level; the others of the datagram still count.
func (l *loopAgg) ReceivePacket(_ *reactor.PacketConn, data []byte, from netip.AddrPort) {
	l.cur.Packets++
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		if len(line) == 0 {
			continue
		}
		m, err := ParseLine(line)
		if err != nil {
			l.cur.Bad++
			if l.log.Enabled(context.Background(), slog.LevelDebug) {
				l.log.Debug("bad statsd line", "from", from, "line", string(line[:min(len(line), 100)]), "err", err)
			}
			continue
		}
		l.cur.Add(m)
	}
}

// server aggregates the loops' metrics. Its fields other than loops are
// used on the home loop only, the one that flushes.
type server struct {
	home     *reactor.Reactor
	log      *slog.Logger
	loops    []*loopAgg
	gauges   map[string]gaugeUpdate // persist from flush to flush
	out      io.Writer              // JSON lines; nil: none
	graphite *graphite              // nil: none
	last     time.Time              // the previous flush
	flushing bool
}

func newServer(home *reactor.Reactor, rs []*reactor.Reactor, log *slog.Logger, out io.Writer) *server {
	s := &server{home: home, log: log, out: out, gauges: map[string]gaugeUpdate{}, last: time.Now()}
	for _, r := range rs {
		s.loops = append(s.loops, &loopAgg{r: r, log: log, cur: newAggregates()})
	}
	return s
}

// handlerFor returns the PacketHandler for the socket on r.
func (s *server) handlerFor(r *reactor.Reactor) reactor.PacketHandler {
	for _, l := range s.loops {
		if l.r == r {
			return l
		}
	}
	panic("statsd: no aggregates for this reactor")
}

// Flush collects every loop's interval, merges them on the home loop,
// reports the result (log, JSON line, Graphite) and passes it to done if
// not nil. Each loop hands over its aggregates from a tick of its own, so
// no loop waits for another. A Flush while one is under way is skipped.
// Must be called on the home loop.
func (s *server) Flush(done func(Snapshot)) {
	if s.flushing {
		return
	}
	s.flushing = true
	total, pending := newAggregates(), len(s.loops)
	for _, l := range s.loops {
		l.r.NextTick(func() {
			got := l.cur
			l.cur = newAggregates()
			s.home.NextTick(func() {
				total.Merge(got)
				if pending--; pending == 0 {
					s.flushing = false
					s.report(total, done)
				}
			})
		})
	}
}

// report turns one interval into a Snapshot and sends it where it goes.
func (s *server) report(total *Aggregates, done func(Snapshot)) {
	for k, u := range total.gauges {
		if _, ok := s.gauges[k]; !ok && len(s.gauges) >= maxKeys {
			total.Dropped++
			continue
		}
		s.gauges[k] = applyGauge(s.gauges[k], u)
	}
	gauges := make(map[string]float64, len(s.gauges))
	for k, g := range s.gauges {
		gauges[k] = g.value
	}
	snap := total.snapshot(gauges)
	now := time.Now()
	snap.Time, snap.Interval = now.Unix(), now.Sub(s.last).Seconds()
	s.last = now
	s.log.Info("flush", "packets", snap.Packets, "metrics", snap.Lines, "bad_lines", snap.Bad, "dropped", snap.Dropped,
		"counters", len(snap.Counters), "gauges", len(snap.Gauges), "timers", len(snap.Timers), "sets", len(snap.Sets))
	if s.out != nil {
		line, err := json.Marshal(snap)
		if err == nil {
			_, err = s.out.Write(append(line, '\n'))
		}
		if err != nil {
			s.log.Warn("writing the flush", "err", err)
		}
	}
	if s.graphite != nil {
		s.graphite.send(snap)
	}
	if done != nil {
		done(snap)
	}
}
