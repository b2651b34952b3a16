//go:build windows

// evmachine's loop is epoll (Linux) or kqueue (macOS, the BSDs); there is no
// Windows poller. Without this file a Windows build fails with dozens of
// "undefined: unix.Sockaddr" errors; with it, the go command stops before
// compiling, on one line that says why: the embed pattern below matches no
// file, and its error message quotes the pattern.

package reactor

import _ "embed"

//go:embed "evmachine does not support Windows, only Linux, macOS and the BSDs (epoll, kqueue)"
var windowsIsNotSupported string
