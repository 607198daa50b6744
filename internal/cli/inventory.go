package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/inventory"
)

func newInventoryCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Tag snapshots of principals and resources (CloudTrail logs carry no tags)",
		Long: `CloudTrail records say who acted on what, but not the tags of either. The
inventory keeps point-in-time snapshots of tags in the store, collected from
AWS ('collect') or imported from files you already have ('import'); 'audit'
and 'query' join them with the logs, and the tagging calls in the logs
(TagResource, TagRole, PutBucketTagging, CreateTags, ...) refine when each
value was in force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &usageError{errors.New("inventory: name a subcommand (import, collect, list)")}
		},
	}
	cmd.AddCommand(newInventoryImportCmd(s), newInventoryCollectCommand(s), newInventoryListCmd(s))
	return cmd
}

type inventoryImportOptions struct {
	store, asOf, account, partition string
	files                           []string
}

func newInventoryImportCmd(s Streams) *cobra.Command {
	o := &inventoryImportOptions{}
	cmd := &cobra.Command{
		Use:   "import --store DIR [--as-of TIME] [--account ID] FILE...",
		Short: "Add tag snapshots from files: GetResources output, IAM user/role lists with tags, CSV",
		Long: `Import exported tag files as snapshots, one per file, recognised by content:

  - Resource Groups Tagging API output: 'aws resourcegroupstaggingapi
    get-resources' ({"ResourceTagMappingList":[...]}) or the bare list;
  - IAM users or roles with their tags: 'aws iam
    get-account-authorization-details', get-user/get-role output, or a list of
    {"UserName": ..., "<any>": {"Tags": [...]}} (ListUsers + ListUserTags, as
    a Step Functions export saves it); entries that give only a name get the
    ARN of --account (any account when it is not given);
  - CSV with the header arn,key,value (one row per tag; an empty key records
    an ARN known to carry no tags).

A snapshot records when its data was taken: --as-of (RFC 3339 or
YYYY-MM-DD), else the file's modification time. Importing the same content
with the same time again adds nothing.`,
		Example: `  aws resourcegroupstaggingapi get-resources > resources.json
  aws iam get-account-authorization-details > iam.json
  trailwatch inventory import --store tw --as-of 2024-01-08T09:00:00Z resources.json iam.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			return runInventoryImport(o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.store, "store", "", "store directory (required)")
	f.StringVar(&o.asOf, "as-of", "", "when the exported data was taken (default: each file's modification time)")
	f.StringVar(&o.account, "account", "", "account ID for IAM entries that give only a user or role name")
	f.StringVar(&o.partition, "partition", "aws", "partition for ARNs built from names (aws, aws-cn, aws-us-gov)")
	return cmd
}

func runInventoryImport(o *inventoryImportOptions, s Streams) error {
	if o.store == "" {
		return &usageError{fmt.Errorf("inventory import: --store DIR is required")}
	}
	var asOf time.Time
	if o.asOf != "" {
		t, err := parseTime("as-of", o.asOf)
		if err != nil {
			return &usageError{fmt.Errorf("inventory import: --as-of %q: want RFC 3339 (2024-01-08T09:00:00Z) or YYYY-MM-DD", o.asOf)}
		}
		asOf = t
	}
	failed := 0
	for _, name := range o.files {
		snap, err := importFile(name, asOf, o, s.In)
		if err == nil {
			err = inventory.Save(o.store, snap)
		}
		if err != nil {
			failed++
			fmt.Fprintf(s.Err, "trailwatch: inventory import: %v\n", err)
			continue
		}
		fmt.Fprintf(s.Out, "%s: snapshot %s as of %s: %d resources and principals\n", name, snap.ID, jsonTime(snap.TakenAt), snap.Count)
	}
	if failed > 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("inventory import: %d of %d file(s) not imported; the errors above say why", failed, len(o.files))}
	}
	return nil
}

func importFile(name string, asOf time.Time, o *inventoryImportOptions, stdin io.Reader) (*inventory.Snapshot, error) {
	var r io.Reader
	if name == "-" {
		r = stdin
		if asOf.IsZero() {
			asOf = time.Now().UTC()
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if asOf.IsZero() {
			st, err := f.Stat()
			if err != nil {
				return nil, err
			}
			asOf = st.ModTime().UTC().Truncate(time.Second)
		}
		r = f
	}
	return inventory.Import(r, name, inventory.ImportOptions{AsOf: asOf, Account: o.account, Partition: o.partition})
}

func newInventoryListCmd(s Streams) *cobra.Command {
	var store, format string
	cmd := &cobra.Command{
		Use:     "list --store DIR [--format table|json]",
		Short:   "The store's tag snapshots, oldest first",
		Example: `  trailwatch inventory list --store tw`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if store == "" {
				return &usageError{fmt.Errorf("inventory list: --store DIR is required")}
			}
			if format != "table" && format != "json" {
				return &usageError{fmt.Errorf("inventory list: --format must be table or json, not %q", format)}
			}
			snaps, err := inventory.Load(store)
			if err != nil {
				return &exitError{code: exitError2, err: fmt.Errorf("inventory list: %w", err)}
			}
			out := bufio.NewWriter(s.Out)
			defer out.Flush()
			if format == "json" {
				enc := json.NewEncoder(out)
				for _, sn := range snaps {
					enc.Encode(sn)
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "TAKEN AT\tRESOURCES\tPROBLEMS\tSOURCE\tID")
			for _, sn := range snaps {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", jsonTime(sn.TakenAt), sn.Count, len(sn.Problems), sn.Source, sn.ID)
			}
			tw.Flush()
			if len(snaps) == 0 {
				fmt.Fprintln(out, strings.TrimSpace("(no snapshots: 'trailwatch inventory collect' or 'import' adds them)"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&store, "store", "", "store directory (required)")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output: table or json")
	return cmd
}

type inventoryCollectOptions struct {
	store, profile, endpoint string
	regions, tagKeys         []string
	rps                      float64
}

func newInventoryCollectCommand(s Streams) *cobra.Command {
	o := &inventoryCollectOptions{}
	cmd := &cobra.Command{
		Use:   "collect --store DIR [--profile NAME] [--region R|all]... [--tag-key KEY]...",
		Short: "Take a tag snapshot from AWS: Tagging API resources, IAM users and roles, S3 buckets",
		Long: `Collect the tags of resources and principals with the AWS SDK's default
credential chain (environment, --profile, SSO, instance roles) into a
snapshot in the store:

  - Resource Groups Tagging API GetResources in each --region (every page;
    'all' asks AWS Account's ListRegions for the enabled regions);
  - IAM users and roles (global, not covered by the Tagging API) with
    ListUsers + ListUserTags and ListRoles + ListRoleTags;
  - S3 buckets the Tagging API did not return, with GetBucketTagging.

Calls to each service are limited to --rps per second and throttling is
retried with backoff. A region or service that fails (access denied, say) is
reported and the rest is still saved; the exit status is then 2. The
permissions needed are listed in docs/inventory.md.`,
		Example: `  trailwatch inventory collect --store tw --profile audit --region all
  trailwatch inventory collect --store tw --region us-east-1 --region eu-west-1 --tag-key service`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInventoryCollect(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.store, "store", "", "store directory (required)")
	f.StringVar(&o.profile, "profile", "", "AWS shared configuration profile")
	f.StringArrayVar(&o.regions, "region", nil, "region to read with the Tagging API (repeatable; 'all': every enabled region; default: the profile's)")
	f.StringArrayVar(&o.tagKeys, "tag-key", nil, "keep only resources and principals carrying this key (repeatable: any of them)")
	f.Float64Var(&o.rps, "rps", 5, "requests per second to each service at most")
	f.StringVar(&o.endpoint, "endpoint-url", "", "send every call to this endpoint (LocalStack, tests)")
	f.MarkHidden("endpoint-url")
	return cmd
}

func runInventoryCollect(ctx context.Context, o *inventoryCollectOptions, s Streams) error {
	if o.store == "" {
		return &usageError{errors.New("inventory collect: --store DIR is required")}
	}
	if o.rps <= 0 {
		return &usageError{errors.New("inventory collect: --rps must be positive")}
	}
	var opts []func(*config.LoadOptions) error
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("inventory collect: load AWS configuration: %w", err)}
	}
	counts := map[string]int{}
	var mu sync.Mutex
	prog := newProgress(s)
	total := 0
	snap, err := inventory.FromAWS(ctx, cfg, inventory.AWSOptions{
		Regions: o.regions, TagKeys: o.tagKeys, RequestsPerSecond: o.rps, Endpoint: o.endpoint,
		Progress: func(src string, n int) {
			mu.Lock()
			defer mu.Unlock()
			kind, _, _ := strings.Cut(src, " ")
			if kind == "iam" {
				kind = src
			}
			counts[kind] += n
			total += n
			prog.update(0, total, 0)
		},
	})
	prog.done()
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("inventory collect: %w (nothing saved)", err)}
	}
	if err := inventory.Save(o.store, snap); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("inventory collect: %w", err)}
	}
	fmt.Fprintf(s.Out, "snapshot %s as of %s: %d resources and principals (tagging %d, iam users %d, iam roles %d, s3 buckets %d), %d problems\n",
		snap.ID, jsonTime(snap.TakenAt), snap.Count, counts["tagging"], counts["iam users"], counts["iam roles"], counts["s3"], len(snap.Problems))
	for _, p := range snap.Problems {
		fmt.Fprintf(s.Err, "trailwatch: inventory collect: %s\n", p)
	}
	if len(snap.Problems) > 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("inventory collect: %d part(s) could not be read; what was read is saved in snapshot %s", len(snap.Problems), snap.ID)}
	}
	return nil
}
