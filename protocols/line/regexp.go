package line

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// unboundedSlack is how many bytes beyond the maximum line length a Parser
// keeps for a regular-expression delimiter whose matches have no bounded
// length (such as /\n+/).
const unboundedSlack = 1024

// SetDelimiterRegexp makes the leftmost match of re the delimiter from the
// next line on, as LineText2's set_delimiter(/\r?\n/); the match is removed
// from the line and nothing else is (no "\r" stripping). A nil re is
// ignored; one that can match the empty string panics, as it would never
// advance.
//
// The match is looked for in the bytes received so far, so a regular
// expression whose match could grow with the bytes still to come (/\n+/,
// /ab|a/) may match differently depending on how the stream is cut;
// prefix-free ones (/\r?\n/, /[;,]/, /\r\n|\n/) do not. The unfinished
// line is searched again at each read only from where a match could begin,
// all of it for unbounded matches or ones with anchors (^ $ \b).
func (p *Parser) SetDelimiterRegexp(re *regexp.Regexp) {
	if re == nil {
		return
	}
	lo, hi := regexpWidth(re)
	if lo == 0 {
		panic(fmt.Sprintf("line: the delimiter /%s/ can match the empty string", re))
	}
	p.re, p.reWide, p.stripCR = re, hi, false
	p.reSlack = unboundedSlack
	if hi > 0 {
		p.reSlack = hi - 1
	}
	p.changedDelimiter()
}

// feedRegexp is feedLine for a regular-expression delimiter.
func (p *Parser) feedRegexp(data []byte) []byte {
	old := len(p.buf)
	text := data
	from := 0
	if old > 0 {
		p.buf = append(p.buf, data...)
		text = p.buf
		if p.reWide > 0 { // a new match ends in data
			from = max(0, old+1-p.reWide)
		}
	}
	loc := p.re.FindIndex(text[from:])
	if loc == nil {
		if old == 0 {
			p.buf = append(p.buf, data...)
		}
		p.holdRegexp()
		return nil
	}
	start, end := from+loc[0], from+loc[1]
	rest := data[max(end-old, 0):]
	if p.discarding {
		p.discarding, p.buf = false, p.buf[:0]
		return rest
	}
	p.deliver(text[:start])
	return rest
}

// holdRegexp bounds the unfinished line in buf, as hold does.
func (p *Parser) holdRegexp() {
	if !p.discarding && len(p.buf) <= p.max+p.reSlack {
		return
	}
	tail := append([]byte(nil), p.buf[max(len(p.buf)-p.reSlack, 0):]...)
	p.buf = append(p.buf[:0], tail...)
	if cap(p.buf) > releaseAbove {
		p.buf = append([]byte(nil), p.buf...)
	}
	if !p.discarding {
		p.discarding = true
		p.tooLong()
	}
}

// regexpWidth returns the fewest and the most bytes a match of re spans;
// the most is -1 when unbounded or when re has empty-width assertions,
// whose matches depend on the bytes around them.
func regexpWidth(re *regexp.Regexp) (lo, hi int) {
	s, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		if re.Match(nil) {
			return 0, -1
		}
		return 1, -1
	}
	return width(s)
}

const noMatch = 1 << 30

func width(re *syntax.Regexp) (lo, hi int) {
	switch re.Op {
	case syntax.OpNoMatch:
		return noMatch, 0
	case syntax.OpEmptyMatch:
		return 0, 0
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			lo++
			if re.Flags&syntax.FoldCase != 0 {
				hi += utf8.UTFMax
			} else {
				hi += utf8.RuneLen(r)
			}
		}
		return lo, hi
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return noMatch, 0
		}
		top := re.Rune[len(re.Rune)-1]
		if top > utf8.MaxRune {
			top = utf8.MaxRune
		}
		return 1, utf8.RuneLen(top) // an invalid byte is matched as U+FFFD only if the class has it
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1, utf8.UTFMax
	case syntax.OpCapture:
		return width(re.Sub[0])
	case syntax.OpStar:
		return 0, -1
	case syntax.OpPlus:
		lo, _ = width(re.Sub[0])
		return lo, -1
	case syntax.OpQuest:
		_, hi = width(re.Sub[0])
		return 0, hi
	case syntax.OpRepeat:
		l, h := width(re.Sub[0])
		lo = min(re.Min*l, noMatch)
		if re.Max < 0 || h < 0 {
			return lo, -1
		}
		return lo, re.Max * h
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			l, h := width(sub)
			lo = min(lo+l, noMatch)
			if h < 0 || hi < 0 {
				hi = -1
			} else {
				hi += h
			}
		}
		return lo, hi
	case syntax.OpAlternate:
		lo = noMatch
		for _, sub := range re.Sub {
			l, h := width(sub)
			lo = min(lo, l)
			if h < 0 || hi < 0 {
				hi = -1
			} else {
				hi = max(hi, h)
			}
		}
		return lo, hi
	default: // ^ $ \A \z \b \B: empty, and context-dependent
		return 0, -1
	}
}
