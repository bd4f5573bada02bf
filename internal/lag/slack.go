package lag

import (
	"encoding/json"
	"strconv"
	"time"
)

// GroupLabel is the human name of a threshold group.
func GroupLabel(group string) string {
	switch group {
	case GroupOrders:
		return "Order sync lag"
	case GroupProfiles:
		return "Profile and status sync lag"
	}
	return group + " sync lag"
}

// Text is the one-line message of an alert. It starts with "[FIRING] <group>"
// or "[RESOLVED] <group>" so that receivers can match it, and carries no
// personal data (details name classes, counts and Odoo order references).
func (a Alert) Text() string {
	label := GroupLabel(a.Group)
	if a.Kind == KindResolved {
		s := "[RESOLVED] " + a.Group + ": " + label + " is back under the " + Round(a.Threshold).String() +
			" threshold (now " + Round(a.Lag).String() + "). The incident lasted " + Round(a.At.Sub(a.Since)).String() +
			" since " + a.Since.UTC().Format(time.RFC3339) + ", peak " + Round(a.Peak).String() + "."
		if a.Detail != "" {
			s += " Worst now: " + a.Detail + "."
		}
		return s
	}
	s := "[FIRING] " + a.Group + ": " + label + " " + Round(a.Lag).String() + " exceeds the " + Round(a.Threshold).String() +
		" threshold since " + a.Since.UTC().Format(time.RFC3339) + "."
	if a.Detail != "" {
		s += " Worst: " + a.Detail + "."
	}
	return s
}

// slackBody is a Slack incoming-webhook message: text (the notification and
// fallback) and blocks (the formatted message). Other Slack-compatible
// receivers (Mattermost, Rocket.Chat, Teams workflows) read text.
type slackBody struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackDate renders a time in the reader's time zone, with RFC 3339 as the fallback.
func slackDate(t time.Time) string {
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^{date_short_pretty} {time_secs}|" + t.UTC().Format(time.RFC3339) + ">"
}

// SlackBody encodes an alert as a Slack-compatible webhook body.
func SlackBody(a Alert) ([]byte, error) {
	title := ":rotating_light: " + GroupLabel(a.Group) + " over threshold"
	if a.Kind == KindResolved {
		title = ":white_check_mark: " + GroupLabel(a.Group) + " recovered"
	}
	md := func(s string) slackText { return slackText{Type: "mrkdwn", Text: s} }
	fields := []slackText{
		md("*Group*\n" + a.Group),
		md("*State*\n" + a.Kind),
		md("*Lag*\n" + Round(a.Lag).String()),
		md("*Threshold*\n" + Round(a.Threshold).String()),
		md("*Since*\n" + a.Since.UTC().Format(time.RFC3339)),
		md("*Peak*\n" + Round(a.Peak).String()),
	}
	detail := a.Detail
	if detail == "" {
		detail = "no lag measured"
	}
	body := slackBody{
		Text: a.Text(),
		Blocks: []slackBlock{
			{Type: "header", Text: &slackText{Type: "plain_text", Text: title}},
			{Type: "section", Fields: fields},
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: "*Worst measurement:* " + detail}},
			{Type: "context", Elements: []slackText{md("odoo-dotdigital-sync lag monitor, " + slackDate(a.At) +
				". `starter lag` shows the current measurement.")}},
		},
	}
	return json.Marshal(body)
}
