package names

import "testing"

func TestShardIDsRoundTrip(t *testing.T) {
	for _, shard := range []int{0, 7, 63, 4095} {
		if got, ok := LaneShardOf(LaneWorkflowID(shard)); !ok || got != shard {
			t.Errorf("lane shard %d: parsed %d, %v", shard, got, ok)
		}
		if got, ok := PartnerIndexShardOf(PartnerIndexWorkflowID(shard)); !ok || got != shard {
			t.Errorf("index shard %d: parsed %d, %v", shard, got, ok)
		}
	}
	for _, id := range []string{"", LaneWorkflowIDPrefix, LaneWorkflowIDPrefix + "-1", LaneWorkflowIDPrefix + "x", PartnerIndexWorkflowID(3), "customer-ab"} {
		if n, ok := LaneShardOf(id); ok {
			t.Errorf("%q parsed as lane shard %d", id, n)
		}
	}
}

func TestNonRetryableErrorsLeaveRetryableOnesOut(t *testing.T) {
	set := map[string]bool{}
	for _, e := range NonRetryableErrors() {
		set[e] = true
	}
	if set[ErrRateLimited] || set[ErrTransient] || !set[ErrNonRetryable] || !set[ErrOdooAuth] || !set[ErrDotdigitalAuth] {
		t.Errorf("non-retryable error types: %v", NonRetryableErrors())
	}
}
