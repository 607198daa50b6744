// Package digest validates CloudTrail log file integrity from CloudTrail
// digest files, implementing what AWS documents in:
//
//   - CloudTrail digest file structure:
//     https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
//   - Custom implementations of CloudTrail log file integrity validation:
//     https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html
//   - PublicKey (ListPublicKeys):
//     https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PublicKey.html
//
// and cross-checked against the reference implementation behind
// `aws cloudtrail validate-logs` (awscli/customizations/cloudtrail/validation.py).
//
// The rules implemented are:
//
//   - A digest file is a gzipped JSON object delivered to
//     [prefix/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHmmssZ[_backfill].json.gz
//     (see [ParseKey]).
//   - Its signature is the hex-encoded value of the S3 object metadata
//     x-amz-meta-signature; x-amz-meta-signature-algorithm is SHA256withRSA.
//   - The data signing string is
//     digestEndTime + "\n" + digestS3Bucket + "/" + digestS3Object + "\n" +
//     hex(SHA-256(uncompressed digest file bytes)) + "\n" + previousDigestSignature,
//     where a null previousDigestSignature (starting digest) is the literal
//     string "null". The signature is RSASSA-PKCS1-v1_5 with SHA-256 over
//     that string ("SHA256withRSA").
//   - The public key is chosen by digestPublicKeyFingerprint among the keys
//     returned by ListPublicKeys; each key's Value is DER (PKCS#1
//     RSAPublicKey, or SubjectPublicKeyInfo as in one of AWS's samples) and
//     its Fingerprint is the hex MD5 of those DER bytes.
//   - logFiles[].hashValue is hex(SHA-256(uncompressed log file content)).
//   - previousDigestHashValue is hex(SHA-256(uncompressed previous digest
//     file)), and previousDigestSignature is the previous digest's signature.
//
// [Validator] checks whole sequences of digests per trail, account and
// region and reports every [Problem] it finds instead of stopping at the
// first. Storage is abstracted by [Validator.Open]; [DirOpener] reads a
// local copy of a bucket.
package digest
