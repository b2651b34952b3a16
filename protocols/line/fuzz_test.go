package line

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceParse frames the whole stream at once with the obvious
// index-based code, following the recorder's commands: the model the
// streaming Parser must match however the stream is cut. Bytes handed back
// are spliced into the stream where they go.
func referenceParse(in []byte, maxLen int, maxBin int64) []string {
	in = bytes.Clone(in)
	delim, strip := []byte("\n"), true
	var re *regexp.Regexp
	var ev []string
	var bin int64
	var stream, skip, unsized bool
	splice := func(pos int, b []byte) {
		in = append(in[:pos:pos], append(bytes.Clone(b), in[pos:]...)...)
	}
	for pos := 0; pos < len(in); {
		if unsized {
			blk := in[pos:]
			if i := bytes.IndexByte(blk, '#'); i >= 0 {
				blk, unsized = blk[:i+1], false
			}
			ev = append(ev, "S:"+string(blk))
			pos += len(blk)
			continue
		}
		if bin > 0 {
			if int64(len(in)-pos) < bin {
				if !skip && stream {
					ev = append(ev, "S:"+string(in[pos:]))
				}
				break
			}
			blk := in[pos : pos+int(bin)]
			pos += int(bin)
			bin = 0
			switch {
			case skip:
			case stream:
				ev = append(ev, "S:"+string(blk), "E")
			default:
				ev = append(ev, "B:"+string(blk), "E")
				if blk[0] == '<' {
					splice(pos, blk[1:])
				}
			}
			continue
		}
		var i, dl, slack int
		if re != nil {
			_, hi := regexpWidth(re)
			slack = hi - 1
			i = -1
			if loc := re.FindIndex(in[pos:]); loc != nil {
				i, dl = loc[0], loc[1]-loc[0]
			}
		} else {
			i, dl, slack = bytes.Index(in[pos:], delim), len(delim), len(delim)-1
			if strip {
				slack++
			}
		}
		if i < 0 {
			if len(in)-pos > maxLen+slack {
				ev = append(ev, "X")
			}
			break
		}
		line := in[pos : pos+i]
		pos += i + dl
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
			if v, err := strconv.Atoi(n); err == nil && v != 0 {
				bin, stream, skip = int64(v), false, int64(v) > maxBin
				if v < 0 {
					bin, unsized = 0, true
				}
				if skip {
					ev = append(ev, "X")
				}
			}
		}
		if n, ok := strings.CutPrefix(s, "SBIN "); ok {
			if v, err := strconv.Atoi(n); err == nil && v != 0 {
				bin, stream, skip = int64(v), true, false
				if v < 0 {
					bin, unsized = 0, true
				}
			}
		}
		if s == "UBIN" {
			unsized = true
		}
		if d, ok := strings.CutPrefix(s, "DELIM "); ok && d != "" {
			delim, strip, re = []byte(d), d == "\n", nil
		}
		if k, ok := strings.CutPrefix(s, "REGEX "); ok {
			if v, err := strconv.Atoi(k); err == nil && v >= 0 && v < len(fuzzRegexps) {
				re, strip = fuzzRegexps[v], false
			}
		}
		if b, ok := strings.CutPrefix(s, "BACK "); ok {
			splice(pos, []byte(b))
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
	f.Add([]byte("REGEX 0\na\r\nb\nREGEX 1\nc;d,REGEX 2\nxabycdz"), []byte{1, 2})
	f.Add([]byte("BIN 5\n<x\ny\nz\nBIN 99\n"+strings.Repeat("q", 99)+"ok\n"), []byte{3, 7})
	f.Add([]byte("SBIN 5\nabcdefBACK gh\nij\nUBIN\nsome#bytes\nBIN -1\nmore#x\n"), []byte{2})
	f.Fuzz(func(t *testing.T, in, cuts []byte) {
		if len(in) > 4096 {
			return
		}
		const maxLen, maxBin = 16, 64
		want := referenceParse(in, maxLen, maxBin)
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
		got := feedAll([]Option{WithMaxLineLength(maxLen), WithMaxBinaryLength(maxBin)}, chunks...)
		// The recorder merges the pieces of a streamed block, which depend
		// on the cuts; the reference has one piece per block.
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
