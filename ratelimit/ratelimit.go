// Package ratelimit counts attempts per key: the redeem failure limit and
// the backoffice's password checks are instances of it, each with its own
// policy. An attempt is reserved before the work it guards and counts at
// once, so requests in flight never get past the limit; work that turns
// out not to be a failure gives its attempt back.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"net/netip"
	"sync"
	"time"
)

// Limiter counts attempts per key. Implementations are safe for
// concurrent use: Memory keeps the counts in this instance; one shared by
// several instances (in the database) implements the same methods.
type Limiter interface {
	// Reserve counts one attempt of key at once, before the work it
	// guards. When key has no attempt left it counts nothing and returns
	// how long until it has one (more than 0).
	Reserve(ctx context.Context, key string) (wait time.Duration, err error)
	// Release gives back one attempt that Reserve counted: the work
	// succeeded, or was not done.
	Release(ctx context.Context, key string) error
	// Reset forgets every attempt of key.
	Reset(ctx context.Context, key string) error
}

// Policy is how many attempts a key has: Limit at once, then one more
// every Per/Limit. A key therefore gets at most Limit in a burst and
// Limit per Per in the long run; after Per without attempts it has Limit
// again. Limit 0 or less turns the limit off.
type Policy struct {
	Limit int
	Per   time.Duration
	// MaxKeys caps the keys tracked (0: DefaultMaxKeys). Past it the key
	// used least recently is forgotten.
	MaxKeys int
}

// DefaultMaxKeys is the cap on tracked keys when a Policy sets none:
// about 7 MB.
const DefaultMaxKeys = 100_000

// expiredPerCall is how many entries whose attempts are all back each
// call drops from the least recently used end: the memory of idle keys is
// returned without ever walking every key.
const expiredPerCall = 2

// Memory is a Limiter in this instance's memory. Each key costs a fixed
// size whatever its length (keys are kept as a hash), at most MaxKeys are
// kept, and every call does a bounded amount of work: one map lookup and
// at most expiredPerCall+1 removals from the end of a list.
type Memory struct {
	interval time.Duration // one attempt comes back after this
	burst    time.Duration // interval * Limit
	maxKeys  int
	now      func() time.Time

	mu   sync.Mutex
	keys map[keyHash]*entry
	lru  entry // the list's sentinel: lru.next is the most recent entry, lru.prev the least
	// work counts the entries the last call visited beyond its own key's
	// (tests check it stays bounded).
	work int
}

type keyHash [16]byte

// entry is one key's state: the time when all its attempts are back.
type entry struct {
	key        keyHash
	free       time.Time
	prev, next *entry
}

// NewMemory returns a limiter of policy on the clock now (nil: time.Now).
func NewMemory(p Policy, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, maxKeys: p.MaxKeys, keys: map[keyHash]*entry{}}
	if m.maxKeys <= 0 {
		m.maxKeys = DefaultMaxKeys
	}
	if p.Limit > 0 && p.Per > 0 {
		m.interval = max(p.Per/time.Duration(p.Limit), 1)
		m.burst = m.interval * time.Duration(p.Limit)
	}
	m.lru.prev, m.lru.next = &m.lru, &m.lru
	return m
}

// Reserve implements Limiter. It never fails.
func (m *Memory) Reserve(_ context.Context, key string) (time.Duration, error) {
	if m.interval == 0 {
		return 0, nil
	}
	h := hashKey(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.work = 0
	e := m.keys[h]
	if e == nil {
		m.dropExpired(now)
		if len(m.keys) >= m.maxKeys {
			// Full: forget the least recently used key, and reuse its entry.
			e = m.lru.prev
			m.remove(e)
		} else {
			e = &entry{}
		}
		*e = entry{key: h, free: now}
		m.keys[h] = e
	} else {
		m.unlink(e)
		m.dropExpired(now)
	}
	m.pushFront(e)
	next := later(e.free, now).Add(m.interval)
	if wait := next.Sub(now) - m.burst; wait > 0 {
		return wait, nil
	}
	e.free = next
	return 0, nil
}

// Release implements Limiter. It never fails.
func (m *Memory) Release(_ context.Context, key string) error {
	if m.interval == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.work = 0
	e := m.keys[hashKey(key)]
	if e == nil {
		return nil
	}
	e.free = e.free.Add(-m.interval)
	if !e.free.After(m.now()) {
		m.remove(e)
	}
	return nil
}

// Reset implements Limiter. It never fails.
func (m *Memory) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.work = 0
	if e := m.keys[hashKey(key)]; e != nil {
		m.remove(e)
	}
	return nil
}

// dropExpired removes up to expiredPerCall least recently used entries
// whose attempts are all back, stopping at the first that is not.
func (m *Memory) dropExpired(now time.Time) {
	for range expiredPerCall {
		e := m.lru.prev
		if e == &m.lru || e.free.After(now) {
			return
		}
		m.remove(e)
	}
}

func (m *Memory) remove(e *entry) {
	m.work++
	m.unlink(e)
	delete(m.keys, e.key)
}

func (m *Memory) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (m *Memory) pushFront(e *entry) {
	e.prev, e.next = &m.lru, m.lru.next
	m.lru.next.prev = e
	m.lru.next = e
}

func hashKey(key string) keyHash {
	sum := sha256.Sum256([]byte(key))
	return keyHash(sum[:16])
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Prefixes are the sizes of the networks whose addresses count as one
// client: moving to another address of the same network does not give a
// client a fresh budget. IPv4-mapped IPv6 addresses count as IPv4. A zero
// field means its DefaultPrefixes value.
type Prefixes struct {
	IPv4, IPv6 int
}

// DefaultPrefixes count each IPv4 address on its own and each IPv6 /64,
// the smallest network a provider gives one subscriber.
var DefaultPrefixes = Prefixes{IPv4: 32, IPv6: 64}

// Key returns the network of addr that counts as its client, such as
// "203.0.113.7/32" or "2001:db8:1:2::/64". A string that is not an IP
// address is its own key.
func (p Prefixes) Key(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	bits, def := p.IPv6, DefaultPrefixes.IPv6
	if a.Is4() {
		bits, def = p.IPv4, DefaultPrefixes.IPv4
	}
	if bits <= 0 || bits > a.BitLen() {
		bits = def
	}
	pfx, _ := a.Prefix(bits)
	return pfx.String()
}
