package identity

import (
	"container/heap"
	"time"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
)

// Config bounds the state resolution keeps.
type Config struct {
	// Window is how far in event time the input may run ahead of an
	// issuing event before a use of its key is resolved without it (see
	// Window). Zero means events are resolved as soon as a later event time
	// is seen.
	Window time.Duration
	// WindowEvents caps the events a Window holds; when it is reached the
	// oldest are resolved early. 0 means DefaultWindowEvents.
	WindowEvents int
	// MaxCredentials caps the issued credentials remembered; when it is
	// reached the ones expiring first are forgotten. 0 means
	// DefaultMaxCredentials.
	MaxCredentials int
}

// Defaults: CloudTrail delivers a region's events about every 5 minutes,
// so 15 minutes lets an issuing event arrive in the next delivery file of
// another region or account.
const (
	DefaultWindow         = 15 * time.Minute
	DefaultWindowEvents   = 50_000
	DefaultMaxCredentials = 200_000
)

// DefaultConfig is what the commands use unless told otherwise.
func DefaultConfig() Config {
	return Config{Window: DefaultWindow, WindowEvents: DefaultWindowEvents, MaxCredentials: DefaultMaxCredentials}
}

const (
	// maxHops bounds a chain walk; real role chains are a few hops.
	maxHops = 32
	// clockSkew is how far outside its credentials' lifetime a use is
	// still accepted: event times come from different services and regions.
	clockSkew = 5 * time.Minute
)

// BatchConfig is for resolving an input read whole and in any order before
// its events are resolved (ingest): credentials are remembered whatever
// their age, up to MaxCredentials.
func BatchConfig() Config {
	return Config{Window: batchWindow, WindowEvents: DefaultWindowEvents, MaxCredentials: DefaultMaxCredentials}
}

// batchWindow is longer than any trail.
const batchWindow = 100 * 365 * 24 * time.Hour

// NeedsCredentials reports whether Resolve of ev looks up issued
// credentials: ev used an access key, or it is the role account's copy of
// a cross-account AssumeRole. Other events resolve alike whatever was
// observed.
func (ev *Event) NeedsCredentials() bool {
	return ev.Principal.AccessKeyID != "" || (ev.Principal.Type == TypeAWSAccount && ev.Issue != nil)
}

// Lifetime is when a use of the issued access key key is followed to the
// event that issued it: from its issue to its expiry, each widened by the
// clock skew allowed (a zero bound is open). ok is false when no observed
// event issued key. Resolve of a use outside it answers as if the key were
// unknown.
func (r *Resolver) Lifetime(key string) (from, until time.Time, ok bool) {
	c := r.creds[key]
	if c == nil {
		return time.Time{}, time.Time{}, false
	}
	if !c.issued.IsZero() {
		from = c.issued.Add(-clockSkew)
	}
	if !c.expires.IsZero() {
		until = c.expires.Add(clockSkew)
	}
	return from, until, true
}

// Stats counts what resolution did, to report its limits honestly.
type Stats struct {
	Events      int // events observed
	Issued      int // credentials recorded
	Credentials int // credentials remembered now
	Expired     int // forgotten after expiring
	Evicted     int // forgotten early because MaxCredentials was reached
	Late        int // events that reached a Window after later events had been resolved
	MaxHeld     int // most events a Window held at once
	Forced      int // events a Window resolved early because WindowEvents was reached
}

// Resolver remembers the credentials events hand out and answers who is
// behind an event. It is not safe for concurrent use.
type Resolver struct {
	cfg    Config
	creds  map[string]*credential
	expiry expiryHeap
	newest time.Time
	stats  Stats
	// windowed is set when a Window drives the resolver: it forgets
	// expired credentials only after releasing the events that may use
	// them.
	windowed bool
	// svcWhy is the evidence for each AWS service seen, made once: AWS
	// service events are many, their services few.
	svcWhy map[string]string
}

// serviceWhy is the evidence that service by is its own origin.
func (r *Resolver) serviceWhy(by string) string {
	if s, ok := r.svcWhy[by]; ok {
		return s
	}
	s := "userIdentity.invokedBy " + by + ": an AWS service acted on its own"
	if r.svcWhy == nil || len(r.svcWhy) >= 1024 {
		r.svcWhy = map[string]string{}
	}
	r.svcWhy[by] = s
	return s
}

// credential is one issued access key and the event that issued it.
type credential struct {
	link    Link
	caller  Principal
	issue   *Issuance
	issued  time.Time
	expires time.Time
	index   int // in expiryHeap
}

// NewResolver returns a Resolver bounded by cfg.
func NewResolver(cfg Config) *Resolver {
	if cfg.Window < 0 {
		cfg.Window = 0
	}
	if cfg.WindowEvents <= 0 {
		cfg.WindowEvents = DefaultWindowEvents
	}
	if cfg.MaxCredentials <= 0 {
		cfg.MaxCredentials = DefaultMaxCredentials
	}
	return &Resolver{cfg: cfg, creds: map[string]*credential{}}
}

// Config returns the bounds in effect.
func (r *Resolver) Config() Config { return r.cfg }

// Stats returns counts so far.
func (r *Resolver) Stats() Stats {
	s := r.stats
	s.Credentials = len(r.creds)
	return s
}

// ObserveRecord is Observe of a decoded record, cheap for the records that
// issue no credentials (nearly all): only their event time is read.
func (r *Resolver) ObserveRecord(rec *cloudtrail.Record) {
	v := rec.JSON
	if v.Get("responseElements", "credentials", "accessKeyId") != nil || v.Get("responseElements", "roleCredentials", "accessKeyId") != nil {
		ev := FromRecord(rec)
		r.Observe(&ev)
		return
	}
	r.stats.Events++
	if t, ok := parseTime(text(v, "eventTime")); ok {
		r.advance(t)
	}
}

// ObserveTime is ObserveRecord for a record the caller knows issues no
// credentials and has already read the event time of.
func (r *Resolver) ObserveTime(t time.Time) {
	r.stats.Events++
	if !t.IsZero() {
		r.advance(t)
	}
}

// Observe records the credentials ev hands out, if any, and forgets
// credentials that expired more than the window before the newest event
// time seen. Call it for every event, in any order, before resolving the
// events that may use its credentials.
func (r *Resolver) Observe(ev *Event) {
	r.stats.Events++
	r.advance(ev.Time)
	if ev.Issue == nil {
		return
	}
	iss := ev.Issue
	link, _ := IssuedLink(ev)
	c := &credential{caller: ev.Principal, issue: iss, issued: ev.Time, expires: iss.Expiration, link: link}
	if old := r.creds[iss.AccessKeyID]; old != nil {
		// A cross-account AssumeRole is logged twice with the same key: in
		// the caller's account, naming the caller, and in the role's
		// account, where userIdentity is only the caller's AWSAccount.
		// Keep the copy that names the caller.
		if old.caller.Type == TypeAWSAccount && ev.Principal.Type != TypeAWSAccount {
			c.index = old.index
			*old = *c
			heap.Fix(&r.expiry, old.index)
		}
		return
	}
	if r.stale(c.expires) {
		r.stats.Expired++ // arrived after every use it allows
		return
	}
	r.creds[iss.AccessKeyID] = c
	heap.Push(&r.expiry, c)
	r.stats.Issued++
	for len(r.creds) > r.cfg.MaxCredentials {
		old := heap.Pop(&r.expiry).(*credential)
		delete(r.creds, old.link.AccessKeyID)
		r.stats.Evicted++
	}
}

// advance moves the newest event time seen to t, if later, and forgets
// what expired before the window behind it (a Window prunes on its own).
func (r *Resolver) advance(t time.Time) {
	if !t.After(r.newest) {
		return
	}
	r.newest = t
	if !r.windowed {
		r.prune(r.newest.Add(-r.cfg.Window))
	}
}

// IssuedLink describes the credentials ev handed out as a chain link;
// false when it handed out none.
func IssuedLink(ev *Event) (Link, bool) {
	iss := ev.Issue
	if iss == nil {
		return Link{}, false
	}
	l := Link{
		EventID: ev.ID, EventName: ev.Name, AccessKeyID: iss.AccessKeyID, ARN: iss.ARN,
		EventTime: ev.TimeText, AccountID: ev.AccountID, Region: ev.Region,
		SourceIdentity: iss.SourceIdentity, SessionTags: iss.Tags, TransitiveTagKeys: iss.TransitiveTagKeys,
		Caller: ev.Principal.ref(),
	}
	if l.ARN == "" {
		l.ARN = ev.Principal.ARN // GetSessionToken: the caller's own credentials
	}
	if !iss.Expiration.IsZero() {
		l.Expiration = iss.Expiration.Format(time.RFC3339)
	}
	return l, true
}

// stale reports credentials no event still to be resolved can use: they
// expired before the oldest event time a Window may still hold. (An
// issuing event is never newer than its credentials' expiry, so this holds
// for the events a Window holds when it arrives, too.)
func (r *Resolver) stale(expires time.Time) bool {
	return !r.newest.IsZero() && expires.Add(clockSkew).Before(r.newest.Add(-r.cfg.Window))
}

// prune forgets credentials that expired before the time before (less the
// clock skew): no event from then on can use them.
func (r *Resolver) prune(before time.Time) {
	for len(r.expiry) > 0 && r.expiry[0].expires.Add(clockSkew).Before(before) {
		old := heap.Pop(&r.expiry).(*credential)
		delete(r.creds, old.link.AccessKeyID)
		r.stats.Expired++
	}
}

// Resolve answers who is behind ev with the credentials observed so far.
func (r *Resolver) Resolve(ev *Event) Actor {
	a := Actor{EventID: ev.ID, EventTime: ev.TimeText, EventName: ev.Name, Principal: ev.Principal.ref(), Chain: []Link{}}
	p, iss, t, self := &ev.Principal, ev.Issue, ev.Time, ev.ID
	si := p.SourceIdentity
	// Built on the stack, copied out once: most events have one or two
	// entries and no chain.
	var evBuf [4]string
	var linkBuf [2]*credential
	var seenBuf [2]string
	evidence, links, seen := evBuf[:0], linkBuf[:0], seenBuf[:0] // links nearest first while walking

	// The role account's copy of a cross-account AssumeRole: its twin in
	// the caller's account names the caller.
	twin := false
	if p.Type == TypeAWSAccount && iss != nil {
		if c := r.creds[iss.AccessKeyID]; c != nil && c.caller.Type != TypeAWSAccount {
			evidence = append(evidence, "the caller account's copy of this call (event "+c.link.EventID+" in account "+c.link.AccountID+") issued the same accessKeyId "+iss.AccessKeyID+" and names the caller")
			p, t, self, twin = &c.caller, c.issued, c.link.EventID, true
		}
	}
	for {
		c, why := r.follow(p, t, self, seen)
		if c != nil && len(links) < maxHops {
			links = append(links, c)
			seen = append(seen, c.link.AccessKeyID)
			evidence = append(evidence, "accessKeyId "+c.link.AccessKeyID+" was issued by "+c.link.EventName+" "+c.link.EventID+" at "+c.link.EventTime)
			if si == "" {
				si = c.issue.SourceIdentity
			}
			p, iss, t, self = &c.caller, c.issue, c.issued, c.link.EventID
			continue
		}
		if o, because, ok := r.rootOrigin(p, iss); ok {
			a.Origin, a.Method = o, MethodDirect
			if len(links) > 0 || twin {
				a.Method = MethodKeyChain
			}
			evidence = append(evidence, because)
			break
		}
		if s := why.String(); s != "" {
			evidence = append(evidence, s)
		}
		if si == "" {
			si = p.SourceIdentity
		}
		if si == "" && ev.RequestedSourceIdentity != "" && len(links) == 0 {
			// The caller of an AssumeRole set the new session's source
			// identity; a caller whose own session had one must pass it on,
			// so it names the caller too.
			si = ev.RequestedSourceIdentity
			evidence = append(evidence, quoted("requestParameters.sourceIdentity ", si, ": set by the caller when assuming the role"))
		}
		o, m, because := fallback(p, si)
		a.Origin, a.Method = o, m
		evidence = append(evidence, because)
		break
	}
	if len(links) > 0 {
		a.Chain = make([]Link, len(links))
		for i, c := range links {
			a.Chain[len(links)-1-i] = c.link
		}
	}
	a.Evidence = append([]string(nil), evidence...)
	a.SourceIdentity = si
	return a
}

// notFollowed says why follow did not follow a key; its text is made only
// when the evidence needs it.
type notFollowed struct {
	why int // one of the constants below; 0 when there is nothing to say
	key string
	c   *credential
}

const (
	_ = iota
	unknownKey
	keyLoops
	issuedAfter
	expiredBefore
)

func (n notFollowed) String() string {
	switch n.why {
	case unknownKey:
		return "accessKeyId " + n.key + ": no event that issued it is known (not in the input, outside the reorder window, or forgotten after expiring)"
	case keyLoops:
		return "accessKeyId " + n.key + ": the chain loops back to it"
	case issuedAfter:
		return "accessKeyId " + n.key + " was issued by " + n.c.link.EventID + " at " + n.c.link.EventTime + ", after this use"
	case expiredBefore:
		return "accessKeyId " + n.key + " issued by " + n.c.link.EventID + " expired at " + n.c.link.Expiration + ", before this use"
	}
	return ""
}

// follow returns the credential behind p's access key when it was issued
// in the input and is valid at t; otherwise why not (nothing when p has no
// key worth explaining). self is the event p made, which cannot have
// issued the key it used.
func (r *Resolver) follow(p *Principal, t time.Time, self string, seen []string) (*credential, notFollowed) {
	key := p.AccessKeyID
	if key == "" {
		return nil, notFollowed{}
	}
	c := r.creds[key]
	if c == nil {
		return nil, notFollowed{why: unknownKey, key: key}
	}
	if c.link.EventID == self && self != "" {
		return nil, notFollowed{}
	}
	for _, k := range seen {
		if k == key {
			return nil, notFollowed{why: keyLoops, key: key}
		}
	}
	if !t.IsZero() {
		if !c.issued.IsZero() && t.Before(c.issued.Add(-clockSkew)) {
			return nil, notFollowed{why: issuedAfter, key: key, c: c}
		}
		if !c.expires.IsZero() && t.After(c.expires.Add(clockSkew)) {
			return nil, notFollowed{why: expiredBefore, key: key, c: c}
		}
	}
	return c, notFollowed{}
}

// expiryHeap orders credentials by expiry, soonest first.
type expiryHeap []*credential

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	c := x.(*credential)
	c.index = len(*h)
	*h = append(*h, c)
}
func (h *expiryHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}
