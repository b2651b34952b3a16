package memcache

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReplyTable(t *testing.T) {
	big := "VALUE k 0 " + "536870912" + "\r\n"
	tests := []struct {
		name string
		in   string
		want Reply
		n    int
		err  error // nil, ErrIncomplete, ErrProtocol or ErrReplyTooLarge
	}{
		{"end", "END\r\n", Reply{Kind: ReplyEnd}, 5, nil},
		{"stored", "STORED\r\nEND\r\n", Reply{Kind: ReplyStored}, 8, nil},
		{"not stored", "NOT_STORED\r\n", Reply{Kind: ReplyNotStored}, 12, nil},
		{"exists", "EXISTS\r\n", Reply{Kind: ReplyExists}, 8, nil},
		{"not found", "NOT_FOUND\r\n", Reply{Kind: ReplyNotFound}, 11, nil},
		{"deleted", "DELETED\r\n", Reply{Kind: ReplyDeleted}, 9, nil},
		{"touched", "TOUCHED\r\n", Reply{Kind: ReplyTouched}, 9, nil},
		{"ok", "OK\r\n", Reply{Kind: ReplyOK}, 4, nil},
		{"number", "42\r\n", Reply{Kind: ReplyNumber, Number: 42}, 4, nil},
		{"number padded", "7   \r\n", Reply{Kind: ReplyNumber, Number: 7}, 6, nil},
		{"number max", "18446744073709551615\r\n", Reply{Kind: ReplyNumber, Number: 1<<64 - 1}, 22, nil},
		{"number overflow", "18446744073709551616\r\n", Reply{}, 0, ErrProtocol},
		{"version", "VERSION 1.6.18\r\n", Reply{Kind: ReplyVersion, Text: []byte("1.6.18")}, 16, nil},
		{"version empty", "VERSION\r\n", Reply{}, 0, ErrProtocol},
		{"error", "ERROR\r\n", Reply{Kind: ReplyError}, 7, nil},
		{"client error", "CLIENT_ERROR bad data chunk\r\n", Reply{Kind: ReplyClientError, Text: []byte("bad data chunk")}, 29, nil},
		{"server error", "SERVER_ERROR out of memory\r\n", Reply{Kind: ReplyServerError, Text: []byte("out of memory")}, 28, nil},
		{"value", "VALUE foo 5 3\r\nbar\r\nEND\r\n", Reply{Kind: ReplyValue, Key: []byte("foo"), Flags: 5, Bytes: []byte("bar")}, 20, nil},
		{"value cas", "VALUE foo 0 3 99\r\nbar\r\n", Reply{Kind: ReplyValue, Key: []byte("foo"), Bytes: []byte("bar"), CAS: 99, HasCAS: true}, 23, nil},
		{"value empty", "VALUE foo 0 0\r\n\r\n", Reply{Kind: ReplyValue, Key: []byte("foo"), Bytes: []byte{}}, 17, nil},
		{"value binary", "VALUE k 0 4\r\n\r\n\x00\n\r\n", Reply{Kind: ReplyValue, Key: []byte("k"), Bytes: []byte("\r\n\x00\n")}, 19, nil},
		{"value flags max", "VALUE k 4294967295 1\r\nx\r\n", Reply{Kind: ReplyValue, Key: []byte("k"), Flags: 1<<32 - 1, Bytes: []byte("x")}, 25, nil},
		{"value flags overflow", "VALUE k 4294967296 1\r\nx\r\n", Reply{}, 0, ErrProtocol},
		{"value cut in data", "VALUE foo 0 3\r\nba", Reply{}, 0, ErrIncomplete},
		{"value cut before crlf", "VALUE foo 0 3\r\nbar", Reply{}, 0, ErrIncomplete},
		{"value cut in crlf", "VALUE foo 0 3\r\nbar\r", Reply{}, 0, ErrIncomplete},
		{"value bad terminator", "VALUE foo 0 3\r\nbarXY", Reply{}, 0, ErrProtocol},
		{"value too large", big, Reply{}, 0, ErrReplyTooLarge},
		{"value too large, huge number", "VALUE k 0 99999999999999999999999\r\n", Reply{}, 0, ErrProtocol},
		{"value missing size", "VALUE foo 0\r\n", Reply{}, 0, ErrProtocol},
		{"value extra field", "VALUE foo 0 1 2 3\r\n", Reply{}, 0, ErrProtocol},
		{"value double space", "VALUE foo  0 1\r\n", Reply{}, 0, ErrProtocol},
		{"value negative size", "VALUE foo 0 -1\r\n", Reply{}, 0, ErrProtocol},
		{"value bad key", "VALUE f\x01o 0 1\r\nx\r\n", Reply{}, 0, ErrProtocol},
		{"value long key", "VALUE " + strings.Repeat("k", 251) + " 0 1\r\nx\r\n", Reply{}, 0, ErrProtocol},
		{"empty", "", Reply{}, 0, ErrIncomplete},
		{"partial line", "STOR", Reply{}, 0, ErrIncomplete},
		{"partial crlf", "STORED\r", Reply{}, 0, ErrIncomplete},
		{"bare lf", "STORED\n", Reply{}, 0, ErrProtocol},
		{"empty line", "\r\n", Reply{}, 0, ErrProtocol},
		{"unknown", "HELLO\r\n", Reply{}, 0, ErrProtocol},
		{"trailing text", "STORED yes\r\n", Reply{}, 0, ErrProtocol},
		{"lowercase", "stored\r\n", Reply{}, 0, ErrProtocol},
		{"line too long", strings.Repeat("x", MaxReplyLine), Reply{}, 0, ErrProtocol},
		{"line just short", strings.Repeat("x", MaxReplyLine-1), Reply{}, 0, ErrIncomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := ParseReply([]byte(tt.in), DefaultMaxItemSize)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Zero(t, n)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.n, n)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestParseReplySplitAnywhere feeds a stream of replies cut at every
// position: each prefix parses to ErrIncomplete or to the same replies.
func TestParseReplySplitAnywhere(t *testing.T) {
	stream := "VALUE a 1 3 7\r\nabc\r\nVALUE b 0 0 8\r\n\r\nEND\r\nSTORED\r\n12\r\nVERSION 1.6\r\nSERVER_ERROR x\r\n"
	whole := parseAll(t, []byte(stream))
	require.Len(t, whole, 7)
	for cut := range len(stream) {
		prefix := []byte(stream[:cut])
		var got []ReplyKind
		off := 0
		for {
			r, n, err := ParseReply(prefix[off:], 100)
			if err == ErrIncomplete {
				break
			}
			require.NoError(t, err, "cut %d", cut)
			got = append(got, r.Kind)
			off += n
		}
		for i, k := range got {
			assert.Equal(t, whole[i], k, "cut %d", cut)
		}
	}
}

func parseAll(t *testing.T, b []byte) []ReplyKind {
	var kinds []ReplyKind
	for len(b) > 0 {
		r, n, err := ParseReply(b, 100)
		require.NoError(t, err)
		kinds = append(kinds, r.Kind)
		b = b[n:]
	}
	return kinds
}

func TestParseReplyLimit(t *testing.T) {
	_, _, err := ParseReply([]byte("VALUE k 0 11\r\n"), 10)
	require.ErrorIs(t, err, ErrReplyTooLarge)
	require.ErrorIs(t, err, ErrProtocol)
	_, _, err = ParseReply([]byte("VALUE k 0 10\r\n"), 10)
	require.ErrorIs(t, err, ErrIncomplete)
}

func TestParseReplyNoAlloc(t *testing.T) {
	in := []byte("VALUE foo 5 3 9\r\nbar\r\n")
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := ParseReply(in, 100); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

func TestValidKey(t *testing.T) {
	assert.True(t, validKey("a"))
	assert.True(t, validKey(strings.Repeat("k", 250)))
	assert.True(t, validKey("ключ:☃"))
	for _, k := range []string{"", strings.Repeat("k", 251), "a b", "a\nb", "a\rb", "a\x00", "\x7f", "a\tb"} {
		assert.False(t, validKey(k), "%q", k)
	}
}

func TestEncoders(t *testing.T) {
	assert.Equal(t, "set k 1 2 3\r\nabc\r\n", string(appendStore(nil, "set", "k", 1, 2, []byte("abc"), 0, false)))
	assert.Equal(t, "set k 0 0 1 noreply\r\n1\r\n", string(appendStore(nil, "set", "k", 0, 0, []byte("1"), 0, true)))
	assert.Equal(t, "cas k 0 0 1 77\r\nx\r\n", string(appendStore(nil, "cas", "k", 0, 0, []byte("x"), 77, false)))
	assert.Equal(t, "gets a b\r\n", string(appendRetrieve(nil, "gets", []string{"a", "b"})))
	assert.Equal(t, "delete k noreply\r\n", string(appendKeyCmd(nil, "delete", "k", true)))
	assert.Equal(t, "incr k 5\r\n", string(appendKeyUint(nil, "incr", "k", 5, false)))
	assert.Equal(t, "touch k -1\r\n", string(appendTouch(nil, "k", -1, false)))
	assert.Equal(t, "flush_all\r\n", string(appendFlushAll(nil, 0, false)))
	assert.Equal(t, "flush_all 10 noreply\r\n", string(appendFlushAll(nil, 10, true)))
}

func TestRing(t *testing.T) {
	var q ring[int]
	next := 0
	for round := range 100 {
		for range round % 37 {
			q.push(next)
			next++
		}
		want := next - q.len()
		for range q.len() / 2 {
			assert.Equal(t, want, q.pop())
			want++
		}
	}
	q.truncate(1)
	assert.Equal(t, 1, q.len())
}
