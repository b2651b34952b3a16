package line

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The tests of EventMachine's tests/test_ltp2.rb (TestLineText2), one Go
// test per Ruby test. As there, each class is a LineText2 whose
// receive_data is called directly, with the whole data in one call and one
// byte at a time.

// lt2 is a Sink whose callbacks are set per test, like the Ruby classes
// that include LineText2 and define receive_line and friends.
type lt2 struct {
	p      *Parser
	line   func(l string)
	binary func(d []byte)
	end    func()
}

func (s *lt2) Line(l []byte) {
	if s.line != nil {
		s.line(string(l))
	}
}

func (s *lt2) BinaryData(d []byte) {
	if s.binary != nil {
		s.binary(d)
	}
}

func (s *lt2) EndOfBinaryData() {
	if s.end != nil {
		s.end()
	}
}

func (s *lt2) LineError(err error) { panic(err) }

// newLT2 returns an lt2 with its Parser; init runs as the Ruby initialize.
func newLT2(init func(s *lt2)) *lt2 {
	s := &lt2{}
	s.p = NewParser(s)
	if init != nil {
		init(s)
	}
	return s
}

// bytewise feeds data one byte at a time, as the Ruby tests'
// testdata.length.times {|i| a.receive_data(testdata[i...i+1]) }.
func bytewise(p *Parser, data string) {
	for i := range len(data) {
		p.Feed([]byte(data[i : i+1]))
	}
}

// bothWays runs check on a fresh instance fed the whole data, then on one
// fed byte by byte.
func bothWays(t *testing.T, data string, mk func() *lt2, check func(t *testing.T, how string, s *lt2)) {
	t.Helper()
	s := mk()
	s.p.Feed([]byte(data))
	check(t, "whole", s)
	s = mk()
	bytewise(s.p, data)
	check(t, "bytewise", s)
}

// linesOf returns an lt2 that collects its lines, after init.
func linesOf(lines *[]string, init func(s *lt2)) *lt2 {
	s := newLT2(init)
	s.line = func(l string) { *lines = append(*lines, l) }
	return s
}

// test_basic: "\n" lines, the "\r" of "\r\n" chomped.
func TestLTP2Basic(t *testing.T) {
	var lines []string
	bothWays(t, "Line 1\nLine 2\r\nLine 3\n", func() *lt2 { lines = nil; return linesOf(&lines, nil) },
		func(t *testing.T, how string, _ *lt2) {
			assert.Equal(t, []string{"Line 1", "Line 2", "Line 3"}, lines, how)
		})
}

// test_preserve_newlines: with a delimiter other than "\n", newlines are
// kept in the lines.
func TestLTP2PreserveNewlines(t *testing.T) {
	var lines []string
	a := linesOf(&lines, func(s *lt2) { s.p.SetDelimiter("|") })
	a.p.Feed([]byte("aaa|bbb|ccc|\n|\r\n| \t ||"))
	assert.Equal(t, []string{"aaa", "bbb", "ccc", "\n", "\r\n", " \t ", ""}, lines)
}

// test_change_delimiter: receive_line sets the next delimiter ("A", then
// "B", ...).
func TestLTP2ChangeDelimiter(t *testing.T) {
	var lines []string
	mk := func() *lt2 {
		lines = nil
		delim := 'A'
		s := newLT2(func(s *lt2) { s.p.SetDelimiter(string(delim)) })
		s.line = func(l string) {
			lines = append(lines, l)
			delim++ // @delim.succ!
			s.p.SetDelimiter(string(delim))
		}
		return s
	}
	bothWays(t, "LineaALinebBLinecCLinedD", mk, func(t *testing.T, how string, _ *lt2) {
		assert.Equal(t, []string{"Linea", "Lineb", "Linec", "Lined"}, lines, how)
	})
}

// test_regex_delimiter: set_delimiter(/[A-D]/).
func TestLTP2RegexDelimiter(t *testing.T) {
	var lines []string
	mk := func() *lt2 {
		lines = nil
		return linesOf(&lines, func(s *lt2) { s.p.SetDelimiterRegexp(regexp.MustCompile(`[A-D]`)) })
	}
	bothWays(t, "LineaALinebBLinecCLinedD", mk, func(t *testing.T, how string, _ *lt2) {
		assert.Equal(t, []string{"Linea", "Lineb", "Linec", "Lined"}, lines, how)
	})
}

// The example, set_delimiter(/\r?\n/): "\r\n" and "\n" lines,
// however the stream is cut, and no "\r" stripping otherwise.
func TestLTP2RegexDelimiterCRLF(t *testing.T) {
	var lines []string
	mk := func() *lt2 {
		lines = nil
		return linesOf(&lines, func(s *lt2) { s.p.SetDelimiterRegexp(regexp.MustCompile(`\r?\n`)) })
	}
	bothWays(t, "a\r\nb\nc\rd\r\n\r\n", mk, func(t *testing.T, how string, _ *lt2) {
		assert.Equal(t, []string{"a", "b", "c\rd", ""}, lines, how)
	})
}

// test_binary: two lines, an empty line, ten bytes of binary data, two more
// lines; the body arrives in one receive_binary_data (@body = data keeps
// it all).
func TestLTP2Binary(t *testing.T) {
	var lines []string
	var body string
	mk := func() *lt2 {
		lines, body = []string{}, ""
		s := newLT2(nil)
		s.line = func(l string) {
			if l == "" {
				s.p.SetBinaryMode(10) // set_text_mode 10
			} else {
				lines = append(lines, l)
			}
		}
		s.binary = func(d []byte) { body = string(d) }
		return s
	}
	bothWays(t, "Line 1\nLine 2\n\n0000000000Line 3\nLine 4\n", mk, func(t *testing.T, how string, _ *lt2) {
		assert.Equal(t, []string{"Line 1", "Line 2", "Line 3", "Line 4"}, lines, how)
		assert.Equal(t, "0000000000", body, how)
	})
}

// test_unsized_binary: after set_text_mode with no size, each chunk is
// passed on as it is received.
func TestLTP2UnsizedBinary(t *testing.T) {
	data := strings.Repeat("X\x00", 1000)
	var calls int
	var body strings.Builder
	mk := func() *lt2 {
		calls = 0
		body.Reset()
		s := newLT2(func(s *lt2) { s.p.SetBinaryMode(Unbounded) })
		s.binary = func(d []byte) { calls++; body.Write(d) }
		return s
	}
	s := mk()
	s.p.Feed([]byte(data))
	assert.Equal(t, 1, calls)
	assert.Equal(t, data, body.String())
	s = mk()
	bytewise(s.p, data)
	assert.Equal(t, 2000, calls)
	assert.Equal(t, data, body.String())
}

// test_throw_back: unsized binary data, 25 bytes of which are taken (by
// the Ruby test's own arithmetic) before set_line_mode(rest) throws the
// rest back to be parsed as lines.
func TestLTP2ThrowBack(t *testing.T) {
	var headers []string
	mk := func() *lt2 {
		headers = []string{}
		nBytes := 0
		s := newLT2(func(s *lt2) { s.p.SetBinaryMode(Unbounded) })
		s.binary = func(d []byte) {
			wanted := 25 - nBytes
			willTake := len(d)
			if len(d) > wanted {
				willTake = len(d) - wanted
			}
			nBytes += willTake
			if nBytes == 25 {
				s.p.SetLineMode(d[willTake:])
			}
		}
		s.line = func(l string) { headers = append(headers, l) }
		return s
	}
	bothWays(t, strings.Repeat("Line\n", 10), mk, func(t *testing.T, how string, _ *lt2) {
		assert.Equal(t, []string{"Line", "Line", "Line", "Line", "Line"}, headers, how)
	})
}

// The throw back from the receive_binary_data of a sized block: the bytes
// handed back are lines again (after the end-of-binary call), before the
// rest of the stream.
func TestLTP2ThrowBackFromSizedBlock(t *testing.T) {
	var ev []string
	mk := func() *lt2 {
		ev = nil
		s := newLT2(func(s *lt2) { s.p.SetBinaryMode(8) })
		s.binary = func(d []byte) {
			ev = append(ev, "bin "+string(d[:3]))
			s.p.SetLineMode(d[3:])
		}
		s.end = func() { ev = append(ev, "end") }
		s.line = func(l string) { ev = append(ev, "line "+l) }
		return s
	}
	bothWays(t, "abcd\nefgh\nij\n", mk, func(t *testing.T, how string, _ *lt2) {
		assert.Equal(t, []string{"bin abc", "end", "line d", "line efgh", "line ij"}, ev, how)
	})
}

// test_multichar: a multi-character delimiter; the tail with no delimiter
// is held. LineText2 misses the delimiter when the bytes come one at a
// time (the Ruby test says so and checks nothing then); the Parser finds
// it.
func TestLTP2Multichar(t *testing.T) {
	var lines []string
	mk := func() *lt2 {
		lines = []string{}
		return linesOf(&lines, func(s *lt2) { s.p.SetDelimiter("012") })
	}
	bothWays(t, "Line012Line012Line012Line", mk, func(t *testing.T, how string, s *lt2) {
		assert.Equal(t, []string{"Line", "Line", "Line"}, lines, how)
		assert.Equal(t, 4, s.p.Buffered(), how)
	})
}

// test_binary_tail: a sized transfer cut short by unbind hands over what
// came, in one call.
func TestLTP2BinaryTail(t *testing.T) {
	var data string
	var calls int
	mk := func() *lt2 {
		data, calls = "", 0
		s := newLT2(func(s *lt2) { s.p.SetBinaryMode(1000) })
		s.binary = func(d []byte) { data = string(d); calls++ }
		return s
	}
	bothWays(t, strings.Repeat("0", 500), mk, func(t *testing.T, how string, s *lt2) {
		assert.Zero(t, calls, how)
		s.p.Flush() // a.unbind
		assert.Equal(t, strings.Repeat("0", 500), data, how)
		assert.Equal(t, 1, calls, how)
	})
}

// test_receive_end_of_binary_data: the block in one call, then the
// end-of-binary call.
func TestLTP2ReceiveEndOfBinaryData(t *testing.T) {
	var data string
	var ended bool
	a := newLT2(func(s *lt2) { s.p.SetBinaryMode(1000) })
	a.binary = func(d []byte) { data = string(d) }
	a.end = func() { ended = true }
	bytewise(a.p, strings.Repeat("_", 1000))
	assert.Equal(t, strings.Repeat("_", 1000), data)
	assert.True(t, ended)
}

// test_binary_pairs: set_text_mode called inside receive_binary_data
// chains blocks of alternating sizes.
func TestLTP2BinaryPairs(t *testing.T) {
	var sizes []int
	a := newLT2(func(s *lt2) { s.p.SetBinaryMode(1) })
	a.binary = func(d []byte) {
		sizes = append(sizes, len(d))
		a.p.SetBinaryMode(map[bool]int64{true: 2, false: 1}[len(d) == 1])
	}
	a.p.Feed([]byte(strings.Repeat("123", 5)))
	assert.Equal(t, []int{1, 2, 1, 2, 1, 2, 1, 2, 1, 2}, sizes)
}
