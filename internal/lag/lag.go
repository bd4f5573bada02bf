// Package lag judges how far Dotdigital is behind Odoo. A Measurement says
// how old the oldest unacknowledged change of each priority class is, how
// long recently completed syncs took, whether the change poller keeps
// polling and whether a canary sample of recent orders is in Dotdigital.
// Evaluate turns a series of measurements into incidents, one alert when an
// incident opens and one all-clear when it closes. It does no I/O and is
// safe to call from workflow code (no map iteration in random order, no fmt,
// no clock).
package lag

import "time"

// Priority classes, as the customer workflows publish them (PendingClass,
// LastSyncClass): the names of customer.Class.
const (
	ClassOrder   = "order"
	ClassStatus  = "status"
	ClassProfile = "profile"
)

// Classes lists the priority classes in priority order.
var Classes = []string{ClassOrder, ClassStatus, ClassProfile}

// Threshold groups: orders are held to Thresholds.Orders; status and profile
// changes to Thresholds.Profiles.
const (
	GroupOrders   = "orders"
	GroupProfiles = "profiles"
)

// Groups lists the threshold groups in a fixed order.
var Groups = []string{GroupOrders, GroupProfiles}

// GroupOf returns the threshold group of a priority class.
func GroupOf(class string) string {
	if class == ClassOrder {
		return GroupOrders
	}
	return GroupProfiles
}

// classesOf returns the priority classes of a group.
func classesOf(group string) []string {
	if group == GroupOrders {
		return []string{ClassOrder}
	}
	return []string{ClassStatus, ClassProfile}
}

// ClassLag is the lag of one priority class.
type ClassLag struct {
	// Pending customers with unacknowledged work of this class (visibility).
	Pending int `json:"pending"`
	// Queued requests of this class waiting in the lane shards (read live;
	// most of them are also counted in Pending).
	Queued int `json:"queued,omitempty"`
	// BacklogAge is the age of the oldest unacknowledged change of the class.
	BacklogAge time.Duration `json:"backlogAge"`
	// Recent syncs of the class acknowledged within the measurement window,
	// and their Odoo-change-to-acknowledgement lag.
	Recent int           `json:"recent"`
	P50    time.Duration `json:"p50"`
	P95    time.Duration `json:"p95"`
	Max    time.Duration `json:"max"`
}

// CanaryResult is what the canary found for a sample of recently confirmed
// orders: whether each one's Insight record and its contact's purchase
// fields in Dotdigital match Odoo.
type CanaryResult struct {
	At      time.Time `json:"at,omitempty"`
	Checked int       `json:"checked"`
	Misses  int       `json:"misses"`
	// MissAge is how long the worst miss has been waiting: the time since
	// the Odoo change that Dotdigital does not reflect yet.
	MissAge time.Duration `json:"missAge,omitempty"`
	// MissOrder names the order of the worst miss (reference and Odoo id;
	// never the customer's email).
	MissOrder  string `json:"missOrder,omitempty"`
	MissReason string `json:"missReason,omitempty"`
	// Error says why the canary could not check (rate-limited, timed out);
	// an unavailable canary counts as no evidence, not as lag.
	Error string `json:"error,omitempty"`
}

// Measurement is one look at the whole sync.
type Measurement struct {
	At      time.Time           `json:"at"`
	Classes map[string]ClassLag `json:"classes"`
	// PollerAge is the time since the change poller last finished a poll;
	// negative when unknown (the poller could not be asked).
	PollerAge time.Duration `json:"pollerAge"`
	// Blocked customers (parked on a non-retryable rejection).
	Blocked int          `json:"blocked"`
	Canary  CanaryResult `json:"canary"`
	// Window is how far back "recent" syncs reach.
	Window time.Duration `json:"window,omitempty"`
	// Errors lists the parts that could not be measured (partial measurement).
	Errors []string `json:"errors,omitempty"`
}

// Class returns the lag of one class (zero when nothing was measured).
func (m Measurement) Class(class string) ClassLag { return m.Classes[class] }

// Thresholds are the alert thresholds (BRIEF defaults: orders 5 min,
// profiles 30 min). A zero threshold disables its group.
type Thresholds struct {
	Orders   time.Duration `json:"orders"`
	Profiles time.Duration `json:"profiles"`
	// PollInterval is the change poller's interval; a poller that has not
	// polled for PollerGraceIntervals of them counts as lagging.
	PollInterval time.Duration `json:"pollInterval,omitempty"`
}

// For returns the threshold of a group.
func (t Thresholds) For(group string) time.Duration {
	if group == GroupOrders {
		return t.Orders
	}
	return t.Profiles
}

// PollerGraceIntervals: the poller counts as stale once it has not polled
// for this many poll intervals.
const PollerGraceIntervals = 3

// ClearAfter is the hysteresis: an open incident closes after this many
// consecutive measurements under its threshold.
const ClearAfter = 2

// Signal is what the lag monitor sends the alerts workflow: a measurement
// and the thresholds to judge it by (they travel with each measurement, so
// a configuration change reaches the alerts workflow with the next run).
type Signal struct {
	Measurement Measurement `json:"measurement"`
	Thresholds  Thresholds  `json:"thresholds"`
	// Interval between measurements (how long exported gauges stay fresh).
	Interval time.Duration `json:"interval,omitempty"`
}

// Report is what the metrics exporter needs: the last measurement and the
// open incidents.
type Report struct {
	Measurement Measurement `json:"measurement"`
	State       State       `json:"state"`
	// FreshFor is how long the report may be exported before it counts as stale.
	FreshFor time.Duration `json:"freshFor,omitempty"`
}
