package digest

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Algorithm names used in digest files and S3 metadata.
const (
	// SignatureAlgorithm is the only digestSignatureAlgorithm /
	// x-amz-meta-signature-algorithm value AWS documents.
	SignatureAlgorithm = "SHA256withRSA"
	// HashAlgorithm is the only hashAlgorithm / previousDigestHashAlgorithm
	// value AWS documents.
	HashAlgorithm = "SHA-256"
)

// S3 user-metadata names holding the digest signature, as returned by the S3
// API (GetObject/HeadObject Metadata map, i.e. without the x-amz-meta- prefix).
const (
	MetaSignature          = "signature"
	MetaSignatureAlgorithm = "signature-algorithm"
)

// maxDigestSize bounds the uncompressed size of a digest file. Real digest
// files list one hour of log files and are far smaller.
const maxDigestSize = 64 << 20

// Errors returned (wrapped) by the verification functions; test with errors.Is.
var (
	// ErrUnknownKey means no public key matches digestPublicKeyFingerprint.
	ErrUnknownKey = errors.New("digest: no public key with the digest's fingerprint")
	// ErrBadSignature means the signature does not verify.
	ErrBadSignature = errors.New("digest: signature verification failed")
	// ErrHashMismatch means a log file's SHA-256 differs from the digest.
	ErrHashMismatch = errors.New("digest: log file hash mismatch")
	// ErrNotListed means a log file is not listed in the digest.
	ErrNotListed = errors.New("digest: log file not listed in digest")
)

// LogFile is one entry of a digest's logFiles array.
type LogFile struct {
	S3Bucket      string
	S3Object      string
	HashValue     string // hex SHA-256 of the uncompressed log file
	HashAlgorithm string // "SHA-256"
	// NewestEventTime and OldestEventTime are zero when absent or null.
	NewestEventTime time.Time
	OldestEventTime time.Time
}

// Digest is a parsed CloudTrail digest file.
type Digest struct {
	// Name is the name passed to Parse (for messages).
	Name string

	AWSAccountID string
	// DigestStartTime and DigestEndTime bound the delivery times of the
	// log files listed.
	DigestStartTime time.Time
	DigestEndTime   time.Time
	// DigestEndTimeRaw is digestEndTime exactly as written in the file; it
	// is part of the data signing string.
	DigestEndTimeRaw           string
	DigestS3Bucket             string
	DigestS3Object             string
	DigestPublicKeyFingerprint string
	DigestSignatureAlgorithm   string
	// NewestEventTime and OldestEventTime are zero when null (empty digest).
	NewestEventTime time.Time
	OldestEventTime time.Time

	// The Previous* fields are empty in a starting digest file, where AWS
	// writes null.
	PreviousDigestS3Bucket      string
	PreviousDigestS3Object      string
	PreviousDigestHashValue     string
	PreviousDigestHashAlgorithm string
	PreviousDigestSignature     string

	LogFiles []LogFile

	// Raw is the uncompressed digest file: the bytes that are hashed for
	// the data signing string and for the next digest's
	// previousDigestHashValue.
	Raw []byte
}

type rawLogFile struct {
	S3Bucket        *string `json:"s3Bucket"`
	S3Object        *string `json:"s3Object"`
	HashValue       *string `json:"hashValue"`
	HashAlgorithm   *string `json:"hashAlgorithm"`
	NewestEventTime *string `json:"newestEventTime"`
	OldestEventTime *string `json:"oldestEventTime"`
}

type rawDigest struct {
	AWSAccountID                *string      `json:"awsAccountId"`
	DigestStartTime             *string      `json:"digestStartTime"`
	DigestEndTime               *string      `json:"digestEndTime"`
	DigestS3Bucket              *string      `json:"digestS3Bucket"`
	DigestS3Object              *string      `json:"digestS3Object"`
	DigestPublicKeyFingerprint  *string      `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    *string      `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string      `json:"newestEventTime"`
	OldestEventTime             *string      `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string      `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string      `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string      `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string      `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string      `json:"previousDigestSignature"`
	LogFiles                    []rawLogFile `json:"logFiles"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// parseTime parses a digest timestamp ("2015-08-17T14:01:31Z"); nil or ""
// gives the zero time.
func parseTime(field string, p *string) (time.Time, error) {
	if p == nil || *p == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *p)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	return t.UTC(), nil
}

// Parse reads one digest file, gzip-compressed (.json.gz, as delivered) or
// not (.json); compression is detected from the content. name is only used
// in error messages and recorded in Digest.Name.
func Parse(r io.Reader, name string) (*Digest, error) {
	raw, err := readMaybeGzip(r, maxDigestSize)
	if err != nil {
		return nil, fmt.Errorf("digest %s: %w", name, err)
	}
	var rd rawDigest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&rd); err != nil {
		return nil, fmt.Errorf("digest %s: decoding JSON: %w", name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("digest %s: trailing data after JSON object", name)
	}
	d := &Digest{
		Name:                        name,
		AWSAccountID:                str(rd.AWSAccountID),
		DigestEndTimeRaw:            str(rd.DigestEndTime),
		DigestS3Bucket:              str(rd.DigestS3Bucket),
		DigestS3Object:              str(rd.DigestS3Object),
		DigestPublicKeyFingerprint:  str(rd.DigestPublicKeyFingerprint),
		DigestSignatureAlgorithm:    str(rd.DigestSignatureAlgorithm),
		PreviousDigestS3Bucket:      str(rd.PreviousDigestS3Bucket),
		PreviousDigestS3Object:      str(rd.PreviousDigestS3Object),
		PreviousDigestHashValue:     str(rd.PreviousDigestHashValue),
		PreviousDigestHashAlgorithm: str(rd.PreviousDigestHashAlgorithm),
		PreviousDigestSignature:     str(rd.PreviousDigestSignature),
		Raw:                         raw,
	}
	// The fields the AWS CLI requires before validating a digest.
	for _, req := range []struct {
		name string
		v    *string
	}{
		{"digestStartTime", rd.DigestStartTime},
		{"digestEndTime", rd.DigestEndTime},
		{"digestS3Bucket", rd.DigestS3Bucket},
		{"digestS3Object", rd.DigestS3Object},
		{"digestPublicKeyFingerprint", rd.DigestPublicKeyFingerprint},
	} {
		if req.v == nil || *req.v == "" {
			return nil, fmt.Errorf("digest %s: missing required field %s", name, req.name)
		}
	}
	var errs []error
	set := func(dst *time.Time, field string, p *string) {
		t, err := parseTime(field, p)
		if err != nil {
			errs = append(errs, err)
		}
		*dst = t
	}
	set(&d.DigestStartTime, "digestStartTime", rd.DigestStartTime)
	set(&d.DigestEndTime, "digestEndTime", rd.DigestEndTime)
	set(&d.NewestEventTime, "newestEventTime", rd.NewestEventTime)
	set(&d.OldestEventTime, "oldestEventTime", rd.OldestEventTime)
	d.LogFiles = make([]LogFile, 0, len(rd.LogFiles))
	for i, lf := range rd.LogFiles {
		l := LogFile{
			S3Bucket:      str(lf.S3Bucket),
			S3Object:      str(lf.S3Object),
			HashValue:     str(lf.HashValue),
			HashAlgorithm: str(lf.HashAlgorithm),
		}
		if l.S3Object == "" || l.HashValue == "" {
			errs = append(errs, fmt.Errorf("logFiles[%d]: missing s3Object or hashValue", i))
		}
		set(&l.NewestEventTime, fmt.Sprintf("logFiles[%d].newestEventTime", i), lf.NewestEventTime)
		set(&l.OldestEventTime, fmt.Sprintf("logFiles[%d].oldestEventTime", i), lf.OldestEventTime)
		d.LogFiles = append(d.LogFiles, l)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("digest %s: %w", name, err)
	}
	return d, nil
}

// readMaybeGzip reads all of r, gunzipping it when it starts with the gzip
// magic bytes, and fails if the result exceeds limit bytes.
func readMaybeGzip(r io.Reader, limit int64) ([]byte, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	b, err := io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes uncompressed", limit)
	}
	return b, nil
}

// SHA256Hex returns hex(SHA-256(Raw)): the digest file hash used in the data
// signing string and expected in the next digest's previousDigestHashValue.
func (d *Digest) SHA256Hex() string {
	sum := sha256.Sum256(d.Raw)
	return hex.EncodeToString(sum[:])
}

// IsStarting reports whether d is a starting digest file (the previous
// digest fields are null), written when validation or logging (re)starts.
func (d *Digest) IsStarting() bool {
	return d.PreviousDigestS3Object == "" && d.PreviousDigestSignature == ""
}

// StringToSign returns the data signing string of the custom-validation
// guide, section "D. Recreate the Data Signing String":
//
//	digestEndTime \n digestS3Bucket/digestS3Object \n hex(SHA-256(Raw)) \n previousDigestSignature
//
// with "null" for the previous signature of a starting digest (as the AWS
// CLI does "to match the Java implementation").
func (d *Digest) StringToSign() []byte {
	prev := d.PreviousDigestSignature
	if prev == "" {
		prev = "null"
	}
	var b strings.Builder
	b.WriteString(d.DigestEndTimeRaw)
	b.WriteByte('\n')
	b.WriteString(d.DigestS3Bucket)
	b.WriteByte('/')
	b.WriteString(d.DigestS3Object)
	b.WriteByte('\n')
	b.WriteString(d.SHA256Hex())
	b.WriteByte('\n')
	b.WriteString(prev)
	return []byte(b.String())
}

// FindKey returns the keys whose fingerprint equals the digest's
// digestPublicKeyFingerprint (case-insensitively).
func (d *Digest) FindKey(keys []PublicKey) []PublicKey {
	var out []PublicKey
	for _, k := range keys {
		if k.Key != nil && strings.EqualFold(k.Fingerprint, d.DigestPublicKeyFingerprint) {
			out = append(out, k)
		}
	}
	return out
}

// VerifySignature checks signatureHex (the x-amz-meta-signature metadata of
// the digest object, or the next digest's previousDigestSignature) against
// the data signing string, using the key in keys whose fingerprint matches
// digestPublicKeyFingerprint. The error wraps ErrUnknownKey or
// ErrBadSignature.
func (d *Digest) VerifySignature(signatureHex string, keys []PublicKey) error {
	if d.DigestSignatureAlgorithm != "" && d.DigestSignatureAlgorithm != SignatureAlgorithm {
		return fmt.Errorf("%w: unsupported digestSignatureAlgorithm %q", ErrBadSignature, d.DigestSignatureAlgorithm)
	}
	cands := d.FindKey(keys)
	if len(cands) == 0 {
		return fmt.Errorf("%w: fingerprint %s", ErrUnknownKey, d.DigestPublicKeyFingerprint)
	}
	sig, err := hex.DecodeString(strings.TrimSpace(signatureHex))
	if err != nil {
		return fmt.Errorf("%w: signature is not hex: %w", ErrBadSignature, err)
	}
	if len(sig) == 0 {
		return fmt.Errorf("%w: empty signature", ErrBadSignature)
	}
	sum := sha256.Sum256(d.StringToSign())
	var last error
	for _, k := range cands {
		if last = rsa.VerifyPKCS1v15(k.Key, crypto.SHA256, sum[:], sig); last == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: %w", ErrBadSignature, last)
}

// LogFile returns the logFiles entry for s3Object.
func (d *Digest) LogFile(s3Object string) (LogFile, bool) {
	for _, l := range d.LogFiles {
		if l.S3Object == s3Object {
			return l, true
		}
	}
	return LogFile{}, false
}

// VerifyLogFile checks that content (the log file as stored in S3, i.e.
// gzip-compressed; uncompressed content is accepted too) hashes to the
// hashValue listed for s3Object: hex(SHA-256(uncompressed content)). The
// error wraps ErrNotListed or ErrHashMismatch.
func (d *Digest) VerifyLogFile(s3Object string, content io.Reader) error {
	lf, ok := d.LogFile(s3Object)
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotListed, s3Object)
	}
	if lf.HashAlgorithm != "" && lf.HashAlgorithm != HashAlgorithm {
		return fmt.Errorf("log file %s: unsupported hashAlgorithm %q", s3Object, lf.HashAlgorithm)
	}
	got, err := hashUncompressed(content)
	if err != nil {
		return fmt.Errorf("%w: log file %s: %w", ErrHashMismatch, s3Object, err)
	}
	if !strings.EqualFold(got, lf.HashValue) {
		return fmt.Errorf("%w: log file %s: SHA-256 %s, digest says %s", ErrHashMismatch, s3Object, got, lf.HashValue)
	}
	return nil
}

// hashUncompressed returns hex(SHA-256) of r's content, gunzipped when it
// starts with the gzip magic bytes (concatenated gzip members included).
func hashUncompressed(r io.Reader) (string, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	h := sha256.New()
	if _, err := io.Copy(h, src); err != nil {
		return "", fmt.Errorf("reading: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
