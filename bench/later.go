package main

import (
	"context"
	"fmt"
	"time"
)

// Identity changes of the later phase.
const (
	actEmailChange = "email_change" // every partner of a customer gets a new email
	actSplit       = "split"        // one of a customer's partners gets a new email
	actMerge       = "merge"        // the merge wizard folds one customer's partner into another's
	actArchive     = "archive"      // a customer's only partner is archived
)

// laterPhase changes customers after their workflows went idle: in a shop a
// customer's next change arrives days after the previous one, long after
// SYNC_IDLE_TIMEOUT. It makes identity changes (the shoppers it touches are
// not used again: their keys changed) and status changes (cancellations,
// VIP tags: tracked to their acknowledgement), on customers the traffic
// made and on customers only the initial load saw.
type laterPhase struct {
	*shopPhase
	actions map[string]int
	orphans int // contacts that must be left behind, emptied and reported
}

// laterPlan is the order of the later phase's actions, repeated.
var laterPlan = []string{actEmailChange, actCancel, actTag, actSplit, actMerge, actCancel, actArchive, actTag, actProfile}

// runLater waits until every customer touched so far has been idle longer
// than idle, then performs n actions at rate per second and waits up to
// drain for the tracked ones.
func runLater(ctx context.Context, e *env, p *shopPhase, idle time.Duration, n int, rate float64, drain time.Duration) (*laterPhase, error) {
	wait := time.Until(p.tf.lastChange().Add(idle + 5*time.Second))
	e.progress("later: waiting %s until every customer has been idle for %s", wait.Round(time.Second), idle)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(wait):
	}
	lp := &laterPhase{shopPhase: &shopPhase{tr: newTracker(p.tr.ddc, 40, time.Second), tf: p.tf}, actions: map[string]int{}}
	p.tf.tr = lp.tr
	tctx, stop := context.WithCancel(ctx)
	defer stop()
	go lp.tr.run(tctx)
	lp.started = time.Now()
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i := 0; i < n; i++ {
		act := laterPlan[i%len(laterPlan)]
		done, err := lp.do(ctx, act)
		if err != nil {
			return nil, err
		}
		if done {
			lp.actions[act]++
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
	lp.ended = time.Now()
	lp.lost = lp.tr.wait(ctx, time.Now().Add(drain))
	e.progress("later: %v; %d changes tracked, %d not acknowledged", lp.actions, len(lp.tr.all), len(lp.lost))
	return lp, nil
}

// do performs one action and counts it; done is false when no shopper fit.
func (lp *laterPhase) do(ctx context.Context, act string) (bool, error) {
	switch act {
	case actEmailChange, actSplit, actMerge, actArchive:
		done, err := lp.changeIdentity(ctx, act)
		lp.tf.note(act, err)
		return done, err
	}
	lp.tf.do(ctx, act) // a shop action: it counts itself
	return true, nil
}

// changeIdentity performs one of the identity changes. The shoppers it
// touches stay reserved: their keys changed.
func (lp *laterPhase) changeIdentity(ctx context.Context, act string) (bool, error) {
	t := lp.tf
	switch act {
	case actEmailChange:
		s := t.take(nil)
		if s == nil {
			return false, nil
		}
		return true, lp.moveTo(ctx, s.partners)
	case actSplit:
		s := t.take(func(s *shopper) bool { return len(s.partners) >= 2 })
		if s == nil {
			return false, nil
		}
		return true, lp.moveTo(ctx, s.partners[len(s.partners)-1:])
	case actMerge:
		return lp.merge(ctx)
	case actArchive:
		s := t.take(func(s *shopper) bool { return s.known && s.single })
		if s == nil {
			return false, nil
		}
		if err := t.oc.Write(ctx, "res.partner", s.partners, map[string]any{"active": false}); err != nil {
			return true, fmt.Errorf("archive partner: %w", err)
		}
		t.changed(time.Now())
		lp.orphans++
		return true, nil
	}
	return false, fmt.Errorf("%s is not an identity change", act)
}

// moveTo gives the partners a new email no one has.
func (lp *laterPhase) moveTo(ctx context.Context, partners []int64) error {
	_, email := lp.tf.newPerson()
	if err := lp.tf.oc.Write(ctx, "res.partner", partners, map[string]any{"email": email}); err != nil {
		return fmt.Errorf("change email: %w", err)
	}
	lp.tf.changed(time.Now())
	return nil
}

// merge folds a single-partner customer into another customer's partner
// with the merge wizard (Contacts > Merge): the source's orders move and its
// contact is left behind, emptied and reported.
func (lp *laterPhase) merge(ctx context.Context) (bool, error) {
	t := lp.tf
	src := t.take(func(s *shopper) bool { return s.known && s.single })
	if src == nil {
		return false, nil
	}
	dst := t.take(func(s *shopper) bool { return s.key != src.key })
	if dst == nil {
		t.release(src)
		return false, nil
	}
	wiz, err := t.oc.Create(ctx, "base.partner.merge.automatic.wizard", map[string]any{
		"partner_ids": []any{[]any{6, 0, []int64{dst.partners[0], src.partners[0]}}}, "dst_partner_id": dst.partners[0]})
	if err != nil {
		return true, fmt.Errorf("merge wizard: %w", err)
	}
	if _, err := t.oc.Call(ctx, "base.partner.merge.automatic.wizard", "action_merge", []any{[]int64{wiz}}, nil); err != nil {
		return true, fmt.Errorf("merge: %w", err)
	}
	t.changed(time.Now())
	lp.orphans++
	return true, nil
}
