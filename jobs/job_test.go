package jobs

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormatFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{1700000000, "1700000000.0"},
		{1700000000.5, "1700000000.5"},
		{1700000000.123456, "1700000000.123456"},
		{1e21, "1000000000000000000000.0"},
		{0, "0.0"},
		{-3, "-3.0"},
		{0.000001, "0.000001"},
		{math.NaN(), "0.0"},
		{math.Inf(1), "0.0"},
	} {
		assert.Equal(t, tc.want, FormatFloat(tc.in), "%v", tc.in)
	}
}

func TestJobRoundTripKeepsExtraFields(t *testing.T) {
	in := `{"retry":3,"queue":"low","backtrace":true,"class":"HardWorker","args":[1,"two",{"a":[1.50,null]}],` +
		`"jid":"0123456789abcdef01234567","created_at":1700000000.25,"enqueued_at":1700000001.0,` +
		`"tags":["x","y"],  "custom":{"nested": 1e3, "s":"\u00e9"},"bid":null}`
	j := new(Job)
	require.NoError(t, json.Unmarshal([]byte(in), j))
	assert.Equal(t, "HardWorker", j.Class)
	assert.Equal(t, 3, j.Retry)
	assert.Equal(t, "low", j.Queue)
	assert.Equal(t, 1700000000.25, j.CreatedAt)
	out, err := j.MarshalJSON() // json.Marshal would compact the output
	require.NoError(t, err)
	s := string(out)
	// Extras byte for byte, in their order.
	assert.Contains(t, s, `"backtrace":true,"tags":["x","y"],"custom":{"nested": 1e3, "s":"\u00e9"},"bid":null}`)
	assert.Contains(t, s, `"args":[1,"two",{"a":[1.50,null]}]`)
	assert.Contains(t, s, `"created_at":1700000000.25,"enqueued_at":1700000001.0`)
	assert.Contains(t, s, `"retry":3`)
	j2 := new(Job)
	require.NoError(t, json.Unmarshal(out, j2))
	out2, err := j2.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, s, string(out2))
}

func TestJobDecodeErrors(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `null`, `{"args":[]}`, `{"class":"A","args":{}}`, `{"class":1,"args":[]}`,
		`{"class":"A","args":[],"retry":"x"}`, `{"class":"A","args":[],"created_at":"x"}`,
		`{"class":"A","args":[]}x`, `{"class":"A","args":[]`, `{"class":"A","args":[],"retry_count":1.5}`,
	} {
		assert.Error(t, new(Job).UnmarshalJSON([]byte(in)), "%q", in)
	}
	j := new(Job)
	require.NoError(t, j.UnmarshalJSON([]byte(`{"class":"A","args":[],"retry":false,"retry_count":2}`)))
	assert.Equal(t, false, j.Retry)
	assert.Equal(t, 2, *j.RetryCount)
	assert.Equal(t, 0, j.MaxRetries(25))
}

// Timestamps: Sidekiq 6 and 7's float seconds and Sidekiq 8's integer
// milliseconds both decode to seconds, told apart by JSON type as Ruby
// does; they are written back as seconds with a fraction, which every
// version reads as seconds.
func TestJobTimestampsSecondsAndMilliseconds(t *testing.T) {
	tests := []struct {
		raw  string
		want float64
	}{
		{"1700000000.25", 1700000000.25}, // Sidekiq 6, 7: Time.now.to_f
		{"1700000000.0", 1700000000},     // a float with no fraction left
		{"1.7e9", 1700000000},            // an exponent is a Float in Ruby too
		{"1700000000250", 1700000000.25}, // Sidekiq 8: epoch milliseconds
		{"1700000000000", 1700000000},    // an Integer is milliseconds, whatever its size
		{"null", 0},
	}
	for _, tt := range tests {
		for _, field := range []string{"created_at", "enqueued_at", "failed_at", "retried_at"} {
			j := new(Job)
			require.NoError(t, j.UnmarshalJSON([]byte(`{"class":"A","args":[],"`+field+`":`+tt.raw+`}`)), "%s %s", field, tt.raw)
			got := map[string]float64{"created_at": j.CreatedAt, "enqueued_at": j.EnqueuedAt, "failed_at": j.FailedAt, "retried_at": j.RetriedAt}[field]
			assert.InDelta(t, tt.want, got, 1e-6, "%s %s", field, tt.raw)
		}
	}
	j := new(Job)
	require.NoError(t, j.UnmarshalJSON([]byte(`{"class":"A","args":[],"created_at":1700000000250,"enqueued_at":1700000001000}`)))
	out, err := j.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(out), `"created_at":1700000000.25,"enqueued_at":1700000001.0`)
}

func TestBind(t *testing.T) {
	j, err := NewJob("A", 1, "two", map[string]int{"x": 3})
	require.NoError(t, err)
	var a int
	var b string
	var c map[string]int
	require.NoError(t, j.Bind(&a, &b, &c))
	assert.Equal(t, 1, a)
	assert.Equal(t, "two", b)
	assert.Equal(t, map[string]int{"x": 3}, c)
	var d int
	assert.Error(t, j.Bind(&a, &b, &c, &d))
	assert.Error(t, j.Bind(&b))
}

func TestRetryDelay(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for count := range 26 {
		base := count*count*count*count + 15
		seen := map[int]bool{}
		for range 2000 {
			d := int(RetryDelay(count, rnd).Seconds())
			jitter := d - base
			require.GreaterOrEqual(t, jitter, 0)
			require.Equal(t, 0, jitter%(count+1), "count %d: delay %d", count, d)
			require.Less(t, jitter/(count+1), 10)
			seen[jitter/(count+1)] = true
		}
		assert.Len(t, seen, 10, "count %d: every rand(10) value", count)
	}
}

func TestRecordFailure(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	j, _ := NewJob("A")
	j.Retry = 2
	require.NoError(t, j.Set("retry_queue", "slow"))
	what, _ := recordFailure(j, "default", assert.AnError, epochTime(100), 25, rnd, nil)
	assert.Equal(t, failRetry, what)
	assert.Equal(t, 0, *j.RetryCount)
	assert.Equal(t, 100.0, j.FailedAt)
	assert.Equal(t, "slow", j.Queue)
	what, _ = recordFailure(j, "slow", assert.AnError, epochTime(200), 25, rnd, nil)
	assert.Equal(t, failRetry, what)
	assert.Equal(t, 1, *j.RetryCount)
	assert.Equal(t, 200.0, j.RetriedAt)
	what, _ = recordFailure(j, "slow", assert.AnError, epochTime(300), 25, rnd, nil)
	assert.Equal(t, failDead, what)
	j.RetryCount = nil
	in := func(j *Job, count int, err error) time.Duration { return time.Duration(count+1) * time.Second }
	what, at := recordFailure(j, "slow", assert.AnError, epochTime(300), 25, rnd, in)
	assert.Equal(t, failRetry, what)
	assert.Equal(t, epochTime(301), at)
	*j.RetryCount = 5
	require.NoError(t, j.Set("dead", false))
	what, _ = recordFailure(j, "slow", assert.AnError, epochTime(300), 25, rnd, nil)
	assert.Equal(t, failDiscard, what)
}

func TestWeightedQueueOrder(t *testing.T) {
	o := newQueueOrder([]string{"a", "b", "c"}, map[string]int{"a": 6, "b": 3, "c": 1})
	rnd := rand.New(rand.NewPCG(3, 4))
	first := map[string]int{}
	const n = 20000
	for range n {
		keys := o.next(rnd)
		require.Len(t, keys, 3)
		require.ElementsMatch(t, []string{"queue:a", "queue:b", "queue:c"}, keys)
		first[keys[0]]++
	}
	// A queue is first with probability weight/total.
	assert.InDelta(t, 0.6, float64(first["queue:a"])/n, 0.02)
	assert.InDelta(t, 0.3, float64(first["queue:b"])/n, 0.02)
	assert.InDelta(t, 0.1, float64(first["queue:c"])/n, 0.02)

	strict := newQueueOrder([]string{"critical", "default", "critical"}, nil)
	assert.Equal(t, []string{"queue:critical", "queue:default"}, strict.next(rnd))
}

func FuzzJobJSON(f *testing.F) {
	f.Add([]byte(`{"class":"A","args":[1,"two"],"jid":"0123456789abcdef01234567","retry":true,"created_at":1.5,"x":{"y":[]}}`))
	f.Add([]byte(`{"class":"A","args":[],"retry":3,"retry_count":0,"error_message":"m","failed_at":1700000000}`))
	f.Add([]byte(`{"class":"A","args":[],"class":"B"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j := new(Job)
		if j.UnmarshalJSON(data) != nil {
			return
		}
		// What was accepted agrees with encoding/json.
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(data, &m))
		var class string
		require.NoError(t, json.Unmarshal(m["class"], &class))
		require.Equal(t, class, j.Class)
		for k, v := range j.Extra {
			require.Equal(t, string(m[k]), string(v), "extra %q", k)
		}
		out, err := j.MarshalJSON()
		require.NoError(t, err)
		require.True(t, json.Valid(out), "%s", out)
		j2 := new(Job)
		require.NoError(t, j2.UnmarshalJSON(out), "%s", out)
		out2, err := j2.MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, string(out), string(out2))
	})
}

func epochTime(sec int64) time.Time { return time.Unix(sec, 0) }
