package audit

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/resource"
)

// tags is a Lookup over fixed values, with one tag that changes at a time.
func tags(t0 time.Time) Lookup {
	return func(arn, key string, at time.Time) TagValue {
		if key != "service" {
			return TagValue{}
		}
		switch arn {
		case "arn:aws:iam::111122223333:role/billing-app":
			return TagValue{"billing", true, "snapshot"}
		case "arn:aws:iam::111122223333:user/alice":
			return TagValue{"search", true, "snapshot"}
		case "arn:aws:s3:::billing-data":
			return TagValue{"billing", true, "snapshot"}
		case "arn:aws:s3:::search-index":
			return TagValue{"search", true, "assumed"}
		case "arn:aws:dynamodb:us-east-1:111122223333:table/shared":
			// Retagged from search to billing at t0.
			if at.Before(t0) {
				return TagValue{"search", true, "event"}
			}
			return TagValue{"billing", true, "event"}
		}
		return TagValue{}
	}
}

func TestAudit(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := New("service", tags(t0))
	role := "arn:aws:iam::111122223333:role/billing-app"
	evs := []Event{
		// billing reads billing: fine.
		{ID: "e1", Time: t0.Add(-2 * time.Hour), Name: "GetObject", Who: "billing-app", Principal: role,
			Resources: []resource.Ref{{ARN: "arn:aws:s3:::billing-data/k", Type: "s3:object", Parent: "arn:aws:s3:::billing-data"}}},
		// billing reads search's bucket (object falls back to its bucket).
		{ID: "e2", Time: t0.Add(-time.Hour), Name: "GetObject", Who: "billing-app", Principal: role,
			Resources: []resource.Ref{{ARN: "arn:aws:s3:::search-index/a", Type: "s3:object", Parent: "arn:aws:s3:::search-index"}}},
		{ID: "e3", Time: t0.Add(-30 * time.Minute), Name: "PutObject", Who: "billing-app", Principal: role,
			Resources: []resource.Ref{{ARN: "arn:aws:s3:::search-index/a", Type: "s3:object", Parent: "arn:aws:s3:::search-index"}}},
		// The table was search's before t0 and billing's after.
		{ID: "e4", Time: t0.Add(-time.Minute), Name: "GetItem", Who: "billing-app", Principal: role,
			Resources: []resource.Ref{{ARN: "arn:aws:dynamodb:us-east-1:111122223333:table/shared", Type: "dynamodb:table"}}},
		{ID: "e5", Time: t0.Add(time.Minute), Name: "GetItem", Who: "billing-app", Principal: role,
			Resources: []resource.Ref{{ARN: "arn:aws:dynamodb:us-east-1:111122223333:table/shared", Type: "dynamodb:table"}}},
		// A session tag overrides the role's own tag.
		{ID: "e6", Time: t0, Name: "GetObject", Who: "billing-app", Principal: role, SessionTags: map[string]string{"service": "search"},
			Resources: []resource.Ref{{ARN: "arn:aws:s3:::search-index/b", Type: "s3:object", Parent: "arn:aws:s3:::search-index"}}},
		// An untagged role falls back on its origin (alice, search).
		{ID: "e7", Time: t0, Name: "GetObject", Who: "alice via ops", Principal: "arn:aws:iam::111122223333:role/ops", Origin: "arn:aws:iam::111122223333:user/alice",
			Resources: []resource.Ref{{ARN: "arn:aws:s3:::billing-data/x", Type: "s3:object", Parent: "arn:aws:s3:::billing-data"}}},
		// Nobody's tag: coverage.
		{ID: "e8", Time: t0, Name: "GetObject", Who: "bob", Principal: "arn:aws:iam::111122223333:user/bob",
			Resources: []resource.Ref{{ARN: "arn:aws:s3:::billing-data/x", Type: "s3:object", Parent: "arn:aws:s3:::billing-data"}}},
		{ID: "e9", Time: t0, Name: "GetObject", Who: "billing-app", Principal: role,
			Resources: []resource.Ref{{ARN: "arn:aws:s3:::untagged/x", Type: "s3:object", Parent: "arn:aws:s3:::untagged"}}},
	}
	for i := range evs {
		a.Observe(&evs[i])
	}
	r := a.Report()
	type row struct {
		principal, resource string
		events              int
		examples            string
	}
	var got []row
	for _, f := range r.Findings {
		ex, _ := json.Marshal(f.Examples)
		got = append(got, row{f.Principal + "=" + f.PrincipalValue + "(" + f.PrincipalFrom + ")", f.Resource + "=" + f.ResourceValue, f.Events, string(ex)})
	}
	want := []row{
		{role + "=billing(principal)", "arn:aws:s3:::search-index=search", 2, `["e2","e3"]`}, // objects judged by their bucket, reported under it
		{role + "=billing(principal)", "arn:aws:dynamodb:us-east-1:111122223333:table/shared=search", 1, `["e4"]`},
		{"arn:aws:iam::111122223333:role/ops=search(origin)", "arn:aws:s3:::billing-data=billing", 1, `["e7"]`},
	}
	if len(got) != len(want) {
		t.Fatalf("findings\n got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d\n got %v\nwant %v", i, got[i], want[i])
		}
	}
	if f := r.Findings[0]; fmt.Sprint(f.Objects) != "[arn:aws:s3:::search-index/a]" {
		t.Errorf("example objects %v", f.Objects)
	}
	if r.Events != 9 || r.Judged != 7 {
		t.Errorf("events %d judged %d", r.Events, r.Judged)
	}
	if r.Coverage.PrincipalsWithout["arn:aws:iam::111122223333:user/bob"] != 1 || r.Coverage.ResourcesWithout["arn:aws:s3:::untagged"] != 1 {
		t.Errorf("coverage %+v", r.Coverage)
	}
}
