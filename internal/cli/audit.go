package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/audit"
	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/inventory"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/resource"
)

type auditOptions struct {
	store   string
	key     string
	format  string
	workers int
	inputs  []string
}

func newAuditCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audits over CloudTrail joined with the tag inventory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &usageError{errors.New("audit: name a subcommand (access)")}
		},
	}
	o := &auditOptions{}
	access := &cobra.Command{
		Use:   "access --store DIR --tag-key KEY [--format table|csv|json] INPUT...",
		Short: "Principals of one tag value (service, tenant) touching resources of another",
		Long: `Find every event whose acting principal carries the tag KEY=v and that touched
a resource carrying KEY=w with w ≠ v: a principal of one service or tenant
touching another's resources.

The principal's value is, in order: a session tag of its credentials (as for
aws:PrincipalTag), the role's or user's own tag, or the tag of the origin the
identity chain leads to (the IAM user who assumed the role). Resources are the
ARNs the event acted on (resources[] and the request parameters of the main
services); an S3 object without tags of its own takes its bucket's.

Tags come from the inventory in the store ('trailwatch inventory collect' or
'import'), refined by the tagging calls in the logs themselves (TagResource,
TagRole, PutBucketTagging, CreateTags, ...), so each event is judged by the tags
in force at its time. Before the earliest snapshot a snapshot's value is
assumed (and reported as such) unless a tagging call says otherwise.

The report groups findings by principal and resource with counts, first and
last time, event names and example event IDs, then lists principals and
resources that carry no KEY (coverage).`,
		Example: `  trailwatch inventory collect --store tw --region all
  trailwatch audit access --store tw --tag-key service AWSLogs/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.inputs = args
			return runAuditAccess(cmd.Context(), o, s)
		},
	}
	f := access.Flags()
	f.StringVar(&o.store, "store", "", "store directory holding the tag inventory (required)")
	f.StringVar(&o.key, "tag-key", "", "the tag key that says which service or tenant owns a principal or resource (required)")
	f.StringVarP(&o.format, "format", "f", "table", "output: table, csv or json")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "inputs decoded in parallel")
	cmd.AddCommand(access)
	return cmd
}

func runAuditAccess(ctx context.Context, o *auditOptions, s Streams) error {
	switch o.format {
	case "table", "csv", "json":
	default:
		return &usageError{fmt.Errorf("audit access: --format must be table, csv or json, not %q", o.format)}
	}
	if o.store == "" || o.key == "" {
		return &usageError{fmt.Errorf("audit access: --store DIR and --tag-key KEY are required")}
	}
	snaps, err := inventory.Load(o.store)
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("audit access: %w", err)}
	}
	if len(snaps) == 0 {
		fmt.Fprintf(s.Err, "trailwatch: audit access: no inventory in %s: only tags set by tagging calls in the logs are known ('trailwatch inventory collect' or 'import' adds snapshots)\n", o.store)
	}

	// Pass 1: the tagging calls in the logs.
	var changes []inventory.Change
	res := readRecords(ctx, o.inputs, o.workers, s, false, func(rec *cloudtrail.Record) ([]inventory.Change, bool) {
		ch := inventory.ParseTagChange(rec.JSON)
		return ch, len(ch) > 0
	}, func(ch []inventory.Change) { changes = append(changes, ch...) })
	if res.cancelled {
		return res.exit("audit access")
	}
	tl := inventory.NewTimeline(snaps, changes)
	lookup := func(arn, key string, t time.Time) audit.TagValue {
		v := tl.TagAt(arn, key, t)
		return audit.TagValue{Value: v.Value, Present: v.Present, Basis: audit.Basis(v.Basis)}
	}

	// Pass 2: every event, resolved to its actor in event-time order.
	a := audit.New(o.key, lookup)
	r := identity.NewResolver(identity.DefaultConfig())
	w := identity.NewWindow(r)
	// Resources wait here, by event, until the window releases the event.
	pending := map[string][][]resource.Ref{}
	pendingKey := func(ev *identity.Event) string { return ev.ID + "\x00" + ev.AccountID + "\x00" + ev.TimeText }
	emit := func(ev *identity.Event, act identity.Actor) {
		var refs []resource.Ref
		if q := pending[pendingKey(ev)]; len(q) > 0 {
			refs = q[0]
			if len(q) == 1 {
				delete(pending, pendingKey(ev))
			} else {
				pending[pendingKey(ev)] = q[1:]
			}
		}
		x := pipeline.AuditEvent(ev, &act, refs)
		a.Observe(&x)
	}
	type item struct {
		ev   identity.Event
		refs []resource.Ref
	}
	res = readRecords(ctx, o.inputs, o.workers, s, true, func(rec *cloudtrail.Record) (item, bool) {
		return item{identity.FromRecord(rec), resource.Touched(rec.JSON)}, true
	}, func(it item) {
		k := pendingKey(&it.ev)
		pending[k] = append(pending[k], it.refs)
		w.Push(it.ev, emit)
	})
	w.Flush(emit)
	rep := a.Report()
	out := bufio.NewWriter(s.Out)
	switch o.format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	case "csv":
		writeAuditCSV(out, rep)
	default:
		writeAuditTable(out, rep)
	}
	if err := out.Flush(); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("write output: %w", err)}
	}
	return res.exit("audit access")
}

func writeAuditTable(w io.Writer, r audit.Report) {
	fmt.Fprintf(w, "Cross-%s access: %d events read, %d judged (principal and a resource carry %q), %d principal → resource pairs\n",
		r.Key, r.Events, r.Judged, r.Key, len(r.Findings))
	last := ""
	for _, f := range r.Findings {
		if f.Principal != last {
			last = f.Principal
			fmt.Fprintf(w, "\n%s  (%s=%s from %s, %s)\n", f.Who, r.Key, f.PrincipalValue, f.PrincipalFrom, f.PrincipalBasis)
			if f.Principal != f.Who {
				fmt.Fprintf(w, "  principal %s\n", f.Principal)
			}
		}
		fmt.Fprintf(w, "  → %s  (%s=%s, %s)\n", f.Resource, r.Key, f.ResourceValue, f.ResourceBasis)
		fmt.Fprintf(w, "    %s %s … %s: %s; e.g. %s\n", plural(f.Events, "event"), jsonTime(f.First), jsonTime(f.Last),
			strings.Join(f.EventNames, ", "), strings.Join(f.Examples, ", "))
		if len(f.Objects) > 0 {
			fmt.Fprintf(w, "    objects without tags of their own, e.g. %s\n", strings.Join(f.Objects, ", "))
		}
	}
	coverage := func(title string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool {
			if m[names[i]] != m[names[j]] {
				return m[names[i]] > m[names[j]]
			}
			return names[i] < names[j]
		})
		fmt.Fprintf(w, "\n%s (%d):\n", title, len(names))
		for i, n := range names {
			if i == 20 {
				fmt.Fprintf(w, "  … and %d more (--format json lists all)\n", len(names)-20)
				break
			}
			fmt.Fprintf(w, "  %6d %-6s  %s\n", m[n], pluralWord(m[n], "event"), n)
		}
	}
	coverage("Coverage: principals without "+r.Key, r.Coverage.PrincipalsWithout)
	coverage("Coverage: resources without "+r.Key, r.Coverage.ResourcesWithout)
}

func writeAuditCSV(w io.Writer, r audit.Report) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"who", "principal", "principal_value", "principal_tag_from", "principal_basis", "resource", "resource_type",
		"resource_value", "resource_basis", "events", "first", "last", "event_names", "example_event_ids", "example_objects"})
	for _, f := range r.Findings {
		cw.Write([]string{f.Who, f.Principal, f.PrincipalValue, f.PrincipalFrom, string(f.PrincipalBasis), f.Resource, f.ResourceType,
			f.ResourceValue, string(f.ResourceBasis), strconv.Itoa(f.Events), jsonTime(f.First), jsonTime(f.Last),
			strings.Join(f.EventNames, " "), strings.Join(f.Examples, " "), strings.Join(f.Objects, " ")})
	}
	cw.Flush()
}

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func plural(n int, word string) string { return strconv.Itoa(n) + " " + pluralWord(n, word) }
