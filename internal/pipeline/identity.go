package pipeline

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
)

// Identity connects internal/identity to a scan: every record feeds
// the resolver, matches carry the resolved actor, and patterns reading
// $.trailwatch see it. Resolution happens when a record is evaluated, so a
// key is followed when the event that issued it was read before its use or
// in the same batch of the same file (issuing records of a batch are
// observed before any record of it is evaluated); docs/identity.md.
type Identity struct {
	r *identity.Resolver
	// Tags, when set, adds the tag inventory to $.trailwatch.
	Tags *Tags

	// The record last resolved and its answer: the engine asks for the
	// actor and the extra root of one record, maybe more than once.
	rec   *cloudtrail.Record
	ev    identity.Event
	actor identity.Actor
	// The record about to be evaluated and its identity.Event, when a
	// decoding worker read it.
	nextRec *cloudtrail.Record
	nextEv  *identity.Event

	buf    bytes.Buffer
	parser fastjson.Parser
	pre    fastjson.Parser
}

func NewIdentity(cfg identity.Config) *Identity {
	return &Identity{r: identity.NewResolver(cfg)}
}

// IssuesCredentials picks the records ObserveRecord treats as issuing
// credentials, cheaply: a look at responseElements' keys.
func IssuesCredentials(v *fastjson.Value) bool {
	re := v.Get("responseElements")
	return re != nil && (re.Get("credentials") != nil || re.Get("roleCredentials") != nil)
}

// PreObserve records the credentials the records of a batch issue (raws
// are the records IssuesCredentials picked), before any record of the
// batch is evaluated: files list records in no promised order, and a key
// is often used before the AssumeRole that issued it.
func (s *Identity) PreObserve(raws [][]byte) {
	for _, raw := range raws {
		v, err := s.pre.ParseBytes(raw)
		if err != nil {
			continue // reported when the record is evaluated
		}
		s.r.ObserveRecord(&cloudtrail.Record{Raw: raw, JSON: v})
	}
}

// ObserveEvent records the credentials an event read on a worker issues.
func (s *Identity) ObserveEvent(ev *identity.Event) { s.r.Observe(ev) }

// ObserveTime feeds the event time of a record that issues nothing.
func (s *Identity) ObserveTime(t time.Time) { s.r.ObserveTime(t) }

// Next hands over the identity.Event of the record about to be evaluated
// when a decoding worker already read it (nil: read it when asked).
func (s *Identity) Next(rec *cloudtrail.Record, ev *identity.Event) {
	s.nextRec, s.nextEv = rec, ev
}

func (s *Identity) resolve(rec *cloudtrail.Record) *identity.Actor {
	if s.rec != rec {
		ev := s.nextEv
		if ev == nil || s.nextRec != rec {
			e := identity.FromRecord(rec)
			ev = &e
		}
		s.actor = s.r.Resolve(ev)
		s.rec, s.ev = rec, *ev
	}
	return &s.actor
}

// Actor is an engine.ActorFunc.
func (s *Identity) Actor(rec *cloudtrail.Record) any {
	a := *s.resolve(rec)
	return Actor{a}
}

// Actor is identity.Actor as a scan reports it; Who names it in
// notifications (engine.Describer).
type Actor struct{ identity.Actor }

var _ engine.Describer = Actor{}

// MarshalJSON leaves out what the match line already says (event ID, time
// and name) and adds the one-line answer.
func (a Actor) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Who            string                `json:"who"`
		Principal      identity.PrincipalRef `json:"principal"`
		Origin         identity.Origin       `json:"origin"`
		SourceIdentity string                `json:"sourceIdentity"`
		Method         identity.Method       `json:"method"`
		Chain          []identity.Link       `json:"chain"`
		Evidence       []string              `json:"evidence,omitempty"`
	}{a.Who(), a.Principal, a.Origin, a.SourceIdentity, a.Method, a.Chain, a.Evidence})
}

// extraRoot is what $.trailwatch holds (docs/identity.md).
type extraRoot struct {
	Trailwatch struct {
		Origin         identity.Origin       `json:"origin"`
		Method         identity.Method       `json:"method"`
		SourceIdentity string                `json:"sourceIdentity"`
		Principal      identity.PrincipalRef `json:"principal"`
		ChainLength    int                   `json:"chainLength"`
		Who            string                `json:"who"`
		PrincipalTags  map[string]string     `json:"principalTags,omitempty"`
		CrossTag       *CrossTag             `json:"crossTag,omitempty"`
	} `json:"trailwatch"`
}

// Extra is an engine.ExtraFunc.
func (s *Identity) Extra(rec *cloudtrail.Record) *fastjson.Value {
	a := s.resolve(rec)
	var x extraRoot
	t := &x.Trailwatch
	t.Origin, t.Method, t.SourceIdentity, t.Principal, t.ChainLength, t.Who = a.Origin, a.Method, a.SourceIdentity, a.Principal, len(a.Chain), a.Who()
	if s.Tags != nil {
		t.PrincipalTags, t.CrossTag = s.Tags.judge(rec, &s.ev, a)
	}
	s.buf.Reset()
	if err := json.NewEncoder(&s.buf).Encode(&x); err != nil {
		return nil
	}
	v, err := s.parser.ParseBytes(s.buf.Bytes())
	if err != nil {
		return nil
	}
	return v
}
