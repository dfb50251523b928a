package httpapi

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
)

// apiKeyJSON is an API key as the API shows it: grants as "area:level",
// never the secret or its hash.
type apiKeyJSON struct {
	*lt.APIKey
	Grants []string `json:"grants"`
}

func newAPIKeyJSON(k *lt.APIKey) apiKeyJSON {
	return apiKeyJSON{APIKey: k, Grants: k.Grants.Strings()}
}

// issuedAPIKeyJSON is a new key with its value, answered this once.
type issuedAPIKeyJSON struct {
	apiKeyJSON
	Value string `json:"value"`
}

// apiKeyList is the answer of the key list: not paged (a handful of keys),
// but in the lists' envelope so that paging can come without a break.
type apiKeyList struct {
	Items []apiKeyJSON `json:"items"`
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	keys, err := s.Store.FindAPIKeys(r.Context())
	if err != nil {
		return err
	}
	out := apiKeyList{Items: make([]apiKeyJSON, len(keys))}
	for i, k := range keys {
		out.Items[i] = newAPIKeyJSON(k)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, newAPIKeyFields, readOnlyAPIKeyFields...)
	if err != nil {
		return err
	}
	o.required("name")
	o.required("kind")
	n := lt.NewAPIKey{CreatedBy: c.actor.Name}
	if name := o.str("name"); name != nil {
		n.Name = *name
	}
	if kind := o.str("kind"); kind != nil {
		n.Kind = lt.APIKeyKind(*kind)
	}
	if list := o.strings("grants"); list != nil {
		gs, err := lt.ParseGrants(*list)
		if err != nil {
			o.v.Add("grants", "%s", err)
		}
		n.Grants = gs
	}
	if err := o.err(); err != nil {
		return err
	}
	// A bad request is a 400 whatever its grants; then a key hands out
	// only grants it holds itself.
	if err := n.Validate(); err != nil {
		return err
	}
	if err := c.key.Grants.CheckHandOut(n.Grants); err != nil {
		return err
	}
	k, value, err := s.Store.CreateAPIKey(r.Context(), n)
	if err != nil {
		return err
	}
	if err := s.Store.AuditEvent(r.Context(), c.actor, lt.EventAPIKeyCreated,
		map[string]any{"apiKey": k.ID, "name": k.Name, "kind": k.Kind, "grants": k.Grants.Strings()}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, issuedAPIKeyJSON{apiKeyJSON: newAPIKeyJSON(k), Value: value})
	return nil
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	// A key value in a URL is a leaked key: refused without being echoed.
	id, err := secretPathID(r, lt.APIKeyPrefix, "API key")
	if err != nil {
		return err
	}
	// Only a key whose grants the caller holds all of.
	if _, err := lt.RevokeAPIKeyAs(r.Context(), s.Store, c.key.Grants, id); err != nil {
		return err
	}
	if err := s.Store.AuditEvent(r.Context(), c.actor, lt.EventAPIKeyRevoked, map[string]any{"apiKey": id}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
