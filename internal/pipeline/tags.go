package pipeline

import (
	"time"

	"github.com/trailwatch/trailwatch/internal/audit"
	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/inventory"
	"github.com/trailwatch/trailwatch/internal/resource"
)

// Tags adds the tag inventory to $.trailwatch (docs/inventory.md):
// principalTags, the acting principal's tags in force at the event (its
// origin's, overridden by its own, overridden by session tags), and with
// a key, crossTag: that key's value on the principal and on each resource
// the event touched, and whether they differ. Tagging calls in the stream
// refine the timeline as they pass, so a call counts from its event time
// on; changes later in the stream are not known yet (audit access, which
// reads the logs twice, knows them).
type Tags struct {
	tl  *inventory.Timeline
	key string
	aud *audit.Auditor
}

// NewTags returns the tag context over tl; key may be "".
func NewTags(tl *inventory.Timeline, key string) *Tags {
	t := &Tags{tl: tl, key: key}
	t.aud = audit.New(key, t.lookup)
	return t
}

func (t *Tags) lookup(arn, key string, at time.Time) audit.TagValue {
	v := t.tl.TagAt(arn, key, at)
	return audit.TagValue{Value: v.Value, Present: v.Present, Basis: audit.Basis(v.Basis)}
}

// CrossTag is $.trailwatch.crossTag.
type CrossTag struct {
	Key       string   `json:"key"`
	Principal string   `json:"principal"`
	Resources []string `json:"resources"`
	// Mismatch is true when the principal and a resource both carry the
	// key with different values.
	Mismatch bool `json:"mismatch"`
}

// PrincipalARN is the ARN whose own tags apply to the event's principal:
// the IAM user, or the role behind an assumed-role session.
func PrincipalARN(ev *identity.Event) string {
	p := ev.Principal
	if p.Type == identity.TypeAssumedRole && p.IssuerARN != "" {
		return p.IssuerARN
	}
	return p.ARN
}

// AuditEvent is what internal/audit needs of an event and its actor.
func AuditEvent(ev *identity.Event, act *identity.Actor, refs []resource.Ref) audit.Event {
	x := audit.Event{ID: ev.ID, Time: ev.Time, Name: ev.Name, Who: act.Who(), Principal: PrincipalARN(ev), Resources: refs}
	if o := act.Origin.ARN; o != "" && o != x.Principal {
		x.Origin = o
	}
	if n := len(act.Chain); n > 0 {
		x.SessionTags = act.Chain[n-1].SessionTags
	}
	return x
}

// judge fills the tag fields of $.trailwatch for one record, then feeds
// its tagging calls to the timeline.
func (t *Tags) judge(rec *cloudtrail.Record, ev *identity.Event, act *identity.Actor) (map[string]string, *CrossTag) {
	x := AuditEvent(ev, act, nil)
	tags := map[string]string{}
	if x.Origin != "" {
		for k, v := range t.tl.TagsAt(x.Origin, x.Time) {
			tags[k] = v
		}
	}
	for k, v := range t.tl.TagsAt(x.Principal, x.Time) {
		tags[k] = v
	}
	for k, v := range x.SessionTags {
		tags[k] = v
	}
	var cross *CrossTag
	if t.key != "" {
		cross = &CrossTag{Key: t.key, Resources: []string{}}
		pv, _, _, ok := t.aud.PrincipalValue(&x)
		if ok {
			cross.Principal = pv
		}
		for _, r := range resource.Touched(rec.JSON) {
			if r.ARN == x.Principal {
				continue
			}
			if tv, _ := t.aud.ResourceValue(r, x.Time); tv.Present {
				cross.Resources = append(cross.Resources, tv.Value)
				if ok && tv.Value != pv {
					cross.Mismatch = true
				}
			}
		}
	}
	for _, c := range inventory.ParseTagChange(rec.JSON) {
		t.tl.Add(c)
	}
	return tags, cross
}
