package http

import "strings"

// isToken reports whether s is an RFC 9110 token (section 5.6.2), the
// syntax of a method and of a header field name: one or more visible
// ASCII characters other than the delimiters.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
