// Package nettest holds the network and data helpers that the tests of
// several packages of this module share: a loopback address whose connects
// hang, one whose connects are refused, a plain Go server on loopback, a
// goroutine-safe buffer for log sinks and reproducible pseudo-random data.
// It is for tests only: nothing outside _test.go files imports it, and it
// imports no package of this module, so that any package's tests (the
// reactor's internal ones included) can use it.
package nettest
