package reactor

// noSigpipe does nothing: OpenBSD has no SO_NOSIGPIPE. The Go runtime
// already turns SIGPIPE from a socket write into EPIPE (only fds 1 and 2
// are fatal), so the write path sees the error either way.
func noSigpipe(int) error { return nil }
