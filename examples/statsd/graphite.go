package main

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/evmachine/evmachine/reactor"
)

// graphiteQueue bounds what waits for a slow or unreachable Graphite: past
// it the connection is dropped (and made again at the next flush).
const graphiteQueue = 4 << 20

// graphite sends each flush to a Graphite plaintext endpoint over TCP
// ("path value timestamp\n"), in statsd's namespace: stats.counters.NAME.count
// and .rate, stats.gauges.NAME, stats.timers.NAME.{count,lower,upper,mean,
// upper_90,sum}, stats.sets.NAME.count. When the connection fails or goes
// away it is made again at the next flush, whose lines wait for it (and
// are lost, with a warning, if that connect fails too). It is used on the
// home loop only.
type graphite struct {
	reactor.BaseHandler
	r      *reactor.Reactor
	addr   string
	prefix string
	log    *slog.Logger
	c      *reactor.Conn // nil: not connected
}

// send writes one flush, connecting first if need be.
func (g *graphite) send(s Snapshot) {
	if g.c == nil {
		c, err := g.r.Connect("tcp", g.addr, g, reactor.WithMaxOutbound(graphiteQueue))
		if err != nil {
			g.log.Warn("graphite", "addr", g.addr, "err", err)
			return
		}
		g.c = c
	}
	if _, err := g.c.WriteString(graphiteLines(g.prefix, s)); err != nil {
		g.log.Warn("graphite write", "addr", g.addr, "err", err)
	}
}

// ConnectionCompleted logs the (re)connection.
func (g *graphite) ConnectionCompleted(c *reactor.Conn) {
	g.log.Info("graphite connected", "addr", g.addr)
}

// Unbind forgets the connection: the next flush makes a new one.
func (g *graphite) Unbind(c *reactor.Conn, reason error) {
	if g.c == c {
		g.c = nil
	}
	g.log.Warn("graphite connection ended; reconnecting at the next flush", "addr", g.addr, "reason", reason)
}

// graphiteLines formats a Snapshot in Graphite's plaintext protocol, keys
// in order.
func graphiteLines(prefix string, s Snapshot) string {
	var b strings.Builder
	ts := strconv.FormatInt(s.Time, 10)
	put := func(path string, v float64) {
		fmt.Fprintf(&b, "%s.%s %s %s\n", prefix, path, strconv.FormatFloat(v, 'g', -1, 64), ts)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Counters)) {
		put("counters."+k+".count", s.Counters[k])
		if s.Interval > 0 {
			put("counters."+k+".rate", s.Counters[k]/s.Interval)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Gauges)) {
		put("gauges."+k, s.Gauges[k])
	}
	for _, k := range slices.Sorted(maps.Keys(s.Timers)) {
		t := s.Timers[k]
		put("timers."+k+".count", t.Count)
		put("timers."+k+".lower", t.Min)
		put("timers."+k+".upper", t.Max)
		put("timers."+k+".mean", t.Mean)
		put("timers."+k+".upper_90", t.P90)
		put("timers."+k+".sum", t.Sum)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Sets)) {
		put("sets."+k+".count", float64(s.Sets[k]))
	}
	put("statsd.packets", float64(s.Packets))
	put("statsd.bad_lines", float64(s.Bad))
	return b.String()
}
