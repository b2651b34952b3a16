package main

import (
	"bytes"
	"errors"
)

// errLineTooLong is returned by lineSplitter.feed when a line grows past the
// limit before its newline arrives.
var errLineTooLong = errors.New("line too long")

// lineSplitter cuts a byte stream into lines ending in "\n"; a "\r" before
// the "\n" is dropped. It buffers at most max bytes of an unfinished line,
// so a peer that never sends a newline cannot grow it. Not safe for
// concurrent use (one per connection, on the loop).
type lineSplitter struct {
	partial []byte
	max     int // longest line accepted, "\r" included, "\n" excluded
}

// feed splits data, calling emit for each complete line; the line is only
// valid during the call. emit returns false to stop (the rest of data is
// ignored). feed returns errLineTooLong once a line exceeds max.
func (ls *lineSplitter) feed(data []byte, emit func(line []byte) bool) error {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(ls.partial)+len(data) > ls.max {
				return errLineTooLong
			}
			ls.partial = append(ls.partial, data...)
			return nil
		}
		if len(ls.partial)+i > ls.max {
			return errLineTooLong
		}
		line := data[:i]
		data = data[i+1:]
		if len(ls.partial) > 0 {
			ls.partial = append(ls.partial, line...)
			line = ls.partial
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		ok := emit(line)
		ls.partial = ls.partial[:0]
		if !ok {
			return nil
		}
	}
	return nil
}
