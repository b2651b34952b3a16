package redis

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var parseCases = []struct {
	name string
	in   string
	want Value
}{
	{"simple", "+OK\r\n", Value{Kind: KindSimple, Str: "OK"}},
	{"error", "-ERR bad thing\r\n", Value{Kind: KindError, Str: "ERR bad thing"}},
	{"int", ":-42\r\n", Value{Kind: KindInt, Int: -42}},
	{"bulk", "$5\r\nhel\nl\r\n", Value{Kind: KindBulk, Str: "hel\nl"}},
	{"empty bulk", "$0\r\n\r\n", Value{Kind: KindBulk}},
	{"null bulk", "$-1\r\n", Value{Kind: KindNull}},
	{"null array", "*-1\r\n", Value{Kind: KindNull}},
	{"null", "_\r\n", Value{Kind: KindNull}},
	{"array", "*2\r\n$1\r\na\r\n:1\r\n", Value{Kind: KindArray, Elems: []Value{{Kind: KindBulk, Str: "a"}, {Kind: KindInt, Int: 1}}}},
	{"empty array", "*0\r\n", Value{Kind: KindArray, Elems: []Value{}}},
	{"double", ",3.25\r\n", Value{Kind: KindDouble, Float: 3.25}},
	{"inf", ",-inf\r\n", Value{Kind: KindDouble, Float: math.Inf(-1)}},
	{"true", "#t\r\n", Value{Kind: KindBool, Int: 1}},
	{"false", "#f\r\n", Value{Kind: KindBool}},
	{"blob error", "!10\r\nSYNTAX x\r\n\r\n", Value{Kind: KindBlobError, Str: "SYNTAX x\r\n"}},
	{"verbatim", "=8\r\ntxt:abcd\r\n", Value{Kind: KindVerbatim, Str: "abcd"}},
	{"big number", "(-3492890328409238509324850943850943825024385\r\n", Value{Kind: KindBigNumber, Str: "-3492890328409238509324850943850943825024385"}},
	{"map", "%1\r\n+k\r\n:1\r\n", Value{Kind: KindMap, Elems: []Value{{Kind: KindSimple, Str: "k"}, {Kind: KindInt, Int: 1}}}},
	{"set", "~1\r\n+m\r\n", Value{Kind: KindSet, Elems: []Value{{Kind: KindSimple, Str: "m"}}}},
	{"push", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\np\r\n", Value{Kind: KindPush, Elems: []Value{{Kind: KindBulk, Str: "message"}, {Kind: KindBulk, Str: "c"}, {Kind: KindBulk, Str: "p"}}}},
	{"attribute", "|1\r\n+a\r\n:1\r\n:7\r\n", Value{Kind: KindInt, Int: 7, Attrs: []Value{{Kind: KindSimple, Str: "a"}, {Kind: KindInt, Int: 1}}}},
	{"nested", "*1\r\n*1\r\n*0\r\n", Value{Kind: KindArray, Elems: []Value{{Kind: KindArray, Elems: []Value{{Kind: KindArray, Elems: []Value{}}}}}}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in + "+next\r\n"
			v, n, err := Parse([]byte(in), DefaultLimits)
			require.NoError(t, err)
			assert.Equal(t, len(tc.in), n)
			assert.Equal(t, tc.want, v)
			// Every proper prefix is incomplete, with a need beyond it.
			for i := range len(tc.in) {
				_, need, err := Parse([]byte(tc.in[:i]), DefaultLimits)
				require.ErrorIs(t, err, ErrIncomplete, "prefix %q", tc.in[:i])
				assert.Greater(t, need, i)
				assert.LessOrEqual(t, need, len(tc.in), "prefix %q", tc.in[:i])
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	lim := Limits{MaxBulk: 10, MaxLine: 16, MaxAggregate: 3, MaxDepth: 2}
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"?\r\n", ErrProtocol},
		{"+no cr\n", ErrProtocol},
		{":12a\r\n", ErrProtocol},
		{"$abc\r\n", ErrProtocol},
		{"$-2\r\n", ErrProtocol},
		{"$3\r\nabcX\r\n", ErrProtocol},
		{"$?\r\n", ErrProtocol},
		{"*?\r\n", ErrProtocol},
		{"#x\r\n", ErrProtocol},
		{",nope\r\n", ErrProtocol},
		{"_x\r\n", ErrProtocol},
		{"(12x\r\n", ErrProtocol},
		{"=2\r\nab\r\n", ErrProtocol},
		{"%-1\r\n", ErrProtocol},
		{"$11\r\n", ErrTooLarge},
		{"$536870912\r\n", ErrTooLarge},
		{"*4\r\n", ErrTooLarge},
		{"%2\r\n", ErrProtocol},
		{"*1\r\n*1\r\n*1\r\n", ErrTooLarge},
		{"+" + strings.Repeat("a", 40), ErrTooLarge},
		{"+" + strings.Repeat("a", 20) + "\r\n", ErrTooLarge},
	} {
		_, _, err := Parse([]byte(tc.in), lim)
		if tc.in == "%2\r\n" { // two pairs: four elements, within 3 pairs; just incomplete
			assert.ErrorIs(t, err, ErrIncomplete)
			continue
		}
		assert.ErrorIs(t, err, tc.want, "%q", tc.in)
	}
}

// TestParseHugeBulkNoAlloc: the refusal of a 512 MiB header allocates
// nothing for the announced body.
func TestParseHugeBulkNoAlloc(t *testing.T) {
	in := []byte("$536870912\r\nabc")
	allocs := testing.AllocsPerRun(100, func() { _, _, _ = Parse(in, DefaultLimits) })
	assert.LessOrEqual(t, allocs, 8.0) // the error message only
	in = []byte("*16777216\r\n:1\r\n")
	_, need, err := Parse(in, DefaultLimits)
	require.ErrorIs(t, err, ErrIncomplete)
	assert.Greater(t, need, 3*16777216, "an announced aggregate waits for its bytes before allocating")
}

func TestAppendCommand(t *testing.T) {
	b, err := AppendCommand(nil, "SET", []byte("k"), 12, int64(-3), uint8(7), 1.5, true, 1500*time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, "*8\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$2\r\n-3\r\n$1\r\n7\r\n$3\r\n1.5\r\n$1\r\n1\r\n$4\r\n1500\r\n", string(b))
	b, err = AppendCommand([]byte("x"), "GET", nil)
	assert.Error(t, err)
	assert.Equal(t, "x", string(b))
	_, err = AppendCommand(nil)
	assert.Error(t, err)
	assert.Equal(t, "*2\r\n$3\r\nGET\r\n$0\r\n\r\n", string(AppendStrings(nil, "GET", "")))
}

func BenchmarkParseBulk(b *testing.B) {
	in := []byte("$64\r\n" + strings.Repeat("v", 64) + "\r\n")
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = Parse(in, DefaultLimits)
	}
}

func BenchmarkAppendCommand(b *testing.B) {
	var buf []byte
	val := strings.Repeat("v", 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendStrings(buf[:0], "SET", "key:1", val)
	}
}
