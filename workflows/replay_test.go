package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// historyName is <WorkflowType>-<WorkflowID>-<run id prefix>.json.
var historyName = regexp.MustCompile(`^[A-Za-z]+-(.+)-[0-9a-f]{8}\.json$`)

// TestReplayRecordedHistories replays histories recorded from earlier
// versions of the workflows (testdata/histories, written by the e2e test
// TestRecordHistories) against the current code. A change of workflow logic
// that is not behind workflow.GetVersion makes runs that are in flight when
// a worker is upgraded fail with a non-determinism error; this catches it.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			m := historyName.FindStringSubmatch(filepath.Base(f))
			if m == nil {
				t.Fatalf("%s: name is not <type>-<workflow id>-<run>.json", f)
			}
			r, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			h, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rp := worker.NewWorkflowReplayer()
			Register(rp)
			// The workflow ID matters: customers pick their lane shard by it.
			opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: m[1]}}
			if err := rp.ReplayWorkflowHistoryWithOptions(nil, h, opts); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
