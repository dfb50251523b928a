package httpapi

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// access is what a route requires of its caller.
type access struct {
	public  bool       // no key at all (ops routes, the JWKS, the API docs)
	metrics bool       // no API key; the metrics token when the server has one
	webshop bool       // a webshop key, and only a webshop key
	anyOf   []lt.Grant // an admin key with at least one of these grants
}

func public() access                     { return access{public: true} }
func metricsScrape() access              { return access{public: true, metrics: true} }
func webshop() access                    { return access{webshop: true} }
func grant(a lt.Area, l lt.Level) access { return access{anyOf: []lt.Grant{{Area: a, Level: l}}} }
func anyGrant(gs ...lt.Grant) access     { return access{anyOf: gs} }
func (a access) String() string          { return describeAccess(a) }
func describeAccess(a access) string {
	switch {
	case a.public:
		return "public"
	case a.webshop:
		return "webshop key"
	}
	parts := make([]string, len(a.anyOf))
	for i, g := range a.anyOf {
		parts[i] = g.String()
	}
	return strings.Join(parts, " or ")
}

// areasHeld says what the areas of a's grants hold.
func areasHeld(a access) string {
	var parts []string
	for _, g := range a.anyOf {
		if p := string(g.Area) + " holds " + g.Area.Holds(); !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}

var (
	errUnauthenticated = &lt.Error{Code: lt.EUNAUTHENTICATED, Message: "send a valid API key: Authorization: Bearer ltk_..."}
	errMetricsToken    = &lt.Error{Code: lt.EUNAUTHENTICATED, Message: "send the metrics token: Authorization: Bearer <metrics token>"}
)

// authorize checks the bearer key against the route's access: 401 only for
// a missing or bad key, 403 for a key without the grant. The backoffice's
// session cookie is never accepted here.
func (s *Server) authorize(r *http.Request, a access) (*caller, error) {
	c := &caller{actor: lt.Actor{ClientIP: web.ClientAddress(r, s.TrustedProxies)}}
	if a.metrics && s.MetricsToken != "" {
		// Compared as SHA-256 digests in constant time: neither the
		// token's bytes nor its length show in the timing.
		scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(lt.SHA256(strings.TrimSpace(value)), lt.SHA256(s.MetricsToken)) != 1 {
			return nil, errMetricsToken
		}
		return c, nil
	}
	if a.public {
		return c, nil
	}
	auth := r.Header.Get("Authorization")
	scheme, value, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || value == "" {
		return nil, errUnauthenticated
	}
	key, err := s.Store.AuthenticateAPIKey(r.Context(), strings.TrimSpace(value))
	if err != nil {
		if lt.ErrorCode(err) == lt.EUNAUTHENTICATED {
			return nil, errUnauthenticated
		}
		return nil, err
	}
	c.key = key
	c.actor.Name = key.Actor()
	if a.webshop {
		if key.Kind != lt.KeyWebshop {
			return nil, lt.Errorf(lt.EFORBIDDEN, "only a webshop key may redeem tokens")
		}
		return c, nil
	}
	if key.Kind == lt.KeyWebshop {
		return nil, lt.Errorf(lt.EFORBIDDEN, "a webshop key may only redeem tokens")
	}
	for _, g := range a.anyOf {
		if key.Grants.Allows(g.Area, g.Level) {
			return c, nil
		}
	}
	return nil, lt.Errorf(lt.EFORBIDDEN, "this operation needs the grant %s (%s); this key has %s",
		describeAccess(a), areasHeld(a), key.Grants)
}
