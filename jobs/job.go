package jobs

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Job is one job in Sidekiq 6.4's JSON format. Fields the package knows
// are decoded into the struct; every other field is kept in Extra, byte
// for byte, and written back in the order it came.
type Job struct {
	Class      string
	Args       json.RawMessage // a JSON array; "[]" when empty
	JID        string          // 24 hex chars; set by Enqueue if empty
	Queue      string          // "default" if empty
	Retry      any             // true (the default, for nil), false, or a count (int; decoded as int)
	CreatedAt  float64         // epoch seconds; set by Enqueue if zero
	EnqueuedAt float64         // epoch seconds; set when pushed onto a queue

	// Retry bookkeeping, written by a failure (zero when absent).
	RetryCount   *int
	ErrorClass   string
	ErrorMessage string
	FailedAt     float64
	RetriedAt    float64

	// Extra holds every other field (retry_queue, backtrace, dead, tags,
	// error_backtrace, a caller's own fields, ...) as raw JSON.
	Extra map[string]json.RawMessage

	order []string // Extra's keys in the order they were decoded
}

// NewJob makes a job of class with args marshaled as a JSON array.
func NewJob(class string, args ...any) (*Job, error) {
	if args == nil {
		args = []any{}
	}
	b, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("jobs: args of %s: %w", class, err)
	}
	return &Job{Class: class, Args: b}, nil
}

// Bind unmarshals the job's arguments into ptrs, one pointer per
// argument in order (as json.Unmarshal). Fewer pointers than arguments is
// fine; more is an error.
//
// For an ActiveJob (class ActiveJobWrapper), Bind unmarshals the
// ActiveJob's arguments instead of Sidekiq's one wrapper argument.
func (j *Job) Bind(ptrs ...any) error {
	args := j.argsOrEmpty()
	if j.Class == ActiveJobWrapper {
		aj, err := j.ActiveJob()
		if err != nil {
			return err
		}
		args = aj.Arguments
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(args, &raw); err != nil {
		return fmt.Errorf("jobs: args of %s are not a JSON array: %w", j.Class, err)
	}
	if len(ptrs) > len(raw) {
		return fmt.Errorf("jobs: %s has %d args, want %d", j.Class, len(raw), len(ptrs))
	}
	for i, p := range ptrs {
		if p == nil {
			continue
		}
		if err := json.Unmarshal(raw[i], p); err != nil {
			return fmt.Errorf("jobs: %s arg %d: %w", j.Class, i, err)
		}
	}
	return nil
}

func (j *Job) argsOrEmpty() json.RawMessage {
	if len(j.Args) == 0 {
		return json.RawMessage("[]")
	}
	return j.Args
}

// Set sets an extra field to v marshaled as JSON (nil v removes it).
func (j *Job) Set(key string, v any) error {
	if v == nil {
		delete(j.Extra, key)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	j.setRaw(key, b)
	return nil
}

func (j *Job) setRaw(key string, b json.RawMessage) {
	if j.Extra == nil {
		j.Extra = map[string]json.RawMessage{}
	}
	if _, ok := j.Extra[key]; !ok {
		j.order = append(j.order, key)
	}
	j.Extra[key] = b
}

// Get unmarshals the extra field key into p; it reports whether the
// field is present.
func (j *Job) Get(key string, p any) (bool, error) {
	b, ok := j.Extra[key]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(b, p)
}

// MaxRetries returns how many retries the job allows: def for Retry true
// or nil, 0 for false, the count for an int.
func (j *Job) MaxRetries(def int) int {
	switch r := j.Retry.(type) {
	case nil:
		return def
	case bool:
		if r {
			return def
		}
		return 0
	case int:
		return max(r, 0)
	case int64:
		return int(max(r, 0))
	case int32:
		return int(max(r, 0))
	case float64:
		return max(int(r), 0)
	}
	return def
}

// newJID returns 24 random hex characters, as Sidekiq's
// SecureRandom.hex(12).
func newJID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// epoch returns t as float epoch seconds, as Ruby's Time#to_f.
func epoch(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// AppendFloat appends f as Sidekiq 6 writes a timestamp: decimal, never
// an exponent, always with a fractional part (1700000000.0), so that Ruby
// parses it as a Float. Non-finite values are written as 0.0.
func AppendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	if bytes.IndexByte(dst[start:], '.') < 0 {
		dst = append(dst, ".0"...)
	}
	return dst
}

// FormatFloat is AppendFloat to a string.
func FormatFloat(f float64) string { return string(AppendFloat(nil, f)) }

func sortStrings(s []string) { slices.Sort(s) }
