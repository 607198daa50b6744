package cli

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"time"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/store"
)

// Ingest resolves actors once per actor key, not once per event: every
// record gets a key in the cloudtrail table's actorkey column, and the
// actors table holds one row per key. A record whose actor depends on
// nothing but its userIdentity (identity.Event.PrincipalOnly: nearly all)
// is keyed by a hash of its userIdentity text, so a session's thousands
// of calls share one key; the others (credential-issuing calls, requested
// source identities, ...) by a hash of their whole text. The
// cloudtrail_actors view joins the two tables.
//
// Because an ingest reads its whole input before it finishes, keys that
// follow issued credentials are resolved at the end, with every credential
// the input issued, whatever order the files came in: inputs are read in
// walk order, partition by partition, as without actors.

// Kinds of actor key, hashed first so that the two kinds never meet.
const (
	principalKey byte = iota
	eventKey
)

// keyedEvent is an event for the actor stage and the key of its actor.
type keyedEvent struct {
	key       int64
	principal bool // a principal's key, not an event's
	ev        identity.Event
}

// maxSeenPrincipals bounds the userIdentity texts a worker remembers the
// keys of; past it they are forgotten (and their events parsed again).
const maxSeenPrincipals = 1 << 12

// actorKeyer gives records their actor keys on one ingest worker, and
// keeps, for the actor stage, one event of each key it has not seen
// before. One goroutine uses it.
type actorKeyer struct {
	h      maphash.Hash
	member func(i int) []byte // the members of the record WriteRaw is taking
	record func() []byte      // its text
	ui     int                // the index of userIdentity among identity.MemberKeys
	seen   map[string]int64   // userIdentity text → key, for principal-only records
	mp     identity.MemberParser
	jp     fastjson.Parser
	buf    []byte
	events []keyedEvent // for the actor stage
}

func newActorKeyer(seed maphash.Seed, member func(i int) []byte, record func() []byte) *actorKeyer {
	k := &actorKeyer{member: member, record: record, ui: slices.Index(identity.MemberKeys[:], "userIdentity"), seen: map[string]int64{}}
	k.h.SetSeed(seed)
	return k
}

func (k *actorKeyer) hash(kind byte, b []byte) int64 {
	k.h.Reset()
	k.h.WriteByte(kind)
	k.h.Write(b)
	return int64(k.h.Sum64())
}

// key is store.CloudTrailWriter.ActorKey: the key of the record v, or of
// the one WriteRaw is taking when v is nil.
func (k *actorKeyer) key(v *fastjson.Value) (int64, bool) {
	if v != nil { // records the writer parsed: rare
		ev := identity.ParseEvent(v)
		var key int64
		ui := v.Get("userIdentity")
		principal := ui != nil && ev.PrincipalOnly()
		if principal {
			// Not remembered: the parse's text of it differs from the raw
			// text other records are keyed by; the keys just resolve alike.
			k.buf = ui.MarshalTo(k.buf[:0])
			key = k.hash(principalKey, k.buf)
		} else {
			k.buf = v.MarshalTo(k.buf[:0])
			key = k.hash(eventKey, k.buf)
		}
		k.events = append(k.events, keyedEvent{key, principal, ev})
		return key, true
	}
	ui := k.member(k.ui)
	if ui != nil && identity.PrincipalOnly(k.member) {
		if key, ok := k.seen[string(ui)]; ok {
			return key, true
		}
	}
	ev, ok := k.mp.Parse(k.member)
	if !ok {
		v, err := k.jp.ParseBytes(k.record())
		if err != nil { // the writer takes only valid JSON
			return 0, false
		}
		ev = identity.ParseEvent(v)
	}
	var key int64
	principal := ui != nil && ev.PrincipalOnly()
	if principal {
		key = k.hash(principalKey, ui)
		if len(k.seen) >= maxSeenPrincipals {
			clear(k.seen)
		}
		k.seen[string(ui)] = key
	} else {
		key = k.hash(eventKey, k.record())
	}
	k.events = append(k.events, keyedEvent{key, principal, ev})
	return key, true
}

// maxHeldActors bounds the keys the actor stage holds for the end of the
// input; past it the oldest held is resolved with what has been read so
// far. Each costs about 1 KB.
const maxHeldActors = 1 << 18

// actorRowBatch is how many actor rows are written at once.
const actorRowBatch = 1024

// actorStage resolves actor keys and writes the actors table. It records
// the credentials every event hands out as it arrives; a key whose
// principal used no access key resolves at once, the others when the
// whole input has been read. One goroutine uses it.
type actorStage struct {
	r     *identity.Resolver
	w     *store.ActorWriter
	keys  map[int64]struct{} // keys resolved or held
	held  []keyedEvent       // from start on, in arrival order
	start int
	// maxHeld bounds the held keys (maxHeldActors); forced counts the
	// keys resolved before the end because of it.
	maxHeld, forced int
	rows            []store.ActorRow
	err             error
}

func newActorStage(w *store.ActorWriter) *actorStage {
	return &actorStage{r: identity.NewResolver(identity.BatchConfig()), w: w, keys: map[int64]struct{}{}, maxHeld: maxHeldActors}
}

// add takes an event and its key from a worker.
func (a *actorStage) add(ke *keyedEvent) {
	if ke.ev.Issue != nil {
		a.r.Observe(&ke.ev)
	}
	if _, ok := a.keys[ke.key]; ok {
		return
	}
	a.keys[ke.key] = struct{}{}
	if !ke.ev.NeedsCredentials() {
		a.resolve(ke)
		return
	}
	a.held = append(a.held, *ke)
	if len(a.held)-a.start > a.maxHeld {
		a.resolve(&a.held[a.start])
		a.held[a.start] = keyedEvent{}
		a.start++
		a.forced++
		if a.start > len(a.held)/2 {
			a.held = a.held[:copy(a.held, a.held[a.start:])]
			a.start = 0
		}
	}
}

// resolve writes the rows of a key. An event's key, or a principal's
// whose access key no event issued, has one row; a principal's whose
// access key was issued has one for its records inside the credentials'
// lifetime and one for those outside (used before issue or after expiry),
// as Resolve of each record would answer (see identity.Resolver.Lifetime).
func (a *actorStage) resolve(ke *keyedEvent) {
	var from, until time.Time
	issued := false
	if ke.principal { // an event's own key resolves with its own time
		from, until, issued = a.r.Lifetime(ke.ev.Principal.AccessKeyID)
	}
	if !issued || (from.IsZero() && until.IsZero()) {
		actor := a.r.Resolve(&ke.ev)
		a.addRow(actorRow(ke.key, &actor))
		return
	}
	ev := ke.ev
	lifetime := func(r store.ActorRow, inside bool) store.ActorRow {
		r.InLifetime = &inside
		if !from.IsZero() {
			us := from.UnixMicro()
			r.LifetimeStart = &us
		}
		if !until.IsZero() {
			us := until.UnixMicro()
			r.LifetimeEnd = &us
		}
		return r
	}
	ev.Time = from // inside; and outside, just before or after it
	if from.IsZero() {
		ev.Time = until
	}
	inside := a.r.Resolve(&ev)
	if from.IsZero() {
		ev.Time = until.Add(time.Second)
	} else {
		ev.Time = from.Add(-time.Second)
	}
	outside := a.r.Resolve(&ev)
	a.addRow(lifetime(actorRow(ke.key, &inside), true))
	a.addRow(lifetime(actorRow(ke.key, &outside), false))
}

func (a *actorStage) addRow(r store.ActorRow) {
	a.rows = append(a.rows, r)
	if len(a.rows) == actorRowBatch {
		a.flush()
	}
}

func (a *actorStage) flush() {
	if a.err == nil && len(a.rows) > 0 {
		a.err = a.w.Write(a.rows)
	}
	clear(a.rows)
	a.rows = a.rows[:0]
}

// finish resolves the held keys, writes the last rows and finishes the
// file.
func (a *actorStage) finish() error {
	for i := a.start; i < len(a.held); i++ {
		a.resolve(&a.held[i])
	}
	a.held, a.start = nil, 0
	a.flush()
	if err := a.w.Close(); err != nil && a.err == nil {
		a.err = err
	}
	if a.err != nil {
		return fmt.Errorf("actors: %w", a.err)
	}
	return nil
}

func actorRow(key int64, a *identity.Actor) store.ActorRow {
	r := store.ActorRow{
		ActorKey:      key,
		PrincipalType: a.Principal.Type, PrincipalARN: a.Principal.ARN, AccessKeyID: a.Principal.AccessKeyID,
		Who: a.Who(), OriginType: a.Origin.Type, OriginName: a.Origin.Name, OriginARN: a.Origin.ARN,
		OriginAccountID: a.Origin.AccountID, OriginID: a.Origin.ID, PermissionSet: a.Origin.PermissionSet,
		Method: string(a.Method), SourceIdentity: a.SourceIdentity, ChainLength: int32(len(a.Chain)),
	}
	if len(a.Chain) > 0 {
		if b, err := json.Marshal(a.Chain); err == nil {
			r.Chain = string(b)
		}
	}
	return r
}
