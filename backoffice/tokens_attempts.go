package backoffice

import (
	"fmt"

	lt "github.com/logintokens/logintokens"
)

// attemptsChart is the edit dialog's chart of a token's sign-in attempts
// per UTC day: stacked bars drawn as SVG on the server (no script), and
// the days with attempts as a table for screen readers.
type attemptsChart struct {
	Days                []lt.AttemptDay
	Bars                []attemptBar
	Successful, Failed  int64
	Width, Height, Peak int64
	First, Last         string
}

// attemptBar is one day's bar: the successful part below the failed one.
type attemptBar struct {
	X, OkY, OkH, FailY, FailH int64
	Title                     string
}

// Active are the days with attempts, oldest first.
func (c *attemptsChart) Active() []lt.AttemptDay {
	var out []lt.AttemptDay
	for _, d := range c.Days {
		if d.Successful+d.Failed > 0 {
			out = append(out, d)
		}
	}
	return out
}

const (
	barWidth    = 5 // px, with a gap of 1
	chartHeight = 60
)

func newAttemptsChart(days []lt.AttemptDay) *attemptsChart {
	c := &attemptsChart{Days: days, Width: int64(len(days)) * (barWidth + 1), Height: chartHeight}
	if len(days) > 0 {
		c.First, c.Last = days[0].Day, days[len(days)-1].Day
	}
	for _, d := range days {
		c.Successful += d.Successful
		c.Failed += d.Failed
		c.Peak = max(c.Peak, d.Successful+d.Failed)
	}
	for i, d := range days {
		b := attemptBar{X: int64(i) * (barWidth + 1),
			Title: fmt.Sprintf("%s: %d successful, %d failed", d.Day, d.Successful, d.Failed)}
		if c.Peak > 0 {
			b.OkH = d.Successful * chartHeight / c.Peak
			b.FailH = d.Failed * chartHeight / c.Peak
			// A day with any attempt shows, however small beside the peak.
			if d.Successful > 0 && b.OkH == 0 {
				b.OkH = 1
			}
			if d.Failed > 0 && b.FailH == 0 {
				b.FailH = 1
			}
		}
		b.OkY = chartHeight - b.OkH
		b.FailY = b.OkY - b.FailH
		c.Bars = append(c.Bars, b)
	}
	return c
}
