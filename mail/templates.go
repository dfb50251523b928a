package mail

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
)

// Data is what a body template reads (docs/mail.md lists it).
type Data struct {
	// Name is the recipient's name; "" for an address staff typed in.
	Name string
	// Sender is the staff member (or API key) who sent the link.
	Sender string
	// Shop is the name of the shop the token is bound to; "" for none.
	Shop    string
	Company string
	// LoginURL is the scanner-safe sign-in page of the token: opening it
	// shows a button and signs nobody in.
	LoginURL string
	// ExpiresAt is when the token expires, written for the language;
	// "" when it never does.
	ExpiresAt string
	OneTime   bool
	// Note is the staff member's personal note; "" for none.
	Note string
}

// SubjectData is what the subject template reads: Data without the
// login link, which never goes into a header.
type SubjectData struct {
	Name, Sender, Shop, Company, ExpiresAt string
	OneTime                                bool
}

func (d Data) subject() SubjectData {
	return SubjectData{Name: d.Name, Sender: d.Sender, Shop: d.Shop, Company: d.Company, ExpiresAt: d.ExpiresAt, OneTime: d.OneTime}
}

// formatExpiry writes t for lang, in UTC (a person's time zone is not
// known).
func formatExpiry(t *time.Time, lang string) string {
	if t == nil {
		return ""
	}
	if lang == "de" {
		return t.UTC().Format("02.01.2006 um 15:04 UTC")
	}
	return t.UTC().Format("January 2, 2006 at 15:04 UTC")
}

var defaults = map[string]lt.MailTemplate{
	"en": {
		Subject: `Your login link{{if .Shop}} for {{.Shop}}{{end}}`,
		Text: `Hello{{if .Name}} {{.Name}}{{end}},

{{.Sender}} sent you a link that signs you in{{if .Shop}} to {{.Shop}}{{end}} without a password:

{{.LoginURL}}
{{if .Note}}
{{.Sender}} writes:
{{.Note}}
{{end}}
{{if .OneTime}}The link works once.{{else}}The link works more than once.{{end}} {{if .ExpiresAt}}It expires on {{.ExpiresAt}}.{{else}}It does not expire.{{end}}
Do not pass it on: whoever has it can sign in as you.
`,
		HTML: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your login link</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
<p>Hello{{if .Name}} {{.Name}}{{end}},</p>
<p>{{.Sender}} sent you a link that signs you in{{if .Shop}} to {{.Shop}}{{end}} without a password:</p>
<p><a href="{{.LoginURL}}" style="display: inline-block; padding: 10px 18px; background: #1a56db; color: #fff; text-decoration: none; border-radius: 4px;">Sign in</a></p>
<p style="font-size: 90%;">Or open this address: <a href="{{.LoginURL}}">{{.LoginURL}}</a></p>
{{if .Note}}<p>{{.Sender}} writes:</p>
<blockquote style="white-space: pre-line; border-left: 3px solid #ccc; margin: 0; padding-left: 12px;">{{.Note}}</blockquote>
{{end}}<p>{{if .OneTime}}The link works once.{{else}}The link works more than once.{{end}} {{if .ExpiresAt}}It expires on {{.ExpiresAt}}.{{else}}It does not expire.{{end}}<br>
Do not pass it on: whoever has it can sign in as you.</p>
</body></html>
`,
	},
	"de": {
		Subject: `Ihr Anmeldelink{{if .Shop}} für {{.Shop}}{{end}}`,
		Text: `Guten Tag{{if .Name}} {{.Name}}{{end}},

{{.Sender}} hat Ihnen einen Link geschickt, mit dem Sie sich{{if .Shop}} bei {{.Shop}}{{end}} ohne Passwort anmelden:

{{.LoginURL}}
{{if .Note}}
{{.Sender}} schreibt:
{{.Note}}
{{end}}
{{if .OneTime}}Der Link gilt für eine Anmeldung.{{else}}Der Link gilt für mehrere Anmeldungen.{{end}} {{if .ExpiresAt}}Er läuft am {{.ExpiresAt}} ab.{{else}}Er läuft nicht ab.{{end}}
Geben Sie ihn nicht weiter: Wer ihn hat, kann sich als Sie anmelden.
`,
		HTML: `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Ihr Anmeldelink</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
<p>Guten Tag{{if .Name}} {{.Name}}{{end}},</p>
<p>{{.Sender}} hat Ihnen einen Link geschickt, mit dem Sie sich{{if .Shop}} bei {{.Shop}}{{end}} ohne Passwort anmelden:</p>
<p><a href="{{.LoginURL}}" style="display: inline-block; padding: 10px 18px; background: #1a56db; color: #fff; text-decoration: none; border-radius: 4px;">Anmelden</a></p>
<p style="font-size: 90%;">Oder öffnen Sie diese Adresse: <a href="{{.LoginURL}}">{{.LoginURL}}</a></p>
{{if .Note}}<p>{{.Sender}} schreibt:</p>
<blockquote style="white-space: pre-line; border-left: 3px solid #ccc; margin: 0; padding-left: 12px;">{{.Note}}</blockquote>
{{end}}<p>{{if .OneTime}}Der Link gilt für eine Anmeldung.{{else}}Der Link gilt für mehrere Anmeldungen.{{end}} {{if .ExpiresAt}}Er läuft am {{.ExpiresAt}} ab.{{else}}Er läuft nicht ab.{{end}}<br>
Geben Sie ihn nicht weiter: Wer ihn hat, kann sich als Sie anmelden.</p>
</body></html>
`,
	},
}

// DefaultTemplate is the built-in template of lang (English for a
// language without one).
func DefaultTemplate(lang string) lt.MailTemplate {
	if t, ok := defaults[lang]; ok {
		return t
	}
	return defaults["en"]
}

// maxRendered bounds a rendered subject or body.
const maxRendered = 256 << 10

// rendered is a written mail.
type rendered struct {
	Subject, Text, HTML string
}

// render writes the mail of t (complete: no empty field) with d.
func render(t lt.MailTemplate, d Data) (*rendered, error) {
	subj, err := execText("subject", t.Subject, d.subject())
	if err != nil {
		return nil, err
	}
	text, err := execText("text", t.Text, d)
	if err != nil {
		return nil, err
	}
	html, err := execHTML(t.HTML, d)
	if err != nil {
		return nil, err
	}
	// A header is one line: a line break from a name or a template
	// becomes a space.
	subj = strings.Join(strings.Fields(subj), " ")
	return &rendered{Subject: subj, Text: text, HTML: html}, nil
}

// checkNodes refuses what a template may not do: loop (range), or define
// and call other templates. A template is staff's text with placeholders
// and conditions, run once per mail, so it must end quickly.
func checkNodes(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNodes(c); err != nil {
				return err
			}
		}
	case *parse.IfNode:
		if err := checkNodes(n.List); err != nil {
			return err
		}
		return checkNodes(n.ElseList)
	case *parse.WithNode:
		if err := checkNodes(n.List); err != nil {
			return err
		}
		return checkNodes(n.ElseList)
	case *parse.RangeNode:
		return errors.New("range is not allowed")
	case *parse.TemplateNode:
		return errors.New("template is not allowed")
	}
	return nil
}

func parseText(name, src string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, err
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("define and block are not allowed")
	}
	if err := checkNodes(t.Tree.Root); err != nil {
		return nil, err
	}
	return t, nil
}

func execText(name, src string, d any) (string, error) {
	t, err := parseText(name, src)
	if err != nil {
		return "", err
	}
	var b limited
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

func execHTML(src string, d Data) (string, error) {
	t, err := htmltemplate.New("html").Option("missingkey=error").Parse(src)
	if err != nil {
		return "", err
	}
	if len(t.Templates()) > 1 {
		return "", errors.New("define and block are not allowed")
	}
	if err := checkNodes(t.Tree.Root); err != nil {
		return "", err
	}
	var b limited
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// limited is a buffer that refuses to grow past maxRendered.
type limited struct{ bytes.Buffer }

func (l *limited) Write(p []byte) (int, error) {
	if l.Len()+len(p) > maxRendered {
		return 0, fmt.Errorf("the mail would be longer than %d KiB", maxRendered>>10)
	}
	return l.Buffer.Write(p)
}

// sampleData fills every placeholder, to check a template when it is
// saved.
var sampleData = Data{Name: "Jane Doe", Sender: "Sam Staff", Shop: "Acme Store", Company: "Acme",
	LoginURL: "https://login.example.com/login?token=lt_sample_x", ExpiresAt: "January 2, 2027 at 15:04 UTC", OneTime: true, Note: "See you soon"}

// CheckTemplate reports the first problem of a template, naming its
// field (subject, text, html): it must parse, run on every placeholder,
// and each body must hold the login link.
func CheckTemplate(t lt.MailTemplate) error {
	var v lt.Validation
	check := func(field, src string) {
		if src == "" {
			return
		}
		if utf8.RuneCountInString(src) > lt.MaxMailTemplate {
			v.Add(field, "is longer than %d characters", lt.MaxMailTemplate)
			return
		}
		if !utf8.ValidString(src) {
			v.Add(field, "is not valid UTF-8")
			return
		}
		var out string
		var err error
		switch field {
		case "subject":
			out, err = execText(field, src, sampleData.subject())
		case "text":
			out, err = execText(field, src, sampleData)
		default:
			out, err = execHTML(src, sampleData)
		}
		switch {
		case err != nil:
			v.Add(field, "%s", templateError(field, err))
		case field != "subject" && !strings.Contains(out, sampleData.LoginURL):
			v.Add(field, "must hold the login link: {{.LoginURL}}")
		}
	}
	check("subject", t.Subject)
	check("text", t.Text)
	check("html", t.HTML)
	return v.Err()
}

// templateError says what is wrong in staff's words; the subject cannot
// read the login link (it would be in a header).
func templateError(field string, err error) string {
	msg := err.Error()
	if field == "subject" && strings.Contains(msg, "LoginURL") {
		return "cannot hold the login link: a subject is a header, and a login link must never be in one"
	}
	return "is not a valid template: " + msg
}
