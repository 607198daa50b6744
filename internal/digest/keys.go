package digest

import (
	"bytes"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// PublicKey is one CloudTrail digest-signing public key, as returned by
// ListPublicKeys / `aws cloudtrail list-public-keys`.
type PublicKey struct {
	// Fingerprint is the hex MD5 of the DER bytes of the key value; it is
	// what digestPublicKeyFingerprint refers to.
	Fingerprint string
	Key         *rsa.PublicKey
	// ValidFrom and ValidTo are the key's validity window (zero if absent).
	ValidFrom, ValidTo time.Time
}

type rawPublicKey struct {
	Value             string          `json:"Value"`
	Fingerprint       string          `json:"Fingerprint"`
	ValidityStartTime json.RawMessage `json:"ValidityStartTime"`
	ValidityEndTime   json.RawMessage `json:"ValidityEndTime"`
}

// ParsePublicKeys reads the JSON output of `aws cloudtrail list-public-keys`
// ({"PublicKeyList":[{"Value":base64 DER,"Fingerprint":hex,
// "ValidityStartTime":..,"ValidityEndTime":..}]}; a bare array of such
// objects is accepted too). See
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PublicKey.html
// and section "B. Retrieve the Public Key" of
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html
//
// Value is "the DER encoded public key value in PKCS#1 format"; AWS's own
// sample also contains a SubjectPublicKeyInfo-wrapped key, so both are
// accepted. The fingerprint is checked to be hex(MD5(DER)), which holds for
// all three keys of the AWS sample; an absent fingerprint is computed.
// Validity times may be JSON numbers or strings holding epoch seconds or
// RFC 3339 timestamps (the CLI's default output).
func ParsePublicKeys(r io.Reader) ([]PublicKey, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("public keys: reading: %w", err)
	}
	var list []rawPublicKey
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("public keys: decoding JSON: %w", err)
		}
	} else {
		// encoding/json matches field names case-insensitively, so the
		// API's "PublicKeyList" and the guide's sample "publicKeyList"
		// both decode.
		var wrapper struct {
			PublicKeyList []rawPublicKey `json:"PublicKeyList"`
		}
		if err := json.Unmarshal(trimmed, &wrapper); err != nil {
			return nil, fmt.Errorf("public keys: decoding JSON: %w", err)
		}
		list = wrapper.PublicKeyList
	}
	keys := make([]PublicKey, 0, len(list))
	var errs []error
	for i, rk := range list {
		k, err := parsePublicKey(rk)
		if err != nil {
			errs = append(errs, fmt.Errorf("public key %d: %w", i, err))
			continue
		}
		keys = append(keys, k)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("public keys: %w", err)
	}
	return keys, nil
}

func parsePublicKey(rk rawPublicKey) (PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rk.Value))
	if err != nil {
		return PublicKey{}, fmt.Errorf("value is not base64: %w", err)
	}
	key, err := ParseDERPublicKey(der)
	if err != nil {
		return PublicKey{}, err
	}
	fp := Fingerprint(der)
	if rk.Fingerprint != "" && !strings.EqualFold(rk.Fingerprint, fp) {
		return PublicKey{}, fmt.Errorf("fingerprint %s does not match MD5 of the key value (%s)", rk.Fingerprint, fp)
	}
	from, err := parseKeyTime(rk.ValidityStartTime)
	if err != nil {
		return PublicKey{}, fmt.Errorf("ValidityStartTime: %w", err)
	}
	to, err := parseKeyTime(rk.ValidityEndTime)
	if err != nil {
		return PublicKey{}, fmt.Errorf("ValidityEndTime: %w", err)
	}
	return PublicKey{Fingerprint: fp, Key: key, ValidFrom: from, ValidTo: to}, nil
}

// ParseDERPublicKey parses an RSA public key in DER form: PKCS#1
// RSAPublicKey (what ListPublicKeys documents) or X.509
// SubjectPublicKeyInfo.
func ParseDERPublicKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("value is neither a PKCS#1 nor a PKIX public key: %w", err)
	}
	k, ok := pk.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("value is a %T, not an RSA public key", pk)
	}
	return k, nil
}

// Fingerprint returns hex(MD5(der)), the fingerprint CloudTrail gives a
// public key whose DER value is der.
func Fingerprint(der []byte) string {
	sum := md5.Sum(der)
	return hex.EncodeToString(sum[:])
}

func parseKeyTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if strings.HasPrefix(s, `"`) {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return time.Time{}, err
		}
		s = strings.TrimSpace(v)
		if s == "" {
			return time.Time{}, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
			return time.Time{}, fmt.Errorf("epoch seconds out of range: %s", s)
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", s)
}
