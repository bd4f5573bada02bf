package ddemu

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Tier is a Dotdigital call-rate tier.
type Tier string

// Call-rate tiers. Every route belongs to exactly one tier (see routes.go).
const (
	TierLow       Tier = "low"
	TierMedium    Tier = "medium"
	TierHigh      Tier = "high"
	TierUnlimited Tier = "unlimited"
)

// Tiers lists the tiers in display order.
var Tiers = []Tier{TierLow, TierMedium, TierHigh, TierUnlimited}

// scope is the value of X-RateLimit-Scope for the tier.
func (t Tier) scope() string {
	switch t {
	case TierLow:
		return "lowCallRate"
	case TierMedium:
		return "mediumCallRate"
	case TierHigh:
		return "highCallRate"
	default:
		return "unlimitedCallRate"
	}
}

// ResetFormat selects how X-RateLimit-Reset is rendered.
type ResetFormat string

// Reset header formats (the reference has a CONFLICT; the vendor SDK reads delta seconds).
const (
	// ResetDelta renders the whole seconds until the window resets (default).
	ResetDelta ResetFormat = "delta"
	// ResetEpoch renders the Unix time (seconds) at which the window resets.
	ResetEpoch ResetFormat = "epoch"
)

// Options configure an Emulator. The zero value is usable: defaults are filled in by New.
type Options struct {
	// APIUser and APIPassword are the Basic-auth credentials (defaults
	// "demo@apiconnector.com" / "demo").
	APIUser, APIPassword string

	// Limits are calls per Window for each tier; 0 or absent means unlimited.
	Limits map[Tier]int
	// Window is the tiered rate window (default one minute).
	Window time.Duration
	// FlatHourly > 0 switches to the legacy flat scheme: at most FlatHourly
	// calls per rolling FlatWindow, then HTTP 400 ERROR_APIUSAGE_EXCEEDED.
	FlatHourly int
	// FlatWindow is the flat scheme's rolling window (default one hour; tests shorten it).
	FlatWindow time.Duration
	// ResetFormat of X-RateLimit-Reset (default ResetDelta).
	ResetFormat ResetFormat

	// ImportDelay is how long an asynchronous job (contact import, Insight
	// import, bulk delete) waits after submission before it is processed
	// (default 500ms). Jobs of one kind run one after the other, in order.
	ImportDelay time.Duration
	// ImportDelayPerRecord adds processing time per submitted row (default 0).
	ImportDelayPerRecord time.Duration
	// ImportSkipsSuppressed makes contact imports leave globally suppressed
	// contacts untouched (reported as failure "globallySuppressed"), the
	// literal reading of the import summary's description. Default false:
	// suppressed contacts get data-field updates, as v3 PATCH does.
	ImportSkipsSuppressed bool

	// Fault5xxRate is the fraction of API calls answered 500/503 before they take effect.
	Fault5xxRate float64
	// TimeoutRate is the fraction of calls that hang until the client gives up
	// or TimeoutDelay passes, then get 504, without taking effect.
	TimeoutRate float64
	// SlowRate is the fraction of calls delayed by SlowDelay before being served normally.
	SlowRate float64
	// SlowDelay defaults to 2s.
	SlowDelay time.Duration
	// TimeoutDelay defaults to 130s (longer than the 121s client timeout the docs recommend).
	TimeoutDelay time.Duration
	// Applied5xxRate is the fraction of calls that take effect but are answered 500
	// anyway (tests idempotent retries).
	Applied5xxRate float64
	// Seed seeds the fault dice; 0 picks a time-based seed.
	Seed uint64

	// PublicURL overrides the base URL reported in account-info and paging
	// links; by default it is derived from the request's Host header.
	PublicURL string
	// ContactIDBase offsets the contactId sequence (the first contact gets
	// ContactIDBase+1); set it above 2^31 to exercise int64 handling.
	ContactIDBase int64

	// Logger receives request and job logs (never credentials or emails); default discards.
	Logger *slog.Logger
}

// Faults are the fault-injection knobs that can change at run time.
type Faults struct {
	Fault5xxRate   float64
	TimeoutRate    float64
	SlowRate       float64
	Applied5xxRate float64
	SlowDelay      time.Duration
	TimeoutDelay   time.Duration
}

const (
	defaultUser         = "demo@apiconnector.com"
	defaultPassword     = "demo"
	defaultWindow       = time.Minute
	defaultFlatWindow   = time.Hour
	defaultImportDelay  = 500 * time.Millisecond
	defaultSlowDelay    = 2 * time.Second
	defaultTimeoutDelay = 130 * time.Second
)

func (o Options) withDefaults() (Options, error) {
	if o.APIUser == "" {
		o.APIUser = defaultUser
	}
	if o.APIPassword == "" {
		o.APIPassword = defaultPassword
	}
	if o.Window <= 0 {
		o.Window = defaultWindow
	}
	if o.FlatWindow <= 0 {
		o.FlatWindow = defaultFlatWindow
	}
	switch o.ResetFormat {
	case "":
		o.ResetFormat = ResetDelta
	case ResetDelta, ResetEpoch:
	default:
		return o, fmt.Errorf("ddemu: unknown reset format %q (want %q or %q)", o.ResetFormat, ResetDelta, ResetEpoch)
	}
	if o.ImportDelay < 0 || o.ImportDelayPerRecord < 0 {
		return o, errors.New("ddemu: import delays must not be negative")
	}
	if o.ImportDelay == 0 {
		o.ImportDelay = defaultImportDelay
	}
	if o.FlatHourly < 0 {
		return o, errors.New("ddemu: FlatHourly must not be negative")
	}
	for t, n := range o.Limits {
		if n < 0 {
			return o, fmt.Errorf("ddemu: limit for tier %q must not be negative", t)
		}
	}
	f, err := o.faults().normalised()
	if err != nil {
		return o, err
	}
	o.SlowDelay, o.TimeoutDelay = f.SlowDelay, f.TimeoutDelay
	if o.ContactIDBase < 0 {
		return o, errors.New("ddemu: ContactIDBase must not be negative")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

func (o Options) faults() Faults {
	return Faults{
		Fault5xxRate:   o.Fault5xxRate,
		TimeoutRate:    o.TimeoutRate,
		SlowRate:       o.SlowRate,
		Applied5xxRate: o.Applied5xxRate,
		SlowDelay:      o.SlowDelay,
		TimeoutDelay:   o.TimeoutDelay,
	}
}

func (f Faults) normalised() (Faults, error) {
	for name, r := range map[string]float64{
		"Fault5xxRate": f.Fault5xxRate, "TimeoutRate": f.TimeoutRate,
		"SlowRate": f.SlowRate, "Applied5xxRate": f.Applied5xxRate,
	} {
		if r < 0 || r > 1 {
			return f, fmt.Errorf("ddemu: %s must be within [0,1], got %v", name, r)
		}
	}
	if f.Fault5xxRate+f.TimeoutRate+f.Applied5xxRate > 1 {
		return f, errors.New("ddemu: Fault5xxRate+TimeoutRate+Applied5xxRate must not exceed 1")
	}
	if f.SlowDelay <= 0 {
		f.SlowDelay = defaultSlowDelay
	}
	if f.TimeoutDelay <= 0 {
		f.TimeoutDelay = defaultTimeoutDelay
	}
	return f, nil
}
