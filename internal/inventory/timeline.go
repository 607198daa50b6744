package inventory

import (
	"sort"
	"strings"
	"time"
)

// Basis says what a tag value rests on.
const (
	BasisEvent    = "event"    // a tagging call in the logs before the event
	BasisSnapshot = "snapshot" // a snapshot taken at or before the event
	BasisAssumed  = "assumed"  // a later snapshot, nothing saying the tag changed in between
)

// Value is a tag's value on an ARN at a time. Present is false when the
// ARN is known not to carry the key (Basis set) or nothing is known
// (Basis "").
type Value struct {
	Value   string
	Present bool
	Basis   string
}

// observation is one thing known about an ARN's tags at a time: a
// snapshot's full tag set, or a tagging call.
type observation struct {
	at     time.Time
	tags   map[string]string // a snapshot's tags (nil for a change)
	change *Change
}

func (o *observation) determines(key string) (string, bool, bool) {
	if o.change != nil {
		return o.change.Determines(key)
	}
	v, has := o.tags[key]
	return v, has, true
}

// Timeline answers which tags an ARN carried at a time, from snapshots and
// the tagging calls seen in the logs. Safe for concurrent reads.
type Timeline struct {
	byARN   map[string][]observation
	secrets map[string][]string // Secrets Manager: ARN without the random suffix → full ARNs
}

// NewTimeline indexes snapshots and changes.
func NewTimeline(snaps []*Snapshot, changes []Change) *Timeline {
	tl := &Timeline{byARN: map[string][]observation{}, secrets: map[string][]string{}}
	add := func(arn string, o observation) {
		k := Canonical(arn)
		if _, seen := tl.byARN[k]; !seen {
			if base, ok := secretBase(k); ok {
				tl.secrets[base] = append(tl.secrets[base], k)
			}
		}
		tl.byARN[k] = append(tl.byARN[k], o)
	}
	for _, s := range snaps {
		for _, r := range s.Resources {
			add(r.ARN, observation{at: s.TakenAt, tags: r.Tags})
		}
	}
	for i := range changes {
		add(changes[i].ARN, observation{at: changes[i].Time, change: &changes[i]})
	}
	for k, obs := range tl.byARN {
		// Changes before snapshots of the same instant: a snapshot taken
		// then already shows the call's effect.
		sort.SliceStable(obs, func(i, j int) bool {
			if !obs[i].at.Equal(obs[j].at) {
				return obs[i].at.Before(obs[j].at)
			}
			return obs[i].change != nil && obs[j].change == nil
		})
		tl.byARN[k] = obs
	}
	return tl
}

// Known says whether anything is known of arn's tags.
func (tl *Timeline) Known(arn string) bool { return tl.observations(arn) != nil }

// TagAt returns key's value on arn at t: the newest observation before t
// that settles the key (a tagging call strictly before t, a snapshot at or
// before t); else, when nothing before t settles it, the earliest later
// snapshot (BasisAssumed) unless a tagging call of that key comes between
// t and that snapshot (then nothing is known).
func (tl *Timeline) TagAt(arn, key string, t time.Time) Value {
	obs := tl.observations(arn)
	if obs == nil {
		return Value{}
	}
	// First observation not in force at t.
	i := sort.Search(len(obs), func(i int) bool {
		o := obs[i]
		if o.change != nil {
			return !o.at.Before(t)
		}
		return o.at.After(t)
	})
	for j := i - 1; j >= 0; j-- {
		if v, present, ok := obs[j].determines(key); ok {
			basis := BasisSnapshot
			if obs[j].change != nil {
				basis = BasisEvent
			}
			return Value{Value: v, Present: present, Basis: basis}
		}
	}
	for j := i; j < len(obs); j++ {
		v, present, ok := obs[j].determines(key)
		if !ok {
			continue
		}
		if obs[j].change != nil {
			return Value{} // the key changed after t: its earlier value is unknown
		}
		return Value{Value: v, Present: present, Basis: BasisAssumed}
	}
	return Value{}
}

func (tl *Timeline) observations(arn string) []observation {
	k := Canonical(arn)
	if obs, ok := tl.byARN[k]; ok {
		return obs
	}
	// An IAM principal imported without its account (a list of user names).
	if p := strings.SplitN(k, ":", 6); len(p) == 6 && p[2] == "iam" && p[4] != "*" {
		p[4] = "*"
		if obs, ok := tl.byARN[strings.Join(p, ":")]; ok {
			return obs
		}
	}
	// A secret named without its random suffix.
	if strings.Contains(k, ":secretsmanager:") {
		if full := tl.secrets[k]; len(full) == 1 {
			return tl.byARN[full[0]]
		}
	}
	return nil
}

// Canonical is the form ARNs are compared in: IAM users and roles without
// their path (names are unique in an account whatever the path, and
// CloudTrail requests name them without it).
func Canonical(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "iam" {
		return arn
	}
	kind, rest, ok := strings.Cut(p[5], "/")
	if !ok || (kind != "user" && kind != "role") {
		return arn
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		rest = rest[i+1:]
	}
	p[5] = kind + "/" + rest
	return strings.Join(p, ":")
}

// secretBase strips the "-" and six random characters Secrets Manager
// appends to a secret's name in its ARN.
func secretBase(arn string) (string, bool) {
	if !strings.Contains(arn, ":secretsmanager:") || !strings.Contains(arn, ":secret:") {
		return "", false
	}
	i := strings.LastIndexByte(arn, '-')
	if i < 0 || len(arn)-i != 7 {
		return "", false
	}
	for _, c := range arn[i+1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "", false
		}
	}
	return arn[:i], true
}

// Add records a tagging call seen while streaming (scan, watch), keeping
// the ARN's observations in time order. Not safe for concurrent use with
// other methods.
func (tl *Timeline) Add(c Change) {
	k := Canonical(c.ARN)
	obs := tl.byARN[k]
	if obs == nil {
		if base, ok := secretBase(k); ok {
			tl.secrets[base] = append(tl.secrets[base], k)
		}
	}
	o := observation{at: c.Time, change: &c}
	i := sort.Search(len(obs), func(i int) bool { return obs[i].at.After(c.Time) })
	obs = append(obs, observation{})
	copy(obs[i+1:], obs[i:])
	obs[i] = o
	tl.byARN[k] = obs
}

// TagsAt returns every tag arn carried at t (as TagAt decides each key);
// nil when nothing is known of arn.
func (tl *Timeline) TagsAt(arn string, t time.Time) map[string]string {
	obs := tl.observations(arn)
	if obs == nil {
		return nil
	}
	keys := map[string]bool{}
	for _, o := range obs {
		if o.change != nil {
			for k := range o.change.Set {
				keys[k] = true
			}
			for _, k := range o.change.Remove {
				keys[k] = true
			}
			continue
		}
		for k := range o.tags {
			keys[k] = true
		}
	}
	out := map[string]string{}
	for k := range keys {
		if v := tl.TagAt(arn, k, t); v.Present {
			out[k] = v.Value
		}
	}
	return out
}
