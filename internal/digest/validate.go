package digest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"
)

// Problem kinds reported by Validator.Validate.
const (
	// KindMissingLog: a log file listed in a digest does not exist.
	KindMissingLog = "missing-log"
	// KindHashMismatch: a log file's SHA-256 differs from the digest (or it
	// cannot be decompressed).
	KindHashMismatch = "hash-mismatch"
	// KindBadSignature: the digest signature is absent or does not verify,
	// or an algorithm other than SHA256withRSA is named.
	KindBadSignature = "bad-signature"
	// KindUnknownKey: no public key has the digest's fingerprint.
	KindUnknownKey = "unknown-key"
	// KindChainBreak: previousDigestHashValue / previousDigestSignature do
	// not match the previous digest, or the chain skips or overlaps a digest.
	KindChainBreak = "chain-break"
	// KindGap: a digest does not start where the preceding one ended
	// (includes a starting digest after a restart of logging/validation).
	KindGap = "gap"
	// KindMissingDigest: a digest that was listed or is referenced as
	// previousDigestS3Object does not exist.
	KindMissingDigest = "missing-digest"
	// KindInvalidDigest: a digest cannot be parsed, has an unrecognised key,
	// or was moved from the location recorded inside it.
	KindInvalidDigest = "invalid-digest"
)

// Problem is one integrity finding.
type Problem struct {
	Kind    string
	Trail   string
	Account string
	Region  string    // region the digest was delivered from
	Object  string    // s3://bucket/key of the digest or log file concerned
	Detail  string    // human-readable explanation
	At      time.Time // digestEndTime of the digest concerned (gap: its start)
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s %s/%s/%s %s: %s", p.At.Format(time.RFC3339), p.Kind, p.Account, p.Region, p.Trail, p.Object, p.Detail)
}

// DigestRef names one digest file to validate.
type DigestRef struct {
	Bucket string
	Key    string
	// Metadata, when non-nil, is used instead of the metadata returned by
	// Open (keys as in the S3 API Metadata map: "signature",
	// "signature-algorithm"; "x-amz-meta-" prefixes are also accepted).
	Metadata map[string]string
}

// OpenFunc opens an object. It returns the object's content as stored and
// its user metadata. A missing object must be reported with an error for
// which errors.Is(err, fs.ErrNotExist) holds (an S3 adapter maps NoSuchKey
// to it).
type OpenFunc func(ctx context.Context, bucket, key string) (io.ReadCloser, map[string]string, error)

// Validator validates sequences of digest files and the log files they list.
type Validator struct {
	// Keys are the candidate public keys (from ParsePublicKeys).
	Keys []PublicKey
	// Open reads digest and log files; see OpenFunc and DirOpener.
	Open func(ctx context.Context, bucket, key string) (io.ReadCloser, map[string]string, error)
	// Workers is how many log files are checked concurrently (<1 means 1).
	Workers int
}

type entry struct {
	ref  DigestRef
	info KeyInfo
	d    *Digest
	meta map[string]string
}

func (e *entry) object() string { return "s3://" + e.ref.Bucket + "/" + e.ref.Key }

func (e *entry) problem(kind, object, detail string, at time.Time) Problem {
	if object == "" {
		object = e.object()
	}
	return Problem{Kind: kind, Trail: e.info.Trail, Account: e.info.Account, Region: e.info.Region, Object: object, Detail: detail, At: at}
}

// normMeta lower-cases metadata names and strips any "x-amz-meta-" prefix.
func normMeta(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		k = strings.ToLower(strings.TrimSpace(k))
		k = strings.TrimPrefix(k, "x-amz-meta-")
		out[k] = v
	}
	return out
}

// Validate checks the given digests, grouped into chains per bucket, key
// prefix, trail, account and region, and every log file they list:
//
//   - each digest parses, sits where digestS3Bucket/digestS3Object say, and
//     its signature (x-amz-meta-signature; for a digest without metadata,
//     the next digest's previousDigestSignature) verifies with the key
//     matching digestPublicKeyFingerprint (bad-signature, unknown-key);
//   - each non-starting digest links to its predecessor:
//     previousDigestHashValue = hex(SHA-256(uncompressed previous digest))
//     and previousDigestSignature = the previous digest's signature
//     (chain-break); a predecessor that does not exist is missing-digest;
//   - consecutive digests meet: digestStartTime = previous digestEndTime
//     (gap);
//   - every listed log file exists (missing-log) and hashes to hashValue
//     (hash-mismatch).
//
// The predecessor of the earliest digest of each chain is outside the range
// asked for and is not fetched. Backfill digests are checked for signature
// and log files only. Problems are returned sorted by account, region,
// trail and time; the error is non-nil only when reading fails for a reason
// other than a missing object, or ctx ends, in which case the problems
// found so far are returned with it.
func (v *Validator) Validate(ctx context.Context, digests []DigestRef) ([]Problem, error) {
	if v.Open == nil {
		return nil, errors.New("digest: Validator.Open is nil")
	}
	var problems []Problem
	streams := map[string][]*entry{}
	var order []string
	for _, ref := range digests {
		info, err := ParseKey(ref.Key)
		if err != nil {
			problems = append(problems, Problem{Kind: KindInvalidDigest, Object: "s3://" + ref.Bucket + "/" + ref.Key, Detail: err.Error()})
			continue
		}
		s := info.stream(ref.Bucket)
		if _, ok := streams[s]; !ok {
			order = append(order, s)
		}
		streams[s] = append(streams[s], &entry{ref: ref, info: info})
	}
	var logJobs []logJob
	for _, s := range order {
		ps, jobs, err := v.validateStream(ctx, streams[s])
		problems = append(problems, ps...)
		logJobs = append(logJobs, jobs...)
		if err != nil {
			sortProblems(problems)
			return problems, err
		}
	}
	ps, err := v.checkLogs(ctx, logJobs)
	problems = append(problems, ps...)
	sortProblems(problems)
	return problems, err
}

func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Account, b.Account),
			cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.Trail, b.Trail),
			a.At.Compare(b.At),
			cmp.Compare(a.Object, b.Object),
			cmp.Compare(a.Kind, b.Kind),
		)
	})
}

// load opens and parses one digest; a nil digest with nil error means a
// problem was recorded.
func (v *Validator) load(ctx context.Context, bucket, key string) (*Digest, map[string]string, error) {
	rc, meta, err := v.Open(ctx, bucket, key)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	src := &ctxReader{ctx: ctx, r: rc}
	d, err := Parse(src, "s3://"+bucket+"/"+key)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if src.err != nil {
			return nil, nil, src.err
		}
		return nil, nil, fmt.Errorf("%w: %w", errParse, err)
	}
	return d, normMeta(meta), nil
}

var errParse = errors.New("invalid digest")

type logJob struct {
	e  *entry
	lf LogFile
}

func (v *Validator) validateStream(ctx context.Context, es []*entry) ([]Problem, []logJob, error) {
	var problems []Problem
	add := func(p Problem) { problems = append(problems, p) }

	// Load.
	var ok []*entry
	for _, e := range es {
		if err := ctx.Err(); err != nil {
			return problems, nil, err
		}
		d, meta, err := v.load(ctx, e.ref.Bucket, e.ref.Key)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			add(e.problem(KindMissingDigest, "", "digest file not found", e.info.End))
			continue
		case errors.Is(err, errParse):
			add(e.problem(KindInvalidDigest, "", err.Error(), e.info.End))
			continue
		case err != nil:
			return problems, nil, fmt.Errorf("digest: reading s3://%s/%s: %w", e.ref.Bucket, e.ref.Key, err)
		}
		e.d = d
		e.meta = meta
		if e.ref.Metadata != nil {
			e.meta = normMeta(e.ref.Metadata)
		}
		if d.DigestS3Bucket != e.ref.Bucket || d.DigestS3Object != e.ref.Key {
			add(e.problem(KindInvalidDigest, "", fmt.Sprintf("moved from its original location s3://%s/%s", d.DigestS3Bucket, d.DigestS3Object), d.DigestEndTime))
			continue
		}
		ok = append(ok, e)
	}
	slices.SortStableFunc(ok, func(a, b *entry) int {
		return cmp.Or(a.d.DigestEndTime.Compare(b.d.DigestEndTime), cmp.Compare(a.ref.Key, b.ref.Key))
	})

	var chain, backfill []*entry
	for _, e := range ok {
		if e.info.Backfill {
			backfill = append(backfill, e)
		} else {
			chain = append(chain, e)
		}
	}
	byKey := map[string]*entry{}
	for _, e := range chain {
		byKey[e.ref.Bucket+"/"+e.ref.Key] = e
	}

	// signatureOf returns the signature of chain[i]: its metadata, or the
	// next digest's previousDigestSignature when it links to chain[i]
	// (the offline approach of the custom-validation guide).
	signatureOf := func(i int) (sig, source string) {
		e := chain[i]
		if s := strings.TrimSpace(e.meta[MetaSignature]); s != "" {
			return s, "x-amz-meta-signature"
		}
		if i+1 < len(chain) {
			n := chain[i+1].d
			if n.PreviousDigestS3Bucket == e.ref.Bucket && n.PreviousDigestS3Object == e.ref.Key && n.PreviousDigestSignature != "" {
				return n.PreviousDigestSignature, "next digest's previousDigestSignature"
			}
		}
		return "", ""
	}
	checkSig := func(e *entry, sig, source string) {
		at := e.d.DigestEndTime
		if alg := e.meta[MetaSignatureAlgorithm]; alg != "" && alg != SignatureAlgorithm {
			add(e.problem(KindBadSignature, "", fmt.Sprintf("unsupported x-amz-meta-signature-algorithm %q", alg), at))
			return
		}
		if sig == "" {
			add(e.problem(KindBadSignature, "", "no signature: x-amz-meta-signature metadata missing", at))
			return
		}
		if err := e.d.VerifySignature(sig, v.Keys); err != nil {
			kind := KindBadSignature
			if errors.Is(err, ErrUnknownKey) {
				kind = KindUnknownKey
			}
			add(e.problem(kind, "", fmt.Sprintf("%v (signature from %s)", err, source), at))
		}
	}

	fetched := map[string]*entry{} // predecessors outside the listing
	for i, e := range chain {
		if err := ctx.Err(); err != nil {
			return problems, nil, err
		}
		d := e.d
		sig, source := signatureOf(i)
		checkSig(e, sig, source)

		var prev *entry
		if i > 0 {
			prev = chain[i-1]
		}

		// Link to the predecessor named inside the digest.
		var target *entry
		if !d.IsStarting() {
			tk := d.PreviousDigestS3Bucket + "/" + d.PreviousDigestS3Object
			target = byKey[tk]
			if target == nil && i > 0 {
				if f, seen := fetched[tk]; seen {
					target = f
				} else {
					pd, meta, err := v.load(ctx, d.PreviousDigestS3Bucket, d.PreviousDigestS3Object)
					switch {
					case errors.Is(err, fs.ErrNotExist):
						add(e.problem(KindMissingDigest, "s3://"+tk, "previous digest referenced by "+e.object()+" not found", d.DigestStartTime))
					case errors.Is(err, errParse):
						add(e.problem(KindInvalidDigest, "s3://"+tk, err.Error(), d.DigestStartTime))
					case err != nil:
						return problems, nil, fmt.Errorf("digest: reading s3://%s: %w", tk, err)
					default:
						target = &entry{ref: DigestRef{Bucket: d.PreviousDigestS3Bucket, Key: d.PreviousDigestS3Object}, info: e.info, d: pd, meta: meta}
					}
					fetched[tk] = target
				}
			}
			if target != nil {
				var why []string
				if alg := d.PreviousDigestHashAlgorithm; alg != "" && alg != HashAlgorithm {
					why = append(why, fmt.Sprintf("unsupported previousDigestHashAlgorithm %q", alg))
				} else if h := target.d.SHA256Hex(); !strings.EqualFold(h, d.PreviousDigestHashValue) {
					why = append(why, fmt.Sprintf("previousDigestHashValue %s but the previous digest hashes to %s", d.PreviousDigestHashValue, h))
				}
				if ps := strings.TrimSpace(target.meta[MetaSignature]); ps != "" && !strings.EqualFold(ps, d.PreviousDigestSignature) {
					why = append(why, "previousDigestSignature differs from the previous digest's x-amz-meta-signature")
				}
				if prev != nil && target != prev {
					why = append(why, fmt.Sprintf("links to %s, not to the preceding digest %s", target.object(), prev.object()))
				}
				if len(why) > 0 {
					add(e.problem(KindChainBreak, "", strings.Join(why, "; "), d.DigestEndTime))
				}
			}
		}

		// Time continuity with the preceding digest.
		if prev != nil {
			switch pe := prev.d.DigestEndTime; {
			case d.DigestStartTime.After(pe):
				detail := fmt.Sprintf("no digest covers %s to %s", pe.Format(time.RFC3339), d.DigestStartTime.Format(time.RFC3339))
				if d.IsStarting() {
					detail += " (starting digest: log file validation or logging was restarted)"
				}
				add(e.problem(KindGap, "", detail, pe))
			case d.DigestStartTime.Before(pe):
				add(e.problem(KindChainBreak, "", fmt.Sprintf("digestStartTime %s overlaps the preceding digest ending %s", d.DigestStartTime.Format(time.RFC3339), pe.Format(time.RFC3339)), d.DigestEndTime))
			}
		}
	}
	for _, e := range backfill {
		checkSig(e, strings.TrimSpace(e.meta[MetaSignature]), "x-amz-meta-signature")
	}

	var jobs []logJob
	for _, e := range ok {
		for _, lf := range e.d.LogFiles {
			jobs = append(jobs, logJob{e: e, lf: lf})
		}
	}
	return problems, jobs, nil
}

func (v *Validator) checkLogs(ctx context.Context, jobs []logJob) ([]Problem, error) {
	workers := max(v.Workers, 1)
	var (
		mu       sync.Mutex
		problems []Problem
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan logJob)
	for range workers {
		wg.Go(func() {
			for j := range ch {
				p, err := v.checkLog(ctx, j)
				mu.Lock()
				if p != nil {
					problems = append(problems, *p)
				}
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return problems, firstErr
}

func (v *Validator) checkLog(ctx context.Context, j logJob) (*Problem, error) {
	bucket := j.lf.S3Bucket
	if bucket == "" {
		bucket = j.e.d.DigestS3Bucket
	}
	obj := "s3://" + bucket + "/" + j.lf.S3Object
	at := j.e.d.DigestEndTime
	rc, _, err := v.Open(ctx, bucket, j.lf.S3Object)
	if errors.Is(err, fs.ErrNotExist) {
		p := j.e.problem(KindMissingLog, obj, "log file listed in "+j.e.object()+" not found", at)
		return &p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("digest: reading %s: %w", obj, err)
	}
	defer rc.Close()
	src := &ctxReader{ctx: ctx, r: rc}
	err = j.e.d.VerifyLogFile(j.lf.S3Object, src)
	if err == nil {
		return nil, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if src.err != nil {
		// Reading the object failed: not evidence of tampering.
		return nil, fmt.Errorf("digest: reading %s: %w", obj, src.err)
	}
	p := j.e.problem(KindHashMismatch, obj, err.Error()+" (listed in "+j.e.object()+")", at)
	return &p, nil
}

// ctxReader fails reads once ctx is done and records the first read error
// other than io.EOF.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}
