package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// MarshalJSON writes the job as Sidekiq 6.4 does: timestamps as floats
// with a fractional part, retry as true, false or a count, and the extra
// fields byte for byte after the known ones, in the order they came.
// Zero-valued known fields other than class, args and retry are left out.
func (j *Job) MarshalJSON() ([]byte, error) {
	return j.appendJSON(make([]byte, 0, 256))
}

func (j *Job) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"class":`...)
	b = appendString(b, j.Class)
	b = append(b, `,"args":`...)
	args := j.argsOrEmpty()
	if !isArray(args) {
		return nil, fmt.Errorf("jobs: args of %s are not a JSON array", j.Class)
	}
	b = appendCompact(b, args)
	b = append(b, `,"retry":`...)
	switch r := j.Retry.(type) {
	case nil:
		b = append(b, "true"...)
	case bool:
		b = strconv.AppendBool(b, r)
	case int:
		b = strconv.AppendInt(b, int64(r), 10)
	case int64:
		b = strconv.AppendInt(b, r, 10)
	case int32:
		b = strconv.AppendInt(b, int64(r), 10)
	case float64:
		b = strconv.AppendInt(b, int64(r), 10)
	default:
		return nil, fmt.Errorf("jobs: retry of %s is a %T (want bool or int)", j.Class, j.Retry)
	}
	b = appendStringField(b, "queue", j.Queue)
	b = appendStringField(b, "jid", j.JID)
	b = appendFloatField(b, "created_at", j.CreatedAt)
	b = appendFloatField(b, "enqueued_at", j.EnqueuedAt)
	if j.RetryCount != nil {
		b = append(b, `,"retry_count":`...)
		b = strconv.AppendInt(b, int64(*j.RetryCount), 10)
	}
	b = appendStringField(b, "error_message", j.ErrorMessage)
	b = appendStringField(b, "error_class", j.ErrorClass)
	b = appendFloatField(b, "failed_at", j.FailedAt)
	b = appendFloatField(b, "retried_at", j.RetriedAt)
	for _, k := range j.extraKeys() {
		v := j.Extra[k]
		if len(v) == 0 {
			continue
		}
		b = append(b, ',')
		b = appendString(b, k)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// extraKeys returns Extra's keys: those decoded, in order, then those a
// caller added to the map directly.
func (j *Job) extraKeys() []string {
	if len(j.order) == len(j.Extra) {
		return j.order
	}
	keys := make([]string, 0, len(j.Extra))
	seen := make(map[string]bool, len(j.Extra))
	for _, k := range j.order {
		if _, ok := j.Extra[k]; ok && !seen[k] {
			keys, seen[k] = append(keys, k), true
		}
	}
	var rest []string
	for k := range j.Extra {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sortStrings(rest)
	return append(keys, rest...)
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

func appendStringField(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, s)
}

func appendFloatField(b []byte, name string, f float64) []byte {
	if f == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return AppendFloat(b, f)
}

// appendCompact appends raw JSON without insignificant space, so a job
// written by this package is one line.
func appendCompact(b []byte, raw []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return append(b, raw...)
	}
	return append(b, buf.Bytes()...)
}

func isArray(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '['
}
