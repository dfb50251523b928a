package httpapi

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// tokenAttempts answers a token's attempts per UTC day of the chart's
// days. Like its events, a deleted token's stay readable.
func (s *Server) tokenAttempts(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := tokenPathID(r)
	if err != nil {
		return err
	}
	days, err := s.Store.TokenAttemptDays(r.Context(), id, lt.AttemptDays)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, attemptDays{days})
	return nil
}

// exportTokenEvents answers the tokens' audit events of from..to
// (web.ExportTokenEvents).
func (s *Server) exportTokenEvents(w http.ResponseWriter, r *http.Request, c *caller) error {
	return web.ExportTokenEvents(w, r, s.Store, s.Gates, s.log)
}

type attemptDays struct {
	Days []lt.AttemptDay `json:"days"`
}

type auditRetention struct {
	Days int `json:"auditRetentionDays"`
}

func (s *Server) getAuditRetention(w http.ResponseWriter, r *http.Request, c *caller) error {
	days, err := s.Store.AuditRetention(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, auditRetention{days})
	return nil
}

func (s *Server) setAuditRetention(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, []string{lt.AuditRetentionField})
	if err != nil {
		return err
	}
	o.required(lt.AuditRetentionField)
	var days int
	if o.has(lt.AuditRetentionField) {
		o.decode(lt.AuditRetentionField, &days, "a whole number of days, 0 for forever")
	}
	if err := o.err(); err != nil {
		return err
	}
	if err := s.Store.SetAuditRetention(r.Context(), c.actor, days); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, auditRetention{days})
	return nil
}
