//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd

package poller

import (
	"errors"
	"time"
)

// ErrUnsupported is returned by New on systems with neither epoll nor kqueue.
var ErrUnsupported = errors.New("poller: no epoll or kqueue on this system")

// Poller is a placeholder on unsupported systems; New always fails.
type Poller struct{}

// New reports that this system is not supported.
func New() (*Poller, error) { return nil, ErrUnsupported }

func (*Poller) Add(int, bool, bool) error           { return ErrUnsupported }
func (*Poller) Mod(int, bool, bool) error           { return ErrUnsupported }
func (*Poller) Del(int) error                       { return ErrUnsupported }
func (*Poller) Wait(time.Duration) ([]Event, error) { return nil, ErrUnsupported }
func (*Poller) Wake() error                         { return ErrUnsupported }
func (*Poller) Close() error                        { return nil }
