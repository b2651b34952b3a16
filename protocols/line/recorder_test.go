package line

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// recorder is a Sink that writes down what it gets as strings: "L:line",
// "B:block" (a block delivered whole), "S:data" (the pieces of a streamed or
// unsized block, merged since they depend on the reads), "E" (end of
// binary) and "X" (line or block too long). Lines give commands, so that
// mode changes from callbacks are exercised:
//
//	BIN n     SetBinaryMode(n), the block delivered whole
//	SBIN n    the same, streamed
//	UBIN      SetBinaryMode(Unbounded); a '#' in the data ends it, the
//	          bytes after the '#' handed back with SetLineMode
//	DELIM d   SetDelimiter(d)
//	REGEX k   SetDelimiterRegexp(fuzzRegexps[k])
//	BACK s    SetLineMode(s): s parsed before the rest of the stream
//
// and a whole block that starts with '<' is handed back, but for the '<'.
type recorder struct {
	p      *Parser
	events []string
	errs   []error
}

var fuzzRegexps = []*regexp.Regexp{regexp.MustCompile(`\r?\n`), regexp.MustCompile(`[;,]`), regexp.MustCompile(`ab|cd`)}

func (r *recorder) Line(l []byte) {
	r.events = append(r.events, "L:"+string(l))
	s := string(l)
	atoi := func(s string) (int64, bool) {
		v, err := strconv.Atoi(s)
		return int64(v), err == nil
	}
	if n, ok := strings.CutPrefix(s, "BIN "); ok {
		if v, ok := atoi(n); ok {
			r.p.SetBinaryMode(v)
		}
	}
	if n, ok := strings.CutPrefix(s, "SBIN "); ok {
		if v, ok := atoi(n); ok {
			r.p.SetStreamingBinary(true)
			r.p.SetBinaryMode(v)
			r.p.SetStreamingBinary(false)
		}
	}
	if s == "UBIN" {
		r.p.SetBinaryMode(Unbounded)
	}
	if d, ok := strings.CutPrefix(s, "DELIM "); ok {
		r.p.SetDelimiter(d)
	}
	if k, ok := strings.CutPrefix(s, "REGEX "); ok {
		if v, ok := atoi(k); ok && v >= 0 && int(v) < len(fuzzRegexps) {
			r.p.SetDelimiterRegexp(fuzzRegexps[v])
		}
	}
	if b, ok := strings.CutPrefix(s, "BACK "); ok {
		r.p.SetLineMode([]byte(b))
	}
}

func (r *recorder) BinaryData(d []byte) {
	if r.p.binStream {
		if r.p.binary && r.p.binLeft < 0 {
			if i := bytes.IndexByte(d, '#'); i >= 0 {
				r.p.SetLineMode(d[i+1:])
				d = d[:i+1]
			}
		}
		if n := len(r.events); n > 0 && strings.HasPrefix(r.events[n-1], "S:") {
			r.events[n-1] += string(d)
			return
		}
		r.events = append(r.events, "S:"+string(d))
		return
	}
	r.events = append(r.events, "B:"+string(d))
	if len(d) > 0 && d[0] == '<' {
		r.p.SetLineMode(d[1:])
	}
}

func (r *recorder) EndOfBinaryData() { r.events = append(r.events, "E") }

func (r *recorder) LineError(err error) {
	r.events = append(r.events, "X")
	r.errs = append(r.errs, err)
}

func newRecorder(opts ...Option) *recorder {
	r := &recorder{}
	r.p = NewParser(r, opts...)
	return r
}

// feedAll feeds the chunks one by one and returns the events.
func feedAll(opts []Option, chunks ...[]byte) []string {
	r := newRecorder(opts...)
	for _, c := range chunks {
		r.p.Feed(c)
	}
	return r.events
}
