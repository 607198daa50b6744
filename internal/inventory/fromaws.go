package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/resource"
	"golang.org/x/time/rate"
)

// AWSOptions say what to collect from AWS.
type AWSOptions struct {
	// Regions for the Resource Groups Tagging API; ["all"] asks AWS
	// Account's ListRegions for the enabled ones; empty means the
	// configuration's region.
	Regions []string
	// TagKeys, when set, keep only resources carrying one of these keys
	// (GetResources TagFilters; IAM and S3 entries are filtered alike).
	TagKeys []string
	// RequestsPerSecond bounds the calls to each service (default 5).
	RequestsPerSecond float64
	// MaxAttempts and MaxBackoff tune the SDK's retryer, which retries
	// throttling errors (default 10 attempts, 20 s).
	MaxAttempts int
	MaxBackoff  time.Duration
	// Endpoint, when set, sends every call there (tests, LocalStack).
	Endpoint string
	// Progress is told, as pages arrive, how many entries a source gave.
	Progress func(source string, entries int)
	// Now gives the snapshot's time (default time.Now).
	Now func() time.Time
}

// FromAWS takes a snapshot of tags from AWS with cfg (the SDK's default
// credential chain): the Resource Groups Tagging API's GetResources in each
// region (every page), IAM users and roles with ListUsers/ListUserTags and
// ListRoles/ListRoleTags (IAM is global and the Tagging API does not cover
// it), and S3 buckets' GetBucketTagging for buckets GetResources did not
// return. Each service's calls are rate-limited and throttling is retried
// with backoff. A failure of one region or service is recorded in the
// snapshot's Problems and the rest is still collected; only ctx's end stops
// it (then the error is returned).
func FromAWS(ctx context.Context, cfg aws.Config, opt AWSOptions) (*Snapshot, error) {
	if opt.RequestsPerSecond <= 0 {
		opt.RequestsPerSecond = 5
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 10
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 20 * time.Second
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = opt.MaxAttempts
			o.MaxBackoff = opt.MaxBackoff
			// Many pages in a row may be throttled; do not give up on the
			// client-side retry budget.
			o.RateLimiter = noRetryBudget{}
		})
	}
	c := &collector{opt: opt, cfg: cfg, snap: &Snapshot{TakenAt: now().UTC().Truncate(time.Second), Source: "collect"},
		byARN: map[string]int{}}
	regions, err := c.regions(ctx)
	if err != nil {
		c.problem("account ListRegions: %v", err)
	}
	var wg sync.WaitGroup
	limTag := rate.NewLimiter(rate.Limit(opt.RequestsPerSecond), 1)
	for _, r := range regions {
		wg.Go(func() { c.tagging(ctx, r, limTag) })
	}
	wg.Go(func() { c.iam(ctx) })
	wg.Wait()
	c.s3(ctx)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	sort.Strings(c.snap.Problems)
	return c.snap, nil
}

// noRetryBudget lets every throttled call retry (the standard retryer's
// token bucket would stop retries after a burst of throttling).
type noRetryBudget struct{}

func (noRetryBudget) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noRetryBudget) AddTokens(uint) error { return nil }

type collector struct {
	opt  AWSOptions
	cfg  aws.Config
	mu   sync.Mutex
	snap *Snapshot
	// byARN indexes snap.Resources.
	byARN map[string]int
}

func (c *collector) endpoint() *string {
	if c.opt.Endpoint == "" {
		return nil
	}
	return aws.String(c.opt.Endpoint)
}

func (c *collector) problem(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap.Problems = append(c.snap.Problems, fmt.Sprintf(format, args...))
}

func (c *collector) add(arn string, tags map[string]string) {
	if !c.wanted(tags) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.byARN[arn]; ok {
		for k, v := range tags {
			c.snap.Resources[i].Tags[k] = v
		}
		return
	}
	c.byARN[arn] = len(c.snap.Resources)
	c.snap.Resources = append(c.snap.Resources, Resource{ARN: arn, Tags: tags})
}

func (c *collector) has(arn string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.byARN[arn]
	return ok
}

// wanted applies the tag-key filter to entries the APIs do not filter.
func (c *collector) wanted(tags map[string]string) bool {
	if len(c.opt.TagKeys) == 0 {
		return true
	}
	for _, k := range c.opt.TagKeys {
		if _, ok := tags[k]; ok {
			return true
		}
	}
	return false
}

func (c *collector) progress(source string, n int) {
	if c.opt.Progress != nil {
		c.opt.Progress(source, n)
	}
}

func (c *collector) regions(ctx context.Context) ([]string, error) {
	if len(c.opt.Regions) == 0 {
		return []string{c.cfg.Region}, nil
	}
	if len(c.opt.Regions) != 1 || c.opt.Regions[0] != "all" {
		return c.opt.Regions, nil
	}
	cl := account.NewFromConfig(c.cfg, func(o *account.Options) { o.BaseEndpoint = c.endpoint() })
	p := account.NewListRegionsPaginator(cl, &account.ListRegionsInput{
		RegionOptStatusContains: []accounttypes.RegionOptStatus{accounttypes.RegionOptStatusEnabled, accounttypes.RegionOptStatusEnabledByDefault}})
	var out []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return []string{c.cfg.Region}, fmt.Errorf("%w (collecting the configured region %s only)", err, c.cfg.Region)
		}
		for _, r := range page.Regions {
			out = append(out, aws.ToString(r.RegionName))
		}
	}
	sort.Strings(out)
	return out, nil
}

// tagging reads every page of GetResources in region.
func (c *collector) tagging(ctx context.Context, region string, lim *rate.Limiter) {
	cl := tagging.NewFromConfig(c.cfg, func(o *tagging.Options) {
		o.Region = region
		o.BaseEndpoint = c.endpoint()
	})
	in := &tagging.GetResourcesInput{ResourcesPerPage: aws.Int32(100)}
	// The API ANDs its tag filters; several keys are filtered here (any of
	// them), one by the API.
	if len(c.opt.TagKeys) == 1 {
		in.TagFilters = []taggingtypes.TagFilter{{Key: aws.String(c.opt.TagKeys[0])}}
	}
	p := tagging.NewGetResourcesPaginator(cl, in)
	for page := 1; p.HasMorePages(); page++ {
		if err := lim.Wait(ctx); err != nil {
			return
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.problem("tagging %s: GetResources page %d: %s", region, page, short(err))
			}
			return
		}
		for _, m := range out.ResourceTagMappingList {
			tags := map[string]string{}
			for _, t := range m.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			c.add(aws.ToString(m.ResourceARN), tags)
		}
		c.progress("tagging "+region, len(out.ResourceTagMappingList))
	}
}

// iam lists users and roles with their tags.
func (c *collector) iam(ctx context.Context) {
	cl := iam.NewFromConfig(c.cfg, func(o *iam.Options) { o.BaseEndpoint = c.endpoint() })
	lim := rate.NewLimiter(rate.Limit(c.opt.RequestsPerSecond), 1)
	c.iamKind(ctx, lim, "User",
		func(marker *string) ([]iamEntity, *string, error) {
			o, err := cl.ListUsers(ctx, &iam.ListUsersInput{Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			var out []iamEntity
			for _, u := range o.Users {
				out = append(out, iamEntity{aws.ToString(u.UserName), aws.ToString(u.Arn)})
			}
			return out, nextMarker(o.IsTruncated, o.Marker), nil
		},
		func(name string, marker *string) ([]kv, *string, error) {
			o, err := cl.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(name), Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			var out []kv
			for _, t := range o.Tags {
				out = append(out, kv{aws.ToString(t.Key), aws.ToString(t.Value)})
			}
			return out, nextMarker(o.IsTruncated, o.Marker), nil
		})
	c.iamKind(ctx, lim, "Role",
		func(marker *string) ([]iamEntity, *string, error) {
			o, err := cl.ListRoles(ctx, &iam.ListRolesInput{Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			var out []iamEntity
			for _, r := range o.Roles {
				out = append(out, iamEntity{aws.ToString(r.RoleName), aws.ToString(r.Arn)})
			}
			return out, nextMarker(o.IsTruncated, o.Marker), nil
		},
		func(name string, marker *string) ([]kv, *string, error) {
			o, err := cl.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(name), Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			var out []kv
			for _, t := range o.Tags {
				out = append(out, kv{aws.ToString(t.Key), aws.ToString(t.Value)})
			}
			return out, nextMarker(o.IsTruncated, o.Marker), nil
		})
}

type iamEntity struct{ name, arn string }

// iamKind pages through List{Users,Roles} and each entity's tag list
// (Marker/IsTruncated).
func (c *collector) iamKind(ctx context.Context, lim *rate.Limiter, kind string,
	list func(marker *string) ([]iamEntity, *string, error), listTags func(name string, marker *string) ([]kv, *string, error)) {
	var marker *string
	for page := 1; ; page++ {
		if lim.Wait(ctx) != nil {
			return
		}
		entities, next, err := list(marker)
		if err != nil {
			if ctx.Err() == nil {
				c.problem("iam: List%ss page %d: %s", kind, page, short(err))
			}
			return
		}
		for _, e := range entities {
			tags, err := pages(ctx, lim, func(m *string) ([]kv, *string, error) { return listTags(e.name, m) })
			if err != nil {
				if ctx.Err() == nil {
					c.problem("iam: List%sTags %s: %s", kind, e.name, short(err))
				}
				continue
			}
			c.add(e.arn, tags)
		}
		c.progress("iam "+strings.ToLower(kind)+"s", len(entities))
		if next == nil {
			return
		}
		marker = next
	}
}

type kv struct{ k, v string }

func nextMarker(truncated bool, marker *string) *string {
	if !truncated || aws.ToString(marker) == "" {
		return nil
	}
	return marker
}

// pages calls one IAM Marker-paged list call until it is not truncated.
func pages(ctx context.Context, lim *rate.Limiter, call func(marker *string) ([]kv, *string, error)) (map[string]string, error) {
	tags := map[string]string{}
	var marker *string
	for {
		if err := lim.Wait(ctx); err != nil {
			return nil, err
		}
		page, next, err := call(marker)
		if err != nil {
			return nil, err
		}
		for _, t := range page {
			tags[t.k] = t.v
		}
		if next == nil {
			return tags, nil
		}
		marker = next
	}
}

// s3 adds buckets GetResources did not return (buckets without tags are
// not in its answer, and a bucket's region may not have been asked for).
func (c *collector) s3(ctx context.Context) {
	cl := s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.BaseEndpoint = c.endpoint()
		o.UsePathStyle = c.opt.Endpoint != ""
	})
	lim := rate.NewLimiter(rate.Limit(c.opt.RequestsPerSecond), 1)
	part := resource.PartitionForRegion(c.cfg.Region)
	p := s3.NewListBucketsPaginator(cl, &s3.ListBucketsInput{})
	for page := 1; p.HasMorePages(); page++ {
		if lim.Wait(ctx) != nil {
			return
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.problem("s3: ListBuckets: %s", short(err))
			}
			return
		}
		n := 0
		for _, b := range out.Buckets {
			name := aws.ToString(b.Name)
			arn := "arn:" + part + ":s3:::" + name
			if c.has(arn) {
				continue
			}
			if lim.Wait(ctx) != nil {
				return
			}
			opts := func(o *s3.Options) {
				if r := aws.ToString(b.BucketRegion); r != "" {
					o.Region = r
				}
			}
			t, err := cl.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)}, opts)
			var ae smithy.APIError
			switch {
			case err == nil:
				tags := map[string]string{}
				for _, x := range t.TagSet {
					tags[aws.ToString(x.Key)] = aws.ToString(x.Value)
				}
				c.add(arn, tags)
				n++
			case errors.As(err, &ae) && ae.ErrorCode() == "NoSuchTagSet":
				c.add(arn, map[string]string{})
				n++
			default:
				if ctx.Err() == nil {
					c.problem("s3: GetBucketTagging %s: %s", name, short(err))
				}
			}
		}
		c.progress("s3 buckets", n)
	}
}

// short says what an AWS call's error was without the SDK's request
// details: the service's code and message.
func short(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
