package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/reconcile"
)

func reconcileEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Reconcile, workflowOptions(names.WorkflowReconcile))
	env.RegisterActivity(&activities.Reconciler{})
	return env
}

func TestReconcileRunsTheActivityAtTheLowestPriorityAndReturnsItsSummary(t *testing.T) {
	env := reconcileEnv()
	var got activities.ReconcileRequest
	var info activity.Info
	want := reconcile.Summary{Mismatches: 2, Heal: true, Healed: 1, Files: reconcile.Files{JSON: "/r/a.json"},
		Report: reconcile.Report{Counts: map[reconcile.Kind]int{reconcile.KindMissing: 1, reconcile.KindOnlyInDotdigital: 1},
			Items:           []reconcile.Item{{Kind: reconcile.KindMissing, Key: "ann@example.com"}, {Kind: reconcile.KindOnlyInDotdigital, Key: "ghost@example.com"}},
			MaxItemsPerKind: 20}}
	env.OnActivity(reconcileActivities.Reconcile, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, req activities.ReconcileRequest) (reconcile.Summary, error) {
			got, info = req, activity.GetInfo(ctx)
			return want, nil
		})
	env.ExecuteWorkflow(names.WorkflowReconcile, ReconcileInput{Heal: true})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var sum reconcile.Summary
	require.NoError(t, env.GetWorkflowResult(&sum))
	require.Equal(t, want.Mismatches, sum.Mismatches)
	require.Equal(t, "ann@example.com", sum.Report.Items[0].Key)
	require.True(t, got.Heal)
	require.Equal(t, "dotdigital-api", info.TaskQueue, "it reads Dotdigital: the rate-limited queue")
	require.Equal(t, ReconcileHeartbeat, info.HeartbeatTimeout)
	require.Equal(t, ReconcileStartToClose, info.StartToCloseTimeout)
	// The test environment does not carry priorities into activity.Info.
	require.Equal(t, PriorityBulk, reconcileActivityOptions(Settings{}.WithDefaults()).Priority.PriorityKey, "the lowest priority")
}

func TestReconcileFailsAfterItsAttempts(t *testing.T) {
	env := reconcileEnv()
	attempts := 0
	env.OnActivity(reconcileActivities.Reconcile, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.ReconcileRequest) (reconcile.Summary, error) {
			attempts++
			return reconcile.Summary{}, temporal.NewApplicationError("odoo down", "Transient")
		})
	env.ExecuteWorkflow(names.WorkflowReconcile, ReconcileInput{})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, reconcileAttempts, attempts)
}

func TestReconcileDetailsIsTheReadableSummary(t *testing.T) {
	sum := reconcile.Summary{Mismatches: 1, Files: reconcile.Files{JSON: "/reports/r.json"},
		Report: reconcile.Report{Counts: map[reconcile.Kind]int{reconcile.KindFieldMismatch: 1},
			Items:           []reconcile.Item{{Kind: reconcile.KindFieldMismatch, Key: "bo@example.com", Fields: []reconcile.FieldDiff{{Name: "FIRSTNAME", Odoo: `"Bo"`, Dotdigital: `"B"`}}}},
			MaxItemsPerKind: 20}}
	d := ReconcileDetails(sum)
	require.Contains(t, d, "field_mismatch")
	require.Contains(t, d, `bo@example.com  FIRSTNAME odoo="Bo" dotdigital="B"`)
	require.Contains(t, d, "/reports/r.json")
	require.Contains(t, d, "run with --heal")
}
