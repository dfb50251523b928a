package ratelimit

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var ctx = context.Background()

// clock is a limiter clock that moves only when the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func reserve(m *Memory, key string) time.Duration {
	w, err := m.Reserve(ctx, key)
	if err != nil {
		panic(err)
	}
	return w
}

func TestAKeyGetsItsLimitAtOnceThenOneEveryPerOverLimit(t *testing.T) {
	c := newClock()
	m := NewMemory(Policy{Limit: 3, Per: 30 * time.Second}, c.now)
	for i := range 3 {
		if w := reserve(m, "a"); w != 0 {
			t.Fatalf("attempt %d refused: wait %v", i+1, w)
		}
	}
	if w := reserve(m, "a"); w != 10*time.Second {
		t.Fatalf("the fourth attempt: wait %v, want 10s (one attempt comes back every 30s/3)", w)
	}
	if w := reserve(m, "b"); w != 0 {
		t.Fatal("another key is limited")
	}
	c.add(4 * time.Second)
	if w := reserve(m, "a"); w != 6*time.Second {
		t.Fatalf("4s later: wait %v, want 6s", w)
	}
	c.add(6 * time.Second)
	if w := reserve(m, "a"); w != 0 {
		t.Fatalf("10s later: refused, wait %v", w)
	}
	if w := reserve(m, "a"); w != 10*time.Second {
		t.Fatalf("right after: wait %v, want 10s", w)
	}

	// A released attempt is back at once; Reset forgets the key.
	m.Release(ctx, "a")
	if w := reserve(m, "a"); w != 0 {
		t.Fatalf("after a release: wait %v", w)
	}
	m.Reset(ctx, "a")
	for i := range 3 {
		if w := reserve(m, "a"); w != 0 {
			t.Fatalf("after a reset, attempt %d refused", i+1)
		}
	}

	// After Per without attempts, the whole limit is back and the key is
	// no longer tracked once released.
	c.add(30 * time.Second)
	for i := range 3 {
		if w := reserve(m, "a"); w != 0 {
			t.Fatalf("30s later, attempt %d refused", i+1)
		}
	}
	for range 3 {
		m.Release(ctx, "a")
	}
	if m.keys[hashKey("a")] != nil {
		t.Fatal("a key that gave every attempt back is still tracked")
	}

	off := NewMemory(Policy{}, c.now)
	for range 100 {
		if w := reserve(off, "a"); w != 0 {
			t.Fatal("a zero limit refuses")
		}
	}
}

// Requests in flight reserve before their work: however many arrive at
// once, exactly the limit get through.
func TestConcurrentReservationsGetExactlyTheLimit(t *testing.T) {
	c := newClock()
	m := NewMemory(Policy{Limit: 20, Per: time.Minute}, c.now)
	var ok, refused atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			<-start
			if reserve(m, "203.0.113.9/32") == 0 {
				ok.Add(1)
			} else {
				refused.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok.Load() != 20 || refused.Load() != 180 {
		t.Fatalf("%d let through, %d refused; want exactly 20 and 180", ok.Load(), refused.Load())
	}
}

// With the cap reached, a call still visits a bounded number of entries
// and the tracked keys never exceed the cap, whether the keys are idle or
// busy.
func TestMemoryIsCappedAndEachCallDoesBoundedWork(t *testing.T) {
	const maxKeys = 1000
	c := newClock()
	m := NewMemory(Policy{Limit: 5, Per: time.Minute, MaxKeys: maxKeys}, c.now)
	check := func(when string) {
		t.Helper()
		if len(m.keys) > maxKeys {
			t.Fatalf("%s: %d keys tracked, cap %d", when, len(m.keys), maxKeys)
		}
		if m.work > expiredPerCall+1 {
			t.Fatalf("%s: a call visited %d other entries", when, m.work)
		}
	}
	// Ten times the cap of new keys, none expired: each new key past the
	// cap evicts exactly the least recently used one.
	for i := range 10 * maxKeys {
		reserve(m, key(i))
		check("busy keys")
	}
	if len(m.keys) != maxKeys {
		t.Fatalf("%d keys, want the cap %d", len(m.keys), maxKeys)
	}
	// The most recent keys are the ones kept.
	if m.keys[hashKey(key(10*maxKeys-1))] == nil || m.keys[hashKey(key(0))] != nil {
		t.Fatal("the LRU kept the wrong keys")
	}
	// Once every attempt is back, calls drain the idle keys a few at a
	// time, never all at once.
	c.add(time.Minute)
	before := len(m.keys)
	reserve(m, "a new key")
	check("idle keys")
	if drained := before + 1 - len(m.keys); drained != expiredPerCall {
		t.Fatalf("one call dropped %d idle keys, want %d", drained, expiredPerCall)
	}
	for i := range maxKeys {
		reserve(m, "again "+key(i))
		check("mixed keys")
	}
	// A long key costs what a short one does.
	reserve(m, strings.Repeat("x", 1<<20))
	check("a long key")
}

func key(i int) string {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
}

func TestPrefixesGroupAddressesIntoNetworks(t *testing.T) {
	cases := []struct {
		p          Prefixes
		addr, want string
	}{
		{Prefixes{}, "203.0.113.7", "203.0.113.7/32"},
		{DefaultPrefixes, "203.0.113.7", "203.0.113.7/32"},
		{DefaultPrefixes, "::ffff:203.0.113.7", "203.0.113.7/32"},
		{DefaultPrefixes, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{DefaultPrefixes, "2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{DefaultPrefixes, "2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{DefaultPrefixes, "fe80::1%eth0", "fe80::/64"},
		{Prefixes{IPv4: 24, IPv6: 48}, "203.0.113.7", "203.0.113.0/24"},
		{Prefixes{IPv4: 24, IPv6: 48}, "::ffff:203.0.113.7", "203.0.113.0/24"},
		{Prefixes{IPv4: 24, IPv6: 48}, "2001:db8:1:2::1", "2001:db8:1::/48"},
		{Prefixes{IPv4: 32, IPv6: 128}, "2001:db8:1:2::1", "2001:db8:1:2::1/128"},
		{DefaultPrefixes, "", ""},
		{DefaultPrefixes, "not an address", "not an address"},
	}
	for _, tc := range cases {
		if got := tc.p.Key(tc.addr); got != tc.want {
			t.Errorf("%+v.Key(%q) = %q, want %q", tc.p, tc.addr, got, tc.want)
		}
	}
}

// BenchmarkLimiterFailAt100kAddresses is the cost of one failure from a
// new address while 100,000 addresses are tracked.
func BenchmarkLimiterFailAt100kAddresses(b *testing.B) {
	m := NewMemory(Policy{Limit: 20, Per: time.Minute, MaxKeys: 100_000}, nil)
	for i := range 100_000 {
		m.Reserve(ctx, key(i))
	}
	i := 100_000
	for b.Loop() {
		m.Reserve(ctx, key(i))
		i++
	}
}
