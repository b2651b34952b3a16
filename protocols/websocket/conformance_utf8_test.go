package websocket

import "strings"

// utf8Groups are the groups of Markus Kuhn's UTF-8 decoder capability
// and stress test (UTF-8-test.txt), in Autobahn's order as cases 6.5 to
// 6.23. Validity is not listed: the cases ask unicode/utf8 (and RFC 3629),
// independently of the Reader under test.
func utf8Groups() [][]string {
	kappa := "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
	var prefixes []string
	for i := 1; i <= len(kappa); i++ {
		prefixes = append(prefixes, kappa[:i])
	}
	var cont strings.Builder
	for c := 0x80; c < 0xbf; c++ {
		cont.WriteByte(byte(c))
	}
	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var b strings.Builder
		for c := r[0]; c < r[1]; c++ {
			b.WriteByte(byte(c))
			b.WriteByte(' ')
		}
		lonely = append(lonely, b.String())
	}
	missing := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	nonchars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, a := range []string{"\xf0", "\xf1", "\xf2", "\xf3", "\xf4"} {
		for _, b := range []string{"\x8f", "\x9f", "\xaf", "\xbf"} {
			for _, c := range []string{"\xbe", "\xbf"} {
				if s := a + b + "\xbf" + c; s != "\xf0\x8f\xbf\xbe" && s != "\xf0\x8f\xbf\xbf" {
					nonchars = append(nonchars, s)
				}
			}
		}
	}
	return [][]string{
		// 6.5 some valid UTF-8 sequences
		{"hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", kappa},
		// 6.6 all prefixes of a valid string with multi-byte code points
		prefixes,
		// 6.7 first possible sequence of a certain length
		{"\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80"},
		// 6.8 first possible sequence of length 5 and 6 (invalid code points)
		{"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80"},
		// 6.9 last possible sequence of a certain length
		{"\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"},
		// 6.10 last possible sequence of length 4, 5, 6 (invalid code points)
		{"\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf"},
		// 6.11 other boundary conditions
		{"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80"},
		// 6.12 unexpected continuation bytes
		{"\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", cont.String()},
		// 6.13 lonely start characters
		lonely,
		// 6.14 sequences with the last continuation byte missing
		missing,
		// 6.15 concatenation of incomplete sequences
		{strings.Join(missing, "")},
		// 6.16 impossible bytes
		{"\xfe", "\xff", "\xfe\xfe\xff\xff"},
		// 6.17 overlong ASCII character
		{"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf"},
		// 6.18 maximum overlong sequences
		{"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf"},
		// 6.19 overlong NUL
		{"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80"},
		// 6.20 single UTF-16 surrogates
		{"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf"},
		// 6.21 paired UTF-16 surrogates
		{"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
			"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf"},
		// 6.22 non-character code points (valid UTF-8)
		nonchars,
		// 6.23 Unicode specials
		{"\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf"},
	}
}
