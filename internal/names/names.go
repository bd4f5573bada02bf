// Package names holds every name that crosses a process boundary through
// Temporal: task queues, workflow types, signals, queries, updates, search
// attributes, schedule IDs. Workers, the starter, tests and docs use these
// constants, never string literals.
package names

import (
	"strconv"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// TaskQueue names a Temporal task queue.
type TaskQueue string

// Task queues. Workflows run on Workflows; every Dotdigital call runs on
// Dotdigital (rate-limited for the whole fleet); every Odoo call on Odoo
// (concurrency-capped to protect Odoo).
const (
	QueueWorkflows  TaskQueue = "sync-workflows"
	QueueDotdigital TaskQueue = "dotdigital-api"
	QueueOdoo       TaskQueue = "odoo-api"
)

// Signal names a workflow signal.
type Signal string

// Signals.
const (
	// SignalChange carries a change hint for a customer (from the poller or a webhook).
	SignalChange Signal = "change"
	// SignalResync forces a full reload and rewrite of one customer.
	SignalResync Signal = "resync"
	// SignalLaneResult carries the outcome of a write the lane made for a customer.
	SignalLaneResult Signal = "lane-result"
	// SignalLaneSubmit hands a customer's pending write to a lane shard.
	SignalLaneSubmit Signal = "lane-submit"
	// SignalPartnerMoved tells a customer that one of its partners now belongs to another key.
	SignalPartnerMoved Signal = "partner-moved"
	// SignalHandover answers SignalPartnerMoved.
	SignalHandover Signal = "handover"
	// SignalPoke asks the poller to poll now (webhook hint).
	SignalPoke Signal = "poke"
	// SignalSkipped reports partners that cannot sync (no or invalid email) to the exceptions registry.
	SignalSkipped Signal = "skipped"
	// SignalMeasurement delivers a lag measurement to the alerts workflow.
	SignalMeasurement Signal = "measurement"
)

// Update names a workflow update.
type Update string

// Updates.
const (
	// UpdateBind binds Odoo partners to the customer whose contact carries
	// them, in a partner index shard, and answers their previous owners.
	UpdateBind Update = "bind"
)

// Query names a workflow query.
type Query string

// Queries.
const (
	QueryState    Query = "state"
	QueryProgress Query = "progress"
	QueryLane     Query = "lane"
	// QueryExceptions lists the skipped partners of the exceptions registry.
	QueryExceptions Query = "exceptions"
	// QueryAlerts returns the alerts workflow's incidents and last measurement.
	QueryAlerts Query = "alerts"
	// QueryCheckpoint returns the backfill's resumable checkpoint (progress and failed keys).
	QueryCheckpoint Query = "checkpoint"
	// QueryOwners returns the customer keys that partner ids are bound to (partner index).
	QueryOwners Query = "owners"
)

// Workflow type names (registered explicitly so renames of Go functions do not break history).
const (
	WorkflowCustomer   = "CustomerSync"
	WorkflowPoller     = "OdooChangePoller"
	WorkflowLane       = "DotdigitalLane"
	WorkflowBackfill   = "Backfill"
	WorkflowLagMonitor = "LagMonitor"
	WorkflowReconcile  = "Reconcile"
	WorkflowBootstrap  = "Bootstrap"
	WorkflowResync     = "BulkResync"
	WorkflowExceptions = "ExceptionsRegistry"
	WorkflowAlerts     = "LagAlerts"
	// WorkflowPartnerIndex is one shard of the durable partner -> customer binding.
	WorkflowPartnerIndex = "PartnerIndex"
)

// Error types of activity failures (temporal.ApplicationError types), which
// retry policies match.
const (
	ErrRateLimited    = "RateLimited"
	ErrTransient      = "Transient"
	ErrOdooAuth       = "OdooAuth"
	ErrDotdigitalAuth = "DotdigitalAuth"
	ErrNonRetryable   = "NonRetryable"
)

// NonRetryableErrors are the error types no retry can fix, for
// RetryPolicy.NonRetryableErrorTypes.
func NonRetryableErrors() []string { return []string{ErrNonRetryable, ErrOdooAuth, ErrDotdigitalAuth} }

// ActivityLanePressure is the local activity (activities.Probe) a customer
// asks whether to write directly or through the lane; called by name, since
// the probe holds the worker's pacer.
const ActivityLanePressure = "LanePressure"

// Fixed workflow and schedule IDs of singletons.
const (
	PollerWorkflowID     = "odoo-change-poller"
	BootstrapWorkflowID  = "dotdigital-bootstrap"
	BackfillWorkflowID   = "backfill"
	LagScheduleID        = "lag-monitor"
	ReconcileScheduleID  = "reconcile"
	LaneWorkflowIDPrefix = "dotdigital-lane-"
	ExceptionsWorkflowID = "sync-exceptions"
	AlertsWorkflowID     = "lag-alerts"
	// PartnerIndexWorkflowIDPrefix + shard number is a partner index shard.
	PartnerIndexWorkflowIDPrefix = "partner-index-"
)

// LaneWorkflowID is the workflow ID of a lane shard.
func LaneWorkflowID(shard int) string { return LaneWorkflowIDPrefix + strconv.Itoa(shard) }

// LaneShardOf parses a lane shard's workflow ID (ok false for other IDs).
func LaneShardOf(workflowID string) (int, bool) { return shardOf(LaneWorkflowIDPrefix, workflowID) }

// PartnerIndexShard is the shard of the partner index that holds a partner.
func PartnerIndexShard(partnerID int64, shards int) int {
	if shards < 1 {
		shards = 1
	}
	return int(uint64(partnerID) % uint64(shards)) // ids are dense: a modulo spreads them evenly
}

// PartnerIndexWorkflowID is the workflow ID of a partner index shard.
func PartnerIndexWorkflowID(shard int) string {
	return PartnerIndexWorkflowIDPrefix + strconv.Itoa(shard)
}

// PartnerIndexShardOf parses a shard's workflow ID (ok false for other IDs).
func PartnerIndexShardOf(workflowID string) (int, bool) {
	return shardOf(PartnerIndexWorkflowIDPrefix, workflowID)
}

// shardOf parses prefix + shard number.
func shardOf(prefix, workflowID string) (int, bool) {
	rest, ok := strings.CutPrefix(workflowID, prefix)
	if !ok || rest == "" {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// Search attributes. SQLite visibility (the embedded default) allows 10
// Keyword and 3 of each other type per namespace, so this list is short.
var (
	// SyncState is idle, pending, syncing, ok or blocked.
	SASyncState = temporal.NewSearchAttributeKeyKeyword("SyncState")
	// BlockedReason is a reason code while SyncState is blocked.
	SABlockedReason = temporal.NewSearchAttributeKeyKeyword("BlockedReason")
	// OdooPartnerIDs lists the partner ids that fold into the customer.
	SAOdooPartnerIDs = temporal.NewSearchAttributeKeyKeywordList("OdooPartnerIDs")
	// LastSyncedAt is when Dotdigital last acknowledged a write for the customer.
	SALastSyncedAt = temporal.NewSearchAttributeKeyTime("LastSyncedAt")
	// OldestPendingAt is the Odoo change time of the oldest change not yet acknowledged.
	SAOldestPendingAt = temporal.NewSearchAttributeKeyTime("OldestPendingAt")
	// PendingClass is the highest priority class of pending work (order, status, profile).
	SAPendingClass = temporal.NewSearchAttributeKeyKeyword("PendingClass")
	// LastSyncClass is the priority class of the last acknowledged write.
	SALastSyncClass = temporal.NewSearchAttributeKeyKeyword("LastSyncClass")
	// LastLagSeconds is the Odoo-change-to-acknowledgement lag of the last write.
	SALastLagSeconds = temporal.NewSearchAttributeKeyFloat64("LastLagSeconds")
)

// SyncState values.
const (
	StateIdle    = "idle"
	StatePending = "pending"
	StateOK      = "ok"
	StateBlocked = "blocked"
)

// SearchAttributeKinds lists every custom search attribute with its type name
// as the embedded server and `temporal operator search-attribute create` want it.
var SearchAttributeKinds = map[string]string{
	SASyncState.GetName():       "Keyword",
	SABlockedReason.GetName():   "Keyword",
	SAOdooPartnerIDs.GetName():  "KeywordList",
	SALastSyncedAt.GetName():    "Datetime",
	SAOldestPendingAt.GetName(): "Datetime",
	SAPendingClass.GetName():    "Keyword",
	SALastSyncClass.GetName():   "Keyword",
	SALastLagSeconds.GetName():  "Double",
}
