package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ErrNoRoute is the error of a Routes function whose rules all failed to
// match.
var ErrNoRoute = errors.New("proxy: no rule matches")

// Rule is one routing rule for Routes. A rule with a Host matches HTTP
// requests by their Host header (case-insensitive, port ignored;
// "*.example.com" matches every subdomain); one with a Prefix matches
// connections whose first bytes are that prefix; one with neither matches
// everything (a default, put it last).
type Rule struct {
	Host    string
	Prefix  string
	Backend string
}

// Routes returns a RouteFunc that tries rules in order and picks the first
// that matches. It asks for more bytes while an earlier rule cannot tell
// yet (a Host rule waits for the header line, a Prefix rule for as many
// bytes as the prefix), so a later rule never wins over an earlier one just
// because it decided sooner. The returned function keeps no state and is
// safe for concurrent use.
func Routes(rules ...Rule) RouteFunc {
	rules = append([]Rule(nil), rules...)
	for i := range rules {
		rules[i].Host = strings.ToLower(rules[i].Host)
	}
	return func(first []byte) (string, error) {
		var host string
		hs := hostUnknown
		for _, rl := range rules {
			var m match
			switch {
			case rl.Host != "":
				if hs == hostUnknown {
					host, hs = httpHost(first)
				}
				m = matchHost(rl.Host, host, hs)
			case rl.Prefix != "":
				m = matchPrefix(rl.Prefix, first)
			default:
				m = matched
			}
			switch m {
			case matched:
				return rl.Backend, nil
			case undecided:
				return "", ErrNeedMore
			}
		}
		return "", ErrNoRoute
	}
}

// ParseRoutes parses a rule list as the proxy example takes it:
// comma-separated "host:NAME=ADDR", "prefix:TEXT=ADDR" and "default=ADDR"
// items, tried in order. TEXT may be a Go-quoted string ("\"GET /api\"")
// for spaces, commas or escapes. Safe for concurrent use.
func ParseRoutes(spec string) ([]Rule, error) {
	var rules []Rule
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		eq := strings.LastIndexByte(item, '=')
		if eq <= 0 || eq == len(item)-1 {
			return nil, fmt.Errorf("proxy: route %q: want KIND:MATCH=ADDR or default=ADDR", item)
		}
		key, backend := item[:eq], strings.TrimSpace(item[eq+1:])
		kind, value, _ := strings.Cut(key, ":")
		if strings.HasPrefix(value, `"`) {
			uq, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("proxy: route %q: %w", item, err)
			}
			value = uq
		}
		switch {
		case kind == "host" && value != "":
			rules = append(rules, Rule{Host: value, Backend: backend})
		case kind == "prefix" && value != "":
			rules = append(rules, Rule{Prefix: value, Backend: backend})
		case kind == "default" && value == "":
			rules = append(rules, Rule{Backend: backend})
		default:
			return nil, fmt.Errorf("proxy: route %q: unknown kind or empty match (want host:, prefix: or default)", item)
		}
	}
	if len(rules) == 0 {
		return nil, errors.New("proxy: no routes given")
	}
	return rules, nil
}

type match uint8

const (
	nomatch match = iota
	matched
	undecided
)

func matchPrefix(prefix string, first []byte) match {
	n := min(len(prefix), len(first))
	switch {
	case string(first[:n]) != prefix[:n]:
		return nomatch
	case n < len(prefix):
		return undecided
	}
	return matched
}

func matchHost(pattern, host string, hs hostState) match {
	switch hs {
	case hostMore:
		return undecided
	case hostNone:
		return nomatch
	}
	if rest, ok := strings.CutPrefix(pattern, "*"); ok && strings.HasPrefix(rest, ".") {
		if strings.HasSuffix(host, rest) && len(host) > len(rest) {
			return matched
		}
		return nomatch
	}
	if host == pattern {
		return matched
	}
	return nomatch
}

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
		if !methodPrefix(b) {
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
		name, value, found := bytes.Cut(line, []byte(":"))
		if found && strings.EqualFold(string(bytes.TrimSpace(name)), "host") {
			return hostName(string(bytes.TrimSpace(value))), hostFound
		}
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

// methodPrefix reports whether b can still be the start of a request line:
// upper-case letters, then a space.
func methodPrefix(b []byte) bool {
	for i, c := range b {
		if c == ' ' {
			return i > 0
		}
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// requestLine reports whether line is "METHOD TARGET HTTP/x.y".
func requestLine(line []byte) bool {
	f := bytes.Fields(line)
	return len(f) == 3 && methodPrefix(f[0]) && bytes.HasPrefix(f[2], []byte("HTTP/"))
}

func hostName(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}
