package validate

import (
	"encoding/json"
	"fmt"
)

// Status is the outcome of one check.
type Status int

const (
	Pass Status = iota // fine
	Skip               // not run, with the reason (does not affect the exit code)
	Warn               // works, but something should be changed
	Fail               // will not work, or the file is wrong
)

var statusNames = [...]string{"pass", "skip", "warn", "fail"}

// String returns "pass", "skip", "warn" or "fail".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalJSON writes the status as its name.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a status name.
func (s *Status) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return err
	}
	for i, n := range statusNames {
		if n == name {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("validate: unknown status %q", name)
}

// Finding is the result of one check on one object.
type Finding struct {
	Check   string `json:"check"`            // the check's name: "tensors", "nan", "memory", …
	Status  Status `json:"status"`           // pass, skip, warn or fail
	Object  string `json:"object,omitempty"` // the tensor, key or path concerned, if any
	Message string `json:"message"`          // what was found
	Fix     string `json:"fix,omitempty"`    // what to do about it (warn and fail)
}

func (f Finding) String() string {
	s := fmt.Sprintf("%-4s %-10s ", f.Status, f.Check)
	if f.Object != "" {
		s += f.Object + ": "
	}
	s += f.Message
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// Report is every finding about one subject (a model file or a machine).
type Report struct {
	Subject  string    `json:"subject"`
	Findings []Finding `json:"findings"`
}

func (r *Report) add(check string, st Status, object, fix, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Check: check, Status: st, Object: object, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// Worst returns the most severe status of the findings (Pass when empty).
func (r *Report) Worst() Status {
	w := Pass
	for _, f := range r.Findings {
		if f.Status > w {
			w = f.Status
		}
	}
	return w
}

// Count returns the number of findings with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, f := range r.Findings {
		if f.Status == s {
			n++
		}
	}
	return n
}

// ExitCode maps the worst status to `bitnet doctor`'s exit code: 0 when
// everything passed (or was skipped), 1 for a warning, 2 for a failure.
func (r *Report) ExitCode() int {
	switch r.Worst() {
	case Fail:
		return 2
	case Warn:
		return 1
	}
	return 0
}
