package redis

import (
	"testing"
)

// FuzzParse: Parse never panics, never claims more bytes than it got,
// and is consistent: a value it accepts parses the same from a copy with
// trailing bytes, and each of its proper prefixes is incomplete (or
// refused), never a different value.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in))
	}
	for _, s := range []string{"$536870912\r\n", "*3\r\n:1\r\n", "|1\r\n+a\r\n", "=3\r\nabc\r\n", "$?\r\n", "*1\r\n*1\r\n*1\r\n*1\r\n"} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxBulk: 1 << 16, MaxLine: 1 << 10, MaxAggregate: 1 << 10, MaxDepth: 8}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, n, err := Parse(in, lim)
		checkScanner(t, in, lim, n, err)
		if err == ErrIncomplete {
			if n <= len(in) {
				t.Fatalf("incomplete with need %d <= len %d", n, len(in))
			}
			return
		}
		if err != nil {
			return
		}
		if n <= 0 || n > len(in) {
			t.Fatalf("consumed %d of %d", n, len(in))
		}
		more := append(append([]byte{}, in[:n]...), "+x\r\n"...)
		v2, n2, err := Parse(more, lim)
		if err != nil || n2 != n || !equalValues(v, v2) {
			t.Fatalf("reparse with a tail: %v %d %v", err, n2, v2)
		}
		for i := range n {
			if _, _, err := Parse(in[:i], lim); err == nil {
				t.Fatalf("prefix of %d bytes parsed as a value", i)
			}
		}
	})
}

// checkScanner: where Parse finds a value, the Scanner finds the same
// end, fed at once or in two parts; where Parse waits, so does it.
func checkScanner(t *testing.T, in []byte, lim Limits, n int, perr error) {
	var s Scanner
	sn, serr := s.Scan(in, lim)
	switch {
	case perr == nil:
		if serr != nil || sn != n {
			t.Fatalf("Parse took %d bytes, Scanner %d, %v", n, sn, serr)
		}
		for cut := 1; cut < n; cut += max(1, n/7) {
			s.Reset()
			if _, err := s.Scan(in[:cut], lim); err == nil {
				t.Fatalf("Scanner finished a %d-byte prefix", cut)
			}
			if got, err := s.Scan(in, lim); err != nil || got != n {
				t.Fatalf("resumed Scanner: %d, %v (want %d)", got, err, n)
			}
		}
	case perr == ErrIncomplete:
		if serr == nil {
			t.Fatalf("Scanner found a value of %d bytes where Parse needs more", sn)
		}
	}
}

func equalValues(a, b Value) bool {
	if a.Kind != b.Kind || a.Str != b.Str || a.Int != b.Int || len(a.Elems) != len(b.Elems) || len(a.Attrs) != len(b.Attrs) {
		return false
	}
	if a.Float != b.Float && (a.Float == a.Float || b.Float == b.Float) { // NaN equals NaN here
		return false
	}
	for i := range a.Elems {
		if !equalValues(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	for i := range a.Attrs {
		if !equalValues(a.Attrs[i], b.Attrs[i]) {
			return false
		}
	}
	return true
}

// FuzzAppendStrings: every command the encoder writes parses back to its
// arguments.
func FuzzAppendStrings(f *testing.F) {
	f.Add("SET", "key", "value\r\n")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		buf := AppendStrings(nil, a, b, c)
		v, n, err := Parse(buf, DefaultLimits)
		if err != nil || n != len(buf) {
			t.Fatalf("parse: %v (%d of %d)", err, n, len(buf))
		}
		got, err := v.AsStrings()
		if err != nil || len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
			t.Fatalf("round trip: %q", got)
		}
	})
}
