package jobs

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ActiveJobWrapper is the Sidekiq class of the jobs Rails' ActiveJob
// enqueues through its Sidekiq adapter: the job's own class is in the
// field "wrapped" and its serialized form is the one argument. A Server
// runs such a job with the handler of the wrapped class, so a Go handler
// can take over an ActiveJob class of a Rails app as it takes over a
// Sidekiq worker class.
const ActiveJobWrapper = "ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper"

// ActiveJob is ActiveJob's serialized job (ActiveJob::Core#serialize,
// Rails 6.1), the one argument of an ActiveJobWrapper job. Arguments
// keeps ActiveJob's own encoding: plain JSON values as they are, and the
// hashes it marks (_aj_symbol_keys, _aj_globalid, _aj_serialized) as
// objects with those keys.
type ActiveJob struct {
	JobClass            string          `json:"job_class"`
	JobID               string          `json:"job_id"`
	ProviderJobID       *string         `json:"provider_job_id"`
	QueueName           string          `json:"queue_name"`
	Priority            *int            `json:"priority"`
	Arguments           json.RawMessage `json:"arguments"`
	Executions          int             `json:"executions"`
	ExceptionExecutions map[string]int  `json:"exception_executions"`
	Locale              string          `json:"locale"`
	Timezone            *string         `json:"timezone"`
	EnqueuedAt          string          `json:"enqueued_at"`
}

// Wrapped returns the ActiveJob class of an ActiveJobWrapper job, or "".
func (j *Job) Wrapped() string {
	if j.Class != ActiveJobWrapper {
		return ""
	}
	var w string
	_, _ = j.Get("wrapped", &w)
	return w
}

// ActiveJob decodes the serialized ActiveJob of an ActiveJobWrapper job.
func (j *Job) ActiveJob() (*ActiveJob, error) {
	if j.Class != ActiveJobWrapper {
		return nil, fmt.Errorf("jobs: %s is not an ActiveJob", j.Class)
	}
	var args []ActiveJob
	if err := json.Unmarshal(j.argsOrEmpty(), &args); err != nil || len(args) != 1 {
		return nil, errors.New("jobs: an ActiveJob job's args must be one serialized job")
	}
	if len(args[0].Arguments) == 0 {
		args[0].Arguments = json.RawMessage("[]")
	}
	return &args[0], nil
}

// NewActiveJob makes a job that Rails runs as ActiveJob class with args
// (ActiveJob's Sidekiq adapter's format), on the queue "default" unless
// the caller sets Queue (which also becomes queue_name at Enqueue).
// Arguments must be what ActiveJob serializes as themselves: nil, bools,
// numbers, strings, arrays, and maps with string keys.
func NewActiveJob(class string, args ...any) (*Job, error) {
	if args == nil {
		args = []any{}
	}
	argv, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("jobs: args of %s: %w", class, err)
	}
	aj := ActiveJob{
		JobClass: class, JobID: uuid4(), QueueName: "default", Arguments: argv,
		ExceptionExecutions: map[string]int{}, Locale: "en",
		EnqueuedAt: time.Now().UTC().Format(time.RFC3339),
	}
	payload, err := json.Marshal([]ActiveJob{aj})
	if err != nil {
		return nil, err
	}
	j := &Job{Class: ActiveJobWrapper, Args: payload}
	if err := j.Set("wrapped", class); err != nil {
		return nil, err
	}
	return j, nil
}

// syncActiveJobQueue keeps queue_name equal to the Sidekiq queue of an
// ActiveJob made by NewActiveJob.
func syncActiveJobQueue(j *Job) {
	if j.Class != ActiveJobWrapper {
		return
	}
	aj, err := j.ActiveJob()
	if err != nil || aj.QueueName == j.Queue {
		return
	}
	aj.QueueName = j.Queue
	if b, err := json.Marshal([]*ActiveJob{aj}); err == nil {
		j.Args = b
	}
}

// uuid4 returns a random UUID, as ActiveJob's job_id.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
