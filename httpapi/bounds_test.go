package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/heaptest"
)

// TestImportsStreamTheirBodyAndTakeUpTo8MiB imports a CSV and a JSON body
// of exactly 8 MiB: each works, and the heap grows by far less than the
// body, which is read as it is parsed. A byte more is 413
// PAYLOAD_TOO_LARGE.
func TestImportsStreamTheirBodyAndTakeUpTo8MiB(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	// A few rows, each padded with what the readers skip: blank lines
	// in CSV, white space in JSON.
	const rows = 50
	csvRow := func(i int) string {
		return fmt.Sprintf("c%d@example.test,C\n", i) + strings.Repeat("\n", 8<<20/rows-100)
	}
	jsonRow := func(i int) string {
		return fmt.Sprintf(`{"email": "j%d@example.test",%s"firstName": "J"}`, i, strings.Repeat(" ", 8<<20/rows-100))
	}
	for _, c := range []struct {
		name, contentType string
		body              func() []byte
		pad               string // one byte the format ignores at the end
	}{
		{"csv", "text/csv", func() []byte {
			var b strings.Builder
			b.WriteString("email,firstName\n")
			for i := range rows {
				b.WriteString(csvRow(i))
			}
			return []byte(b.String())
		}, "\n"},
		{"json", "application/json", func() []byte {
			parts := make([]string, rows)
			for i := range parts {
				parts[i] = jsonRow(i)
			}
			return []byte("[" + strings.Join(parts, ",") + "]")
		}, " "},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := c.body()
			if len(body) > 8<<20 {
				t.Fatalf("the body has %d bytes", len(body))
			}
			body = append(body, strings.Repeat(c.pad, 8<<20-len(body))...)
			w := heaptest.Start()
			resp := a.doResp("users:editor", "POST", "/api/v1/customers/import", body, http.Header{"Content-Type": {c.contentType}})
			peak, _ := w.Stop()
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), fmt.Sprintf(`"created":%d`, rows)) {
				t.Fatalf("import of 8 MiB: %d %s", resp.StatusCode, b)
			}
			t.Logf("importing %d bytes grew the heap by at most %d bytes", len(body), peak)
			if peak >= uint64(len(body))/2 {
				t.Errorf("importing 8 MiB of %s grew the heap by %d MB: the body was held whole", c.name, peak>>20)
			}
			more := append(bytes.Clone(body), c.pad...)
			resp = a.doResp("users:editor", "POST", "/api/v1/customers/import", more, http.Header{"Content-Type": {c.contentType}})
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), lt.ETOOLARGE) {
				t.Errorf("import of 8 MiB + 1: %d %s, want 413 %s", resp.StatusCode, b, lt.ETOOLARGE)
			}
		})
	}
}

// TestJSONImportsAreOneArrayOfObjects: what the streamed JSON reader
// refuses as a whole, as json.Unmarshal into an array did.
func TestJSONImportsAreOneArrayOfObjects(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	for _, body := range []string{"", "null", "{}", `"x"`, "[", `[{"email": "a@example.test"}`, `[{"email": "a@example.test"}] []`,
		`[{"email": "a@example.test"}] x`, `[{"email": "a@example.test"},]`, `[1 2]`} {
		p := a.problem("users:editor", "POST", "/api/v1/customers/import", body, http.StatusBadRequest, lt.EINVALID)
		if len(p.Errors) != 1 || p.Errors[0].Field != "body" {
			t.Errorf("%q: %+v, want one error naming the body", body, p)
		}
	}
	var res importResult
	a.json("users:editor", "POST", "/api/v1/customers/import", ` [ 1, {"email": "a@example.test", "firstName": "A"} ] `, http.StatusOK, &res)
	wantResult(t, res, 1, 0, map[int]string{1: "must be a JSON object"})
}

// TestAFullGateRefusesImportsExportsAndShortSearchesWith429 fills each of
// the API's gates and asks for what it bounds: each is refused at once
// with 429 RATE_LIMITED, a detail saying what is busy, and Retry-After.
// The short searches are those of the user picker, the directory's lists
// and the token list whose q holds no three letters or digits in a row.
// Other requests are not held up.
func TestAFullGateRefusesImportsExportsAndShortSearchesWith429(t *testing.T) {
	const short = "searches without three letters or digits in a row"
	a := newAPI(t, "sqlite", 0)
	gates := a.API.Gates
	for _, g := range []*bounds.Gate{gates.Imports, gates.Exports, gates.ShortSearches} {
		for {
			leave, err := g.Enter()
			if err != nil {
				break
			}
			t.Cleanup(leave)
		}
	}
	for _, c := range []struct {
		name, method, path string
		body               any
		busy               string
	}{
		{"import", "POST", "/api/v1/contacts/import", `[]`, "imports"},
		{"export", "GET", "/api/v1/login-tokens.csv", nil, "exports"},
		{"search of one character", "GET", "/api/v1/users/search?q=a", nil, short},
		{"search of two characters", "GET", "/api/v1/users/search?q=%20ab%20", nil, short},
		// Three characters or more, in which no trigram index finds a
		// trigram of its own: found by their start, and gated as short.
		{"search of punctuation", "GET", "/api/v1/users/search?q=...", nil, short},
		{"search of underscores", "GET", "/api/v1/users/search?q=___", nil, short},
		{"search of a_b", "GET", "/api/v1/users/search?q=a_b", nil, short},
		{"search of a name and an initial", "GET", "/api/v1/users/search?q=jo%20d", nil, short},
		{"contacts of two characters", "GET", "/api/v1/contacts?q=ab", nil, short},
		{"contacts of punctuation", "GET", "/api/v1/contacts?q=%25%25%25", nil, short},
		{"customers of a.b", "GET", "/api/v1/customers?q=a.b", nil, short},
		{"companies of one character", "GET", "/api/v1/companies?q=x", nil, short},
		{"tokens of two characters", "GET", "/api/v1/login-tokens?q=zo", nil, short},
		{"tokens of punctuation", "GET", "/api/v1/login-tokens?q=...", nil, short},
	} {
		resp := a.doResp("all", c.method, c.path, c.body, nil)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
			!strings.Contains(string(b), lt.ERATELIMITED) || !strings.Contains(string(b), "too many "+c.busy) {
			t.Errorf("%s with its gate full: %d Retry-After %q %s", c.name, resp.StatusCode, resp.Header.Get("Retry-After"), b)
		}
	}
	for _, path := range []string{"/api/v1/users/search?q=abc", "/api/v1/users/search", "/api/v1/login-tokens", "/api/v1/login-tokens?q=ab.cde",
		"/api/v1/contacts", "/api/v1/contacts?q=hoffmann", "/api/v1/customers?q=o%27brien", "/api/v1/companies?q=4711"} {
		if status, b := a.do("all", "GET", path, nil); status != http.StatusOK {
			t.Errorf("GET %s with the gates full: %d %s", path, status, b)
		}
	}
}

// countingReader counts what is read of the body it gives.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// TestABodyLongerThanTheRouteTakesIsRefusedUnread: every route refuses a
// declared body past its limit with 413 PAYLOAD_TOO_LARGE, without reading
// any of it.
func TestABodyLongerThanTheRouteTakesIsRefusedUnread(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	mux := http.NewServeMux()
	a.API.Register(mux)
	for _, rt := range a.API.Routes() {
		if rt.Method == "GET" {
			continue
		}
		path := strings.NewReplacer("{id}", "999999").Replace(rt.Path)
		body := &countingReader{r: strings.NewReader("[" + strings.Repeat(" ", int(rt.MaxBody)) + "]")}
		req := httptest.NewRequest(rt.Method, path, body)
		req.ContentLength = rt.MaxBody + 2
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.Keys["all"])
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), lt.ETOOLARGE) || body.read != 0 {
			t.Errorf("%s %s with %d bytes declared: %d %s, having read %d bytes; want 413 and none read",
				rt.Method, path, rt.MaxBody+2, rec.Code, rec.Body, body.read)
		}
	}
}

// TestABodyPastTheLimitSentChunkedIs413: a body sent without a length
// (chunked) past its route's limit is refused 413 PAYLOAD_TOO_LARGE once
// the limit is read, as one that declares its length is; in each media
// type the route takes. The records named in paths exist, so every
// handler gets as far as reading the body.
func TestABodyPastTheLimitSentChunkedIs413(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	tok := a.createToken("{}")
	co, ct, cu := a.people()
	ids := map[string]string{"login-tokens": tok.ID, "companies": strconv.FormatInt(co.ID, 10),
		"contacts": strconv.FormatInt(ct.ID, 10), "customers": strconv.FormatInt(cu.ID, 10)}
	var sh shopAnswer
	a.json("configuration:owner", "POST", "/api/v1/shops", map[string]any{"name": "Bounds shop", "redirectUris": []string{"https://bounds.test/cb"}}, 201, &sh)
	ids["shops"] = strconv.FormatInt(sh.ID, 10)
	var wh webhookAnswer
	a.json("configuration:owner", "POST", "/api/v1/webhooks", map[string]any{"url": "https://bounds.test/hook", "events": []string{"token.created"}}, 201, &wh)
	ids["webhooks"] = strconv.FormatInt(wh.ID, 10)
	limits := map[string]int64{}
	for _, rt := range a.API.Routes() {
		limits[rt.Method+" "+rt.Path] = rt.MaxBody
	}
	tested := 0
	for _, op := range apiOperations(t, a) {
		if !op.body {
			continue
		}
		limit := limits[op.method+" "+op.path]
		path := op.path
		for kind, id := range ids {
			path = strings.Replace(path, "/"+kind+"/{id}", "/"+kind+"/"+id, 1)
		}
		types := []string{"application/json"}
		if strings.HasSuffix(path, "/import") {
			types = append(types, "text/csv")
		}
		for _, ct := range types {
			body := `{"extra": ["` + strings.Repeat("x", int(limit)) + `"]}`
			switch {
			case strings.HasSuffix(path, "/import") && ct == "application/json":
				body = `[{"email": "` + strings.Repeat("x", int(limit)) + `"}]`
			case ct == "text/csv":
				body = "email\n" + strings.Repeat("x", int(limit)) + "\n"
			}
			req, _ := http.NewRequest(op.method, a.URL+path, io.MultiReader(strings.NewReader(body)))
			req.Header.Set("Content-Type", ct)
			role := "all"
			if strings.HasSuffix(path, "/redeem") {
				role = "webshop"
			}
			req.Header.Set("Authorization", "Bearer "+a.Keys[role])
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatalf("%s %s: %v", op.method, path, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			tested++
			if req.ContentLength != 0 || resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), lt.ETOOLARGE) {
				t.Errorf("%s %s, %s, %d bytes chunked: %d %s, want 413", op.method, path, ct, len(body), resp.StatusCode, b)
			}
		}
	}
	if tested < 10 {
		t.Fatalf("only %d requests: the routes with a body were not found", tested)
	}
}

// TestAPagePastTenThousandRowsIsA400NamingPage: the token list and the
// directory's lists show their first 10,000 rows; a page that ends past
// them is a problem+json 400 naming page and its deepest page at that
// size, the deepest page itself an ordinary (here empty) page.
func TestAPagePastTenThousandRowsIsA400NamingPage(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	for _, list := range []string{"/api/v1/login-tokens", "/api/v1/contacts", "/api/v1/customers", "/api/v1/companies"} {
		for _, c := range []struct{ page, size, deepest int }{{401, 25, 400}, {21, 500, 20}, {10001, 1, 10000}} {
			path := fmt.Sprintf("%s?q=acme&page=%d&pageSize=%d", list, c.page, c.size)
			p := a.problem("all", "GET", path, nil, http.StatusBadRequest, lt.EINVALID)
			if len(p.Errors) != 1 || p.Errors[0].Field != "page" || !strings.Contains(p.Errors[0].Message, fmt.Sprintf("at most %d", c.deepest)) {
				t.Errorf("GET %s: %+v, want one error naming page, at most %d", path, p, c.deepest)
			}
			var pg struct {
				Items []any `json:"items"`
				Page  int   `json:"page"`
			}
			a.json("all", "GET", fmt.Sprintf("%s?q=acme&page=%d&pageSize=%d", list, c.deepest, c.size), nil, http.StatusOK, &pg)
			if pg.Page != c.deepest || len(pg.Items) != 0 {
				t.Errorf("GET %s page %d: %+v", list, c.deepest, pg)
			}
		}
	}
}
