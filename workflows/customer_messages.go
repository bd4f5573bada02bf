package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

func (r *customerRun) onHint(ctx workflow.Context, h messages.Hint) {
	now := workflow.Now(ctx)
	r.st.Pending.add(h, now)
	r.st.Compacted, r.st.Gone = false, false
	if h.Force || (r.durable && r.orderDuringBackoff(h)) {
		r.st.RetryAt = time.Time{}
	}
	if h.MovedFrom != "" && h.MovedFrom != r.id && !r.st.Snapshot.ContactExists {
		r.st.Awaiting[h.MovedFrom] = now.Add(r.settings.HandoverWait)
	}
}

// orderDuringBackoff: a new order (not a retry) arrived while the customer
// waits after a failed write. It is tried at once, so an outage's back-off
// (up to 32 min) never holds an order that arrives after the outage; a
// failure again resumes the back-off where it was (Failures is kept).
func (r *customerRun) orderDuringBackoff(h messages.Hint) bool {
	return h.Kind != messages.HintRetry && h.Class == customer.ClassOrder && r.st.Failures > 0 &&
		(r.st.Blocked == nil || r.st.Blocked.Reason != reasonOwnedElsewhere)
}

func (r *customerRun) onHandover(ctx workflow.Context, ho messages.Handover) {
	delete(r.st.Awaiting, ho.From)
	if r.durable {
		r.onHandoverDurable(ctx, ho)
		return
	}
	if ho.Conflict || ho.Released || r.st.Snapshot.ContactExists {
		return
	}
	r.st.Snapshot = ho.Snapshot
	r.st.Snapshot.Email = r.key
}

// onHandoverDurable: a customer the partners came from answered. With the
// contact (renamed to this key) it is adopted when this customer has none;
// with a release, a write that waited for a record the other contact held
// is retried at once. Either way the customer writes (a handover may start
// its workflow: the signal-with-start of a customer that had none).
func (r *customerRun) onHandoverDurable(ctx workflow.Context, ho messages.Handover) {
	now := workflow.Now(ctx)
	if r.st.Handed == nil {
		r.st.Handed = map[string]time.Time{}
	}
	for _, id := range sortedKeys(r.st.Handed) {
		if now.Sub(r.st.Handed[id]) > 2*r.settings.HandoverWait {
			delete(r.st.Handed, id)
		}
	}
	r.st.Handed[ho.From] = now
	if ho.Snapshot.ContactExists && !r.st.Snapshot.ContactExists {
		r.st.Snapshot = ho.Snapshot
		r.st.Snapshot.Email = r.key
		r.st.Awaiting = map[string]time.Time{} // the contact is here: no other handover is needed
	}
	if r.st.Blocked != nil && r.st.Blocked.Reason == reasonOwnedElsewhere {
		r.st.RetryAt = time.Time{}
	}
	r.st.Pending.add(messages.Hint{Kind: messages.HintMoved, Class: customer.ClassStatus, SeenAt: now}, now)
	r.st.Compacted, r.st.Gone = false, false
}

// reasonOwnedElsewhere: an order's record is still held by the contact of
// the customer the order came from; it is released there, then retried.
const reasonOwnedElsewhere = "record_owned_elsewhere"

// maxOwnedRetries: retries of a write refused for a held record, 30 s
// doubling to 32 min (about two hours in all), before the customer stays
// blocked until its next change or a resync.
const maxOwnedRetries = 8

// onAwaiting: partners of this customer came from customers that have not
// handed their contact over (or said they keep it) yet; the write waits for
// them, but never for one that already answered.
func (r *customerRun) onAwaiting(ctx workflow.Context, res messages.LaneResult) {
	now := workflow.Now(ctx)
	in := r.st.InFlight
	for _, id := range res.Awaiting {
		if _, answered := r.st.Handed[id]; !answered && id != r.id {
			r.st.Awaiting[id] = now.Add(r.settings.HandoverWait)
		}
	}
	r.st.Pending.add(messages.Hint{Kind: messages.HintRetry, Class: in.Class, ChangeTime: in.Since, Force: in.Force, Successor: in.Successor, Moved: in.Moved}, now)
}

// retryOwnedElsewhere schedules the retry of a write refused because a
// record was still held by another contact.
func (r *customerRun) retryOwnedElsewhere(ctx workflow.Context) {
	if r.st.OwnedRetries >= maxOwnedRetries {
		return
	}
	r.st.OwnedRetries++
	now := workflow.Now(ctx)
	r.st.RetryAt = now.Add(min(30*time.Second<<(r.st.OwnedRetries-1), 32*time.Minute))
	in := r.st.InFlight
	r.st.Pending.add(messages.Hint{Kind: messages.HintRetry, Class: in.Class, ChangeTime: in.Since, Successor: in.Successor, Moved: in.Moved}, now)
}

func (r *customerRun) onResult(ctx workflow.Context, res messages.LaneResult) {
	if r.st.InFlight == nil || res.Seq != r.st.InFlight.Seq {
		return // stale (a resubmitted request answered twice)
	}
	now := workflow.Now(ctx)
	if res.Snapshot != nil {
		r.st.Snapshot = *res.Snapshot
	}
	if res.LastOrder != "" {
		r.st.LastOrder = res.LastOrder
	}
	if r.durable && res.Gone {
		r.st.Gone = true
	}
	switch res.Outcome {
	case messages.OutcomePartial:
		return // the activity keeps retrying the rest; its final result follows
	case messages.OutcomeAwaiting:
		r.onAwaiting(ctx, res)
	case messages.OutcomeOK, messages.OutcomeHanded:
		r.st.OwnedRetries = 0
		r.st.Blocked = nil
		r.st.LastError = ""
		r.st.Failures = 0
		r.st.RetryAt = time.Time{}
		r.st.Syncs++
		r.st.LastSyncedAt = res.AckAt
		r.st.LastClass = r.st.InFlight.Class.String()
		since := r.st.InFlight.Since
		if !since.IsZero() && !res.AckAt.IsZero() && res.AckAt.After(since) {
			r.st.LastLag = res.AckAt.Sub(since)
			workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"class": r.st.InFlight.Class.String(), "path": pathTag(res.Bulk)}).
				Timer("sync_lag").Record(r.st.LastLag)
		}
	case messages.OutcomeBlocked:
		b := &messages.Blocked{Reason: res.Reason, Detail: res.Detail, Record: res.Record, Since: now, Last: now, Fix: fixFor(res.Reason)}
		if r.st.Blocked != nil && r.st.Blocked.Reason == res.Reason {
			b.Since = r.st.Blocked.Since
		}
		r.st.Blocked = b
		r.st.LastError = res.Detail
		if r.durable && res.Reason == reasonOwnedElsewhere {
			r.retryOwnedElsewhere(ctx)
		}
	case messages.OutcomeRedirected:
		// Nothing was written: the same work goes to the lane at once.
		in := r.st.InFlight
		r.st.PressureUntil = now.Add(pressureHold)
		r.st.Pending.add(messages.Hint{Kind: messages.HintRetry, Class: in.Class, ChangeTime: in.Since, Force: in.Force, Successor: in.Successor, Moved: in.Moved}, now)
	case messages.OutcomeFailed:
		r.st.Failures++
		r.st.LastError = res.Detail
		backoff := time.Duration(1<<min(r.st.Failures, 5)) * time.Minute // 2, 4 ... 32 minutes
		r.st.RetryAt = now.Add(backoff)
		r.st.Pending.add(messages.Hint{Kind: messages.HintRetry, Class: r.st.InFlight.Class, ChangeTime: r.st.InFlight.Since, Successor: r.st.InFlight.Successor,
			Moved: r.st.InFlight.Moved}, now)
	}
	r.st.InFlight = nil
}

func pathTag(bulk bool) string {
	if bulk {
		return "bulk"
	}
	return "single"
}

// fixFor tells ops what clears a blocked reason.
func fixFor(reason string) string {
	switch reason {
	case "invalid_email":
		return "Correct the email on the Odoo partner(s); the change unblocks the customer."
	case "email_conflict":
		return "Two Dotdigital contacts exist for one person; merge or delete one in Dotdigital, then resync."
	case "orphan_contact":
		return "The Odoo partners of this email were merged away or changed; delete the old contact in Dotdigital if it is not wanted, then resync."
	case "rejected_record":
		return "Dotdigital rejected an order record; correct the order in Odoo (or the mapping) and resync."
	case "record_owned_elsewhere":
		return "An order's Insight record still belongs to another contact (the order moved between customers). It is retried by itself when the previous customer releases it; if it stays, resync the order's previous customer, then this one."
	case "contact_rejected":
		return "Dotdigital rejected the contact; check the data in Odoo and resync."
	}
	return "Check the detail, fix the data in Odoo or Dotdigital, then run: starter resync <email>."
}
