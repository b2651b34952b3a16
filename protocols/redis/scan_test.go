package redis

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScanner: for every table case the Scanner finds the same end as
// Parse, whether the bytes come at once or one at a time.
func TestScanner(t *testing.T) {
	for _, tc := range parseCases {
		var s Scanner
		n, err := s.Scan([]byte(tc.in+"+next\r\n"), DefaultLimits)
		require.NoError(t, err, tc.name)
		assert.Equal(t, len(tc.in), n, tc.name)

		s.Reset()
		for i := 1; i <= len(tc.in); i++ {
			n, err := s.Scan([]byte(tc.in[:i]), DefaultLimits)
			if i < len(tc.in) {
				require.ErrorIs(t, err, ErrIncomplete, "%s: %d bytes", tc.name, i)
				continue
			}
			require.NoError(t, err, tc.name)
			assert.Equal(t, len(tc.in), n, tc.name)
		}
	}
	var s Scanner
	_, err := s.Scan([]byte("$536870912\r\n"), DefaultLimits)
	assert.ErrorIs(t, err, ErrTooLarge)
	_, err = s.Scan([]byte("?x\r\n"), DefaultLimits)
	assert.ErrorIs(t, err, ErrProtocol)
}

// TestLargeReplies: replies far larger than one read (a 4 MiB value, a
// 100,000-element list) come back whole through the Scanner path.
func TestLargeReplies(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	c := dial(t, r, s.Addr)
	big := strings.Repeat("0123456789abcdef", 256<<10)
	_, err := do(t, r, c, "SET", "big", big)
	require.NoError(t, err)
	v, err := do(t, r, c, "GET", "big")
	require.NoError(t, err)
	assert.True(t, v.Str == big, "4 MiB value differs")

	const n = 100_000
	args := []any{"RPUSH", "list"}
	for i := range n {
		args = append(args, strconv.Itoa(i))
	}
	_, err = do(t, r, c, args...)
	require.NoError(t, err)
	v, err = do(t, r, c, "LRANGE", "list", 0, -1)
	require.NoError(t, err)
	l, err := v.AsStrings()
	require.NoError(t, err)
	require.Len(t, l, n)
	for i, s := range l {
		require.Equal(t, strconv.Itoa(i), s)
	}
}
