package backoffice

import (
	"net/http"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// Settings > Webhooks: receivers of events, their signing secrets (shown
// once) and their delivery logs.

func (s *Server) webhookRoutes() []route {
	h := func(f http.HandlerFunc) http.Handler { return f }
	return []route{
		{pattern: "GET /admin/settings/webhooks", need: cfgOwner, handler: h(s.listWebhooks)},
		{pattern: "GET /admin/settings/webhooks/new", need: cfgOwner, handler: h(s.newWebhook)},
		{pattern: "POST /admin/settings/webhooks", need: cfgOwner, handler: h(s.createWebhook)},
		{pattern: "GET /admin/settings/webhooks/{id}", need: cfgOwner, handler: h(s.showWebhook)},
		{pattern: "POST /admin/settings/webhooks/{id}", need: cfgOwner, handler: h(s.updateWebhook)},
		{pattern: "POST /admin/settings/webhooks/{id}/rotate-secret", need: cfgOwner, handler: h(s.rotateWebhookSecret)},
		{pattern: "POST /admin/settings/webhooks/{id}/delete", need: cfgOwner, handler: h(s.deleteWebhook)},
		{pattern: "POST /admin/settings/webhooks/{id}/deliveries/{deliveryId}/redeliver", need: cfgOwner, handler: h(s.redeliverWebhook)},
	}
}

var webhookDoneNotices = map[string]string{
	"saved":       "Saved.",
	"deleted":     "The webhook is deleted, with its delivery log.",
	"redelivered": "The delivery is queued again, with the same webhook-id.",
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.Store.FindWebhooks(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "Webhooks", "webhooks")
	p.Message, p.Data = webhookDoneNotices[r.URL.Query().Get("done")], hooks
	s.render(w, r, http.StatusOK, "webhooks", p)
}

// webhookForm is the data of the new and edit forms.
type webhookForm struct {
	Hook   *lt.Webhook // nil on the new form
	Events []webhookEventChoice
	// Deliveries is the log, newest first (the edit form only).
	Deliveries []*lt.OutboxMessage
	Total      int
}

type webhookEventChoice struct {
	Value, ID string
	Checked   bool
}

func eventChoices(checked []string) []webhookEventChoice {
	out := make([]webhookEventChoice, len(lt.WebhookEvents))
	for i, e := range lt.WebhookEvents {
		out[i] = webhookEventChoice{Value: e, ID: "event-" + strings.ReplaceAll(e, ".", "-")}
		for _, c := range checked {
			out[i].Checked = out[i].Checked || c == e
		}
	}
	return out
}

var webhookLabels = map[string]string{"url": "URL", "events": "Events", "enabled": ""}

func (s *Server) newWebhook(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "New webhook", "webhooks")
	p.Data = &webhookForm{Events: eventChoices(nil)}
	s.render(w, r, http.StatusOK, "webhook_form", p)
}

// createdWebhook is the data of the page that shows a secret once.
type createdWebhook struct {
	Hook    *lt.Webhook
	Secret  string
	Rotated bool
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	p := s.page(r, "New webhook", "webhooks")
	n := lt.NewWebhook{URL: r.PostFormValue("url"), Events: r.PostForm["events"]}
	hook, secret, err := s.Store.CreateWebhook(r.Context(), c.actor(r, s), n)
	if err != nil {
		errs, status, ok := formErrors(err, formFields{Labels: webhookLabels})
		if !ok {
			s.fail(w, r, err)
			return
		}
		p.Errors, p.Form = errs, map[string]string{"url": n.URL}
		p.Data = &webhookForm{Events: eventChoices(n.Events)}
		s.render(w, r, status, "webhook_form", p)
		return
	}
	p.Title = "Webhook created"
	p.Data = &createdWebhook{Hook: hook, Secret: secret}
	s.render(w, r, http.StatusCreated, "webhook_secret", p)
}

func webhookID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, lt.Errorf(lt.ENOTFOUND, "webhook %s not found", lt.QuoteInput(raw))
	}
	return id, nil
}

func (s *Server) showWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := webhookID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hook, err := s.Store.FindWebhookByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "Webhook "+strconv.FormatInt(id, 10), "webhooks")
	p.Message = webhookDoneNotices[r.URL.Query().Get("done")]
	p.Form = map[string]string{"url": hook.URL}
	if err := s.renderWebhook(w, r, http.StatusOK, p, hook, hook.Events); err != nil {
		s.fail(w, r, err)
	}
}

// webhookLogSize is how many deliveries the edit page shows.
const webhookLogSize = 50

func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, status int, p *pageData, hook *lt.Webhook, events []string) error {
	dl, total, err := s.Store.FindWebhookDeliveries(r.Context(), hook.ID, 1, webhookLogSize)
	if err != nil {
		return err
	}
	p.Data = &webhookForm{Hook: hook, Events: eventChoices(events), Deliveries: dl, Total: total}
	s.render(w, r, status, "webhook_form", p)
	return nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := webhookID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := currentFrom(r.Context())
	url, events := r.PostFormValue("url"), r.PostForm["events"]
	enabled := r.PostFormValue("enabled") == "on"
	_, err = s.Store.UpdateWebhook(r.Context(), c.actor(r, s), id, lt.WebhookUpdate{URL: &url, Events: &events, Enabled: &enabled})
	if err != nil {
		errs, status, ok := formErrors(err, formFields{Labels: webhookLabels})
		if !ok {
			s.fail(w, r, err)
			return
		}
		hook, ferr := s.Store.FindWebhookByID(r.Context(), id)
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		p := s.page(r, "Webhook "+strconv.FormatInt(id, 10), "webhooks")
		p.Errors, p.Form = errs, map[string]string{"url": url}
		if err := s.renderWebhook(w, r, status, p, hook, events); err != nil {
			s.fail(w, r, err)
		}
		return
	}
	http.Redirect(w, r, "/admin/settings/webhooks/"+strconv.FormatInt(id, 10)+"?done=saved", http.StatusSeeOther)
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	id, err := webhookID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hook, secret, err := s.Store.RotateWebhookSecret(r.Context(), currentFrom(r.Context()).actor(r, s), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "New signing secret", "webhooks")
	p.Data = &createdWebhook{Hook: hook, Secret: secret, Rotated: true}
	s.render(w, r, http.StatusOK, "webhook_secret", p)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := webhookID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.DeleteWebhook(r.Context(), currentFrom(r.Context()).actor(r, s), id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/webhooks?done=deleted", http.StatusSeeOther)
}

func (s *Server) redeliverWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := webhookID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	raw := r.PathValue("deliveryId")
	deliveryID, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || deliveryID <= 0 {
		s.fail(w, r, lt.Errorf(lt.ENOTFOUND, "delivery %s not found", lt.QuoteInput(raw)))
		return
	}
	if _, err := s.Store.Redeliver(r.Context(), currentFrom(r.Context()).actor(r, s), id, deliveryID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/webhooks/"+strconv.FormatInt(id, 10)+"?done=redelivered", http.StatusSeeOther)
}
