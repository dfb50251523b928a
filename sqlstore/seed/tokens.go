package seed

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// tokenColumns are the columns a seeded token fills, in the order of
// token.row.
var tokenColumns = []string{"id", "type", "contact_id", "customer_id", "expires_at", "max_uses", "extra",
	"successful_attempts", "failed_attempts", "last_accessed_at", "created_at", "updated_at", "created_by",
	"secret_hash", "value_enc", "value_key_id", "sort_name", "user_search", "extra_search"}

type token struct {
	id, typ                 string
	contactID, customerID   any // int64 or nil
	expiresAt, lastAccessed *time.Time
	oneTime                 bool
	extra                   string
	succ, fail              int64
	created, updated        time.Time
	createdBy               string
	hash, sealed            []byte
	keyID                   string
	sortName                any // string or nil
	userSearch, extraSearch string
	value                   string // only when Options.Values is set
}

// row appends the token's values, in the order of tokenColumns, as Go
// values: Store.Args makes them the database's.
func (t *token) row(args []any) []any {
	return append(args, t.id, t.typ, t.contactID, t.customerID, optTime(t.expiresAt), t.maxUses(), t.extra,
		t.succ, t.fail, optTime(t.lastAccessed), t.created, t.updated,
		t.createdBy, t.hash, t.sealed, t.keyID, t.sortName, t.userSearch, t.extraSearch)
}

// maxUses is the max_uses column of a seeded token: 1 for a one-time
// token, else no limit.
func (t *token) maxUses() any {
	if t.oneTime {
		return int64(1)
	}
	return nil
}

// optTime is a nullable time argument.
func optTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// span is how far back the tokens go.
const span = 3 * 365 * 24 * time.Hour

// tokenBatch is a batch of tokens and their rows: the values of each
// token, in the order of tokenColumns, as the database takes them
// (Store.Args), one token after the other.
type tokenBatch struct {
	tokens []token
	rows   []any
}

// row is the i-th token's values in b.rows.
func (b *tokenBatch) row(i int) []any {
	lo, hi := i*len(tokenColumns), (i+1)*len(tokenColumns)
	return b.rows[lo:hi:hi]
}

// tokens makes the tokens, oldest first, in batches that it hands to
// write while it makes the next batch: their rows too, so that write,
// which runs on the database's connection, only sends them.
func (sd *seeder) tokens(ctx context.Context, write func(*tokenBatch) error) error {
	const batchSize = 5000
	n := sd.o.Tokens
	batches := make(chan *tokenBatch, 4)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		for lo := 0; lo < n; lo += batchSize {
			b := &tokenBatch{tokens: make([]token, min(batchSize, n-lo))}
			for i := range b.tokens {
				sd.token(&b.tokens[i], lo+i, n)
			}
			sd.sealAll(b.tokens)
			rows := make([]any, 0, len(b.tokens)*len(tokenColumns))
			for i := range b.tokens {
				rows = b.tokens[i].row(rows)
			}
			b.rows = sd.s.Args(rows...)
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	made := 0
	for b := range batches {
		if err := write(b); err != nil {
			return err
		}
		if sd.values != nil {
			for i := range b.tokens {
				sd.values.WriteString(b.tokens[i].value)
				sd.values.WriteByte('\n')
			}
		}
		made += len(b.tokens)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if made != n {
		return fmt.Errorf("seed: made %d of %d tokens", made, n)
	}
	sd.res.Tokens = n
	return nil
}

// token fills t as the i-th of n tokens, by creation time. The draws
// follow one order, so that a seed makes the same sample.
func (sd *seeder) token(t *token, i, n int) {
	sd.tokenTimes(t, i, n)
	company := sd.tokenUser(t)
	sd.tokenUse(t)
	var extra []string
	if sd.rng.IntN(100) < 20 {
		extra = append(extra, sd.extraLine(t.typ, company, t.created))
		if sd.rng.IntN(4) == 0 {
			extra = append(extra, sd.extraLine(t.typ, company, t.created))
		}
	}
	t.extra, t.extraSearch = sqlstore.TokenExtraText(extra)
	switch r := sd.rng.IntN(100); {
	case r < 75:
		t.createdBy = "staff:" + strconv.Itoa(1+sd.rng.IntN(12))
	case r < 97:
		t.createdBy = "apikey:" + []string{"k3x9f0a2b7cq", "m8q2w4e6r1ty", "p0o9i8u7y6tr"}[sd.rng.IntN(3)]
	default:
		t.createdBy = "cli"
	}

	t.id = lt.NewID()
}

// sealAll gives each token of b its secret, hash and sealed copy: the
// seed's most CPU (AES-GCM and SHA-256 per token), spread over the cores.
// It draws nothing from the seeded generator, so the sample stays the same.
func (sd *seeder) sealAll(b []token) {
	workers := min(runtime.NumCPU(), len(b))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(b); i += workers {
				t := &b[i]
				var value string
				value, t.hash, t.keyID, t.sealed = sd.secrets(t.id)
				if sd.values != nil {
					t.value = value
				}
			}
		})
	}
	wg.Wait()
}

// tokenTimes draws when the token was made and last changed. Creation
// times grow denser towards now, as a growing shop's do, and follow i, so
// that tokens go in oldest first.
func (sd *seeder) tokenTimes(t *token, i, n int) {
	frac := math.Sqrt((float64(i) + sd.rng.Float64()) / float64(n))
	t.created = sd.now.Add(-span + time.Duration(frac*float64(span))).Truncate(time.Microsecond)
	t.updated = t.created
	if sd.rng.IntN(10) < 3 {
		t.updated = randomBetween(sd.rng, t.created, sd.now)
	}
}

// tokenUser draws the token's type and user, and answers the name of the
// contact's company ("" for others).
func (sd *seeder) tokenUser(t *token) (company string) {
	rng := sd.rng
	switch r := rng.IntN(100); {
	case r < 60:
		// Some contacts (procurement systems, sales reps) hold many tokens.
		u := &sd.contacts[int(float64(len(sd.contacts))*math.Pow(rng.Float64(), 2))]
		t.typ, t.contactID, t.sortName, t.userSearch = string(lt.UserContact), u.id, u.sortName, u.search
		company = sd.companies[u.companyIdx].name
	case r < 90:
		u := &sd.customers[int(float64(len(sd.customers))*math.Pow(rng.Float64(), 1.5))]
		t.typ, t.customerID, t.sortName, t.userSearch = string(lt.UserCustomer), u.id, u.sortName, u.search
	default:
		t.typ, t.contactID, t.customerID, t.sortName, t.userSearch = string(lt.UserAnonymous), nil, nil, nil, ""
	}
	if t.typ != string(lt.UserContact) {
		t.contactID = nil
	}
	if t.typ != string(lt.UserCustomer) {
		t.customerID = nil
	}
	return company
}

// tokenUse draws the expiry, one-time use, the attempts and the last
// access.
func (sd *seeder) tokenUse(t *token) {
	rng := sd.rng
	t.expiresAt = nil
	if rng.IntN(100) >= 20 { // a fifth never expire
		days := []int{1, 7, 14, 30, 90, 180, 365}[rng.IntN(7)]
		e := t.created.Add(time.Duration(days)*24*time.Hour + time.Duration(rng.Int64N(int64(24*time.Hour)))).Truncate(time.Microsecond)
		t.expiresAt = &e
	}
	t.oneTime = rng.IntN(100) < 30
	t.succ, t.fail = 0, 0
	if t.oneTime {
		if rng.IntN(2) == 0 {
			t.succ = 1
		}
	} else if rng.IntN(100) >= 35 {
		t.succ = 1 + int64(rng.ExpFloat64()*6)
		if rng.IntN(100) == 0 {
			t.succ += rng.Int64N(500) // a procurement system signing in all day
		}
	}
	if rng.IntN(100) < 15 {
		t.fail = 1 + int64(rng.ExpFloat64()*2)
	}
	t.lastAccessed = nil
	if t.succ+t.fail > 0 {
		end := sd.now
		if t.expiresAt != nil && t.expiresAt.Before(end) && rng.IntN(4) > 0 {
			end = *t.expiresAt
		}
		la := randomBetween(rng, t.created, end)
		t.lastAccessed = &la
	}
}

func (sd *seeder) extraLine(typ, company string, created time.Time) string {
	rng := sd.rng
	switch {
	case typ == string(lt.UserContact) && rng.IntN(3) == 0:
		return "OCI for " + company + " " + pick(rng, []string{"SAP SRM", "SAP Ariba", "Coupa", "Oracle iProcurement", "JAGGAER"})
	case typ == string(lt.UserAnonymous) && rng.IntN(2) == 0:
		return pick(rng, []string{"Guest kiosk", "Trade fair booth", "Showroom tablet", "Demo day"}) + " " + pick(rng, cities)
	}
	switch rng.IntN(5) {
	case 0:
		return "Cost centre " + strconv.Itoa(1000+rng.IntN(9000))
	case 1:
		return "Sales rep " + pick(rng, firstNames) + " " + pick(rng, lastNames)
	case 2:
		return "Ticket #" + strconv.Itoa(10000+rng.IntN(90000))
	case 3:
		return "Campaign " + pick(rng, []string{"spring", "summer", "autumn", "winter", "black friday", "newsletter"}) + " " + strconv.Itoa(created.Year())
	}
	return "Order reference PO-" + strconv.Itoa(100000+rng.IntN(900000))
}

func randomBetween(rng *rand.Rand, a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(rng.Int64N(int64(b.Sub(a))))).Truncate(time.Microsecond)
}

func pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }
