package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// intervalSchedule is a Temporal Schedule that starts one workflow every
// interval, overlap SKIP (a stuck run is bounded by timeout instead of
// piling up), with a catch-up window for runs missed while the cluster was
// down.
type intervalSchedule struct {
	id, workflow, queue string
	input               any
	every, catchup      time.Duration
	timeout             time.Duration
}

// ensure creates the schedule, or brings an existing one up to date with
// the configuration (an operator's pause is kept). Idempotent: every worker
// may call it at start-up.
func (s intervalSchedule) ensure(ctx context.Context, c client.Client) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: s.every}}}
	action := &client.ScheduleWorkflowAction{
		ID: s.id, Workflow: s.workflow, Args: []any{s.input},
		TaskQueue: s.queue, WorkflowExecutionTimeout: s.timeout,
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: s.id, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: s.catchup,
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", s.id, err)
	}
	want, err := converter.GetDefaultDataConverter().ToPayload(s.input)
	if err != nil {
		return fmt.Errorf("encode the input of schedule %s: %w", s.id, err)
	}
	err = c.ScheduleClient().GetHandle(ctx, s.id).Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		cur := u.Description.Schedule
		if s.upToDate(cur, want) {
			return nil, temporal.ErrSkipScheduleUpdate
		}
		cur.Spec = &spec
		cur.Action = action
		if cur.Policy == nil {
			cur.Policy = &client.SchedulePolicies{}
		}
		cur.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
		cur.Policy.CatchupWindow = s.catchup
		return &client.ScheduleUpdate{Schedule: &cur}, nil
	}})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", s.id, err)
	}
	return nil
}

// upToDate compares what the configuration decides with a schedule's
// description.
func (s intervalSchedule) upToDate(cur client.Schedule, input *commonpb.Payload) bool {
	if cur.Spec == nil || len(cur.Spec.Intervals) != 1 || cur.Spec.Intervals[0].Every != s.every || cur.Spec.Intervals[0].Offset != 0 ||
		len(cur.Spec.Calendars) > 0 || len(cur.Spec.CronExpressions) > 0 {
		return false
	}
	if cur.Policy == nil || cur.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP || cur.Policy.CatchupWindow != s.catchup {
		return false
	}
	a, ok := cur.Action.(*client.ScheduleWorkflowAction)
	if !ok || a.TaskQueue != s.queue || a.Workflow != s.workflow || a.WorkflowExecutionTimeout != s.timeout || len(a.Args) != 1 {
		return false
	}
	p, ok := a.Args[0].(*commonpb.Payload)
	return ok && bytes.Equal(p.GetData(), input.GetData())
}
