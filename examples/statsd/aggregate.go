package main

import (
	"math"
	"slices"
)

// The bounds that keep one interval's memory flat whatever senders do:
// metric keys (names, and set members) past maxKeys are dropped and
// counted; a timer keeps at most maxSamples values for its p90 (its count,
// min, max, sum and mean stay exact).
const (
	maxKeys    = 100_000
	maxSamples = 10_000
)

// Aggregates are the metrics one loop gathered since its last flush. They
// are used on that loop only; a flush hands them to the flushing loop.
type Aggregates struct {
	Packets, Lines, Bad, Dropped uint64

	counters map[string]float64
	gauges   map[string]gaugeUpdate
	timers   map[string]*timerAcc
	sets     map[string]map[string]struct{}
	keys     int
}

// gaugeUpdate is what an interval did to a gauge: set it (then changed it
// by the deltas that followed), or only changed it.
type gaugeUpdate struct {
	set   bool
	value float64
}

// timerAcc accumulates a timer's values.
type timerAcc struct {
	count, sum, min, max float64 // count: the samples, scaled by 1/rate
	n                    int     // values seen
	values               []float64
}

func newAggregates() *Aggregates {
	return &Aggregates{
		counters: map[string]float64{},
		gauges:   map[string]gaugeUpdate{},
		timers:   map[string]*timerAcc{},
		sets:     map[string]map[string]struct{}{},
	}
}

// newKey reports whether one more key fits, counting it; a refused metric
// is counted as Dropped.
func (a *Aggregates) newKey() bool {
	if a.keys >= maxKeys {
		a.Dropped++
		return false
	}
	a.keys++
	return true
}

// Add aggregates one metric.
func (a *Aggregates) Add(m Metric) {
	a.Lines++
	switch m.Kind {
	case Counter:
		if _, ok := a.counters[m.Name]; ok || a.newKey() {
			a.counters[m.Name] += m.Value / m.Rate
		}
	case Gauge:
		g, ok := a.gauges[m.Name]
		if !ok && !a.newKey() {
			return
		}
		if m.Delta {
			g.value += m.Value
		} else {
			g = gaugeUpdate{set: true, value: m.Value}
		}
		a.gauges[m.Name] = g
	case Timer:
		t := a.timers[m.Name]
		if t == nil {
			if !a.newKey() {
				return
			}
			t = &timerAcc{min: math.Inf(1), max: math.Inf(-1)}
			a.timers[m.Name] = t
		}
		t.add(m.Value, 1/m.Rate)
	case Set:
		s := a.sets[m.Name]
		if s == nil {
			if !a.newKey() {
				return
			}
			s = map[string]struct{}{}
			a.sets[m.Name] = s
		}
		if _, ok := s[m.Member]; !ok && a.newKey() {
			s[m.Member] = struct{}{}
		}
	}
}

func (t *timerAcc) add(v, count float64) {
	t.count += count
	t.sum += v
	t.n++
	t.min, t.max = min(t.min, v), max(t.max, v)
	if len(t.values) < maxSamples {
		t.values = append(t.values, v)
	}
}

// Merge adds b's metrics to a (another loop's interval; b is not used
// after). Gauges are merged as if b's updates came after a's.
func (a *Aggregates) Merge(b *Aggregates) {
	a.Packets += b.Packets
	a.Lines += b.Lines
	a.Bad += b.Bad
	a.Dropped += b.Dropped
	for k, v := range b.counters {
		a.counters[k] += v
	}
	for k, g := range b.gauges {
		a.gauges[k] = applyGauge(a.gauges[k], g)
	}
	for k, bt := range b.timers {
		t := a.timers[k]
		if t == nil {
			a.timers[k] = bt
			continue
		}
		t.count += bt.count
		t.sum += bt.sum
		t.n += bt.n
		t.min, t.max = min(t.min, bt.min), max(t.max, bt.max)
		t.values = append(t.values, bt.values[:min(len(bt.values), maxSamples-len(t.values))]...)
	}
	for k, bs := range b.sets {
		s := a.sets[k]
		if s == nil {
			a.sets[k] = bs
			continue
		}
		for m := range bs {
			s[m] = struct{}{}
		}
	}
}

// applyGauge returns the gauge old followed by the update u.
func applyGauge(old, u gaugeUpdate) gaugeUpdate {
	if u.set {
		return u
	}
	return gaugeUpdate{set: old.set, value: old.value + u.value}
}

// TimerStats summarize a timer's interval.
type TimerStats struct {
	Count float64 `json:"count"` // samples, scaled by their sample rates
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	P90   float64 `json:"p90"` // statsd's upper_90: the largest of the lowest 90 %
	Sum   float64 `json:"sum"`
}

// Snapshot is what one flush reports: one JSON line on stdout.
type Snapshot struct {
	Time     int64                 `json:"time"`       // Unix seconds of the flush
	Interval float64               `json:"interval_s"` // seconds since the previous flush
	Packets  uint64                `json:"packets"`
	Lines    uint64                `json:"metrics"`
	Bad      uint64                `json:"bad_lines"`
	Dropped  uint64                `json:"dropped"`
	Counters map[string]float64    `json:"counters"`
	Gauges   map[string]float64    `json:"gauges"` // every gauge ever set: they persist
	Timers   map[string]TimerStats `json:"timers"`
	Sets     map[string]int        `json:"sets"` // distinct members
}

// snapshot summarizes a's interval; gauges are the gauges' values after it.
func (a *Aggregates) snapshot(gauges map[string]float64) Snapshot {
	s := Snapshot{
		Packets: a.Packets, Lines: a.Lines, Bad: a.Bad, Dropped: a.Dropped,
		Counters: a.counters, Gauges: gauges,
		Timers: make(map[string]TimerStats, len(a.timers)),
		Sets:   make(map[string]int, len(a.sets)),
	}
	for k, t := range a.timers {
		slices.Sort(t.values)
		p90 := t.values[max(int(math.Round(0.9*float64(len(t.values)))), 1)-1]
		s.Timers[k] = TimerStats{Count: t.count, Min: t.min, Max: t.max, Mean: t.sum / float64(t.n), P90: p90, Sum: t.sum}
	}
	for k, m := range a.sets {
		s.Sets[k] = len(m)
	}
	return s
}
