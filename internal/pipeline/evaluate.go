// Package pipeline runs a compiled rule program over a stream of inputs:
// records are decoded and prematched on several workers, then resolved to
// their actors and evaluated in input order on one goroutine. scan runs it
// over history, watch over each batch of new objects.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/notify"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
	"github.com/trailwatch/trailwatch/internal/source"
)

// Evaluator feeds records to a Program with their resolved actors. It keeps
// the identity state between runs, so watch resolves a key issued in an
// earlier batch. It is not safe for concurrent use.
type Evaluator struct {
	Prog *engine.Program
	IDs  *Identity
	// Workers decode inputs in parallel.
	Workers int

	readers sync.Pool
	batches batchPool
	parser  fastjson.Parser
}

// New returns an Evaluator for prog; ids must be the Identity whose Actor
// and Extra prog was compiled with.
func New(prog *engine.Program, ids *Identity, workers int) *Evaluator {
	e := &Evaluator{Prog: prog, IDs: ids, Workers: workers}
	e.readers.New = func() any { return new(cloudtrail.Reader) }
	return e
}

// Handlers receive what a Run finds. Every function is called on the
// goroutine that called Run; nil functions are skipped.
type Handlers struct {
	// Error reports an input that could not be read, or a record of it
	// that could not be decoded; the rest goes on.
	Error func(in source.Input, err error)
	// Notice reports what was skipped on purpose (digest files, control
	// messages).
	Notice func(string)
	// Outputs receives what evaluating a record of in released.
	Outputs func(in source.Input, outs []engine.Output)
	// Skipped counts a record outside the program's From..To.
	Skipped func(in source.Input)
	// Batch is called after each batch of records (progress).
	Batch func()
	// Finished is called once every record of in has been evaluated.
	Finished func(in source.Input)
}

// Run evaluates every input from inputs, in order.
func (e *Evaluator) Run(ctx context.Context, inputs <-chan source.Input, h Handlers) {
	source.Ordered(ctx, inputs, e.Workers,
		func(ctx context.Context, in source.Input, send func(*batch)) {
			rd := e.readers.Get().(*cloudtrail.Reader)
			defer e.readers.Put(rd)
			e.decode(ctx, rd, in, send)
		},
		func(in source.Input, b *batch) {
			report := func(err error) {
				if h.Error != nil {
					h.Error(in, err)
				}
			}
			for _, err := range b.errs {
				report(err)
			}
			if h.Notice != nil {
				for _, n := range b.notices {
					h.Notice(n)
				}
			}
			e.evaluate(in, b, report, h)
			e.batches.put(b)
			if h.Batch != nil {
				h.Batch()
			}
		},
		func(in source.Input) {
			if h.Finished != nil {
				h.Finished(in)
			}
		})
}

func (e *Evaluator) evaluate(in source.Input, b *batch, report func(error), h Handlers) {
	for i := range b.recs {
		if r := &b.recs[i]; r.issuing {
			e.IDs.ObserveEvent(r.id)
		}
	}
	for i := range b.recs {
		r := &b.recs[i]
		raw := b.data[r.start:r.end]
		rec := &cloudtrail.Record{Raw: raw, Index: r.index}
		if !r.issuing && r.pre.TimeErr == nil {
			e.IDs.ObserveTime(r.pre.Time)
		}
		if e.Prog.NeedsJSON(&r.pre) {
			// Only matched records are parsed again here; the patterns
			// ran on the workers.
			v, err := e.parser.ParseBytes(raw)
			if err != nil {
				report(fmt.Errorf("read %s: record %d: %w", in.Name, r.index, err))
				continue
			}
			rec.JSON = v
		}
		e.IDs.Next(rec, r.id)
		outs, err := e.Prog.EventPre(rec, in.Name, &r.pre)
		if errors.Is(err, engine.ErrOutOfRange) {
			if h.Skipped != nil {
				h.Skipped(in)
			}
			continue
		}
		if err != nil {
			report(err)
			continue
		}
		if len(outs) > 0 && h.Outputs != nil {
			h.Outputs(in, outs)
		}
	}
}

// batch is a slice of one input's records, copied out of the decoder.
type batch struct {
	data    []byte
	recs    []rec
	errs    []error
	notices []string
}

type rec struct {
	start, end int
	index      int
	pre        engine.Pre // computed on the decoding worker
	issuing    bool       // may issue credentials (identity must see it)
	// id is the record's identity.Event, read on the worker for the
	// records whose actor the engine will ask for.
	id *identity.Event
}

const (
	batchRecords = 1024
	batchBytes   = 256 << 10
)

// batchPool recycles batches once the serial stage is done with them:
// nothing the engine keeps points into a batch.
type batchPool struct{ pool sync.Pool }

func (p *batchPool) get() *batch {
	if b, ok := p.pool.Get().(*batch); ok {
		return b
	}
	return &batch{data: make([]byte, 0, batchBytes+batchBytes/4), recs: make([]rec, 0, batchRecords)}
}

func (p *batchPool) put(b *batch) {
	if cap(b.data) > 4*batchBytes {
		return // grown for one huge record: let it go
	}
	clear(b.recs)
	*b = batch{data: b.data[:0], recs: b.recs[:0]}
	p.pool.Put(b)
}

func (e *Evaluator) decode(ctx context.Context, rd *cloudtrail.Reader, in source.Input, send func(*batch)) {
	b := e.batches.get()
	defer func() { send(b) }()
	prog := e.Prog
	EachInputRecord(ctx, rd, in, func() (*[]string, *[]error) { return &b.notices, &b.errs }, func(r *cloudtrail.Record) bool {
		start := len(b.data)
		b.data = append(b.data, r.Raw...)
		x := rec{start: start, end: len(b.data), index: r.Index, pre: prog.Prematch(r), issuing: IssuesCredentials(r.JSON)}
		if x.issuing || prog.NeedsJSON(&x.pre) {
			ev := identity.FromRecord(r)
			x.id = &ev
		}
		b.recs = append(b.recs, x)
		if len(b.recs) >= batchRecords || len(b.data) >= batchBytes {
			send(b)
			b = e.batches.get()
			return ctx.Err() == nil
		}
		return true
	})
}

// Messages turns a notification into one message per subscription of its
// target.
func Messages(n *engine.Notification) []notify.Message {
	if n.Target == nil {
		return nil
	}
	var reason string
	if n.Alarm != "" {
		var m struct{ NewStateReason string }
		if json.Unmarshal([]byte(n.Message), &m) == nil {
			reason = m.NewStateReason
		}
	}
	summary := notify.AlarmSummary(n.Subject, reason, n.Actors)
	if n.Alarm == "" {
		who := ""
		if len(n.Actors) > 0 {
			who = n.Actors[0]
		}
		summary = notify.EventSummary([]byte(n.Message), who)
	}
	var out []notify.Message
	for _, sub := range n.Target.Subscriptions {
		subject := n.Subject
		if sub.Subject != "" {
			subject = sub.Subject
		}
		out = append(out, notify.Message{
			Protocol: sub.Protocol, Endpoint: sub.Endpoint, Format: sub.Format, TopicARN: n.ARN,
			Subject: subject, Body: n.Message, Time: n.Time,
			Alarm: n.Alarm, State: n.State, Reason: reason, Filter: n.Filter, EventID: n.EventID, Actors: n.Actors, Summary: summary,
		})
	}
	return out
}
