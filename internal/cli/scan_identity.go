package cli

import (
	"bytes"
	"encoding/json"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
)

// scanIdentity connects internal/identity to a scan: every record feeds
// the resolver, matches carry the resolved actor, and patterns reading
// $.trailwatch see it. Resolution happens when a record is evaluated, so a
// key is followed when the event that issued it was read before its use or
// in the same batch of the same file (issuing records of a batch are
// observed before any record of it is evaluated); docs/identity.md.
type scanIdentity struct {
	r *identity.Resolver

	// The record last resolved and its answer: the engine asks for the
	// actor and the extra root of one record, maybe more than once.
	rec   *cloudtrail.Record
	actor identity.Actor

	buf    bytes.Buffer
	parser fastjson.Parser
	pre    fastjson.Parser
}

func newScanIdentity(cfg identity.Config) *scanIdentity {
	return &scanIdentity{r: identity.NewResolver(cfg)}
}

// issuesCredentials is a cheap test on the raw text for the records
// ObserveRecord treats as issuing credentials.
func issuesCredentials(raw []byte) bool {
	return bytes.Contains(raw, []byte(`"credentials"`)) || bytes.Contains(raw, []byte(`"roleCredentials"`))
}

// preObserve records the credentials the records of a batch issue, before
// any of them is evaluated: files list records in no promised order, and
// a key is often used before the AssumeRole that issued it.
func (s *scanIdentity) preObserve(raws [][]byte) (observed []bool) {
	observed = make([]bool, len(raws))
	for i, raw := range raws {
		if !issuesCredentials(raw) {
			continue
		}
		v, err := s.pre.ParseBytes(raw)
		if err != nil {
			continue // reported when the record is evaluated
		}
		s.r.ObserveRecord(&cloudtrail.Record{Raw: raw, JSON: v})
		observed[i] = true
	}
	return observed
}

// observe feeds a record the batch did not pre-observe.
func (s *scanIdentity) observe(rec *cloudtrail.Record) { s.r.ObserveRecord(rec) }

func (s *scanIdentity) resolve(rec *cloudtrail.Record) *identity.Actor {
	if s.rec != rec {
		ev := identity.FromRecord(rec)
		s.actor = s.r.Resolve(&ev)
		s.rec = rec
	}
	return &s.actor
}

// Actor is an engine.ActorFunc.
func (s *scanIdentity) Actor(rec *cloudtrail.Record) any {
	a := *s.resolve(rec)
	return scanActor{a}
}

// scanActor is identity.Actor as a scan reports it; Who names it in
// notifications (engine.Describer).
type scanActor struct{ identity.Actor }

var _ engine.Describer = scanActor{}

// MarshalJSON leaves out what the match line already says (event ID, time
// and name) and adds the one-line answer.
func (a scanActor) MarshalJSON() ([]byte, error) {
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
	} `json:"trailwatch"`
}

// Extra is an engine.ExtraFunc.
func (s *scanIdentity) Extra(rec *cloudtrail.Record) *fastjson.Value {
	a := s.resolve(rec)
	var x extraRoot
	t := &x.Trailwatch
	t.Origin, t.Method, t.SourceIdentity, t.Principal, t.ChainLength, t.Who = a.Origin, a.Method, a.SourceIdentity, a.Principal, len(a.Chain), a.Who()
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
