package main

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// Kind is a statsd metric type, as written after the value's '|'.
type Kind uint8

const (
	Counter Kind = iota + 1 // "c": summed over the interval
	Gauge                   // "g": the last value; "+N"/"-N" change it
	Timer                   // "ms" (or "h"): count, min, max, mean, p90
	Set                     // "s": the number of distinct members
)

// maxName bounds a metric name, so that one datagram cannot make a key of
// 64 KiB.
const maxName = 255

// The reasons ParseLine refuses a line.
var (
	errNoColon  = errors.New("statsd: no ':' after the name")
	errBadName  = errors.New("statsd: empty, too long or non-printable name")
	errBadType  = errors.New("statsd: unknown metric type")
	errBadValue = errors.New("statsd: bad value")
	errBadRate  = errors.New("statsd: sample rate not in (0, 1]")
	errBadField = errors.New("statsd: unknown field after the type")
)

// Metric is one parsed statsd line.
type Metric struct {
	Name   string
	Kind   Kind
	Value  float64 // counters, gauges and timers: finite
	Delta  bool    // a gauge written "+N" or "-N": Value is added
	Member string  // a set's member
	Rate   float64 // the sample rate, in (0, 1]; 1 when the line has none
}

// ParseLine parses one line of the statsd protocol,
// "name:value|type[|@rate][|#tags]": a counter "hits:1|c" (with a sample
// rate "hits:1|c|@0.1"), a gauge "temp:21|g" or "temp:-2|g" (a delta), a
// timer "lat:12.5|ms" and a set "users:alice|s". DogStatsD's "|#tags" field
// is accepted and ignored. A trailing '\r' is ignored. It is a pure
// function: it never panics, and the Metric it returns with a nil error has
// a printable name of at most 255 bytes, a finite value and a rate in (0, 1].
func ParseLine(line []byte) (Metric, error) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return Metric{}, errNoColon
	}
	name := line[:colon]
	if !validName(name) {
		return Metric{}, errBadName
	}
	value, rest, _ := bytes.Cut(line[colon+1:], []byte("|"))
	typ, rest, _ := bytes.Cut(rest, []byte("|"))
	m := Metric{Rate: 1}
	switch string(typ) {
	case "c":
		m.Kind = Counter
	case "g":
		m.Kind = Gauge
	case "ms", "h":
		m.Kind = Timer
	case "s":
		m.Kind = Set
	default:
		return Metric{}, errBadType
	}
	for len(rest) > 0 {
		var field []byte
		field, rest, _ = bytes.Cut(rest, []byte("|"))
		switch {
		case len(field) > 1 && field[0] == '@':
			r, err := strconv.ParseFloat(string(field[1:]), 64)
			if err != nil || !(r > 0 && r <= 1) {
				return Metric{}, errBadRate
			}
			m.Rate = r
		case len(field) > 0 && field[0] == '#': // DogStatsD tags
		default:
			return Metric{}, errBadField
		}
	}
	if m.Kind == Set {
		if len(value) == 0 || len(value) > maxName || !printable(value) {
			return Metric{}, errBadValue
		}
		m.Member = string(value)
	} else {
		v, err := strconv.ParseFloat(string(value), 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return Metric{}, errBadValue
		}
		m.Value = v
		m.Delta = m.Kind == Gauge && (value[0] == '+' || value[0] == '-')
	}
	m.Name = string(name)
	return m, nil
}

// validName reports whether name may be a metric name: 1 to 255 printable
// ASCII bytes other than space, ':', '|' and '@'.
func validName(name []byte) bool {
	if len(name) == 0 || len(name) > maxName || !printable(name) {
		return false
	}
	return bytes.IndexAny(name, ":|@") < 0
}

// printable reports whether b is all printable ASCII but space.
func printable(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// Format writes m as a statsd line (no newline), the inverse of ParseLine.
func Format(m Metric) string {
	var value, typ string
	switch m.Kind {
	case Counter:
		typ = "c"
	case Gauge:
		typ = "g"
	case Timer:
		typ = "ms"
	case Set:
		typ, value = "s", m.Member
	}
	if m.Kind != Set {
		value = strconv.FormatFloat(m.Value, 'g', -1, 64)
		if m.Delta && !math.Signbit(m.Value) {
			value = "+" + value
		}
	}
	s := m.Name + ":" + value + "|" + typ
	if m.Rate != 1 && m.Rate != 0 {
		s += "|@" + strconv.FormatFloat(m.Rate, 'g', -1, 64)
	}
	return s
}
