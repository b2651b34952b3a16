package line

import "errors"

// ErrLineTooLong is wrapped by the error a Parser reports when a line grows
// beyond the maximum line length.
var ErrLineTooLong = errors.New("line: line too long")
