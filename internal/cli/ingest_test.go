package cli

import (
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/store"
)

// TestActorPartitions: the memo gives each event the partition of its
// account (or its principal's), region and UTC date, whatever came before.
func TestActorPartitions(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	evs := []identity.Event{
		{AccountID: "111122223333", Region: "eu-west-1", Time: at("2025-03-01T23:59:59Z")},
		{AccountID: "111122223333", Region: "eu-west-1", Time: at("2025-03-02T00:00:00Z")},
		{AccountID: "111122223333", Region: "eu-west-1", Time: at("2025-03-02T01:00:00+02:00")}, // 2025-03-01 UTC
		{AccountID: "111122223333", Region: "eu-west-1"},                                        // no time
		{AccountID: "111122223333", Region: "eu-west-1", Time: at("2025-03-02T00:00:00Z")},
		{Region: "us-east-1", Time: at("2025-03-02T00:00:00Z"), Principal: identity.Principal{AccountID: "444455556666"}},
		{Region: "us east 1", Time: at("2025-03-02T00:00:00Z")},
		{AccountID: "111122223333", Time: at("2025-03-02T00:00:00Z")},
	}
	var memo actorPartitions
	for i, ev := range append(evs, evs...) {
		account := ev.AccountID
		if account == "" {
			account = ev.Principal.AccountID
		}
		want := store.Partition{Account: account, Region: ev.Region, Date: "unknown"}
		if !ev.Time.IsZero() {
			want.Date = ev.Time.UTC().Format(time.DateOnly)
		}
		if got := memo.of(&ev); got != want.Clean() {
			t.Errorf("event %d: %+v, want %+v", i, got, want.Clean())
		}
	}
}
