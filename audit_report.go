package logintokens

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AttemptDays is how many UTC days the attempts chart of a token covers,
// today included.
const AttemptDays = 90

// AttemptDay counts a token's sign-in attempts of one UTC day: its
// token.redeemed and token.rejected events.
type AttemptDay struct {
	Day        string `json:"day"` // YYYY-MM-DD, a UTC day
	Successful int64  `json:"successful"`
	Failed     int64  `json:"failed"`
}

// AttemptWindow is the start of the first of the days UTC days that end
// with now's: the chart counts the events at or after it.
func AttemptWindow(now time.Time, days int) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1-days)
}

// FillAttemptDays answers one AttemptDay for each of the days UTC days
// from from's on, oldest first, with the counts of counted (by day) and
// zero for the days without any.
func FillAttemptDays(from time.Time, days int, counted []AttemptDay) []AttemptDay {
	byDay := make(map[string]AttemptDay, len(counted))
	for _, c := range counted {
		byDay[c.Day] = c
	}
	out := make([]AttemptDay, days)
	for i := range out {
		day := from.AddDate(0, 0, i).Format(time.DateOnly)
		out[i] = byDay[day]
		out[i].Day = day
	}
	return out
}

// Audit retention: how many days the audit trail keeps its events. It is
// stored in the settings table under SettingAuditRetentionDays; none (or
// 0) keeps them forever.
const (
	SettingAuditRetentionDays = "audit_retention_days"
	// MaxAuditRetentionDays is a hundred years: more is forever.
	MaxAuditRetentionDays = 36500
	// AuditRetentionField names the retention in the API and the forms.
	AuditRetentionField = "auditRetentionDays"
)

// EventAuditRetentionChanged records a change of the audit retention;
// its details hold the days before and after (0 = forever).
const EventAuditRetentionChanged = "audit.retention_changed"

// CheckAuditRetention refuses a retention other than 0 (forever) or 1 to
// MaxAuditRetentionDays days.
func CheckAuditRetention(days int) error {
	if days < 0 || days > MaxAuditRetentionDays {
		return Invalid(AuditRetentionField, "must be 1 to %d days, or empty (0) to keep the events forever", MaxAuditRetentionDays)
	}
	return nil
}

// ParseAuditRetention reads a retention typed into a form: empty or 0 is
// forever.
func ParseAuditRetention(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, Invalid(AuditRetentionField, "%s is not a whole number of days", QuoteInput(s))
	}
	return n, CheckAuditRetention(n)
}

// AuditCutoff is the time before which events are pruned under a
// retention of days (0: none are, and ok is false).
func AuditCutoff(now time.Time, days int) (cutoff time.Time, ok bool) {
	if days <= 0 {
		return time.Time{}, false
	}
	return now.UTC().AddDate(0, 0, -days), true
}

// Audit export formats.
const (
	AuditFormatCSV   = "csv"
	AuditFormatJSONL = "jsonl"
)

// MaxAuditExportDays bounds an export's range: a year and a day, so that
// one export reads a bounded part of the trail.
const MaxAuditExportDays = 366

// AuditExport is what an export of the login tokens' audit trail takes:
// the events at or after From and before To (To is exclusive here; the
// to a caller gives is inclusive), in a format.
type AuditExport struct {
	From, To time.Time
	Format   string
}

// ParseAuditExport reads an export's from, to and format. Both ends are
// required, RFC 3339 times or YYYY-MM-DD UTC days, and inclusive: a day
// as to includes that whole day. The range is at most MaxAuditExportDays long.
func ParseAuditExport(q url.Values) (AuditExport, error) {
	var v Validation
	var x AuditExport
	var fromOK, toOK bool
	if s, ok := single(&v, q, "from"); !ok || s == "" {
		if len(q["from"]) <= 1 {
			v.Add("from", "is required: an RFC 3339 time or a YYYY-MM-DD day")
		}
	} else if t, _, err := ParseFilterTime(s); err != nil {
		v.Add("from", "%s", err)
	} else {
		x.From, fromOK = t, true
	}
	if s, ok := single(&v, q, "to"); !ok || s == "" {
		if len(q["to"]) <= 1 {
			v.Add("to", "is required: an RFC 3339 time or a YYYY-MM-DD day")
		}
	} else if t, day, err := ParseFilterTime(s); err != nil {
		v.Add("to", "%s", err)
	} else {
		if day {
			t = t.AddDate(0, 0, 1) // the whole day: up to the next one
		} else {
			t = t.Add(time.Microsecond) // inclusive, at the precision stored
		}
		x.To, toOK = t, true
	}
	if fromOK && toOK {
		switch {
		case !x.From.Before(x.To):
			v.Add("to", "must be after from")
		case x.To.Sub(x.From) > MaxAuditExportDays*24*time.Hour:
			v.Add("to", "is more than %d days after from: export a longer time in parts", MaxAuditExportDays)
		}
	}
	x.Format = AuditFormatCSV
	if s, ok := single(&v, q, "format"); ok && s != "" {
		switch s {
		case AuditFormatCSV, AuditFormatJSONL:
			x.Format = s
		default:
			v.Add("format", "%s is not csv or jsonl", QuoteInput(s))
		}
	}
	return x, v.Err()
}

// AuditReportService reads the audit trail in bulk (a token's attempts
// per day, the export) and keeps it to its retention.
type AuditReportService interface {
	TokenAttemptDays(ctx context.Context, tokenID string, days int) ([]AttemptDay, error)
	StreamTokenEvents(ctx context.Context, x AuditExport, fn func(*Event) error) error
	AuditRetention(ctx context.Context) (int, error)
	SetAuditRetention(ctx context.Context, actor Actor, days int) error
}
