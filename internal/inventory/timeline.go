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
	for _, s := range snaps {
		for _, r := range s.Resources {
			k := tl.key(r.ARN)
			tl.byARN[k] = append(tl.byARN[k], observation{at: s.TakenAt, tags: r.Tags})
		}
	}
	for i := range changes {
		k := tl.key(changes[i].ARN)
		tl.byARN[k] = append(tl.byARN[k], observation{at: changes[i].Time, change: &changes[i]})
	}
	for _, obs := range tl.byARN {
		sort.SliceStable(obs, func(i, j int) bool { return before(obs[i], obs[j]) })
	}
	return tl
}

// before orders observations by time; at the same instant a change comes
// before a snapshot (a snapshot taken then already shows the call's effect).
func before(a, b observation) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.change != nil && b.change == nil
}

// key returns arn's index key, registering a new secret's suffix-less name.
func (tl *Timeline) key(arn string) string {
	k := Canonical(arn)
	if _, seen := tl.byARN[k]; !seen {
		if base, ok := secretBase(k); ok {
			tl.secrets[base] = append(tl.secrets[base], k)
		}
	}
	return k
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
	i := inForce(obs, t)
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

// inForce returns the index of the first observation not in force at t:
// tagging calls count strictly before t, snapshots at or before it.
func inForce(obs []observation, t time.Time) int {
	return sort.Search(len(obs), func(i int) bool {
		o := obs[i]
		if o.change != nil {
			return !o.at.Before(t)
		}
		return o.at.After(t)
	})
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
// the ARN's observations in order. Not safe for concurrent use with other
// methods.
func (tl *Timeline) Add(c Change) {
	k := tl.key(c.ARN)
	obs := tl.byARN[k]
	o := observation{at: c.Time, change: &c}
	i := sort.Search(len(obs), func(i int) bool { return before(o, obs[i]) })
	obs = append(obs, observation{})
	copy(obs[i+1:], obs[i:])
	obs[i] = o
	tl.byARN[k] = obs
}

// TagsAt returns every tag arn carried at t, each key decided as TagAt
// decides it, in one walk over arn's observations; nil when nothing is
// known of arn.
func (tl *Timeline) TagsAt(arn string, t time.Time) map[string]string {
	obs := tl.observations(arn)
	if obs == nil {
		return nil
	}
	out := map[string]string{}
	settled := map[string]bool{}
	settle := func(k, v string, present bool) {
		if !settled[k] {
			settled[k] = true
			if present {
				out[k] = v
			}
		}
	}
	i := inForce(obs, t)
	for j := i - 1; j >= 0; j-- {
		c := obs[j].change
		if c == nil { // a snapshot settles every key
			for k, v := range obs[j].tags {
				settle(k, v, true)
			}
			return out
		}
		for k, v := range c.Set {
			settle(k, v, true)
		}
		for _, k := range c.Remove {
			settle(k, "", false)
		}
		if c.Replace {
			return out
		}
	}
	// Keys nothing before t settled: a later snapshot's value is assumed,
	// unless a call of that key comes first.
	for j := i; j < len(obs); j++ {
		c := obs[j].change
		if c == nil {
			for k, v := range obs[j].tags {
				settle(k, v, true)
			}
			return out
		}
		if c.Replace {
			return out
		}
		for k := range c.Set {
			settle(k, "", false)
		}
		for _, k := range c.Remove {
			settle(k, "", false)
		}
	}
	return out
}
