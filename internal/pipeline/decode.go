package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/source"
)

// DecodeProblem sorts an error from Decoder.Next the same way for every
// command: a notice to show (digest files, control messages, a walked file
// that is not CloudTrail at all) or an error to count, appended to notices
// or errs; it reports whether the rest of the input is lost.
func DecodeProblem(in source.Input, dec *cloudtrail.Decoder, err error, notices *[]string, errs *[]error) (stop bool) {
	var n *cloudtrail.Notice
	var de *cloudtrail.DecodeError
	switch {
	case errors.As(err, &n):
		*notices = append(*notices, n.Error())
		return false
	case !in.Explicit && dec.Records() == 0 && errors.Is(err, cloudtrail.ErrNotCloudTrail):
		// Found by walking a directory (a manifest, a README): skip it, visibly.
		*notices = append(*notices, fmt.Sprintf("%s: skipped: not a CloudTrail log file", in.Name))
		return true
	}
	*errs = append(*errs, err)
	return errors.As(err, &de) && de.Fatal
}

// EachInputRecord opens in and decodes it as EachRecord does; a failure to
// open goes to the error slice like any read problem.
func EachInputRecord(ctx context.Context, rd *cloudtrail.Reader, in source.Input, sink func() (*[]string, *[]error), each func(*cloudtrail.Record) bool) {
	rc, err := in.Open()
	if err != nil {
		_, errs := sink()
		*errs = append(*errs, err)
		return
	}
	defer rc.Close()
	EachRecord(ctx, rd, in, rc, sink, each)
}

// EachRecord decodes the already opened input r with rd and calls each for
// every record until each returns false, the input ends, or ctx is done.
// Problems go, as DecodeProblem sorts them, to the slices sink returns at
// the time (callers hand batches on and start new ones while decoding).
func EachRecord(ctx context.Context, rd *cloudtrail.Reader, in source.Input, r io.Reader, sink func() (*[]string, *[]error), each func(*cloudtrail.Record) bool) {
	dec, err := rd.Decoder(r, in.Name)
	if err != nil {
		_, errs := sink()
		*errs = append(*errs, fmt.Errorf("read %s: %w", in.Name, err))
		return
	}
	EachDecoded(ctx, dec, in, sink, each)
}

// EachDecoded is EachRecord for a Decoder the caller made.
func EachDecoded(ctx context.Context, dec *cloudtrail.Decoder, in source.Input, sink func() (*[]string, *[]error), each func(*cloudtrail.Record) bool) {
	for n := 1; ; n++ {
		rec, err := dec.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			notices, errs := sink()
			if DecodeProblem(in, dec, err, notices, errs) {
				return
			}
			continue
		}
		if !each(rec) || (n&1023 == 0 && ctx.Err() != nil) {
			return
		}
	}
}
