package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLineSplitter(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []string
		max     int
		want    []string
		wantErr bool
	}{
		{"one line", []string{"hi\n"}, 10, []string{"hi"}, false},
		{"crlf", []string{"hi\r\n"}, 10, []string{"hi"}, false},
		{"split across reads", []string{"he", "llo\nwor", "ld\n"}, 10, []string{"hello", "world"}, false},
		{"many in one read", []string{"a\nb\n\nc\n"}, 10, []string{"a", "b", "", "c"}, false},
		{"unfinished line waits", []string{"abc"}, 10, nil, false},
		{"exactly max", []string{"12345\n"}, 5, []string{"12345"}, false},
		{"too long with newline", []string{"123456\n"}, 5, nil, true},
		{"too long without newline", []string{"123456"}, 5, nil, true},
		{"too long across reads", []string{"123", "456"}, 5, nil, true},
		{"good line then too long", []string{"ok\n1234567"}, 5, []string{"ok"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := lineSplitter{max: tt.max}
			var got []string
			var err error
			for _, c := range tt.chunks {
				if err = ls.feed([]byte(c), func(l []byte) bool { got = append(got, string(l)); return true }); err != nil {
					break
				}
			}
			assert.Equal(t, tt.want, got)
			if tt.wantErr {
				assert.ErrorIs(t, err, errLineTooLong)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

func TestLineSplitterStop(t *testing.T) {
	ls := lineSplitter{max: 10}
	var got []string
	err := ls.feed([]byte("a\nb\nc\n"), func(l []byte) bool { got = append(got, string(l)); return len(got) < 2 })
	assert.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, got)
}

// FuzzLineSplitter checks that any split of any input gives the lines
// bytes.Split gives, or errLineTooLong exactly when a line is too long, and
// that the buffer never holds more than max bytes.
func FuzzLineSplitter(f *testing.F) {
	f.Add([]byte("hello\nworld\r\n"), uint8(3), uint8(8))
	f.Add([]byte("\n\n\nabc"), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, cut, limit uint8) {
		max := int(limit%32) + 1
		ls := lineSplitter{max: max}
		var got [][]byte
		emit := func(l []byte) bool { got = append(got, bytes.Clone(l)); return true }
		at := min(int(cut), len(data))
		err := ls.feed(data[:at], emit)
		if err == nil {
			err = ls.feed(data[at:], emit)
		}
		if len(ls.partial) > max {
			t.Fatalf("buffered %d bytes, max %d", len(ls.partial), max)
		}
		parts := bytes.Split(data, []byte("\n"))
		complete, rest := parts[:len(parts)-1], parts[len(parts)-1]
		var want [][]byte
		tooLong := false
		for _, p := range complete {
			if len(p) > max {
				tooLong = true
				break
			}
			want = append(want, bytes.TrimSuffix(p, []byte("\r")))
		}
		if !tooLong && len(rest) > max {
			tooLong = true
		}
		if tooLong != (err != nil) {
			t.Fatalf("tooLong=%v err=%v", tooLong, err)
		}
		if !tooLong && len(want) != len(got) {
			t.Fatalf("got %d lines, want %d", len(got), len(want))
		}
		for i := range min(len(want), len(got)) {
			if !bytes.Equal(want[i], got[i]) {
				t.Fatalf("line %d: got %q want %q", i, got[i], want[i])
			}
		}
	})
}
