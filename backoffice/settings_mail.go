package backoffice

import (
	"net/http"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// Settings > Mail: the subject and bodies of the mail that carries a
// login link, for the installation or for one shop, in each language, and
// the language of people whose own is not known. An empty field follows
// the installation's (for a shop), then the built-in text.

var mailLanguageNames = map[string]string{"en": "English", "de": "German"}

type mailLangForm struct {
	Code, Name          string
	Subject, Text, HTML string
}

type mailSettingsView struct {
	CSRF      string
	Shops     []*lt.Shop
	ShopID    string // "" for the installation's
	ShopName  string
	Language  string
	Languages []mailLangForm
	Errors    map[string]string
	Saved     string
	MailOff   string
}

// Error is the message of a field ("" for the form's own).
func (v *mailSettingsView) Error(field string) string { return v.Errors[field] }

// LanguageName is the name of a language code.
func (v *mailSettingsView) LanguageName(code string) string { return mailLanguageNames[code] }

// Codes are the languages a mail can be written in.
func (v *mailSettingsView) Codes() []string { return lt.MailLanguages }

// mailScope reads the shop of the page (?shop= or the form's shop): nil
// for the installation's templates.
func (s *Server) mailScope(r *http.Request, v *mailSettingsView) (*int64, error) {
	id := r.FormValue("shop")
	if id == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return nil, lt.Invalid("shop", "is not a shop id")
	}
	for _, sh := range v.Shops {
		if sh.ID == n {
			v.ShopID, v.ShopName = id, sh.Name
			return &n, nil
		}
	}
	return nil, lt.Errorf(lt.ENOTFOUND, "no shop with id %d", n)
}

// mailView loads the page's shops and the templates of its scope; each
// empty field shows the text it follows.
func (s *Server) mailView(r *http.Request) (*mailSettingsView, *int64, error) {
	v := &mailSettingsView{CSRF: currentFrom(r.Context()).csrf, MailOff: s.mailOff()}
	if s.Mail == nil {
		return v, nil, lt.Errorf(lt.ECONFLICT, "the mail templates cannot be edited: %s", v.MailOff)
	}
	shops, err := s.Store.FindShops(r.Context())
	if err != nil {
		return nil, nil, err
	}
	v.Shops = shops
	shopID, err := s.mailScope(r, v)
	if err != nil {
		return nil, nil, err
	}
	set, err := s.Mail.MailSettings(r.Context(), shopID)
	if err != nil {
		return nil, nil, err
	}
	inherited, err := s.inheritedTemplates(r, shopID)
	if err != nil {
		return nil, nil, err
	}
	v.Language = set.Language
	for _, code := range lt.MailLanguages {
		t, base := set.Templates[code], inherited[code]
		v.Languages = append(v.Languages, mailLangForm{Code: code, Name: mailLanguageNames[code],
			Subject: or(t.Subject, base.Subject), Text: or(t.Text, base.Text), HTML: or(t.HTML, base.HTML)})
	}
	return v, shopID, nil
}

// inheritedTemplates are what the scope's empty fields follow: for a
// shop, the installation's templates over the built-in ones; for the
// installation, the built-in ones.
func (s *Server) inheritedTemplates(r *http.Request, shopID *int64) (map[string]lt.MailTemplate, error) {
	out := map[string]lt.MailTemplate{}
	var global *lt.MailSettings
	if shopID != nil {
		var err error
		if global, err = s.Mail.MailSettings(r.Context(), nil); err != nil {
			return nil, err
		}
	}
	for _, code := range lt.MailLanguages {
		t := s.Mail.DefaultMailTemplate(code)
		if global != nil {
			g := global.Templates[code]
			t = lt.MailTemplate{Subject: or(g.Subject, t.Subject), Text: or(g.Text, t.Text), HTML: or(g.HTML, t.HTML)}
		}
		out[code] = t
	}
	return out, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) showMailSettings(w http.ResponseWriter, r *http.Request) {
	v, _, err := s.mailView(r)
	if err != nil {
		if v == nil {
			s.fail(w, r, err)
			return
		}
		v.Errors = map[string]string{"": sentence(lt.ErrorMessage(err))}
	}
	s.renderMailSettings(w, r, http.StatusOK, v)
}

func (s *Server) saveMailSettings(w http.ResponseWriter, r *http.Request) {
	v, shopID, err := s.mailView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inherited, err := s.inheritedTemplates(r, shopID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set := &lt.MailSettings{ShopID: shopID, Language: r.PostFormValue("language"), Templates: map[string]lt.MailTemplate{}}
	v.Language = set.Language
	for i, code := range lt.MailLanguages {
		base := inherited[code]
		f := mailLangForm{Code: code, Name: mailLanguageNames[code],
			Subject: r.PostFormValue(code + ".subject"), Text: r.PostFormValue(code + ".text"), HTML: r.PostFormValue(code + ".html")}
		v.Languages[i] = f
		// A field left as it follows stays empty, so that it keeps
		// following.
		set.Templates[code] = lt.MailTemplate{Subject: unlessSame(f.Subject, base.Subject), Text: unlessSame(f.Text, base.Text), HTML: unlessSame(f.HTML, base.HTML)}
	}
	if err := s.Mail.SetMailSettings(r.Context(), currentFrom(r.Context()).actor(r, s), set); err != nil {
		labels := map[string]string{"language": "Language"}
		for _, code := range lt.MailLanguages {
			labels[code+".subject"], labels[code+".text"], labels[code+".html"] = "", "", ""
		}
		errs, status, ok := formErrors(err, formFields{Labels: labels})
		if !ok {
			s.fail(w, r, err)
			return
		}
		v.Errors = errs
		s.renderMailSettings(w, r, status, v)
		return
	}
	v.Saved = "The mail templates were saved."
	s.renderMailSettings(w, r, http.StatusOK, v)
}

// unlessSame is "" when s is base but for line endings and surrounding
// space, else s.
func unlessSame(s, base string) string {
	norm := func(x string) string { return strings.TrimSpace(strings.ReplaceAll(x, "\r\n", "\n")) }
	if norm(s) == norm(base) {
		return ""
	}
	return s
}

func (s *Server) renderMailSettings(w http.ResponseWriter, r *http.Request, status int, v *mailSettingsView) {
	p := s.page(r, "Mail", "mail")
	p.Data = v
	s.render(w, r, status, "settings_mail", p)
}
