package line

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParserTable(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		in   string
		want []string
	}{
		{"empty", nil, "", nil},
		{"one line", nil, "hello\n", []string{"L:hello"}},
		{"crlf stripped", nil, "hello\r\nworld\r\n", []string{"L:hello", "L:world"}},
		{"bare cr kept inside", nil, "a\rb\n", []string{"L:a\rb"}},
		{"lone cr line", nil, "\r\n\n", []string{"L:", "L:"}},
		{"unfinished line held", nil, "a\nb", []string{"L:a"}},
		{"many lines", nil, "1\n2\n3\n4\n", []string{"L:1", "L:2", "L:3", "L:4"}},
		{"custom delimiter", []Option{WithDelimiter("\r\n")}, "a\nb\r\nc\r\n", []string{"L:a\nb", "L:c"}},
		{"custom delim keeps cr", []Option{WithDelimiter("|")}, "a\r|b|", []string{"L:a\r", "L:b"}},
		{"nul delimiter", []Option{WithDelimiter("\x00")}, "CONNECT\n\n\x00MSG\x00", []string{"L:CONNECT\n\n", "L:MSG"}},
		{"empty delimiter ignored", []Option{WithDelimiter("")}, "a\n", []string{"L:a"}},
		{"self-overlapping delimiter", []Option{WithDelimiter("aab")}, "xaaabyaab", []string{"L:xa", "L:y"}},
		{"at max", []Option{WithMaxLineLength(3)}, "abc\nabc\r\n", []string{"L:abc", "L:abc"}},
		{"over max", []Option{WithMaxLineLength(3)}, "abcd\nok\n", []string{"X", "L:ok"}},
		{"over max unfinished", []Option{WithMaxLineLength(3)}, "abcdefgh", []string{"X"}},
		{"over max then skipped", []Option{WithMaxLineLength(3)}, "abcdefgh\nok\n", []string{"X", "L:ok"}},
		{"binary sized", nil, "BIN 5\nhello world\n", []string{"L:BIN 5", "B:hello", "E", "L: world"}},
		{"binary keeps newlines", nil, "BIN 4\na\nb\nc\n", []string{"L:BIN 4", "B:a\nb\n", "E", "L:c"}},
		{"binary swallows a line", nil, "BIN 2\nBIN 2\nxy\n", []string{"L:BIN 2", "B:BI", "E", "L:N 2", "L:xy"}},
		{"binary not counted against max", []Option{WithMaxLineLength(6)}, "BIN 10\n0123456789ok\n", []string{"L:BIN 10", "B:0123456789", "E", "L:ok"}},
		{"delimiter change from callback", nil, "DELIM ;\na;b;", []string{"L:DELIM ;", "L:a", "L:b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := feedAll(tc.opts, []byte(tc.in))
			assert.Equal(t, tc.want, got)
		})
	}
}

// splitMessage is a stream that exercises every feature: lines in "\r\n"
// and "\n", an empty line, binary blocks (one chained from another), a
// delimiter change to a multi-byte delimiter and a too-long line.
const splitMessage = "GET a\r\nBIN 6\nab\ncd\n\r\nBIN 3\nBIN 1\nxy\nz\nDELIM <>\nq<r<>toolongtoolong<>s<>"

func TestParserEverySplitPoint(t *testing.T) {
	opts := []Option{WithMaxLineLength(8)}
	msg := []byte(splitMessage)
	want := feedAll(opts, msg)
	require.Equal(t, []string{
		"L:GET a", "L:BIN 6", "B:ab\ncd\n", "E", "L:", "L:BIN 3", "B:BIN", "E",
		"L: 1", "L:xy", "L:z", "L:DELIM <>", "L:q<r", "X", "L:s",
	}, want)
	for i := 0; i <= len(msg); i++ {
		assert.Equal(t, want, feedAll(opts, msg[:i], msg[i:]), "split at %d", i)
		for j := i; j <= len(msg); j++ {
			got := feedAll(opts, msg[:i], msg[i:j], msg[j:])
			if !assert.Equal(t, want, got, "split at %d and %d", i, j) {
				return
			}
		}
	}
	bytewise := make([][]byte, len(msg))
	for i := range msg {
		bytewise[i] = msg[i : i+1]
	}
	assert.Equal(t, want, feedAll(opts, bytewise...), "one byte per read")
}

func TestParserMaxLineLength(t *testing.T) {
	t.Run("error wraps ErrLineTooLong", func(t *testing.T) {
		r := newRecorder(WithMaxLineLength(4))
		r.p.Feed([]byte("12345\n"))
		require.Len(t, r.errs, 1)
		assert.True(t, errors.Is(r.errs[0], ErrLineTooLong))
		assert.Contains(t, r.errs[0].Error(), "more than 4 bytes")
	})
	t.Run("nothing beyond the limit is buffered", func(t *testing.T) {
		r := newRecorder(WithMaxLineLength(100))
		chunk := bytes.Repeat([]byte("x"), 37)
		for range 1000 {
			r.p.Feed(chunk)
			require.LessOrEqual(t, r.p.Buffered(), 101)
			require.LessOrEqual(t, cap(r.p.buf), releaseAbove)
		}
		assert.Equal(t, []string{"X"}, r.events, "one error per line, however long")
		r.p.Feed([]byte("\nnext\n"))
		assert.Equal(t, []string{"X", "L:next"}, r.events)
	})
	t.Run("multi-byte delimiter straddling the discard", func(t *testing.T) {
		got := feedAll([]Option{WithMaxLineLength(2), WithDelimiter("<>")}, []byte("abcdef<"), []byte(">ok<>"))
		assert.Equal(t, []string{"X", "L:ok"}, got)
	})
	t.Run("crlf at exactly max", func(t *testing.T) {
		got := feedAll([]Option{WithMaxLineLength(3)}, []byte("ab"), []byte("c\r"), []byte("\n"))
		assert.Equal(t, []string{"L:abc"}, got)
	})
	t.Run("limit changed between lines", func(t *testing.T) {
		r := newRecorder()
		r.p.Feed([]byte("long line\n"))
		r.p.SetMaxLineLength(3)
		r.p.Feed([]byte("long line\nabc\n"))
		assert.Equal(t, []string{"L:long line", "X", "L:abc"}, r.events)
	})
}

func TestParserBinaryMode(t *testing.T) {
	t.Run("unbounded until SetLineMode", func(t *testing.T) {
		r := newRecorder()
		r.p.SetBinaryMode(Unbounded)
		r.p.Feed([]byte("a\nb\n"))
		r.p.Feed([]byte("c\n"))
		assert.True(t, r.p.BinaryMode())
		r.p.SetLineMode()
		r.p.Feed([]byte("d\n"))
		assert.Equal(t, []string{"S:a\nb\nc\n", "L:d"}, r.events)
		assert.False(t, r.p.BinaryMode())
	})
	t.Run("buffered partial line becomes binary", func(t *testing.T) {
		r := newRecorder()
		r.p.Feed([]byte("abc"))
		r.p.SetBinaryMode(5)
		r.p.Feed([]byte("de\nf\n"))
		assert.Equal(t, []string{"B:abcde", "E", "L:", "L:f"}, r.events)
	})
	t.Run("block shorter than the buffered bytes", func(t *testing.T) {
		r := newRecorder()
		r.p.Feed([]byte("abcd"))
		r.p.SetBinaryMode(2)
		r.p.Feed([]byte("\n"))
		assert.Equal(t, []string{"B:ab", "E", "L:cd"}, r.events)
	})
	t.Run("zero is line mode", func(t *testing.T) {
		r := newRecorder()
		r.p.SetBinaryMode(0)
		r.p.Feed([]byte("a\n"))
		r.p.SetBinaryMode(Unbounded)
		r.p.Feed([]byte("b\n"))
		r.p.SetBinaryMode(0)
		r.p.Feed([]byte("c\n"))
		assert.Equal(t, []string{"L:a", "S:b\n", "L:c"}, r.events)
	})
	t.Run("large block buffered whole", func(t *testing.T) {
		r := newRecorder()
		r.p.SetBinaryMode(1 << 20)
		chunk := bytes.Repeat([]byte("y"), 4096)
		for i := range 256 {
			r.p.Feed(chunk)
			require.Equal(t, (i+1)*4096%(1<<20), r.p.Buffered())
		}
		require.Len(t, r.events, 2)
		assert.Equal(t, "B:"+strings.Repeat("y", 1<<20), r.events[0])
		assert.Equal(t, "E", r.events[1])
		assert.Nil(t, r.p.binBuf, "a large buffer is dropped once delivered")
	})
	t.Run("block over the maximum is an error and skipped", func(t *testing.T) {
		r := newRecorder(WithMaxBinaryLength(4))
		r.p.Feed([]byte("BIN 4\nabcdBIN 5\nabcdefg\n"))
		assert.Equal(t, []string{"L:BIN 4", "B:abcd", "E", "L:BIN 5", "X", "L:fg"}, r.events)
		require.Len(t, r.errs, 1)
		assert.ErrorIs(t, r.errs[0], ErrBinaryTooLong)
		assert.Contains(t, r.errs[0].Error(), "5 bytes, more than the maximum 4")
	})
	t.Run("over the maximum outside a callback is reported at once", func(t *testing.T) {
		r := newRecorder(WithMaxBinaryLength(4))
		r.p.SetBinaryMode(10)
		assert.Equal(t, []string{"X"}, r.events)
	})
	t.Run("streamed blocks have no maximum", func(t *testing.T) {
		r := newRecorder(WithMaxBinaryLength(4), WithStreamingBinary())
		r.p.Feed([]byte("BIN 6\nab"))
		r.p.Feed([]byte("cdefg\n"))
		assert.Equal(t, []string{"L:BIN 6", "S:abcdef", "E", "L:g"}, r.events)
	})
	t.Run("flush hands over a block cut short", func(t *testing.T) {
		r := newRecorder()
		r.p.Feed([]byte("BIN 10\nabc"))
		r.p.Feed([]byte("de"))
		r.p.Flush()
		r.p.Flush()
		assert.Equal(t, []string{"L:BIN 10", "B:abcde"}, r.events)
		assert.False(t, r.p.BinaryMode())
	})
	t.Run("large block streamed, not buffered", func(t *testing.T) {
		r := newRecorder(WithStreamingBinary())
		r.p.SetBinaryMode(1 << 20)
		chunk := bytes.Repeat([]byte("y"), 4096)
		for range 256 {
			r.p.Feed(chunk)
			require.Zero(t, r.p.Buffered())
		}
		require.Len(t, r.events, 2)
		assert.Len(t, r.events[0], 2+1<<20)
		assert.Equal(t, "S:", r.events[0][:2])
		assert.Equal(t, "E", r.events[1])
	})
}

func TestParserStop(t *testing.T) {
	r := newRecorder()
	r.p.Feed([]byte("a\n"))
	r.p.Stop()
	r.p.Feed([]byte("b\n"))
	assert.Equal(t, []string{"L:a"}, r.events)
}

// A line that arrived whole is handed over without copying, and neither
// many lines in one read nor a line in many reads allocates per line.
func TestParserNoCopy(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789\r\n"), 1000)
	var seen int
	p := NewParser(countSink{&seen})
	allocs := testing.AllocsPerRun(20, func() { p.Feed(data) })
	assert.Zero(t, allocs)
	assert.Equal(t, 21*1000, seen)

	long := bytes.Repeat([]byte("z"), 60_000)
	allocs = testing.AllocsPerRun(5, func() {
		for i := 0; i < len(long); i += 7 {
			p.Feed(long[i:min(i+7, len(long))])
		}
		p.Feed([]byte("\n"))
	})
	assert.Less(t, allocs, 40.0, "growing the line buffer is amortised")
}

type countSink struct{ n *int }

func (s countSink) Line([]byte)       { *s.n++ }
func (s countSink) BinaryData([]byte) {}
func (s countSink) EndOfBinaryData()  {}
func (s countSink) LineError(error)   {}

func BenchmarkParserManyLinesOneRead(b *testing.B) {
	data := bytes.Repeat([]byte("GET /some/path HTTP/1.1\r\n"), 2000)
	var n int
	p := NewParser(countSink{&n})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		p.Feed(data)
	}
}

func BenchmarkParserLineInSmallReads(b *testing.B) {
	line := append(bytes.Repeat([]byte("x"), 32<<10), '\n')
	var n int
	p := NewParser(countSink{&n})
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		for i := 0; i < len(line); i += 16 {
			p.Feed(line[i:min(i+16, len(line))])
		}
	}
}
