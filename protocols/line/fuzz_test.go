package line

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceParse frames the whole stream at once with the obvious
// index-based code, following the recorder's commands: the model the
// streaming Parser must match however the stream is cut.
func referenceParse(in []byte, maxLen int) []string {
	delim, strip := []byte("\n"), true
	var ev []string
	var bin int
	for pos := 0; pos < len(in); {
		if bin > 0 {
			n := min(bin, len(in)-pos)
			ev = append(ev, "B:"+string(in[pos:pos+n]))
			pos, bin = pos+n, bin-n
			if bin == 0 {
				ev = append(ev, "E")
			}
			continue
		}
		i := bytes.Index(in[pos:], delim)
		if i < 0 {
			limit := maxLen + len(delim) - 1
			if strip {
				limit++
			}
			if len(in)-pos > limit {
				ev = append(ev, "X")
			}
			break
		}
		line := in[pos : pos+i]
		pos += i + len(delim)
		if strip {
			line = bytes.TrimSuffix(line, []byte("\r"))
		}
		if len(line) > maxLen {
			ev = append(ev, "X")
			continue
		}
		ev = append(ev, "L:"+string(line))
		s := string(line)
		if n, ok := strings.CutPrefix(s, "BIN "); ok {
			if v, err := strconv.Atoi(n); err == nil && v > 0 {
				bin = v
			}
		}
		if d, ok := strings.CutPrefix(s, "DELIM "); ok && d != "" {
			delim, strip = []byte(d), d == "\n"
		}
	}
	return ev
}

// FuzzParser checks that the Parser gives the reference's events for any
// stream cut at any points. The cuts come from the second input: each byte
// is the length of the next read.
func FuzzParser(f *testing.F) {
	f.Add([]byte(splitMessage), []byte{3, 1, 7})
	f.Add([]byte("a\r\nb\nBIN 3\nxyz\n"), []byte{1})
	f.Add([]byte("DELIM abab\nxabababy\nabab"), []byte{2, 5})
	f.Add([]byte("toolongtoolongtoolong\nok\n"), []byte{4})
	f.Add([]byte("DELIM \r\n\r\nq\r\n\r\nr\r\r\n\r\n"), []byte{1, 1, 2})
	f.Fuzz(func(t *testing.T, in, cuts []byte) {
		if len(in) > 4096 {
			return
		}
		const maxLen = 16
		want := referenceParse(in, maxLen)
		var chunks [][]byte
		rest := in
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if i < len(cuts) {
				n = min(int(cuts[i])%32+1, len(rest))
			}
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		got := feedAll([]Option{WithMaxLineLength(maxLen)}, chunks...)
		// The recorder merges the pieces of a block, which depend on the
		// cuts; the reference has one piece per block.
		assert.Equal(t, want, got, "cuts %v", cuts)
	})
}

type chainSink struct {
	recorder
	blocks int
}

func (s *chainSink) EndOfBinaryData() {
	s.recorder.EndOfBinaryData()
	if s.blocks > 0 {
		s.blocks--
		s.p.SetBinaryMode(2)
	}
}

// A block may be chained from EndOfBinaryData: the Parser is in line mode
// already when it runs.
func TestParserBinaryChainedFromEnd(t *testing.T) {
	s := &chainSink{blocks: 2}
	s.p = NewParser(s)
	s.p.SetBinaryMode(1)
	s.p.Feed([]byte("abcdefg\n"))
	require.Equal(t, []string{"B:a", "E", "B:bc", "E", "B:de", "E", "L:fg"}, s.events)
}
