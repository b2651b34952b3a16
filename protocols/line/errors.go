package line

import "errors"

// ErrLineTooLong is wrapped by the error a Parser reports when a line grows
// beyond the maximum line length.
var ErrLineTooLong = errors.New("line: line too long")

// ErrBinaryTooLong is wrapped by the error a Parser reports when a sized
// binary block to be collected into one call is longer than the maximum
// binary length (see SetMaxBinaryLength and SetStreamingBinary).
var ErrBinaryTooLong = errors.New("line: binary block too long")
