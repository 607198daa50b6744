package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/source"
)

// Location is a bucket (or directory) and the prefix under which trails
// deliver: the bucket's root, an S3 key prefix set on the trail, or any
// level of the delivery layout below it.
type Location struct {
	Bucket source.Bucket
	Prefix string
}

// trailPrefix is one ACCOUNT/CloudTrail/REGION/ prefix of the layout, or,
// for a directory of files not in the layout, the location itself.
type trailPrefix struct {
	loc     Location
	prefix  string
	account string
	region  string
	layout  bool
}

func (p trailPrefix) id() string { return p.loc.Bucket.URL(p.prefix) }

// maxDepth bounds the descent from a location to its region prefixes:
// custom/prefix/AWSLogs/o-org/ACCOUNT/CloudTrail/REGION/.
const maxDepth = 8

// discover finds the region prefixes under loc, organization trails
// included, keeping the accounts and regions asked for.
func (w *Watcher) discover(ctx context.Context, loc Location) ([]trailPrefix, error) {
	var out []trailPrefix
	var walk func(prefix string, depth int) error
	walk = func(prefix string, depth int) error {
		if depth > maxDepth {
			return nil
		}
		segs := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
		// .../ACCOUNT/CloudTrail/REGION/
		if n := len(segs); n >= 3 && segs[n-2] == "CloudTrail" && isAccount(segs[n-3]) {
			if wanted(w.cfg.Regions, segs[n-1]) {
				out = append(out, trailPrefix{loc: loc, prefix: prefix, account: segs[n-3], region: segs[n-1], layout: true})
			}
			return nil
		}
		if n := len(segs); n >= 1 && prefix != "" {
			last := segs[n-1]
			if isAccount(last) && !wanted(w.cfg.Accounts, last) {
				return nil
			}
			switch last {
			case "CloudTrail-Digest", "CloudTrail-Insight":
				return nil
			}
		}
		dirs, err := loc.Bucket.Dirs(ctx, prefix)
		if err != nil {
			return err
		}
		for _, d := range dirs {
			if err := walk(d, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(loc.Prefix, 0); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		// Not the delivery layout: the whole location is one prefix,
		// its files taken in key order.
		out = append(out, trailPrefix{loc: loc, prefix: loc.Prefix})
	}
	return out, nil
}

func wanted(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// list returns the objects of one prefix to evaluate: those not processed
// yet and, on the first poll after a restart, those processed within the
// warm-up before the checkpoint (marked replay).
func (w *Watcher) list(ctx context.Context, p trailPrefix, warmup time.Duration) ([]*item, error) {
	cp := w.state.Prefixes[p.id()]
	fresh := cp == nil
	if fresh {
		cp = &Checkpoint{}
	}
	if cp.Recent == nil {
		cp.Recent = map[string]time.Time{}
	}
	startAfter, low := "", time.Time{}
	switch {
	case !p.layout:
		// Keys carry no time: Recent holds every key processed.
	case fresh:
		if !w.cfg.Start.IsZero() {
			startAfter = cloudtrail.StartAfter(p.prefix, p.account, p.region, w.cfg.Start)
		}
	default:
		newest := keyTime(cp.After)
		low = newest.Add(-w.cfg.Lookback)
		from := low
		if !w.started {
			from = from.Add(-warmup)
		}
		startAfter = cloudtrail.StartAfter(p.prefix, p.account, p.region, from)
	}
	var items []*item
	err := p.loc.Bucket.List(ctx, p.prefix, startAfter, func(o source.Object) bool {
		k, isLayout := cloudtrail.ParseKey(o.Key)
		if isLayout && k.Digest {
			return true
		}
		if p.layout && !isLayout {
			return true // not a log file (a stray object in the layout)
		}
		_, processed := cp.Recent[o.Key]
		replay := false
		switch {
		case processed || (p.layout && !fresh && k.Time.Before(low)):
			if w.started {
				return true
			}
			replay = true
		}
		it := &item{url: p.loc.Bucket.URL(o.Key), key: o.Key, t: k.Time, replay: replay}
		bucket, key := p.loc.Bucket, o.Key
		it.open = func(ctx context.Context) ([]byte, error) { return readAll(ctx, bucket, key) }
		it.done = func(ok bool) {
			if !ok || it.replay {
				return
			}
			if it.key > cp.After {
				cp.After = it.key
			}
			cp.Recent[it.key] = it.t
			w.prune(p, cp)
		}
		items = append(items, it)
		return ctx.Err() == nil
	})
	if err != nil {
		return nil, err
	}
	w.state.Prefixes[p.id()] = cp
	return items, nil
}

// prune forgets processed keys that listing no longer returns: those
// delivered more than the lookback before the newest.
func (w *Watcher) prune(p trailPrefix, cp *Checkpoint) {
	if !p.layout {
		return
	}
	low := keyTime(cp.After).Add(-w.cfg.Lookback)
	for k, t := range cp.Recent {
		if t.Before(low) {
			delete(cp.Recent, k)
		}
	}
}

func readAll(ctx context.Context, b source.Bucket, key string) ([]byte, error) {
	rc, err := b.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", b.URL(key), err)
	}
	return data, nil
}

// Poll evaluates new objects under locs every Interval until ctx is done
// (or once, with Config.Once). The first poll after a restart replays the
// warm-up the alarms need.
func (w *Watcher) Poll(ctx context.Context, locs []Location) error {
	warmup := w.eval.Prog.Warmup() + w.cfg.Allowance
	var prefixes []trailPrefix
	var discovered time.Time
	for {
		now := w.cfg.Now()
		var err error
		if prefixes == nil || now.Sub(discovered) >= rediscover {
			var found []trailPrefix
			for _, loc := range locs {
				ps, derr := w.discover(ctx, loc)
				if derr != nil {
					err = errors.Join(err, derr)
					continue
				}
				found = append(found, ps...)
			}
			if err == nil {
				prefixes, discovered = found, now
				w.log.Debug("prefixes", "count", len(prefixes))
			}
		}
		var items []*item
		for _, p := range prefixes {
			its, lerr := w.list(ctx, p, warmup)
			if lerr != nil {
				err = errors.Join(err, lerr)
				continue
			}
			items = append(items, its...)
		}
		sortItems(items)
		if len(items) > 0 {
			w.log.Info("evaluating", "objects", len(items))
		}
		w.evaluate(ctx, items)
		if err != nil {
			w.log.Error("poll failed; trying again next interval", "err", err)
		} else if ctx.Err() == nil {
			w.metrics.polled(w.cfg.Now())
		}
		w.started = true
		if w.cfg.Once || ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.cfg.Interval):
		}
	}
}

// rediscover is how often new accounts and regions are looked for.
const rediscover = 5 * time.Minute
