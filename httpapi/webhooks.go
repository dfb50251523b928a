package httpapi

import (
	"net/http"
	"strconv"

	lt "github.com/logintokens/logintokens"
)

// issuedWebhookJSON is a webhook with its signing secret: answered when it
// is created or its secret rotated, this once.
type issuedWebhookJSON struct {
	*lt.Webhook
	Secret string `json:"secret"`
}

// webhookList is the answer of the webhook list: not paged (at most
// lt.MaxWebhooks), but in the lists' envelope.
type webhookList struct {
	Items []*lt.Webhook `json:"items"`
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, c *caller) error {
	hooks, err := s.Store.FindWebhooks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookList{Items: hooks})
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	hook, err := s.Store.FindWebhookByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, newWebhookFields, readOnlyWebhookFields...)
	if err != nil {
		return err
	}
	o.required("url")
	o.required("events")
	var n lt.NewWebhook
	if u := o.str("url"); u != nil {
		n.URL = *u
	}
	if ev := o.strings("events"); ev != nil {
		n.Events = *ev
	}
	if err := o.err(); err != nil {
		return err
	}
	hook, secret, err := s.Store.CreateWebhook(r.Context(), c.actor, n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(hook.ID, 10))
	writeJSON(w, http.StatusCreated, issuedWebhookJSON{Webhook: hook, Secret: secret})
	return nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	o, err := decodeObject(w, r, webhookPatchFields, readOnlyWebhookFields...)
	if err != nil {
		return err
	}
	var upd lt.WebhookUpdate
	if o.has("url") {
		if upd.URL = o.str("url"); upd.URL == nil && o.isNull("url") {
			o.v.Add("url", "is required")
		}
	}
	if o.has("events") {
		if upd.Events = o.strings("events"); upd.Events == nil && o.isNull("events") {
			o.v.Add("events", "give at least one event")
		}
	}
	if o.has("enabled") {
		if upd.Enabled = o.boolPtr("enabled"); upd.Enabled == nil {
			o.v.Add("enabled", "must be true or false")
		}
	}
	if err := o.err(); err != nil {
		return err
	}
	hook, err := s.Store.UpdateWebhook(r.Context(), c.actor, id, upd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	hook, secret, err := s.Store.RotateWebhookSecret(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, issuedWebhookJSON{Webhook: hook, Secret: secret})
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	if err := s.Store.DeleteWebhook(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	pageNo, size, err := lt.ParsePaging(r.URL.Query())
	if err != nil {
		return err
	}
	items, found, err := s.Store.FindWebhookDeliveries(r.Context(), id, pageNo, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(items, found, pageNo, size))
	return nil
}

func (s *Server) redeliverWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	raw := r.PathValue("deliveryId")
	deliveryID, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || deliveryID <= 0 {
		return lt.Errorf(lt.ENOTFOUND, "delivery %s not found", lt.QuoteInput(raw))
	}
	m, err := s.Store.Redeliver(r.Context(), c.actor, id, deliveryID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, m)
	return nil
}
