package memcache

import (
	"errors"
	"fmt"
)

// The package's sentinel errors. A callback's error wraps one of these, a
// *ServerError, or the reactor's close reason: test with errors.Is and
// errors.As.
var (
	// ErrCacheMiss: the key is not on the server (a get of one key, delete,
	// incr, decr, touch, cas). The names follow bradfitz/gomemcache.
	ErrCacheMiss = errors.New("memcache: cache miss")
	// ErrNotStored: add of a key that exists, replace, append or prepend of
	// one that does not (NOT_STORED).
	ErrNotStored = errors.New("memcache: item not stored")
	// ErrCASConflict: cas of an item changed since it was read (EXISTS).
	ErrCASConflict = errors.New("memcache: compare-and-swap conflict")
	// ErrMalformedKey: the key is empty, longer than 250 bytes, or holds a
	// space or control character. Nothing was sent.
	ErrMalformedKey = errors.New("memcache: key is too long or contains invalid characters")
	// ErrValueTooLarge: the value is longer than the item size limit
	// (WithMaxItemSize). Nothing was sent.
	ErrValueTooLarge = errors.New("memcache: value larger than the item size limit")
	// ErrProtocol: the server sent something that is not a valid reply to
	// the command waiting for it. The connection is closed and every
	// command waiting on it fails with this error.
	ErrProtocol = errors.New("memcache: malformed reply")
	// ErrReplyTooLarge: a VALUE line announced more bytes than the item
	// size limit. It is refused before anything is buffered; the
	// connection is closed as for ErrProtocol (the error wraps both).
	ErrReplyTooLarge = fmt.Errorf("%w: value larger than the item size limit", ErrProtocol)
	// ErrConnectionLost: the connection closed (the server went away or
	// reset it) while the command was sent and waiting for its reply; it
	// may or may not have been applied. The error also wraps the close
	// reason.
	ErrConnectionLost = errors.New("memcache: connection lost")
	// ErrNotConnected: the client is disconnected and does not queue
	// commands (WithMaxQueued(0)), or its queue is full.
	ErrNotConnected = errors.New("memcache: not connected")
	// ErrTimeout: the server did not answer within the timeout
	// (WithTimeout). The connection is closed (a late reply would be
	// matched to the wrong command) and every command waiting on it fails.
	ErrTimeout = errors.New("memcache: timeout waiting for the server")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("memcache: client closed")
)

// ServerError is an error reply of the server: ERROR (a command it does
// not know), CLIENT_ERROR (a request it refuses, such as incr of a value
// that is not a number) or SERVER_ERROR (such as out of memory, or an
// object too large for its item size). The connection stays open.
type ServerError struct {
	Kind    string // "ERROR", "CLIENT_ERROR" or "SERVER_ERROR"
	Message string // the rest of the line, possibly empty
}

func (e *ServerError) Error() string {
	if e.Message == "" {
		return "memcache: server replied " + e.Kind
	}
	return "memcache: server replied " + e.Kind + ": " + e.Message
}

// wrapNotConnected is ErrNotConnected with the last connection error.
func wrapNotConnected(last error) error {
	return fmt.Errorf("%w: %w", ErrNotConnected, last)
}
