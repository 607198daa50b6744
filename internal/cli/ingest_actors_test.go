package cli

import (
	"fmt"
	"hash/maphash"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/store"
)

// beginRun opens a store in a temporary directory and begins an ingest.
func beginRun(tb testing.TB) (*store.Store, *store.Run) {
	tb.Helper()
	st, err := store.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	run, err := st.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	return st, run
}

// TestActorStageHeldBound: keys that wait for the end are bounded; past
// the bound the oldest is resolved early and counted, duplicates of a key
// add no row, and every key gets its rows (two for a principal whose
// issued key is known: inside and outside its lifetime).
func TestActorStageHeldBound(t *testing.T) {
	st, run := beginRun(t)
	w, err := store.NewActorWriter(st, run)
	if err != nil {
		t.Fatal(err)
	}
	a := newActorStage(w)
	a.maxHeld = 3
	t0 := time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC)
	user := identity.Principal{Type: identity.TypeIAMUser, ARN: "arn:aws:iam::111122223333:user/alice", AccountID: "111122223333", UserName: "alice", AccessKeyID: "AKIAALICE"}
	// alice's AssumeRole issues ASIA0; principals using ASIA0..ASIA9 wait.
	issue := keyedEvent{key: 100, ev: identity.Event{ID: "issue", Name: "AssumeRole", Time: t0, TimeText: t0.Format(time.RFC3339), Principal: user,
		Issue: &identity.Issuance{AccessKeyID: "ASIA0", ARN: "arn:aws:sts::111122223333:assumed-role/R/s", Expiration: t0.Add(time.Hour)}}}
	a.add(&issue)
	for i := range 10 {
		ke := keyedEvent{key: int64(i), principal: true, ev: identity.Event{ID: fmt.Sprint(i), Time: t0.Add(time.Minute), Principal: identity.Principal{
			Type: identity.TypeAssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/R/s", RoleName: "R", SessionName: "s", AccessKeyID: fmt.Sprintf("ASIA%d", i)}}}
		a.add(&ke)
		a.add(&ke) // a duplicate adds nothing
	}
	if a.forced != 11-3 { // the issuing call used a key too
		t.Errorf("forced %d, want 8", a.forced)
	}
	if err := a.finish(); err != nil {
		t.Fatal(err)
	}
	a.w.AddTo(run)
	rows, err := parquet.ReadFile[store.ActorRow](st.TempPath(run.Files[store.TableActors][0]))
	if err != nil {
		t.Fatal(err)
	}
	// issue: 1 row (alice, direct); key 0: 2 rows (key-chain inside,
	// session-name outside); keys 1..9: 1 row each (ASIAn unknown).
	if len(rows) != 1+2+9 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	for _, r := range rows {
		switch {
		case r.ActorKey == 0 && r.InLifetime != nil && *r.InLifetime:
			if r.Method != "key-chain" || r.OriginName != "alice" || r.LifetimeStart == nil || *r.LifetimeStart != t0.Add(-5*time.Minute).UnixMicro() {
				t.Errorf("key 0 inside: %+v", r)
			}
		case r.ActorKey == 0:
			if r.InLifetime == nil || r.Method == "key-chain" || *r.LifetimeEnd != t0.Add(65*time.Minute).UnixMicro() {
				t.Errorf("key 0 outside: %+v", r)
			}
		case r.InLifetime != nil || r.Method == "key-chain":
			t.Errorf("key %d: %+v", r.ActorKey, r)
		}
	}
}

// FuzzActorKeys: a record the writer takes from its text gets a key
// through the keyer without a panic, the same text gets the same key
// again, a principal-only record's repeat needs no second event (when
// the no-parse check can tell), and the
// actor stage resolves whatever the keyer handed on.
func FuzzActorKeys(f *testing.F) {
	for _, r := range []string{
		`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","accessKeyId":"ASIA1"},"eventTime":"2025-03-02T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"e1","recipientAccountId":"1"}`,
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","accessKeyId":"AKIA1"},"eventTime":"2025-03-02T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","requestParameters":{"sourceIdentity":"a"},"responseElements":{"credentials":{"accessKeyId":"ASIA1","expiration":"Mar 2, 2025, 11:00:00 AM"}},"eventID":"e2"}`,
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"eventTime":"2025-03-02T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"Console\u004cogin","additionalEventData":{"MFAUsed":"Yes"},"eventID":"e3"}`,
		`{"eventVersion":"1.08","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u"}},"eventTime":"x","eventSource":"sso.amazonaws.com","eventName":"X"}`,
	} {
		f.Add([]byte(r))
	}
	st, run := beginRun(f)
	seed := maphash.MakeSeed()
	f.Fuzz(func(t *testing.T, rec []byte) {
		ct, err := store.NewCloudTrailWriter(st, run, "0")
		if err != nil {
			t.Fatal(err)
		}
		defer ct.Close()
		k := newIngestWriters(ct, nil)
		k.keys = newActorKeyer(seed, k.member, ct.Last)
		var keys []int64
		ct.ActorKey = func(v *fastjson.Value) (int64, bool) {
			key, ok := k.keys.key(v)
			if ok {
				keys = append(keys, key)
			}
			return key, ok
		}
		if n, err := ct.WriteRaw(rec); n == 0 || err != nil {
			return // not taken from its text
		}
		handed := len(k.keys.events)
		if n, err := ct.WriteRaw(rec); n == 0 || err != nil {
			t.Fatalf("%q taken once, not twice: %v", rec, err)
		}
		if len(keys) != 2 || keys[0] != keys[1] {
			t.Fatalf("%q: keys %v", rec, keys)
		}
		if handed != 1 {
			t.Fatalf("%q: %d events handed on for one record", rec, handed)
		}
		// (unless the no-parse check cannot tell, e.g. for an escaped name)
		if k.keys.events[0].principal && len(k.keys.events) != 1 && identity.PrincipalOnly(k.member) {
			t.Fatalf("%q: the repeat of a principal-only record was handed on", rec)
		}
		aw, err := store.NewActorWriter(st, run)
		if err != nil {
			t.Fatal(err)
		}
		a := newActorStage(aw)
		for i := range k.keys.events {
			a.add(&k.keys.events[i])
		}
		if err := a.finish(); err != nil {
			t.Fatal(err)
		}
	})
}
