// Package heaptest measures the heap that work takes, with runtime/metrics,
// for tests that bound the memory a burst of requests may cost. It reads
// counts of bytes, never times.
package heaptest

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

const (
	liveMetric  = "/memory/classes/heap/objects:bytes" // objects in the heap, live or not yet swept
	allocMetric = "/gc/heap/allocs:bytes"              // bytes allocated since the program started
)

// Watch samples the heap from Start until Stop.
type Watch struct {
	gcPercent       int
	base, allocBase uint64
	stop            chan struct{}
	done            sync.WaitGroup
	mu              sync.Mutex
	peak            uint64
}

// Start collects garbage, takes the heap's size as the baseline and
// samples it every half millisecond until Stop. Until then the collector
// runs after every 10% of growth (GOGC=10), so that the peak is what the
// work holds at once, not garbage that happens not to be collected yet.
func Start() *Watch {
	runtime.GC()
	w := &Watch{stop: make(chan struct{}), gcPercent: debug.SetGCPercent(10)}
	w.base, w.allocBase = read()
	w.peak = w.base
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for {
			w.sample()
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *Watch) sample() {
	live, _ := read()
	w.mu.Lock()
	w.peak = max(w.peak, live)
	w.mu.Unlock()
}

// Stop ends the sampling and returns how far the heap grew above the
// baseline at its highest, and how many bytes were allocated since Start.
func (w *Watch) Stop() (peakGrowth, allocated uint64) {
	w.sample()
	close(w.stop)
	w.done.Wait()
	debug.SetGCPercent(w.gcPercent)
	_, alloc := read()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.peak > w.base {
		peakGrowth = w.peak - w.base
	}
	return peakGrowth, alloc - w.allocBase
}

func read() (live, allocated uint64) {
	s := []metrics.Sample{{Name: liveMetric}, {Name: allocMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}
