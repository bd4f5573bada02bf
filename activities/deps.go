// Package activities holds the Temporal activities: the only code that calls
// Odoo and Dotdigital. They are methods on structs that hold their
// dependencies, and idempotent, because Temporal retries them.
package activities

import (
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/progress"
)

// Deps are the dependencies shared by every activity struct.
type Deps struct {
	Odoo            *odoo.Client
	Dotdigital      *dotdigital.Client
	Temporal        client.Client
	Hasher          identity.Hasher
	Mapping         customer.Settings
	WorkflowQueue   string
	Namespace       string
	Pacer           *Pacer
	Progress        *progress.Tracker
	Overlap         time.Duration
	OrderBatch      int
	OdooConcurrency int
	Logger          *slog.Logger
	Meter           metric.Meter
	// CustomerInput builds the start argument of a customer workflow.
	CustomerInput func(key string) any
	// LaneInput builds the start argument of a lane shard.
	LaneInput func(laneID string) any
	// RegistryInput builds the start argument of the exceptions registry.
	RegistryInput func() any
	// BackfillInput builds the start argument of the backfill.
	BackfillInput func(upToPartnerID int64) any
	// PartnerIndexInput builds the start argument of a partner index shard.
	PartnerIndexInput func(shard int) any
	// IndexShards is the number of partner index shards.
	IndexShards int
}
