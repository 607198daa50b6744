package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/identity"
)

type whoisOptions struct {
	identityFlags
	format  string
	subject string
	inputs  []string
}

func newWhoisCmd(s Streams) *cobra.Command {
	o := &whoisOptions{}
	cmd := &cobra.Command{
		Use:   "whois [--format text|json] SUBJECT [INPUT...]",
		Short: "Show the credential chain behind an access key, session or event",
		Long: `Show who is behind SUBJECT and how: the origin (an IAM user, root user, IAM
Identity Center user, SAML or web identity subject, AWS service), the events
that handed out each set of temporary credentials on the way (AssumeRole and
friends, with the key issued, the session it created, its expiry, source
identity and session tags), and the events made with them, as a tree.

SUBJECT is an access key ID (AKIA..., ASIA...), a session or principal ARN, or
an event ID. Every event that used the key or session, or that issued it, or
whose chain passes through it, is shown.

Resolution is as for 'trailwatch actors' (see its help and docs/identity.md),
and so is INPUT. Exit status is 0 if SUBJECT was found, 1 if no event mentions
it, 2 on an error (other inputs are still read).

Output formats:
  text  the chain as an indented tree, then the evidence (default)
  json  the actor of every event found, one JSON object per line, as
        'trailwatch actors --format json' prints it`,
		Example: `  # Who used this temporary key, and who gave it to them?
  trailwatch whois ASIANQQHHS551LWULIWD AWSLogs/

  # What did this Identity Center session do?
  trailwatch whois arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_AdministratorAccess_abc123/alice@example.com AWSLogs/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.format {
			case "text", "json":
			default:
				return &usageError{fmt.Errorf("whois: --format must be text or json, not %q", o.format)}
			}
			if err := o.check("whois"); err != nil {
				return err
			}
			o.subject = strings.TrimSpace(args[0])
			if o.subject == "" {
				return &usageError{fmt.Errorf("whois: SUBJECT is empty")}
			}
			o.inputs = args[1:]
			if len(o.inputs) == 0 {
				o.inputs = []string{"-"}
			}
			return runWhois(cmd.Context(), o, s)
		},
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	o.register(cmd)
	return cmd
}

func runWhois(ctx context.Context, o *whoisOptions, s Streams) error {
	out := bufio.NewWriterSize(s.Out, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	tree := newWhoisTree(o.subject)
	r := identity.NewResolver(o.config())
	w := identity.NewWindow(r)
	var werr error
	emit := func(ev *identity.Event, a identity.Actor) {
		if !tree.matches(ev, &a) {
			return
		}
		tree.add(ev, &a)
		if o.format == "json" && werr == nil {
			werr = enc.Encode(a)
		}
	}
	res := readIdentityEvents(ctx, o.inputs, o.workers, s, func(ev identity.Event) { w.Push(ev, emit) })
	w.Flush(emit)
	if o.format == "text" && tree.found > 0 {
		tree.print(out)
	}
	if werr == nil {
		werr = out.Flush()
	}
	if werr != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("write output: %w", werr)}
	}
	reportLimits(s, "whois", r)
	if err := res.exit("whois"); err != nil {
		return err
	}
	if tree.found == 0 {
		return &exitError{code: exitNoMatch, err: fmt.Errorf("whois: no event in %d read mentions %s %s", res.events, subjectKind(o.subject), o.subject)}
	}
	return nil
}

// subjectKind names what SUBJECT looks like, for messages; matching does
// not depend on it.
func subjectKind(s string) string {
	switch {
	case strings.HasPrefix(s, "arn:"):
		return "ARN"
	case len(s) >= 16 && len(s) <= 128 && (strings.HasPrefix(s, "AKIA") || strings.HasPrefix(s, "ASIA")) && strings.ToUpper(s) == s:
		return "access key"
	}
	return "event ID"
}

// whoisTree gathers the events that mention the subject into one tree per
// origin: a node for each credential-issuing event on their chains, and at
// each node the events made with those credentials, summarised. Its size
// grows with the issuing events involved, not with the events.
type whoisTree struct {
	subject  string
	found    int
	roots    []*whoisNode
	byOrigin map[string]*whoisNode
	evidence []string
	direct   bool // evidence is of an event made with the subject
}

type whoisNode struct {
	link     identity.Link // zero at a root
	origin   identity.Origin
	methods  []identity.Method // at a root: how the events' origin was found
	items    []whoisItem       // links and event groups, in the order met
	children map[string]*whoisNode
	groups   map[string]*eventGroup
}

// whoisItem is one child of a node: an issuing event or a group of events.
type whoisItem struct {
	node  *whoisNode
	group *eventGroup
}

// eventGroup summarises the events one principal made at a node.
type eventGroup struct {
	principal   string
	n           int
	first, last string
	names       map[string]int
	listed      []string // the first few, one line each
}

const (
	listedEvents = 5
	listedNames  = 10
)

func newWhoisTree(subject string) *whoisTree {
	return &whoisTree{subject: subject, byOrigin: map[string]*whoisNode{}}
}

func (t *whoisTree) matches(ev *identity.Event, a *identity.Actor) bool {
	s := t.subject
	p := &ev.Principal
	if ev.ID == s || p.AccessKeyID == s || p.ARN == s || (strings.HasPrefix(s, "arn:") && a.Origin.ARN == s) {
		return true
	}
	if ev.Issue != nil && (ev.Issue.AccessKeyID == s || ev.Issue.ARN == s) {
		return true
	}
	for _, l := range a.Chain {
		if l.EventID == s || l.AccessKeyID == s || l.ARN == s {
			return true
		}
	}
	return false
}

func (t *whoisTree) add(ev *identity.Event, a *identity.Actor) {
	t.found++
	// The evidence shown is that of the first event made with the subject
	// itself (its key, its session, or the event named), else the first.
	p := &ev.Principal
	if !t.direct && (ev.ID == t.subject || p.AccessKeyID == t.subject || p.ARN == t.subject) {
		t.evidence, t.direct = a.Evidence, true
	}
	if t.evidence == nil {
		t.evidence = a.Evidence
	}
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%s", a.Origin.Type, a.Origin.ARN, a.Origin.Name, a.Origin.ID)
	n := t.byOrigin[key]
	if n == nil {
		n = &whoisNode{origin: a.Origin}
		t.byOrigin[key] = n
		t.roots = append(t.roots, n)
	}
	if !slices.Contains(n.methods, a.Method) {
		n.methods = append(n.methods, a.Method)
	}
	for _, l := range a.Chain {
		n = n.child(l)
	}
	// An issuing event is shown as the node of what it issued, not as an
	// event of its caller.
	if l, ok := identity.IssuedLink(ev); ok {
		n.child(l)
		return
	}
	n.group(a).add(a)
}

func (n *whoisNode) child(l identity.Link) *whoisNode {
	if c := n.children[l.EventID]; c != nil {
		return c
	}
	if n.children == nil {
		n.children = map[string]*whoisNode{}
	}
	c := &whoisNode{link: l}
	n.children[l.EventID] = c
	n.items = append(n.items, whoisItem{node: c})
	return c
}

func (n *whoisNode) group(a *identity.Actor) *eventGroup {
	p := a.Principal.ARN
	if g := n.groups[p]; g != nil {
		return g
	}
	if n.groups == nil {
		n.groups = map[string]*eventGroup{}
	}
	g := &eventGroup{principal: p, names: map[string]int{}}
	n.groups[p] = g
	n.items = append(n.items, whoisItem{group: g})
	return g
}

func (g *eventGroup) add(a *identity.Actor) {
	g.n++
	if g.first == "" || a.EventTime < g.first {
		g.first = a.EventTime
	}
	if a.EventTime > g.last {
		g.last = a.EventTime
	}
	if len(g.names) < 1000 || g.names[a.EventName] > 0 {
		g.names[a.EventName]++
	}
	if len(g.listed) < listedEvents {
		g.listed = append(g.listed, fmt.Sprintf("%s  %s  %s", a.EventTime, a.EventName, a.EventID))
	}
}

func (t *whoisTree) print(w io.Writer) {
	fmt.Fprintf(w, "subject  %s %s\n", subjectKind(t.subject), t.subject)
	fmt.Fprintf(w, "found    %d event(s)\n", t.found)
	for _, root := range t.roots {
		fmt.Fprintln(w)
		fmt.Fprintln(w, originLine(root.origin, root.methods))
		root.printItems(w, "", root.origin.ARN)
	}
	if len(t.evidence) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "evidence")
		for _, e := range t.evidence {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

func originLine(o identity.Origin, methods []identity.Method) string {
	parts := []string{o.Label()}
	if o.Type != "" {
		parts = append(parts, o.Type)
	}
	if o.ARN != "" && o.ARN != o.Label() {
		parts = append(parts, o.ARN)
	}
	if o.PermissionSet != "" {
		parts = append(parts, "permission set "+o.PermissionSet)
	}
	if o.Provider != "" {
		parts = append(parts, "provider "+o.Provider)
	}
	if o.AccountID != "" && o.ARN == "" {
		parts = append(parts, "account "+o.AccountID)
	}
	ms := make([]string, len(methods))
	for i, m := range methods {
		ms[i] = string(m)
	}
	sort.Strings(ms)
	return strings.Join(parts, "  ") + "  [" + strings.Join(ms, ", ") + "]"
}

// printItems draws n's children under prefix. session is the ARN the
// node's credentials act as, so events made as exactly that need not say it.
func (n *whoisNode) printItems(w io.Writer, prefix, session string) {
	for i, it := range n.items {
		last := i == len(n.items)-1
		branch, more := "├── ", "│   "
		if last {
			branch, more = "└── ", "    "
		}
		if it.group != nil {
			it.group.print(w, prefix+branch, prefix+more, session)
			continue
		}
		c, l := it.node, it.node.link
		fmt.Fprintf(w, "%s%s  %s  %s%s\n", prefix+branch, l.EventName, l.EventTime, l.EventID, where(l))
		detail := "issued " + l.AccessKeyID
		if l.ARN != "" {
			detail += " as " + l.ARN
		}
		fmt.Fprintf(w, "%s%s\n", prefix+more, detail)
		if extra := linkExtras(l); extra != "" {
			fmt.Fprintf(w, "%s%s\n", prefix+more, extra)
		}
		c.printItems(w, prefix+more, l.ARN)
	}
}

func where(l identity.Link) string {
	var parts []string
	if l.AccountID != "" {
		parts = append(parts, "account "+l.AccountID)
	}
	if l.Region != "" {
		parts = append(parts, l.Region)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

func linkExtras(l identity.Link) string {
	var parts []string
	if l.Expiration != "" {
		parts = append(parts, "expires "+l.Expiration)
	}
	if l.SourceIdentity != "" {
		parts = append(parts, "source identity "+l.SourceIdentity)
	}
	if len(l.SessionTags) > 0 {
		keys := make([]string, 0, len(l.SessionTags))
		for k := range l.SessionTags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var tags []string
		for _, k := range keys {
			tags = append(tags, k+"="+l.SessionTags[k])
		}
		parts = append(parts, "tags "+strings.Join(tags, ","))
	}
	if len(l.TransitiveTagKeys) > 0 {
		parts = append(parts, "transitive "+strings.Join(l.TransitiveTagKeys, ","))
	}
	return strings.Join(parts, ", ")
}

func (g *eventGroup) print(w io.Writer, first, more, session string) {
	head := fmt.Sprintf("%d event(s)", g.n)
	if g.n > 1 {
		head += fmt.Sprintf(", %s to %s", g.first, g.last)
	}
	if g.principal != "" && g.principal != session {
		head += " as " + g.principal
	}
	fmt.Fprintf(w, "%s%s\n", first, head)
	if g.n <= listedEvents {
		for _, l := range g.listed {
			fmt.Fprintf(w, "%s  %s\n", more, l)
		}
		return
	}
	names := make([]string, 0, len(g.names))
	for k := range g.names {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if g.names[names[i]] != g.names[names[j]] {
			return g.names[names[i]] > g.names[names[j]]
		}
		return names[i] < names[j]
	})
	for i, k := range names {
		if i == listedNames {
			fmt.Fprintf(w, "%s  ... and %d more event names\n", more, len(names)-listedNames)
			break
		}
		fmt.Fprintf(w, "%s  %s ×%d\n", more, k, g.names[k])
	}
}
