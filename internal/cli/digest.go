package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/digest"
	"github.com/trailwatch/trailwatch/internal/source"
)

type digestOptions struct {
	publicKeys, bucket, from, to, format string
	profile, region, endpoint            string
	workers                              int
	location                             string
}

func newDigestCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "digest",
		Short: "CloudTrail log file integrity (digest files)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &usageError{errors.New("digest: name a subcommand (validate)")}
		},
	}
	o := &digestOptions{}
	validate := &cobra.Command{
		Use:   "validate [--public-keys FILE] [--from T] [--to T] [--format text|json] (DIR | s3://BUCKET[/PREFIX])",
		Short: "Validate CloudTrail digest files and the log files they list, like 'aws cloudtrail validate-logs'",
		Long: `Validate the CloudTrail digest files under DIR (a local copy of the trail's
bucket, made with 'aws s3 sync') or s3://BUCKET[/PREFIX], as AWS documents it:
each digest's RSA signature (SHA256withRSA, with the public key whose
fingerprint the digest names), every listed log file's SHA-256, the chain of
digests (each names the previous digest's hash and signature), and gaps
(a digest that does not start where the previous one ended: a missing hour).

Public keys come from 'aws cloudtrail list-public-keys --start-time T --end-time T'
(--public-keys FILE); without them signatures are reported as unverifiable
and everything else is still checked. In a local copy, S3 object metadata
(the digest's signature) is read from KEY.metadata.json sidecars ('aws s3api
head-object' output) or, failing that, from the next digest's
previousDigestSignature. Prints one line per problem; exit status 0 when
everything is valid, 1 when problems were found, 2 on errors.`,
		Example: `  aws cloudtrail list-public-keys --start-time 2024-03-01 --end-time 2024-04-01 > keys.json
  trailwatch digest validate --public-keys keys.json --from 2024-03-01 s3://my-trail-bucket/
  aws s3 sync s3://my-trail-bucket ./trail && trailwatch digest validate --public-keys keys.json ./trail`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.location = args[0]
			return runDigestValidate(cmd.Context(), o, s)
		},
	}
	f := validate.Flags()
	f.StringVar(&o.publicKeys, "public-keys", "", "the output of 'aws cloudtrail list-public-keys' (JSON)")
	f.StringVar(&o.bucket, "bucket", "", "for DIR: the bucket it is a copy of (default: the directory's name); digests must sit where they say they were written")
	f.StringVar(&o.from, "from", "", "only digests ending at or after T (RFC 3339 or YYYY-MM-DD)")
	f.StringVar(&o.to, "to", "", "only digests ending before T")
	f.StringVarP(&o.format, "format", "f", "text", "output: text or json (JSON Lines)")
	f.IntVar(&o.workers, "workers", 8, "log files checked at once")
	f.StringVar(&o.profile, "profile", "", "AWS profile for s3:// locations")
	f.StringVar(&o.region, "aws-region", "", "AWS region for s3:// locations")
	f.StringVar(&o.endpoint, "endpoint-url", "", "S3 endpoint (MinIO, LocalStack; path-style)")
	cmd.AddCommand(validate)
	return cmd
}

func runDigestValidate(ctx context.Context, o *digestOptions, s Streams) error {
	if o.format != "text" && o.format != "json" {
		return &usageError{fmt.Errorf("digest validate: --format must be text or json, not %q", o.format)}
	}
	from, err := parseTime("from", o.from)
	if err != nil {
		return &usageError{fmt.Errorf("digest validate: --from %q: want RFC 3339 or YYYY-MM-DD", o.from)}
	}
	to, err := parseTime("to", o.to)
	if err != nil {
		return &usageError{fmt.Errorf("digest validate: --to %q: want RFC 3339 or YYYY-MM-DD", o.to)}
	}
	var keys []digest.PublicKey
	if o.publicKeys != "" {
		f, err := os.Open(o.publicKeys)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("digest validate: %w", err)}
		}
		keys, err = digest.ParsePublicKeys(f)
		f.Close()
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("digest validate: %s: %w", o.publicKeys, err)}
		}
	} else {
		fmt.Fprintln(s.Err, "trailwatch: digest validate: no --public-keys: signatures cannot be verified (reported as unknown-key); hashes, chain and gaps are still checked")
	}

	v := &digest.Validator{Keys: keys, Workers: o.workers}
	var refs []digest.DigestRef
	if strings.HasPrefix(o.location, "s3://") {
		bucket, prefix, err := source.ParseS3URL(o.location)
		if err != nil {
			return &usageError{fmt.Errorf("digest validate: %w", err)}
		}
		clients, err := newAWSClients(ctx, o.region, o.profile, o.endpoint)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("digest validate: %w", err)}
		}
		v.Open = s3Opener(clients.s3)
		refs, err = s3Digests(ctx, clients.s3, bucket, prefix)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("digest validate: %w", err)}
		}
	} else {
		st, err := os.Stat(o.location)
		if err != nil || !st.IsDir() {
			return &usageError{fmt.Errorf("digest validate: %s: want a directory (a local copy of the bucket) or s3://BUCKET[/PREFIX]", o.location)}
		}
		bucket := o.bucket
		if bucket == "" {
			abs, _ := filepath.Abs(o.location)
			bucket = filepath.Base(abs)
		}
		v.Open = digest.DirOpener(o.location)
		refs, err = digest.DirDigests(ctx, o.location, bucket)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("digest validate: %w", err)}
		}
	}
	refs = digestsBetween(refs, from, to)
	if len(refs) == 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("digest validate: no CloudTrail digest files under %s (they live under AWSLogs/…/CloudTrail-Digest/)", o.location)}
	}
	problems, verr := v.Validate(ctx, refs)
	out := bufio.NewWriter(s.Out)
	enc := json.NewEncoder(out)
	for _, p := range problems {
		if o.format == "json" {
			enc.Encode(struct {
				Kind    string `json:"kind"`
				Time    string `json:"time"`
				Account string `json:"account"`
				Region  string `json:"region"`
				Trail   string `json:"trail"`
				Object  string `json:"object"`
				Detail  string `json:"detail"`
			}{p.Kind, jsonTime(p.At), p.Account, p.Region, p.Trail, p.Object, p.Detail})
			continue
		}
		fmt.Fprintln(out, p.String())
	}
	if err := out.Flush(); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("write output: %w", err)}
	}
	fmt.Fprintf(s.Err, "trailwatch: digest validate: %d digest file(s), %d problem(s)\n", len(refs), len(problems))
	if verr != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("digest validate: %w", verr)}
	}
	if len(problems) > 0 {
		return &exitError{code: exitNoMatch}
	}
	return nil
}

// digestsBetween keeps the digests whose end time (from the key) is in
// [from, to).
func digestsBetween(refs []digest.DigestRef, from, to time.Time) []digest.DigestRef {
	if from.IsZero() && to.IsZero() {
		return refs
	}
	var out []digest.DigestRef
	for _, r := range refs {
		k, err := digest.ParseKey(r.Key)
		if err != nil {
			continue
		}
		if (!from.IsZero() && k.End.Before(from)) || (!to.IsZero() && !k.End.Before(to)) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// s3Digests lists the digest files under prefix.
func s3Digests(ctx context.Context, c *s3.Client, bucket, prefix string) ([]digest.DigestRef, error) {
	var refs []digest.DigestRef
	b := &source.S3Bucket{Client: c, Name: bucket}
	err := b.List(ctx, prefix, "", func(obj source.Object) bool {
		if strings.Contains(obj.Key, "/CloudTrail-Digest/") {
			if _, err := digest.ParseKey(obj.Key); err == nil {
				refs = append(refs, digest.DigestRef{Bucket: bucket, Key: obj.Key})
			}
		}
		return true
	})
	return refs, err
}

// s3Opener reads objects and their user metadata with GetObject; a missing
// object is fs.ErrNotExist, as digest.OpenFunc asks.
func s3Opener(c *s3.Client) digest.OpenFunc {
	return func(ctx context.Context, bucket, key string) (io.ReadCloser, map[string]string, error) {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			var nsk *s3types.NoSuchKey
			if errors.As(err, &nsk) {
				return nil, nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, fs.ErrNotExist)
			}
			return nil, nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
		}
		return out.Body, out.Metadata, nil
	}
}
