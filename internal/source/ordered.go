package source

import (
	"context"
	"sync"
)

// Ordered runs work on every input from in, on workers goroutines, and calls
// emit with each input's results in input order, as they are produced. work
// sends results with send, which blocks while the consumer is behind, so
// memory stays bounded however large an input is. finish is called after
// the last result of each input. emit and finish run on the caller's
// goroutine.
func Ordered[T any](ctx context.Context, in <-chan Input, workers int,
	work func(ctx context.Context, in Input, send func(T)),
	emit func(Input, T), finish func(Input)) {
	if workers < 1 {
		workers = 1
	}
	type job struct {
		in  Input
		out chan T
	}
	jobs := make(chan job)
	order := make(chan job, 2*workers)
	go func() {
		defer close(jobs)
		defer close(order)
		for x := range in {
			j := job{in: x, out: make(chan T, 8)}
			order <- j
			jobs <- j
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				work(ctx, j.in, func(t T) { j.out <- t })
				close(j.out)
			}
		}()
	}
	for j := range order {
		for t := range j.out {
			emit(j.in, t)
		}
		finish(j.in)
	}
	wg.Wait()
}
