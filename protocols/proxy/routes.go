package proxy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNoRoute is the error of a Routes function whose rules all failed to
// match.
var ErrNoRoute = errors.New("proxy: no rule matches")

// Rule is one routing rule for Routes. A rule with a Host matches HTTP/1
// requests by their Host header (case-insensitive, port ignored;
// "*.example.com" matches every subdomain; a head that is not well-formed
// HTTP/1 up to its Host line has no Host, see httphost.go); one with a
// Prefix matches connections whose first bytes are that prefix; one with
// neither matches everything (a default, put it last).
type Rule struct {
	Host    string
	Prefix  string
	Backend string
}

// Routes returns a RouteFunc that tries rules in order and picks the first
// that matches. Its decision does not depend on how the bytes were split:
// once it returns a backend or ErrNoRoute for some bytes, it returns the
// same for every longer input that starts with them. So it asks for more
// bytes while an earlier rule cannot tell yet (a Host rule waits for the
// Host line and the byte after it, a Prefix rule for as many bytes as the
// prefix), and a later rule never wins over an earlier one just because it
// decided sooner. The returned function keeps no state and is safe for
// concurrent use.
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
