package proxy

import (
	"bytes"
	"net"
	"strings"
)

// This file is the pure parser behind Host rules: it finds the Host header
// of an HTTP/1 request head that may still be arriving. Its answer for some
// bytes never changes when more bytes follow (hostMore aside), because the
// Router asks again after every read and acts on the first answer: the
// route must not depend on how TCP split the stream.
//
// It reads the head as RFC 9112 writes it, strictly:
//
//	request-line = method SP request-target SP HTTP-version
//	method       = 1*( %x41-5A / "-" )     ; upper case, as every registered method
//	target       = 1*( %x21-7E / %x80-FF ) ; no whitespace, no controls
//	HTTP-version = "HTTP/" DIGIT "." DIGIT
//	field-line   = token ":" *( VCHAR / obs-text / SP / HTAB )
//
// Lines end in LF, with one CR before it dropped. A head that breaks this
// before its Host line (a tab or two spaces in the request line, a space
// before a colon, a line without one, a folded line) has no Host as far as
// routing goes, as net/http answers 400 to it. A Host line is final only
// once the next byte shows it is not folded (obs-fold: a line that starts
// with SP or HTAB continues the one before); a folded Host has none either.

type hostState uint8

const (
	hostUnknown hostState = iota // not looked at yet
	hostFound
	hostMore // the header may still come
	hostNone // not HTTP, or the headers ended without a Host
)

// httpHost finds the Host header of an HTTP/1 request head that may be
// incomplete, lower-cased and without its port.
func httpHost(b []byte) (string, hostState) {
	line, rest, ok := cutLine(b)
	if !ok {
		if !requestLinePrefix(b) {
			return "", hostNone
		}
		return "", hostMore
	}
	if !requestLine(line) {
		return "", hostNone
	}
	for {
		if line, rest, ok = cutLine(rest); !ok {
			return "", hostMore
		}
		if len(line) == 0 {
			return "", hostNone // end of the head, no Host
		}
		name, value, ok := fieldLine(line)
		switch {
		case !ok:
			return "", hostNone // malformed, or a fold
		case !strings.EqualFold(string(name), "host"):
			continue
		case len(rest) == 0:
			return "", hostMore // the next line may continue the value
		case rest[0] == ' ' || rest[0] == '\t':
			return "", hostNone // folded
		}
		return hostName(string(value)), hostFound
	}
}

// cutLine splits off one line ending in LF (a CR before it is dropped).
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, b, false
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:], true
}

// lineState is how far bytes follow the request-line grammar.
type lineState uint8

const (
	lineBad      lineState = iota // no continuation makes a request line
	linePartial                   // a proper prefix of some request line
	lineComplete                  // a request line, if the line ends here
)

// httpVersion is the shape of HTTP-version; '0' stands for any digit.
const httpVersion = "HTTP/0.0"

// scanRequestLine matches b, a line without its line end, against the
// request-line grammar. Every prefix of a linePartial or lineComplete
// input is itself linePartial or lineComplete: requestLine and
// requestLinePrefix are one grammar.
func scanRequestLine(b []byte) lineState {
	for _, isPart := range []func(byte) bool{isMethodByte, isTargetByte} {
		n := 0
		for n < len(b) && isPart(b[n]) {
			n++
		}
		switch {
		case n == len(b):
			return linePartial
		case n == 0 || b[n] != ' ':
			return lineBad
		}
		b = b[n+1:]
	}
	if len(b) > len(httpVersion) {
		return lineBad
	}
	for i, c := range b {
		if want := httpVersion[i]; c != want && !(want == '0' && '0' <= c && c <= '9') {
			return lineBad
		}
	}
	if len(b) < len(httpVersion) {
		return linePartial
	}
	return lineComplete
}

// requestLine reports whether line, without its line end, is a request
// line.
func requestLine(line []byte) bool { return scanRequestLine(line) == lineComplete }

// requestLinePrefix reports whether b, a first line whose LF has not come
// yet, can still become a request line: it is a prefix of one, or one
// followed by the CR of its line end.
func requestLinePrefix(b []byte) bool {
	if line, ok := bytes.CutSuffix(b, []byte("\r")); ok {
		return requestLine(line)
	}
	return scanRequestLine(b) != lineBad
}

// fieldLine splits a header line into its name and its value without the
// whitespace around it; ok is false for a line that is not token ":" value
// (a line that starts with whitespace is a fold, and fails too).
func fieldLine(line []byte) (name, value []byte, ok bool) {
	name, value, ok = bytes.Cut(line, []byte(":"))
	if !ok || len(name) == 0 {
		return nil, nil, false
	}
	for _, c := range name {
		if !isTokenByte(c) {
			return nil, nil, false
		}
	}
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return nil, nil, false
		}
	}
	return name, bytes.Trim(value, " \t"), true
}

func isMethodByte(c byte) bool { return 'A' <= c && c <= 'Z' || c == '-' }

func isTargetByte(c byte) bool { return '!' <= c && c <= '~' || c >= 0x80 }

// isTokenByte reports whether c is a tchar (RFC 9110, 5.6.2).
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func hostName(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}
