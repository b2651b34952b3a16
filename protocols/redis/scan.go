package redis

import (
	"bytes"
	"fmt"
)

// Scanner finds where the first RESP value of a growing buffer ends,
// without building it, and resumes where its last call stopped: a large
// reply that arrives in many reads is then walked once in all, where
// calling Parse after every read would walk it again each time. Parse the
// bytes it reports once they are complete. The zero Scanner is ready; it
// is not safe for concurrent use, and it does no I/O.
type Scanner struct {
	pos   int     // bytes of b already walked
	stack []int64 // elements still to come in each open aggregate
}

// Reset forgets the progress, for a buffer that starts anew.
func (s *Scanner) Reset() {
	s.pos = 0
	s.stack = s.stack[:0]
}

// Scan returns the length of the value at the start of b once b holds all
// of it, or ErrIncomplete. Between calls that return ErrIncomplete, b must
// keep its contents and may only grow; after a value is complete the
// Scanner starts over. Lengths are checked against lim as Parse does
// (nesting loosely: Parse makes the exact check); a malformed header is an
// error wrapping ErrProtocol.
func (s *Scanner) Scan(b []byte, lim Limits) (int, error) {
	for {
		if s.pos >= len(b) {
			return 0, ErrIncomplete
		}
		start := s.pos
		i := bytes.IndexByte(b[start:], '\n')
		if i < 0 {
			if len(b)-start > lim.MaxLine+2 {
				return 0, fmt.Errorf("%w: line longer than %d bytes", ErrTooLarge, lim.MaxLine)
			}
			return 0, ErrIncomplete
		}
		if i < 2 || b[start+i-1] != '\r' {
			return 0, protoErr("line not ended by CRLF")
		}
		if i > lim.MaxLine+2 {
			return 0, fmt.Errorf("%w: line longer than %d bytes", ErrTooLarge, lim.MaxLine)
		}
		kind, header, next := Kind(b[start]), b[start+1:start+i-1], start+i+1
		switch kind {
		case KindSimple, KindError, KindInt, KindNull, KindBool, KindDouble, KindBigNumber:
		case KindBulk, KindBlobError, KindVerbatim:
			n, err := parseLength(header)
			if err != nil {
				return 0, err
			}
			if n > lim.MaxBulk {
				return 0, fmt.Errorf("%w: bulk of %d bytes (limit %d)", ErrTooLarge, n, lim.MaxBulk)
			}
			if n >= 0 {
				if next+int(n)+2 > len(b) {
					return 0, ErrIncomplete // s.pos stays at the header
				}
				next += int(n) + 2
			}
		case KindArray, KindSet, KindPush, KindMap, KindAttribute:
			n, err := parseLength(header)
			if err != nil {
				return 0, err
			}
			if n > lim.MaxAggregate {
				return 0, fmt.Errorf("%w: aggregate of %d elements (limit %d)", ErrTooLarge, n, lim.MaxAggregate)
			}
			if len(s.stack) > 2*lim.MaxDepth {
				return 0, fmt.Errorf("%w: nesting deeper than %d", ErrTooLarge, lim.MaxDepth)
			}
			count := n
			switch kind {
			case KindMap:
				count = 2 * n
			case KindAttribute: // its pairs, then the value it describes
				count = 2*n + 1
			}
			if count > 0 {
				s.pos = next
				s.stack = append(s.stack, count)
				continue
			}
		default:
			return 0, protoErr("unknown type byte %q", byte(kind))
		}
		// One element is complete: close the aggregates it completes.
		s.pos = next
		for len(s.stack) > 0 {
			top := len(s.stack) - 1
			if s.stack[top]--; s.stack[top] > 0 {
				break
			}
			s.stack = s.stack[:top]
		}
		if len(s.stack) == 0 {
			n := s.pos
			s.Reset()
			return n, nil
		}
	}
}
