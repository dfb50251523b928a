// Command signinflood sends concurrent staff sign-ins to a running
// service's backoffice and prints how they were answered, with the
// server's peak resident memory (VmHWM) when given its process id.
//
//	signinflood -url http://127.0.0.1:8080 -n 100 -pid 1234
//	signinflood -url ... -n 100 -rounds 20                 # 20 bursts of 100, one after the other
//	signinflood -url ... -n 30 -email admin@localhost      # one account
//	signinflood -url ... -lockout -password RIGHT           # 6 wrong from 6 addresses, then the right one from a 7th
//	signinflood -url ... -device -password RIGHT -n 100     # the right password with and without a device cookie during a flood
//
// Addresses other than the connection's need the service to trust
// 127.0.0.1 as a proxy (LOGINTOKENS_TRUSTED_PROXIES=127.0.0.1): the
// address then comes from X-Forwarded-For.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the service's base URL")
	n := flag.Int("n", 100, "concurrent wrong sign-ins")
	rounds := flag.Int("rounds", 1, "send the n concurrent sign-ins this many times, one round after the other")
	email := flag.String("email", "", "the account to guess at; empty: a different unknown email per request")
	pid := flag.Int("pid", 0, "the server's process id, to read its VmHWM before and after")
	lockout := flag.Bool("lockout", false, "6 wrong passwords for -email from 6 addresses, then -password from a 7th")
	password := flag.String("password", "", "the right password (with -lockout or -device)")
	device := flag.Bool("device", false, "sign in as -email with -password from 203.0.113.77 for a device cookie, send 5 wrong passwords from there, "+
		"then, while n clients send wrong passwords for -email from ever new addresses, the right password 10 times with the cookie and 10 times without, from there and from fresh addresses")
	flag.Parse()
	f := &flooder{base: strings.TrimRight(*base, "/")}
	if err := f.prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "signinflood:", err)
		os.Exit(1)
	}
	if *lockout {
		if *email == "" || *password == "" {
			fmt.Fprintln(os.Stderr, "signinflood: -lockout needs -email and -password")
			os.Exit(2)
		}
		for i := range 6 {
			fmt.Printf("wrong password from 198.51.100.%d: %d\n", i+1, f.post(*email, "wrong password number "+fmt.Sprint(i), fmt.Sprintf("198.51.100.%d", i+1)))
		}
		fmt.Printf("right password from 203.0.113.77: %d\n", f.post(*email, *password, "203.0.113.77"))
		return
	}
	if *device {
		if *email == "" || *password == "" {
			fmt.Fprintln(os.Stderr, "signinflood: -device needs -email and -password")
			os.Exit(2)
		}
		f.device(*email, *password, *n)
		return
	}
	if *pid > 0 {
		fmt.Println("VmHWM before:", vmHWM(*pid))
	}
	var mu sync.Mutex
	counts := map[int]int{}
	for r := range *rounds {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range *n {
			wg.Go(func() {
				e := *email
				if e == "" {
					e = fmt.Sprintf("nobody%d.%d@flood.test", r, i)
				}
				<-start
				status := f.post(e, fmt.Sprintf("wrong password %d", i), "")
				mu.Lock()
				counts[status]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
	}
	var keys []int
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		fmt.Printf("%d: %d\n", k, counts[k])
	}
	if *pid > 0 {
		fmt.Println("VmHWM after:", vmHWM(*pid))
	}
}

type flooder struct {
	base   string
	c      *http.Client
	csrf   string
	cookie *http.Cookie
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// prepare fetches the sign-in form once: its CSRF cookie and field serve
// every request (the check is a double submit).
func (f *flooder) prepare() error {
	f.c = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := f.c.Get(f.base + "/admin/login")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("no CSRF field on %s/admin/login (status %d)", f.base, resp.StatusCode)
	}
	f.csrf = string(m[1])
	for _, c := range resp.Cookies() {
		if c.Value == f.csrf {
			f.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if f.cookie == nil {
		return fmt.Errorf("no CSRF cookie from %s/admin/login", f.base)
	}
	return nil
}

func (f *flooder) post(email, password, from string) int {
	status, _ := f.postWith(email, password, from, nil)
	return status
}

// postWith signs in presenting device (nil: none) and answers the status
// and the device cookie given (nil: none).
func (f *flooder) postWith(email, password, from string, device *http.Cookie) (int, *http.Cookie) {
	form := url.Values{"email": {email}, "password": {password}, "csrf": {f.csrf}}
	req, _ := http.NewRequest("POST", f.base+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(f.cookie)
	if device != nil {
		req.AddCookie(&http.Cookie{Name: device.Name, Value: device.Value})
	}
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	resp, err := f.c.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "signinflood:", err)
		return 0, nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "lt_device" {
			return resp.StatusCode, c
		}
	}
	return resp.StatusCode, nil
}

// device is the -device run: how the right password is answered, with
// and without the device cookie of an earlier sign-in, while n clients
// flood the account with wrong passwords from ever new addresses (so
// that every password check is busy) and the staff member's own address
// has had 5 wrong passwords.
func (f *flooder) device(email, password string, n int) {
	const home = "203.0.113.77"
	status, cookie := f.postWith(email, password, home, nil)
	fmt.Printf("right password from %s: %d; device cookie: %v\n", home, status, cookie != nil)
	for i := range 5 {
		fmt.Printf("wrong password from %s: %d\n", home, f.post(email, fmt.Sprintf("wrong password number %d", i), home))
	}
	stop := make(chan struct{})
	var flooding sync.WaitGroup
	var sent atomic.Int64
	for range n {
		flooding.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := sent.Add(1)
				f.post(email, "a wrong password", fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255))
			}
		})
	}
	type probe struct {
		from   string
		cookie bool
	}
	counts, fresh := map[probe]map[int]int{}, 0
	for range 10 {
		for _, p := range []probe{{home, true}, {home, false}, {"fresh", true}, {"fresh", false}} {
			from := p.from
			if from == "fresh" {
				fresh++
				from = fmt.Sprintf("192.0.2.%d", fresh)
			}
			var with *http.Cookie
			if p.cookie {
				with = cookie
			}
			status, _ := f.postWith(email, password, from, with)
			if counts[p] == nil {
				counts[p] = map[int]int{}
			}
			counts[p][status]++
		}
	}
	close(stop)
	flooding.Wait()
	fmt.Printf("flood: %d wrong passwords from as many addresses\n", sent.Load())
	for _, p := range []probe{{home, true}, {home, false}, {"fresh", true}, {"fresh", false}} {
		fmt.Printf("right password from %s, device cookie %v: %v\n", p.from, p.cookie, counts[p])
	}
}

func vmHWM(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}
