// Package workflows holds the Temporal workflows of the sync: one entity
// workflow per customer, the Dotdigital lane shards that batch and
// prioritise writes, the Odoo change poller, and the ops workflows
// (bootstrap, backfill, lag monitor, reconciliation).
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// Settings reach every workflow through its input, because workflow code
// cannot read configuration itself. They are fixed for the life of a run.
type Settings struct {
	WorkflowQueue   string        `json:"workflowQueue"`
	DotdigitalQueue string        `json:"dotdigitalQueue"`
	OdooQueue       string        `json:"odooQueue"`
	PollInterval    time.Duration `json:"pollInterval"`
	Debounce        time.Duration `json:"debounce"`
	IdleTimeout     time.Duration `json:"idleTimeout"`
	LaneShards      int           `json:"laneShards"`
	// LaneBulkThreshold: with more requests than this waiting in a shard,
	// the shard stops sending single writes and gathers bulk imports.
	LaneBulkThreshold int `json:"laneBulkThreshold"`
	// LaneMaxSingles caps single writes in flight per shard.
	LaneMaxSingles int `json:"laneMaxSingles"`
	// LaneMaxBulk caps bulk imports in flight per shard; the account allows
	// 5 concurrent Insight imports, so shards x LaneMaxBulk must stay <= 5.
	LaneMaxBulk  int `json:"laneMaxBulk"`
	ContactBatch int `json:"contactBatch"`
	// ResultTimeout: a customer resubmits when its lane result is this late.
	ResultTimeout time.Duration `json:"resultTimeout"`
	// HandoverWait: how long a customer that received a moved partner waits
	// for the old customer to hand its contact over.
	HandoverWait time.Duration `json:"handoverWait"`
	// HistoryLimit forces continue-as-new of long-lived workflows.
	HistoryLimit int `json:"historyLimit"`
	// InitialLoad is "backfill" or "poll" (see config SYNC_INITIAL_LOAD).
	InitialLoad string `json:"initialLoad,omitempty"`
	// IndexShards is the number of partner index shards (the same on every
	// worker for the life of a deployment).
	IndexShards int `json:"indexShards,omitempty"`
	// IndexSweep: how often each index shard looks for partners deleted in Odoo.
	IndexSweep time.Duration `json:"indexSweep,omitempty"`
}

// WithDefaults fills zero values.
func (s Settings) WithDefaults() Settings {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	if s.WorkflowQueue == "" {
		s.WorkflowQueue = string(names.QueueWorkflows)
	}
	if s.DotdigitalQueue == "" {
		s.DotdigitalQueue = string(names.QueueDotdigital)
	}
	if s.OdooQueue == "" {
		s.OdooQueue = string(names.QueueOdoo)
	}
	def(&s.PollInterval, 5*time.Second)
	def(&s.Debounce, 2*time.Second)
	def(&s.IdleTimeout, 10*time.Minute)
	def(&s.ResultTimeout, 30*time.Minute)
	def(&s.HandoverWait, 5*time.Minute)
	defInt(&s.LaneShards, 4)
	defInt(&s.LaneBulkThreshold, 16)
	defInt(&s.LaneMaxSingles, 8)
	defInt(&s.LaneMaxBulk, 1)
	defInt(&s.ContactBatch, 2000)
	defInt(&s.HistoryLimit, 2000)
	defInt(&s.IndexShards, 64)
	def(&s.IndexSweep, 15*time.Minute)
	return s
}

// Priority keys of the Dotdigital queue (1 is served first; 5 is the lowest
// the server knows by default).
const (
	PriorityOrder   = 1
	PriorityStatus  = 2
	PriorityProfile = 3
	PriorityBulk    = 5
)

func odooActivityOptions(s Settings, timeout time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           s.OdooQueue,
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: names.NonRetryableErrors(),
		},
	}
}

func dotdigitalActivityOptions(s Settings, timeout time.Duration, priority int) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           s.DotdigitalQueue,
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    time.Minute,
		// Retries stop after an hour so that one poisoned request cannot hold
		// a lane slot for ever; the customer is told and retries later.
		ScheduleToCloseTimeout: time.Hour,
		Priority:               temporal.Priority{PriorityKey: priority},
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 2 * time.Minute,
			NonRetryableErrorTypes: names.NonRetryableErrors(),
		},
	}
}
