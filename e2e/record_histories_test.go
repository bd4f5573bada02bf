package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
)

// TestRecordHistories runs a few scenarios and writes the event history of
// every workflow they ran to RECORD_HISTORIES (a directory), as JSON the
// replayer reads. The replay tests in workflows/ replay those files against
// the current code, so a change of workflow logic that would break runs
// already in flight is caught. Skipped unless RECORD_HISTORIES is set.
func TestRecordHistories(t *testing.T) {
	dir := os.Getenv("RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set RECORD_HISTORIES=<dir> to record workflow histories for the replay tests")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	s := startStack(t, stackOptions{configure: func(c *config.Config) {
		c.Sync.IdleTimeout = 3 * time.Second
		c.Dotdigital.TasksPerSecond = 20
	}, ddOptions: ddemu.Options{Window: 5 * time.Second,
		Limits: map[ddemu.Tier]int{ddemu.TierLow: 20, ddemu.TierMedium: 12, ddemu.TierHigh: 5000}}})
	co := s.companies()

	// A guest with an order, then a cancellation and a VIP tag on and off.
	p := s.partner(map[string]any{"name": "Rec Guest", "email": "rec.guest@example.com"})
	o := s.order(p, co[0], 1, true)
	s.waitFields("rec.guest@example.com", map[string]any{"ORDER_COUNT": 1.0})
	vip := s.tag("VIP")
	s.write("res.partner", p, map[string]any{"category_id": []any{[]any{4, vip}}})
	s.waitFields("rec.guest@example.com", map[string]any{"IS_VIP": true})
	s.cancel(o)
	s.waitFields("rec.guest@example.com", map[string]any{"ORDER_COUNT": 0.0})
	s.write("res.partner", p, map[string]any{"category_id": []any{[]any{3, vip}}})
	s.waitFields("rec.guest@example.com", map[string]any{"IS_VIP": false})

	// An email change (handover) and a merge into another email.
	e := s.partner(map[string]any{"name": "Rec Change", "email": "rec.old@example.com"})
	s.order(e, co[0], 1, true)
	s.waitFields("rec.old@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.write("res.partner", e, map[string]any{"email": "rec.new@example.com"})
	s.waitFields("rec.new@example.com", map[string]any{"ORDER_COUNT": 1.0})
	m1 := s.partner(map[string]any{"name": "Rec Src", "email": "rec.src@example.com"})
	m2 := s.partner(map[string]any{"name": "Rec Dst", "email": "rec.dst@example.com"})
	s.order(m1, co[0], 1, true)
	s.order(m2, co[0], 1, true)
	s.waitFields("rec.src@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitFields("rec.dst@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.merge(m2, m1)
	s.waitFields("rec.dst@example.com", map[string]any{"ORDER_COUNT": 2.0})

	// A burst that pushes writes through the lane (bulk) and debounces profiles.
	for i := 0; i < 24; i++ {
		b := s.partner(map[string]any{"name": fmt.Sprintf("Rec Burst%d", i), "email": fmt.Sprintf("rec.burst%d@example.com", i)})
		s.order(b, co[i%2], 1, true)
		s.write("res.partner", b, map[string]any{"name": fmt.Sprintf("Rec Burst%d renamed", i)})
	}
	for i := 0; i < 24; i++ {
		s.waitFields(fmt.Sprintf("rec.burst%d@example.com", i), map[string]any{"ORDER_COUNT": 1.0, "LASTNAME": fmt.Sprintf("Burst%d renamed", i)})
	}
	// A rejected customer (blocked) and a forced resync.
	s.resync("rec.guest@example.com")
	time.Sleep(8 * time.Second) // idle customers close

	n := 0
	var token []byte
	for {
		resp, err := s.App.Client.ListWorkflow(s.ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.App.Config.Temporal.Namespace, NextPageToken: token, PageSize: 500})
		require.NoError(t, err)
		for _, ex := range resp.GetExecutions() {
			typ := ex.GetType().GetName()
			id, run := ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()
			var h historypb.History
			it := s.App.Client.GetWorkflowHistory(s.ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				require.NoError(t, err)
				h.Events = append(h.Events, ev)
			}
			b, err := protojson.MarshalOptions{Indent: " "}.Marshal(&h)
			require.NoError(t, err)
			name := fmt.Sprintf("%s-%s-%s.json", typ, strings.ReplaceAll(id, "/", "_"), run[:8])
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
			n++
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	t.Logf("recorded %d histories in %s", n, dir)
}
