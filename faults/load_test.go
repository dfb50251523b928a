package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The load's bounds: however a fault goes, it ends.
const (
	loadWorkers       = 8
	loadMaxPerWorker  = 20000
	loadRequestTimout = 20 * time.Second
)

// load redeems one token from several goroutines, over the loopback, and
// counts what the clients saw. Requests carry the phase that was current
// when they were sent, so that the counts can be split at a fault.
type load struct {
	url, key, body string
	client         *http.Client
	// check looks at every answer's status, header and body and returns
	// what is wrong with it, or "".
	check func(phase int32, status int, header http.Header, body []byte) string

	phase atomic.Int32
	// Per phase: requests sent, answers by status, requests that got no
	// answer (sent, then the connection broke or timed out), requests
	// refused at connect, which never reached the server, and answers
	// other than 200 that came after the phase had ended (the requests in
	// flight when it ended).
	sent, ok, noAnswer, refused, lateNotOK [5]atomic.Int64

	mu       sync.Mutex
	statuses [5]map[int]int64
	bodies   map[string]int // distinct non-200 bodies seen
	problems []string       // what check found, the first few

	stopping atomic.Bool
	wg       sync.WaitGroup
}

// startLoad begins redeeming value with the webshop key against base.
func startLoad(base, webshopKey, value string, check func(int32, int, http.Header, []byte) string) *load {
	body, _ := json.Marshal(map[string]string{"token": value, "clientIp": "192.0.2.10"})
	l := &load{
		url: base + "/api/v1/login-tokens/redeem", key: webshopKey, body: string(body), check: check,
		client: &http.Client{Timeout: loadRequestTimout, Transport: &http.Transport{
			MaxIdleConnsPerHost: loadWorkers, DisableCompression: true,
		}},
		bodies: map[string]int{},
	}
	for i := range l.statuses {
		l.statuses[i] = map[int]int64{}
	}
	for range loadWorkers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for range loadMaxPerWorker {
				if l.stopping.Load() {
					return
				}
				l.one()
			}
		}()
	}
	return l
}

// one sends one redeem and records its fate. Nothing cancels a request
// but the client's timeout: a request cut short by the test would count
// as unanswered when the server may well have answered it.
func (l *load) one() {
	req, _ := http.NewRequest("POST", l.url, strings.NewReader(l.body))
	req.Header.Set("Authorization", "Bearer "+l.key)
	req.Header.Set("Content-Type", "application/json")
	phase := l.phase.Load()
	l.sent[phase].Add(1)
	resp, err := l.client.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			l.refused[phase].Add(1)
			// Nothing listens (the server is dead): do not spin.
			time.Sleep(time.Millisecond)
		} else {
			l.noAnswer[phase].Add(1)
		}
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The status line came after the transaction: a 200 is a committed
	// success even if the body was cut off.
	if resp.StatusCode == http.StatusOK {
		l.ok[phase].Add(1)
	} else if l.phase.Load() != phase {
		l.lateNotOK[phase].Add(1)
	}
	problem := ""
	if l.check != nil {
		problem = l.check(phase, resp.StatusCode, resp.Header, b)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statuses[phase][resp.StatusCode]++
	if resp.StatusCode != http.StatusOK && len(l.bodies) < 50 {
		l.bodies[fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(b))]++
	}
	if problem != "" && len(l.problems) < 10 {
		l.problems = append(l.problems, fmt.Sprintf("phase %d, %d: %s: %s", phase, resp.StatusCode, problem, b))
	}
}

// stop ends the load once every request under way has its answer (or
// its error), and waits for every goroutine.
func (l *load) stop() {
	l.stopping.Store(true)
	l.wg.Wait()
	l.client.CloseIdleConnections()
}

// statusesIn is the answers of a phase by status.
func (l *load) statusesIn(phase int32) map[int]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[int]int64{}
	for k, v := range l.statuses[phase] {
		m[k] = v
	}
	return m
}

// notOK is how many answers of a phase did not have status 200.
func (l *load) notOK(phase int32) int64 {
	var n int64
	for st, c := range l.statusesIn(phase) {
		if st != http.StatusOK {
			n += c
		}
	}
	return n
}

// distinctBodies lists the distinct non-200 answers with their counts.
func (l *load) distinctBodies() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for b, n := range l.bodies {
		out = append(out, fmt.Sprintf("%dx %s", n, b))
	}
	sort.Strings(out)
	return out
}

func (l *load) foundProblems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.problems...)
}
