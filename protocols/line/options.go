package line

import "regexp"

// Option configures a Parser or a Handler.
type Option func(*Parser)

// WithDelimiter sets the line delimiter (default "\n"). With "\n" a "\r"
// before the delimiter is stripped too; other delimiters are removed
// exactly. An empty delimiter is ignored.
func WithDelimiter(d string) Option { return func(p *Parser) { p.SetDelimiter(d) } }

// WithDelimiterRegexp sets a regular-expression delimiter, as LineText2's
// set_delimiter(/\r?\n/); see Parser.SetDelimiterRegexp.
func WithDelimiterRegexp(re *regexp.Regexp) Option {
	return func(p *Parser) { p.SetDelimiterRegexp(re) }
}

// WithMaxLineLength sets the longest line accepted (default
// DefaultMaxLineLength). Values below 1 are raised to 1.
func WithMaxLineLength(n int) Option { return func(p *Parser) { p.SetMaxLineLength(n) } }

// WithMaxBinaryLength sets the longest sized block that is collected into
// one BinaryData call (default DefaultMaxBinaryLength).
func WithMaxBinaryLength(n int64) Option { return func(p *Parser) { p.SetMaxBinaryLength(n) } }

// WithStreamingBinary makes sized blocks arrive in pieces as they are read
// instead of whole; see Parser.SetStreamingBinary.
func WithStreamingBinary() Option { return func(p *Parser) { p.SetStreamingBinary(true) } }
