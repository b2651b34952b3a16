package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// lines splits however the reads cut the data, keeps an unterminated
// line for the next read and cuts one past maxLine.
func TestFollowerLines(t *testing.T) {
	var got []string
	f := &follower{path: "p", emit: func(_ string, l []byte) { got = append(got, string(l)) }}
	for _, chunk := range []string{"a\nb", "c\n\nd", "", "e\nf"} {
		f.lines([]byte(chunk))
	}
	assert.Equal(t, []string{"a", "bc", "", "de"}, got)
	assert.Equal(t, "f", string(f.partial))

	got, f.partial = nil, nil
	f.lines([]byte(strings.Repeat("x", maxLine+10) + "\nz\n"))
	assert.Equal(t, []string{strings.Repeat("x", maxLine+10), "z"}, got, "a long line in one read is whole")
	got = nil
	for range 3 {
		f.lines([]byte(strings.Repeat("y", maxLine/2)))
	}
	assert.Equal(t, []string{strings.Repeat("y", maxLine)}, got, "a line growing over reads is cut at maxLine")
	assert.Len(t, f.partial, maxLine/2)
}
