package ddemu

import (
	"time"

	"github.com/google/uuid"
)

// jobKind names a queue; jobs of one kind are processed one after the other, in submission order.
type jobKind int

const (
	jobContactImport jobKind = iota
	jobInsightImport
	jobContactDelete
	jobInsightAsync
)

const queueCapacity = 4096

// Job statuses.
const (
	jobNotStarted  = "NotStarted"
	jobNotFinished = "NotFinished"
	jobFinished    = "Finished"
)

// Concurrency limits of the asynchronous APIs.
const (
	maxActiveContactImports = 25 // documented
	maxActiveInsightImports = 5  // documented
	maxActiveDeleteJobs     = 5  // UNCONFIRMED
	maxActiveAsyncJobs      = 25 // UNCONFIRMED
)

// job is a unit of asynchronous work.
type job struct {
	readyAt time.Time
	run     func(t time.Time)
}

// runQueue processes one queue until the emulator closes.
func (e *Emulator) runQueue(q chan *job) {
	defer e.wg.Done()
	for {
		select {
		case <-e.done:
			return
		case j := <-q:
			if d := time.Until(j.readyAt); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-e.done:
					t.Stop()
					return
				case <-t.C:
				}
			}
			j.run(now())
		}
	}
}

// enqueue schedules work on a queue; rows sets the per-record processing time.
// It reports false when the queue is full.
func (e *Emulator) enqueue(k jobKind, rows int, run func(t time.Time)) bool {
	delay := time.Duration(e.importDelay.Load()) + time.Duration(rows)*time.Duration(e.perRecordDelay.Load())
	select {
	case e.queues[k] <- &job{readyAt: time.Now().Add(delay), run: run}:
		return true
	default:
		return false
	}
}

func newJobID() string { return uuid.NewString() }

// validJobID reports whether s looks like a job id (a GUID).
func validJobID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}
