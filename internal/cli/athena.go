package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/athena"
)

func newAthenaCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "athena",
		Short: "Amazon Athena tables for the same queries at scale",
		Long: `Amazon Athena reads CloudTrail and S3 server access logs where they are
delivered. 'trailwatch athena ddl' prints the CREATE EXTERNAL TABLE statements,
with partition projection, of the tables 'trailwatch query' imitates, so the
same SQL runs on either.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &usageError{errors.New("athena: name a subcommand (ddl)")}
		},
	}
	cmd.AddCommand(newAthenaDDLCmd(s))
	return cmd
}

type athenaDDLOptions struct {
	trail athena.TrailTable
	logs  athena.AccessLogTable
	from  string
}

func newAthenaDDLCmd(s Streams) *cobra.Command {
	o := &athenaDDLOptions{}
	cmd := &cobra.Command{
		Use:   "ddl --bucket B [--prefix P] [--org o-ID] [--accounts A,B] [--regions R,S] --from YYYY/MM/DD [--table NAME] [--database DB] [--s3-access-logs-bucket B2 ...]",
		Short: "Print the Athena CREATE TABLE statements (partition projection) for a trail and its S3 access logs",
		Long: `Print the CREATE EXTERNAL TABLE statement of the Athena user guide's CloudTrail
table with partition projection (cloudtrail_logs_pp,
` + athena.CloudTrailDocURL + `)
for a trail's S3 bucket: the guide's columns, JSON SerDe and CloudTrailInputFormat,
and a "timestamp" partition (yyyy/MM/dd) projected from --from to NOW.

A trail of one account in one region has that account and region in its
location, as in the guide. An organization trail (--org; its files are under
AWSLogs/o-ID/ACCOUNT/CloudTrail/REGION/), or several accounts or regions, get
"account" and "region" partitions, projected as enum from --accounts and
--regions, or as injected when the list is not given: Athena then needs
WHERE account = '...' AND region = '...' in every query.

With --s3-access-logs-bucket it also prints the S3 user guide's table of S3
server access logs (server_access_logs_pp,
` + athena.S3AccessLogDocURL + `),
for logs delivered with the date-based partitioned key format
(PREFIX/SOURCE-ACCOUNT/SOURCE-REGION/SOURCE-BUCKET/YYYY/MM/DD/). The source
account and region default to the only --accounts and --regions value.

Each statement ends with ";". docs/athena.md lists the differences between
Athena and 'trailwatch query'.`,
		Example: `  # A trail of one account and region, as in the Athena user guide
  trailwatch athena ddl --bucket my-trail-bucket --accounts 111122223333 --regions ap-northeast-1 --from 2025/01/01

  # An organization trail, two accounts and two regions, in database "security"
  trailwatch athena ddl --bucket org-trail-bucket --prefix ct --org o-exampleorgid \
      --accounts 111122223333,444455556666 --regions us-east-1,ap-northeast-1 --from 2025/01/01 --database security

  # Seed 003's two tables: the trail and the S3 access logs of bucket "data"
  trailwatch athena ddl --bucket my-trail-bucket --accounts 111122223333 --regions ap-northeast-1 --from 2025/05/01 \
      --s3-access-logs-bucket my-log-bucket --s3-access-logs-prefix s3logs/ --s3-access-logs-source-bucket data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd); err != nil {
				return err
			}
			return runAthenaDDL(o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.trail.Bucket, "bucket", "", "the trail's S3 bucket (required)")
	f.StringVar(&o.trail.Prefix, "prefix", "", "the trail's S3 key prefix")
	f.StringVar(&o.trail.OrgID, "org", "", "organization ID of an organization trail (o-...)")
	f.StringSliceVar(&o.trail.Accounts, "accounts", nil, "account IDs to project (comma-separated)")
	f.StringSliceVar(&o.trail.Regions, "regions", nil, "regions to project (comma-separated)")
	f.StringVar(&o.from, "from", "", "first day to project, YYYY/MM/DD (required)")
	f.StringVar(&o.trail.Table, "table", athena.DefaultCloudTrailTable, "name of the CloudTrail table")
	f.StringVar(&o.trail.Database, "database", "", "database of the tables (default: the query's current database)")
	f.StringVar(&o.logs.Bucket, "s3-access-logs-bucket", "", "bucket the S3 server access logs are delivered to")
	f.StringVar(&o.logs.Prefix, "s3-access-logs-prefix", "", "prefix the S3 server access logs are delivered under")
	f.StringVar(&o.logs.SourceBucket, "s3-access-logs-source-bucket", "", "the bucket whose accesses are logged")
	f.StringVar(&o.logs.SourceAccount, "s3-access-logs-account", "", "account of the logged bucket (default: the only --accounts value)")
	f.StringVar(&o.logs.SourceRegion, "s3-access-logs-region", "", "region of the logged bucket (default: the only --regions value)")
	f.StringVar(&o.logs.Table, "s3-access-logs-table", athena.DefaultS3AccessLogTable, "name of the S3 access log table")
	return cmd
}

// complete checks the flags and fills in what they imply.
func (o *athenaDDLOptions) complete(cmd *cobra.Command) error {
	if o.trail.Bucket == "" {
		return &usageError{errors.New("athena ddl: --bucket is required")}
	}
	if o.from == "" {
		return &usageError{errors.New("athena ddl: --from is required (YYYY/MM/DD)")}
	}
	var from time.Time
	var err error
	for _, layout := range []string{"2006/01/02", "2006-01-02"} {
		if from, err = time.Parse(layout, o.from); err == nil {
			break
		}
	}
	if err != nil {
		return &usageError{fmt.Errorf("athena ddl: --from %q: want YYYY/MM/DD", o.from)}
	}
	o.trail.From, o.logs.From = from, from
	o.logs.Database = o.trail.Database

	if o.logs.Bucket == "" {
		for _, name := range []string{"s3-access-logs-prefix", "s3-access-logs-source-bucket", "s3-access-logs-account", "s3-access-logs-region", "s3-access-logs-table"} {
			if cmd.Flags().Changed(name) {
				return &usageError{fmt.Errorf("athena ddl: --%s needs --s3-access-logs-bucket", name)}
			}
		}
		return nil
	}
	if o.logs.SourceBucket == "" {
		return &usageError{errors.New("athena ddl: --s3-access-logs-source-bucket is required with --s3-access-logs-bucket (the bucket whose accesses are logged)")}
	}
	if o.logs.SourceAccount == "" {
		if len(o.trail.Accounts) != 1 {
			return &usageError{errors.New("athena ddl: --s3-access-logs-account is required: --accounts does not name exactly one account")}
		}
		o.logs.SourceAccount = o.trail.Accounts[0]
	}
	if o.logs.SourceRegion == "" {
		if len(o.trail.Regions) != 1 {
			return &usageError{errors.New("athena ddl: --s3-access-logs-region is required: --regions does not name exactly one region")}
		}
		o.logs.SourceRegion = o.trail.Regions[0]
	}
	return nil
}

func runAthenaDDL(o *athenaDDLOptions, s Streams) error {
	// Build both statements before printing either, so that a mistake
	// prints nothing.
	trail, err := athena.CloudTrailDDL(o.trail)
	if err != nil {
		return &usageError{fmt.Errorf("athena ddl: %w", err)}
	}
	var logs string
	if o.logs.Bucket != "" {
		if logs, err = athena.S3AccessLogDDL(o.logs); err != nil {
			return &usageError{fmt.Errorf("athena ddl: %w", err)}
		}
	}
	out := bufio.NewWriter(s.Out)
	fmt.Fprintf(out, "%s;\n", strings.TrimSuffix(trail, "\n"))
	if logs != "" {
		fmt.Fprintf(out, "\n%s;\n", strings.TrimSuffix(logs, "\n"))
	}
	if err := out.Flush(); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("athena ddl: write: %w", err)}
	}
	return nil
}
