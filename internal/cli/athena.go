package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/query"
)

func newAthenaCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "athena",
		Short: "Run the same queries on Amazon Athena when one machine is not enough",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &usageError{errors.New("athena: name a subcommand (ddl)")}
		},
	}
	cmd.AddCommand(newAthenaDDLCmd(s))
	return cmd
}

func newAthenaDDLCmd(s Streams) *cobra.Command {
	var o query.DDLOptions
	var from string
	cmd := &cobra.Command{
		Use:   "ddl --bucket B [--prefix P] [--org o-ID] [--accounts A,B] [--regions R,S] --from YYYY/MM/DD",
		Short: "Print Athena CREATE TABLE statements with partition projection for a trail and its S3 access logs",
		Long: `Print the CREATE EXTERNAL TABLE statements, with partition projection, that let
Amazon Athena read a trail's delivery files in place under the names and
columns 'trailwatch query' uses (cloudtrail_logs_pp; server_access_logs_pp for
S3 server access logs), so the same SQL runs on Athena at any scale.

One account and one region are fixed in the table's location, as in the Athena
user guide; an organization trail (--org) or several accounts or regions become
enum-projected partitions "account" and "region". docs/athena.md lists the
dialect differences between Athena and 'trailwatch query'.`,
		Example: `  trailwatch athena ddl --bucket my-trail-bucket --org o-abc123 \
      --accounts 111122223333,444455556666 --regions us-east-1,ap-northeast-1 --from 2025/01/01
  trailwatch athena ddl --bucket my-trail-bucket --accounts 111122223333 --regions us-east-1 --from 2025/01/01 \
      --s3-logs-bucket my-log-bucket --s3-logs-account 111122223333 --s3-logs-region us-east-1 --s3-logs-source-bucket data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTime("from", strings.ReplaceAll(from, "/", "-"))
			if err != nil {
				return &usageError{fmt.Errorf("athena ddl: --from %q: want YYYY/MM/DD", from)}
			}
			if t.IsZero() {
				return &usageError{errors.New("athena ddl: --from is required (YYYY/MM/DD or YYYY-MM-DD)")}
			}
			o.From = t
			ddl, err := query.CloudTrailDDL(o)
			if err != nil {
				return &usageError{fmt.Errorf("athena ddl: %w", err)}
			}
			fmt.Fprintf(s.Out, "%s;\n", ddl)
			if o.S3LogsBucket != "" {
				ddl, err := query.S3AccessLogDDL(o)
				if err != nil {
					return &usageError{fmt.Errorf("athena ddl: %w", err)}
				}
				fmt.Fprintf(s.Out, "\n%s;\n", ddl)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Bucket, "bucket", "", "the trail's S3 bucket")
	f.StringVar(&o.Prefix, "prefix", "", "the trail's S3 key prefix")
	f.StringVar(&o.Org, "org", "", "organization ID of an organization trail (o-...)")
	f.StringSliceVar(&o.Accounts, "accounts", nil, "accounts (comma-separated)")
	f.StringSliceVar(&o.Regions, "regions", nil, "regions (comma-separated)")
	f.StringVar(&from, "from", "", "first day to project (YYYY/MM/DD)")
	f.StringVar(&o.Table, "table", "", "table name (default cloudtrail_logs_pp)")
	f.StringVar(&o.Database, "database", "", "database of the tables")
	f.StringVar(&o.S3LogsBucket, "s3-logs-bucket", "", "bucket of S3 server access logs (date-based key layout)")
	f.StringVar(&o.S3LogsPrefix, "s3-logs-prefix", "", "key prefix of the S3 server access logs")
	f.StringVar(&o.S3LogsAccount, "s3-logs-account", "", "source account in the access logs' key layout")
	f.StringVar(&o.S3LogsRegion, "s3-logs-region", "", "source region in the access logs' key layout")
	f.StringVar(&o.S3LogsSourceBucket, "s3-logs-source-bucket", "", "the bucket whose access is logged")
	cmd.MarkFlagRequired("bucket")
	return cmd
}
