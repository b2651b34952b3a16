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
		err = decodeStamp(raw, &j.CreatedAt)
	case "enqueued_at":
		err = decodeStamp(raw, &j.EnqueuedAt)
	case "failed_at":
		err = decodeStamp(raw, &j.FailedAt)
	case "retried_at":
		err = decodeStamp(raw, &j.RetriedAt)
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

// decodeStamp decodes a timestamp into epoch seconds. Sidekiq 6 and 7
// write float seconds (1700000000.123); Sidekiq 8 writes integer
// milliseconds (1700000000123) and tells the two apart by JSON type, as
// Ruby parses them: a number with a fraction or an exponent is a Float
// (seconds), any other is an Integer (milliseconds). Seconds are what Job
// holds and what it writes back, always with a fraction, which Sidekiq 8
// reads as seconds too.
func decodeStamp(raw []byte, f *float64) error {
	if err := decodeFloat(raw, f); err != nil {
		return err
	}
	if !bytes.ContainsAny(raw, ".eE") && !isNull(raw) {
		*f /= 1000
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
