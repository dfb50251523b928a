package outage

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// 1,000 refusals from 8 goroutines within one interval log one line, at
// once; the interval's end logs how many followed; an interval without a
// refusal ends the reporting, and the next refusal is logged at once
// again. The interval is an hour and the test ends intervals itself, so
// nothing depends on the clock.
func TestReporterLogsOncePerIntervalWithTheCount(t *testing.T) {
	var buf syncBuffer
	r := New(slog.New(slog.NewTextHandler(&buf, nil)), time.Hour)
	defer func() {
		if r.timer != nil {
			r.timer.Stop()
		}
	}()
	cause := errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 125 {
				r.Refused(context.Background(), cause)
			}
		}()
	}
	wg.Wait()
	if l := buf.lines(); len(l) != 1 || !strings.Contains(l[0], "level=ERROR") || !strings.Contains(l[0], "database unavailable") ||
		!strings.Contains(l[0], "refused=1") || !strings.Contains(l[0], "connection refused") {
		t.Fatalf("1000 refusals logged %d lines: %q", len(l), l)
	}
	r.tick() // the interval ends
	l := buf.lines()
	if len(l) != 2 || !strings.Contains(l[1], "refused=999") || !strings.Contains(l[1], "interval=1h0m0s") {
		t.Fatalf("after the interval: %q", l)
	}
	r.tick() // an interval without a refusal: the outage is over
	if len(buf.lines()) != 2 || r.timer != nil {
		t.Fatalf("a quiet interval logged or kept its timer: %q", buf.lines())
	}
	r.Refused(context.Background(), cause) // a new outage: at once
	if l := buf.lines(); len(l) != 3 || !strings.Contains(l[2], "refused=1") {
		t.Fatalf("a new outage: %q", l)
	}
}

func TestNewDefaults(t *testing.T) {
	r := New(nil, 0)
	if r.log == nil || r.every != DefaultEvery {
		t.Errorf("New(nil, 0) = %+v", r)
	}
	if RetryAfterHeader != "5" {
		t.Errorf("Retry-After %q", RetryAfterHeader)
	}
}
