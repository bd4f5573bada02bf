package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/changes"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// PollerInput starts (or continues) the change poller.
type PollerInput struct {
	Settings Settings        `json:"settings"`
	Cursors  changes.Cursors `json:"cursors"`
	Stats    changes.Stats   `json:"stats"`
	Pokes    []changes.Poke  `json:"pokes,omitempty"`
	// WatchingSince is when this deployment's poller first polled.
	WatchingSince time.Time `json:"watchingSince,omitempty"`
}

// PollerStatus is what the poller's progress query returns.
type PollerStatus struct {
	Cursors  changes.Cursors `json:"cursors"`
	Stats    changes.Stats   `json:"stats"`
	LastPoll time.Time       `json:"lastPoll"`
	Pokes    int             `json:"pokes"`
}

// maxPokeRetries: Odoo 17 sends its webhook before the transaction commits,
// so a poll right after the webhook may not see the change yet.
const maxPokeRetries = 4

// Poller is the singleton that reads Odoo changes incrementally by
// (write_date, id) and routes each to its customer. It is the source of truth
// for change capture: webhooks only make it poll sooner.
func Poller(ctx workflow.Context, in PollerInput) error {
	s := in.Settings.WithDefaults()
	st := PollerStatus{Cursors: in.Cursors, Stats: in.Stats}
	if in.WatchingSince.IsZero() {
		in.WatchingSince = workflow.Now(ctx)
	}
	pokes := append([]changes.Poke(nil), in.Pokes...)
	if err := workflow.SetQueryHandler(ctx, string(names.QueryProgress), func() (PollerStatus, error) {
		st.Pokes = len(pokes)
		return st, nil
	}); err != nil {
		return err
	}
	pokeCh := workflow.GetSignalChannel(ctx, string(names.SignalPoke))
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var p changes.Poke
			pokeCh.Receive(ctx, &p)
			pokes = append(pokes, p)
		}
	})
	actx := workflow.WithActivityOptions(ctx, odooActivityOptions(s, 10*time.Minute))
	if in.Cursors == (changes.Cursors{}) && s.InitialLoad == "backfill" {
		// A fresh deployment: load what exists by backfill, follow changes from now.
		if err := workflow.ExecuteActivity(actx, pollActivities.BeginInitialLoad).Get(ctx, &st.Cursors); err != nil {
			return err
		}
	}
	for {
		batch := pokes
		pokes = nil
		var out changes.PollResult
		if err := workflow.ExecuteActivity(actx, pollActivities.PollChanges, changes.PollRequest{Cursors: st.Cursors, Pokes: batch, WatchingSince: in.WatchingSince}).Get(ctx, &out); err != nil {
			// The activity retries transient errors itself; this is a
			// non-retryable one (e.g. Odoo authentication). Wait and try
			// again rather than end the singleton.
			workflow.GetLogger(ctx).Error("poll failed", "error", err)
			st.Stats.Errors++
			pokes = append(pokes, batch...)
			_ = workflow.Sleep(ctx, 10*s.PollInterval)
			continue
		}
		st.Cursors = out.Cursors
		st.Stats.Add(out.Stats)
		st.LastPoll = workflow.Now(ctx)
		for _, p := range out.Unseen {
			if p.Attempts < maxPokeRetries {
				p.Attempts++
				pokes = append(pokes, p)
			}
		}
		info := workflow.GetInfo(ctx)
		if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > s.HistoryLimit {
			var p changes.Poke
			for pokeCh.ReceiveAsync(&p) {
				pokes = append(pokes, p)
			}
			return workflow.NewContinueAsNewError(ctx, names.WorkflowPoller, PollerInput{Settings: in.Settings, Cursors: st.Cursors, Stats: st.Stats, Pokes: pokes, WatchingSince: in.WatchingSince})
		}
		if out.More {
			continue // a backlog: page on at once
		}
		if len(pokes) > 0 {
			if d := pokeDelay(pokes); d > 0 {
				// A retry waits for its change to commit; a new poke (a
				// new webhook) cuts the wait short.
				if _, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return freshPoke(pokes) }); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := workflow.AwaitWithTimeout(ctx, s.PollInterval, func() bool { return len(pokes) > 0 }); err != nil {
			return err
		}
	}
}

// freshPoke reports whether a poke has not been polled for yet.
func freshPoke(pokes []changes.Poke) bool {
	for _, p := range pokes {
		if p.Attempts == 0 {
			return true
		}
	}
	return false
}

// pokeDelay backs off re-polls for pokes whose change was not visible yet:
// by the least-retried one, so that a fresh poke (a new webhook) polls at
// once instead of waiting behind an old poke's longest back-off.
func pokeDelay(pokes []changes.Poke) time.Duration {
	least := -1
	for _, p := range pokes {
		if least < 0 || p.Attempts < least {
			least = p.Attempts
		}
	}
	if least <= 0 {
		return 0
	}
	return time.Duration(100<<least) * time.Millisecond // 200ms, 400ms, 800ms, 1.6s
}
