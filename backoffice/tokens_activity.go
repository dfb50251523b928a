package backoffice

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// activityRow is one event of a token's audit trail.
type activityRow struct {
	At                             time.Time
	Event, Actor, ClientIP, Reason string
}

var eventLabels = map[string]string{
	lt.EventTokenCreated: "Created", lt.EventTokenUpdated: "Updated", lt.EventTokenRegenerated: "Value regenerated",
	lt.EventTokenDeleted: "Deleted", lt.EventTokenRevealed: "Value revealed", lt.EventTokenRedeemed: "Signed in",
	lt.EventTokenRejected: "Sign-in refused",
	lt.EventMailQueued:    "Login link mailed (queued)", lt.EventMailSent: "Login link mail sent", lt.EventMailFailed: "Login link mail failed",
}

var changedLabels = map[string]string{"expiresAt": "Expires at", "oneTimeUse": "One time use", "maxUses": "Uses allowed", "networks": "Networks", "extra": "Extra", "user": "Contact or customer"}

func (s *Server) activity(r *http.Request, events []*lt.Event) []activityRow {
	staff := map[string]string{}
	out := make([]activityRow, 0, len(events))
	for _, e := range events {
		row := activityRow{At: e.At, Event: eventLabels[e.Type], Actor: s.actorName(r, e.Actor, staff), ClientIP: e.ClientIP}
		if row.Event == "" {
			row.Event = e.Type
		}
		var d struct {
			Reason       string   `json:"reason"`
			Purpose      string   `json:"purpose"`
			Changed      []string `json:"changed"`
			Regenerated  bool     `json:"regenerated"`
			Impersonator string   `json:"impersonator"`
			To           string   `json:"to"`
			Answer       string   `json:"answer"`
			Retry        bool     `json:"retry"`
		}
		json.Unmarshal(e.Details, &d)
		var why []string
		if strings.HasPrefix(e.Type, "mail.") {
			why = mailActivity(e.Type, d.To, d.Answer, d.Reason, d.Retry)
		} else if d.Reason != "" {
			why = append(why, sentence(lt.RedeemOutcomeMessage(d.Reason)))
		}
		if d.Purpose != "" {
			why = append(why, "Purpose: "+d.Purpose+".")
		}
		if len(d.Changed) > 0 {
			labels := make([]string, len(d.Changed))
			for i, c := range d.Changed {
				if labels[i] = changedLabels[c]; labels[i] == "" {
					labels[i] = c
				}
			}
			why = append(why, "Changed "+strings.Join(labels, ", ")+".")
		}
		if d.Regenerated {
			why = append(why, "New value.")
		}
		if d.Impersonator != "" {
			why = append(why, "Opened by "+s.actorName(r, d.Impersonator, staff)+".")
		}
		row.Reason = strings.Join(why, " ")
		out = append(out, row)
	}
	return out
}

// actorName names who did something: staff by name, the rest as recorded.
func (s *Server) actorName(r *http.Request, actor string, cache map[string]string) string {
	if name, ok := cache[actor]; ok {
		return name
	}
	name := actor
	kind, id, _ := strings.Cut(actor, ":")
	switch kind {
	case "staff":
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			if st, err := s.Store.FindStaffByID(r.Context(), n); err == nil {
				name = st.Name
				if name == "" {
					name = st.Email
				}
			}
		}
	case "apikey":
		name = "API key " + id
	case "login":
		name = "Sign-in page"
	case "oci":
		name = "OCI punchout"
	}
	cache[actor] = name
	return name
}

// mailActivity says where a mail went and what became of it: the
// server's answer, or why it failed and whether it is tried again.
func mailActivity(typ, to, answer, reason string, retry bool) []string {
	var why []string
	if to != "" {
		why = append(why, "To "+to+".")
	}
	switch {
	case typ == lt.EventMailSent && answer != "":
		why = append(why, "The mail server answered: "+answer+".")
	case typ == lt.EventMailFailed:
		why = append(why, sentence(reason))
		if retry {
			why = append(why, "It is tried again.")
		}
	}
	return why
}
