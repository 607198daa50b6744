package source

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client a Bucket uses.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3Bucket is an S3 bucket.
type S3Bucket struct {
	Client S3API
	Name   string
}

// ParseS3URL splits s3://bucket/prefix.
func ParseS3URL(s string) (bucket, prefix string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("%q is not an S3 URL: want s3://BUCKET[/PREFIX]", s)
	}
	prefix = strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// URL implements Bucket.
func (b *S3Bucket) URL(key string) string { return "s3://" + b.Name + "/" + key }

// List implements Bucket with ListObjectsV2, whose StartAfter makes a
// checkpoint one key instead of a record of every object seen.
func (b *S3Bucket) List(ctx context.Context, prefix, startAfter string, fn func(Object) bool) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(b.Name), Prefix: aws.String(prefix)}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	p := s3.NewListObjectsV2Paginator(b.Client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", b.URL(prefix), err)
		}
		for _, o := range page.Contents {
			obj := Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size)}
			if o.LastModified != nil {
				obj.Modified = *o.LastModified
			}
			if !fn(obj) {
				return nil
			}
		}
	}
	return nil
}

// Dirs implements Bucket.
func (b *S3Bucket) Dirs(ctx context.Context, prefix string) ([]string, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(b.Name), Prefix: aws.String(prefix), Delimiter: aws.String("/")}
	p := s3.NewListObjectsV2Paginator(b.Client, in)
	var out []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", b.URL(prefix), err)
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, aws.ToString(cp.Prefix))
		}
	}
	return out, nil
}

// Open implements Bucket.
func (b *S3Bucket) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := b.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", b.URL(key), err)
	}
	return out.Body, nil
}

// DefaultS3 opens a bucket with the SDK's default configuration
// (environment, shared profiles, SSO, instance roles). AWS_ENDPOINT_URL_S3
// or AWS_ENDPOINT_URL point it at another S3 API (MinIO, LocalStack), with
// path-style addressing.
func DefaultS3(ctx context.Context, bucket string) (Bucket, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = o.BaseEndpoint != nil
		// S3-compatible servers often send no checksums; that is not worth a log line per object.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &S3Bucket{Client: c, Name: bucket}, nil
}
