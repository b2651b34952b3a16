package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
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

// UnmarshalJSON decodes a job. It needs a JSON object with a string
// class and an array args; every field it does not know goes to Extra,
// byte for byte. A repeated key keeps its last value.
func (j *Job) UnmarshalJSON(data []byte) error {
	*j = Job{}
	if !json.Valid(data) {
		return errors.New("jobs: job is not valid JSON")
	}
	// data is valid JSON from here on: the walk only finds the extents.
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errors.New("jobs: job is not a JSON object")
	}
	i = skipSpace(data, i+1)
	hasClass := false
	for i < len(data) && data[i] != '}' {
		end := valueEnd(data, i)
		var key string
		if err := decodeString(data[i:end], &key); err != nil {
			return fmt.Errorf("jobs: bad job JSON: %w", err)
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // the colon
		end = valueEnd(data, i)
		if key == "class" {
			hasClass = true
		}
		if err := j.field(key, json.RawMessage(data[i:end:end])); err != nil {
			return err
		}
		i = skipSpace(data, end)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	if !hasClass || j.Class == "" {
		return errNoClass
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns where the JSON value starting at b[i] ends. b must be
// valid JSON.
func valueEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// field decodes one field of a job.
func (j *Job) field(key string, raw json.RawMessage) error {
	var err error
	switch key {
	case "class":
		err = decodeString(raw, &j.Class)
	case "args":
		if !isArray(raw) {
			return errors.New("jobs: args is not a JSON array")
		}
		j.Args = raw
	case "jid":
		err = decodeString(raw, &j.JID)
	case "queue":
		err = decodeString(raw, &j.Queue)
	case "retry":
		j.Retry, err = decodeRetry(raw)
	case "created_at":
		err = decodeFloat(raw, &j.CreatedAt)
	case "enqueued_at":
		err = decodeFloat(raw, &j.EnqueuedAt)
	case "failed_at":
		err = decodeFloat(raw, &j.FailedAt)
	case "retried_at":
		err = decodeFloat(raw, &j.RetriedAt)
	case "error_class":
		err = decodeString(raw, &j.ErrorClass)
	case "error_message":
		err = decodeString(raw, &j.ErrorMessage)
	case "retry_count":
		var n int
		if err = decodeInt(raw, &n); err == nil {
			j.RetryCount = &n
		}
	default:
		j.setRaw(key, raw)
	}
	if err != nil {
		return fmt.Errorf("jobs: field %q: %w", key, err)
	}
	return nil
}

func isNull(raw []byte) bool { return string(raw) == "null" }

func decodeString(raw []byte, s *string) error {
	if isNull(raw) {
		*s = ""
		return nil
	}
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		inner := raw[1 : len(raw)-1]
		if utf8.Valid(inner) && !hasControl(inner) {
			*s = string(inner) // the common case: nothing to unescape
			return nil
		}
	}
	return json.Unmarshal(raw, s)
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

func decodeFloat(raw []byte, f *float64) error {
	if isNull(raw) {
		*f = 0
		return nil
	}
	if len(raw) == 0 || raw[0] == '"' || raw[0] == '{' || raw[0] == '[' || raw[0] == 't' || raw[0] == 'f' {
		return fmt.Errorf("%.20s is not a number", raw)
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return err
	}
	*f = v
	if math.IsInf(*f, 0) || math.IsNaN(*f) {
		return errors.New("not a finite number")
	}
	return nil
}

func decodeInt(raw []byte, n *int) error {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return fmt.Errorf("%s is not an integer", raw)
	}
	*n = int(f)
	return nil
}

func decodeRetry(raw []byte) (any, error) {
	switch string(raw) {
	case "true", "null":
		return true, nil
	case "false":
		return false, nil
	}
	var n int
	if err := decodeInt(raw, &n); err != nil {
		return nil, errors.New("want true, false or a count")
	}
	return n, nil
}
