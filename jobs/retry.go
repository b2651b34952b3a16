package jobs

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"
)

// RetryDelay is Sidekiq 6.4's delay before retry number count+1 (count
// is the job's retry_count, 0 after the first failure):
// count^4 + 15 + rand(10)*(count+1) seconds.
func RetryDelay(count int, rnd *rand.Rand) time.Duration {
	c := int64(count)
	secs := c*c*c*c + 15 + int64(rnd.IntN(10))*(c+1)
	return time.Duration(secs) * time.Second
}

// RetryInFunc chooses the delay before a failed job's next try, as
// Sidekiq's sidekiq_retry_in block: count is the job's retry_count (0
// after the first failure). A result of zero or less keeps Sidekiq's
// delay (RetryDelay). Unlike Sidekiq 6.4, no random jitter is added to
// the result. It runs on the loop: it must not block.
type RetryInFunc func(j *Job, count int, err error) time.Duration

// maxErrorMessage is where Sidekiq truncates error_message.
const maxErrorMessage = 10000

// errorClass names err for error_class.
func errorClass(err error) string {
	var ec ErrorClasser
	if errors.As(err, &ec) {
		return ec.ErrorClass()
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", err), "*")
}

// failure is what becomes of a failed job.
type failure int

const (
	failRetry   failure = iota // ZADD retry <at>
	failDead                   // the dead set
	failDiscard                // retry false, or dead false once exhausted
)

// recordFailure updates j as Sidekiq's JobRetry#attempt_retry does and
// says where it goes; at is the retry time for failRetry. retry false
// discards the job (Sidekiq 6.4 only calls the death handlers).
func recordFailure(j *Job, queue string, err error, now time.Time, maxRetries int, rnd *rand.Rand, retryIn RetryInFunc) (failure, time.Time) {
	if r, ok := j.Retry.(bool); ok && !r {
		return failDiscard, time.Time{}
	}
	var rq string
	if ok, _ := j.Get("retry_queue", &rq); ok && rq != "" {
		j.Queue = rq
	} else if queue != "" {
		j.Queue = queue
	}
	msg := strings.ToValidUTF8(err.Error(), "\uFFFD")
	if len(msg) > maxErrorMessage {
		msg = msg[:maxErrorMessage]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	j.ErrorMessage, j.ErrorClass = msg, errorClass(err)
	var count int
	if j.RetryCount != nil {
		count = *j.RetryCount + 1
		j.RetriedAt = epoch(now)
	} else {
		j.FailedAt = epoch(now)
	}
	j.RetryCount = &count
	if lines, ok := backtraceLines(j, err); ok {
		if enc, e := compressBacktrace(lines); e == nil {
			_ = j.Set("error_backtrace", enc)
		}
	}
	if count < j.MaxRetries(maxRetries) {
		if retryIn != nil {
			if d := retryIn(j, count, err); d > 0 {
				return failRetry, now.Add(d)
			}
		}
		return failRetry, now.Add(RetryDelay(count, rnd))
	}
	var dead bool
	if ok, _ := j.Get("dead", &dead); ok && !dead {
		return failDiscard, time.Time{}
	}
	return failDead, time.Time{}
}

// backtraceLines returns the lines for error_backtrace when the job's
// backtrace option asks for them (true, or a line count): a panic's
// stack, or the error's message for an error that has no stack.
func backtraceLines(j *Job, err error) ([]string, bool) {
	raw, ok := j.Extra["backtrace"]
	if !ok {
		return nil, false
	}
	limit := -1
	switch s := string(raw); s {
	case "true":
	case "false", "null":
		return nil, false
	default:
		if json.Unmarshal(raw, &limit) != nil || limit <= 0 {
			return nil, false
		}
	}
	var lines []string
	var pe *PanicError
	if errors.As(err, &pe) {
		lines = strings.Split(strings.TrimSpace(string(pe.Stack)), "\n")
	} else {
		lines = []string{err.Error()}
	}
	if limit >= 0 && len(lines) > limit {
		lines = lines[:limit]
	}
	return lines, true
}

// compressBacktrace encodes lines as Sidekiq 6.4 stores error_backtrace:
// Base64 of the zlib-deflated JSON array.
func compressBacktrace(lines []string) (string, error) {
	js, err := json.Marshal(lines)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(js); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
