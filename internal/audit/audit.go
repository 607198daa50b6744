// Package audit finds cross-tag access: events whose acting principal
// carries a tag KEY=v and that touched a resource carrying KEY=w with w ≠ v
// (a principal of one service or tenant touching another's resources),
// judged by the tags in force at each event's time.
package audit

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/resource"
)

// Basis says what a tag value rests on: "event" (a tagging call in the
// logs), "snapshot" (an inventory taken before the event), "assumed" (a
// later snapshot, with nothing saying the tag changed since), "session"
// (a session tag of the credentials).
type Basis string

// TagValue is a tag's value on an ARN at a time; Present is false when the
// ARN is known not to carry the key, or nothing is known (Basis "").
type TagValue struct {
	Value   string
	Present bool
	Basis   Basis
}

// Lookup returns the value of key on arn at t.
type Lookup func(arn, key string, t time.Time) TagValue

// Event is what the audit needs of one CloudTrail event.
type Event struct {
	ID   string
	Time time.Time
	Name string // eventSource-less eventName, for the report
	// Who names the actor for people (identity.Actor.Who()).
	Who string
	// Principal is the ARN whose own tags apply: the IAM user, or the
	// role behind an assumed-role session.
	Principal string
	// Origin is the ARN at the root of the credential chain (an IAM user
	// who assumed the role), "" when it is the principal itself.
	Origin string
	// SessionTags are the session's tags (they override the principal's,
	// as for aws:PrincipalTag).
	SessionTags map[string]string
	Resources   []resource.Ref
}

// Finding is one principal → resource pair with mismatching tags.
type Finding struct {
	Who            string    `json:"who"`
	Principal      string    `json:"principal"`
	PrincipalValue string    `json:"principalValue"`
	PrincipalFrom  string    `json:"principalTagFrom"` // session, principal, origin
	PrincipalBasis Basis     `json:"principalBasis"`
	Resource       string    `json:"resource"`
	ResourceType   string    `json:"resourceType"`
	ResourceValue  string    `json:"resourceValue"`
	ResourceBasis  Basis     `json:"resourceBasis"`
	Events         int       `json:"events"`
	First          time.Time `json:"first"`
	Last           time.Time `json:"last"`
	EventNames     []string  `json:"eventNames"`
	Examples       []string  `json:"exampleEventIDs"`
	// Objects are example children (S3 object ARNs) that carry no tag of
	// their own and were judged by this resource's.
	Objects []string `json:"exampleObjects,omitempty"`
}

// Coverage lists what the audit could not judge: principals and resources
// without the key, with how many events involved them.
type Coverage struct {
	PrincipalsWithout map[string]int `json:"principalsWithoutKey"`
	ResourcesWithout  map[string]int `json:"resourcesWithoutKey"`
}

// Report is the audit's answer.
type Report struct {
	Key      string    `json:"tagKey"`
	Events   int       `json:"events"`
	Judged   int       `json:"eventsJudged"` // principal and at least one resource had the key
	Findings []Finding `json:"findings"`
	Coverage Coverage  `json:"coverage"`
}

// maxExamples bounds the example event IDs kept per finding.
const maxExamples = 3

// Auditor accumulates events. It is not safe for concurrent use.
type Auditor struct {
	Key    string
	Lookup Lookup

	findings map[[2]string]*Finding
	rep      Report
}

// New returns an Auditor for key.
func New(key string, lookup Lookup) *Auditor {
	return &Auditor{Key: key, Lookup: lookup, findings: map[[2]string]*Finding{},
		rep: Report{Key: key, Coverage: Coverage{PrincipalsWithout: map[string]int{}, ResourcesWithout: map[string]int{}}}}
}

// PrincipalValue is the value of the key for the event's principal: a
// session tag, else the principal's own tag, else its origin's.
func (a *Auditor) PrincipalValue(ev *Event) (value, from string, basis Basis, ok bool) {
	if v, has := ev.SessionTags[a.Key]; has {
		return v, "session", "session", true
	}
	if ev.Principal != "" {
		if tv := a.Lookup(ev.Principal, a.Key, ev.Time); tv.Present {
			return tv.Value, "principal", tv.Basis, true
		}
	}
	if ev.Origin != "" && ev.Origin != ev.Principal {
		if tv := a.Lookup(ev.Origin, a.Key, ev.Time); tv.Present {
			return tv.Value, "origin", tv.Basis, true
		}
	}
	return "", "", "", false
}

// ResourceValue is the value of the key on a resource, or on its parent
// (an S3 object's bucket) when it has none of its own; owner is the ARN
// the value belongs to.
func (a *Auditor) ResourceValue(r resource.Ref, t time.Time) (tv TagValue, owner string) {
	tv = a.Lookup(r.ARN, a.Key, t)
	if !tv.Present && r.Parent != "" {
		if p := a.Lookup(r.Parent, a.Key, t); p.Present {
			return p, r.Parent
		}
	}
	return tv, r.ARN
}

// Observe judges one event.
func (a *Auditor) Observe(ev *Event) {
	a.rep.Events++
	if len(ev.Resources) == 0 {
		return
	}
	pv, from, pbasis, ok := a.PrincipalValue(ev)
	if !ok {
		name := ev.Principal
		if name == "" {
			name = ev.Who
		}
		a.rep.Coverage.PrincipalsWithout[name]++
		return
	}
	judged := false
	counted := map[string]bool{} // owners judged for this event: an object and its bucket count once
	for _, r := range ev.Resources {
		if r.ARN == ev.Principal {
			continue // acting on itself
		}
		tv, owner := a.ResourceValue(r, ev.Time)
		if !tv.Present {
			if r.Parent != "" {
				owner = r.Parent // an object and its bucket are one entry
			}
			if !counted[owner] {
				counted[owner] = true
				a.rep.Coverage.ResourcesWithout[owner]++
			}
			continue
		}
		judged = true
		if tv.Value == pv {
			continue
		}
		k := [2]string{ev.Principal + "\x00" + pv, owner}
		f := a.findings[k]
		if f == nil {
			typ := r.Type
			if owner != r.ARN {
				typ = ""
			}
			f = &Finding{Who: ev.Who, Principal: ev.Principal, PrincipalValue: pv, PrincipalFrom: from, PrincipalBasis: pbasis,
				Resource: owner, ResourceType: typ, ResourceValue: tv.Value, ResourceBasis: tv.Basis, First: ev.Time, Last: ev.Time}
			a.findings[k] = f
		}
		if owner != r.ARN && len(f.Objects) < maxExamples && !slices.Contains(f.Objects, r.ARN) {
			f.Objects = append(f.Objects, r.ARN)
		}
		if f.ResourceType == "" && owner == r.ARN {
			f.ResourceType = r.Type
		}
		if counted[owner] {
			continue
		}
		counted[owner] = true
		f.Events++
		if ev.Time.Before(f.First) {
			f.First = ev.Time
		}
		if ev.Time.After(f.Last) {
			f.Last = ev.Time
		}
		if ev.Name != "" && !slices.Contains(f.EventNames, ev.Name) {
			f.EventNames = append(f.EventNames, ev.Name)
		}
		if len(f.Examples) < maxExamples {
			f.Examples = append(f.Examples, ev.ID)
		}
	}
	if judged {
		a.rep.Judged++
	}
}

// Report returns the findings grouped by principal, then resource, most
// events first within a principal.
func (a *Auditor) Report() Report {
	r := a.rep
	r.Findings = make([]Finding, 0, len(a.findings))
	for _, f := range a.findings {
		sort.Strings(f.EventNames)
		r.Findings = append(r.Findings, *f)
	}
	sort.Slice(r.Findings, func(i, j int) bool {
		x, y := r.Findings[i], r.Findings[j]
		if x.Principal != y.Principal {
			return x.Principal < y.Principal
		}
		if x.Events != y.Events {
			return x.Events > y.Events
		}
		return strings.Compare(x.Resource, y.Resource) < 0
	})
	return r
}
