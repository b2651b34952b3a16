package redis

import (
	"errors"
	"strings"
)

// Nil is the error of a typed helper whose reply was null: a missing key
// for GET, an empty list for LPOP, a timed-out BLPOP. (Do and DoValue hand
// over the null Value itself, with no error.)
var Nil = errors.New("redis: nil")

// Errors of the client. Every error handed to a callback because a
// command could not be answered wraps one of these (and, for a lost
// connection, the reason the connection closed).
var (
	// ErrClosed: the Client was closed (Close) before the reply came.
	ErrClosed = errors.New("redis: client closed")
	// ErrConnectionLost: the connection went away with the command sent
	// and unanswered (or queued in it and not yet sent). The command may
	// or may not have run on the server.
	ErrConnectionLost = errors.New("redis: connection lost")
	// ErrNotConnected: the client is disconnected and WithFailFast is on,
	// so the command was not queued.
	ErrNotConnected = errors.New("redis: not connected")
	// ErrQueueFull: the client is not connected and its offline queue is
	// full (WithOfflineQueue).
	ErrQueueFull = errors.New("redis: offline queue full")
	// ErrFailed: reconnecting gave up after WithReconnect's attempts; the
	// client stays failed.
	ErrFailed = errors.New("redis: reconnect failed")
	// ErrTimeout: the server did not answer within WithTimeout. It also
	// satisfies net.Error with Timeout() true.
	ErrTimeout error = timeoutError{}
	// ErrOutOfSync: a reply arrived with no command waiting for it.
	ErrOutOfSync = errors.New("redis: reply with no command waiting (out of sync)")
	// ErrUnsupported: a command Do does not run (see Do).
	ErrUnsupported = errors.New("redis: command not supported here")
	// ErrHandshake: HELLO, AUTH, CLIENT SETNAME or SELECT failed.
	ErrHandshake = errors.New("redis: connection handshake failed")
)

type timeoutError struct{}

func (timeoutError) Error() string   { return "redis: server did not answer in time" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Error is an error reply of the server ("-ERR ...", "-WRONGTYPE ...", or a
// RESP3 blob error), as a Go error.
type Error string

// Error returns the server's message, prefix included.
func (e Error) Error() string { return string(e) }

// Prefix returns the error code: the first word of the message, such as
// "ERR", "WRONGTYPE", "NOSCRIPT", "MOVED".
func (e Error) Prefix() string {
	s := string(e)
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}
